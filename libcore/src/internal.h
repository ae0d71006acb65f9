/*
 * internal.h: what every module of libkeyport shares and no caller sees.
 *
 * Constant-time helpers operate on 0/1 or all-ones masks derived without branches.
 * kp_fail() records the detail message of a failure for this thread and returns the code,
 * so a module writes `return kp_fail(KP_ERR_HEX, "…%s…", where);` at the point it knows
 * what was wrong and where.
 */
#ifndef KP_INTERNAL_H
#define KP_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <secp256k1.h>

#include "keyport.h"

struct kp_ctx {
    secp256k1_context *secp;
    void (*illegal)(const char *msg, void *data);
    void *illegal_data;
};

/* Records a detail message for this thread and returns st. Never pass a secret to it. */
kp_status kp_fail(kp_status st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Clears this thread's detail message. */
void kp_clear_error(void);
/* Reports misuse to the context's callback (or the default) and returns KP_ERR_MISUSE. */
kp_status kp_misuse(const kp_ctx *ctx, const char *what);

#define KP_ARG_CHECK(ctx, cond)                              \
    do {                                                     \
        if (!(cond)) return kp_misuse((ctx), #cond);         \
    } while (0)

/* ---- constant-time helpers (BearSSL style: masks, no branch on secrets) */

/* Marks len bytes at p as public by design: a value derived from secrets that the library may
 * branch on or hand out (a public key, a ciphertext, a validity result). It changes nothing at
 * run time; under valgrind memcheck (the ctime test, which marks secrets undefined) it makes
 * the bytes defined, so that only branches and indexes on secrets are reported. Every use says
 * why the value is public. */
#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define KP_DECLASSIFY(p, len) ((void)VALGRIND_MAKE_MEM_DEFINED((p), (len)))
#endif
#endif
#ifndef KP_DECLASSIFY
#define KP_DECLASSIFY(p, len) ((void)(p), (void)(len))
#endif

/* x, declassified: for a validity result (0 or 1) that is public by design */
static inline int kp_public_bit(int x)
{
    KP_DECLASSIFY(&x, sizeof x);
    return x;
}

/* all ones if x != 0, else 0 */
static inline uint64_t kp_ct_nonzero_mask(uint64_t x)
{
    return (uint64_t)0 - ((x | ((uint64_t)0 - x)) >> 63);
}
/* r = mask ? a : b, for whole buffers */
static inline void kp_ct_select(uint8_t *r, const uint8_t *a, const uint8_t *b, size_t len, uint8_t mask)
{
    for (size_t i = 0; i < len; i++) r[i] = (uint8_t)(b[i] ^ (mask & (a[i] ^ b[i])));
}

/* ---- hex and base64 (codec.c) */

/* Lower-case hex of len bytes into out (2*len+1 bytes, NUL-terminated). Constant-time. */
void kp_hex_encode(char *out, const uint8_t *in, size_t len);
/* Decodes exactly 2*outlen hex digits (either case). Constant-time in the digits.
 * Returns KP_OK or KP_ERR_HEX; out is zeroed on failure. */
kp_status kp_hex_decode_exact(uint8_t *out, size_t outlen, const char *hex, size_t hexlen);
/* Standard padded base64. out must hold 4*ceil(len/3)+1 bytes. */
void kp_b64_encode(char *out, const uint8_t *in, size_t len);
size_t kp_b64_encoded_len(size_t len);
/* Strict decode: canonical padded standard base64, no white space. *outlen gets the length.
 * out must hold 3*(b64len/4) bytes. Returns KP_OK or KP_ERR_BASE64. */
kp_status kp_b64_decode(uint8_t *out, size_t *outlen, const char *b64, size_t b64len);

/* ---- randomness: the one source (libsodium's randombytes) */
void kp_random(uint8_t *out, size_t len);


/* ---- export context files (context.c) */
/* Checks a context file's size, magic, version and KDF parameters, without the passphrase. */
kp_status kp_context_header_check(const uint8_t *file, size_t len, uint32_t *ops, uint32_t *mem_kib);
/* The same format for any 32-byte secret, told apart by a 4-byte magic. */
kp_status kp_sealed_seal(const char magic[4], uint8_t file[KP_CONTEXT_FILE_BYTES], const uint8_t secret[32],
                         const char *pass, size_t passlen, kp_kdf_strength strength);
kp_status kp_sealed_open(const char magic[4], uint8_t secret[32], const uint8_t *file, size_t len, const char *pass,
                         size_t passlen);
kp_status kp_sealed_header_check(const char magic[4], const uint8_t *file, size_t len, uint32_t *ops,
                                 uint32_t *mem_kib);

/* ---- buffers */
kp_status kp_buf_addf(kp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Makes room for n more bytes; returns a pointer to them (or NULL on failure) and grows len. */
uint8_t *kp_buf_extend(kp_buf *b, size_t n);

#include "private_api.h"

#endif
