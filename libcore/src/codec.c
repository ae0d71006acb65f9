/* codec.c: hex and base64, strict and constant-time (libsodium's helpers are). */
#include <string.h>

#include <sodium.h>
#include <openssl/sha.h>

#include "internal.h"

void kp_hex_encode(char *out, const uint8_t *in, size_t len)
{
    sodium_bin2hex(out, 2 * len + 1, in, len);
}

/* The value of a hex digit c, and bad |= 1 if c is not one. Branch-free (libsodium's
 * sodium_hex2bin computes digits the same way but stops at the first bad one). */
static uint32_t hex_digit(unsigned char ch, uint32_t *bad)
{
    uint32_t c = ch;
    uint32_t num = c ^ 48u; /* '0'..'9' -> 0..9 */
    uint32_t num_ok = ((num - 10u) >> 31) & 1u;
    uint32_t alpha = (c & ~32u) - 55u; /* 'A'..'F' and 'a'..'f' -> 10..15 */
    uint32_t alpha_ok = (((alpha - 10u) ^ (alpha - 16u)) >> 31) & 1u;
    *bad |= (num_ok | alpha_ok) ^ 1u;
    return ((0u - num_ok) & num) | ((0u - alpha_ok) & alpha & 15u);
}

kp_status kp_hex_decode_exact(uint8_t *out, size_t outlen, const char *hex, size_t hexlen)
{
    uint32_t bad = 0;
    if (hexlen != 2 * outlen) {
        sodium_memzero(out, outlen);
        return kp_fail(KP_ERR_HEX, "expected %zu hex digits", 2 * outlen);
    }
    for (size_t i = 0; i < outlen; i++) {
        uint32_t hi = hex_digit((unsigned char)hex[2 * i], &bad);
        uint32_t lo = hex_digit((unsigned char)hex[2 * i + 1], &bad);
        out[i] = (uint8_t)((hi << 4) | lo);
    }
    KP_DECLASSIFY(&bad, sizeof bad); /* whether the text is hex is public: the caller is told */
    if (bad) {
        sodium_memzero(out, outlen);
        return kp_fail(KP_ERR_HEX, "expected %zu hex digits", 2 * outlen);
    }
    return KP_OK;
}

size_t kp_b64_encoded_len(size_t len)
{
    return 4 * ((len + 2) / 3);
}

void kp_b64_encode(char *out, const uint8_t *in, size_t len)
{
    sodium_bin2base64(out, kp_b64_encoded_len(len) + 1, in, len, sodium_base64_VARIANT_ORIGINAL);
}

kp_status kp_b64_decode(uint8_t *out, size_t *outlen, const char *b64, size_t b64len)
{
    /* 3 bytes per 4 digits is always room enough, so the only failure is a text that is not
     * canonical padded base64. */
    return kp_base64_decode(out, 3 * (b64len / 4), outlen, b64, b64len, 0);
}

void kp_random(uint8_t *out, size_t len)
{
    randombytes_buf(out, len);
}

void kp_sha256(uint8_t out[32], const uint8_t *in, size_t len)
{
    crypto_hash_sha256(out, in, len);
}

kp_status kp_base64_decode(uint8_t *out, size_t cap, size_t *outlen, const char *s, size_t len, int url)
{
    KP_ARG_CHECK(NULL, out != NULL && outlen != NULL && (s != NULL || len == 0));
    size_t got = 0;
    const char *end = NULL;
    *outlen = 0;
    /* libsodium indexes a 7-bit table with each byte, so a byte above 0x7f would be read as
     * an alphabet digit (0x8d as '/'): refuse them first, in time that depends on the length
     * only, since the text may be a sealed secret. */
    unsigned char high = 0;
    for (size_t i = 0; i < len; i++) high |= (unsigned char)s[i];
    if (high & 0x80) return kp_fail(KP_ERR_BASE64, url ? "not canonical base64url" : "not canonical padded base64");
    if (!url) {
        if (len % 4 != 0) return kp_fail(KP_ERR_BASE64, "not canonical padded base64");
    } else if (len % 4 == 1) {
        return kp_fail(KP_ERR_BASE64, "not canonical base64url");
    }
    /* The decoded size, padding taken off, so that an exactly sized buffer is enough. */
    size_t need = len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
    if (!url && len >= 4) need -= (s[len - 1] == '=') + (s[len - 2] == '=');
    if (need > cap) return kp_fail(KP_ERR_TOO_LARGE, "the base64 text decodes to more than %zu bytes", cap);
    if (sodium_base642bin(out, cap, s, len, NULL, &got, &end,
                          url ? sodium_base64_VARIANT_URLSAFE_NO_PADDING : sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != s + len)
        return kp_fail(KP_ERR_BASE64, url ? "not canonical base64url" : "not canonical padded base64");
    *outlen = got;
    return KP_OK;
}

void kp_hmac_sha256(uint8_t out[32], const uint8_t *key, size_t keylen, const uint8_t *m, size_t len)
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, keylen);
    crypto_auth_hmacsha256_update(&st, m, len);
    crypto_auth_hmacsha256_final(&st, out);
    sodium_memzero(&st, sizeof st);
}

void kp_random_bytes(void *out, size_t len)
{
    randombytes_buf(out, len);
}
