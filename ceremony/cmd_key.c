/*
 * cmd_key.c: keyport key formats | show, and the key-format helpers of key_cli.h that import
 * prepare and export recover use. The formats themselves are libkeyport's (keyport_keyfmt.h).
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "io.h"
#include "key_cli.h"

#define KEY_FILE_MAX (64 * 1024)

#define SECRET_LINE_MAX 1024

int kp_cli_key_option(kp_cli_key_in *in, int o, const char *arg)
{
    switch (o) {
    case KP_KEY_OPT_PATH: in->path = arg; return 1;
    case KP_KEY_OPT_PASS: in->passfile = arg; return 1;
    case KP_KEY_OPT_ASK: in->ask_passphrase = 1; return 1;
    }
    return 0;
}

static const char *curves_of(unsigned bits, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = 0;
    for (kp_curve c = KP_CURVE_SECP256K1; c <= KP_CURVE_STARK; c++)
        if (bits & KP_CURVE_BIT(c)) n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? "," : "", kp_curve_name(c));
    if (n == 0) snprintf(buf, cap, "-");
    return buf;
}

int kp_cli_key_in_check(const kp_cli_key_in *in, kp_curve c, kp_key_format *fmt)
{
    kp_status st = kp_key_format_from_name(fmt, in->format ? in->format : "hex");
    if (st != KP_OK) return kp_cli_error(KP_EXIT_USAGE, "%s", kp_error_detail());
    const kp_key_format_info *f = kp_key_format_info_of(*fmt);
    char buf[64];
    if (f->in_curves == 0 && *fmt != KP_KEYFMT_XPUB)
        return kp_cli_error(KP_EXIT_USAGE, "%s is an output format, not a key to read", f->name);
    if (c != 0 && !(f->in_curves & KP_CURVE_BIT(c)) && !(*fmt == KP_KEYFMT_XPUB && c == KP_CURVE_SECP256K1))
        return kp_cli_error(KP_EXIT_USAGE, "a %s key is a %s key, not %s", f->name, curves_of(f->in_curves, buf, sizeof buf),
                            kp_curve_name(c));
    if (c == 0 && f->default_curve == 0)
        return kp_cli_error(KP_EXIT_USAGE, "a %s key can be on any curve: give --curve secp256k1|ed25519|stark", f->name);
    if (f->path == 0 && in->path != NULL) return kp_cli_error(KP_EXIT_USAGE, "--path goes with mnemonic, stark-mnemonic, xprv and xpub keys, not %s", f->name);
    if (f->path == 2 && in->path == NULL)
        return kp_cli_error(KP_EXIT_USAGE, "a %s key needs --path, e.g. \"m/44'/60'/0'/0/0\" (Ethereum), \"m/84'/0'/0'/0/0\" "
                                           "(Bitcoin), \"m/44'/501'/0'/0'\" (Solana, --curve ed25519)", f->name);
    if (f->passphrase == 0 && (in->passfile != NULL || in->ask_passphrase))
        return kp_cli_error(KP_EXIT_USAGE, "a %s key has no passphrase (--key-passphrase-file, --ask-key-passphrase)", f->name);
    return KP_EXIT_OK;
}

/* A secret from a file: its content less one final newline; it may be empty (a keystore's passphrase may be). */
static int secret_from_file(const char *path, unsigned char **out, size_t *len)
{
    int code = kp_cli_read_file(path, SECRET_LINE_MAX, 1, out, len);
    if (code != KP_EXIT_OK) return code;
    if (*len > 0 && (*out)[*len - 1] == '\n') (*out)[--*len] = 0;
    if (*len > 0 && (*out)[*len - 1] == '\r') (*out)[--*len] = 0;
    return KP_EXIT_OK;
}

/* Reads the key's text and passphrase and parses it: into key (kp_key_parse), or, when pub is not
 * NULL, into its public key only (kp_key_public, which also derives from xpubs and along M/ paths). */
static int read_key(kp_ctx *ctx, const kp_cli_key_in *in, kp_curve want, kp_curve *c, uint8_t *key, uint8_t *pub,
                    size_t *pub_len)
{
    kp_key_format fmt;
    int code = kp_cli_key_in_check(in, want, &fmt);
    if (code != KP_EXIT_OK) return code;
    const kp_key_format_info *f = kp_key_format_info_of(fmt);
    unsigned char *text = NULL, *pass = NULL;
    size_t tlen = 0, plen = 0;
    int text_secure = 1;
    const char *where = in->file == NULL ? "the key typed" : strcmp(in->file, "-") == 0 ? "standard input" : in->file;
    if (in->file != NULL) {
        code = kp_cli_read_file(in->file, KEY_FILE_MAX, 1, &text, &tlen);
    } else if (in->prompt_ok) {
        char *typed = NULL;
        char prompt[96];
        snprintf(prompt, sizeof prompt, "The %s key (not shown): ", f->name);
        code = kp_cli_passphrase(NULL, 0, prompt, &typed, &tlen);
        text = (unsigned char *)typed;
        text_secure = 2; /* from kp_cli_passphrase */
    } else {
        code = kp_cli_error(KP_EXIT_USAGE, "--key-file FILE|- is required (a key is never taken from the command line)");
    }
    if (code != KP_EXIT_OK) goto done;
    if (f->passphrase == 2) { /* a keystore: its passphrase from a file, else asked once */
        if (in->passfile != NULL) {
            code = secret_from_file(in->passfile, &pass, &plen);
        } else {
            char *p = NULL;
            code = kp_cli_passphrase(NULL, 0, "Passphrase of the keystore: ", &p, &plen);
            pass = (unsigned char *)p;
        }
    } else if (f->passphrase == 1 && (in->passfile != NULL || in->ask_passphrase)) { /* BIP-39: optional */
        if (in->passfile != NULL) {
            code = secret_from_file(in->passfile, &pass, &plen);
        } else {
            char *p = NULL;
            code = kp_cli_passphrase(NULL, 1, "BIP-39 passphrase: ", &p, &plen);
            pass = (unsigned char *)p;
        }
    }
    if (code != KP_EXIT_OK) goto done;
    kp_key_params p = {want, in->path, (const char *)pass, plen};
    kp_status st = pub != NULL ? kp_key_public(ctx, c, pub, pub_len, fmt, &p, text, tlen)
                               : kp_key_parse(ctx, c, key, fmt, &p, text, tlen);
    if (st != KP_OK) {
        const char *d = kp_error_detail();
        code = kp_cli_error(kp_cli_exit_code(st), "%s: %s", st == KP_ERR_PATH && in->path ? "--path" : where,
                            d[0] ? d : kp_strerror(st));
    }
done:
    if (text_secure == 2) kp_cli_passphrase_free((char *)text);
    else kp_cli_free(text, tlen, text_secure);
    kp_cli_free(pass, plen, 1);
    return code;
}

int kp_cli_key_read(kp_ctx *ctx, const kp_cli_key_in *in, kp_curve want, kp_curve *c, uint8_t key[32])
{
    return read_key(ctx, in, want, c, key, NULL, NULL);
}

int kp_cli_key_report(kp_ctx *ctx, const char *what, kp_curve c, int protocol, const uint8_t *pub, size_t pub_len)
{
    kp_address a[KP_ADDRESS_MAX];
    size_t n;
    char hex[2 * KP_PUBKEY_MAX_BYTES + 1];
    kp_status st = kp_addresses(ctx, a, &n, c, protocol, pub, pub_len);
    if (st != KP_OK) return kp_cli_fail(st, "addresses");
    kp_buf b;
    kp_buf_init(&b, 0);
    kp_buf_addhex(&b, pub, pub_len);
    snprintf(hex, sizeof hex, "%s", b.data ? (const char *)b.data : "");
    kp_buf_release(&b);
    fprintf(stderr, "keyport: %s %s key, public key %s\n", what, kp_curve_name(c), hex);
    for (size_t i = 0; i < n; i++) fprintf(stderr, "  %-40s %s\n", a[i].label, a[i].text);
    fflush(stderr);
    return KP_EXIT_OK;
}

int kp_cli_key_addresses_json(kp_ctx *ctx, kp_buf *out, kp_curve c, int protocol, const uint8_t *pub, size_t pub_len)
{
    kp_address a[KP_ADDRESS_MAX];
    size_t n;
    kp_status st = kp_addresses(ctx, a, &n, c, protocol, pub, pub_len);
    if (st != KP_OK) return kp_cli_fail(st, "addresses");
    st = kp_buf_addstr(out, "\"addresses\":{");
    for (size_t i = 0; i < n && st == KP_OK; i++) {
        if (i) st = kp_buf_addstr(out, ",");
        if (st == KP_OK) st = kp_buf_addjstr(out, a[i].kind, strlen(a[i].kind));
        if (st == KP_OK) st = kp_buf_addstr(out, ":");
        if (st == KP_OK) st = kp_buf_addjstr(out, a[i].text, strlen(a[i].text));
    }
    if (st == KP_OK) st = kp_buf_addstr(out, "}");
    return st == KP_OK ? KP_EXIT_OK : kp_cli_fail(st, "addresses");
}

int kp_cli_key_out_check(const char *name, kp_key_format *fmt)
{
    kp_status st = kp_key_format_from_name(fmt, name);
    if (st == KP_OK) st = kp_key_write_check(*fmt, 0);
    if (st != KP_OK) return kp_cli_error(KP_EXIT_USAGE, "--out-format %s: %s", name, kp_error_detail());
    return KP_EXIT_OK;
}

int kp_cli_key_out_passphrase(kp_key_format fmt, const char *passfile, char **pass, size_t *len)
{
    *pass = NULL;
    *len = 0;
    if (fmt != KP_KEYFMT_KEYSTORE) {
        if (passfile != NULL) return kp_cli_error(KP_EXIT_USAGE, "--key-passphrase-file goes with --out-format keystore");
        return KP_EXIT_OK;
    }
    return kp_cli_passphrase(passfile, 1, "Passphrase for the keystore: ", pass, len);
}

int kp_cli_key_write(kp_ctx *ctx, kp_key_format fmt, kp_curve c, const uint8_t key[32], const char *pass,
                     size_t passlen, kp_kdf_strength strength, const char *path)
{
    kp_buf out;
    kp_buf_init(&out, 1);
    kp_status st = kp_key_write(ctx, &out, fmt, c, key, pass, passlen, strength);
    int code;
    if (st != KP_OK) code = kp_cli_fail(st, "--out-format");
    else if (path != NULL) code = kp_cli_write_new_file(path, out.data, out.len, 0600);
    else code = kp_cli_stdout(out.data, out.len);
    kp_buf_release(&out);
    return code;
}

/* ---------------------------------------------------------------- keyport key formats */

static int key_formats(int argc, char **argv)
{
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) json = 1;
        else return kp_cli_usage("key formats: unexpected argument \"%s\"", argv[i]);
    }
    kp_buf b;
    kp_buf_init(&b, 0);
    char in[64], out[64];
    if (json) kp_buf_addstr(&b, "[");
    else kp_cli_addf(&b, "%-17s %-25s %-25s %s\n", "FORMAT", "IN (curves)", "OUT (curves)", "WHAT");
    for (size_t i = 0; i < kp_key_format_count(); i++) {
        const kp_key_format_info *f = kp_key_format_get(i);
        curves_of(f->in_curves | (f->id == KP_KEYFMT_XPUB ? KP_CURVE_BIT(KP_CURVE_SECP256K1) : 0), in, sizeof in);
        curves_of(f->out_curves, out, sizeof out);
        if (json) {
            kp_cli_addf(&b, "%s{\"name\":\"%s\",\"in\":[", i ? "," : "", f->name);
            for (kp_curve c = KP_CURVE_SECP256K1; c <= KP_CURVE_STARK; c++)
                if (f->in_curves & KP_CURVE_BIT(c)) kp_cli_addf(&b, "%s\"%s\"", (f->in_curves & (KP_CURVE_BIT(c) - 1)) ? "," : "", kp_curve_name(c));
            kp_buf_addstr(&b, "],\"out\":[");
            for (kp_curve c = KP_CURVE_SECP256K1; c <= KP_CURVE_STARK; c++)
                if (f->out_curves & KP_CURVE_BIT(c)) kp_cli_addf(&b, "%s\"%s\"", (f->out_curves & (KP_CURVE_BIT(c) - 1)) ? "," : "", kp_curve_name(c));
            kp_cli_addf(&b, "],\"publicOnly\":%s,\"path\":\"%s\",\"passphrase\":\"%s\",\"summary\":", f->id == KP_KEYFMT_XPUB ? "true" : "false",
                        f->path == 2 ? "required" : f->path ? "optional" : "none",
                        f->passphrase == 2 ? "required" : f->passphrase ? "optional" : "none");
            kp_buf_addjstr(&b, f->summary, strlen(f->summary));
            kp_buf_addstr(&b, ",\"aliases\":[");
            for (const char *a = f->aliases; a != NULL && *a;) {
                const char *e = strchr(a, ',');
                size_t len = e ? (size_t)(e - a) : strlen(a);
                if (a != f->aliases) kp_buf_addstr(&b, ",");
                kp_buf_addjstr(&b, a, len);
                a = e ? e + 1 : a + len;
            }
            kp_buf_addstr(&b, "],\"refusal\":");
            if (f->refusal) kp_buf_addjstr(&b, f->refusal, strlen(f->refusal));
            else kp_buf_addstr(&b, "null");
            kp_buf_addstr(&b, "}");
        } else {
            kp_cli_addf(&b, "%-17s %-25s %-25s ", f->name, f->id == KP_KEYFMT_XPUB ? "secp256k1 (show only)" : in, out);
            kp_buf_addstr(&b, f->summary);
            if (f->aliases) {
                kp_buf_addstr(&b, " (also: ");
                kp_buf_addstr(&b, f->aliases);
                kp_buf_addstr(&b, ")");
            }
            kp_buf_addstr(&b, "\n");
            if (f->refusal) {
                kp_cli_addf(&b, "%-17s %-25s %-25s not written: ", "", "", "");
                kp_buf_addstr(&b, f->refusal);
                kp_buf_addstr(&b, "\n");
            }
        }
    }
    kp_status st = kp_buf_addstr(&b, json ? "]\n" : "");
    int code = st == KP_OK ? kp_cli_stdout(b.data, b.len) : kp_cli_fail(st, "key formats");
    kp_buf_release(&b);
    return code;
}

/* ---------------------------------------------------------------- keyport key show */

static int key_show(kp_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {{"key-file", required_argument, NULL, 'k'},
                                         {"format", required_argument, NULL, 'f'},
                                         {"key-format", required_argument, NULL, 'f'}, /* as import prepare has it */
                                         {"curve", required_argument, NULL, 'c'},
                                         {"protocol", required_argument, NULL, 'p'},
                                         {"json", no_argument, NULL, 'j'},
                                         KP_KEY_LONG_OPTIONS,
                                         {NULL, 0, NULL, 0}};
    kp_cli_key_in in = {0};
    const char *curve_name = NULL, *protocol_name = NULL;
    int json = 0, o;
    in.prompt_ok = 1;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (kp_cli_key_option(&in, o, optarg)) continue;
        switch (o) {
        case 'k': in.file = optarg; break;
        case 'f': in.format = optarg; break;
        case 'c': curve_name = optarg; break;
        case 'p': protocol_name = optarg; break;
        case 'j': json = 1; break;
        default: return kp_cli_usage("key show: unknown or incomplete option %s", argv[optind - 1]);
        }
    }
    if (optind < argc) return kp_cli_usage("key show: unexpected argument \"%s\"", argv[optind]);
    if (in.format == NULL) return kp_cli_usage("key show: %s is required (keyport key formats lists them)", "--format FMT");
    kp_curve want = 0, c;
    kp_protocol p = 0;
    kp_status st;
    kp_key_format fmt;
    if (curve_name != NULL && (st = kp_curve_from_name(&want, curve_name)) != KP_OK)
        return kp_cli_error(KP_EXIT_USAGE, "--curve: %s", kp_error_detail());
    if (protocol_name != NULL && (st = kp_protocol_from_name(&p, protocol_name)) != KP_OK)
        return kp_cli_error(KP_EXIT_USAGE, "--protocol: %s", kp_error_detail());
    int code = kp_cli_key_in_check(&in, want, &fmt);
    if (code != KP_EXIT_OK) return code;
    uint8_t pub[KP_PUBKEY_MAX_BYTES];
    size_t pub_len = 0;
    /* only the public key leaves the library: the secret is parsed and dropped inside kp_key_public */
    if ((code = read_key(ctx, &in, want, &c, NULL, pub, &pub_len)) != KP_EXIT_OK) return code;
    if (p != 0 && (st = kp_scheme_check(p, c)) != KP_OK) return kp_cli_error(KP_EXIT_USAGE, "--protocol: %s", kp_error_detail());
    kp_buf b;
    kp_buf_init(&b, 0);
    if (json) {
        kp_cli_addf(&b, "{\"curve\":\"%s\",\"publicKey\":\"", kp_curve_name(c));
        kp_buf_addhex(&b, pub, pub_len);
        kp_buf_addstr(&b, "\",");
        if ((code = kp_cli_key_addresses_json(ctx, &b, c, (int)p, pub, pub_len)) == KP_EXIT_OK)
            st = kp_buf_addstr(&b, "}\n");
    } else {
        kp_address a[KP_ADDRESS_MAX];
        size_t n;
        if ((st = kp_addresses(ctx, a, &n, c, (int)p, pub, pub_len)) != KP_OK) {
            code = kp_cli_fail(st, "addresses");
        } else {
            kp_cli_addf(&b, "%-40s %s\n%-40s ", "curve", kp_curve_name(c), "public key");
            kp_buf_addhex(&b, pub, pub_len);
            kp_buf_addstr(&b, "\n");
            for (size_t i = 0; i < n; i++) kp_cli_addf(&b, "%-40s %s\n", a[i].label, a[i].text);
            st = b.data ? KP_OK : KP_ERR_NOMEM;
        }
    }
    if (code == KP_EXIT_OK) code = st == KP_OK ? kp_cli_stdout(b.data, b.len) : kp_cli_fail(st, "key show");
    kp_buf_release(&b);
    return code;
}

int kp_cmd_key(kp_ctx *ctx, int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : "";
    if (strcmp(sub, "formats") == 0) return key_formats(argc - 1, argv + 1);
    if (strcmp(sub, "show") == 0) return key_show(ctx, argc - 1, argv + 1);
    return kp_cli_usage("key: unknown subcommand \"%s\" (formats, show)", sub);
}
