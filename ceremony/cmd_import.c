/* cmd_import.c: keyport import prepare. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_hook.h"
#include "commands.h"
#include "engine.h"
#include "io.h"
#include "key_cli.h"

int kp_cmd_import_prepare(kp_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {{"signers", required_argument, NULL, 's'},
                                         {"curve", required_argument, NULL, 'c'},
                                         {"protocol", required_argument, NULL, 'p'},
                                         {"key-file", required_argument, NULL, 'k'},
                                         {"key-format", required_argument, NULL, 'f'},
                                         {"min-signers", required_argument, NULL, 't'},
                                         {"name", required_argument, NULL, 'n'},
                                         {"cluster", required_argument, NULL, 'C'},
                                         KP_AUDIT_LONG_OPTIONS,
                                         KP_KEY_LONG_OPTIONS,
                                         {NULL, 0, NULL, 0}};
    kp_cli_audit audit = {0};
    kp_cli_key_in kin = {0};
    const char *signers_file = NULL, *curve_name = NULL, *protocol_name = NULL, *key_file = NULL, *name = NULL,
               *cluster = NULL, *format = "hex";
    unsigned long t = 3;
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        char *end;
        if (kp_cli_audit_option(&audit, o, optarg) || kp_cli_key_option(&kin, o, optarg)) continue;
        switch (o) {
        case 's': signers_file = optarg; break;
        case 'c': curve_name = optarg; break;
        case 'p': protocol_name = optarg; break;
        case 'k': key_file = optarg; break;
        case 'f': format = optarg; break;
        case 'n': name = optarg; break;
        case 'C': cluster = optarg; break;
        case 't':
            t = strtoul(optarg, &end, 10);
            if (*optarg < '0' || *optarg > '9' || *end != 0 || t > 1000)
                return kp_cli_usage("--min-signers must be a whole number, not \"%s\"", optarg);
            break;
        default: return kp_cli_usage("import prepare: unknown or incomplete option %s", argv[optind - 1]);
        }
    }
    if (optind < argc) return kp_cli_usage("import prepare: unexpected argument \"%s\"", argv[optind]);
    if (signers_file == NULL) return kp_cli_usage("import prepare: %s is required", "--signers FILE");
    if (curve_name == NULL) return kp_cli_usage("import prepare: %s is required", "--curve CURVE");
    if (protocol_name == NULL) return kp_cli_usage("import prepare: %s is required", "--protocol PROTOCOL");
    if (key_file == NULL)
        return kp_cli_usage("import prepare: %s is required (the key is never taken from the command line)",
                            "--key-file FILE|-");

    kp_curve c;
    kp_protocol p;
    kp_status st;
    if ((st = kp_curve_from_name(&c, curve_name)) != KP_OK) return kp_cli_fail(st, "--curve");
    if ((st = kp_protocol_from_name(&p, protocol_name)) != KP_OK || (st = kp_scheme_check(p, c)) != KP_OK)
        return kp_cli_fail(st, "--protocol");
    kin.format = format;
    kin.file = key_file;
    kp_key_format fmt;
    int code = kp_cli_key_in_check(&kin, c, &fmt);
    if (code != KP_EXIT_OK) return code;

    unsigned char *sj = NULL;
    size_t sjlen = 0;
    kp_signers *signers = NULL;
    uint8_t *key = kp_secure_alloc(64);
    kp_buf out;
    kp_buf_init(&out, 0);
    if (key == NULL) {
        code = kp_cli_error(KP_EXIT_INTERNAL, "out of memory");
        goto done;
    }
    if ((code = kp_cli_read_file(signers_file, KP_MAX_INPUT_BYTES, 0, &sj, &sjlen)) != KP_EXIT_OK) goto done;
    if ((st = kp_signers_parse(ctx, &signers, (const char *)sj, sjlen, cluster)) != KP_OK) {
        code = kp_cli_fail(st, signers_file);
        goto done;
    }
    kp_curve kc;
    uint8_t pub[KP_PUBKEY_MAX_BYTES];
    size_t pub_len;
    /* any input format (key_cli.h); the key's public key and addresses are shown before the request is written */
    if ((code = kp_cli_key_read(ctx, &kin, c, &kc, key)) != KP_EXIT_OK) goto done;
    if ((st = kp_public_key(ctx, pub, &pub_len, c, key)) != KP_OK) {
        code = kp_cli_fail(st, "import prepare");
        goto done;
    }
    if ((code = kp_cli_key_report(ctx, "importing", c, (int)p, pub, pub_len)) != KP_EXIT_OK) goto done;
    if ((code = kp_cli_audit_begin(ctx, &audit)) != KP_EXIT_OK) goto done;
    if ((st = kp_import_prepare(ctx, &out, signers, c, p, (unsigned)t, name, key)) != KP_OK ||
        (st = kp_buf_addstr(&out, "\n")) != KP_OK) {
        code = kp_cli_fail(st, "import prepare");
        goto done;
    }
    if ((code = kp_eng_record_import(&audit, ctx, signers, c, p, (unsigned)t, key, &out, kin.format, kin.path)) != KP_EXIT_OK) goto done;
    code = kp_cli_stdout(out.data, out.len);
done:
    kp_cli_audit_end(&audit);
    kp_buf_release(&out);
    kp_signers_free(signers);
    kp_secure_free(key);
    kp_cli_free(sj, sjlen, 0);
    return code;
}
