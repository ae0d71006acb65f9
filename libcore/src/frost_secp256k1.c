/*
 * frost_secp256k1.c: FROST(secp256k1, SHA-256), RFC 9591 §6.5, on the curve table (curve.h)
 * and the constant-time order arithmetic (field.h). Hashes to scalars by expand_message_xmd
 * (RFC 9380 §5.3.1) with SHA-256, 48 bytes, reduced mod n.
 */
#include <string.h>

#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <sodium.h>

#include "curve.h"
#include "keyport_frost.h"

#define CTX "FROST-secp256k1-SHA256-v1"

typedef struct { const uint8_t *p; size_t len; } part;

/* expand_message_xmd(msg = parts..., DST = CTX || tag, 48) reduced mod n. */
static void hash_scalar(kp_fe *out, const char *tag, const part *parts, size_t np)
{
    uint8_t dst[64];
    size_t dlen = strlen(CTX) + strlen(tag);
    memcpy(dst, CTX, strlen(CTX));
    memcpy(dst + strlen(CTX), tag, strlen(tag));
    dst[dlen] = (uint8_t)dlen;
    uint8_t zpad[64] = {0}, b0[32], b1[32], b2[32], lib[3] = {0, 48, 0};
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, zpad, 64);
    for (size_t i = 0; i < np; i++)
        if (parts[i].len) crypto_hash_sha256_update(&st, parts[i].p, parts[i].len);
    crypto_hash_sha256_update(&st, lib, 3);
    crypto_hash_sha256_update(&st, dst, dlen + 1);
    crypto_hash_sha256_final(&st, b0);
    uint8_t one = 1;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, b0, 32);
    crypto_hash_sha256_update(&st, &one, 1);
    crypto_hash_sha256_update(&st, dst, dlen + 1);
    crypto_hash_sha256_final(&st, b1);
    uint8_t x[32], two = 2;
    for (int i = 0; i < 32; i++) x[i] = b0[i] ^ b1[i];
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, x, 32);
    crypto_hash_sha256_update(&st, &two, 1);
    crypto_hash_sha256_update(&st, dst, dlen + 1);
    crypto_hash_sha256_final(&st, b2);
    uint8_t wide[64] = {0};
    memcpy(wide + 16, b1, 32);
    memcpy(wide + 48, b2, 16);
    kp_fe_from_wide(kp_field_of(KP_CURVE_SECP256K1), out, wide);
    sodium_memzero(wide, sizeof wide);
    sodium_memzero(b0, sizeof b0);
    sodium_memzero(b1, sizeof b1);
    sodium_memzero(b2, sizeof b2);
    sodium_memzero(x, sizeof x);
    sodium_memzero(&st, sizeof st);
}

static void id_bytes(uint8_t out[32], uint16_t id)
{
    memset(out, 0, 32);
    out[30] = (uint8_t)(id >> 8);
    out[31] = (uint8_t)(id & 0xff);
}

static kp_status check_list(const kp_ctx *ctx, const kp_frost_secp_commitment *list, size_t n,
                            kp_point *d, kp_point *e)
{
    const kp_curve_ops *ops = kp_curve_ops_of(KP_CURVE_SECP256K1);
    if (!list || n == 0) return KP_ERR_FORMAT;
    for (size_t i = 0; i < n; i++) {
        if (list[i].id == 0 || (i && list[i].id <= list[i - 1].id)) return KP_ERR_FORMAT;
        if (ops->parse(ctx, &d[i], list[i].hiding, 33) != KP_OK) return KP_ERR_FORMAT;
        if (ops->parse(ctx, &e[i], list[i].binding, 33) != KP_OK) return KP_ERR_FORMAT;
    }
    return KP_OK;
}

kp_status kp_frost_secp256k1_nonce(const kp_ctx *ctx, uint8_t nonce[32], const uint8_t *random,
                                   const uint8_t secret[32])
{
    (void)ctx;
    if (!nonce || !secret) return KP_ERR_MISUSE;
    uint8_t r[32];
    kp_fe k;
    if (random) memcpy(r, random, 32);
    else randombytes_buf(r, 32);
    part p[2] = {{r, 32}, {secret, 32}};
    hash_scalar(&k, "nonce", p, 2);
    kp_fe_to_bytes(nonce, &k);
    sodium_memzero(&k, sizeof k);
    sodium_memzero(r, sizeof r);
    return KP_OK;
}

kp_status kp_frost_secp256k1_commit(const kp_ctx *ctx, uint8_t commitment[33], const uint8_t nonce[32])
{
    if (!ctx || !commitment || !nonce) return KP_ERR_MISUSE;
    const kp_curve_ops *ops = kp_curve_ops_of(KP_CURVE_SECP256K1);
    kp_point p;
    kp_status st = ops->base_mul(ctx, &p, nonce);
    if (st != KP_OK) return st;
    ops->serialize(ctx, commitment, &p, 1);
    return KP_OK;
}

/* All binding factors, R and the challenge: the public part of round two. */
typedef struct {
    kp_point d[KP_FROST_MAX], e[KP_FROST_MAX];
    kp_fe rho[KP_FROST_MAX];
    kp_point r;
    uint8_t r_enc[33];
    kp_fe c;
    int bip340;     /* BIP-340 output: x-only challenge, even-Y R and key */
    int r_odd, pk_odd;
} pub_state;

static kp_status public_state(const kp_ctx *ctx, pub_state *s, const uint8_t group_pk[33],
                              const kp_frost_secp_commitment *list, size_t n, const uint8_t *msg, size_t msg_len)
{
    s->bip340 = s->r_odd = s->pk_odd = 0;
    if (!ctx || !group_pk || (!msg && msg_len)) return KP_ERR_MISUSE;
    if (n > KP_FROST_MAX) return KP_ERR_TOO_MANY;
    kp_status st = check_list(ctx, list, n, s->d, s->e);
    if (st != KP_OK) return st;
    const kp_curve_ops *ops = kp_curve_ops_of(KP_CURVE_SECP256K1);
    kp_point pk;
    if (ops->parse(ctx, &pk, group_pk, 33) != KP_OK) return KP_ERR_POINT;
    uint8_t prefix[33 + 64];
    memcpy(prefix, group_pk, 33);
    crypto_hash_sha256_state h;
    crypto_hash_sha256_init(&h);
    crypto_hash_sha256_update(&h, (const uint8_t *)CTX "msg", strlen(CTX "msg"));
    if (msg_len) crypto_hash_sha256_update(&h, msg, msg_len);
    crypto_hash_sha256_final(&h, prefix + 33);
    crypto_hash_sha256_init(&h);
    crypto_hash_sha256_update(&h, (const uint8_t *)CTX "com", strlen(CTX "com"));
    for (size_t i = 0; i < n; i++) {
        uint8_t id[32];
        id_bytes(id, list[i].id);
        crypto_hash_sha256_update(&h, id, 32);
        crypto_hash_sha256_update(&h, list[i].hiding, 33);
        crypto_hash_sha256_update(&h, list[i].binding, 33);
    }
    crypto_hash_sha256_final(&h, prefix + 65);
    for (size_t i = 0; i < n; i++) {
        uint8_t id[32], rb[32];
        id_bytes(id, list[i].id);
        part p[2] = {{prefix, sizeof prefix}, {id, 32}};
        hash_scalar(&s->rho[i], "rho", p, 2);
        kp_fe_to_bytes(rb, &s->rho[i]);
        kp_point t;
        if (ops->mul(ctx, &t, &s->e[i], rb) != KP_OK) return KP_ERR_POINT;
        if (ops->add(ctx, &t, &t, &s->d[i]) != KP_OK) return KP_ERR_POINT;
        if (i == 0) s->r = t;
        else if (ops->add(ctx, &s->r, &s->r, &t) != KP_OK) return KP_ERR_POINT;
    }
    ops->serialize(ctx, s->r_enc, &s->r, 1);
    part c[3] = {{s->r_enc, 33}, {group_pk, 33}, {msg, msg_len}};
    hash_scalar(&s->c, "chal", c, 3);
    return KP_OK;
}

/* The same with BIP-340's challenge: c = tagged_hash("BIP0340/challenge", R.x || P.x || msg) mod n,
 * and the parities of R and P, by which the signers negate their nonces and shares. */
static kp_status public_state_bip340(const kp_ctx *ctx, pub_state *s, const uint8_t group_pk[33],
                                     const kp_frost_secp_commitment *list, size_t n, const uint8_t *msg,
                                     size_t msg_len)
{
    kp_status st = public_state(ctx, s, group_pk, list, n, msg, msg_len);
    if (st != KP_OK) return st;
    s->bip340 = 1;
    s->r_odd = s->r_enc[0] == 3;
    s->pk_odd = group_pk[0] == 3;
    uint8_t *in = kp_secure_alloc(64 + msg_len);
    if (!in) return KP_ERR_NOMEM;
    memcpy(in, s->r_enc + 1, 32);
    memcpy(in + 32, group_pk + 1, 32);
    if (msg_len) memcpy(in + 64, msg, msg_len);
    uint8_t h[32];
    static const char tag[] = "BIP0340/challenge";
    if (!secp256k1_tagged_sha256(ctx->secp, h, (const uint8_t *)tag, sizeof tag - 1, in, 64 + msg_len)) {
        kp_secure_free(in);
        return KP_ERR_INTERNAL;
    }
    kp_secure_free(in);
    kp_fe_from_bytes(kp_field_of(KP_CURVE_SECP256K1), &s->c, h);
    return KP_OK;
}

static kp_status index_of(const kp_frost_secp_commitment *list, size_t n, uint16_t id, size_t *at)
{
    for (size_t i = 0; i < n; i++)
        if (list[i].id == id) { *at = i; return KP_OK; }
    return KP_ERR_NOT_FOUND;
}

static void lambda_of(kp_fe *lambda, const kp_frost_secp_commitment *list, size_t n, size_t at)
{
    uint32_t xs[KP_FROST_MAX];
    kp_fe all[KP_FROST_MAX];
    for (size_t i = 0; i < n; i++) xs[i] = list[i].id;
    kp_lagrange(kp_field_of(KP_CURVE_SECP256K1), all, xs, n, 0);
    *lambda = all[at];
}

kp_status kp_frost_secp256k1_binding_factor(const kp_ctx *ctx, uint8_t rho[32], uint16_t id,
                                            const uint8_t group_pk[33], const kp_frost_secp_commitment *list,
                                            size_t n, const uint8_t *msg, size_t msg_len)
{
    if (!rho) return KP_ERR_MISUSE;
    pub_state s;
    size_t at;
    kp_status st = public_state(ctx, &s, group_pk, list, n, msg, msg_len);
    if (st != KP_OK) return st;
    if ((st = index_of(list, n, id, &at)) != KP_OK) return st;
    kp_fe_to_bytes(rho, &s.rho[at]);
    return KP_OK;
}

/* The public state of one signing, for FROST(secp256k1, SHA-256) or its BIP-340 output. */
static kp_status state_for(const kp_ctx *ctx, int bip340, pub_state *s, const uint8_t group_pk[33],
                           const kp_frost_secp_commitment *list, size_t n, const uint8_t *msg, size_t msg_len)
{
    return bip340 ? public_state_bip340(ctx, s, group_pk, list, n, msg, msg_len)
                  : public_state(ctx, s, group_pk, list, n, msg, msg_len);
}

static kp_status sign_share(const kp_ctx *ctx, int bip340, uint8_t z[32], uint16_t id,
                            const uint8_t hiding_nonce[32], const uint8_t binding_nonce[32],
                            const uint8_t share[32], const uint8_t group_pk[33],
                            const kp_frost_secp_commitment *list, size_t n, const uint8_t *msg, size_t msg_len)
{
    if (!z || !hiding_nonce || !binding_nonce || !share) return KP_ERR_MISUSE;
    pub_state s;
    size_t at;
    kp_status st = state_for(ctx, bip340, &s, group_pk, list, n, msg, msg_len);
    if (st != KP_OK) return st;
    if ((st = index_of(list, n, id, &at)) != KP_OK) return st;
    const kp_field *f = kp_field_of(KP_CURVE_SECP256K1);
    kp_fe lambda;
    lambda_of(&lambda, list, n, at);
    kp_fe *t = kp_secure_alloc(3 * sizeof(kp_fe));
    if (!t) return KP_ERR_NOMEM;
    kp_fe_from_bytes(f, &t[0], hiding_nonce);
    kp_fe_from_bytes(f, &t[1], binding_nonce);
    kp_fe_from_bytes(f, &t[2], share);
    kp_fe_mul(f, &t[1], &t[1], &s.rho[at]);  /* e*rho */
    kp_fe_add(f, &t[0], &t[0], &t[1]);       /* d + e*rho */
    kp_fe_mul(f, &t[2], &t[2], &lambda);     /* lambda*s */
    kp_fe_mul(f, &t[2], &t[2], &s.c);        /* lambda*s*c */
    /* BIP-340: R and the key are taken with even Y; the parities are public */
    kp_fe_set_u32(&t[1], 0);
    if (s.r_odd) kp_fe_sub(f, &t[0], &t[1], &t[0]);
    if (s.pk_odd) kp_fe_sub(f, &t[2], &t[1], &t[2]);
    kp_fe_add(f, &t[0], &t[0], &t[2]);
    kp_fe_to_bytes(z, &t[0]);
    kp_secure_free(t);
    return KP_OK;
}

kp_status kp_frost_secp256k1_sign_share(const kp_ctx *ctx, uint8_t z[32], uint16_t id,
                                        const uint8_t hiding_nonce[32], const uint8_t binding_nonce[32],
                                        const uint8_t share[32], const uint8_t group_pk[33],
                                        const kp_frost_secp_commitment *list, size_t n,
                                        const uint8_t *msg, size_t msg_len)
{
    return sign_share(ctx, 0, z, id, hiding_nonce, binding_nonce, share, group_pk, list, n, msg, msg_len);
}

kp_status kp_frost_bip340_sign_share(const kp_ctx *ctx, uint8_t z[32], uint16_t id,
                                     const uint8_t hiding_nonce[32], const uint8_t binding_nonce[32],
                                     const uint8_t share[32], const uint8_t group_pk[33],
                                     const kp_frost_secp_commitment *list, size_t n,
                                     const uint8_t *msg, size_t msg_len)
{
    return sign_share(ctx, 1, z, id, hiding_nonce, binding_nonce, share, group_pk, list, n, msg, msg_len);
}

static kp_status verify_share(const kp_ctx *ctx, int bip340, const uint8_t z[32], uint16_t id,
                              const uint8_t public_share[33], const uint8_t group_pk[33],
                              const kp_frost_secp_commitment *list, size_t n, const uint8_t *msg, size_t msg_len)
{
    if (!z || !public_share) return KP_ERR_MISUSE;
    pub_state s;
    size_t at;
    kp_status st = state_for(ctx, bip340, &s, group_pk, list, n, msg, msg_len);
    if (st != KP_OK) return st;
    if ((st = index_of(list, n, id, &at)) != KP_OK) return st;
    const kp_curve_ops *ops = kp_curve_ops_of(KP_CURVE_SECP256K1);
    const kp_field *f = kp_field_of(KP_CURVE_SECP256K1);
    kp_point y, ri, t, lhs;
    if (ops->parse(ctx, &y, public_share, 33) != KP_OK) return KP_ERR_POINT;
    kp_fe lambda, k;
    uint8_t kb[32], rb[32];
    lambda_of(&lambda, list, n, at);
    kp_fe_mul(f, &k, &s.c, &lambda);
    kp_fe zero, m1;
    kp_fe_set_u32(&zero, 0);
    kp_fe_set_u32(&m1, 1);
    kp_fe_sub(f, &m1, &zero, &m1);
    if (s.pk_odd) kp_fe_sub(f, &k, &zero, &k);
    kp_fe_to_bytes(kb, &k);
    kp_fe_to_bytes(rb, &s.rho[at]);
    if (ops->mul(ctx, &ri, &s.e[at], rb) != KP_OK || ops->add(ctx, &ri, &ri, &s.d[at]) != KP_OK)
        return KP_ERR_POINT;
    if (s.r_odd) {
        uint8_t mb[32];
        kp_fe_to_bytes(mb, &m1);
        if (ops->mul(ctx, &ri, &ri, mb) != KP_OK) return KP_ERR_POINT;
    }
    if (ops->mul(ctx, &t, &y, kb) != KP_OK || ops->add(ctx, &t, &t, &ri) != KP_OK) return KP_ERR_SHARE_MISMATCH;
    if (ops->base_mul(ctx, &lhs, z) != KP_OK) return KP_ERR_SHARE_MISMATCH;
    return kp_point_eq(ctx, &lhs, &t) ? KP_OK : KP_ERR_SHARE_MISMATCH;
}

kp_status kp_frost_secp256k1_verify_share(const kp_ctx *ctx, const uint8_t z[32], uint16_t id,
                                          const uint8_t public_share[33], const uint8_t group_pk[33],
                                          const kp_frost_secp_commitment *list, size_t n,
                                          const uint8_t *msg, size_t msg_len)
{
    return verify_share(ctx, 0, z, id, public_share, group_pk, list, n, msg, msg_len);
}

kp_status kp_frost_bip340_verify_share(const kp_ctx *ctx, const uint8_t z[32], uint16_t id,
                                       const uint8_t public_share[33], const uint8_t group_pk[33],
                                       const kp_frost_secp_commitment *list, size_t n,
                                       const uint8_t *msg, size_t msg_len)
{
    return verify_share(ctx, 1, z, id, public_share, group_pk, list, n, msg, msg_len);
}

/* z = sum of the signature shares (RFC 9591 §5.3); KP_ERR_SCALAR for one not below the order. */
static kp_status sum_shares(kp_fe *sum, const uint8_t (*z)[32], size_t n)
{
    const kp_field *f = kp_field_of(KP_CURVE_SECP256K1);
    kp_fe zi;
    kp_fe_set_u32(sum, 0);
    for (size_t i = 0; i < n; i++) {
        if (!kp_fe_from_bytes(f, &zi, z[i])) return KP_ERR_SCALAR;
        kp_fe_add(f, sum, sum, &zi);
    }
    return KP_OK;
}

/* What both aggregations start with: the public state and z, the sum of the shares. */
static kp_status aggregate_start(const kp_ctx *ctx, int bip340, pub_state *s, kp_fe *sum, const uint8_t (*z)[32],
                                 const uint8_t group_pk[33], const kp_frost_secp_commitment *list, size_t n,
                                 const uint8_t *msg, size_t msg_len)
{
    if (!z) return KP_ERR_MISUSE;
    kp_status st = state_for(ctx, bip340, s, group_pk, list, n, msg, msg_len);
    return st != KP_OK ? st : sum_shares(sum, z, n);
}

kp_status kp_frost_bip340_aggregate(const kp_ctx *ctx, uint8_t sig[64], const uint8_t (*z)[32],
                                    const uint8_t group_pk[33], const kp_frost_secp_commitment *list,
                                    size_t n, const uint8_t *msg, size_t msg_len)
{
    if (!sig) return KP_ERR_MISUSE;
    pub_state s;
    kp_fe sum;
    kp_status st = aggregate_start(ctx, 1, &s, &sum, z, group_pk, list, n, msg, msg_len);
    if (st != KP_OK) return st;
    memcpy(sig, s.r_enc + 1, 32);
    kp_fe_to_bytes(sig + 32, &sum);
    /* the final check, by libsecp256k1's BIP-340 verification under the x-only key */
    secp256k1_xonly_pubkey xk;
    if (!secp256k1_xonly_pubkey_parse(ctx->secp, &xk, group_pk + 1) ||
        !secp256k1_schnorrsig_verify(ctx->secp, sig, msg, msg_len, &xk))
        return KP_ERR_SIGNATURE;
    return KP_OK;
}

kp_status kp_frost_secp256k1_aggregate(const kp_ctx *ctx, uint8_t sig[65], const uint8_t (*z)[32],
                                       const uint8_t group_pk[33], const kp_frost_secp_commitment *list,
                                       size_t n, const uint8_t *msg, size_t msg_len)
{
    if (!sig) return KP_ERR_MISUSE;
    pub_state s;
    kp_fe sum;
    kp_status st = aggregate_start(ctx, 0, &s, &sum, z, group_pk, list, n, msg, msg_len);
    if (st != KP_OK) return st;
    const kp_curve_ops *ops = kp_curve_ops_of(KP_CURVE_SECP256K1);
    memcpy(sig, s.r_enc, 33);
    kp_fe_to_bytes(sig + 33, &sum);
    /* the final check: z*G == R + c*PK */
    kp_point pk, lhs, rhs;
    uint8_t cb[32];
    kp_fe_to_bytes(cb, &s.c);
    if (ops->parse(ctx, &pk, group_pk, 33) != KP_OK) return KP_ERR_POINT;
    if (ops->base_mul(ctx, &lhs, sig + 33) != KP_OK) return KP_ERR_SIGNATURE;
    if (ops->mul(ctx, &rhs, &pk, cb) != KP_OK || ops->add(ctx, &rhs, &rhs, &s.r) != KP_OK) return KP_ERR_SIGNATURE;
    return kp_point_eq(ctx, &lhs, &rhs) ? KP_OK : KP_ERR_SIGNATURE;
}
