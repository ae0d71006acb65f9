/* share.c: Shamir sharing over a curve's scalar field, and robust recovery. */
#include <stdlib.h>
#include <string.h>

#include "share.h"

kp_status kp_share_split(const kp_ctx *ctx, uint8_t (*shares)[32], kp_curve c, unsigned t, unsigned n,
                         const uint8_t secret[32])
{
    KP_ARG_CHECK(ctx, ctx != NULL && shares != NULL && secret != NULL);
    const kp_field *f = kp_field_of(c);
    if (f == NULL) return kp_fail(KP_ERR_CURVE, "unknown curve %d", (int)c);
    if (t < 2 || t > n || n > KP_MAX_SIGNERS)
        return kp_fail(KP_ERR_THRESHOLD, "threshold %u of %u signers is out of range (2 <= t <= n <= %d)", t, n,
                       KP_MAX_SIGNERS);
    if (kp_scalar_check(c, secret) != KP_OK)
        return kp_fail(KP_ERR_SCALAR, "the key is zero or not below the %s order", kp_curve_name(c));
    kp_fe coef[KP_MAX_SIGNERS], y, x;
    int zero;
    kp_fe_from_bytes(f, &coef[0], secret);
    do {
        /* f(x) = secret + a1 x + … + a(t-1) x^(t-1), random ai; evaluated by Horner at x = 1..n.
         * A zero share is refused on the wire (WIRE.md §4 step 3), so draw again if one occurs. */
        for (unsigned i = 1; i < t; i++) kp_fe_random(f, &coef[i]);
        zero = 0;
        for (unsigned j = 1; j <= n; j++) {
            kp_fe_set_u32(&x, j);
            y = coef[t - 1];
            for (unsigned i = t - 1; i-- > 0;) {
                kp_fe_mul(f, &y, &y, &x);
                kp_fe_add(f, &y, &y, &coef[i]);
            }
            zero |= kp_fe_is_zero(&y);
            kp_fe_to_bytes(shares[j - 1], &y);
        }
    } while (kp_public_bit(zero)); /* tells only that a retry happened */
    kp_memzero(coef, sizeof coef);
    kp_memzero(&y, sizeof y);
    return KP_OK;
}

/* f(x) from the shares of set S (positions into idx/shares) of size t. */
static void interpolate_at(const kp_field *f, kp_fe *out, const uint32_t *xs, const kp_fe *ys, size_t t, uint32_t x)
{
    kp_fe lambda[KP_MAX_SIGNERS], term;
    kp_lagrange(f, lambda, xs, t, x);
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < t; i++) {
        kp_fe_mul(f, &term, &lambda[i], &ys[i]);
        kp_fe_add(f, out, out, &term);
    }
    kp_memzero(&term, sizeof term);
}

kp_status kp_share_combine(uint8_t secret[32], kp_curve c, const uint32_t *indices, const uint8_t (*shares)[32],
                           size_t k)
{
    KP_ARG_CHECK(NULL, secret != NULL && indices != NULL && shares != NULL);
    memset(secret, 0, 32);
    const kp_field *f = kp_field_of(c);
    if (f == NULL) return kp_fail(KP_ERR_CURVE, "unknown curve %d", (int)c);
    if (k < 1 || k > KP_MAX_SIGNERS) return kp_fail(KP_ERR_THRESHOLD, "%zu shares is out of range", k);
    kp_fe ys[KP_MAX_SIGNERS], s;
    for (size_t i = 0; i < k; i++) {
        if (indices[i] == 0) return kp_fail(KP_ERR_FORMAT, "share index 0 is not allowed");
        for (size_t j = 0; j < i; j++)
            if (indices[j] == indices[i]) return kp_fail(KP_ERR_DUPLICATE, "share index %u appears twice", indices[i]);
        if (!kp_public_bit(kp_fe_from_bytes(f, &ys[i], shares[i]))) { /* validity: public */
            kp_memzero(ys, sizeof ys);
            return kp_fail(KP_ERR_SCALAR, "share %zu is not below the %s order", i, kp_curve_name(c));
        }
    }
    interpolate_at(f, &s, indices, ys, k, 0);
    kp_fe_to_bytes(secret, &s);
    kp_memzero(ys, sizeof ys);
    kp_memzero(&s, sizeof s);
    return KP_OK;
}

/* Tries the candidate set R (mask over the k shares): takes its first t members as S, checks every
 * other member of R against the polynomial through S, and, if all agree, that f(0)·G == pub.
 * On success fills secret and good (every share on the polynomial, in R or not). */
static int try_set(const kp_ctx *ctx, const kp_field *f, const kp_curve_ops *ops, uint8_t secret[32], uint8_t *good,
                   unsigned t, const uint32_t *idx, const kp_fe *ys, size_t k, const uint8_t *in_r,
                   const uint8_t *pub, size_t pub_len)
{
    uint32_t sx[KP_MAX_SIGNERS];
    kp_fe sy[KP_MAX_SIGNERS], v;
    size_t m = 0;
    int ok = 0;
    for (size_t i = 0; i < k && m < t; i++)
        if (in_r[i]) {
            sx[m] = idx[i];
            sy[m++] = ys[i];
        }
    for (size_t i = 0, seen = 0; i < k; i++) {
        if (!in_r[i]) continue;
        if (seen++ < t) continue; /* a member of S */
        interpolate_at(f, &v, sx, sy, t, idx[i]);
        if (!kp_public_bit(kp_fe_eq(&v, &ys[i]))) goto done; /* which shares are good is public */
    }
    interpolate_at(f, &v, sx, sy, t, 0);
    kp_fe_to_bytes(secret, &v);
    kp_point q;
    uint8_t enc[KP_PUBKEY_MAX_BYTES];
    if (ops->base_mul(ctx, &q, secret) != KP_OK || pub_len != ops->pub_len) goto done;
    ops->serialize(ctx, enc, &q, 1);
    if (memcmp(enc, pub, pub_len) != 0) goto done;
    for (size_t i = 0; i < k; i++) {
        if (in_r[i]) { /* S itself, or just checked against it */
            good[i] = 1;
            continue;
        }
        kp_fe w;
        interpolate_at(f, &w, sx, sy, t, idx[i]);
        good[i] = (uint8_t)kp_fe_eq(&w, &ys[i]);
        kp_memzero(&w, sizeof w);
    }
    ok = 1;
done:
    if (!ok) kp_memzero(secret, 32);
    kp_memzero(sy, sizeof sy);
    kp_memzero(&v, sizeof v);
    return ok;
}

/* C(k, t), saturating at cap. */
static unsigned long binomial(size_t k, size_t t, unsigned long cap)
{
    unsigned long r = 1;
    for (size_t i = 1; i <= t; i++) {
        r = r * (k - t + i) / i; /* exact: r * (k-t+i) is divisible by i at each step */
        if (r > cap) return cap + 1;
    }
    return r;
}

/* Advances c[0..m) to the next m-subset of 0..k-1 in lexicographic order; 0 at the end. */
static int next_combination(size_t *c, size_t m, size_t k)
{
    size_t i = m;
    while (i > 0 && c[i - 1] == k - m + i - 1) i--;
    if (i == 0) return 0;
    c[i - 1]++;
    for (size_t j = i; j < m; j++) c[j] = c[j - 1] + 1;
    return 1;
}

static int popcount64(uint64_t x)
{
    int n = 0;
    for (; x; x &= x - 1) n++;
    return n;
}

struct candidate {
    uint64_t set;
    int size;
};

static int by_size_desc(const void *a, const void *b)
{
    const struct candidate *x = a, *y = b;
    return (y->size > x->size) - (y->size < x->size);
}

kp_status kp_share_recover(const kp_ctx *ctx, uint8_t secret[32], uint8_t *good, kp_curve c, unsigned t,
                           const uint32_t *idx, const uint8_t (*shares)[32], size_t k, const uint8_t *pub,
                           size_t pub_len)
{
    const kp_field *f = kp_field_of(c);
    const kp_curve_ops *ops = kp_curve_ops_of(c);
    kp_fe ys[KP_MAX_SIGNERS], sy[KP_MAX_SIGNERS], v;
    uint32_t sx[KP_MAX_SIGNERS];
    uint8_t in_r[KP_MAX_SIGNERS];
    size_t comb[KP_MAX_SIGNERS];
    struct candidate *cand = NULL;
    size_t ncand = 0;
    kp_status st = KP_ERR_NOT_ENOUGH;
    memset(secret, 0, 32);
    memset(good, 0, k);
    if (k < t || k > KP_MAX_SIGNERS || t < 1) return KP_ERR_NOT_ENOUGH;
    for (size_t i = 0; i < k; i++) kp_fe_from_bytes(f, &ys[i], shares[i]);

    /* The common case first: every share on one polynomial (one multiplication). */
    memset(in_r, 1, k);
    if (try_set(ctx, f, ops, secret, good, t, idx, ys, k, in_r, pub, pub_len)) {
        st = KP_OK;
        goto done;
    }
    /* Each t-subset S fixes a polynomial; with scalars alone, find which shares agree with it.
     * The good shares agree with the true polynomial, so its agreement set is the good set (at
     * least t). Point-check each distinct agreement set once, largest first. */
    unsigned long total = binomial(k, t, KP_RECOVER_MAX_TRIES);
    if (total <= KP_RECOVER_MAX_TRIES) {
        if ((cand = malloc(total * sizeof *cand)) == NULL) {
            st = kp_fail(KP_ERR_NOMEM, "out of memory");
            goto done;
        }
        for (size_t i = 0; i < t; i++) comb[i] = i;
        do {
            uint64_t set = 0;
            for (size_t i = 0; i < t; i++) {
                sx[i] = idx[comb[i]];
                sy[i] = ys[comb[i]];
                set |= (uint64_t)1 << comb[i];
            }
            for (size_t j = 0; j < k; j++) {
                if (set >> j & 1) continue;
                interpolate_at(f, &v, sx, sy, t, idx[j]);
                if (kp_fe_eq(&v, &ys[j])) set |= (uint64_t)1 << j;
            }
            size_t m;
            for (m = 0; m < ncand && cand[m].set != set; m++) {}
            if (m == ncand) cand[ncand++] = (struct candidate){set, popcount64(set)};
        } while (next_combination(comb, t, k));
        qsort(cand, ncand, sizeof *cand, by_size_desc);
        for (size_t m = 0; m < ncand; m++) {
            for (size_t i = 0; i < k; i++) in_r[i] = (uint8_t)(cand[m].set >> i & 1);
            if (try_set(ctx, f, ops, secret, good, t, idx, ys, k, in_r, pub, pub_len)) {
                st = KP_OK;
                goto done;
            }
        }
    } else {
        /* Too many subsets to list: leave out b = 1, 2, … shares, within the budget. Finds the
         * key whenever the bad shares are few. */
        unsigned long tries = 0;
        for (size_t b = 1; b + t <= k && tries < KP_RECOVER_MAX_TRIES; b++) {
            for (size_t i = 0; i < b; i++) comb[i] = i;
            do {
                memset(in_r, 1, k);
                for (size_t i = 0; i < b; i++) in_r[comb[i]] = 0;
                if (try_set(ctx, f, ops, secret, good, t, idx, ys, k, in_r, pub, pub_len)) {
                    st = KP_OK;
                    goto done;
                }
            } while (++tries < KP_RECOVER_MAX_TRIES && next_combination(comb, b, k));
        }
        if (st != KP_OK)
            st = kp_fail(KP_ERR_NOT_ENOUGH, "gave up after %d candidate sets of shares", KP_RECOVER_MAX_TRIES);
    }
done:
    free(cand);
    kp_memzero(ys, sizeof ys);
    kp_memzero(sy, sizeof sy);
    kp_memzero(&v, sizeof v);
    if (st != KP_OK) memset(good, 0, k);
    return st;
}

kp_status kp_public_shares_check(const kp_ctx *ctx, kp_point *group, const kp_point *pubs, unsigned n, unsigned t)
{
    const kp_field *f = kp_field_of(pubs[0].curve);
    kp_fe lambda[KP_MAX_SIGNERS];
    uint32_t xs[KP_MAX_SIGNERS];
    kp_point q;
    kp_status st;
    for (unsigned i = 0; i < t; i++) xs[i] = i + 1;
    /* Interpolating "in the exponent": P_j must equal sum lambda_i(j) P_i over the first t. */
    for (unsigned j = t + 1; j <= n; j++) {
        kp_lagrange(f, lambda, xs, t, j);
        if ((st = kp_point_lincomb(ctx, &q, pubs, lambda, t)) != KP_OK || !kp_point_eq(ctx, &q, &pubs[j - 1]))
            return kp_fail(KP_ERR_SHARE_MISMATCH,
                           "public_shares[%u] is not on the polynomial of degree %u through the first %u", j - 1, t - 1, t);
    }
    kp_lagrange(f, lambda, xs, t, 0);
    if ((st = kp_point_lincomb(ctx, group, pubs, lambda, t)) != KP_OK)
        return kp_fail(KP_ERR_SHARE_MISMATCH, "the public shares interpolate to the identity");
    return KP_OK;
}
