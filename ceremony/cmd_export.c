/* cmd_export.c: keyport export init | recover. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "io.h"

int kp_cmd_export_init(kp_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {{"context", required_argument, NULL, 'c'},
                                         {"passphrase-file", required_argument, NULL, 'p'},
                                         {"no-delete", no_argument, NULL, 'n'},
                                         {"kdf", required_argument, NULL, 'k'},
                                         {NULL, 0, NULL, 0}};
    const char *context = NULL, *passfile = NULL;
    int no_delete = 0, o;
    kp_kdf_strength strength = KP_KDF_MODERATE;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'c': context = optarg; break;
        case 'p': passfile = optarg; break;
        case 'n': no_delete = 1; break;
        case 'k':
            if (strcmp(optarg, "interactive") == 0) strength = KP_KDF_INTERACTIVE;
            else if (strcmp(optarg, "moderate") == 0) strength = KP_KDF_MODERATE;
            else if (strcmp(optarg, "sensitive") == 0) strength = KP_KDF_SENSITIVE;
            else return kp_cli_usage("--kdf must be interactive, moderate or sensitive, not \"%s\"", optarg);
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
    if (code != KP_EXIT_OK) goto done;
    kp_status st;
    if (secret == NULL) {
        code = kp_cli_error(KP_EXIT_INTERNAL, "out of memory");
        goto done;
    }
    if ((st = kp_encryption_keypair(ctx, secret, ek)) != KP_OK ||
        (st = kp_context_seal(ctx, file, secret, pass, passlen, strength)) != KP_OK ||
        (st = kp_export_request_write(&req, ek, no_delete ? 0 : -1)) != KP_OK || (st = kp_buf_addstr(&req, "\n")) != KP_OK) {
        code = kp_cli_fail(st, "export init");
        goto done;
    }
    /* The context is on disk before the request is shown, so no request exists whose key is lost. */
    if ((code = kp_cli_write_new_file(context, file, sizeof file, 0600)) != KP_EXIT_OK) goto done;
    code = kp_cli_stdout(req.data, req.len);
done:
    kp_cli_passphrase_free(pass);
    kp_secure_free(secret);
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
                                         {NULL, 0, NULL, 0}};
    const char *context = NULL, *passfile = NULL, *response = NULL;
    int json = 0, o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
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
    if ((code = kp_cli_passphrase(passfile, 0, "Passphrase of the export context: ", &pass, &passlen)) != KP_EXIT_OK)
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
    code = kp_cli_stdout(out.data, out.len);
done:
    kp_export_result_free(r);
    kp_buf_release(&out);
    kp_cli_passphrase_free(pass);
    kp_secure_free(secret);
    kp_cli_free(ctxfile, ctxlen, 0);
    kp_cli_free(resp, resplen, 0);
    return code;
}
