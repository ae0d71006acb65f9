/*
 * demo.c: `keyport demo`, a local round trip with 5 signers in a temporary folder.
 *
 * Until the reference cluster exists, the signers are played by the library's signer-side
 * calls. The files it leaves in the folder are those a real ceremony moves between machines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "io.h"

#define N 5
#define T 3

struct signer {
    uint8_t id[8];   /* signerId bytes: "signer-1" … */
    uint8_t secret[32]; /* in a secure allocation, see run() */
    uint8_t ek[33];
    uint8_t share[32];
    uint32_t index;
};

static int save(const char *dir, const char *name, const void *data, size_t len, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", dir, name);
    return kp_cli_write_new_file(path, data, len, 0600);
}

static int run(kp_ctx *ctx, const char *dir, kp_curve c, kp_protocol p, struct signer *sg)
{
    char path[512], sub[400];
    kp_buf signers_json, import_req, export_req, response;
    kp_signers *signers = NULL;
    kp_import_request *ireq = NULL;
    kp_export_result *res = NULL;
    uint8_t *key = kp_secure_alloc(32), *ctx_secret = kp_secure_alloc(32), *got = kp_secure_alloc(32);
    uint8_t pub[KP_PUBKEY_MAX_BYTES], group[KP_PUBKEY_MAX_BYTES], ek[33], file[KP_CONTEXT_FILE_BYTES];
    uint8_t cts[N][400];
    kp_signer_share shares[N];
    size_t pub_len, group_len;
    kp_status st = KP_OK;
    int code = KP_EXIT_OK;
    const char *cn = kp_curve_name(c), *step = "";
    kp_buf_init(&signers_json, 0);
    kp_buf_init(&import_req, 0);
    kp_buf_init(&export_req, 0);
    kp_buf_init(&response, 0);
    if (key == NULL || ctx_secret == NULL || got == NULL) {
        code = kp_cli_error(KP_EXIT_INTERNAL, "out of memory");
        goto done;
    }
    snprintf(sub, sizeof sub, "%s/%s", dir, cn);
    if (mkdir(sub, 0700) != 0) {
        code = kp_cli_error(KP_EXIT_IO, "%s: cannot create", sub);
        goto done;
    }
    printf("\n== %s with %s: %d-of-%d ==\n", cn, kp_protocol_name(p), T, N);

    /* 1. GET /signers: each signer has its own encryption key pair. */
    step = "signers";
    kp_signer_info info[N];
    for (int i = 0; i < N; i++) {
        memcpy(sg[i].id, "signer-", 7);
        sg[i].id[7] = (uint8_t)('1' + i);
        if ((st = kp_encryption_keypair(ctx, sg[i].secret, sg[i].ek)) != KP_OK) goto fail;
        info[i].signer_id = sg[i].id;
        info[i].signer_id_len = sizeof sg[i].id;
        memcpy(info[i].encryption_key, sg[i].ek, 33);
    }
    if ((st = kp_signers_write(&signers_json, "demo-cluster", info, N)) != KP_OK) goto fail;
    if ((code = save(sub, "signers.json", signers_json.data, signers_json.len, path, sizeof path)) != 0) goto done;
    printf("1. %d signers made their encryption keys        -> %s\n", N, path);

    /* 2. offline: a random key, split 3-of-5, each share encrypted to its signer. */
    step = "import prepare";
    if ((st = kp_scalar_random(key, c)) != KP_OK) goto fail;
    if ((st = kp_public_key(ctx, pub, &pub_len, c, key)) != KP_OK ||
        (st = kp_signers_parse(ctx, &signers, (const char *)signers_json.data, signers_json.len, NULL)) != KP_OK ||
        (st = kp_import_prepare(ctx, &import_req, signers, c, p, T, "demo key", key)) != KP_OK)
        goto fail;
    if ((code = save(sub, "import-request.json", import_req.data, import_req.len, path, sizeof path)) != 0) goto done;
    char hex[2 * KP_PUBKEY_MAX_BYTES + 1];
    for (size_t i = 0; i < pub_len; i++) sprintf(hex + 2 * i, "%02x", pub[i]);
    printf("2. a random key (public key %s) was split and encrypted -> %s\n", hex, path);

    /* 3. each signer opens its share and checks it against public_shares. */
    step = "signers open their shares";
    if ((st = kp_import_request_parse(&ireq, (const char *)import_req.data, import_req.len)) != KP_OK) goto fail;
    for (size_t i = 0; i < kp_import_request_count(ireq); i++) {
        const uint8_t *ct;
        size_t ctlen;
        const char *id = kp_import_request_share(ireq, i, &ct, &ctlen);
        struct signer *me = NULL;
        for (int m = 0; m < N; m++) {
            uint8_t mine[33];
            /* the request lists signers in the signers list's sorted order */
            if (strcmp(kp_signers_get(signers, i, mine), id) == 0 && memcmp(mine, sg[m].ek, 33) == 0) me = &sg[m];
        }
        if (me == NULL) {
            code = kp_cli_error(KP_EXIT_INTERNAL, "demo: unknown signer %s", id);
            goto done;
        }
        if ((st = kp_import_open_share(ctx, me->share, group, &group_len, me->secret, c, (unsigned)i + 1, N, T, ct,
                                       ctlen)) != KP_OK)
            goto fail;
        me->index = (uint32_t)i + 1;
        if (group_len != pub_len || memcmp(group, pub, pub_len) != 0) {
            code = kp_cli_error(KP_EXIT_RECOVER, "demo: signer %s computed another public key", id);
            goto done;
        }
    }
    printf("3. all %d signers decrypted their shares, checked them against public_shares, and agree on the public key\n", N);

    /* 4. offline: a fresh export context, sealed under a passphrase. */
    step = "export init";
    static const char pass[] = "demo passphrase";
    if ((st = kp_encryption_keypair(ctx, ctx_secret, ek)) != KP_OK ||
        (st = kp_context_seal(ctx, file, ctx_secret, pass, sizeof pass - 1, KP_KDF_INTERACTIVE)) != KP_OK ||
        (st = kp_export_request_write(&export_req, ek, -1)) != KP_OK)
        goto fail;
    if ((code = save(sub, "context.kpx", file, sizeof file, path, sizeof path)) != 0) goto done;
    printf("4. export context sealed under a passphrase     -> %s\n", path);
    if ((code = save(sub, "export-request.json", export_req.data, export_req.len, path, sizeof path)) != 0) goto done;
    printf("   export request                               -> %s\n", path);

    /* 5. each signer seals its own share to the context's encryption key. */
    step = "signers seal their shares";
    size_t lens[N];
    for (int i = 0; i < N; i++) {
        kp_buf ct;
        kp_buf_init(&ct, 0);
        uint8_t xb[32];
        kp_scalar_from_u64(xb, sg[i].index);
        st = kp_export_seal_share(ctx, &ct, ek, c, xb, sg[i].share);
        if (st == KP_OK && ct.len <= sizeof cts[i]) memcpy(cts[i], ct.data, ct.len);
        lens[i] = ct.len;
        kp_buf_release(&ct);
        if (st != KP_OK) goto fail;
        shares[i] = (kp_signer_share){sg[i].id, sizeof sg[i].id, cts[i], lens[i]};
    }
    if ((st = kp_export_response_write(&response, c, p, pub, pub_len, T, shares, N)) != KP_OK) goto fail;
    if ((code = save(sub, "export-response.json", response.data, response.len, path, sizeof path)) != 0) goto done;
    printf("5. each signer sealed its share to the context's key -> %s\n", path);

    /* 6. offline: open the context, decrypt, recombine, check against publicKey. */
    step = "export recover";
    uint8_t *opened = kp_secure_alloc(32);
    if (opened == NULL) {
        code = kp_cli_error(KP_EXIT_INTERNAL, "out of memory");
        goto done;
    }
    st = kp_context_open(ctx, opened, file, sizeof file, pass, sizeof pass - 1);
    if (st == KP_OK) st = kp_export_recover(ctx, &res, opened, (const char *)response.data, response.len);
    kp_secure_free(opened);
    if (st != KP_OK) goto fail;
    kp_export_result_private_key(res, got);
    int same = kp_memcmp_ct(got, key, 32) == 0;
    printf("6. recovered the key from the %d shares and checked it against publicKey: %s\n", N,
           same ? "it equals the imported key" : "MISMATCH");
    if (!same) code = KP_EXIT_RECOVER;
    goto done;
fail:
    code = kp_cli_fail(st, step);
done:
    kp_export_result_free(res);
    kp_import_request_free(ireq);
    kp_signers_free(signers);
    kp_buf_release(&signers_json);
    kp_buf_release(&import_req);
    kp_buf_release(&export_req);
    kp_buf_release(&response);
    kp_secure_free(key);
    kp_secure_free(ctx_secret);
    kp_secure_free(got);
    kp_memzero(file, sizeof file);
    return code;
}

int kp_cmd_demo(kp_ctx *ctx, int argc, char **argv)
{
    static const struct { kp_curve c; kp_protocol p; } runs[] = {
        {KP_CURVE_SECP256K1, KP_PROTOCOL_CGGMP21},
        {KP_CURVE_ED25519, KP_PROTOCOL_FROST},
        {KP_CURVE_STARK, KP_PROTOCOL_CGGMP21},
    };
    char dir[] = "/tmp/keyport-demo-XXXXXX";
    const char *tmpdir = getenv("TMPDIR");
    char *path = NULL;
    if (argc > 1) return kp_cli_usage("demo: unexpected argument \"%s\"", argv[1]);
    if (tmpdir != NULL && tmpdir[0] != 0 && asprintf(&path, "%s/keyport-demo-XXXXXX", tmpdir) < 0) path = NULL;
    char *made = mkdtemp(path != NULL ? path : dir);
    if (made == NULL) {
        free(path);
        return kp_cli_error(KP_EXIT_IO, "cannot create a temporary folder");
    }
    struct signer *sg = kp_secure_alloc(N * sizeof *sg);
    int code = sg == NULL ? kp_cli_error(KP_EXIT_INTERNAL, "out of memory") : KP_EXIT_OK;
    printf("keyport demo: an import and an export with %d local signers (threshold %d), in %s\n", N, T, made);
    printf("The signers are played by libkeyport's signer-side calls, as the reference cluster will use them.\n");
    for (size_t i = 0; code == KP_EXIT_OK && i < sizeof runs / sizeof runs[0]; i++) {
        memset(sg, 0, N * sizeof *sg);
        code = run(ctx, made, runs[i].c, runs[i].p, sg);
    }
    kp_secure_free(sg);
    if (code == KP_EXIT_OK)
        printf("\nAll round trips recovered the imported key. The files of each ceremony are in %s.\n", made);
    free(path);
    return code;
}
