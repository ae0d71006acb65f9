/*
 * curve.h: one table of point operations per curve.
 *
 * A kp_point holds a valid point that is not the identity, in a per-curve form:
 * secp256k1: libsecp256k1's secp256k1_pubkey; ed25519: its 32-byte encoding; stark: affine
 * x || y, 32 bytes each, big-endian. Points are reached only through parse and serialize.
 * Operations that would produce the identity fail (KP_ERR_POINT).
 *
 * base_mul takes a secret scalar and is constant-time; mul takes a public one (the
 * Lagrange coefficients of share checks) and may be variable-time (stark's is constant-time
 * too). Stark runs on keyport's own arithmetic (stark.c); the others on libsecp256k1 and
 * libsodium.
 */
#ifndef KP_CURVE_H
#define KP_CURVE_H

#include "field.h"
#include "internal.h"

typedef struct kp_point {
    kp_curve curve;
    uint8_t raw[64];
} kp_point;

typedef struct kp_curve_ops {
    kp_curve id;
    const char *name;
    size_t pub_len;   /* wire publicKey: compressed */
    size_t point_len; /* wire plaintext point: uncompressed */
    kp_status (*base_mul)(const kp_ctx *ctx, kp_point *r, const uint8_t s[32]);
    kp_status (*mul)(const kp_ctx *ctx, kp_point *r, const kp_point *p, const uint8_t s[32]);
    kp_status (*add)(const kp_ctx *ctx, kp_point *r, const kp_point *a, const kp_point *b);
    kp_status (*parse)(const kp_ctx *ctx, kp_point *r, const uint8_t *in, size_t len);
    /* compressed: pub_len bytes, else point_len bytes */
    void (*serialize)(const kp_ctx *ctx, uint8_t *out, const kp_point *p, int compressed);
} kp_curve_ops;

/* The table for a curve, or NULL (with a detail) for an unknown one. */
const kp_curve_ops *kp_curve_ops_of(kp_curve c);

int kp_point_eq(const kp_ctx *ctx, const kp_point *a, const kp_point *b);

/* r = sum lambda_i * p_i (public scalars). */
kp_status kp_point_lincomb(const kp_ctx *ctx, kp_point *r, const kp_point *p, const kp_fe *lambda, size_t k);

/* public_shares[i] = shares[i]·G for the n shares f(1..n) of one polynomial of degree t-1.
 * Stark takes t base multiplications (of f's forward differences at 1) and (n-1)(t-1) point
 * additions, with one inversion for all n points; the other curves n base multiplications.
 * shares secret; pubs public. */
kp_status kp_public_shares(const kp_ctx *ctx, kp_point *pubs, kp_curve c, const uint8_t (*shares)[32], unsigned t,
                           unsigned n);

/* stark.c: the Stark entries of the table, and its shortcuts for the two functions above. */
kp_status kp_stark_base_mul(const kp_ctx *ctx, kp_point *r, const uint8_t s[32]);
kp_status kp_stark_mul(const kp_ctx *ctx, kp_point *r, const kp_point *p, const uint8_t s[32]);
kp_status kp_stark_add(const kp_ctx *ctx, kp_point *r, const kp_point *a, const kp_point *b);
kp_status kp_stark_parse(const kp_ctx *ctx, kp_point *r, const uint8_t *in, size_t len);
void kp_stark_serialize(const kp_ctx *ctx, uint8_t *out, const kp_point *p, int compressed);
kp_status kp_stark_lincomb(const kp_ctx *ctx, kp_point *r, const kp_point *p, const kp_fe *lambda, size_t k);
kp_status kp_stark_public_shares(const kp_ctx *ctx, kp_point *pubs, const uint8_t (*shares)[32], unsigned t,
                                 unsigned n);

/* secp256k1 ECDH returning the 33-byte compressed shared point (docs/wire.md §1 step 2). s secret. */
kp_status kp_secp_ecdh(const kp_ctx *ctx, uint8_t shared[33], const uint8_t point[33], const uint8_t s[32]);

#endif
