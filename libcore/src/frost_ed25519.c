/*
 * frost_ed25519.c: FROST(Ed25519, SHA-512), RFC 9591 §6.1, over libsodium's point and scalar
 * operations. The secret paths (nonce_generate, the signature share) use only libsodium's
 * constant-time scalar arithmetic; secret intermediates live in kp_secure_alloc memory.
 */
#include <string.h>

#include <sodium.h>

#include "field.h"
#include "internal.h"
#include "keyport_frost.h"

#define CTX "FROST-ED25519-SHA512-v1"

/* H(CTX || tag || a || b), reduced to a scalar; tag NULL: no context string (H2). */
static void hash_scalar(uint8_t out[32], const char *tag, const uint8_t *a, size_t alen,
                        const uint8_t *b, size_t blen)
{
    crypto_hash_sha512_state st;
    uint8_t h[64];
    crypto_hash_sha512_init(&st);
    if (tag) {
        crypto_hash_sha512_update(&st, (const uint8_t *)CTX, strlen(CTX));
        crypto_hash_sha512_update(&st, (const uint8_t *)tag, strlen(tag));
    }
    if (alen) crypto_hash_sha512_update(&st, a, alen);
    if (blen) crypto_hash_sha512_update(&st, b, blen);
    crypto_hash_sha512_final(&st, h);
    crypto_core_ed25519_scalar_reduce(out, h);
    sodium_memzero(h, sizeof h);
    sodium_memzero(&st, sizeof st);
}

static void id_scalar(uint8_t out[32], uint16_t id)
{
    memset(out, 0, 32);
    out[0] = (uint8_t)(id & 0xff);
    out[1] = (uint8_t)(id >> 8);
}

/* The list must be sorted by identifier, without duplicates or zero. */
static int list_ok(const kp_frost_commitment *list, size_t n)
{
    if (!list || n == 0 || n > 65535) return 0;
    for (size_t i = 0; i < n; i++) {
        if (list[i].id == 0 || (i && list[i].id <= list[i - 1].id)) return 0;
        if (!crypto_core_ed25519_is_valid_point(list[i].hiding) ||
            !crypto_core_ed25519_is_valid_point(list[i].binding))
            return 0;
    }
    return 1;
}

kp_status kp_frost_ed25519_nonce(uint8_t nonce[32], const uint8_t *random, const uint8_t secret[32])
{
    if (!nonce || !secret) return KP_ERR_MISUSE;
    uint8_t r[32];
    if (random) memcpy(r, random, 32);
    else randombytes_buf(r, 32);
    hash_scalar(nonce, "nonce", r, 32, secret, 32);
    sodium_memzero(r, sizeof r);
    return KP_OK;
}

kp_status kp_frost_ed25519_commit(uint8_t commitment[32], const uint8_t nonce[32])
{
    if (!commitment || !nonce) return KP_ERR_MISUSE;
    /* the commitment, and whether the nonce was valid, are public */
    int bad = kp_public_bit(sodium_is_zero(nonce, 32) | (crypto_scalarmult_ed25519_base_noclamp(commitment, nonce) != 0));
    KP_DECLASSIFY(commitment, 32);
    return bad ? KP_ERR_SCALAR : KP_OK;
}

/* rho_input_prefix = PK || H4(msg) || H5(encoded commitments) (RFC 9591 §4.4). */
static void binding_prefix(uint8_t prefix[160], const uint8_t group_pk[32], const kp_frost_commitment *list,
                           size_t n, const uint8_t *msg, size_t msg_len)
{
    crypto_hash_sha512_state st;
    memcpy(prefix, group_pk, 32);
    crypto_hash_sha512_init(&st);
    crypto_hash_sha512_update(&st, (const uint8_t *)CTX "msg", strlen(CTX "msg"));
    if (msg_len) crypto_hash_sha512_update(&st, msg, msg_len);
    crypto_hash_sha512_final(&st, prefix + 32);
    crypto_hash_sha512_init(&st);
    crypto_hash_sha512_update(&st, (const uint8_t *)CTX "com", strlen(CTX "com"));
    for (size_t i = 0; i < n; i++) {
        uint8_t id[32];
        id_scalar(id, list[i].id);
        crypto_hash_sha512_update(&st, id, 32);
        crypto_hash_sha512_update(&st, list[i].hiding, 32);
        crypto_hash_sha512_update(&st, list[i].binding, 32);
    }
    crypto_hash_sha512_final(&st, prefix + 96);
}

static void binding_factor(uint8_t rho[32], const uint8_t prefix[160], uint16_t id)
{
    uint8_t ids[32];
    id_scalar(ids, id);
    hash_scalar(rho, "rho", prefix, 160, ids, 32);
}

kp_status kp_frost_ed25519_binding_factor(uint8_t rho[32], uint16_t id, const uint8_t group_pk[32],
                                          const kp_frost_commitment *list, size_t n,
                                          const uint8_t *msg, size_t msg_len)
{
    if (!rho || !group_pk || (!msg && msg_len)) return KP_ERR_MISUSE;
    if (!list_ok(list, n)) return KP_ERR_FORMAT;
    uint8_t prefix[160];
    binding_prefix(prefix, group_pk, list, n, msg, msg_len);
    binding_factor(rho, prefix, id);
    return KP_OK;
}

kp_status kp_frost_ed25519_group_commitment(uint8_t r[32], uint8_t challenge[32], const uint8_t group_pk[32],
                                            const kp_frost_commitment *list, size_t n,
                                            const uint8_t *msg, size_t msg_len)
{
    if (!r || !challenge || !group_pk || (!msg && msg_len)) return KP_ERR_MISUSE;
    if (!list_ok(list, n)) return KP_ERR_FORMAT;
    if (!crypto_core_ed25519_is_valid_point(group_pk)) return KP_ERR_POINT;
    uint8_t prefix[160], rho[32], acc[32], t[32];
    binding_prefix(prefix, group_pk, list, n, msg, msg_len);
    int have = 0;
    for (size_t i = 0; i < n; i++) {
        binding_factor(rho, prefix, list[i].id);
        /* rho*E (rho is public); a zero product contributes the identity and is skipped */
        if (crypto_scalarmult_ed25519_noclamp(t, rho, list[i].binding) == 0) {
            if (crypto_core_ed25519_add(t, t, list[i].hiding) != 0) return KP_ERR_POINT;
        } else {
            memcpy(t, list[i].hiding, 32);
        }
        if (!have) memcpy(acc, t, 32);
        else if (crypto_core_ed25519_add(acc, acc, t) != 0) return KP_ERR_POINT;
        have = 1;
    }
    memcpy(r, acc, 32);
    /* c = H2(R || PK || msg): SHA-512 without a context string (RFC 9591 §6.1) */
    {
        crypto_hash_sha512_state st;
        uint8_t h[64];
        crypto_hash_sha512_init(&st);
        crypto_hash_sha512_update(&st, r, 32);
        crypto_hash_sha512_update(&st, group_pk, 32);
        if (msg_len) crypto_hash_sha512_update(&st, msg, msg_len);
        crypto_hash_sha512_final(&st, h);
        crypto_core_ed25519_scalar_reduce(challenge, h);
    }
    return KP_OK;
}

/* lambda_id at 0 over the signers in the list, by the library's one Lagrange helper (field.h),
 * written little-endian as RFC 9591 §6.1 scalars are. */
static kp_status lagrange(uint8_t lambda[32], uint16_t id, const kp_frost_commitment *list, size_t n)
{
    uint32_t xs[KP_FROST_MAX];
    kp_fe all[KP_FROST_MAX];
    uint8_t be[32];
    size_t at = n;
    if (n > KP_FROST_MAX) return KP_ERR_TOO_MANY;
    for (size_t i = 0; i < n; i++) {
        xs[i] = list[i].id;
        if (list[i].id == id) at = i;
    }
    if (at == n) return KP_ERR_NOT_FOUND;
    kp_lagrange(kp_field_of(KP_CURVE_ED25519), all, xs, n, 0);
    kp_fe_to_bytes(be, &all[at]);
    for (size_t i = 0; i < 32; i++) lambda[i] = be[31 - i];
    return KP_OK;
}

kp_status kp_frost_ed25519_sign_share(uint8_t z[32], uint16_t id, const uint8_t hiding_nonce[32],
                                      const uint8_t binding_nonce[32], const uint8_t share[32],
                                      const uint8_t group_pk[32], const kp_frost_commitment *list,
                                      size_t n, const uint8_t *msg, size_t msg_len)
{
    if (!z || !hiding_nonce || !binding_nonce || !share || !group_pk) return KP_ERR_MISUSE;
    uint8_t rho[32], r[32], c[32], lambda[32];
    kp_status st = kp_frost_ed25519_group_commitment(r, c, group_pk, list, n, msg, msg_len);
    if (st != KP_OK) return st;
    if ((st = kp_frost_ed25519_binding_factor(rho, id, group_pk, list, n, msg, msg_len)) != KP_OK) return st;
    if ((st = lagrange(lambda, id, list, n)) != KP_OK) return st;
    uint8_t *t = kp_secure_alloc(64);
    if (!t) return KP_ERR_NOMEM;
    crypto_core_ed25519_scalar_mul(t, binding_nonce, rho);        /* e*rho */
    crypto_core_ed25519_scalar_add(t, t, hiding_nonce);           /* d + e*rho */
    crypto_core_ed25519_scalar_mul(t + 32, lambda, share);        /* lambda*s */
    crypto_core_ed25519_scalar_mul(t + 32, t + 32, c);            /* lambda*s*c */
    crypto_core_ed25519_scalar_add(z, t, t + 32);
    kp_secure_free(t);
    return KP_OK;
}

kp_status kp_frost_ed25519_verify_share(const uint8_t z[32], uint16_t id, const uint8_t public_share[32],
                                        const uint8_t group_pk[32], const kp_frost_commitment *list,
                                        size_t n, const uint8_t *msg, size_t msg_len)
{
    if (!z || !public_share || !group_pk) return KP_ERR_MISUSE;
    if (!crypto_core_ed25519_is_valid_point(public_share)) return KP_ERR_POINT;
    uint8_t rho[32], r[32], c[32], lambda[32], k[32], lhs[32], rhs[32], t[32];
    kp_status st = kp_frost_ed25519_group_commitment(r, c, group_pk, list, n, msg, msg_len);
    if (st != KP_OK) return st;
    if ((st = kp_frost_ed25519_binding_factor(rho, id, group_pk, list, n, msg, msg_len)) != KP_OK) return st;
    if ((st = lagrange(lambda, id, list, n)) != KP_OK) return st;
    size_t i = 0;
    while (list[i].id != id) i++;
    /* R_i = D + rho*E */
    memcpy(rhs, list[i].hiding, 32);
    if (crypto_scalarmult_ed25519_noclamp(t, rho, list[i].binding) == 0 &&
        crypto_core_ed25519_add(rhs, rhs, t) != 0)
        return KP_ERR_POINT;
    crypto_core_ed25519_scalar_mul(k, c, lambda);
    if (crypto_scalarmult_ed25519_noclamp(t, k, public_share) == 0 &&
        crypto_core_ed25519_add(rhs, rhs, t) != 0)
        return KP_ERR_POINT;
    if (sodium_is_zero(z, 32)) return KP_ERR_SHARE_MISMATCH;
    if (crypto_scalarmult_ed25519_base_noclamp(lhs, z) != 0) return KP_ERR_SHARE_MISMATCH;
    return sodium_memcmp(lhs, rhs, 32) == 0 ? KP_OK : KP_ERR_SHARE_MISMATCH;
}

kp_status kp_frost_ed25519_aggregate(uint8_t sig[64], const uint8_t (*z)[32], const uint8_t group_pk[32],
                                     const kp_frost_commitment *list, size_t n,
                                     const uint8_t *msg, size_t msg_len)
{
    if (!sig || !z || !group_pk) return KP_ERR_MISUSE;
    uint8_t c[32];
    kp_status st = kp_frost_ed25519_group_commitment(sig, c, group_pk, list, n, msg, msg_len);
    if (st != KP_OK) return st;
    memset(sig + 32, 0, 32);
    for (size_t i = 0; i < n; i++) crypto_core_ed25519_scalar_add(sig + 32, sig + 32, z[i]);
    if (crypto_sign_verify_detached(sig, msg_len ? msg : (const uint8_t *)"", msg_len, group_pk) != 0)
        return KP_ERR_SIGNATURE;
    return KP_OK;
}
