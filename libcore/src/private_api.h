/*
 * private_api.h: the internal calls that libkeyport.so exports to keyport's own libraries and to
 * nothing else: libkeyport-client (libclient/) records its errors, reports misuse and reads JSON
 * through them, so that it has one error state and one JSON reader with the core.
 *
 * They are listed under [private] in libkeyport.symbols, carry no ABI promise, and are
 * not in any installed header. Each is declared (and documented) in internal.h or json.h; this
 * redeclaration only gives it default visibility (the library is built with hidden visibility).
 * tests/layers/check_libs.py checks that libkeyport.so exports exactly libkeyport.symbols.
 */
#ifndef KP_PRIVATE_API_H
#define KP_PRIVATE_API_H

#include <stddef.h>

#include "keyport.h"

#if defined(KP_BUILDING_LIBRARY) && defined(__GNUC__)
#define KP_PRIVATE __attribute__((visibility("default")))
#else
#define KP_PRIVATE
#endif

struct kp_json;

KP_PRIVATE kp_status kp_fail(kp_status st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
KP_PRIVATE void kp_clear_error(void);
KP_PRIVATE kp_status kp_misuse(const kp_ctx *ctx, const char *what);
KP_PRIVATE kp_status kp_json_parse(struct kp_json *j, const char *text, size_t len, const char *what);
KP_PRIVATE void kp_json_free(struct kp_json *j);
KP_PRIVATE int kp_json_get(const struct kp_json *j, int obj, const char *key);
KP_PRIVATE int kp_json_first(const struct kp_json *j, int container);
KP_PRIVATE int kp_json_next(const struct kp_json *j, int arr, int i);
KP_PRIVATE kp_status kp_json_need_str(const struct kp_json *j, int obj, const char *key, const char *path,
                                      const char **s, size_t *len);
KP_PRIVATE kp_status kp_json_strdup(const struct kp_json *j, int tok, char **out);
KP_PRIVATE int kp_utf8_valid(const char *s, size_t len);

#endif
