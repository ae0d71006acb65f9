/* cmd_export.c: keyport export init | recover. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit_hook.h"
#include "commands.h"
#include "engine.h"
#include "io.h"
#include "key_cli.h"

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

    char *pass = NULL, fp[17];
    size_t passlen = 0;
    uint8_t file[KP_CONTEXT_FILE_BYTES];
    kp_buf req;
    kp_buf_init(&req, 0);
    int code = kp_cli_passphrase(passfile, 1, "Passphrase for the export context: ", &pass, &passlen);
    if (code != KP_EXIT_OK || (code = kp_cli_audit_begin(ctx, &audit)) != KP_EXIT_OK) goto done;
    if ((code = kp_eng_export_seal(ctx, pass, passlen, strength, schemes, nschemes, no_delete, file, &req, fp)) != KP_EXIT_OK)
        goto done;
    /* The context is on disk before the request is shown, so no request exists whose key is lost. */
    if ((code = kp_cli_write_new_file(context, file, sizeof file, 0600)) != KP_EXIT_OK) goto done;
    if ((code = kp_eng_record_export_requested(&audit, fp, no_delete)) != KP_EXIT_OK) {
        unlink(context); /* the event could not be recorded: undo the action */
        goto done;
    }
    code = kp_cli_stdout(req.data, req.len);
done:
    kp_cli_audit_end(&audit);
    kp_cli_passphrase_free(pass);
    kp_memzero(file, sizeof file);
    kp_buf_release(&req);
    return code;
}

int kp_cmd_export_recover(kp_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {{"context", required_argument, NULL, 'c'},
                                         {"passphrase-file", required_argument, NULL, 'p'},
                                         {"response", required_argument, NULL, 'r'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"out-format", required_argument, NULL, 'F'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"key-passphrase-file", required_argument, NULL, 'K'},
                                         {"kdf", required_argument, NULL, 'k'},
                                         KP_AUDIT_LONG_OPTIONS,
                                         {NULL, 0, NULL, 0}};
    const char *context = NULL, *passfile = NULL, *response = NULL, *out_format = NULL, *out_file = NULL,
               *key_passfile = NULL, *kdf = NULL;
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
        case 'F': out_format = optarg; break;
        case 'o': out_file = optarg; break;
        case 'K': key_passfile = optarg; break;
        case 'k': kdf = optarg; break;
        default: return kp_cli_usage("export recover: unknown or incomplete option %s", argv[optind - 1]);
        }
    }
    if (optind < argc) return kp_cli_usage("export recover: unexpected argument \"%s\"", argv[optind]);
    if (context == NULL) return kp_cli_usage("export recover: %s is required", "--context FILE");
    if (response == NULL) return kp_cli_usage("export recover: %s is required", "--response FILE");
    /* --out-format FMT [--out FILE] (key_cli.h): refused formats and an existing --out before any work */
    kp_key_format fmt = KP_KEYFMT_HEX;
    kp_kdf_strength strength = KP_KDF_MODERATE;
    int formatted = out_format != NULL || out_file != NULL, kcode;
    if (out_format != NULL && (kcode = kp_cli_key_out_check(out_format, &fmt)) != KP_EXIT_OK) return kcode;
    if (json && formatted) return kp_cli_usage("export recover: %s", "--json goes without --out-format and --out");
    if (kdf != NULL && (fmt != KP_KEYFMT_KEYSTORE || kp_cli_kdf(kdf, &strength) != 0))
        return kp_cli_usage("--kdf %s: goes with --out-format keystore, as interactive, moderate or sensitive", kdf);
    if (key_passfile != NULL && fmt != KP_KEYFMT_KEYSTORE)
        return kp_cli_usage("export recover: %s", "--key-passphrase-file goes with --out-format keystore");
    if (out_file != NULL && access(out_file, F_OK) == 0)
        return kp_cli_error(KP_EXIT_IO, "%s: already exists; keyport never overwrites it", out_file);
    char *kpass = NULL;
    size_t kpasslen = 0;

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
        (code = kp_cli_key_out_passphrase(fmt, key_passfile, &kpass, &kpasslen)) != KP_EXIT_OK ||
        (code = kp_cli_audit_begin(ctx, &audit)) != KP_EXIT_OK)
        goto done;
    if ((code = kp_eng_export_open(ctx, ctxfile, ctxlen, context, pass, passlen, resp, resplen, response, secret, &r)) !=
        KP_EXIT_OK)
        goto done;
    for (size_t i = 0; i < kp_export_result_culprit_count(r); i++) {
        const char *reason;
        const char *id = kp_export_result_culprit(r, i, NULL, &reason);
        fprintf(stderr, "keyport: warning: signer %s %s\n", id, reason);
    }
    if (kp_export_result_note(r)[0]) fprintf(stderr, "keyport: warning: %s\n", kp_export_result_note(r));
    if (formatted) {
        uint8_t *key = kp_secure_alloc(32), pub[KP_PUBKEY_MAX_BYTES];
        size_t pub_len = kp_export_result_public_key(r, pub);
        kp_curve c = kp_export_result_curve(r);
        if (key == NULL) {
            code = kp_cli_error(KP_EXIT_INTERNAL, "out of memory");
            goto done;
        }
        kp_export_result_private_key(r, key);
        if ((code = kp_cli_key_report(ctx, "recovered", c, (int)kp_export_result_protocol(r), pub, pub_len)) ==
                KP_EXIT_OK &&
            (st = kp_key_write_check(fmt, c)) != KP_OK)
            code = kp_cli_fail(st, "--out-format");
        if (code == KP_EXIT_OK && (code = kp_eng_record_export(&audit, ctx, secret, r)) == KP_EXIT_OK)
            code = kp_cli_key_write(ctx, fmt, c, key, kpass, kpasslen, strength, out_file);
        kp_secure_free(key);
        goto done;
    }
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
    if ((code = kp_eng_record_export(&audit, ctx, secret, r)) != KP_EXIT_OK) goto done;
    code = kp_cli_stdout(out.data, out.len);
done:
    kp_cli_audit_end(&audit);
    kp_export_result_free(r);
    kp_buf_release(&out);
    kp_cli_passphrase_free(pass);
    kp_cli_passphrase_free(kpass);
    kp_secure_free(secret);
    kp_cli_free(ctxfile, ctxlen, 0);
    kp_cli_free(resp, resplen, 0);
    return code;
}
