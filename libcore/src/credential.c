/*
 * credential.c: Key credentials that sign Dfns user actions (docs/wire.md §5): Ed25519 (libsodium)
 * and ECDSA P-256 over SHA-256 with DER signatures (OpenSSL), as WebAuthn-style authenticators
 * produce them.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <sodium.h>

#include "wire.h"

#define CRED_ID_MAX 128

struct kp_credential {
    kp_cred_alg alg;
    char id[CRED_ID_MAX + 1];
    uint8_t pub[65];
    size_t pub_len;
    uint8_t *priv; /* 32 bytes in the secure allocator */
};

const char *kp_cred_alg_name(kp_cred_alg a)
{
    return a == KP_CRED_ED25519 ? "Ed25519" : a == KP_CRED_P256 ? "ECDSA-P256" : NULL;
}

kp_status kp_cred_alg_from_name(kp_cred_alg *out, const char *name)
{
    KP_ARG_CHECK(NULL, out != NULL && name != NULL);
    if (strcmp(name, "Ed25519") == 0) *out = KP_CRED_ED25519;
    else if (strcmp(name, "ECDSA-P256") == 0) *out = KP_CRED_P256;
    else return kp_fail(KP_ERR_FORMAT, "unknown credential algorithm \"%.32s\" (Ed25519 or ECDSA-P256)", name);
    return KP_OK;
}

/* A P-256 EVP_PKEY from a private scalar (with its public point) or a public point alone. */
static EVP_PKEY *p256_key(const uint8_t *priv, const uint8_t *pub, size_t pub_len)
{
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    EVP_PKEY *key = NULL;
    BIGNUM *d = NULL;
    if (bld == NULL || !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, pub_len))
        goto done;
    if (priv != NULL && ((d = BN_secure_new()) == NULL || BN_bin2bn(priv, 32, d) == NULL ||
                         !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d)))
        goto done;
    if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL || (pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
        EVP_PKEY_fromdata_init(pctx) <= 0 ||
        EVP_PKEY_fromdata(pctx, &key, priv != NULL ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) <= 0)
        key = NULL;
done:
    BN_clear_free(d);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    EVP_PKEY_CTX_free(pctx);
    return key;
}

kp_status kp_credential_new(kp_buf *file, kp_cred_alg alg, const char *cred_id)
{
    KP_ARG_CHECK(NULL, file != NULL && cred_id != NULL);
    uint8_t *priv = kp_secure_alloc(64), pub[65];
    size_t pub_len = 0;
    kp_status st = KP_OK;
    EVP_PKEY *key = NULL;
    BIGNUM *d = NULL;
    size_t start = file->len;
    kp_clear_error();
    if (priv == NULL) return kp_fail(KP_ERR_NOMEM, "out of memory");
    if (strlen(cred_id) == 0 || strlen(cred_id) > CRED_ID_MAX || !kp_utf8_valid(cred_id, strlen(cred_id))) {
        st = kp_fail(KP_ERR_FORMAT, "a credential id must be 1 to %d bytes of UTF-8", CRED_ID_MAX);
        goto done;
    }
    if (alg == KP_CRED_ED25519) {
        uint8_t sk[64];
        kp_random(priv, 32);
        crypto_sign_seed_keypair(pub, sk, priv);
        sodium_memzero(sk, sizeof sk);
        pub_len = 32;
    } else if (alg == KP_CRED_P256) {
        if ((key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL ||
            !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &d) || BN_bn2binpad(d, priv, 32) != 32 ||
            !EVP_PKEY_set_utf8_string_param(key, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, "uncompressed") ||
            !EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub, &pub_len) || pub_len != 65) {
            st = kp_fail(KP_ERR_INTERNAL, "OpenSSL could not make a P-256 key");
            goto done;
        }
    } else {
        st = kp_fail(KP_ERR_FORMAT, "unknown credential algorithm %d", (int)alg);
        goto done;
    }
    if ((st = kp_buf_addstr(file, "{\"version\":1,\"type\":\"keyport-credential\",\"credId\":")) != KP_OK ||
        (st = kp_buf_addjstr(file, cred_id, strlen(cred_id))) != KP_OK ||
        (st = kp_buf_addstr(file, ",\"algorithm\":\"")) != KP_OK || (st = kp_buf_addstr(file, kp_cred_alg_name(alg))) != KP_OK ||
        (st = kp_buf_addstr(file, "\",\"publicKey\":\"")) != KP_OK || (st = kp_buf_addhex(file, pub, pub_len)) != KP_OK ||
        (st = kp_buf_addstr(file, "\",\"privateKey\":\"")) != KP_OK || (st = kp_buf_addhex(file, priv, 32)) != KP_OK ||
        (st = kp_buf_addstr(file, "\"}\n")) != KP_OK)
        goto done;
done:
    if (st != KP_OK && file->data != NULL) {
        kp_memzero(file->data + start, file->len - start);
        file->len = start;
        file->data[start] = 0;
    }
    BN_clear_free(d);
    EVP_PKEY_free(key);
    kp_secure_free(priv);
    return st;
}

void kp_credential_free(kp_credential *c)
{
    if (c == NULL) return;
    kp_secure_free(c->priv);
    free(c);
}

kp_status kp_credential_parse(kp_credential **out, const char *json, size_t len)
{
    KP_ARG_CHECK(NULL, out != NULL && (json != NULL || len == 0));
    static const char *const allowed[] = {"version", "type", "credId", "algorithm", "publicKey", "privateKey", NULL};
    kp_json j;
    kp_credential *c = NULL;
    kp_status st;
    const char *s;
    size_t slen;
    char *str = NULL, alg[16] = {0};
    int tok;
    *out = NULL;
    kp_clear_error();
    if ((st = kp_json_parse(&j, json, len, "the credential file")) != KP_OK) return st;
    if ((st = kp_wire_version(&j, 0, "credential")) != KP_OK || (st = kp_json_only(&j, 0, allowed, "the credential file")) != KP_OK ||
        (st = kp_json_need_str(&j, 0, "type", "type", &s, &slen)) != KP_OK)
        goto done;
    if (slen != 18 || memcmp(s, "keyport-credential", 18) != 0) {
        st = kp_fail(KP_ERR_FORMAT, "type must be \"keyport-credential\": this is not a credential file");
        goto done;
    }
    if ((c = calloc(1, sizeof *c)) == NULL || (c->priv = kp_secure_alloc(32)) == NULL) {
        st = kp_fail(KP_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((st = kp_json_need(&j, 0, "credId", KP_J_STRING, "credId", &tok)) != KP_OK || (st = kp_json_strdup(&j, tok, &str)) != KP_OK)
        goto done;
    if (strlen(str) == 0 || strlen(str) > CRED_ID_MAX) {
        st = kp_fail(KP_ERR_FORMAT, "credId must be 1 to %d bytes", CRED_ID_MAX);
        goto done;
    }
    memcpy(c->id, str, strlen(str));
    if ((st = kp_json_need_str(&j, 0, "algorithm", "algorithm", &s, &slen)) != KP_OK) goto done;
    memcpy(alg, s, slen < sizeof alg - 1 ? slen : sizeof alg - 1);
    if ((st = kp_cred_alg_from_name(&c->alg, alg)) != KP_OK) goto done;
    c->pub_len = c->alg == KP_CRED_ED25519 ? 32 : 65;
    if ((st = kp_json_need_str(&j, 0, "publicKey", "publicKey", &s, &slen)) != KP_OK) goto done;
    if (kp_hex_decode_exact(c->pub, c->pub_len, s, slen) != KP_OK) {
        st = kp_fail(KP_ERR_HEX, "publicKey must be %zu hex digits", 2 * c->pub_len);
        goto done;
    }
    if ((st = kp_json_need_secret_str(&j, 0, "privateKey", "privateKey", &s, &slen)) != KP_OK) goto done;
    if (kp_hex_decode_exact(c->priv, 32, s, slen) != KP_OK) {
        st = kp_fail(KP_ERR_HEX, "privateKey must be 64 hex digits");
        goto done;
    }
    /* the two halves must belong together */
    static const uint8_t probe[] = "keyport credential self-check";
    kp_buf sig;
    kp_buf_init(&sig, 0);
    char *pubhex = malloc(2 * c->pub_len + 1);
    if (pubhex == NULL) {
        st = kp_fail(KP_ERR_NOMEM, "out of memory");
        goto done;
    }
    kp_hex_encode(pubhex, c->pub, c->pub_len);
    if (kp_credential_sign(c, &sig, probe, sizeof probe - 1) != KP_OK ||
        kp_credential_verify(c->alg, pubhex, probe, sizeof probe - 1, sig.data, sig.len) != KP_OK)
        st = kp_fail(KP_ERR_FORMAT, "the credential's privateKey does not belong to its publicKey");
    free(pubhex);
    kp_buf_release(&sig);
    if (st != KP_OK) goto done;
    *out = c;
    c = NULL;
done:
    free(str);
    kp_credential_free(c);
    kp_json_free(&j);
    return st;
}

const char *kp_credential_id(const kp_credential *c) { return c->id; }
kp_cred_alg kp_credential_alg(const kp_credential *c) { return c->alg; }

kp_status kp_credential_public_hex(const kp_credential *c, kp_buf *out)
{
    KP_ARG_CHECK(NULL, c != NULL && out != NULL);
    return kp_buf_addhex(out, c->pub, c->pub_len);
}

kp_status kp_credential_sign(const kp_credential *c, kp_buf *sig, const uint8_t *msg, size_t len)
{
    KP_ARG_CHECK(NULL, c != NULL && sig != NULL && (msg != NULL || len == 0));
    if (c->alg == KP_CRED_ED25519) {
        uint8_t pk[32], sk[64];
        uint8_t *out = kp_buf_extend(sig, 64);
        if (out == NULL) return KP_ERR_NOMEM;
        crypto_sign_seed_keypair(pk, sk, c->priv);
        crypto_sign_detached(out, NULL, msg, len, sk);
        sodium_memzero(sk, sizeof sk);
        KP_DECLASSIFY(out, 64); /* a signature is public */
        return KP_OK;
    }
    kp_status st = kp_fail(KP_ERR_INTERNAL, "OpenSSL could not sign with the P-256 credential");
    EVP_PKEY *key = p256_key(c->priv, c->pub, c->pub_len);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    size_t siglen = 0;
    if (key != NULL && md != NULL && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) > 0 &&
        EVP_DigestSign(md, NULL, &siglen, msg, len) > 0) {
        size_t start = sig->len;
        uint8_t *out = kp_buf_extend(sig, siglen);
        int signed_ok = out != NULL && EVP_DigestSign(md, out, &siglen, msg, len) > 0;
        KP_DECLASSIFY(&signed_ok, sizeof signed_ok);
        KP_DECLASSIFY(&siglen, sizeof siglen); /* a signature, and so its DER length, is public */
        if (signed_ok) {
            KP_DECLASSIFY(out, siglen);
            sig->len = start + siglen; /* DER length varies */
            sig->data[sig->len] = 0;
            st = KP_OK;
        } else if (out != NULL) {
            sig->len = start;
        }
    }
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(key);
    return st;
}

kp_status kp_credential_verify(kp_cred_alg alg, const char *public_hex, const uint8_t *msg, size_t len, const uint8_t *sig,
                               size_t siglen)
{
    KP_ARG_CHECK(NULL, public_hex != NULL && (msg != NULL || len == 0) && (sig != NULL || siglen == 0));
    uint8_t pub[65];
    size_t pub_len = alg == KP_CRED_ED25519 ? 32 : alg == KP_CRED_P256 ? 65 : 0;
    kp_clear_error();
    if (pub_len == 0) return kp_fail(KP_ERR_FORMAT, "unknown credential algorithm %d", (int)alg);
    if (kp_hex_decode_exact(pub, pub_len, public_hex, strlen(public_hex)) != KP_OK)
        return kp_fail(KP_ERR_HEX, "a %s public key must be %zu hex digits", kp_cred_alg_name(alg), 2 * pub_len);
    if (alg == KP_CRED_ED25519) {
        if (siglen != 64 || crypto_sign_verify_detached(sig, msg, len, pub) != 0)
            return kp_fail(KP_ERR_SIGNATURE, "the Ed25519 signature does not verify");
        return KP_OK;
    }
    if (pub[0] != 4) return kp_fail(KP_ERR_POINT, "a P-256 public key must be an uncompressed point (04…)");
    EVP_PKEY *key = p256_key(NULL, pub, pub_len);
    if (key == NULL) return kp_fail(KP_ERR_POINT, "not a valid P-256 public key");
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md != NULL && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) > 0 &&
             EVP_DigestVerify(md, sig, siglen, msg, len) == 1;
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(key);
    return ok ? KP_OK : kp_fail(KP_ERR_SIGNATURE, "the ECDSA P-256 signature does not verify");
}
