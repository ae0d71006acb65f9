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
         * A zero share is refused on the wire (docs/wire.md §4 step 3), so draw again if one occurs. */
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

void kp_scalar_from_u64(uint8_t out[32], uint64_t v)
{
    memset(out, 0, 32);
    for (int i = 0; i < 8; i++) out[31 - i] = (uint8_t)(v >> (8 * i));
}

kp_status kp_share_combine(uint8_t secret[32], kp_curve c, const uint8_t (*indices)[32], const uint8_t (*shares)[32],
                           size_t k)
{
    KP_ARG_CHECK(NULL, secret != NULL && indices != NULL && shares != NULL);
    memset(secret, 0, 32);
    const kp_field *f = kp_field_of(c);
    if (f == NULL) return kp_fail(KP_ERR_CURVE, "unknown curve %d", (int)c);
    if (k < 1 || k > KP_MAX_SIGNERS) return kp_fail(KP_ERR_THRESHOLD, "%zu shares is out of range", k);
    kp_fe xs[KP_MAX_SIGNERS], ys[KP_MAX_SIGNERS], lambda[KP_MAX_SIGNERS], s, term, zero;
    kp_status st = KP_OK;
    for (size_t i = 0; i < k && st == KP_OK; i++) {
        /* Indices are public: a share's x says nothing about its value. */
        if (!kp_fe_from_bytes(f, &xs[i], indices[i]) || kp_fe_is_zero(&xs[i])) {
            st = kp_fail(KP_ERR_SCALAR, "share index %zu is zero or not below the %s order", i, kp_curve_name(c));
            break;
        }
        for (size_t j = 0; j < i; j++)
            if (memcmp(indices[j], indices[i], 32) == 0) {
                st = kp_fail(KP_ERR_DUPLICATE, "shares %zu and %zu have the same index", j, i);
                break;
            }
        if (st == KP_OK && !kp_public_bit(kp_fe_from_bytes(f, &ys[i], shares[i]))) /* validity: public */
            st = kp_fail(KP_ERR_SCALAR, "share %zu is not below the %s order", i, kp_curve_name(c));
    }
    if (st == KP_OK) {
        memset(&zero, 0, sizeof zero);
        kp_lagrange_fe(f, lambda, xs, k, &zero);
        memset(&s, 0, sizeof s);
        for (size_t i = 0; i < k; i++) {
            kp_fe_mul(f, &term, &lambda[i], &ys[i]);
            kp_fe_add(f, &s, &s, &term);
        }
        kp_fe_to_bytes(secret, &s);
    }
    kp_memzero(ys, sizeof ys);
    kp_memzero(&s, sizeof s);
    kp_memzero(&term, sizeof term);
    return st;
}

/* ------------------------------------------------------------ robust recovery
 *
 * The opened shares are N points (x_i, y_i) of a Reed-Solomon code of dimension t: the good ones
 * lie on f, of degree t-1, with f(0)·G = publicKey. Two polynomials with the same value at 0 meet
 * in at most t-2 other points, so when e points are off f and 2e <= N - t + 1, every other
 * polynomial through publicKey fits at most t-2+e < N-e points: f is the only explanation with so
 * few bad shares, and the shares off it are provably bad (the unique-decoding bound).
 *
 * 1. Algebraic decoding (Gao) finds f in O(N^2) when 2e <= N - t; the one extra error the bound
 *    allows (2e = N - t + 1) is found by decoding with each point left out in turn.
 * 2. Beyond the bound, t-subsets are searched within a budget (share.h), and every polynomial
 *    through publicKey that is found is reported as a competing group; nobody is named.
 *
 * Secrets and time: the y_i are secret. Field arithmetic is the constant-time code of field.c.
 * Gao's algorithm branches on the degrees of its remainders. Until it stops, its quotients depend
 * only on the coefficients of degree >= t of the received polynomial (a half-gcd argument: the
 * partial Euclid stops within (N - t)/2 of the top), and those come from the errors alone: f adds
 * nothing above degree t-1. An error is 0 for an honest share and known to whoever sent a bad one.
 * So the branches reveal nothing about the key or an honest share. Every other branch is on a
 * result that keyport reports anyway (which shares agree with which polynomial). */

#define NCOEF (KP_MAX_SIGNERS + 1)

/* The degree of c[0..=max], -1 for the zero polynomial. See above for why this may branch. */
static int poly_deg(const kp_fe *c, int max)
{
    for (int d = max; d >= 0; d--)
        if (!kp_public_bit(kp_fe_is_zero(&c[d]))) return d; /* degrees: public, see above */
    return -1;
}

/* q, r = a divmod b (b non-zero, da >= db). r may be a. */
static void poly_divmod(const kp_field *f, kp_fe *q, kp_fe *r, const kp_fe *a, int da, const kp_fe *b, int db)
{
    kp_fe inv, coef, t;
    if (r != a) memcpy(r, a, (size_t)(da + 1) * sizeof *r);
    kp_fe_inv(f, &inv, &b[db]);
    memset(q, 0, NCOEF * sizeof *q);
    for (int d = da; d >= db; d--) {
        kp_fe_mul(f, &coef, &r[d], &inv);
        q[d - db] = coef;
        for (int j = 0; j <= db; j++) {
            kp_fe_mul(f, &t, &coef, &b[j]);
            kp_fe_sub(f, &r[d - db + j], &r[d - db + j], &t);
        }
    }
    kp_memzero(&coef, sizeof coef);
    kp_memzero(&t, sizeof t);
}

/* Gao's decoder (S. Gao, "A new algorithm for decoding Reed-Solomon codes", 2003): m points with
 * distinct xs; finds the polynomial of degree < t through all but at most (m - t)/2 of them.
 * Returns 1 with coef[0..t), or 0. *work counts field multiplications. */
static int gao_decode(const kp_field *f, kp_fe *coef, const kp_fe *xs, const kp_fe *ys, size_t m, unsigned t,
                      unsigned long *work)
{
    kp_fe g0[NCOEF], a[NCOEF], b[NCOEF], q[NCOEF], va[NCOEF], vb[NCOEF], vn[NCOEF], w[KP_MAX_SIGNERS],
        pre[KP_MAX_SIGNERS], inv, tmp, sy;
    int ok = 0;
    if (m < t || m > KP_MAX_SIGNERS) return 0;
    *work += 8ul * m * m + (m - t) / 2 * (4ul * m + 400);
    /* g0 = prod (x - x_i), public */
    memset(g0, 0, sizeof g0);
    kp_fe_set_u32(&g0[0], 1);
    for (size_t i = 0; i < m; i++) {
        for (size_t d = i + 1; d >= 1; d--) {
            kp_fe_mul(f, &tmp, &xs[i], &g0[d]);
            kp_fe_sub(f, &g0[d], &g0[d - 1], &tmp);
        }
        kp_fe_mul(f, &tmp, &xs[i], &g0[0]);
        kp_fe_sub(f, &g0[0], &(kp_fe){{0, 0, 0, 0}}, &tmp);
    }
    /* barycentric weights w_i = 1 / prod_{j != i} (x_i - x_j), one (public) inversion */
    for (size_t i = 0; i < m; i++) {
        kp_fe_set_u32(&w[i], 1);
        for (size_t j = 0; j < m; j++) {
            if (j == i) continue;
            kp_fe_sub(f, &tmp, &xs[i], &xs[j]);
            kp_fe_mul(f, &w[i], &w[i], &tmp);
        }
        if (i == 0) pre[0] = w[0];
        else kp_fe_mul(f, &pre[i], &pre[i - 1], &w[i]);
    }
    kp_fe_inv_var(f, &inv, &pre[m - 1]);
    for (size_t i = m; i-- > 0;) {
        kp_fe wi = inv;
        if (i > 0) kp_fe_mul(f, &wi, &inv, &pre[i - 1]);
        kp_fe_mul(f, &inv, &inv, &w[i]);
        w[i] = wi;
    }
    /* R = sum y_i w_i g0 / (x - x_i): the interpolation of the received word */
    memset(b, 0, sizeof b);
    for (size_t i = 0; i < m; i++) {
        kp_fe_mul(f, &sy, &ys[i], &w[i]);
        kp_fe c = g0[m]; /* synthetic division of g0 by (x - x_i), from the top */
        for (size_t d = m; d-- > 0;) {
            kp_fe_mul(f, &tmp, &sy, &c);
            kp_fe_add(f, &b[d], &b[d], &tmp);
            kp_fe_mul(f, &tmp, &xs[i], &c);
            kp_fe_add(f, &c, &g0[d], &tmp);
        }
    }
    /* the partial extended Euclid on (g0, R), down to degree < (m + t)/2 */
    memcpy(a, g0, sizeof a);
    int da = (int)m, db = poly_deg(b, (int)m - 1);
    memset(va, 0, sizeof va);
    memset(vb, 0, sizeof vb);
    kp_fe_set_u32(&vb[0], 1);
    int dva = -1, dvb = 0;
    while (db >= 0 && 2 * db >= (int)(m + t)) {
        poly_divmod(f, q, a, a, da, b, db); /* a = a mod b */
        int dq = da - db, dr = poly_deg(a, db - 1);
        /* vn = va - q vb */
        memcpy(vn, va, sizeof vn);
        for (int i = 0; i <= dq; i++)
            for (int j = 0; j <= dvb; j++) {
                kp_fe_mul(f, &tmp, &q[i], &vb[j]);
                kp_fe_sub(f, &vn[i + j], &vn[i + j], &tmp);
            }
        int dvn = dq + dvb;
        /* (a, b) = (b, a mod b), (va, vb) = (vb, vn) */
        memcpy(q, a, sizeof q);
        memcpy(a, b, sizeof a);
        memcpy(b, q, sizeof b);
        da = db;
        db = dr;
        memcpy(va, vb, sizeof va);
        memcpy(vb, vn, sizeof vb);
        dva = dvb;
        dvb = dvn;
    }
    (void)dva;
    /* f = g / v with no remainder, of degree < t */
    if (db >= 0 && dvb >= 0 && db >= dvb) {
        poly_divmod(f, q, b, b, db, vb, dvb);
        if (poly_deg(b, dvb - 1) < 0 && db - dvb < (int)t) {
            memset(coef, 0, t * sizeof *coef);
            memcpy(coef, q, (size_t)(db - dvb + 1) * sizeof *coef);
            ok = 1;
        }
    }
    kp_memzero(a, sizeof a);
    kp_memzero(b, sizeof b);
    kp_memzero(q, sizeof q);
    kp_memzero(va, sizeof va);
    kp_memzero(vb, sizeof vb);
    kp_memzero(vn, sizeof vn);
    kp_memzero(&tmp, sizeof tmp);
    kp_memzero(&sy, sizeof sy);
    return ok;
}

/* f(x) by Horner, coef[0..t). */
static void poly_eval(const kp_field *f, kp_fe *r, const kp_fe *coef, unsigned t, const kp_fe *x)
{
    kp_fe y = coef[t - 1];
    for (unsigned i = t - 1; i-- > 0;) {
        kp_fe_mul(f, &y, &y, x);
        kp_fe_add(f, &y, &y, &coef[i]);
    }
    *r = y;
    kp_memzero(&y, sizeof y);
}

/* s·G == publicKey, by comparing encodings (a match proves publicKey a valid point). */
static int matches_pub(const kp_ctx *ctx, const kp_curve_ops *ops, const kp_fe *s, const uint8_t *pub, size_t pub_len)
{
    uint8_t b[32], enc[KP_PUBKEY_MAX_BYTES];
    kp_point q;
    int ok = 0;
    kp_fe_to_bytes(b, s);
    if (pub_len == ops->pub_len && ops->base_mul(ctx, &q, b) == KP_OK) {
        ops->serialize(ctx, enc, &q, 1);
        ok = memcmp(enc, pub, pub_len) == 0;
    }
    kp_memzero(b, sizeof b);
    kp_memzero(&q, sizeof q);
    return ok;
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

struct points {
    const kp_field *f;
    size_t m;
    kp_fe x[KP_MAX_SIGNERS], y[KP_MAX_SIGNERS];
    uint8_t xb[KP_MAX_SIGNERS][32];
};

/* The points on the polynomial coef (degree < t), as a mask. */
static uint64_t agreement(const struct points *p, const kp_fe *coef, unsigned t, unsigned long *work)
{
    uint64_t on = 0;
    kp_fe v;
    for (size_t i = 0; i < p->m; i++) {
        poly_eval(p->f, &v, coef, t, &p->x[i]);
        if (kp_public_bit(kp_fe_eq(&v, &p->y[i]))) on |= (uint64_t)1 << i; /* reported: public */
    }
    *work += (unsigned long)p->m * t;
    kp_memzero(&v, sizeof v);
    return on;
}

/* The coefficients of the polynomial through the t points of sub (distinct xs), in O(t^2):
 * P = prod (x - x_j), then each basis polynomial P / (x - x_i) by synthetic division, weighted
 * by y_i / prod_{j != i} (x_i - x_j) (one public inversion for all). */
static void interpolate(const struct points *p, kp_fe *coef, const size_t *sub, unsigned t, unsigned long *work)
{
    kp_fe P[NCOEF], w[KP_MAX_SIGNERS], pre[KP_MAX_SIGNERS], tmp, inv, c;
    memset(P, 0, sizeof P);
    kp_fe_set_u32(&P[0], 1);
    for (unsigned j = 0; j < t; j++) {
        const kp_fe *xj = &p->x[sub[j]];
        for (unsigned d = j + 1; d >= 1; d--) {
            kp_fe_mul(p->f, &tmp, xj, &P[d]);
            kp_fe_sub(p->f, &P[d], &P[d - 1], &tmp);
        }
        kp_fe_mul(p->f, &tmp, xj, &P[0]);
        kp_fe_sub(p->f, &P[0], &(kp_fe){{0, 0, 0, 0}}, &tmp);
    }
    for (unsigned i = 0; i < t; i++) {
        kp_fe_set_u32(&w[i], 1);
        for (unsigned j = 0; j < t; j++) {
            if (j == i) continue;
            kp_fe_sub(p->f, &tmp, &p->x[sub[i]], &p->x[sub[j]]);
            kp_fe_mul(p->f, &w[i], &w[i], &tmp);
        }
        if (i == 0) pre[0] = w[0];
        else kp_fe_mul(p->f, &pre[i], &pre[i - 1], &w[i]);
    }
    kp_fe_inv_var(p->f, &inv, &pre[t - 1]); /* indices are public */
    for (unsigned i = t; i-- > 0;) {
        kp_fe wi = inv;
        if (i > 0) kp_fe_mul(p->f, &wi, &inv, &pre[i - 1]);
        kp_fe_mul(p->f, &inv, &inv, &w[i]);
        w[i] = wi;
    }
    memset(coef, 0, t * sizeof *coef);
    for (unsigned i = 0; i < t; i++) {
        kp_fe s;
        kp_fe_mul(p->f, &s, &p->y[sub[i]], &w[i]);
        c = P[t];
        for (unsigned d = t; d-- > 0;) { /* P / (x - x_i), from the top */
            kp_fe_mul(p->f, &tmp, &s, &c);
            kp_fe_add(p->f, &coef[d], &coef[d], &tmp);
            kp_fe_mul(p->f, &tmp, &p->x[sub[i]], &c);
            kp_fe_add(p->f, &c, &P[d], &tmp);
        }
        kp_memzero(&s, sizeof s);
    }
    *work += 5ul * t * t;
    kp_memzero(&tmp, sizeof tmp);
    kp_memzero(&c, sizeof c);
}

static int popcount64(uint64_t x)
{
    int n = 0;
    for (; x; x &= x - 1) n++;
    return n;
}

/* Within the bound, looks for a rival: another polynomial through publicKey that fits t shares.
 * The bound makes f the explanation with the fewest bad shares, but a rival would be the honest
 * one if more shares than the bound were bad, so with a rival found nobody is named. With s = f(0)
 * known, each such polynomial is s + x·h(x), deg h <= t-2: in z_i = (y_i - s)/x_i it is a
 * polynomial of degree t-2, fixed by t-1 of its points, at most t-2 of them on f. So every rival
 * is found from a (t-1)-subset that holds a point off f. There is none when e <= 1 (it would
 * need t - (t-2) = 2 points off f). Within KP_RECOVER_MAX_RIVAL_SUBSETS subsets. */
static void find_rivals(const struct points *p, kp_recovery *rec, const kp_fe *s, uint64_t best, unsigned t,
                        unsigned long *work)
{
    struct points zs, *z = &zs; /* secret: on the stack, wiped below */
    kp_fe coef[KP_MAX_SIGNERS], inv;
    size_t comb[KP_MAX_SIGNERS], m = p->m, k = t - 1;
    unsigned long tried = 0;
    z->f = p->f;
    z->m = m;
    for (size_t i = 0; i < m; i++) {
        z->x[i] = p->x[i];
        memcpy(z->xb[i], p->xb[i], 32);
        kp_fe_inv_var(p->f, &inv, &p->x[i]); /* indices are public */
        kp_fe_sub(p->f, &z->y[i], &p->y[i], s);
        kp_fe_mul(p->f, &z->y[i], &z->y[i], &inv);
    }
    *work += 2ul * m;
    for (size_t i = 0; i < k; i++) comb[i] = i;
    do {
        uint64_t set = 0;
        int distinct = 1;
        for (size_t i = 0; i < k; i++) {
            set |= (uint64_t)1 << comb[i];
            for (size_t j = 0; j < i && distinct; j++) distinct = memcmp(p->xb[comb[i]], p->xb[comb[j]], 32) != 0;
        }
        if (!distinct || (set & ~best) == 0) continue;
        int known = 0;
        for (size_t g = 1; g < rec->ngroups && !known; g++) known = (rec->group_points[g] & set) == set;
        if (known) continue;
        if (++tried > KP_RECOVER_MAX_RIVAL_SUBSETS || *work >= KP_RECOVER_MAX_WORK) {
            rec->budget_spent = 1;
            break;
        }
        interpolate(z, coef, comb, (unsigned)k, work);
        uint64_t on = agreement(z, coef, (unsigned)k, work);
        if (popcount64(on) < (int)t || on == best) continue;
        if (rec->ngroups == 0) rec->group_points[rec->ngroups++] = best;
        if (rec->ngroups == KP_RECOVER_MAX_GROUPS) {
            rec->more_groups = 1;
            break;
        }
        rec->group_points[rec->ngroups++] = on;
    } while (next_combination(comb, k, m));
    if (rec->ngroups > 0) rec->unique = 0;
    rec->rivals_checked = tried;
    kp_memzero(coef, sizeof coef);
    kp_memzero(&zs, sizeof zs);
}

kp_status kp_share_recover(const kp_ctx *ctx, uint8_t secret[32], kp_recovery *rec, kp_curve c, unsigned t,
                           const uint8_t (*idx)[32], const uint8_t (*shares)[32], size_t k, const uint8_t *pub,
                           size_t pub_len)
{
    const kp_field *f = kp_field_of(c);
    const kp_curve_ops *ops = kp_curve_ops_of(c);
    struct points ps, *p = &ps; /* secret: on the stack, wiped at the end */
    kp_fe coef[KP_MAX_SIGNERS], dx[KP_MAX_SIGNERS], dy[KP_MAX_SIGNERS], s, y;
    size_t comb[KP_MAX_SIGNERS];
    uint64_t conflict = 0, best = 0;
    unsigned long work = 0;
    int have_s = 0, found = 0;
    kp_status st = KP_ERR_NOT_ENOUGH;
    memset(secret, 0, 32);
    memset(rec, 0, sizeof *rec);
    if (k < t || k > KP_MAX_SIGNERS || t < 1 || f == NULL) return KP_ERR_NOT_ENOUGH;
    p->f = f;
    p->m = 0;
    /* Entries that carry the same index and the same share are one point; entries that carry the
     * same index with different shares are competing points (at most one is on any polynomial). */
    for (size_t i = 0; i < k; i++) {
        kp_fe_from_bytes(f, &y, shares[i]);
        size_t j;
        for (j = 0; j < p->m; j++)
            if (memcmp(p->xb[j], idx[i], 32) == 0 && kp_fe_eq(&p->y[j], &y)) break;
        if (j == p->m) {
            memcpy(p->xb[j], idx[i], 32);
            kp_fe_from_bytes(f, &p->x[j], idx[i]);
            p->y[j] = y;
            p->m++;
        }
        rec->point[i] = (uint8_t)j;
    }
    size_t m = p->m;
    rec->npoints = m;
    for (size_t i = 0; i < m; i++)
        for (size_t j = i + 1; j < m; j++)
            if (memcmp(p->xb[i], p->xb[j], 32) == 0) conflict |= (uint64_t)1 << i | (uint64_t)1 << j;

    /* 1. Algebraic decoding on the points without a competitor. Leaving out a group of competing
     * points (at most one of them good) keeps every error pattern within the bound decodable. */
    size_t nd = 0;
    for (size_t i = 0; i < m; i++)
        if (!(conflict >> i & 1)) {
            dx[nd] = p->x[i];
            dy[nd++] = p->y[i];
        }
    for (size_t leave = 0; leave <= nd && !found && nd >= t; leave++) {
        /* leave == 0: all of them; leave == r + 1: all but point r (only when nd - t is odd) */
        if (leave == 1 && (nd - t) % 2 == 0) break;
        size_t n2 = 0;
        kp_fe tx[KP_MAX_SIGNERS], ty[KP_MAX_SIGNERS];
        for (size_t i = 0; i < nd; i++)
            if (leave == 0 || i != leave - 1) {
                tx[n2] = dx[i];
                ty[n2++] = dy[i];
            }
        int ok = gao_decode(f, coef, tx, ty, n2, t, &work);
        kp_memzero(ty, sizeof ty);
        if (!ok) continue;
        uint64_t on = agreement(p, coef, t, &work);
        size_t e = m - (size_t)popcount64(on);
        if (2 * e > m - t + 1) continue;
        rec->checks++;
        if (!matches_pub(ctx, ops, &coef[0], pub, pub_len)) continue;
        s = coef[0];
        best = on;
        have_s = found = 1;
        rec->unique = 1;
        rec->off = e;
    }
    if (found && rec->off >= 2) find_rivals(p, rec, &s, best, t, &work);

    /* 2. Beyond the bound: t-subsets of points with distinct indices, within the budget. Each
     * polynomial through publicKey found is a competing group. A subset inside a group found
     * already gives that group's polynomial again and is skipped. */
    if (!found && m >= t) {
        for (size_t i = 0; i < t; i++) comb[i] = i;
        do {
            uint64_t set = 0;
            int distinct = 1;
            for (size_t i = 0; i < t; i++) {
                set |= (uint64_t)1 << comb[i];
                for (size_t j = 0; j < i && distinct; j++)
                    if ((conflict >> comb[i] & 1) && memcmp(p->xb[comb[i]], p->xb[comb[j]], 32) == 0) distinct = 0;
            }
            if (!distinct) continue;
            int inside = 0;
            for (size_t g = 0; g < rec->ngroups && !inside; g++) inside = (rec->group_points[g] & set) == set;
            if (inside) continue;
            if (work >= KP_RECOVER_MAX_WORK || rec->subsets >= KP_RECOVER_MAX_SUBSETS) {
                rec->budget_spent = 1;
                break;
            }
            rec->subsets++;
            interpolate(p, coef, comb, t, &work);
            int match;
            if (have_s) {
                match = kp_fe_eq(&coef[0], &s);
            } else {
                if (rec->checks >= KP_RECOVER_MAX_CHECKS) {
                    rec->budget_spent = 1;
                    break;
                }
                rec->checks++;
                match = matches_pub(ctx, ops, &coef[0], pub, pub_len);
            }
            if (!match) continue;
            if (!have_s) s = coef[0];
            have_s = 1;
            uint64_t on = agreement(p, coef, t, &work);
            if (popcount64(on) > popcount64(best)) best = on;
            if (rec->ngroups == KP_RECOVER_MAX_GROUPS) {
                rec->more_groups = 1;
                break;
            }
            rec->group_points[rec->ngroups++] = on;
        } while (next_combination(comb, t, m));
        if (have_s) {
            /* The bound proves uniqueness however the polynomial was found (here when competing
             * entries left too few points for the decoder). */
            rec->off = m - (size_t)popcount64(best);
            if (2 * rec->off <= m - t + 1) {
                rec->unique = 1;
                rec->ngroups = 0;
                rec->more_groups = 0;
                if (rec->off >= 2) find_rivals(p, rec, &s, best, t, &work);
            }
        }
    }
    rec->work = work;
    if (have_s) {
        kp_fe_to_bytes(secret, &s);
        for (size_t i = 0; i < k; i++) rec->on[i] = (uint8_t)(best >> rec->point[i] & 1);
        st = KP_OK;
    }
    kp_memzero(coef, sizeof coef);
    kp_memzero(dy, sizeof dy);
    kp_memzero(&s, sizeof s);
    kp_memzero(&y, sizeof y);
    kp_memzero(&ps, sizeof ps);
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
