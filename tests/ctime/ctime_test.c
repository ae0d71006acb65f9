/*
 * ctime_test.c: constant-time check of libkeyport's secret paths (libsecp256k1's ctime_tests
 * method). Run under valgrind memcheck (./run test does, with --error-exitcode): every secret
 * input is marked undefined before the call, and so is every byte of randomness the library
 * draws (a libsodium randombytes implementation that marks its output undefined), so a branch
 * or a memory index that depends on a secret is reported as a use of an uninitialised value.
 * Values that are public by design (a public key, a ciphertext, a validity result) are
 * declassified where the library produces them (KP_DECLASSIFY, internal.h), and the outputs
 * this program looks at are declassified here before it looks.
 *
 * Paths, on all three curves where a curve is involved: key-format parsing (hex, with white
 * space and 0x; ed25519 seeds), key generation (public key of a secret), sharing and
 * recombination, import preparation (sharing, public shares, envelope sealing), the signer's
 * import check (envelope opening, share and public shares), export sealing, export recovery
 * (envelope opening, robust recovery, the final secret·G check), VSS dealing and checking,
 * envelope seal and open, context seal and open, at-rest seal and open, operator key creation,
 * unlocking and signing (kp_operator_sign, which approvals use), credential signing (Ed25519 and P-256),
 * and FROST nonces, commitments and signature shares (Ed25519, secp256k1, BIP-340 output).
 *
 * Accepted reports (ctime.supp names each): Argon2id indexes its memory by data (argon2id's
 * second half is data-dependent by design; the passphrase is the secret there), and OpenSSL's
 * ECDSA P-256 signing for WebAuthn-style credentials. Nothing else is suppressed.
 *
 * Output: one line per path on stdout; exit 0, or 1 if a call failed (the report of a failure
 * is on stderr). Outside valgrind it still runs every path (the marks are no-ops).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <sodium.h>
#include <valgrind/memcheck.h>

#include "keyport.h"
#include "operator.h"

#define SECRET(p, n) VALGRIND_MAKE_MEM_UNDEFINED((p), (n))
#define PUBLIC(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))

static int failed;

static void ok(kp_status st, const char *what)
{
    PUBLIC(&st, sizeof st);
    if (st != KP_OK) {
        fprintf(stderr, "ctime_test: %s failed: %s: %s\n", what, kp_strerror(st), kp_error_detail());
        failed = 1;
    }
}

/* ------------------------------------------------------------ randomness, marked secret */

static int random_secret; /* 0 while libsodium sets itself up (its canary must stay defined) */

static void rb_buf(void *const buf, const size_t size)
{
    size_t got = 0;
    while (got < size) {
        ssize_t r = getrandom((uint8_t *)buf + got, size - got, 0);
        if (r <= 0) abort();
        got += (size_t)r;
    }
    if (random_secret) SECRET(buf, size);
}

static uint32_t rb_random(void)
{
    uint32_t v;
    int saved = random_secret;
    random_secret = 0;
    rb_buf(&v, sizeof v);
    random_secret = saved;
    return v;
}

static const char *rb_name(void) { return "ctime-test"; }

static struct randombytes_implementation rb_impl = {
    .implementation_name = rb_name, .random = rb_random, .stir = NULL, .uniform = NULL, .buf = rb_buf, .close = NULL};

/* ------------------------------------------------------------ the paths */

static const kp_curve CURVES[] = {KP_CURVE_SECP256K1, KP_CURVE_ED25519, KP_CURVE_STARK};
#define T 3
#define N 5

static kp_protocol protocol_for(kp_curve c)
{
    return c == KP_CURVE_ED25519 ? KP_PROTOCOL_FROST : KP_PROTOCOL_CGGMP21;
}

static void key_formats(kp_ctx *ctx)
{
    static const char *pre[] = {"", "  ", "0x", "\t0X"}, *post[] = {"", "\n", "", " \r\n"};
    for (size_t ci = 0; ci < 3; ci++) {
        kp_curve c = CURVES[ci];
        for (size_t f = 0; f < 4; f++) {
            uint8_t key[32], got[32], pub[33];
            char hex[65], text[80];
            size_t pub_len;
            ok(kp_scalar_random(key, c), "kp_scalar_random");
            PUBLIC(key, 32); /* drawn secret; written out as text next, then marked again */
            if (f == 1) key[0] = 0; /* a leading zero digit pair: the trim must not look at it */
            for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", key[i]);
            snprintf(text, sizeof text, "%s%s%s", pre[f], hex, post[f]);
            size_t len = strlen(text);
            SECRET(text, len);
            ok(kp_scalar_from_hex(got, c, text, len), "kp_scalar_from_hex");
            ok(kp_bytes_from_hex(got, 32, text, len), "kp_bytes_from_hex");
            ok(kp_public_key(ctx, pub, &pub_len, c, got), "kp_public_key");
            PUBLIC(pub, sizeof pub);
        }
    }
    uint8_t seed[32], scalar[32];
    kp_random_bytes(seed, 32);
    ok(kp_ed25519_seed_to_scalar(scalar, seed), "kp_ed25519_seed_to_scalar");
    printf("key formats: hex (white space, 0x) and ed25519 seeds, public keys on every curve\n");
}

static void sharing(kp_ctx *ctx)
{
    for (size_t ci = 0; ci < 3; ci++) {
        kp_curve c = CURVES[ci];
        uint8_t key[32], shares[N][32], got[32];
        uint8_t idx[T][32] = {{0}};
        uint8_t pick[T][32];
        idx[0][31] = 2;
        idx[1][31] = 4;
        idx[2][31] = 5;
        ok(kp_scalar_random(key, c), "kp_scalar_random");
        ok(kp_share_split(ctx, shares, c, T, N, key), "kp_share_split");
        for (int i = 0; i < T; i++) memcpy(pick[i], shares[idx[i][31] - 1], 32);
        ok(kp_share_combine(got, c, (const uint8_t (*)[32])idx, (const uint8_t (*)[32])pick, T), "kp_share_combine");
        /* VSS: deal (random polynomial), check each share against the commitments */
        uint8_t vshares[N][32], comm[T * 33], pub[33];
        ok(kp_vss_deal(ctx, vshares, comm, c, T, N), "kp_vss_deal");
        PUBLIC(comm, sizeof comm);
        for (unsigned j = 1; j <= N; j++) ok(kp_vss_check(ctx, c, T, comm, j, vshares[j - 1]), "kp_vss_check");
        ok(kp_vss_public(ctx, pub, c, T, comm, 0), "kp_vss_public");
    }
    printf("sharing, recombination, VSS dealing and checking on every curve\n");
}

struct signer {
    uint8_t id[16];
    size_t idlen;
    uint8_t secret[32], ek[33];
};

static void import_paths(kp_ctx *ctx)
{
    for (size_t ci = 0; ci < 3; ci++) {
        kp_curve c = CURVES[ci];
        struct signer s[N];
        kp_signer_info info[N];
        kp_buf json, out;
        kp_signers *signers = NULL;
        kp_import_request *req = NULL;
        uint8_t key[32];
        kp_buf_init(&json, 0);
        kp_buf_init(&out, 0);
        for (size_t i = 0; i < N; i++) {
            s[i].idlen = (size_t)snprintf((char *)s[i].id, sizeof s[i].id, "signer-%zu", i + 1);
            ok(kp_encryption_keypair(ctx, s[i].secret, s[i].ek), "kp_encryption_keypair");
            PUBLIC(s[i].ek, 33);
            info[i].signer_id = s[i].id;
            info[i].signer_id_len = s[i].idlen;
            memcpy(info[i].encryption_key, s[i].ek, 33);
        }
        ok(kp_signers_write(&json, "cluster", info, N), "kp_signers_write");
        ok(kp_signers_parse(ctx, &signers, (const char *)json.data, json.len, NULL), "kp_signers_parse");
        ok(kp_scalar_random(key, c), "kp_scalar_random");
        ok(kp_import_prepare(ctx, &out, signers, c, protocol_for(c), T, "ctime", key), "kp_import_prepare");
        PUBLIC(out.data, out.len);
        ok(kp_import_request_parse(&req, (const char *)out.data, out.len), "kp_import_request_parse");
        for (size_t i = 0; req != NULL && i < N; i++) {
            const uint8_t *ct;
            size_t ct_len, pub_len;
            uint8_t share[32], pub[33];
            kp_import_request_share(req, i, &ct, &ct_len);
            ok(kp_import_open_share(ctx, share, pub, &pub_len, s[i].secret, c, (unsigned)i + 1, N, T, ct, ct_len),
               "kp_import_open_share");
        }
        kp_import_request_free(req);
        kp_signers_free(signers);
        kp_buf_release(&json);
        kp_buf_release(&out);
    }
    printf("import: preparation and every signer's import check on every curve\n");
}

static void export_paths(kp_ctx *ctx)
{
    for (size_t ci = 0; ci < 3; ci++) {
        kp_curve c = CURVES[ci];
        uint8_t context_secret[32], ek[33], key[32], shares[N][32], pub[33], ids[N][16], got[32];
        size_t pub_len;
        kp_buf cts[N], resp;
        kp_signer_share ss[N];
        kp_export_result *r = NULL;
        ok(kp_encryption_keypair(ctx, context_secret, ek), "kp_encryption_keypair");
        PUBLIC(ek, 33);
        ok(kp_scalar_random(key, c), "kp_scalar_random");
        ok(kp_public_key(ctx, pub, &pub_len, c, key), "kp_public_key");
        PUBLIC(pub, sizeof pub);
        ok(kp_share_split(ctx, shares, c, T, N, key), "kp_share_split");
        for (size_t i = 0; i < N; i++) {
            kp_buf_init(&cts[i], 0);
            uint8_t x[32] = {0};
            x[31] = (uint8_t)(i + 1); /* the share's index, as kp_share_split numbers them */
            ok(kp_export_seal_share(ctx, &cts[i], ek, c, x, shares[i]), "kp_export_seal_share");
            PUBLIC(cts[i].data, cts[i].len);
            ss[i].signer_id = ids[i];
            ss[i].signer_id_len = (size_t)snprintf((char *)ids[i], sizeof ids[i], "signer-%zu", i + 1);
            ss[i].ciphertext = cts[i].data;
            ss[i].ciphertext_len = cts[i].len;
        }
        kp_buf_init(&resp, 0);
        ok(kp_export_response_write(&resp, c, protocol_for(c), pub, pub_len, T, ss, N), "kp_export_response_write");
        ok(kp_export_recover(ctx, &r, context_secret, (const char *)resp.data, resp.len), "kp_export_recover");
        if (r != NULL) kp_export_result_private_key(r, got);
        kp_export_result_free(r);
        for (size_t i = 0; i < N; i++) kp_buf_release(&cts[i]);
        kp_buf_release(&resp);
    }
    printf("export: share sealing and recovery on every curve\n");
}

static void envelopes_and_files(kp_ctx *ctx)
{
    uint8_t secret[32], ek[33], m[64], ct[64 + KP_ENVELOPE_OVERHEAD], back[64];
    ok(kp_encryption_keypair(ctx, secret, ek), "kp_encryption_keypair");
    PUBLIC(ek, 33);
    kp_random_bytes(m, sizeof m);
    ok(kp_envelope_seal(ctx, ct, ek, m, sizeof m), "kp_envelope_seal");
    PUBLIC(ct, sizeof ct);
    ok(kp_envelope_open(ctx, back, secret, ct, sizeof ct), "kp_envelope_open");

    /* context files: the passphrase and the secret are secret */
    uint8_t file[KP_CONTEXT_FILE_BYTES], ctx_secret[32];
    char pass[] = "correct horse battery staple";
    ok(kp_encryption_keypair(ctx, ctx_secret, ek), "kp_encryption_keypair");
    SECRET(pass, sizeof pass - 1);
    ok(kp_context_seal(ctx, file, ctx_secret, pass, sizeof pass - 1, KP_KDF_INTERACTIVE), "kp_context_seal");
    PUBLIC(file, sizeof file);
    ok(kp_context_open(ctx, ctx_secret, file, sizeof file, pass, sizeof pass - 1), "kp_context_open");

    /* at rest */
    uint8_t storage[32], data[48], opened[48];
    kp_buf sealed;
    kp_buf_init(&sealed, 0);
    kp_random_bytes(storage, 32);
    kp_random_bytes(data, sizeof data);
    ok(kp_at_rest_seal(&sealed, storage, (const uint8_t *)"key-1", 5, data, sizeof data), "kp_at_rest_seal");
    PUBLIC(sealed.data, sealed.len);
    ok(kp_at_rest_open(opened, storage, (const uint8_t *)"key-1", 5, sealed.data, sealed.len), "kp_at_rest_open");
    kp_buf_release(&sealed);
    printf("envelopes, context files and at-rest sealing: seal and open\n");
}

static void operators_and_credentials(kp_ctx *ctx)
{
    kp_operator *op = NULL, *parsed = NULL;
    kp_buf file;
    char pass[] = "operator passphrase";
    kp_buf_init(&file, 0);
    SECRET(pass, sizeof pass - 1);
    ok(kp_operator_new(ctx, &op, &file, "alice", pass, sizeof pass - 1, KP_KDF_INTERACTIVE), "kp_operator_new");
    PUBLIC(file.data, file.len);
    kp_operator_free(op);
    ok(kp_operator_parse(&parsed, (const char *)file.data, file.len), "kp_operator_parse");
    ok(kp_operator_unlock(ctx, parsed, pass, sizeof pass - 1), "kp_operator_unlock");
    /* operator signing (what kp_approval_sign signs a statement with) */
    uint8_t osig[64];
    ok(kp_operator_sign(parsed, osig, (const uint8_t *)"statement", 9), "kp_operator_sign");
    PUBLIC(osig, sizeof osig);
    kp_operator_free(parsed);
    kp_buf_release(&file);

    const kp_cred_alg algs[2] = {KP_CRED_ED25519, KP_CRED_P256};
    for (int a = 0; a < 2; a++) {
        kp_buf cf, sig;
        kp_credential *cred = NULL;
        kp_buf_init(&cf, 1);
        kp_buf_init(&sig, 0);
        ok(kp_credential_new(&cf, algs[a], "cred-1"), "kp_credential_new");
        /* the file as read from disk: its privateKey digits are the secret */
        PUBLIC(cf.data, cf.len);
        const char *pk = strstr((const char *)cf.data, "\"privateKey\":\"");
        if (pk == NULL) {
            fprintf(stderr, "ctime_test: the credential file has no privateKey\n");
            failed = 1;
        } else {
            SECRET(pk + 14, 64);
        }
        ok(kp_credential_parse(&cred, (const char *)cf.data, cf.len), "kp_credential_parse");
        ok(kp_credential_sign(cred, &sig, (const uint8_t *)"client data", 11), "kp_credential_sign");
        PUBLIC(sig.data, sig.len);
        kp_credential_free(cred);
        kp_buf_release(&cf);
        kp_buf_release(&sig);
    }
    printf("operators: creation, unlocking, signing; credentials: Ed25519 and P-256 signing\n");
}

/* FROST (both suites, and BIP-340 output): nonce generation, commitments and signature shares,
 * with the signer's share and the nonce randomness secret. */
static void frost_paths(kp_ctx *ctx)
{
    uint8_t share[32], pk[33], sk[32], d[2][32], e[2][32], z[32];
    size_t len = sizeof pk;
    ok(kp_scalar_random(sk, KP_CURVE_ED25519), "kp_scalar_random");
    memcpy(share, sk, 32);
    ok(kp_public_key(ctx, pk, &len, KP_CURVE_ED25519, sk), "kp_public_key");
    kp_frost_commitment el[2];
    for (int k = 0; k < 2; k++) {
        el[k].id = (uint16_t)(k + 1);
        SECRET(share, 32);
        ok(kp_frost_ed25519_nonce(d[k], NULL, share), "kp_frost_ed25519_nonce");
        ok(kp_frost_ed25519_nonce(e[k], NULL, share), "kp_frost_ed25519_nonce");
        ok(kp_frost_ed25519_commit(el[k].hiding, d[k]), "kp_frost_ed25519_commit");
        ok(kp_frost_ed25519_commit(el[k].binding, e[k]), "kp_frost_ed25519_commit");
    }
    ok(kp_frost_ed25519_sign_share(z, 1, d[0], e[0], share, pk, el, 2, (const uint8_t *)"m", 1),
       "kp_frost_ed25519_sign_share");
    ok(kp_scalar_random(sk, KP_CURVE_SECP256K1), "kp_scalar_random");
    memcpy(share, sk, 32);
    len = sizeof pk;
    ok(kp_public_key(ctx, pk, &len, KP_CURVE_SECP256K1, sk), "kp_public_key");
    PUBLIC(pk, sizeof pk);
    kp_frost_secp_commitment sl[2];
    for (int k = 0; k < 2; k++) {
        sl[k].id = (uint16_t)(k + 1);
        SECRET(share, 32);
        ok(kp_frost_secp256k1_nonce(ctx, d[k], NULL, share), "kp_frost_secp256k1_nonce");
        ok(kp_frost_secp256k1_nonce(ctx, e[k], NULL, share), "kp_frost_secp256k1_nonce");
        ok(kp_frost_secp256k1_commit(ctx, sl[k].hiding, d[k]), "kp_frost_secp256k1_commit");
        ok(kp_frost_secp256k1_commit(ctx, sl[k].binding, e[k]), "kp_frost_secp256k1_commit");
    }
    ok(kp_frost_secp256k1_sign_share(ctx, z, 1, d[0], e[0], share, pk, sl, 2, (const uint8_t *)"m", 1),
       "kp_frost_secp256k1_sign_share");
    ok(kp_frost_bip340_sign_share(ctx, z, 1, d[0], e[0], share, pk, sl, 2, (const uint8_t *)"m", 1),
       "kp_frost_bip340_sign_share");
    printf("FROST: nonces, commitments and signature shares (ed25519, secp256k1, BIP-340)\n");
}

int main(void)
{
    kp_ctx *ctx = NULL;
    if (randombytes_set_implementation(&rb_impl) != 0) return 1;
    ok(kp_ctx_new(&ctx), "kp_ctx_new");
    if (ctx == NULL) return 1;
    random_secret = 1;
    key_formats(ctx);
    sharing(ctx);
    import_paths(ctx);
    export_paths(ctx);
    envelopes_and_files(ctx);
    operators_and_credentials(ctx);
    frost_paths(ctx);
    kp_ctx_free(ctx);
    printf(failed ? "ctime_test: a call failed\n" : "ctime_test: every path ran\n");
    return failed;
}
