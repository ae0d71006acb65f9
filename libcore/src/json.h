/*
 * json.h: a strict JSON reader (RFC 8259) that never copies the text.
 *
 * kp_json_parse checks the whole document and builds a flat array of tokens that point into
 * the caller's text, so a secret inside a decrypted plaintext never leaves the caller's
 * (secure) buffer. Strict: one value, no trailing data, depth at most KP_JSON_MAX_DEPTH,
 * at most KP_JSON_MAX_MEMBERS members per object, duplicate keys refused, escapes refused
 * in keys, strings valid UTF-8 without control characters, and no escape that decodes to a
 * NUL or to a lone surrogate (kp_json_check offers the same verdict to faces that read JSON
 * with another parser).
 *
 * Tokens: an object's children are key, value, key, value…; `next` is the index of the token
 * after the whole subtree (the next sibling, or the end).
 */
#ifndef KP_JSON_H
#define KP_JSON_H

#include "internal.h"

#define KP_JSON_MAX_DEPTH 16
#define KP_JSON_MAX_MEMBERS 64

typedef enum { KP_J_OBJECT, KP_J_ARRAY, KP_J_STRING, KP_J_NUMBER, KP_J_TRUE, KP_J_FALSE, KP_J_NULL } kp_jtype;

typedef struct kp_jtok {
    uint8_t type;
    uint8_t escaped; /* strings: contains a backslash escape */
    uint32_t start;  /* strings: first byte after the quote */
    uint32_t len;    /* strings: bytes between the quotes */
    uint32_t next;   /* index after this token's subtree */
    uint32_t count;  /* objects: members; arrays: elements */
} kp_jtok;

typedef struct kp_json {
    const char *text;
    size_t len;
    kp_jtok *tok;
    size_t ntok, cap;
} kp_json;

/* Parses text[0..len). what names the document in messages ("export response").
 * Returns KP_OK, KP_ERR_EMPTY, KP_ERR_TOO_LARGE, KP_ERR_JSON or KP_ERR_NOMEM. */
kp_status kp_json_parse(kp_json *j, const char *text, size_t len, const char *what);
void kp_json_free(kp_json *j);

/* The value of member `key` of object token obj, or -1. */
int kp_json_get(const kp_json *j, int obj, const char *key);
/* First element of an array token (or first key of an object), -1 if empty. */
int kp_json_first(const kp_json *j, int container);
/* The next element after element i of array arr (or -1 at the end). */
int kp_json_next(const kp_json *j, int arr, int i);

/* Schema helpers. `path` names the field in messages ("encryptedKeyShares[2].signerId").
 * They fail with KP_ERR_FORMAT when the member is missing or of another type. */
kp_status kp_json_need(const kp_json *j, int obj, const char *key, kp_jtype type, const char *path, int *out);
/* An ASCII string without escapes: pointer into the text and its length. */
kp_status kp_json_need_str(const kp_json *j, int obj, const char *key, const char *path, const char **s, size_t *len);
/* The same for a secret string (a scalar's hex digits): its bytes stay secret for the ctime test. */
kp_status kp_json_need_secret_str(const kp_json *j, int obj, const char *key, const char *path, const char **s,
                                  size_t *len);
/* An integer in [lo, hi] written without fraction or exponent. */
kp_status kp_json_need_uint(const kp_json *j, int obj, const char *key, uint32_t lo, uint32_t hi, const char *path,
                            uint32_t *out);
/* Returns 1 if s[0..len) is valid UTF-8 (writers escape quotes, backslashes and control characters). */
int kp_utf8_valid(const char *s, size_t len);
/* Refuses (KP_ERR_FORMAT) any member of object obj whose key is not in the NULL-terminated list. */
kp_status kp_json_only(const kp_json *j, int obj, const char *const *allowed, const char *what);
/* Decodes a string token (escapes resolved) into a new malloc'd NUL-terminated string. */
kp_status kp_json_strdup(const kp_json *j, int tok, char **out);

#endif
