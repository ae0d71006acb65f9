/*
 * field.h: arithmetic modulo a curve's group order n (< 2^256, odd), constant-time.
 *
 * One implementation serves the three curves: libsecp256k1 exposes no scalar inverse, and
 * Lagrange interpolation needs one. Elements are four little-endian 64-bit limbs, always
 * fully reduced (< n). Multiplication is Montgomery (CIOS) with R = 2^256; inversion is
 * Fermat's little theorem with a fixed, public exponent, so no branch or index depends on
 * an operand.
 */
#ifndef KP_FIELD_H
#define KP_FIELD_H

#include <stdint.h>

#include "keyport.h"

typedef struct { uint64_t v[4]; } kp_fe;

typedef struct kp_field {
    kp_fe n;        /* the modulus */
    uint64_t n0inv; /* -n^-1 mod 2^64 */
    kp_fe r2;       /* R^2 mod n */
    kp_fe nm2;      /* n - 2, the inversion exponent */
} kp_field;

/* The order of the curve's group. c must be a valid curve. */
const kp_field *kp_field_of(kp_curve c);

/* Reads 32 big-endian bytes. Returns 1 if the value is below n (r set), else 0 (r = value mod n
 * is still set, reduced). Constant-time. */
int kp_fe_from_bytes(const kp_field *f, kp_fe *r, const uint8_t b[32]);
/* Reads 64 big-endian bytes and reduces mod n (for uniform random scalars). */
void kp_fe_from_wide(const kp_field *f, kp_fe *r, const uint8_t b[64]);
void kp_fe_to_bytes(uint8_t b[32], const kp_fe *a);
void kp_fe_set_u32(kp_fe *r, uint32_t x);
int kp_fe_is_zero(const kp_fe *a);                 /* 1 or 0, constant-time */
int kp_fe_eq(const kp_fe *a, const kp_fe *b);      /* 1 or 0, constant-time */
void kp_fe_add(const kp_field *f, kp_fe *r, const kp_fe *a, const kp_fe *b);
void kp_fe_sub(const kp_field *f, kp_fe *r, const kp_fe *a, const kp_fe *b);
void kp_fe_mul(const kp_field *f, kp_fe *r, const kp_fe *a, const kp_fe *b);
/* r = a^-1 (0 for a = 0). */
void kp_fe_inv(const kp_field *f, kp_fe *r, const kp_fe *a);
/* r = a^-1 (0 for a = 0) in variable time, by the binary extended Euclidean algorithm.
 * For public values only: the Lagrange denominators, which depend only on share indices. */
void kp_fe_inv_var(const kp_field *f, kp_fe *r, const kp_fe *a);
/* A uniformly random non-zero element. */
void kp_fe_random(const kp_field *f, kp_fe *r);

/* Lagrange coefficients at x for the (public, distinct, non-zero) indices xs[0..k-1]:
 * lambda[i] = prod_{j != i} (x - xs[j]) / (xs[i] - xs[j]). One (variable-time) inversion for all k. */
void kp_lagrange(const kp_field *f, kp_fe *lambda, const uint32_t *xs, size_t k, uint32_t x);
/* The same at any field elements: xs[0..k-1] distinct (public, e.g. whole-scalar share indices). */
void kp_lagrange_fe(const kp_field *f, kp_fe *lambda, const kp_fe *xs, size_t k, const kp_fe *x);

#endif
