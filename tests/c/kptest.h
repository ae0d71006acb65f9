/*
 * kptest.h: what the Criterion suites share.
 *
 * - A seeded randomness source. libkeyport draws every random byte from libsodium's
 *   randombytes (internal.h: "the one source"), so the fixture installs a ChaCha20 stream
 *   keyed by SHA-256(seed || suite || test) before the library initializes libsodium. The
 *   seed is printed for every test; set KP_TEST_SEED=<hex> to replay a run.
 * - Test vectors are read from $KP_VECTORS (tests/vectors, set by tests/meson.build), with
 *   cJSON, never with the library's own JSON reader.
 * - Hex, base64 and 256-bit helpers written here (or taken from OpenSSL), so that a test
 *   never checks the library with the library.
 */
#ifndef KPTEST_H
#define KPTEST_H

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "keyport.h"

#define KPT_UNUSED __attribute__((unused))

static kp_ctx *ctx;

/* ------------------------------------------------------------ seeded randomness */

static uint8_t kpt_rng_key[32];
static uint64_t kpt_rng_counter;
static uint64_t kpt_seed;

static const char *kpt_rng_name(void) { return "kptest-chacha20"; }

static void kpt_rng_buf(void *const buf, const size_t size)
{
    uint8_t nonce[8];
    for (int i = 0; i < 8; i++) nonce[i] = (uint8_t)(kpt_rng_counter >> (8 * i));
    kpt_rng_counter++;
    memset(buf, 0, size);
    crypto_stream_chacha20_xor(buf, buf, size, nonce, kpt_rng_key);
}

static uint32_t kpt_rng_random(void)
{
    uint32_t r;
    kpt_rng_buf(&r, sizeof r);
    return r;
}

static randombytes_implementation kpt_rng_impl = {
    kpt_rng_name, kpt_rng_random, NULL, NULL, kpt_rng_buf, NULL,
};

/* Installs the seeded source for the current test and prints the seed. */
static KPT_UNUSED void kpt_seed_rng(void)
{
    const char *env = getenv("KP_TEST_SEED");
    if (env != NULL && *env != 0) {
        kpt_seed = strtoull(env, NULL, 16);
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        kpt_seed = ((uint64_t)ts.tv_sec * 1000000007u) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 40);
    }
    const char *suite = criterion_current_suite ? criterion_current_suite->name : "?";
    const char *test = criterion_current_test ? criterion_current_test->name : "?";
    crypto_hash_sha256_state h;
    uint8_t s[8];
    for (int i = 0; i < 8; i++) s[i] = (uint8_t)(kpt_seed >> (8 * i));
    crypto_hash_sha256_init(&h);
    crypto_hash_sha256_update(&h, s, sizeof s);
    crypto_hash_sha256_update(&h, (const uint8_t *)suite, strlen(suite) + 1);
    crypto_hash_sha256_update(&h, (const uint8_t *)test, strlen(test) + 1);
    crypto_hash_sha256_final(&h, kpt_rng_key);
    kpt_rng_counter = 0;
    randombytes_set_implementation(&kpt_rng_impl);
    fprintf(stderr, "[%s::%s] KP_TEST_SEED=%016" PRIx64 "\n", suite, test, kpt_seed);
}

static KPT_UNUSED void kpt_random(void *p, size_t n)
{
    randombytes_buf(p, n);
}

static KPT_UNUSED uint32_t kpt_uniform(uint32_t bound)
{
    return randombytes_uniform(bound);
}

/* ------------------------------------------------------------ fixtures */

static KPT_UNUSED void kpt_setup(void)
{
    kpt_seed_rng();
    cr_assert_eq(kp_ctx_new(&ctx), KP_OK, "kp_ctx_new failed: %s", kp_error_detail());
}

static KPT_UNUSED void kpt_teardown(void)
{
    kp_ctx_free(ctx);
    ctx = NULL;
}

/* ------------------------------------------------------------ hex */

static int kpt_hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes hex (optional 0x, odd length allowed) right-aligned into out[outlen], left-padded
 * with zeros. Returns 0, or -1 when it is not hex or does not fit. */
static KPT_UNUSED int kpt_unhex_pad(uint8_t *out, size_t outlen, const char *hex)
{
    if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) hex += 2;
    size_t n = strlen(hex);
    memset(out, 0, outlen);
    if (n > 2 * outlen) return -1;
    for (size_t i = 0; i < n; i++) {
        int v = kpt_hexval((unsigned char)hex[n - 1 - i]);
        if (v < 0) return -1;
        out[outlen - 1 - i / 2] |= (uint8_t)(i % 2 ? v << 4 : v);
    }
    return 0;
}

/* Decodes exactly 2*outlen hex digits. */
static KPT_UNUSED void kpt_unhex(uint8_t *out, size_t outlen, const char *hex)
{
    cr_assert_eq(strlen(hex), 2 * outlen, "hex \"%s\" is not %zu digits", hex, 2 * outlen);
    cr_assert_eq(kpt_unhex_pad(out, outlen, hex), 0, "bad hex \"%s\"", hex);
}

static KPT_UNUSED void kpt_hex(char *out, const uint8_t *in, size_t len)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = d[in[i] >> 4];
        out[2 * i + 1] = d[in[i] & 15];
    }
    out[2 * len] = 0;
}

/* ------------------------------------------------------------ base64 (OpenSSL) */

/* Standard padded base64 of len bytes; the caller frees. */
static KPT_UNUSED char *kpt_b64(const uint8_t *in, size_t len)
{
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    cr_assert_not_null(out);
    EVP_EncodeBlock((unsigned char *)out, in, (int)len);
    return out;
}

/* Decodes standard padded base64; the caller frees. Returns NULL if it is not base64. */
static KPT_UNUSED uint8_t *kpt_unb64(const char *s, size_t slen, size_t *outlen)
{
    if (slen % 4 != 0) return NULL;
    uint8_t *out = malloc(slen / 4 * 3 + 1);
    cr_assert_not_null(out);
    int n = EVP_DecodeBlock(out, (const unsigned char *)s, (int)slen);
    if (n < 0) {
        free(out);
        return NULL;
    }
    if (slen >= 1 && s[slen - 1] == '=') n--;
    if (slen >= 2 && s[slen - 2] == '=') n--;
    *outlen = (size_t)n;
    return out;
}

/* ------------------------------------------------------------ files and vectors */

static KPT_UNUSED char *kpt_read_vector(const char *name, size_t *len)
{
    const char *dir = getenv("KP_VECTORS");
    cr_assert_not_null(dir, "KP_VECTORS is not set (tests/meson.build sets it to tests/vectors)");
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s: %s", path, strerror(errno));
    cr_assert_eq(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    cr_assert_geq(n, 0);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    cr_assert_not_null(buf);
    cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    buf[n] = 0;
    if (len) *len = (size_t)n;
    return buf;
}

static KPT_UNUSED cJSON *kpt_load_json(const char *name)
{
    char *text = kpt_read_vector(name, NULL);
    cJSON *j = cJSON_Parse(text);
    free(text);
    cr_assert_not_null(j, "%s is not JSON", name);
    return j;
}

static KPT_UNUSED const char *kpt_jstr(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    cr_assert(cJSON_IsString(v), "vector field \"%s\" is missing or not a string", key);
    return v->valuestring;
}

/* ------------------------------------------------------------ 256-bit big-endian values */

/* The group orders. secp256k1: SEC 2 v2 §2.4.1. ed25519: RFC 8032 §5.1 (L). stark: cairo-lang
 * EC_ORDER (tests/vectors/stark-curve-params.cairo-lang.json; test_curve checks the copy). */
static const char *const KPT_ORDER_HEX[4] = {
    NULL,
    "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141",
    "1000000000000000000000000000000014def9dea2f79cd65812631a5cf5d3ed",
    "0800000000000010ffffffffffffffffb781126dcae7b2321e66a241adc64d2f",
};

static KPT_UNUSED void kpt_order(uint8_t out[32], kp_curve c)
{
    kpt_unhex(out, 32, KPT_ORDER_HEX[c]);
}

/* out = a + d (mod 2^256), d signed and small */
static KPT_UNUSED void kpt_add_small(uint8_t out[32], const uint8_t a[32], int d)
{
    int carry = d;
    for (int i = 31; i >= 0; i--) {
        int v = a[i] + carry;
        carry = v >> 8; /* arithmetic shift: -1 for a borrow */
        out[i] = (uint8_t)(v & 0xff);
    }
}

static KPT_UNUSED void kpt_scalar_u32(uint8_t out[32], uint32_t v)
{
    memset(out, 0, 32);
    out[28] = (uint8_t)(v >> 24);
    out[29] = (uint8_t)(v >> 16);
    out[30] = (uint8_t)(v >> 8);
    out[31] = (uint8_t)v;
}

/* Share indices as the public API takes them: whole 32-byte big-endian scalars. */
static KPT_UNUSED void kpt_indices(uint8_t (*out)[32], const uint32_t *in, size_t k)
{
    for (size_t i = 0; i < k; i++) kpt_scalar_u32(out[i], in[i]);
}

/* kp_share_combine with small integer indices. */
static KPT_UNUSED kp_status kpt_combine_u32(uint8_t secret[32], kp_curve c, const uint32_t *idx, const uint8_t (*shares)[32],
                                            size_t k)
{
    uint8_t xb[KP_MAX_SIGNERS][32] = {{0}};
    /* a count out of range is refused before any index is read: convert none of them then */
    if (k >= 1 && k <= KP_MAX_SIGNERS) kpt_indices(xb, idx, k);
    return kp_share_combine(secret, c, (const uint8_t(*)[32])xb, shares, k);
}

static KPT_UNUSED void kpt_random_scalar(uint8_t out[32], kp_curve c)
{
    cr_assert_eq(kp_scalar_random(out, c), KP_OK);
}

static KPT_UNUSED const char *kpt_curve_str(kp_curve c)
{
    const char *n = kp_curve_name(c);
    return n ? n : "?";
}

static const kp_curve KPT_CURVES[3] = {KP_CURVE_SECP256K1, KP_CURVE_ED25519, KP_CURVE_STARK};

/* A protocol that forms a scheme with the curve. */
static KPT_UNUSED kp_protocol kpt_protocol_for(kp_curve c)
{
    return c == KP_CURVE_ED25519 ? KP_PROTOCOL_FROST : KP_PROTOCOL_CGGMP21;
}

/* Checks a status with its name in the message. */
#define KPT_ST(got, want)                                                                                       \
    do {                                                                                                        \
        kp_status kpt_g_ = (got), kpt_w_ = (want);                                                             \
        cr_assert_eq(kpt_g_, kpt_w_, "%s:%d: got %s, want %s (detail: %s)", __FILE__, __LINE__,                 \
                     kp_status_name(kpt_g_) ? kp_status_name(kpt_g_) : "?", kp_status_name(kpt_w_),             \
                     kp_error_detail());                                                                        \
    } while (0)

static KPT_UNUSED int kpt_is_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++) acc |= b[i];
    return acc == 0;
}

#endif
