/* curve.c: the three curves' point operations. See curve.h. */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <secp256k1_ecdh.h>
#include <sodium.h>

#include "curve.h"

/* ------------------------------------------------------------ secp256k1 (libsecp256k1) */

static kp_status secp_base_mul(const kp_ctx *ctx, kp_point *r, const uint8_t s[32])
{
    secp256k1_pubkey pk;
    if (!secp256k1_ec_pubkey_create(ctx->secp, &pk, s))
        return kp_fail(KP_ERR_SCALAR, "scalar is zero or not below the secp256k1 order");
    r->curve = KP_CURVE_SECP256K1;
    memcpy(r->raw, pk.data, 64);
    return KP_OK;
}

static kp_status secp_mul(const kp_ctx *ctx, kp_point *r, const kp_point *p, const uint8_t s[32])
{
    secp256k1_pubkey pk;
    memcpy(pk.data, p->raw, 64);
    if (!secp256k1_ec_pubkey_tweak_mul(ctx->secp, &pk, s))
        return kp_fail(KP_ERR_SCALAR, "scalar is zero or not below the secp256k1 order");
    r->curve = KP_CURVE_SECP256K1;
    memcpy(r->raw, pk.data, 64);
    return KP_OK;
}

static kp_status secp_add(const kp_ctx *ctx, kp_point *r, const kp_point *a, const kp_point *b)
{
    secp256k1_pubkey pa, pb, out;
    const secp256k1_pubkey *both[2] = {&pa, &pb};
    memcpy(pa.data, a->raw, 64);
    memcpy(pb.data, b->raw, 64);
    if (!secp256k1_ec_pubkey_combine(ctx->secp, &out, both, 2))
        return kp_fail(KP_ERR_POINT, "sum of points is the identity");
    r->curve = KP_CURVE_SECP256K1;
    memcpy(r->raw, out.data, 64);
    return KP_OK;
}

static kp_status secp_parse(const kp_ctx *ctx, kp_point *r, const uint8_t *in, size_t len)
{
    secp256k1_pubkey pk;
    /* libsecp256k1 also takes the hybrid 0x06/0x07 form; the wire has only 02/03 and 04. */
    int form_ok = (len == 33 && (in[0] == 2 || in[0] == 3)) || (len == 65 && in[0] == 4);
    if (!form_ok || !secp256k1_ec_pubkey_parse(ctx->secp, &pk, in, len))
        return kp_fail(KP_ERR_POINT, "not a valid secp256k1 point encoding");
    r->curve = KP_CURVE_SECP256K1;
    memcpy(r->raw, pk.data, 64);
    return KP_OK;
}

static void secp_serialize(const kp_ctx *ctx, uint8_t *out, const kp_point *p, int compressed)
{
    secp256k1_pubkey pk;
    size_t len = compressed ? 33 : 65;
    memcpy(pk.data, p->raw, 64);
    secp256k1_ec_pubkey_serialize(ctx->secp, out, &len, &pk,
                                  compressed ? SECP256K1_EC_COMPRESSED : SECP256K1_EC_UNCOMPRESSED);
}

static int ecdh_compressed(unsigned char *out, const unsigned char *x32, const unsigned char *y32, void *data)
{
    (void)data;
    out[0] = (unsigned char)(0x02 | (y32[31] & 1));
    memcpy(out + 1, x32, 32);
    return 1;
}

kp_status kp_secp_ecdh(const kp_ctx *ctx, uint8_t shared[33], const uint8_t point[33], const uint8_t s[32])
{
    secp256k1_pubkey pk;
    if ((point[0] != 2 && point[0] != 3) || !secp256k1_ec_pubkey_parse(ctx->secp, &pk, point, 33))
        return kp_fail(KP_ERR_POINT, "not a valid compressed secp256k1 point");
    /* secp256k1_ecdh runs the constant-time ladder; the hash hook hands back S itself. */
    if (!secp256k1_ecdh(ctx->secp, shared, &pk, s, ecdh_compressed, NULL)) {
        kp_memzero(shared, 33);
        return kp_fail(KP_ERR_SCALAR, "scalar is zero or not below the secp256k1 order");
    }
    return KP_OK;
}

/* ------------------------------------------------------------ ed25519 (libsodium) */

static void reverse32(uint8_t out[32], const uint8_t in[32])
{
    for (int i = 0; i < 32; i++) out[i] = in[31 - i];
}

static kp_status ed_base_mul(const kp_ctx *ctx, kp_point *r, const uint8_t s[32])
{
    (void)ctx;
    uint8_t le[32];
    reverse32(le, s);
    int rc = crypto_scalarmult_ed25519_base_noclamp(r->raw, le);
    kp_memzero(le, sizeof le);
    if (rc != 0) return kp_fail(KP_ERR_SCALAR, "ed25519 scalar is zero");
    r->curve = KP_CURVE_ED25519;
    return KP_OK;
}

static kp_status ed_mul(const kp_ctx *ctx, kp_point *r, const kp_point *p, const uint8_t s[32])
{
    (void)ctx;
    uint8_t le[32], out[32];
    reverse32(le, s);
    if (crypto_scalarmult_ed25519_noclamp(out, le, p->raw) != 0)
        return kp_fail(KP_ERR_POINT, "ed25519 multiplication gave the identity");
    memcpy(r->raw, out, 32);
    r->curve = KP_CURVE_ED25519;
    return KP_OK;
}

static kp_status ed_add(const kp_ctx *ctx, kp_point *r, const kp_point *a, const kp_point *b)
{
    (void)ctx;
    uint8_t out[32];
    if (crypto_core_ed25519_add(out, a->raw, b->raw) != 0 || !crypto_core_ed25519_is_valid_point(out))
        return kp_fail(KP_ERR_POINT, "sum of ed25519 points is the identity or of small order");
    memcpy(r->raw, out, 32);
    r->curve = KP_CURVE_ED25519;
    return KP_OK;
}

static kp_status ed_parse(const kp_ctx *ctx, kp_point *r, const uint8_t *in, size_t len)
{
    (void)ctx;
    /* is_valid_point: canonical, on the curve, not of small order, in the prime-order subgroup */
    if (len != 32 || !crypto_core_ed25519_is_valid_point(in))
        return kp_fail(KP_ERR_POINT, "not a valid ed25519 point of the prime-order subgroup");
    memcpy(r->raw, in, 32);
    memset(r->raw + 32, 0, 32);
    r->curve = KP_CURVE_ED25519;
    return KP_OK;
}

static void ed_serialize(const kp_ctx *ctx, uint8_t *out, const kp_point *p, int compressed)
{
    (void)ctx;
    (void)compressed; /* one 32-byte form */
    memcpy(out, p->raw, 32);
}

/* ------------------------------------------------------------ stark (OpenSSL EC over the Stark prime) */

/* cairo-lang pedersen_params.json: FIELD_PRIME, ALPHA, BETA, EC_ORDER, generator (EC_GEN). */
static const char STARK_P[] = "0800000000000011000000000000000000000000000000000000000000000001";
static const char STARK_B[] = "06f21413efbe40de150e596d72f7a8c5609ad26c15c915c1f4cdfcb99cee9e89";
static const char STARK_N[] = "0800000000000010ffffffffffffffffb781126dcae7b2321e66a241adc64d2f";
static const char STARK_GX[] = "01ef15c18599971b7beced415a40f0c7deacfd9b0d1819e03d723d8bc943cfca";
static const char STARK_GY[] = "005668060aa49730b7be4801df46ec62de53ecd11abe43a32873000c36e8dc1f";

kp_status kp_stark_group_new(EC_GROUP **out)
{
    BIGNUM *p = NULL, *a = NULL, *b = NULL, *n = NULL, *gx = NULL, *gy = NULL, *h = NULL;
    EC_GROUP *g = NULL;
    EC_POINT *gen = NULL;
    kp_status st = KP_ERR_INTERNAL;
    *out = NULL;
    if (!BN_hex2bn(&p, STARK_P) || !BN_hex2bn(&b, STARK_B) || !BN_hex2bn(&n, STARK_N) ||
        !BN_hex2bn(&gx, STARK_GX) || !BN_hex2bn(&gy, STARK_GY) || (a = BN_new()) == NULL ||
        (h = BN_new()) == NULL || !BN_one(a) || !BN_one(h))
        goto cleanup;
    if ((g = EC_GROUP_new_curve_GFp(p, a, b, NULL)) == NULL || (gen = EC_POINT_new(g)) == NULL ||
        !EC_POINT_set_affine_coordinates(g, gen, gx, gy, NULL) || !EC_GROUP_set_generator(g, gen, n, h))
        goto cleanup;
    *out = g;
    g = NULL;
    st = KP_OK;
cleanup:
    EC_POINT_free(gen);
    EC_GROUP_free(g);
    BN_free(p); BN_free(a); BN_free(b); BN_free(n); BN_free(gx); BN_free(gy); BN_free(h);
    return st == KP_OK ? st : kp_fail(st, "cannot set up the Stark curve in OpenSSL");
}

/* Stores an OpenSSL point as affine x || y; fails on the identity. */
static kp_status stark_store(const kp_ctx *ctx, kp_point *r, const EC_POINT *pt, BN_CTX *bn)
{
    kp_status st = KP_ERR_INTERNAL;
    BN_CTX_start(bn);
    BIGNUM *x = BN_CTX_get(bn), *y = BN_CTX_get(bn);
    if (EC_POINT_is_at_infinity(ctx->stark, pt)) {
        st = kp_fail(KP_ERR_POINT, "Stark point is the identity");
    } else if (y != NULL && EC_POINT_get_affine_coordinates(ctx->stark, pt, x, y, bn) &&
               BN_bn2binpad(x, r->raw, 32) == 32 && BN_bn2binpad(y, r->raw + 32, 32) == 32) {
        r->curve = KP_CURVE_STARK;
        st = KP_OK;
    } else {
        st = kp_fail(KP_ERR_INTERNAL, "OpenSSL failed on a Stark point");
    }
    BN_CTX_end(bn);
    return st;
}

static EC_POINT *stark_load(const kp_ctx *ctx, const kp_point *p, BN_CTX *bn)
{
    EC_POINT *pt = EC_POINT_new(ctx->stark);
    BN_CTX_start(bn);
    BIGNUM *x = BN_CTX_get(bn), *y = BN_CTX_get(bn);
    if (pt == NULL || y == NULL || !BN_bin2bn(p->raw, 32, x) || !BN_bin2bn(p->raw + 32, 32, y) ||
        !EC_POINT_set_affine_coordinates(ctx->stark, pt, x, y, bn)) {
        EC_POINT_free(pt);
        pt = NULL;
    }
    BN_CTX_end(bn);
    return pt;
}

/* r = s·p, or s·G when p is NULL. A secret s lives in a BIGNUM flagged constant-time, which
 * OpenSSL's single-point multiplication (a Montgomery ladder) honours, and is wiped after. */
static kp_status stark_mul_any(const kp_ctx *ctx, kp_point *r, const kp_point *p, const uint8_t s[32])
{
    kp_status st = KP_ERR_INTERNAL;
    BN_CTX *bn = BN_CTX_secure_new();
    BIGNUM *k = BN_secure_new();
    EC_POINT *in = NULL, *out = NULL;
    if (bn == NULL || k == NULL || (out = EC_POINT_new(ctx->stark)) == NULL) goto cleanup;
    BN_set_flags(k, BN_FLG_CONSTTIME);
    const kp_field *f = kp_field_of(KP_CURVE_STARK);
    kp_fe fe;
    int below = kp_fe_from_bytes(f, &fe, s);
    int zero = kp_fe_is_zero(&fe);
    kp_memzero(&fe, sizeof fe);
    if (!below || zero) {
        st = kp_fail(KP_ERR_SCALAR, "scalar is zero or not below the Stark order");
        goto cleanup;
    }
    if (!BN_bin2bn(s, 32, k)) goto cleanup;
    if (p != NULL && (in = stark_load(ctx, p, bn)) == NULL) goto cleanup;
    if (!EC_POINT_mul(ctx->stark, out, p == NULL ? k : NULL, in, p == NULL ? NULL : k, bn)) goto cleanup;
    st = stark_store(ctx, r, out, bn);
cleanup:
    if (st == KP_ERR_INTERNAL) kp_fail(st, "OpenSSL failed on a Stark multiplication");
    EC_POINT_free(in);
    EC_POINT_clear_free(out);
    BN_clear_free(k);
    BN_CTX_free(bn);
    return st;
}

static kp_status stark_base_mul(const kp_ctx *ctx, kp_point *r, const uint8_t s[32])
{
    return stark_mul_any(ctx, r, NULL, s);
}

static kp_status stark_mul(const kp_ctx *ctx, kp_point *r, const kp_point *p, const uint8_t s[32])
{
    return stark_mul_any(ctx, r, p, s);
}

static kp_status stark_add(const kp_ctx *ctx, kp_point *r, const kp_point *a, const kp_point *b)
{
    kp_status st = kp_fail(KP_ERR_INTERNAL, "OpenSSL failed on a Stark addition");
    BN_CTX *bn = BN_CTX_new();
    EC_POINT *pa = NULL, *pb = NULL, *out = NULL;
    if (bn == NULL || (pa = stark_load(ctx, a, bn)) == NULL || (pb = stark_load(ctx, b, bn)) == NULL ||
        (out = EC_POINT_new(ctx->stark)) == NULL || !EC_POINT_add(ctx->stark, out, pa, pb, bn))
        goto cleanup;
    st = stark_store(ctx, r, out, bn);
cleanup:
    EC_POINT_free(pa);
    EC_POINT_free(pb);
    EC_POINT_free(out);
    BN_CTX_free(bn);
    return st;
}

static kp_status stark_parse(const kp_ctx *ctx, kp_point *r, const uint8_t *in, size_t len)
{
    static const uint8_t p_be[32] = {0x08, 0, 0, 0, 0, 0, 0, 0x11, 0, 0, 0, 0, 0, 0, 0, 0,
                                     0,    0, 0, 0, 0, 0, 0, 0,    0, 0, 0, 0, 0, 0, 0, 1};
    int form_ok = (len == 33 && (in[0] == 2 || in[0] == 3)) || (len == 65 && in[0] == 4);
    /* Coordinates must be canonical, below p (OpenSSL would otherwise reduce them). */
    if (!form_ok || memcmp(in + 1, p_be, 32) >= 0 || (len == 65 && memcmp(in + 33, p_be, 32) >= 0))
        return kp_fail(KP_ERR_POINT, "not a valid Stark point encoding");
    kp_status st = KP_ERR_POINT;
    BN_CTX *bn = BN_CTX_new();
    EC_POINT *pt = EC_POINT_new(ctx->stark);
    if (bn != NULL && pt != NULL && EC_POINT_oct2point(ctx->stark, pt, in, len, bn) &&
        EC_POINT_is_on_curve(ctx->stark, pt, bn) == 1)
        st = stark_store(ctx, r, pt, bn);
    EC_POINT_free(pt);
    BN_CTX_free(bn);
    return st == KP_OK ? st : kp_fail(KP_ERR_POINT, "not a point on the Stark curve");
}

static void stark_serialize(const kp_ctx *ctx, uint8_t *out, const kp_point *p, int compressed)
{
    (void)ctx;
    if (compressed) {
        out[0] = (uint8_t)(0x02 | (p->raw[63] & 1));
        memcpy(out + 1, p->raw, 32);
    } else {
        out[0] = 0x04;
        memcpy(out + 1, p->raw, 64);
    }
}

/* ------------------------------------------------------------ the tables */

static const kp_curve_ops OPS[3] = {
    {KP_CURVE_SECP256K1, "secp256k1", 33, 65, secp_base_mul, secp_mul, secp_add, secp_parse, secp_serialize},
    {KP_CURVE_ED25519, "ed25519", 32, 32, ed_base_mul, ed_mul, ed_add, ed_parse, ed_serialize},
    {KP_CURVE_STARK, "stark", 33, 65, stark_base_mul, stark_mul, stark_add, stark_parse, stark_serialize},
};

const kp_curve_ops *kp_curve_ops_of(kp_curve c)
{
    if (c >= KP_CURVE_SECP256K1 && c <= KP_CURVE_STARK) return &OPS[c - 1];
    kp_fail(KP_ERR_CURVE, "unknown curve %d", (int)c);
    return NULL;
}

int kp_point_eq(const kp_ctx *ctx, const kp_point *a, const kp_point *b)
{
    uint8_t ea[KP_POINT_MAX_BYTES], eb[KP_POINT_MAX_BYTES];
    if (a->curve != b->curve) return 0;
    const kp_curve_ops *ops = kp_curve_ops_of(a->curve);
    ops->serialize(ctx, ea, a, 1);
    ops->serialize(ctx, eb, b, 1);
    return memcmp(ea, eb, ops->pub_len) == 0;
}

kp_status kp_point_lincomb(const kp_ctx *ctx, kp_point *r, const kp_point *p, const kp_fe *lambda, size_t k)
{
    const kp_curve_ops *ops = kp_curve_ops_of(p[0].curve);
    kp_status st;
    kp_point term;
    uint8_t s[32];
    for (size_t i = 0; i < k; i++) {
        kp_fe_to_bytes(s, &lambda[i]);
        if ((st = ops->mul(ctx, i == 0 ? r : &term, &p[i], s)) != KP_OK) return st;
        if (i > 0 && (st = ops->add(ctx, r, r, &term)) != KP_OK) return st;
    }
    return KP_OK;
}
