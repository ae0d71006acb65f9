/*
 * base58.c: Bitcoin's base58 alphabet and base58check (WIF, xprv, Solana keys and addresses),
 * written here because none of libsecp256k1, libsodium or OpenSSL has it.
 *
 * Secrets travel in base58 (WIF, xprv, a Solana secret key), so the codec works like the hex
 * and base64 ones: every loop runs over the whole fixed-size buffer, digits are mapped to and
 * from characters with range masks instead of table lookups, and a checksum is compared in
 * constant time. Only the length of the text, which is public, changes the running time.
 */
#include <string.h>

#include <sodium.h>

#include "keyfmt.h"

#define B58_MAX_BYTES 128 /* the largest value this codec handles (an xprv is 82 bytes) */

/* 1 if lo <= c <= hi, else 0, without a branch (c, lo, hi in 0..255). */
static inline int in_range(int c, int lo, int hi)
{
    return (((lo - 1 - c) & (c - hi - 1)) >> 8) & 1;
}

/* The digit of c (0..57), or -1 for a character outside the alphabet (0, O, I and l are not in it). */
static int b58_digit(unsigned char ch)
{
    int c = ch, d = 0, ok = 0, m;
    m = in_range(c, '1', '9'); d |= -m & (c - '1');      ok |= m;
    m = in_range(c, 'A', 'H'); d |= -m & (c - 'A' + 9);  ok |= m;
    m = in_range(c, 'J', 'N'); d |= -m & (c - 'J' + 17); ok |= m;
    m = in_range(c, 'P', 'Z'); d |= -m & (c - 'P' + 22); ok |= m;
    m = in_range(c, 'a', 'k'); d |= -m & (c - 'a' + 33); ok |= m;
    m = in_range(c, 'm', 'z'); d |= -m & (c - 'm' + 44); ok |= m;
    return d | (ok - 1); /* -1 when no range matched */
}

/* The character of digit d (0..57). */
static char b58_char(int d)
{
    int c = 0;
    c |= -in_range(d, 0, 8) & (d + '1');
    c |= -in_range(d, 9, 16) & (d - 9 + 'A');
    c |= -in_range(d, 17, 21) & (d - 17 + 'J');
    c |= -in_range(d, 22, 32) & (d - 22 + 'P');
    c |= -in_range(d, 33, 43) & (d - 33 + 'a');
    c |= -in_range(d, 44, 57) & (d - 44 + 'm');
    return (char)c;
}

/* Decodes s into exactly n big-endian bytes (n <= B58_MAX_BYTES). Returns 0 when s is base58 whose
 * value is exactly n bytes long (its leading '1's standing for its leading zero bytes), else -1;
 * bad says nothing about which character was wrong, so the caller's message cannot leak it. */
static int b58_decode_fixed(uint8_t *out, size_t n, const char *s, size_t len)
{
    unsigned bad = 0, carry_out = 0;
    size_t ones = 0, zeros = 0;
    unsigned still = 1;
    memset(out, 0, n);
    for (size_t i = 0; i < len; i++) {
        int d = b58_digit((unsigned char)s[i]);
        bad |= (unsigned)(d >> 8) & 1; /* d < 0 */
        unsigned carry = (unsigned)(d & 0xff) & 63;
        for (size_t j = n; j-- > 0;) {
            unsigned t = (unsigned)out[j] * 58 + carry;
            out[j] = (uint8_t)t;
            carry = t >> 8;
        }
        carry_out |= carry;
        still &= (unsigned)in_range((unsigned char)s[i], '1', '1');
        ones += still;
    }
    still = 1;
    for (size_t j = 0; j < n; j++) {
        still &= (unsigned)in_range(out[j], 0, 0);
        zeros += still;
    }
    bad |= carry_out != 0;
    bad |= ones != zeros;
    bad |= len == 0;
    return bad ? -1 : 0;
}

kp_status kp_base58_decode_exact(uint8_t *out, size_t n, const char *s, size_t len)
{
    if (n > B58_MAX_BYTES || len > 2 * B58_MAX_BYTES) {
        memset(out, 0, n > B58_MAX_BYTES ? B58_MAX_BYTES : n);
        return kp_fail(KP_ERR_BASE58, "the base58 text is too long");
    }
    if (b58_decode_fixed(out, n, s, len) != 0) {
        kp_memzero(out, n);
        return kp_fail(KP_ERR_BASE58, "not base58 of %zu bytes", n);
    }
    return KP_OK;
}

kp_status kp_base58_decode(uint8_t *out, size_t cap, size_t *outlen, const char *s, size_t len)
{
    KP_ARG_CHECK(NULL, out != NULL && outlen != NULL && (s != NULL || len == 0));
    uint8_t tmp[B58_MAX_BYTES];
    *outlen = 0;
    if (len == 0) return kp_fail(KP_ERR_EMPTY, "the base58 text is empty");
    if (len > 2 * B58_MAX_BYTES) return kp_fail(KP_ERR_TOO_LARGE, "the base58 text is longer than %d characters", 2 * B58_MAX_BYTES);
    size_t ones = 0;
    while (ones < len && s[ones] == '1') ones++;
    /* The value of the digits after the leading '1's, in B58_MAX_BYTES bytes. */
    unsigned carry_out = 0, bad = 0;
    memset(tmp, 0, sizeof tmp);
    for (size_t i = ones; i < len; i++) {
        int d = b58_digit((unsigned char)s[i]);
        bad |= d < 0;
        unsigned carry = (unsigned)(d & 63);
        for (size_t j = sizeof tmp; j-- > 0;) {
            unsigned t = (unsigned)tmp[j] * 58 + carry;
            tmp[j] = (uint8_t)t;
            carry = t >> 8;
        }
        carry_out |= carry;
    }
    if (bad) {
        kp_memzero(tmp, sizeof tmp);
        return kp_fail(KP_ERR_BASE58, "a character is not in the base58 alphabet (0, O, I and l are not)");
    }
    size_t lead = 0;
    while (lead < sizeof tmp && tmp[lead] == 0) lead++;
    size_t n = ones + (sizeof tmp - lead);
    if (carry_out || n > cap) {
        kp_memzero(tmp, sizeof tmp);
        return kp_fail(KP_ERR_TOO_LARGE, "the base58 text decodes to more than %zu bytes", cap);
    }
    memset(out, 0, ones);
    memcpy(out + ones, tmp + lead, sizeof tmp - lead);
    *outlen = n;
    kp_memzero(tmp, sizeof tmp);
    return KP_OK;
}

kp_status kp_base58_encode(kp_buf *out, const uint8_t *in, size_t len)
{
    KP_ARG_CHECK(NULL, out != NULL && (in != NULL || len == 0));
    if (len > B58_MAX_BYTES) return kp_fail(KP_ERR_TOO_LARGE, "base58 of more than %d bytes", B58_MAX_BYTES);
    enum { DIGITS = B58_MAX_BYTES * 138 / 100 + 1 };
    uint8_t b[DIGITS];
    char text[DIGITS + 1];
    size_t size = len * 138 / 100 + 1, zeros = 0;
    unsigned still = 1;
    memset(b, 0, sizeof b);
    for (size_t i = 0; i < len; i++) {
        still &= (unsigned)in_range(in[i], 0, 0);
        zeros += still;
        unsigned carry = in[i];
        for (size_t j = size; j-- > 0;) {
            carry += 256u * b[j];
            b[j] = (uint8_t)(carry % 58);
            carry /= 58;
        }
    }
    /* The number of leading zero digits depends on the value; the text's length shows it anyway. */
    size_t k = 0;
    while (k < size && b[k] == 0) k++;
    size_t n = 0;
    for (size_t i = 0; i < zeros; i++) text[n++] = '1';
    for (; k < size; k++) text[n++] = b58_char(b[k]);
    kp_status st = kp_buf_add(out, text, n);
    kp_memzero(b, sizeof b);
    kp_memzero(text, sizeof text);
    return st;
}

static void checksum4(uint8_t out[4], const uint8_t *p, size_t len)
{
    uint8_t h[32];
    crypto_hash_sha256(h, p, len);
    crypto_hash_sha256(h, h, 32);
    memcpy(out, h, 4);
    kp_memzero(h, sizeof h);
}

kp_status kp_base58check_encode(kp_buf *out, const uint8_t *payload, size_t len)
{
    uint8_t tmp[B58_MAX_BYTES];
    if (len + 4 > sizeof tmp) return kp_fail(KP_ERR_TOO_LARGE, "base58check of more than %d bytes", B58_MAX_BYTES - 4);
    memcpy(tmp, payload, len);
    checksum4(tmp + len, payload, len);
    kp_status st = kp_base58_encode(out, tmp, len + 4);
    kp_memzero(tmp, sizeof tmp);
    return st;
}

kp_status kp_base58check_decode_exact(uint8_t *payload, size_t n, const char *s, size_t len)
{
    uint8_t tmp[B58_MAX_BYTES], sum[4];
    memset(payload, 0, n);
    if (n + 4 > sizeof tmp) return kp_fail(KP_ERR_TOO_LARGE, "base58check of more than %d bytes", B58_MAX_BYTES - 4);
    kp_status st = kp_base58_decode_exact(tmp, n + 4, s, len);
    if (st == KP_OK) {
        checksum4(sum, tmp, n);
        if (kp_memcmp_ct(sum, tmp + n, 4) != 0)
            st = kp_fail(KP_ERR_CHECKSUM, "the base58check checksum does not match: a character is mistyped or missing");
        else
            memcpy(payload, tmp, n);
    }
    kp_memzero(tmp, sizeof tmp);
    kp_memzero(sum, sizeof sum);
    return st;
}
