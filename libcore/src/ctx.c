/* ctx.c: the context, curve and scheme names, and key-level helpers. */
#include <string.h>

#include <sodium.h>

#include "curve.h"
#include "field.h"

kp_status kp_ctx_new(kp_ctx **out)
{
    KP_ARG_CHECK(NULL, out != NULL);
    uint8_t seed[32];
    *out = NULL;
    if (sodium_init() < 0) return kp_fail(KP_ERR_RANDOM, "libsodium could not be initialized");
    kp_ctx *ctx = calloc(1, sizeof *ctx);
    if (ctx == NULL) return kp_fail(KP_ERR_NOMEM, "out of memory");
    ctx->secp = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    if (ctx->secp == NULL) {
        free(ctx);
        return kp_fail(KP_ERR_NOMEM, "out of memory");
    }
    /* Blinding for side-channel resistance of libsecp256k1's signing-class operations. */
    kp_random(seed, sizeof seed);
    int ok = secp256k1_context_randomize(ctx->secp, seed);
    sodium_memzero(seed, sizeof seed);
    if (!ok) {
        kp_ctx_free(ctx);
        return kp_fail(KP_ERR_INTERNAL, "libsecp256k1 randomize failed");
    }
    kp_field_of(KP_CURVE_SECP256K1); /* set up the field tables before any thread shares ctx */
    *out = ctx;
    return KP_OK;
}

void kp_ctx_free(kp_ctx *ctx)
{
    if (ctx == NULL) return;
    if (ctx->secp != NULL) secp256k1_context_destroy(ctx->secp);
    free(ctx);
}

void kp_ctx_set_illegal_callback(kp_ctx *ctx, void (*fn)(const char *msg, void *data), void *data)
{
    if (ctx == NULL) return;
    ctx->illegal = fn;
    ctx->illegal_data = data;
}

const char *kp_curve_name(kp_curve c)
{
    const kp_curve_ops *ops = (c >= KP_CURVE_SECP256K1 && c <= KP_CURVE_STARK) ? kp_curve_ops_of(c) : NULL;
    return ops ? ops->name : NULL;
}

kp_status kp_curve_from_name(kp_curve *out, const char *name)
{
    KP_ARG_CHECK(NULL, out != NULL && name != NULL);
    for (int c = KP_CURVE_SECP256K1; c <= KP_CURVE_STARK; c++)
        if (strcmp(name, kp_curve_name((kp_curve)c)) == 0) {
            *out = (kp_curve)c;
            return KP_OK;
        }
    *out = (kp_curve)0;
    return kp_fail(KP_ERR_CURVE, "unknown curve \"%.32s\" (known: secp256k1, ed25519, stark)", name);
}

static const char *const PROTOCOLS[] = {NULL, "CGGMP21", "CGGMP24", "FROST", "FROST_BITCOIN"};

const char *kp_protocol_name(kp_protocol p)
{
    return (p >= KP_PROTOCOL_CGGMP21 && p <= KP_PROTOCOL_FROST_BITCOIN) ? PROTOCOLS[p] : NULL;
}

kp_status kp_protocol_from_name(kp_protocol *out, const char *name)
{
    KP_ARG_CHECK(NULL, out != NULL && name != NULL);
    for (int p = KP_PROTOCOL_CGGMP21; p <= KP_PROTOCOL_FROST_BITCOIN; p++)
        if (strcmp(name, PROTOCOLS[p]) == 0) {
            *out = (kp_protocol)p;
            return KP_OK;
        }
    *out = (kp_protocol)0;
    return kp_fail(KP_ERR_SCHEME, "unknown protocol \"%.32s\"; valid protocol/curve pairs: %s", name, kp_scheme_list());
}

const char *kp_scheme_list(void)
{
    return "CGGMP21/secp256k1, CGGMP21/stark, CGGMP24/secp256k1, CGGMP24/stark, FROST/ed25519, FROST_BITCOIN/secp256k1";
}

kp_status kp_scheme_check(kp_protocol p, kp_curve c)
{
    int ok = 0;
    switch (p) {
    case KP_PROTOCOL_CGGMP21:
    case KP_PROTOCOL_CGGMP24: ok = c == KP_CURVE_SECP256K1 || c == KP_CURVE_STARK; break;
    case KP_PROTOCOL_FROST: ok = c == KP_CURVE_ED25519; break;
    case KP_PROTOCOL_FROST_BITCOIN: ok = c == KP_CURVE_SECP256K1; break;
    }
    if (ok) return KP_OK;
    const char *pn = kp_protocol_name(p), *cn = kp_curve_name(c);
    return kp_fail(KP_ERR_SCHEME, "protocol %s with curve %s is not supported; valid protocol/curve pairs: %s",
                   pn ? pn : "(unknown)", cn ? cn : "(unknown)", kp_scheme_list());
}

kp_status kp_scalar_check(kp_curve c, const uint8_t scalar[32])
{
    KP_ARG_CHECK(NULL, scalar != NULL);
    const kp_field *f = kp_field_of(c);
    if (f == NULL) return kp_fail(KP_ERR_CURVE, "unknown curve %d", (int)c);
    kp_fe v;
    /* whether a key is valid is public: the caller is told */
    int ok = kp_public_bit(kp_fe_from_bytes(f, &v, scalar) & (kp_fe_is_zero(&v) ^ 1));
    kp_memzero(&v, sizeof v);
    return ok ? KP_OK : kp_fail(KP_ERR_SCALAR, "scalar is zero or not below the %s order", kp_curve_name(c));
}

kp_status kp_scalar_random(uint8_t out[32], kp_curve c)
{
    KP_ARG_CHECK(NULL, out != NULL);
    const kp_field *f = kp_field_of(c);
    kp_fe v;
    if (f == NULL) return kp_fail(KP_ERR_CURVE, "unknown curve %d", (int)c);
    kp_fe_random(f, &v);
    kp_fe_to_bytes(out, &v);
    kp_memzero(&v, sizeof v);
    return KP_OK;
}

kp_status kp_public_key(const kp_ctx *ctx, uint8_t *pub, size_t *pub_len, kp_curve c, const uint8_t secret[32])
{
    KP_ARG_CHECK(ctx, ctx != NULL && pub != NULL && pub_len != NULL && secret != NULL);
    const kp_curve_ops *ops = kp_curve_ops_of(c);
    kp_point p;
    kp_status st;
    *pub_len = 0;
    if (ops == NULL) return KP_ERR_CURVE;
    if ((st = kp_scalar_check(c, secret)) != KP_OK || (st = ops->base_mul(ctx, &p, secret)) != KP_OK) return st;
    ops->serialize(ctx, pub, &p, 1);
    *pub_len = ops->pub_len;
    return KP_OK;
}

kp_status kp_ed25519_seed_to_scalar(uint8_t scalar[32], const uint8_t seed[32])
{
    KP_ARG_CHECK(NULL, scalar != NULL && seed != NULL);
    uint8_t h[64], wide[64] = {0};
    crypto_hash_sha512(h, seed, 32);
    /* docs/wire.md §4 step 1 (RFC 8032 §5.1.5): clamp the first half, read it little-endian, reduce mod l. */
    h[0] &= 0xF8;
    h[31] &= 0x7F;
    h[31] |= 0x40;
    memcpy(wide, h, 32);
    crypto_core_ed25519_scalar_reduce(h, wide);
    for (int i = 0; i < 32; i++) scalar[i] = h[31 - i];
    sodium_memzero(h, sizeof h);
    sodium_memzero(wide, sizeof wide);
    return kp_scalar_check(KP_CURVE_ED25519, scalar) == KP_OK ? KP_OK
                                                              : kp_fail(KP_ERR_SCALAR, "the seed reduces to zero");
}

/* all ones if c == x, else 0 (bytes) */
static size_t eq_mask_byte(unsigned char c, unsigned char x)
{
    return (size_t)0 - (size_t)((((unsigned)(c ^ x)) - 1u) >> 31);
}

static size_t ws_mask(unsigned char c)
{
    return eq_mask_byte(c, ' ') | eq_mask_byte(c, '\t') | eq_mask_byte(c, '\n') | eq_mask_byte(c, '\r');
}

/* The digits of hex without surrounding white space and an optional 0x: [*a, *b). Constant-time
 * in the characters: every byte is read once each way with masks (no branch on a digit, which
 * would tell whether a key starts with 0). The bounds it returns are the layout of the text (how
 * much white space, whether there is a 0x), public by design, and declassified as such. */
static void trim_hex(const char *hex, size_t len, size_t *a, size_t *b)
{
    size_t lead = 0, trail = 0, in_lead = ~(size_t)0, in_trail = ~(size_t)0;
    for (size_t i = 0; i < len; i++) {
        in_lead &= ws_mask((unsigned char)hex[i]);
        lead += in_lead & 1;
        in_trail &= ws_mask((unsigned char)hex[len - 1 - i]);
        trail += in_trail & 1;
    }
    KP_DECLASSIFY(&lead, sizeof lead);
    KP_DECLASSIFY(&trail, sizeof trail);
    *a = lead;
    *b = lead == len ? len : len - trail; /* all white space: empty */
    if (*b - *a >= 2) {
        unsigned char c0 = (unsigned char)hex[*a], c1 = (unsigned char)hex[*a + 1];
        size_t prefix = eq_mask_byte(c0, '0') & (eq_mask_byte(c1, 'x') | eq_mask_byte(c1, 'X')) & 2;
        KP_DECLASSIFY(&prefix, sizeof prefix); /* a key digit is never x: this is layout */
        *a += prefix;
    }
}

kp_status kp_bytes_from_hex(uint8_t *out, size_t outlen, const char *hex, size_t len)
{
    KP_ARG_CHECK(NULL, out != NULL && (hex != NULL || len == 0));
    size_t a, b;
    memset(out, 0, outlen);
    trim_hex(hex, len, &a, &b);
    if (a == b) return kp_fail(KP_ERR_EMPTY, "no hex digits given");
    if (kp_hex_decode_exact(out, outlen, hex + a, b - a) != KP_OK)
        return kp_fail(KP_ERR_HEX, "expected exactly %zu hex digits (0-9, a-f), got %zu characters", 2 * outlen, b - a);
    return KP_OK;
}

kp_status kp_scalar_from_hex(uint8_t scalar[32], kp_curve c, const char *hex, size_t len)
{
    KP_ARG_CHECK(NULL, scalar != NULL && (hex != NULL || len == 0));
    char digits[64];
    size_t a, b;
    memset(scalar, 0, 32);
    trim_hex(hex, len, &a, &b);
    if (a == b) return kp_fail(KP_ERR_EMPTY, "the key is empty");
    if (b - a > 64) return kp_fail(KP_ERR_HEX, "the key has %zu hex digits; at most 64 are allowed", b - a);
    /* Left-pad to 64 digits (docs/wire.md §4 step 1), then decode all 32 bytes at once. */
    memset(digits, '0', sizeof digits);
    memcpy(digits + 64 - (b - a), hex + a, b - a);
    kp_status st = kp_hex_decode_exact(scalar, 32, digits, sizeof digits);
    sodium_memzero(digits, sizeof digits);
    if (st != KP_OK) return kp_fail(KP_ERR_HEX, "the key is not hex (expected up to 64 digits 0-9, a-f)");
    if (kp_scalar_check(c, scalar) != KP_OK) {
        sodium_memzero(scalar, 32);
        return kp_fail(KP_ERR_SCALAR, "the key is zero or not below the %s curve order", kp_curve_name(c));
    }
    return KP_OK;
}
