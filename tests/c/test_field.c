/*
 * test_field.c: the scalar-field arithmetic of field.h on the three orders, against OpenSSL's
 * BIGNUM as an independent oracle, and the algebraic properties Shamir sharing relies on.
 */
#include <openssl/bn.h>

#include "field.h"
#include "kptest.h"

TestSuite(field, .init = kpt_setup, .fini = kpt_teardown, .timeout = 120);

#define ROUNDS 300

static BIGNUM *bn_of(const uint8_t *b, size_t len)
{
    BIGNUM *x = BN_bin2bn(b, (int)len, NULL);
    cr_assert_not_null(x);
    return x;
}

static void bn_out(uint8_t out[32], const BIGNUM *x)
{
    cr_assert_eq(BN_bn2binpad(x, out, 32), 32);
}

static void fe_of(const kp_field *f, kp_fe *r, const uint8_t b[32])
{
    cr_assert_eq(kp_fe_from_bytes(f, r, b), 1, "test value not below the order");
}

/* A random value below n, sometimes a boundary (0, 1, n-1, n-2, small). */
static void rand_below(uint8_t out[32], const uint8_t n[32], int round)
{
    switch (round % 10) {
    case 0: memset(out, 0, 32); return;
    case 1: kpt_scalar_u32(out, 1); return;
    case 2: kpt_add_small(out, n, -1); return;
    case 3: kpt_add_small(out, n, -2); return;
    case 4: kpt_scalar_u32(out, kpt_uniform(1000) + 2); return;
    default: {
        uint8_t wide[64];
        kpt_random(wide, sizeof wide);
        BN_CTX *bc = BN_CTX_new();
        BIGNUM *w = bn_of(wide, 64), *m = bn_of(n, 32), *r = BN_new();
        cr_assert(BN_mod(r, w, m, bc));
        bn_out(out, r);
        BN_free(w);
        BN_free(m);
        BN_free(r);
        BN_CTX_free(bc);
    }
    }
}

static const kp_field *field_and_order(kp_curve c, uint8_t n[32])
{
    const kp_field *f = kp_field_of(c);
    cr_assert_not_null(f);
    kpt_order(n, c);
    return f;
}

Test(field, modulus_is_the_group_order)
{
    for (int ci = 0; ci < 3; ci++) {
        uint8_t n[32], got[32];
        const kp_field *f = field_and_order(KPT_CURVES[ci], n);
        kp_fe_to_bytes(got, &f->n);
        cr_assert_arr_eq(got, n, 32, "%s", kpt_curve_str(KPT_CURVES[ci]));
    }
    cr_assert_null(kp_field_of((kp_curve)0));
    cr_assert_null(kp_field_of((kp_curve)4));
}

Test(field, add_sub_mul_inv_agree_with_bignum)
{
    BN_CTX *bc = BN_CTX_new();
    for (int ci = 0; ci < 3; ci++) {
        uint8_t n[32];
        const kp_field *f = field_and_order(KPT_CURVES[ci], n);
        BIGNUM *N = bn_of(n, 32), *r = BN_new();
        for (int i = 0; i < ROUNDS; i++) {
            uint8_t a[32], b[32], got[32], want[32];
            rand_below(a, n, i);
            rand_below(b, n, i / 10 + 7 * i);
            BIGNUM *A = bn_of(a, 32), *B = bn_of(b, 32);
            kp_fe fa, fb, fr;
            fe_of(f, &fa, a);
            fe_of(f, &fb, b);

            kp_fe_add(f, &fr, &fa, &fb);
            kp_fe_to_bytes(got, &fr);
            cr_assert(BN_mod_add(r, A, B, N, bc));
            bn_out(want, r);
            cr_assert_arr_eq(got, want, 32, "%s add, round %d", kpt_curve_str(KPT_CURVES[ci]), i);

            kp_fe_sub(f, &fr, &fa, &fb);
            kp_fe_to_bytes(got, &fr);
            cr_assert(BN_mod_sub(r, A, B, N, bc));
            bn_out(want, r);
            cr_assert_arr_eq(got, want, 32, "%s sub, round %d", kpt_curve_str(KPT_CURVES[ci]), i);

            kp_fe_mul(f, &fr, &fa, &fb);
            kp_fe_to_bytes(got, &fr);
            cr_assert(BN_mod_mul(r, A, B, N, bc));
            bn_out(want, r);
            cr_assert_arr_eq(got, want, 32, "%s mul, round %d", kpt_curve_str(KPT_CURVES[ci]), i);

            kp_fe_inv(f, &fr, &fa);
            kp_fe_to_bytes(got, &fr);
            if (BN_is_zero(A)) {
                cr_assert(kpt_is_zero(got, 32), "inverse of 0 must be 0");
            } else {
                cr_assert_not_null(BN_mod_inverse(r, A, N, bc));
                bn_out(want, r);
                cr_assert_arr_eq(got, want, 32, "%s inv, round %d", kpt_curve_str(KPT_CURVES[ci]), i);
            }
            BN_free(A);
            BN_free(B);
        }
        BN_free(N);
        BN_free(r);
    }
    BN_CTX_free(bc);
}

Test(field, inverse_times_value_is_one)
{
    for (int ci = 0; ci < 3; ci++) {
        uint8_t n[32];
        const kp_field *f = field_and_order(KPT_CURVES[ci], n);
        kp_fe one, a, inv, p;
        kp_fe_set_u32(&one, 1);
        for (int i = 0; i < ROUNDS; i++) {
            kp_fe_random(f, &a);
            cr_assert(!kp_fe_is_zero(&a));
            kp_fe_inv(f, &inv, &a);
            kp_fe_mul(f, &p, &inv, &a);
            cr_assert(kp_fe_eq(&p, &one), "%s round %d", kpt_curve_str(KPT_CURVES[ci]), i);
            kp_fe_inv(f, &p, &inv);
            cr_assert(kp_fe_eq(&p, &a), "(a^-1)^-1 == a");
        }
    }
}

Test(field, ring_laws)
{
    for (int ci = 0; ci < 3; ci++) {
        uint8_t n[32];
        const kp_field *f = field_and_order(KPT_CURVES[ci], n);
        for (int i = 0; i < ROUNDS; i++) {
            kp_fe a, b, c, l, r, t, zero;
            kp_fe_random(f, &a);
            kp_fe_random(f, &b);
            kp_fe_random(f, &c);
            kp_fe_set_u32(&zero, 0);
            /* a(b + c) == ab + ac */
            kp_fe_add(f, &t, &b, &c);
            kp_fe_mul(f, &l, &a, &t);
            kp_fe_mul(f, &r, &a, &b);
            kp_fe_mul(f, &t, &a, &c);
            kp_fe_add(f, &r, &r, &t);
            cr_assert(kp_fe_eq(&l, &r), "distributivity");
            /* (ab)c == a(bc), ab == ba */
            kp_fe_mul(f, &l, &a, &b);
            kp_fe_mul(f, &l, &l, &c);
            kp_fe_mul(f, &r, &b, &c);
            kp_fe_mul(f, &r, &a, &r);
            cr_assert(kp_fe_eq(&l, &r), "associativity");
            kp_fe_mul(f, &l, &a, &b);
            kp_fe_mul(f, &r, &b, &a);
            cr_assert(kp_fe_eq(&l, &r), "commutativity");
            /* (a - b) + b == a, a - a == 0 */
            kp_fe_sub(f, &t, &a, &b);
            kp_fe_add(f, &t, &t, &b);
            cr_assert(kp_fe_eq(&t, &a));
            kp_fe_sub(f, &t, &a, &a);
            cr_assert(kp_fe_is_zero(&t));
            /* 0 - a + a == 0 */
            kp_fe_sub(f, &t, &zero, &a);
            cr_assert(!kp_fe_is_zero(&t));
            kp_fe_add(f, &t, &t, &a);
            cr_assert(kp_fe_is_zero(&t));
        }
    }
}

Test(field, from_bytes_reduces_and_reports_range)
{
    BN_CTX *bc = BN_CTX_new();
    for (int ci = 0; ci < 3; ci++) {
        uint8_t n[32], v[32], got[32], want[32];
        const kp_field *f = field_and_order(KPT_CURVES[ci], n);
        BIGNUM *N = bn_of(n, 32), *r = BN_new();
        kp_fe fe;
        /* n - 1: below; n: not below, reduces to 0; n + 1 → 1; 2^256 - 1 → (2^256 - 1) mod n */
        kpt_add_small(v, n, -1);
        cr_assert_eq(kp_fe_from_bytes(f, &fe, v), 1);
        kp_fe_to_bytes(got, &fe);
        cr_assert_arr_eq(got, v, 32);
        cr_assert_eq(kp_fe_from_bytes(f, &fe, n), 0);
        cr_assert(kp_fe_is_zero(&fe));
        kpt_add_small(v, n, 1);
        cr_assert_eq(kp_fe_from_bytes(f, &fe, v), 0);
        kp_fe_to_bytes(got, &fe);
        kpt_scalar_u32(want, 1);
        cr_assert_arr_eq(got, want, 32);
        for (int i = 0; i < ROUNDS; i++) {
            if (i == 0) memset(v, 0xff, 32);
            else kpt_random(v, 32);
            BIGNUM *V = bn_of(v, 32);
            int below = BN_cmp(V, N) < 0;
            cr_assert_eq(kp_fe_from_bytes(f, &fe, v), below, "round %d", i);
            kp_fe_to_bytes(got, &fe);
            cr_assert(BN_mod(r, V, N, bc));
            bn_out(want, r);
            cr_assert_arr_eq(got, want, 32, "%s from_bytes round %d", kpt_curve_str(KPT_CURVES[ci]), i);
            BN_free(V);
        }
        BN_free(N);
        BN_free(r);
    }
    BN_CTX_free(bc);
}

Test(field, from_wide_is_reduction_mod_n)
{
    BN_CTX *bc = BN_CTX_new();
    for (int ci = 0; ci < 3; ci++) {
        uint8_t n[32], w[64], got[32], want[32];
        const kp_field *f = field_and_order(KPT_CURVES[ci], n);
        BIGNUM *N = bn_of(n, 32), *r = BN_new();
        for (int i = 0; i < ROUNDS; i++) {
            if (i == 0) memset(w, 0xff, 64);
            else if (i == 1) memset(w, 0, 64);
            else kpt_random(w, 64);
            kp_fe fe;
            kp_fe_from_wide(f, &fe, w);
            kp_fe_to_bytes(got, &fe);
            BIGNUM *W = bn_of(w, 64);
            cr_assert(BN_mod(r, W, N, bc));
            bn_out(want, r);
            cr_assert_arr_eq(got, want, 32, "%s from_wide round %d", kpt_curve_str(KPT_CURVES[ci]), i);
            BN_free(W);
        }
        BN_free(N);
        BN_free(r);
    }
    BN_CTX_free(bc);
}

Test(field, random_is_nonzero_and_below_n)
{
    for (int ci = 0; ci < 3; ci++) {
        uint8_t n[32], b[32];
        const kp_field *f = field_and_order(KPT_CURVES[ci], n);
        for (int i = 0; i < ROUNDS; i++) {
            kp_fe a, back;
            kp_fe_random(f, &a);
            cr_assert(!kp_fe_is_zero(&a));
            kp_fe_to_bytes(b, &a);
            cr_assert_lt(memcmp(b, n, 32), 0);
            cr_assert_eq(kp_fe_from_bytes(f, &back, b), 1);
            cr_assert(kp_fe_eq(&back, &a));
        }
    }
}

/* Distinct random indices in 1..bound. */
static void random_xs(uint32_t *xs, size_t k, uint32_t bound)
{
    for (size_t i = 0; i < k; i++) {
        int again;
        do {
            xs[i] = kpt_uniform(bound) + 1;
            again = 0;
            for (size_t j = 0; j < i; j++) again |= xs[j] == xs[i];
        } while (again);
    }
}

/* The Lagrange basis sums to 1 at every x (it interpolates the constant 1). */
Test(field, lagrange_coefficients_sum_to_one)
{
    for (int ci = 0; ci < 3; ci++) {
        uint8_t n[32];
        const kp_field *f = field_and_order(KPT_CURVES[ci], n);
        kp_fe one;
        kp_fe_set_u32(&one, 1);
        for (size_t k = 1; k <= KP_MAX_SIGNERS; k += (k < 8 ? 1 : 13)) {
            for (int round = 0; round < 6; round++) {
                uint32_t xs[KP_MAX_SIGNERS];
                kp_fe lambda[KP_MAX_SIGNERS], sum;
                random_xs(xs, k, round % 2 ? 0xfffffff0u : 2 * KP_MAX_SIGNERS);
                uint32_t x = round < 2 ? 0 : kpt_uniform(0xffffffffu);
                kp_lagrange(f, lambda, xs, k, x);
                kp_fe_set_u32(&sum, 0);
                for (size_t i = 0; i < k; i++) kp_fe_add(f, &sum, &sum, &lambda[i]);
                cr_assert(kp_fe_eq(&sum, &one), "%s k=%zu x=%u", kpt_curve_str(KPT_CURVES[ci]), k, x);
            }
        }
    }
}

/* At x = xs[m] the basis is the indicator of m. */
Test(field, lagrange_at_a_node_is_an_indicator)
{
    for (int ci = 0; ci < 3; ci++) {
        uint8_t n[32];
        const kp_field *f = field_and_order(KPT_CURVES[ci], n);
        for (size_t k = 2; k <= 9; k++) {
            uint32_t xs[16];
            kp_fe lambda[16];
            random_xs(xs, k, 100);
            for (size_t m = 0; m < k; m++) {
                kp_lagrange(f, lambda, xs, k, xs[m]);
                for (size_t i = 0; i < k; i++) {
                    if (i == m) {
                        kp_fe one;
                        kp_fe_set_u32(&one, 1);
                        cr_assert(kp_fe_eq(&lambda[i], &one));
                    } else {
                        cr_assert(kp_fe_is_zero(&lambda[i]));
                    }
                }
            }
        }
    }
}

/* Interpolating k points of a random polynomial of degree k-1 gives its value anywhere, and
 * the coefficients at 0 reproduce f(0) = a0 (what kp_share_combine computes). */
Test(field, lagrange_interpolates_polynomials)
{
    for (int ci = 0; ci < 3; ci++) {
        uint8_t n[32];
        const kp_field *f = field_and_order(KPT_CURVES[ci], n);
        for (size_t k = 1; k <= 12; k++) {
            kp_fe coef[12], ys[12], lambda[12];
            uint32_t xs[12];
            for (size_t i = 0; i < k; i++) kp_fe_random(f, &coef[i]);
            random_xs(xs, k, 1000);
            for (size_t i = 0; i < k; i++) {
                kp_fe x, y;
                kp_fe_set_u32(&x, xs[i]);
                y = coef[k - 1];
                for (size_t d = k - 1; d-- > 0;) {
                    kp_fe_mul(f, &y, &y, &x);
                    kp_fe_add(f, &y, &y, &coef[d]);
                }
                ys[i] = y;
            }
            uint32_t at[3] = {0, 1001, kpt_uniform(0xffffffffu)};
            for (int a = 0; a < 3; a++) {
                kp_fe want, got, x, t;
                kp_fe_set_u32(&x, at[a]);
                want = coef[k - 1];
                for (size_t d = k - 1; d-- > 0;) {
                    kp_fe_mul(f, &want, &want, &x);
                    kp_fe_add(f, &want, &want, &coef[d]);
                }
                kp_lagrange(f, lambda, xs, k, at[a]);
                kp_fe_set_u32(&got, 0);
                for (size_t i = 0; i < k; i++) {
                    kp_fe_mul(f, &t, &lambda[i], &ys[i]);
                    kp_fe_add(f, &got, &got, &t);
                }
                cr_assert(kp_fe_eq(&got, &want), "%s k=%zu at %u", kpt_curve_str(KPT_CURVES[ci]), k, at[a]);
            }
        }
    }
}

Test(field, eq_and_is_zero)
{
    kp_fe a, b;
    kp_fe_set_u32(&a, 0);
    cr_assert_eq(kp_fe_is_zero(&a), 1);
    kp_fe_set_u32(&b, 7);
    cr_assert_eq(kp_fe_is_zero(&b), 0);
    cr_assert_eq(kp_fe_eq(&a, &b), 0);
    kp_fe_set_u32(&a, 7);
    cr_assert_eq(kp_fe_eq(&a, &b), 1);
    b.v[3] = 1;
    cr_assert_eq(kp_fe_eq(&a, &b), 0);
    a.v[0] = 0;
    a.v[3] = 1ull << 63;
    cr_assert_eq(kp_fe_is_zero(&a), 0);
}
