/* field.c: see field.h. */
#include <pthread.h>
#include <string.h>

#include "field.h"
#include "internal.h"

typedef unsigned __int128 u128;

/* Orders, big-endian hex in the comments, little-endian limbs in the tables.
 * secp256k1: SEC 2 §2.4.1. ed25519: RFC 8032 §5.1 (L). stark: cairo-lang EC_ORDER. */
static const uint64_t N_SECP[4] = {0xBFD25E8CD0364141ULL, 0xBAAEDCE6AF48A03BULL, 0xFFFFFFFFFFFFFFFEULL,
                                   0xFFFFFFFFFFFFFFFFULL};
static const uint64_t N_ED[4] = {0x5812631A5CF5D3EDULL, 0x14DEF9DEA2F79CD6ULL, 0x0000000000000000ULL,
                                 0x1000000000000000ULL};
static const uint64_t N_STARK[4] = {0x1E66A241ADC64D2FULL, 0xB781126DCAE7B232ULL, 0xFFFFFFFFFFFFFFFFULL,
                                    0x0800000000000010ULL};

static kp_field fields[3];
static pthread_once_t fields_once = PTHREAD_ONCE_INIT;

/* r = a - b, returns the borrow (0 or 1) */
static uint64_t sub4(uint64_t r[4], const uint64_t a[4], const uint64_t b[4])
{
    uint64_t borrow = 0;
    for (int i = 0; i < 4; i++) {
        u128 d = (u128)a[i] - b[i] - borrow;
        r[i] = (uint64_t)d;
        borrow = (uint64_t)(d >> 64) & 1;
    }
    return borrow;
}

/* r = a + b, returns the carry */
static uint64_t add4(uint64_t r[4], const uint64_t a[4], const uint64_t b[4])
{
    uint64_t carry = 0;
    for (int i = 0; i < 4; i++) {
        u128 s = (u128)a[i] + b[i] + carry;
        r[i] = (uint64_t)s;
        carry = (uint64_t)(s >> 64);
    }
    return carry;
}

/* r = mask ? a : b */
static void sel4(uint64_t r[4], uint64_t mask, const uint64_t a[4], const uint64_t b[4])
{
    for (int i = 0; i < 4; i++) r[i] = b[i] ^ (mask & (a[i] ^ b[i]));
}

/* Given a value hi*2^256 + a with the whole < 2n, returns it reduced below n. */
static void reduce_once(const kp_field *f, uint64_t r[4], const uint64_t a[4], uint64_t hi)
{
    uint64_t t[4];
    uint64_t borrow = sub4(t, a, f->n.v);
    /* keep t when hi:a >= n, that is when hi is set or there was no borrow */
    uint64_t keep_t = kp_ct_nonzero_mask(hi | (borrow ^ 1));
    sel4(r, keep_t, t, a);
}

void kp_fe_add(const kp_field *f, kp_fe *r, const kp_fe *a, const kp_fe *b)
{
    uint64_t t[4];
    uint64_t carry = add4(t, a->v, b->v);
    reduce_once(f, r->v, t, carry);
}

void kp_fe_sub(const kp_field *f, kp_fe *r, const kp_fe *a, const kp_fe *b)
{
    uint64_t t[4], u[4];
    uint64_t borrow = sub4(t, a->v, b->v);
    add4(u, t, f->n.v);
    sel4(r->v, kp_ct_nonzero_mask(borrow), u, t);
}

/* Montgomery product a*b*R^-1 mod n (CIOS). Inputs below n; output below n. */
static void mont_mul(const kp_field *f, uint64_t r[4], const uint64_t a[4], const uint64_t b[4])
{
    uint64_t t[6] = {0};
    for (int i = 0; i < 4; i++) {
        u128 c = 0;
        for (int j = 0; j < 4; j++) {
            c = (u128)a[j] * b[i] + t[j] + (uint64_t)(c >> 64);
            t[j] = (uint64_t)c;
        }
        c = (u128)t[4] + (uint64_t)(c >> 64);
        t[4] = (uint64_t)c;
        t[5] = (uint64_t)(c >> 64);

        uint64_t m = t[0] * f->n0inv;
        c = (u128)m * f->n.v[0] + t[0];
        for (int j = 1; j < 4; j++) {
            c = (u128)m * f->n.v[j] + t[j] + (uint64_t)(c >> 64);
            t[j - 1] = (uint64_t)c;
        }
        c = (u128)t[4] + (uint64_t)(c >> 64);
        t[3] = (uint64_t)c;
        t[4] = t[5] + (uint64_t)(c >> 64);
    }
    reduce_once(f, r, t, t[4]);
}

void kp_fe_mul(const kp_field *f, kp_fe *r, const kp_fe *a, const kp_fe *b)
{
    uint64_t t[4];
    mont_mul(f, t, a->v, b->v);      /* a*b/R */
    mont_mul(f, r->v, t, f->r2.v);   /* a*b */
}

void kp_fe_inv(const kp_field *f, kp_fe *r, const kp_fe *a)
{
    /* Square-and-multiply over the public exponent n-2, in the Montgomery domain. */
    uint64_t x[4], acc[4], one[4] = {1, 0, 0, 0};
    mont_mul(f, x, a->v, f->r2.v);   /* a*R */
    mont_mul(f, acc, one, f->r2.v);  /* 1*R */
    for (int i = 255; i >= 0; i--) {
        mont_mul(f, acc, acc, acc);
        if ((f->nm2.v[i / 64] >> (i % 64)) & 1) mont_mul(f, acc, acc, x);
    }
    mont_mul(f, r->v, acc, one);     /* leave the domain */
}

static int is_one(const uint64_t a[4])
{
    return a[0] == 1 && (a[1] | a[2] | a[3]) == 0;
}

/* a = a/2 mod n, for a < n: add n first when a is odd (a 257-bit sum, so carry the top bit in). */
static void half_mod(const kp_field *f, uint64_t a[4])
{
    uint64_t carry = 0;
    if (a[0] & 1) carry = add4(a, a, f->n.v);
    for (int i = 0; i < 3; i++) a[i] = (a[i] >> 1) | (a[i + 1] << 63);
    a[3] = (a[3] >> 1) | (carry << 63);
}

void kp_fe_inv_var(const kp_field *f, kp_fe *r, const kp_fe *a)
{
    uint64_t u[4], v[4], t[4];
    kp_fe x1, x2;
    memcpy(u, a->v, sizeof u);
    memcpy(v, f->n.v, sizeof v);
    kp_fe_set_u32(&x1, 1);
    kp_fe_set_u32(&x2, 0);
    if ((u[0] | u[1] | u[2] | u[3]) == 0) {
        *r = x2;
        return;
    }
    /* Invariants: x1·a ≡ u and x2·a ≡ v (mod n); gcd(u, v) = 1 since n is prime. */
    while (!is_one(u) && !is_one(v)) {
        while ((u[0] & 1) == 0) {
            for (int i = 0; i < 3; i++) u[i] = (u[i] >> 1) | (u[i + 1] << 63);
            u[3] >>= 1;
            half_mod(f, x1.v);
        }
        while ((v[0] & 1) == 0) {
            for (int i = 0; i < 3; i++) v[i] = (v[i] >> 1) | (v[i + 1] << 63);
            v[3] >>= 1;
            half_mod(f, x2.v);
        }
        if (sub4(t, u, v) == 0) { /* u >= v */
            memcpy(u, t, sizeof u);
            kp_fe_sub(f, &x1, &x1, &x2);
        } else {
            sub4(v, v, u);
            kp_fe_sub(f, &x2, &x2, &x1);
        }
    }
    *r = is_one(u) ? x1 : x2;
}

int kp_fe_from_bytes(const kp_field *f, kp_fe *r, const uint8_t b[32])
{
    uint64_t v[4], t[4];
    for (int i = 0; i < 4; i++) {
        uint64_t w = 0;
        for (int j = 0; j < 8; j++) w = (w << 8) | b[(3 - i) * 8 + j];
        v[i] = w;
    }
    uint64_t borrow = sub4(t, v, f->n.v);
    /* v < n exactly when the subtraction borrows. Reduce fully by the Montgomery route, since
     * v may be several times n for the 252-bit orders. */
    mont_mul(f, t, v, f->r2.v);
    uint64_t one[4] = {1, 0, 0, 0};
    mont_mul(f, r->v, t, one);
    kp_memzero(v, sizeof v);
    kp_memzero(t, sizeof t);
    return (int)borrow;
}

void kp_fe_from_wide(const kp_field *f, kp_fe *r, const uint8_t b[64])
{
    kp_fe hi, lo;
    uint64_t t[4];
    kp_fe_from_bytes(f, &hi, b);        /* hi mod n */
    kp_fe_from_bytes(f, &lo, b + 32);   /* lo mod n */
    mont_mul(f, t, hi.v, f->r2.v);      /* hi*R = hi*2^256 mod n */
    kp_fe_add(f, r, (kp_fe *)t, &lo);
    kp_memzero(&hi, sizeof hi);
    kp_memzero(&lo, sizeof lo);
    kp_memzero(t, sizeof t);
}

void kp_fe_to_bytes(uint8_t b[32], const kp_fe *a)
{
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 8; j++) b[(3 - i) * 8 + j] = (uint8_t)(a->v[i] >> (56 - 8 * j));
}

void kp_fe_set_u32(kp_fe *r, uint32_t x)
{
    r->v[0] = x;
    r->v[1] = r->v[2] = r->v[3] = 0;
}

int kp_fe_is_zero(const kp_fe *a)
{
    uint64_t x = a->v[0] | a->v[1] | a->v[2] | a->v[3];
    return (int)(1 & ~(kp_ct_nonzero_mask(x)));
}

int kp_fe_eq(const kp_fe *a, const kp_fe *b)
{
    uint64_t x = 0;
    for (int i = 0; i < 4; i++) x |= a->v[i] ^ b->v[i];
    return (int)(1 & ~(kp_ct_nonzero_mask(x)));
}

void kp_fe_random(const kp_field *f, kp_fe *r)
{
    uint8_t wide[64];
    do {
        kp_random(wide, sizeof wide);
        kp_fe_from_wide(f, r, wide);
    } while (kp_public_bit(kp_fe_is_zero(r))); /* probability ~2^-250; tells only that a retry happened */
    kp_memzero(wide, sizeof wide);
}

void kp_lagrange(const kp_field *f, kp_fe *lambda, const uint32_t *xs, size_t k, uint32_t x)
{
    kp_fe fxs[KP_MAX_SIGNERS], fx;
    if (k == 0 || k > KP_MAX_SIGNERS) return;
    for (size_t i = 0; i < k; i++) kp_fe_set_u32(&fxs[i], xs[i]);
    kp_fe_set_u32(&fx, x);
    kp_lagrange_fe(f, lambda, fxs, k, &fx);
}

void kp_lagrange_fe(const kp_field *f, kp_fe *lambda, const kp_fe *xs, size_t k, const kp_fe *x)
{
    /* lambda_i = num_i / den_i with num_i = prod (x - x_j), den_i = prod (x_i - x_j), j != i.
     * The dens are inverted together (Montgomery's trick): one inversion for all k. */
    kp_fe dens[KP_MAX_SIGNERS], prefix[KP_MAX_SIGNERS], inv, d;
    if (k == 0 || k > KP_MAX_SIGNERS) return;
    for (size_t i = 0; i < k; i++) {
        kp_fe_set_u32(&lambda[i], 1);
        kp_fe_set_u32(&dens[i], 1);
        for (size_t j = 0; j < k; j++) {
            if (j == i) continue;
            kp_fe_sub(f, &d, x, &xs[j]);
            kp_fe_mul(f, &lambda[i], &lambda[i], &d);
            kp_fe_sub(f, &d, &xs[i], &xs[j]);
            kp_fe_mul(f, &dens[i], &dens[i], &d);
        }
        if (i == 0) prefix[0] = dens[0];
        else kp_fe_mul(f, &prefix[i], &prefix[i - 1], &dens[i]);
    }
    kp_fe_inv_var(f, &inv, &prefix[k - 1]); /* indices are public */
    for (size_t i = k; i-- > 0;) {
        kp_fe den_inv = inv;
        if (i > 0) kp_fe_mul(f, &den_inv, &inv, &prefix[i - 1]);
        kp_fe_mul(f, &inv, &inv, &dens[i]);
        kp_fe_mul(f, &lambda[i], &lambda[i], &den_inv);
    }
}

static void field_setup(kp_field *f, const uint64_t n[4])
{
    memcpy(f->n.v, n, sizeof f->n.v);
    /* n0inv = -n^-1 mod 2^64 by Newton's iteration: each step doubles the correct bits. */
    uint64_t inv = 1;
    for (int i = 0; i < 6; i++) inv *= 2 - n[0] * inv;
    f->n0inv = (uint64_t)0 - inv;
    /* R^2 mod n: start at 1 and double 512 times. */
    uint64_t r[4] = {1, 0, 0, 0};
    for (int i = 0; i < 512; i++) {
        uint64_t t[4];
        uint64_t carry = add4(t, r, r);
        reduce_once(f, r, t, carry);
    }
    memcpy(f->r2.v, r, sizeof r);
    uint64_t two[4] = {2, 0, 0, 0};
    sub4(f->nm2.v, n, two);
}

static void fields_init(void)
{
    field_setup(&fields[0], N_SECP);
    field_setup(&fields[1], N_ED);
    field_setup(&fields[2], N_STARK);
}

const kp_field *kp_field_of(kp_curve c)
{
    pthread_once(&fields_once, fields_init);
    switch (c) {
    case KP_CURVE_SECP256K1: return &fields[0];
    case KP_CURVE_ED25519: return &fields[1];
    case KP_CURVE_STARK: return &fields[2];
    }
    return NULL;
}
