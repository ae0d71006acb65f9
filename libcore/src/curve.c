/* curve.c: the three curves' point operations. See curve.h. */
#include <string.h>

#include <secp256k1_ecdh.h>
#include <sodium.h>

#include "curve.h"

/* ------------------------------------------------------------ secp256k1 (libsecp256k1) */

/* Every point these operations return is public by design (a public key, a public share, a
 * commitment, an ephemeral E), and so is whether a scalar was valid; both are declassified
 * (KP_DECLASSIFY) for the ctime test. The secret-result operation is kp_secp_ecdh. */

static kp_status secp_base_mul(const kp_ctx *ctx, kp_point *r, const uint8_t s[32])
{
    secp256k1_pubkey pk;
    int ok = kp_public_bit(secp256k1_ec_pubkey_create(ctx->secp, &pk, s));
    KP_DECLASSIFY(pk.data, sizeof pk.data);
    if (!ok) return kp_fail(KP_ERR_SCALAR, "scalar is zero or not below the secp256k1 order");
    r->curve = KP_CURVE_SECP256K1;
    memcpy(r->raw, pk.data, 64);
    return KP_OK;
}

static kp_status secp_mul(const kp_ctx *ctx, kp_point *r, const kp_point *p, const uint8_t s[32])
{
    secp256k1_pubkey pk;
    memcpy(pk.data, p->raw, 64);
    int ok = kp_public_bit(secp256k1_ec_pubkey_tweak_mul(ctx->secp, &pk, s));
    KP_DECLASSIFY(pk.data, sizeof pk.data);
    if (!ok) return kp_fail(KP_ERR_SCALAR, "scalar is zero or not below the secp256k1 order");
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
    if (!kp_public_bit(secp256k1_ecdh(ctx->secp, shared, &pk, s, ecdh_compressed, NULL))) {
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
    int rc = kp_public_bit(crypto_scalarmult_ed25519_base_noclamp(r->raw, le));
    KP_DECLASSIFY(r->raw, 32);
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
    int rc = kp_public_bit(crypto_scalarmult_ed25519_noclamp(out, le, p->raw));
    KP_DECLASSIFY(out, sizeof out);
    kp_memzero(le, sizeof le);
    if (rc != 0) return kp_fail(KP_ERR_POINT, "ed25519 multiplication gave the identity");
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

/* ------------------------------------------------------------ the tables */

static const kp_curve_ops OPS[3] = {
    {KP_CURVE_SECP256K1, "secp256k1", 33, 65, secp_base_mul, secp_mul, secp_add, secp_parse, secp_serialize},
    {KP_CURVE_ED25519, "ed25519", 32, 32, ed_base_mul, ed_mul, ed_add, ed_parse, ed_serialize},
    {KP_CURVE_STARK, "stark", 33, 65, kp_stark_base_mul, kp_stark_mul, kp_stark_add, kp_stark_parse, kp_stark_serialize},
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
    if (p[0].curve == KP_CURVE_STARK) return kp_stark_lincomb(ctx, r, p, lambda, k);
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

kp_status kp_public_shares(const kp_ctx *ctx, kp_point *pubs, kp_curve c, const uint8_t (*shares)[32], unsigned t,
                           unsigned n)
{
    if (c == KP_CURVE_STARK) return kp_stark_public_shares(ctx, pubs, shares, t, n);
    const kp_curve_ops *ops = kp_curve_ops_of(c);
    if (ops == NULL) return KP_ERR_CURVE;
    kp_status st;
    for (unsigned i = 0; i < n; i++)
        if ((st = ops->base_mul(ctx, &pubs[i], shares[i])) != KP_OK) return st;
    return KP_OK;
}
