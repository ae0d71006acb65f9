/*
 * vss.c: Feldman verifiable secret sharing, the building block of distributed key generation
 * (keyportd's POST /keys), and the scalar and point sums that combine the dealings.
 */
#include <string.h>

#include "curve.h"

size_t kp_public_key_bytes(kp_curve c)
{
    const kp_curve_ops *ops = (c >= KP_CURVE_SECP256K1 && c <= KP_CURVE_STARK) ? kp_curve_ops_of(c) : NULL;
    return ops ? ops->pub_len : 0;
}

kp_status kp_vss_deal(const kp_ctx *ctx, uint8_t (*shares)[32], uint8_t *commitments, kp_curve c, unsigned t,
                      unsigned n)
{
    KP_ARG_CHECK(ctx, ctx != NULL && shares != NULL && commitments != NULL);
    const kp_field *f = kp_field_of(c);
    const kp_curve_ops *ops = kp_curve_ops_of(c);
    if (f == NULL || ops == NULL) return kp_fail(KP_ERR_CURVE, "unknown curve %d", (int)c);
    if (t < 1 || t > n || n > KP_MAX_SIGNERS)
        return kp_fail(KP_ERR_THRESHOLD, "threshold %u of %u is out of range (1 <= t <= n <= %d)", t, n, KP_MAX_SIGNERS);
    kp_fe coef[KP_MAX_SIGNERS], x, y;
    uint8_t s[32];
    kp_point C;
    kp_status st = KP_OK;
    int zero;
    do {
        zero = 0;
        for (unsigned k = 0; k < t; k++) kp_fe_random(f, &coef[k]); /* non-zero, so every C_k is a point */
        for (unsigned j = 1; j <= n; j++) {
            kp_fe_set_u32(&x, j);
            y = coef[t - 1];
            for (unsigned k = t - 1; k-- > 0;) {
                kp_fe_mul(f, &y, &y, &x);
                kp_fe_add(f, &y, &y, &coef[k]);
            }
            zero |= kp_fe_is_zero(&y);
            kp_fe_to_bytes(shares[j - 1], &y);
        }
    } while (kp_public_bit(zero)); /* a zero share is refused downstream: draw again (probability ~n/2^252) */
    for (unsigned k = 0; k < t && st == KP_OK; k++) {
        kp_fe_to_bytes(s, &coef[k]);
        if ((st = ops->base_mul(ctx, &C, s)) == KP_OK) ops->serialize(ctx, commitments + k * ops->pub_len, &C, 1);
    }
    kp_memzero(coef, sizeof coef);
    kp_memzero(&y, sizeof y);
    kp_memzero(s, sizeof s);
    if (st != KP_OK) kp_memzero(shares, (size_t)n * 32);
    return st;
}

/* sum_k C_k · index^k */
static kp_status evaluate(const kp_ctx *ctx, kp_point *r, kp_curve c, unsigned t, const uint8_t *commitments,
                          unsigned index)
{
    const kp_field *f = kp_field_of(c);
    const kp_curve_ops *ops = kp_curve_ops_of(c);
    kp_point C[KP_MAX_SIGNERS];
    kp_fe pw[KP_MAX_SIGNERS], x;
    if (f == NULL || ops == NULL) return kp_fail(KP_ERR_CURVE, "unknown curve %d", (int)c);
    if (t < 1 || t > KP_MAX_SIGNERS) return kp_fail(KP_ERR_THRESHOLD, "threshold %u is out of range", t);
    for (unsigned k = 0; k < t; k++)
        if (ops->parse(ctx, &C[k], commitments + k * ops->pub_len, ops->pub_len) != KP_OK)
            return kp_fail(KP_ERR_POINT, "commitment %u is not a valid %s point", k, ops->name);
    if (index == 0) {
        *r = C[0];
        return KP_OK;
    }
    kp_fe_set_u32(&x, index);
    kp_fe_set_u32(&pw[0], 1);
    for (unsigned k = 1; k < t; k++) kp_fe_mul(f, &pw[k], &pw[k - 1], &x);
    return kp_point_lincomb(ctx, r, C, pw, t);
}

kp_status kp_vss_check(const kp_ctx *ctx, kp_curve c, unsigned t, const uint8_t *commitments, unsigned index,
                       const uint8_t share[32])
{
    KP_ARG_CHECK(ctx, ctx != NULL && commitments != NULL && share != NULL);
    kp_point want, got;
    kp_status st;
    kp_clear_error();
    if (index == 0) return kp_fail(KP_ERR_FORMAT, "share index 0 is not allowed");
    if ((st = kp_scalar_check(c, share)) != KP_OK) return st;
    if ((st = evaluate(ctx, &want, c, t, commitments, index)) != KP_OK) return st;
    if ((st = kp_curve_ops_of(c)->base_mul(ctx, &got, share)) != KP_OK) return st;
    if (!kp_point_eq(ctx, &got, &want))
        return kp_fail(KP_ERR_SHARE_MISMATCH, "the share for index %u does not match the dealer's commitments", index);
    return KP_OK;
}

kp_status kp_vss_public(const kp_ctx *ctx, uint8_t *pub, kp_curve c, unsigned t, const uint8_t *commitments,
                        unsigned index)
{
    KP_ARG_CHECK(ctx, ctx != NULL && pub != NULL && commitments != NULL);
    kp_point p;
    kp_status st = evaluate(ctx, &p, c, t, commitments, index);
    if (st != KP_OK) return st;
    kp_curve_ops_of(c)->serialize(ctx, pub, &p, 1);
    return KP_OK;
}

kp_status kp_scalar_add(uint8_t r[32], kp_curve c, const uint8_t a[32], const uint8_t b[32])
{
    KP_ARG_CHECK(NULL, r != NULL && a != NULL && b != NULL);
    const kp_field *f = kp_field_of(c);
    kp_fe x, y;
    if (f == NULL) {
        memset(r, 0, 32);
        return kp_fail(KP_ERR_CURVE, "unknown curve %d", (int)c);
    }
    /* the inputs are read before r is written: r may be a or b (r = r + x) */
    int ok = kp_fe_from_bytes(f, &x, a) & kp_fe_from_bytes(f, &y, b);
    kp_fe_add(f, &x, &x, &y);
    ok &= kp_fe_is_zero(&x) ^ 1;
    if (ok) kp_fe_to_bytes(r, &x);
    else memset(r, 0, 32);
    kp_memzero(&x, sizeof x);
    kp_memzero(&y, sizeof y);
    return ok ? KP_OK : kp_fail(KP_ERR_SCALAR, "an operand is not below the %s order, or the sum is zero", kp_curve_name(c));
}

kp_status kp_public_key_add(const kp_ctx *ctx, uint8_t *r, kp_curve c, const uint8_t *a, const uint8_t *b)
{
    KP_ARG_CHECK(ctx, ctx != NULL && r != NULL && a != NULL && b != NULL);
    const kp_curve_ops *ops = kp_curve_ops_of(c);
    kp_point pa, pb, sum;
    kp_status st;
    if (ops == NULL) return KP_ERR_CURVE;
    if (ops->parse(ctx, &pa, a, ops->pub_len) != KP_OK || ops->parse(ctx, &pb, b, ops->pub_len) != KP_OK)
        return kp_fail(KP_ERR_POINT, "not a valid %s public key", ops->name);
    if ((st = ops->add(ctx, &sum, &pa, &pb)) != KP_OK) return st;
    ops->serialize(ctx, r, &sum, 1);
    return KP_OK;
}
