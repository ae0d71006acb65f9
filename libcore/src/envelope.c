/*
 * envelope.c: the Dfns share envelope, ECIES over secp256k1 (docs/wire.md §1), and the
 * recipient keys it is sealed to.
 */
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "curve.h"

static const char HKDF_SALT[] = "DFNS_KEY_IMPORT"; /* 15 bytes, docs/wire.md §1 step 3 */
static const char HKDF_INFO[] = "ENCRYPTION_KEY";  /* 14 bytes */

/* HKDF-SHA256 (RFC 5869) for L = 32: one expand block. */
static void hkdf32(uint8_t out[32], const uint8_t *ikm, size_t ikmlen)
{
    uint8_t prk[32];
    crypto_auth_hmacsha256_state h;
    crypto_auth_hmacsha256_init(&h, (const uint8_t *)HKDF_SALT, sizeof HKDF_SALT - 1);
    crypto_auth_hmacsha256_update(&h, ikm, ikmlen);
    crypto_auth_hmacsha256_final(&h, prk);
    const uint8_t one = 1;
    crypto_auth_hmacsha256_init(&h, prk, sizeof prk);
    crypto_auth_hmacsha256_update(&h, (const uint8_t *)HKDF_INFO, sizeof HKDF_INFO - 1);
    crypto_auth_hmacsha256_update(&h, &one, 1);
    crypto_auth_hmacsha256_final(&h, out);
    sodium_memzero(prk, sizeof prk);
    sodium_memzero(&h, sizeof h);
}

/* AES-256-GCM with the all-zero 12-byte nonce and empty AAD (docs/wire.md §1 step 4): sound only
 * because each key is derived from a fresh ephemeral scalar and used once. */
static int aes_gcm(int enc, uint8_t *out, const uint8_t key[32], const uint8_t *in, size_t len, uint8_t tag[16])
{
    static const uint8_t nonce[12] = {0};
    uint8_t none[1];
    int ok = 0, n = 0;
    if (out == NULL) out = none; /* an empty message: OpenSSL still wants somewhere to write */
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (c == NULL || len > INT32_MAX) goto done;
    if (!EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) ||
        !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) || !EVP_CipherInit_ex(c, NULL, NULL, key, nonce, enc))
        goto done;
    if (len > 0 && !EVP_CipherUpdate(c, out, &n, in, (int)len)) goto done;
    if (!enc && !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag)) goto done;
    if (!EVP_CipherFinal_ex(c, out + n, &n)) goto done;
    if (enc && !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag)) goto done;
    ok = 1;
done:
    EVP_CIPHER_CTX_free(c);
    return ok;
}

kp_status kp_encryption_keypair(const kp_ctx *ctx, uint8_t secret[32], uint8_t encryption_key[33])
{
    KP_ARG_CHECK(ctx, ctx != NULL && secret != NULL && encryption_key != NULL);
    do {
        kp_random(secret, 32);
    } while (!kp_public_bit(secp256k1_ec_seckey_verify(ctx->secp, secret))); /* tells only that a retry happened */
    return kp_encryption_key_from_secret(ctx, encryption_key, secret);
}

kp_status kp_encryption_key_from_secret(const kp_ctx *ctx, uint8_t encryption_key[33], const uint8_t secret[32])
{
    KP_ARG_CHECK(ctx, ctx != NULL && secret != NULL && encryption_key != NULL);
    kp_point p;
    kp_status st = kp_curve_ops_of(KP_CURVE_SECP256K1)->base_mul(ctx, &p, secret);
    if (st != KP_OK) {
        memset(encryption_key, 0, 33);
        return kp_fail(st, "the encryption secret is zero or not below the secp256k1 order");
    }
    kp_curve_ops_of(KP_CURVE_SECP256K1)->serialize(ctx, encryption_key, &p, 1);
    return KP_OK;
}

kp_status kp_encryption_key_encode(char out[49], const uint8_t encryption_key[33])
{
    KP_ARG_CHECK(NULL, out != NULL && encryption_key != NULL);
    uint8_t raw[34];
    raw[0] = 1; /* docs/wire.md §1: 0x01 || SEC1 compressed point */
    memcpy(raw + 1, encryption_key, 33);
    kp_b64_encode(out, raw, sizeof raw);
    return KP_OK;
}

kp_status kp_encryption_key_decode(const kp_ctx *ctx, uint8_t encryption_key[33], const char *b64, size_t len)
{
    KP_ARG_CHECK(ctx, ctx != NULL && encryption_key != NULL && b64 != NULL);
    uint8_t raw[36];
    size_t n = 0;
    kp_point p;
    memset(encryption_key, 0, 33);
    if (len != KP_ENCRYPTION_KEY_B64_LEN || kp_b64_decode(raw, &n, b64, len) != KP_OK || n != 34)
        return kp_fail(KP_ERR_BASE64, "an encryptionKey must be 48 characters of padded base64 (34 bytes)");
    if (raw[0] != 1)
        return kp_fail(KP_ERR_ENCRYPTION_KEY, "an encryptionKey must start with the byte 0x01, not 0x%02x", raw[0]);
    if (raw[1] != 2 && raw[1] != 3)
        return kp_fail(KP_ERR_ENCRYPTION_KEY, "an encryptionKey's point must be SEC1 compressed (02 or 03)");
    if (kp_curve_ops_of(KP_CURVE_SECP256K1)->parse(ctx, &p, raw + 1, 33) != KP_OK)
        return kp_fail(KP_ERR_ENCRYPTION_KEY, "an encryptionKey's point is not on secp256k1");
    memcpy(encryption_key, raw + 1, 33);
    return KP_OK;
}

kp_status kp_encryption_key_fingerprint(char out[17], const uint8_t encryption_key[33])
{
    KP_ARG_CHECK(NULL, out != NULL && encryption_key != NULL);
    uint8_t h[32];
    kp_sha256(h, encryption_key, 33);
    kp_hex_encode(out, h, 8);
    return KP_OK;
}

kp_status kp_envelope_seal(const kp_ctx *ctx, uint8_t *ct, const uint8_t encryption_key[33], const uint8_t *m,
                           size_t mlen)
{
    KP_ARG_CHECK(ctx, ctx != NULL && ct != NULL && encryption_key != NULL && (m != NULL || mlen == 0));
    uint8_t e[32], shared[33], k[32];
    kp_point E;
    kp_status st;
    const kp_curve_ops *secp = kp_curve_ops_of(KP_CURVE_SECP256K1);
    do {
        kp_random(e, sizeof e); /* docs/wire.md §1 step 2: a fresh scalar per message */
    } while (!kp_public_bit(secp256k1_ec_seckey_verify(ctx->secp, e)));
    if ((st = secp->base_mul(ctx, &E, e)) != KP_OK) goto cleanup;
    if ((st = kp_secp_ecdh(ctx, shared, encryption_key, e)) != KP_OK) {
        st = kp_fail(KP_ERR_ENCRYPTION_KEY, "the encryption key is not a valid secp256k1 point");
        goto cleanup;
    }
    hkdf32(k, shared, sizeof shared); /* step 3: IKM is the whole 33-byte compressed S */
    if (!aes_gcm(1, ct, k, m, mlen, ct + mlen)) {
        st = kp_fail(KP_ERR_INTERNAL, "AES-256-GCM failed in OpenSSL");
        goto cleanup;
    }
    secp->serialize(ctx, ct + mlen + 16, &E, 1); /* step 5: ciphertext || tag || E */
    KP_DECLASSIFY(ct, mlen + KP_ENVELOPE_OVERHEAD); /* the envelope is public */
    st = KP_OK;
cleanup:
    sodium_memzero(e, sizeof e);
    sodium_memzero(shared, sizeof shared);
    sodium_memzero(k, sizeof k);
    if (st != KP_OK) sodium_memzero(ct, mlen + KP_ENVELOPE_OVERHEAD);
    return st;
}

kp_status kp_envelope_open(const kp_ctx *ctx, uint8_t *m, const uint8_t secret[32], const uint8_t *ct, size_t ctlen)
{
    KP_ARG_CHECK(ctx, ctx != NULL && secret != NULL && (ct != NULL || ctlen == 0));
    uint8_t shared[33], k[32], tag[16];
    kp_status st = KP_ERR_DECRYPT;
    if (ctlen < KP_ENVELOPE_OVERHEAD) goto cleanup;
    size_t mlen = ctlen - KP_ENVELOPE_OVERHEAD;
    KP_ARG_CHECK(ctx, m != NULL || mlen == 0);
    if (mlen > 0) sodium_memzero(m, mlen); /* outputs are zero on every failure path */
    if (kp_secp_ecdh(ctx, shared, ct + mlen + 16, secret) != KP_OK) goto cleanup;
    hkdf32(k, shared, sizeof shared);
    memcpy(tag, ct + mlen, 16);
    if (!kp_public_bit(aes_gcm(0, m, k, ct, mlen, tag))) { /* authentic or not: public */
        sodium_memzero(m, mlen);
        goto cleanup;
    }
    st = KP_OK;
cleanup:
    sodium_memzero(shared, sizeof shared);
    sodium_memzero(k, sizeof k);
    /* One code and one message for every failure: no oracle. */
    return st == KP_OK ? st : kp_fail(KP_ERR_DECRYPT, "the ciphertext does not decrypt with this key");
}
