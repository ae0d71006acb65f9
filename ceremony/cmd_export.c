/* cmd_export.c: keyport export init | recover. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit_hook.h"
#include "commands.h"
#include "io.h"

/* --schemes: "dfns-2025" (the default: the four pairs Dfns' published client parses), "all" (the
 * six pairs keyport supports, CGGMP24 included), or an exact comma-separated list of
 * PROTOCOL/CURVE pairs, e.g. "CGGMP24/secp256k1,FROST/ed25519". Returns 0 or a usage exit code. */
static int parse_schemes(const char *arg, kp_scheme *out, size_t *n)
{
    static const kp_scheme dfns[] = {{KP_PROTOCOL_CGGMP21, KP_CURVE_SECP256K1},
                                     {KP_PROTOCOL_CGGMP21, KP_CURVE_STARK},
                                     {KP_PROTOCOL_FROST, KP_CURVE_ED25519},
                                     {KP_PROTOCOL_FROST_BITCOIN, KP_CURVE_SECP256K1}};
    static const kp_scheme all[] = {{KP_PROTOCOL_CGGMP21, KP_CURVE_SECP256K1}, {KP_PROTOCOL_CGGMP21, KP_CURVE_STARK},
                                    {KP_PROTOCOL_CGGMP24, KP_CURVE_SECP256K1}, {KP_PROTOCOL_CGGMP24, KP_CURVE_STARK},
                                    {KP_PROTOCOL_FROST, KP_CURVE_ED25519}, {KP_PROTOCOL_FROST_BITCOIN, KP_CURVE_SECP256K1}};
    if (strcmp(arg, "dfns-2025") == 0 || strcmp(arg, "all") == 0) {
        const kp_scheme *src = arg[0] == 'a' ? all : dfns;
        *n = arg[0] == 'a' ? sizeof all / sizeof *all : sizeof dfns / sizeof *dfns;
        memcpy(out, src, *n * sizeof *out);
        return 0;
    }
    *n = 0;
    for (const char *p = arg;;) {
        const char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);
        const char *slash = memchr(p, '/', (size_t)(end - p));
        char proto[32], curve[32];
        if (slash == NULL || slash == p || slash + 1 == end || (size_t)(slash - p) >= sizeof proto ||
            (size_t)(end - slash - 1) >= sizeof curve)
            return kp_cli_usage("--schemes: \"%.*s\" is not PROTOCOL/CURVE (or dfns-2025, or all)", (int)(end - p), p);
        if (*n == KP_MAX_SCHEMES) return kp_cli_usage("--schemes lists more than %d pairs", KP_MAX_SCHEMES);
        memcpy(proto, p, (size_t)(slash - p));
        proto[slash - p] = 0;
        memcpy(curve, slash + 1, (size_t)(end - slash - 1));
        curve[end - slash - 1] = 0;
        if (kp_protocol_from_name(&out[*n].protocol, proto) != KP_OK || kp_curve_from_name(&out[*n].curve, curve) != KP_OK ||
            kp_scheme_check(out[*n].protocol, out[*n].curve) != KP_OK)
            return kp_cli_usage("--schemes: %.*s is not a supported pair; they are: %s", (int)(end - p), p, kp_scheme_list());
        for (size_t i = 0; i < *n; i++)
            if (out[i].protocol == out[*n].protocol && out[i].curve == out[*n].curve)
                return kp_cli_usage("--schemes lists %.*s twice", (int)(end - p), p);
        (*n)++;
        if (comma == NULL) break;
        p = comma + 1;
    }
    return 0;
}

int kp_cmd_export_init(kp_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {{"context", required_argument, NULL, 'c'},
                                         {"passphrase-file", required_argument, NULL, 'p'},
                                         {"no-delete", no_argument, NULL, 'n'},
                                         {"kdf", required_argument, NULL, 'k'},
                                         {"schemes", required_argument, NULL, 's'},
                                         KP_AUDIT_LONG_OPTIONS,
                                         {NULL, 0, NULL, 0}};
    const char *context = NULL, *passfile = NULL;
    kp_cli_audit audit = {0};
    kp_scheme schemes[KP_MAX_SCHEMES];
    size_t nschemes = 0;
    int no_delete = 0, o, rc;
    parse_schemes("dfns-2025", schemes, &nschemes);
    kp_kdf_strength strength = KP_KDF_MODERATE;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (kp_cli_audit_option(&audit, o, optarg)) continue;
        switch (o) {
        case 'c': context = optarg; break;
        case 'p': passfile = optarg; break;
        case 'n': no_delete = 1; break;
        case 's':
            if ((rc = parse_schemes(optarg, schemes, &nschemes)) != 0) return rc;
            break;
        case 'k':
            if (kp_cli_kdf(optarg, &strength) != 0)
                return kp_cli_usage("--kdf must be interactive, moderate or sensitive, not \"%s\"", optarg);
            break;
        default: return kp_cli_usage("export init: unknown or incomplete option %s", argv[optind - 1]);
        }
    }
    if (optind < argc) return kp_cli_usage("export init: unexpected argument \"%s\"", argv[optind]);
    if (context == NULL) return kp_cli_usage("export init: %s is required", "--context FILE");

    char *pass = NULL;
    size_t passlen = 0;
    uint8_t *secret = kp_secure_alloc(32), file[KP_CONTEXT_FILE_BYTES], ek[33];
    kp_buf req;
    kp_buf_init(&req, 0);
    int code = kp_cli_passphrase(passfile, 1, "Passphrase for the export context: ", &pass, &passlen);
    if (code != KP_EXIT_OK || (code = kp_cli_audit_begin(ctx, &audit)) != KP_EXIT_OK) goto done;
    kp_status st;
    if (secret == NULL) {
        code = kp_cli_error(KP_EXIT_INTERNAL, "out of memory");
        goto done;
    }
    if ((st = kp_encryption_keypair(ctx, secret, ek)) != KP_OK ||
        (st = kp_context_seal(ctx, file, secret, pass, passlen, strength)) != KP_OK ||
        (st = kp_export_request_write_schemes(&req, ek, schemes, nschemes, no_delete ? 0 : -1)) != KP_OK || (st = kp_buf_addstr(&req, "\n")) != KP_OK) {
        code = kp_cli_fail(st, "export init");
        goto done;
    }
    /* The context is on disk before the request is shown, so no request exists whose key is lost. */
    if ((code = kp_cli_write_new_file(context, file, sizeof file, 0600)) != KP_EXIT_OK) goto done;
    char fp[17], details[128];
    kp_encryption_key_fingerprint(fp, ek);
    snprintf(details, sizeof details, "{\"recipient\":\"%s\",\"delete\":%s}", fp, no_delete ? "false" : "true");
    if ((code = kp_cli_audit_record(&audit, "export.requested", NULL, NULL, NULL, 0, details)) != KP_EXIT_OK) {
        unlink(context); /* the event could not be recorded: undo the action */
        goto done;
    }
    code = kp_cli_stdout(req.data, req.len);
done:
    kp_cli_audit_end(&audit);
    kp_cli_passphrase_free(pass);
    kp_secure_free(secret);
    kp_memzero(file, sizeof file);
    kp_buf_release(&req);
    return code;
}

/* The key.exported event: public key, scheme, the recipient's fingerprint, the culprits. */
static int record_export(kp_cli_audit *audit, kp_ctx *ctx, const uint8_t *context_secret, const kp_export_result *r)
{
    if (audit->h == NULL) return KP_EXIT_OK;
    uint8_t pub[KP_PUBKEY_MAX_BYTES], ek[33];
    char fp[17];
    size_t pub_len = kp_export_result_public_key(r, pub);
    kp_buf pubhex, d;
    kp_buf_init(&pubhex, 0);
    kp_buf_init(&d, 0);
    kp_buf_addhex(&pubhex, pub, pub_len);
    kp_encryption_key_from_secret(ctx, ek, context_secret);
    kp_encryption_key_fingerprint(fp, ek);
    kp_buf_addstr(&d, "{\"curve\":\"");
    kp_buf_addstr(&d, kp_curve_name(kp_export_result_curve(r)));
    kp_buf_addstr(&d, "\",\"protocol\":\"");
    kp_buf_addstr(&d, kp_protocol_name(kp_export_result_protocol(r)));
    kp_buf_addstr(&d, "\",\"recipient\":\"");
    kp_buf_addstr(&d, fp);
    kp_buf_addstr(&d, "\",\"culprits\":[");
    for (size_t i = 0; i < kp_export_result_culprit_count(r); i++) {
        const char *id = kp_export_result_culprit(r, i, NULL, NULL);
        if (i) kp_buf_addstr(&d, ",");
        kp_buf_addjstr(&d, id, strlen(id));
    }
    kp_status st = kp_buf_addstr(&d, "]}");
    int code = st == KP_OK ? kp_cli_audit_record(audit, "key.exported", NULL, (const char *)pubhex.data, NULL, 0,
                                                 (const char *)d.data)
                           : kp_cli_fail(st, "export recover");
    kp_buf_release(&pubhex);
    kp_buf_release(&d);
    return code;
}

int kp_cmd_export_recover(kp_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {{"context", required_argument, NULL, 'c'},
                                         {"passphrase-file", required_argument, NULL, 'p'},
                                         {"response", required_argument, NULL, 'r'},
                                         {"json", no_argument, NULL, 'j'},
                                         KP_AUDIT_LONG_OPTIONS,
                                         {NULL, 0, NULL, 0}};
    const char *context = NULL, *passfile = NULL, *response = NULL;
    kp_cli_audit audit = {0};
    int json = 0, o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (kp_cli_audit_option(&audit, o, optarg)) continue;
        switch (o) {
        case 'c': context = optarg; break;
        case 'p': passfile = optarg; break;
        case 'r': response = optarg; break;
        case 'j': json = 1; break;
        default: return kp_cli_usage("export recover: unknown or incomplete option %s", argv[optind - 1]);
        }
    }
    if (optind < argc) return kp_cli_usage("export recover: unexpected argument \"%s\"", argv[optind]);
    if (context == NULL) return kp_cli_usage("export recover: %s is required", "--context FILE");
    if (response == NULL) return kp_cli_usage("export recover: %s is required", "--response FILE");

    unsigned char *ctxfile = NULL, *resp = NULL;
    size_t ctxlen = 0, resplen = 0;
    char *pass = NULL;
    size_t passlen = 0;
    uint8_t *secret = kp_secure_alloc(32);
    kp_export_result *r = NULL;
    kp_buf out;
    kp_status st;
    kp_buf_init(&out, 1);
    int code;
    if (secret == NULL) {
        code = kp_cli_error(KP_EXIT_INTERNAL, "out of memory");
        goto done;
    }
    /* Read and check both files before asking for the passphrase. */
    if ((code = kp_cli_read_file(context, 4096, 0, &ctxfile, &ctxlen)) != KP_EXIT_OK ||
        (code = kp_cli_read_file(response, KP_MAX_INPUT_BYTES, 0, &resp, &resplen)) != KP_EXIT_OK)
        goto done;
    if ((code = kp_cli_passphrase(passfile, 0, "Passphrase of the export context: ", &pass, &passlen)) != KP_EXIT_OK ||
        (code = kp_cli_audit_begin(ctx, &audit)) != KP_EXIT_OK)
        goto done;
    if ((st = kp_context_open(ctx, secret, ctxfile, ctxlen, pass, passlen)) != KP_OK) {
        code = kp_cli_fail(st, context);
        goto done;
    }
    if ((st = kp_export_recover(ctx, &r, secret, (const char *)resp, resplen)) != KP_OK) {
        code = kp_cli_fail(st, response);
        goto done;
    }
    for (size_t i = 0; i < kp_export_result_culprit_count(r); i++) {
        const char *reason;
        const char *id = kp_export_result_culprit(r, i, NULL, &reason);
        fprintf(stderr, "keyport: warning: signer %s %s\n", id, reason);
    }
    if (kp_export_result_note(r)[0]) fprintf(stderr, "keyport: warning: %s\n", kp_export_result_note(r));
    if (json) {
        st = kp_export_result_json(&out, r);
    } else {
        uint8_t *key = kp_secure_alloc(32);
        st = KP_ERR_NOMEM;
        if (key != NULL) {
            kp_export_result_private_key(r, key);
            st = kp_buf_addhex(&out, key, 32);
            kp_secure_free(key);
        }
    }
    if (st == KP_OK) st = kp_buf_add(&out, "\n", 1);
    if (st != KP_OK) {
        code = kp_cli_fail(st, "export recover");
        goto done;
    }
    if ((code = record_export(&audit, ctx, secret, r)) != KP_EXIT_OK) goto done;
    code = kp_cli_stdout(out.data, out.len);
done:
    kp_cli_audit_end(&audit);
    kp_export_result_free(r);
    kp_buf_release(&out);
    kp_cli_passphrase_free(pass);
    kp_secure_free(secret);
    kp_cli_free(ctxfile, ctxlen, 0);
    kp_cli_free(resp, resplen, 0);
    return code;
}
