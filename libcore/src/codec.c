/* codec.c: hex and base64, strict and constant-time (libsodium's helpers are). */
#include <string.h>

#include <sodium.h>
#include <openssl/sha.h>

#include "internal.h"

void kp_hex_encode(char *out, const uint8_t *in, size_t len)
{
    sodium_bin2hex(out, 2 * len + 1, in, len);
}

kp_status kp_hex_decode_exact(uint8_t *out, size_t outlen, const char *hex, size_t hexlen)
{
    size_t got = 0;
    const char *end = NULL;
    if (hexlen != 2 * outlen ||
        sodium_hex2bin(out, outlen, hex, hexlen, NULL, &got, &end) != 0 || got != outlen ||
        end != hex + hexlen) {
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
    size_t got = 0;
    const char *end = NULL;
    *outlen = 0;
    /* Padded base64 has a length that is a multiple of 4; libsodium checks the alphabet,
     * the padding and that unused trailing bits are zero (canonical form). */
    if (b64len % 4 != 0 ||
        sodium_base642bin(out, 3 * (b64len / 4), b64, b64len, NULL, &got, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != b64 + b64len)
        return kp_fail(KP_ERR_BASE64, "not canonical padded base64");
    *outlen = got;
    return KP_OK;
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
