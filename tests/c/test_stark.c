/*
 * test_stark.c: keyport's own Stark arithmetic (stark.c) against OpenSSL's generic EC code over
 * the same curve, built here from the cairo-lang parameters in tests/vectors. Random scalars and
 * points, both ways (keyport's results decoded by OpenSSL and OpenSSL's by keyport), thousands of
 * cases, plus the scalar edges (1, 2, 15, 16, n-2, n-1), the identity, doubling, point decoding
 * (compressed and uncompressed, off-curve and non-canonical inputs), the public shares of an
 * import and the linear combinations of share checks. The published vectors are in test_curve.
 */
#include <openssl/bn.h>
#include <openssl/ec.h>

#include "curve.h"
#include "kptest.h"

static EC_GROUP *grp;
static BN_CTX *bn;
static BIGNUM *order, *prime;

static BIGNUM *hexbn(const char *hex)
{
    BIGNUM *b = NULL;
    cr_assert(BN_hex2bn(&b, hex[0] == '0' && hex[1] == 'x' ? hex + 2 : hex));
    return b;
}

static void setup(void)
{
    kpt_setup();
    cJSON *j = kpt_load_json("stark-curve-params.cairo-lang.json");
    cJSON *g = cJSON_GetObjectItemCaseSensitive(j, "generator");
    prime = hexbn(kpt_jstr(cJSON_GetObjectItemCaseSensitive(j, "FIELD_PRIME"), "hex"));
    BIGNUM *a = hexbn(kpt_jstr(cJSON_GetObjectItemCaseSensitive(j, "ALPHA"), "hex"));
    BIGNUM *b = hexbn(kpt_jstr(cJSON_GetObjectItemCaseSensitive(j, "BETA"), "hex"));
    order = hexbn(kpt_jstr(cJSON_GetObjectItemCaseSensitive(j, "EC_ORDER"), "hex"));
    BIGNUM *gx = hexbn(kpt_jstr(cJSON_GetObjectItemCaseSensitive(g, "x"), "hex"));
    BIGNUM *gy = hexbn(kpt_jstr(cJSON_GetObjectItemCaseSensitive(g, "y"), "hex"));
    BIGNUM *one = BN_new();
    bn = BN_CTX_new();
    cr_assert(one != NULL && bn != NULL && BN_one(one));
    grp = EC_GROUP_new_curve_GFp(prime, a, b, bn);
    cr_assert(grp != NULL);
    EC_POINT *gen = EC_POINT_new(grp);
    cr_assert(EC_POINT_set_affine_coordinates(grp, gen, gx, gy, bn));
    cr_assert(EC_GROUP_set_generator(grp, gen, order, one));
    EC_POINT_free(gen);
    BN_free(a); BN_free(b); BN_free(gx); BN_free(gy); BN_free(one);
    cJSON_Delete(j);
}

static void teardown(void)
{
    EC_GROUP_free(grp);
    BN_CTX_free(bn);
    BN_free(order);
    BN_free(prime);
    kpt_teardown();
}

TestSuite(stark, .init = setup, .fini = teardown, .timeout = 600);

/* OpenSSL point -> 65-byte uncompressed encoding */
static void ossl_enc(uint8_t out[65], const EC_POINT *p)
{
    cr_assert_eq(EC_POINT_point2oct(grp, p, POINT_CONVERSION_UNCOMPRESSED, out, 65, bn), 65);
}

static EC_POINT *ossl_mul(const EC_POINT *p, const uint8_t s[32])
{
    BIGNUM *k = BN_bin2bn(s, 32, NULL);
    EC_POINT *r = EC_POINT_new(grp);
    cr_assert(k != NULL && r != NULL);
    cr_assert(EC_POINT_mul(grp, r, p == NULL ? k : NULL, p, p == NULL ? NULL : k, bn));
    BN_free(k);
    return r;
}

static EC_POINT *ossl_dec(const uint8_t *in, size_t len)
{
    EC_POINT *r = EC_POINT_new(grp);
    cr_assert(r != NULL);
    if (!EC_POINT_oct2point(grp, r, in, len, bn)) {
        EC_POINT_free(r);
        return NULL;
    }
    return r;
}

static const kp_curve_ops *ops(void)
{
    return kp_curve_ops_of(KP_CURVE_STARK);
}

static void kp_enc(uint8_t out[65], const kp_point *p)
{
    ops()->serialize(ctx, out, p, 0);
}

/* keyport's point for s·G, decoded from its own uncompressed form by keyport */
static void kp_base(kp_point *r, const uint8_t s[32])
{
    KPT_ST(ops()->base_mul(ctx, r, s), KP_OK);
}

/* a random point from OpenSSL, parsed by keyport */
static EC_POINT *random_point(kp_point *mine)
{
    uint8_t s[32], enc[65];
    kpt_random_scalar(s, KP_CURVE_STARK);
    EC_POINT *p = ossl_mul(NULL, s);
    ossl_enc(enc, p);
    KPT_ST(ops()->parse(ctx, mine, enc, 65), KP_OK);
    return p;
}

static void assert_same(const kp_point *mine, const EC_POINT *theirs, const char *what, int i)
{
    uint8_t a[65], b[65];
    kp_enc(a, mine);
    ossl_enc(b, theirs);
    cr_assert_arr_eq(a, b, 65, "%s, case %d", what, i);
}

Test(stark, base_mul_random_scalars_match_openssl)
{
    for (int i = 0; i < 2000; i++) {
        uint8_t s[32];
        kp_point p;
        kpt_random_scalar(s, KP_CURVE_STARK);
        kp_base(&p, s);
        EC_POINT *q = ossl_mul(NULL, s);
        assert_same(&p, q, "s·G", i);
        EC_POINT_free(q);
    }
}

Test(stark, base_mul_sparse_and_edge_scalars)
{
    uint8_t n[32], s[32];
    kpt_order(n, KP_CURVE_STARK);
    const int small[] = {1, 2, 3, 15, 16, 17, 255, 256, 65535};
    int i = 0;
    for (size_t k = 0; k < sizeof small / sizeof small[0]; k++, i++) {
        kp_point p;
        kpt_scalar_u32(s, (uint32_t)small[k]);
        kp_base(&p, s);
        EC_POINT *q = ossl_mul(NULL, s);
        assert_same(&p, q, "small·G", i);
        EC_POINT_free(q);
    }
    for (int d = -16; d <= -1; d++, i++) { /* n-16 .. n-1: every top window full */
        kp_point p;
        kpt_add_small(s, n, d);
        kp_base(&p, s);
        EC_POINT *q = ossl_mul(NULL, s);
        assert_same(&p, q, "(n-k)·G", i);
        EC_POINT_free(q);
    }
    /* single bits and single nibbles everywhere: windows that are 0 beside ones that are not */
    for (int bit = 0; bit < 251; bit++, i++) {
        kp_point p;
        memset(s, 0, 32);
        s[31 - bit / 8] = (uint8_t)(1u << (bit % 8));
        kp_base(&p, s);
        EC_POINT *q = ossl_mul(NULL, s);
        assert_same(&p, q, "2^k·G", i);
        EC_POINT_free(q);
    }
    /* 0 and n are refused */
    kp_point p;
    memset(s, 0, 32);
    KPT_ST(ops()->base_mul(ctx, &p, s), KP_ERR_SCALAR);
    KPT_ST(ops()->base_mul(ctx, &p, n), KP_ERR_SCALAR);
}

Test(stark, mul_random_points_and_scalars_match_openssl)
{
    for (int i = 0; i < 1000; i++) {
        uint8_t s[32];
        kp_point mine, r;
        EC_POINT *p = random_point(&mine);
        kpt_random_scalar(s, KP_CURVE_STARK);
        if (i < 16) kpt_scalar_u32(s, (uint32_t)i + 1); /* small multiples: doublings of the point */
        KPT_ST(ops()->mul(ctx, &r, &mine, s), KP_OK);
        EC_POINT *q = ossl_mul(p, s);
        assert_same(&r, q, "s·P", i);
        EC_POINT_free(p);
        EC_POINT_free(q);
    }
}

Test(stark, mul_by_order_minus_one_negates)
{
    uint8_t n[32], s[32];
    kpt_order(n, KP_CURVE_STARK);
    kpt_add_small(s, n, -1);
    for (int i = 0; i < 20; i++) {
        kp_point mine, r;
        EC_POINT *p = random_point(&mine);
        KPT_ST(ops()->mul(ctx, &r, &mine, s), KP_OK);
        cr_assert(EC_POINT_invert(grp, p, bn));
        assert_same(&r, p, "(n-1)·P", i);
        EC_POINT_free(p);
    }
}

Test(stark, add_random_pairs_doubling_and_identity)
{
    for (int i = 0; i < 1000; i++) {
        kp_point a, b, r;
        EC_POINT *pa = random_point(&a), *pb = random_point(&b), *q = EC_POINT_new(grp);
        cr_assert(q != NULL);
        if (i % 10 == 0) { /* P + P goes through the same complete formula */
            b = a;
            cr_assert(EC_POINT_copy(pb, pa));
        }
        KPT_ST(ops()->add(ctx, &r, &a, &b), KP_OK);
        cr_assert(EC_POINT_add(grp, q, pa, pb, bn));
        assert_same(&r, q, "P + Q", i);
        if (i % 50 == 0) { /* P + (-P) is the identity, which is refused */
            uint8_t enc[65];
            kp_point neg;
            cr_assert(EC_POINT_invert(grp, pa, bn));
            ossl_enc(enc, pa);
            KPT_ST(ops()->parse(ctx, &neg, enc, 65), KP_OK);
            KPT_ST(ops()->add(ctx, &r, &a, &neg), KP_ERR_POINT);
        }
        EC_POINT_free(pa);
        EC_POINT_free(pb);
        EC_POINT_free(q);
    }
}

Test(stark, compressed_points_decode_both_ways)
{
    for (int i = 0; i < 300; i++) {
        uint8_t s[32], c33[33], mine33[33], full[65], theirs[65];
        kpt_random_scalar(s, KP_CURVE_STARK);
        EC_POINT *p = ossl_mul(NULL, s);
        cr_assert_eq(EC_POINT_point2oct(grp, p, POINT_CONVERSION_COMPRESSED, c33, 33, bn), 33);
        kp_point mine;
        KPT_ST(ops()->parse(ctx, &mine, c33, 33), KP_OK); /* OpenSSL's encoding, keyport's square root */
        kp_enc(full, &mine);
        ossl_enc(theirs, p);
        cr_assert_arr_eq(full, theirs, 65, "decoded y, case %d", i);
        kp_point k2;
        kp_base(&k2, s);
        ops()->serialize(ctx, mine33, &k2, 1);
        cr_assert_arr_eq(mine33, c33, 33, "compressed form, case %d", i);
        EC_POINT *back = ossl_dec(mine33, 33); /* keyport's encoding, OpenSSL's decoder */
        cr_assert(back != NULL && EC_POINT_cmp(grp, back, p, bn) == 0);
        EC_POINT_free(back);
        EC_POINT_free(p);
    }
}

Test(stark, off_curve_and_non_canonical_encodings_are_refused)
{
    int refused = 0, accepted = 0;
    for (int i = 0; i < 300; i++) {
        uint8_t c33[33];
        kpt_random(c33 + 1, 32);
        c33[1] &= 0x07; /* below 2^251 < p */
        c33[0] = (uint8_t)(2 + (i & 1));
        kp_point mine;
        kp_status st = ops()->parse(ctx, &mine, c33, 33);
        EC_POINT *theirs = ossl_dec(c33, 33);
        cr_assert_eq(st == KP_OK, theirs != NULL, "x %d: keyport %d, OpenSSL %d", i, st, theirs != NULL);
        if (theirs != NULL) {
            uint8_t a[65], b[65];
            kp_enc(a, &mine);
            ossl_enc(b, theirs);
            cr_assert_arr_eq(a, b, 65);
            accepted++;
        } else {
            cr_assert_eq(st, KP_ERR_POINT);
            refused++;
        }
        EC_POINT_free(theirs);
    }
    cr_assert_gt(refused, 50);
    cr_assert_gt(accepted, 50);
    /* uncompressed: y changed by one is off the curve */
    uint8_t s[32], full[65];
    kpt_random_scalar(s, KP_CURVE_STARK);
    kp_point p, q;
    kp_base(&p, s);
    kp_enc(full, &p);
    full[64] ^= 1;
    KPT_ST(ops()->parse(ctx, &q, full, 65), KP_ERR_POINT);
    full[64] ^= 1;
    KPT_ST(ops()->parse(ctx, &q, full, 65), KP_OK);
    /* x + p, y + p: the same residues, not canonical */
    uint8_t pbytes[32];
    cr_assert_eq(BN_bn2binpad(prime, pbytes, 32), 32);
    uint8_t bad[65];
    memcpy(bad, full, 65);
    int carry = 0;
    for (int i = 31; i >= 0; i--) {
        int v = bad[1 + i] + pbytes[i] + carry;
        bad[1 + i] = (uint8_t)v;
        carry = v >> 8;
    }
    cr_assert_eq(carry, 0);
    KPT_ST(ops()->parse(ctx, &q, bad, 65), KP_ERR_POINT);
    uint8_t c33[33];
    c33[0] = 2;
    memcpy(c33 + 1, bad + 1, 32);
    KPT_ST(ops()->parse(ctx, &q, c33, 33), KP_ERR_POINT);
    /* other prefixes */
    full[0] = 6;
    KPT_ST(ops()->parse(ctx, &q, full, 65), KP_ERR_POINT);
    c33[0] = 4;
    KPT_ST(ops()->parse(ctx, &q, c33, 33), KP_ERR_POINT);
}

Test(stark, public_shares_from_differences_match_each_share)
{
    for (int round = 0; round < 60; round++) {
        unsigned n = 2 + kpt_uniform(KP_MAX_SIGNERS - 1), t = 2 + kpt_uniform(n - 1);
        if (round < 4) {
            n = round < 2 ? 2 : KP_MAX_SIGNERS;
            t = round % 2 ? n : 2;
        }
        uint8_t secret[32], shares[KP_MAX_SIGNERS][32];
        kp_point pubs[KP_MAX_SIGNERS];
        kpt_random_scalar(secret, KP_CURVE_STARK);
        KPT_ST(kp_share_split(ctx, shares, KP_CURVE_STARK, t, n, secret), KP_OK);
        KPT_ST(kp_public_shares(ctx, pubs, KP_CURVE_STARK, (const uint8_t (*)[32])shares, t, n), KP_OK);
        for (unsigned i = 0; i < n; i++) {
            EC_POINT *q = ossl_mul(NULL, shares[i]);
            assert_same(&pubs[i], q, "public share", (int)i);
            EC_POINT_free(q);
        }
    }
}

Test(stark, lincomb_matches_openssl)
{
    const kp_field *f = kp_field_of(KP_CURVE_STARK);
    for (int round = 0; round < 100; round++) {
        size_t k = 1 + kpt_uniform(round < 5 ? KP_MAX_SIGNERS : 12);
        kp_point pts[KP_MAX_SIGNERS], r;
        kp_fe lambda[KP_MAX_SIGNERS];
        EC_POINT *acc = EC_POINT_new(grp);
        cr_assert(acc != NULL && EC_POINT_set_to_infinity(grp, acc));
        for (size_t i = 0; i < k; i++) {
            uint8_t s[32];
            EC_POINT *p = random_point(&pts[i]);
            kp_fe_random(f, &lambda[i]);
            kp_fe_to_bytes(s, &lambda[i]);
            EC_POINT *term = ossl_mul(p, s);
            cr_assert(EC_POINT_add(grp, acc, acc, term, bn));
            EC_POINT_free(p);
            EC_POINT_free(term);
        }
        KPT_ST(kp_point_lincomb(ctx, &r, pts, lambda, k), KP_OK);
        assert_same(&r, acc, "sum λ_i·P_i", round);
        EC_POINT_free(acc);
    }
}
