/*
 * keyport_client.h: libkeyport-client, the client of a Dfns-compatible API (keyportd, or a Dfns
 * cluster: server/API.md) over libcurl. The only network code of keyport's libraries.
 *
 * A library of its own so that the offline programs (and the bindings' offline calls) link
 * libkeyport without a network library: link libkeyport-client (pkg-config keyport-client)
 * only where a program talks to a cluster. It stands on libkeyport's public API (keyport.h)
 * and its own private calls, and keeps keyport.h's house rules.
 *
 * Thread safety: a kp_client makes one call at a time (its one curl handle is reused, so the
 * three requests of a user action share a connection); use one client per thread. The client
 * never reads the environment: proxies are switched off (http_proxy and friends are ignored),
 * redirects are not followed (the bearer token must not travel to another host), and only
 * http and https are allowed.
 */
#ifndef KEYPORT_CLIENT_H
#define KEYPORT_CLIENT_H

#include "keyport.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(KP_BUILDING_CLIENT) && defined(__GNUC__)
#define KP_CLIENT_API __attribute__((visibility("default")))
#else
#define KP_CLIENT_API
#endif

typedef struct kp_client kp_client;

/** Makes a client of the API at base_url.
 *  Out: *out, the client (NULL on failure); free it with kp_client_free.
 *  In: base_url, e.g. "http://127.0.0.1:8600" (http:// or https://, no trailing slash needed,
 *      no spaces or control characters); token, the bearer token (not empty). The client keeps
 *      its own copy of the token in secure memory, wiped by kp_client_free.
 *  Returns KP_OK, KP_ERR_FORMAT (a bad URL or token), KP_ERR_EMPTY (an empty token), KP_ERR_NOMEM
 *  or KP_ERR_INTERNAL (libcurl could not start). */
KP_CLIENT_API kp_status kp_client_new(kp_client **out, const char *base_url, const char *token);
/** Frees a client and wipes its token. NULL is a no-op. */
KP_CLIENT_API void kp_client_free(kp_client *c);
/** Sets the credential that signs user actions. The client keeps the pointer, not a copy:
 *  cred must outlive the client, or be replaced first (NULL: no credential). */
KP_CLIENT_API void kp_client_set_credential(kp_client *c, const kp_credential *cred);
/** Sends one request and appends the response body to resp.
 *  In/Out: resp, a kp_buf (the answer's body appended, whatever the status).
 *  Out: *status, the HTTP status.
 *  In: method, path (starting with "/"); body, len (body may be NULL with len 0); user_action
 *      non-zero: the client first obtains a user action for exactly this method, path and body
 *      (docs/wire.md §5), signs it with the credential and sends it in X-DFNS-USERACTION;
 *      approvals_b64 (may be NULL) goes in X-Keyport-Approvals.
 *  Returns KP_OK when an HTTP answer arrived, whatever its status; KP_ERR_IO when no answer
 *  arrived (the detail says why); KP_ERR_SIGNATURE-family errors from user action signing;
 *  KP_ERR_FORMAT for a user action without a credential, or a method, path or approvals value
 *  with spaces or control characters. */
KP_CLIENT_API kp_status kp_client_call(kp_client *c, kp_buf *resp, long *status, const char *method,
                                       const char *path, const uint8_t *body, size_t len, int user_action,
                                       const char *approvals_b64);

#ifdef __cplusplus
}
#endif
#endif
