/*
 * test_frost.c: FROST(Ed25519, SHA-512) and FROST(secp256k1, SHA-256) against the RFC 9591
 * vectors (tests/vectors/frost-rfc9591-*.cfrg.json): round one from the given nonce randomness,
 * commitments, binding factors, round-two shares, share checks and the final signature; the
 * refusals (a changed share, a signer not in the list, a list out of order or duplicated); and
 * FROST with BIP-340 output, checked by libsecp256k1's BIP-340 verification.
 */
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <sodium.h>

#include "kptest.h"

TestSuite(frost, .init = kpt_setup, .fini = kpt_teardown, .timeout = 120);

#define VEC "frost-rfc9591-ed25519-sha512.cfrg.json"
#define VEC_SECP "frost-rfc9591-secp256k1-sha256.cfrg.json"
#define MAXS 8

typedef struct {
    size_t plen; /* point length: 32 (ed25519) or 33 (secp256k1) */
    uint8_t pk[33];
    uint8_t msg[256];
    size_t msg_len;
    size_t n;
    uint16_t id[MAXS];
    uint8_t hrand[MAXS][32], brand[MAXS][32], hiding[MAXS][32], binding[MAXS][32], share[MAXS][32];
    uint8_t hcom[MAXS][33], bcom[MAXS][33], z[MAXS][32], rho[MAXS][32];
    uint8_t sig[65];
} vec;

static const cJSON *item(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    cr_assert_not_null(v, "vector field \"%s\" is missing", k);
    return v;
}

/* Reads one RFC 9591 vector file as published; nothing is computed here. */
static void load(vec *v, const char *name, size_t plen)
{
    cJSON *j = kpt_load_json(name);
    const cJSON *in = item(j, "inputs");
    v->plen = plen;
    kpt_unhex(v->pk, plen, kpt_jstr(in, "group_public_key"));
    const char *m = kpt_jstr(in, "message");
    v->msg_len = strlen(m) / 2;
    cr_assert(v->msg_len <= sizeof v->msg);
    kpt_unhex(v->msg, v->msg_len, m);
    const cJSON *shares = item(in, "participant_shares");
    const cJSON *r1 = item(item(j, "round_one_outputs"), "outputs");
    const cJSON *r2 = item(item(j, "round_two_outputs"), "outputs");
    v->n = (size_t)cJSON_GetArraySize(r1);
    cr_assert(v->n >= 2 && v->n <= MAXS);
    for (size_t i = 0; i < v->n; i++) {
        const cJSON *o = cJSON_GetArrayItem(r1, (int)i);
        int id = item(o, "identifier")->valueint;
        v->id[i] = (uint16_t)id;
        const cJSON *sh = NULL, *e;
        cJSON_ArrayForEach(e, shares) if (item(e, "identifier")->valueint == id) sh = e;
        cr_assert_not_null(sh, "no share for signer %d", id);
        kpt_unhex(v->share[i], 32, kpt_jstr(sh, "participant_share"));
        kpt_unhex(v->hrand[i], 32, kpt_jstr(o, "hiding_nonce_randomness"));
        kpt_unhex(v->brand[i], 32, kpt_jstr(o, "binding_nonce_randomness"));
        kpt_unhex(v->hiding[i], 32, kpt_jstr(o, "hiding_nonce"));
        kpt_unhex(v->binding[i], 32, kpt_jstr(o, "binding_nonce"));
        kpt_unhex(v->hcom[i], plen, kpt_jstr(o, "hiding_nonce_commitment"));
        kpt_unhex(v->bcom[i], plen, kpt_jstr(o, "binding_nonce_commitment"));
        kpt_unhex(v->rho[i], 32, kpt_jstr(o, "binding_factor"));
        const cJSON *o2 = cJSON_GetArrayItem(r2, (int)i);
        cr_assert_eq(item(o2, "identifier")->valueint, id);
        kpt_unhex(v->z[i], 32, kpt_jstr(o2, "sig_share"));
    }
    kpt_unhex(v->sig, plen + 32, kpt_jstr(item(j, "final_output"), "sig"));
    cJSON_Delete(j);
}

/* ed25519: round one recomputed from the published randomness; the list of commitments. */
static void ed_round_one(vec *v, kp_frost_commitment *list, uint8_t (*pub)[32])
{
    for (size_t i = 0; i < v->n; i++) {
        uint8_t d[32], e[32];
        KPT_ST(kp_frost_ed25519_nonce(d, v->hrand[i], v->share[i]), KP_OK);
        KPT_ST(kp_frost_ed25519_nonce(e, v->brand[i], v->share[i]), KP_OK);
        cr_assert_arr_eq(d, v->hiding[i], 32, "signer %u hiding nonce", v->id[i]);
        cr_assert_arr_eq(e, v->binding[i], 32, "signer %u binding nonce", v->id[i]);
        list[i].id = v->id[i];
        KPT_ST(kp_frost_ed25519_commit(list[i].hiding, d), KP_OK);
        KPT_ST(kp_frost_ed25519_commit(list[i].binding, e), KP_OK);
        cr_assert_arr_eq(list[i].hiding, v->hcom[i], 32, "signer %u hiding commitment", v->id[i]);
        cr_assert_arr_eq(list[i].binding, v->bcom[i], 32, "signer %u binding commitment", v->id[i]);
        cr_assert_eq(crypto_scalarmult_ed25519_base_noclamp(pub[i], v->share[i]), 0);
    }
}

Test(frost, rfc9591_ed25519_rounds)
{
    vec v;
    kp_frost_commitment list[MAXS];
    uint8_t pub[MAXS][32];
    load(&v, VEC, 32);
    ed_round_one(&v, list, pub);
    for (size_t i = 0; i < v.n; i++) {
        uint8_t rho[32], z[32];
        KPT_ST(kp_frost_ed25519_binding_factor(rho, v.id[i], v.pk, list, v.n, v.msg, v.msg_len), KP_OK);
        cr_assert_arr_eq(rho, v.rho[i], 32, "signer %u binding factor", v.id[i]);
        KPT_ST(kp_frost_ed25519_sign_share(z, v.id[i], v.hiding[i], v.binding[i], v.share[i], v.pk,
                                           list, v.n, v.msg, v.msg_len), KP_OK);
        cr_assert_arr_eq(z, v.z[i], 32, "signer %u signature share", v.id[i]);
        KPT_ST(kp_frost_ed25519_verify_share(z, v.id[i], pub[i], v.pk, list, v.n, v.msg, v.msg_len),
               KP_OK);
    }
    uint8_t sig[64];
    KPT_ST(kp_frost_ed25519_aggregate(sig, (const uint8_t (*)[32])v.z, v.pk, list, v.n, v.msg, v.msg_len), KP_OK);
    cr_assert_arr_eq(sig, v.sig, 64, "final signature");
    /* independent check: libsodium's RFC 8032 verification under the group key */
    cr_assert_eq(crypto_sign_verify_detached(sig, v.msg, v.msg_len, v.pk), 0);
}

Test(frost, bad_share_is_named)
{
    vec v;
    kp_frost_commitment list[MAXS];
    uint8_t pub[MAXS][32];
    load(&v, VEC, 32);
    ed_round_one(&v, list, pub);
    v.z[1][0] ^= 1;
    KPT_ST(kp_frost_ed25519_verify_share(v.z[0], list[0].id, pub[0], v.pk, list, v.n, v.msg, v.msg_len), KP_OK);
    KPT_ST(kp_frost_ed25519_verify_share(v.z[1], list[1].id, pub[1], v.pk, list, v.n, v.msg, v.msg_len),
           KP_ERR_SHARE_MISMATCH);
    /* a good share checked against another signer's public share fails too */
    KPT_ST(kp_frost_ed25519_verify_share(v.z[0], list[0].id, pub[1], v.pk, list, v.n, v.msg, v.msg_len),
           KP_ERR_SHARE_MISMATCH);
    uint8_t sig[64];
    KPT_ST(kp_frost_ed25519_aggregate(sig, (const uint8_t (*)[32])v.z, v.pk, list, v.n, v.msg, v.msg_len),
           KP_ERR_SIGNATURE);
}

Test(frost, malformed_lists)
{
    vec v;
    kp_frost_commitment list[MAXS];
    uint8_t pub[MAXS][32];
    load(&v, VEC, 32);
    ed_round_one(&v, list, pub);
    uint8_t z[32], rho[32];
    /* a signer that is not in the list */
    KPT_ST(kp_frost_ed25519_sign_share(z, 2, v.hiding[0], v.binding[0], v.share[0], v.pk, list, v.n, v.msg,
                                       v.msg_len), KP_ERR_NOT_FOUND);
    /* out of order, and duplicated, identifiers */
    kp_frost_commitment sw[2] = {list[1], list[0]};
    KPT_ST(kp_frost_ed25519_binding_factor(rho, 1, v.pk, sw, 2, v.msg, v.msg_len), KP_ERR_FORMAT);
    kp_frost_commitment dup[2] = {list[0], list[0]};
    KPT_ST(kp_frost_ed25519_binding_factor(rho, 1, v.pk, dup, 2, v.msg, v.msg_len), KP_ERR_FORMAT);
    /* a commitment that is not a point */
    list[0].hiding[31] ^= 0x80;
    list[0].hiding[0] ^= 0x5a;
    KPT_ST(kp_frost_ed25519_binding_factor(rho, 1, v.pk, list, v.n, v.msg, v.msg_len), KP_ERR_FORMAT);
}

Test(frost, rfc9591_secp256k1_rounds)
{
    vec v;
    kp_frost_secp_commitment list[MAXS];
    load(&v, VEC_SECP, 33);
    for (size_t i = 0; i < v.n; i++) {
        uint8_t d[32], e[32];
        KPT_ST(kp_frost_secp256k1_nonce(ctx, d, v.hrand[i], v.share[i]), KP_OK);
        KPT_ST(kp_frost_secp256k1_nonce(ctx, e, v.brand[i], v.share[i]), KP_OK);
        cr_assert_arr_eq(d, v.hiding[i], 32, "signer %u hiding nonce", v.id[i]);
        cr_assert_arr_eq(e, v.binding[i], 32, "signer %u binding nonce", v.id[i]);
        list[i].id = v.id[i];
        KPT_ST(kp_frost_secp256k1_commit(ctx, list[i].hiding, d), KP_OK);
        KPT_ST(kp_frost_secp256k1_commit(ctx, list[i].binding, e), KP_OK);
        cr_assert_arr_eq(list[i].hiding, v.hcom[i], 33, "signer %u hiding commitment", v.id[i]);
        cr_assert_arr_eq(list[i].binding, v.bcom[i], 33, "signer %u binding commitment", v.id[i]);
    }
    for (size_t i = 0; i < v.n; i++) {
        uint8_t rho[32], z[32], pub[33];
        size_t len = sizeof pub;
        KPT_ST(kp_frost_secp256k1_binding_factor(ctx, rho, v.id[i], v.pk, list, v.n, v.msg, v.msg_len), KP_OK);
        cr_assert_arr_eq(rho, v.rho[i], 32, "signer %u binding factor", v.id[i]);
        KPT_ST(kp_frost_secp256k1_sign_share(ctx, z, v.id[i], v.hiding[i], v.binding[i], v.share[i], v.pk, list,
                                             v.n, v.msg, v.msg_len), KP_OK);
        cr_assert_arr_eq(z, v.z[i], 32, "signer %u signature share", v.id[i]);
        KPT_ST(kp_public_key(ctx, pub, &len, KP_CURVE_SECP256K1, v.share[i]), KP_OK);
        KPT_ST(kp_frost_secp256k1_verify_share(ctx, z, v.id[i], pub, v.pk, list, v.n, v.msg, v.msg_len), KP_OK);
        z[31] ^= 1;
        KPT_ST(kp_frost_secp256k1_verify_share(ctx, z, v.id[i], pub, v.pk, list, v.n, v.msg, v.msg_len),
               KP_ERR_SHARE_MISMATCH);
    }
    uint8_t sig[65];
    KPT_ST(kp_frost_secp256k1_aggregate(ctx, sig, (const uint8_t (*)[32])v.z, v.pk, list, v.n, v.msg, v.msg_len),
           KP_OK);
    cr_assert_arr_eq(sig, v.sig, 65, "final signature");
    v.z[0][5] ^= 1;
    KPT_ST(kp_frost_secp256k1_aggregate(ctx, sig, (const uint8_t (*)[32])v.z, v.pk, list, v.n, v.msg, v.msg_len),
           KP_ERR_SIGNATURE);
}

/* BIP-340 output: trusted-dealer 2-of-3 keys with random secrets (both parities of key and R occur
 * over the runs), every pair of signers; the signature checked by libsecp256k1's own BIP-340
 * verification, and a changed share named. */
Test(frost, bip340_two_of_three)
{
    secp256k1_context *sc = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    int seen_odd_key = 0, seen_even_key = 0;
    for (int run = 0; run < 24; run++) {
        uint8_t s[32], a[32], share[3][32], pub[3][33], pk[33], msg[32];
        secp256k1_pubkey p;
        size_t len;
        do randombytes_buf(s, 32); while (!secp256k1_ec_seckey_verify(sc, s));
        do randombytes_buf(a, 32); while (!secp256k1_ec_seckey_verify(sc, a));
        randombytes_buf(msg, 32);
        cr_assert(secp256k1_ec_pubkey_create(sc, &p, s));
        len = 33;
        secp256k1_ec_pubkey_serialize(sc, pk, &len, &p, SECP256K1_EC_COMPRESSED);
        if (pk[0] == 3) seen_odd_key = 1;
        else seen_even_key = 1;
        for (int i = 0; i < 3; i++) {
            uint8_t x[32] = {0};
            x[31] = (uint8_t)(i + 1);
            memcpy(share[i], a, 32);
            cr_assert(secp256k1_ec_seckey_tweak_mul(sc, share[i], x));
            cr_assert(secp256k1_ec_seckey_tweak_add(sc, share[i], s));
            cr_assert(secp256k1_ec_pubkey_create(sc, &p, share[i]));
            len = 33;
            secp256k1_ec_pubkey_serialize(sc, pub[i], &len, &p, SECP256K1_EC_COMPRESSED);
        }
        static const int pairs[3][2] = {{0, 1}, {0, 2}, {1, 2}};
        for (int q = 0; q < 3; q++) {
            kp_frost_secp_commitment list[2];
            uint8_t d[2][32], e[2][32], z[2][32], sig[64];
            for (int k = 0; k < 2; k++) {
                int i = pairs[q][k];
                list[k].id = (uint16_t)(i + 1);
                KPT_ST(kp_frost_secp256k1_nonce(ctx, d[k], NULL, share[i]), KP_OK);
                KPT_ST(kp_frost_secp256k1_nonce(ctx, e[k], NULL, share[i]), KP_OK);
                KPT_ST(kp_frost_secp256k1_commit(ctx, list[k].hiding, d[k]), KP_OK);
                KPT_ST(kp_frost_secp256k1_commit(ctx, list[k].binding, e[k]), KP_OK);
            }
            for (int k = 0; k < 2; k++) {
                int i = pairs[q][k];
                KPT_ST(kp_frost_bip340_sign_share(ctx, z[k], list[k].id, d[k], e[k], share[i], pk, list, 2, msg, 32),
                       KP_OK);
                KPT_ST(kp_frost_bip340_verify_share(ctx, z[k], list[k].id, pub[i], pk, list, 2, msg, 32), KP_OK);
            }
            KPT_ST(kp_frost_bip340_aggregate(ctx, sig, (const uint8_t (*)[32])z, pk, list, 2, msg, 32), KP_OK);
            secp256k1_xonly_pubkey xk;
            cr_assert(secp256k1_xonly_pubkey_parse(sc, &xk, pk + 1));
            cr_assert(secp256k1_schnorrsig_verify(sc, sig, msg, 32, &xk), "run %d pair %d: BIP-340 verify", run, q);
            z[1][7] ^= 0x10;
            KPT_ST(kp_frost_bip340_verify_share(ctx, z[1], list[1].id, pub[pairs[q][1]], pk, list, 2, msg, 32),
                   KP_ERR_SHARE_MISMATCH);
            KPT_ST(kp_frost_bip340_aggregate(ctx, sig, (const uint8_t (*)[32])z, pk, list, 2, msg, 32),
                   KP_ERR_SIGNATURE);
        }
    }
    cr_assert(seen_odd_key && seen_even_key, "24 random keys had only one parity");
    secp256k1_context_destroy(sc);
}
