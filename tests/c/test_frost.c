/*
 * test_frost.c: FROST(Ed25519, SHA-512) against the RFC 9591 Appendix E.1 vectors
 * (tests/vectors/frost-rfc9591-ed25519-sha512.cfrg.json): round one with the given nonce
 * randomness, binding factors, round-two shares, share checks and the final signature; and the
 * refusals (a changed share, a signer not in the list, a list out of order).
 */
#include <sodium.h>

#include "kptest.h"

TestSuite(frost, .init = kpt_setup, .fini = kpt_teardown, .timeout = 120);

#define VEC "frost-rfc9591-ed25519-sha512.cfrg.json"
#define MAXS 8

typedef struct {
    uint8_t pk[32];
    uint8_t msg[256];
    size_t msg_len;
    size_t n;
    kp_frost_commitment list[MAXS];
    uint8_t hiding[MAXS][32], binding[MAXS][32], share[MAXS][32], pub[MAXS][32], z[MAXS][32], rho[MAXS][32];
    uint8_t sig[64];
} vec;

static const cJSON *item(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    cr_assert_not_null(v, "vector field \"%s\" is missing", k);
    return v;
}

static void load(vec *v)
{
    cJSON *j = kpt_load_json(VEC);
    const cJSON *in = item(j, "inputs");
    kpt_unhex(v->pk, 32, kpt_jstr(in, "group_public_key"));
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
        v->list[i].id = (uint16_t)id;
        const cJSON *sh = NULL, *e;
        cJSON_ArrayForEach(e, shares) if (item(e, "identifier")->valueint == id) sh = e;
        cr_assert_not_null(sh, "no share for signer %d", id);
        kpt_unhex(v->share[i], 32, kpt_jstr(sh, "participant_share"));
        KPT_ST(crypto_scalarmult_ed25519_base_noclamp(v->pub[i], v->share[i]) == 0 ? KP_OK : KP_ERR_SCALAR, KP_OK);

        uint8_t rnd[32], want[32];
        kpt_unhex(rnd, 32, kpt_jstr(o, "hiding_nonce_randomness"));
        KPT_ST(kp_frost_ed25519_nonce(v->hiding[i], rnd, v->share[i]), KP_OK);
        kpt_unhex(want, 32, kpt_jstr(o, "hiding_nonce"));
        cr_assert_arr_eq(v->hiding[i], want, 32, "signer %d hiding nonce", id);
        kpt_unhex(rnd, 32, kpt_jstr(o, "binding_nonce_randomness"));
        KPT_ST(kp_frost_ed25519_nonce(v->binding[i], rnd, v->share[i]), KP_OK);
        kpt_unhex(want, 32, kpt_jstr(o, "binding_nonce"));
        cr_assert_arr_eq(v->binding[i], want, 32, "signer %d binding nonce", id);

        KPT_ST(kp_frost_ed25519_commit(v->list[i].hiding, v->hiding[i]), KP_OK);
        kpt_unhex(want, 32, kpt_jstr(o, "hiding_nonce_commitment"));
        cr_assert_arr_eq(v->list[i].hiding, want, 32, "signer %d hiding commitment", id);
        KPT_ST(kp_frost_ed25519_commit(v->list[i].binding, v->binding[i]), KP_OK);
        kpt_unhex(want, 32, kpt_jstr(o, "binding_nonce_commitment"));
        cr_assert_arr_eq(v->list[i].binding, want, 32, "signer %d binding commitment", id);
        kpt_unhex(v->rho[i], 32, kpt_jstr(o, "binding_factor"));

        const cJSON *o2 = cJSON_GetArrayItem(r2, (int)i);
        cr_assert_eq(item(o2, "identifier")->valueint, id);
        kpt_unhex(v->z[i], 32, kpt_jstr(o2, "sig_share"));
    }
    kpt_unhex(v->sig, 64, kpt_jstr(item(j, "final_output"), "sig"));
    cJSON_Delete(j);
}

Test(frost, rfc9591_ed25519_rounds)
{
    vec v;
    load(&v);
    for (size_t i = 0; i < v.n; i++) {
        uint8_t rho[32], z[32];
        KPT_ST(kp_frost_ed25519_binding_factor(rho, v.list[i].id, v.pk, v.list, v.n, v.msg, v.msg_len), KP_OK);
        cr_assert_arr_eq(rho, v.rho[i], 32, "signer %u binding factor", v.list[i].id);
        KPT_ST(kp_frost_ed25519_sign_share(z, v.list[i].id, v.hiding[i], v.binding[i], v.share[i], v.pk,
                                           v.list, v.n, v.msg, v.msg_len), KP_OK);
        cr_assert_arr_eq(z, v.z[i], 32, "signer %u signature share", v.list[i].id);
        KPT_ST(kp_frost_ed25519_verify_share(z, v.list[i].id, v.pub[i], v.pk, v.list, v.n, v.msg, v.msg_len),
               KP_OK);
    }
    uint8_t sig[64];
    KPT_ST(kp_frost_ed25519_aggregate(sig, (const uint8_t (*)[32])v.z, v.pk, v.list, v.n, v.msg, v.msg_len), KP_OK);
    cr_assert_arr_eq(sig, v.sig, 64, "final signature");
    /* independent check: libsodium's RFC 8032 verification under the group key */
    cr_assert_eq(crypto_sign_verify_detached(sig, v.msg, v.msg_len, v.pk), 0);
}

Test(frost, bad_share_is_named)
{
    vec v;
    load(&v);
    v.z[1][0] ^= 1;
    KPT_ST(kp_frost_ed25519_verify_share(v.z[0], v.list[0].id, v.pub[0], v.pk, v.list, v.n, v.msg, v.msg_len), KP_OK);
    KPT_ST(kp_frost_ed25519_verify_share(v.z[1], v.list[1].id, v.pub[1], v.pk, v.list, v.n, v.msg, v.msg_len),
           KP_ERR_SHARE_MISMATCH);
    /* a good share checked against another signer's public share fails too */
    KPT_ST(kp_frost_ed25519_verify_share(v.z[0], v.list[0].id, v.pub[1], v.pk, v.list, v.n, v.msg, v.msg_len),
           KP_ERR_SHARE_MISMATCH);
    uint8_t sig[64];
    KPT_ST(kp_frost_ed25519_aggregate(sig, (const uint8_t (*)[32])v.z, v.pk, v.list, v.n, v.msg, v.msg_len),
           KP_ERR_SIGNATURE);
}

Test(frost, malformed_lists)
{
    vec v;
    load(&v);
    uint8_t z[32], rho[32];
    /* a signer that is not in the list */
    KPT_ST(kp_frost_ed25519_sign_share(z, 2, v.hiding[0], v.binding[0], v.share[0], v.pk, v.list, v.n, v.msg,
                                       v.msg_len), KP_ERR_NOT_FOUND);
    /* out of order, and duplicated, identifiers */
    kp_frost_commitment sw[2] = {v.list[1], v.list[0]};
    KPT_ST(kp_frost_ed25519_binding_factor(rho, 1, v.pk, sw, 2, v.msg, v.msg_len), KP_ERR_FORMAT);
    kp_frost_commitment dup[2] = {v.list[0], v.list[0]};
    KPT_ST(kp_frost_ed25519_binding_factor(rho, 1, v.pk, dup, 2, v.msg, v.msg_len), KP_ERR_FORMAT);
    /* a commitment that is not a point */
    v.list[0].hiding[31] ^= 0x80;
    v.list[0].hiding[0] ^= 0x5a;
    KPT_ST(kp_frost_ed25519_binding_factor(rho, 1, v.pk, v.list, v.n, v.msg, v.msg_len), KP_ERR_FORMAT);
}
