/*
 * cmd_kyk.c: Know Your Key: keyport operator | policy | approve | approvals | audit.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit_hook.h"
#include "commands.h"
#include "engine.h"
#include "io.h"

static void iso_time(char out[32], int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void hex32(char out[65], const uint8_t b[32])
{
    for (int i = 0; i < 32; i++) sprintf(out + 2 * i, "%02x", b[i]);
}

/* ------------------------------------------------------------ operator */

int kp_cmd_operator(kp_ctx *ctx, int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : "";
    if (strcmp(sub, "show") == 0) {
        if (argc != 3) return kp_cli_usage("usage: keyport operator show OPERATOR.kpo");
        kp_operator *op = NULL;
        int code = kp_cli_load_operator(ctx, argv[2], 0, NULL, &op);
        if (code != KP_EXIT_OK) return code;
        uint8_t pk[32];
        char hex[65], fp[KP_FINGERPRINT_LEN + 1];
        kp_operator_public_key(op, pk);
        hex32(hex, pk);
        kp_fingerprint(fp, pk);
        printf("operator:    %s\npublic key:  %s\nfingerprint: %s\n", kp_operator_name(op), hex, fp);
        kp_operator_free(op);
        return fflush(stdout) == 0 ? KP_EXIT_OK : KP_EXIT_IO;
    }
    if (strcmp(sub, "new") != 0) return kp_cli_usage("operator: unknown subcommand \"%s\" (new, show)", sub);
    static const struct option opts[] = {{"name", required_argument, NULL, 'n'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"passphrase-file", required_argument, NULL, 'p'},
                                         {"kdf", required_argument, NULL, 'k'},
                                         {NULL, 0, NULL, 0}};
    const char *name = NULL, *outpath = NULL, *passfile = NULL;
    kp_kdf_strength strength = KP_KDF_MODERATE;
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
        switch (o) {
        case 'n': name = optarg; break;
        case 'o': outpath = optarg; break;
        case 'p': passfile = optarg; break;
        case 'k':
            if (kp_cli_kdf(optarg, &strength) != 0) return kp_cli_usage("--kdf must be interactive, moderate or sensitive");
            break;
        default: return kp_cli_usage("operator new: unknown or incomplete option %s", argv[optind]);
        }
    }
    if (optind < argc - 1) return kp_cli_usage("operator new: unexpected argument \"%s\"", argv[optind + 1]);
    if (name == NULL || outpath == NULL) return kp_cli_usage("operator new: --name NAME and --out FILE are required");
    char *pass = NULL;
    size_t passlen = 0;
    kp_operator *op = NULL;
    kp_buf file;
    kp_buf_init(&file, 0);
    char prompt[128];
    snprintf(prompt, sizeof prompt, "Passphrase for operator %s: ", name);
    int code = kp_cli_passphrase(passfile, 1, prompt, &pass, &passlen);
    if (code == KP_EXIT_OK) {
        code = kp_eng_operator_new(ctx, &file, name, pass, passlen, strength, &op);
    }
    if (code == KP_EXIT_OK) code = kp_cli_write_new_file(outpath, file.data, file.len, 0600);
    if (code == KP_EXIT_OK) {
        uint8_t pk[32];
        char fp[KP_FINGERPRINT_LEN + 1], hex[65];
        kp_operator_public_key(op, pk);
        kp_fingerprint(fp, pk);
        hex32(hex, pk);
        printf("operator %s written to %s\npublic key:  %s\nfingerprint: %s\n", name, outpath, hex, fp);
    }
    kp_operator_free(op);
    kp_buf_release(&file);
    kp_cli_passphrase_free(pass);
    return code;
}

/* ------------------------------------------------------------ policy */

static void print_policy(const kp_policy *p)
{
    size_t n = kp_policy_operator_count(p);
    printf("policy %s: %zu operator%s\n", kp_policy_id(p), n, n == 1 ? "" : "s");
    for (size_t i = 0; i < n; i++) {
        uint8_t pk[32];
        char fp[KP_FINGERPRINT_LEN + 1], hex[65];
        const char *name = kp_policy_operator(p, i, pk);
        kp_fingerprint(fp, pk);
        hex32(hex, pk);
        printf("  %-16s %s  %s\n", name, fp, hex);
    }
    printf("quorum: import %u of %zu, export %u of %zu, archive %u of %zu\n", kp_policy_quorum(p, KP_ACTION_IMPORT), n,
           kp_policy_quorum(p, KP_ACTION_EXPORT), n, kp_policy_quorum(p, KP_ACTION_ARCHIVE), n);
}

int kp_cmd_policy(kp_ctx *ctx, int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : "";
    if (strcmp(sub, "check") == 0) {
        if (argc != 3) return kp_cli_usage("usage: keyport policy check POLICY.json");
        kp_policy *p = NULL;
        int code = kp_eng_load_policy(argv[2], &p);
        if (code != KP_EXIT_OK) return code;
        print_policy(p);
        kp_policy_free(p);
        return KP_EXIT_OK;
    }
    if (strcmp(sub, "new") != 0) return kp_cli_usage("policy: unknown subcommand \"%s\" (new, check)", sub);
    static const struct option opts[] = {{"id", required_argument, NULL, 'i'},
                                         {"operator", required_argument, NULL, 'o'},
                                         {"quorum", required_argument, NULL, 'q'},
                                         {"out", required_argument, NULL, 'O'},
                                         {NULL, 0, NULL, 0}};
    const char *id = NULL, *outpath = NULL, *files[KP_MAX_SIGNERS];
    size_t nfiles = 0;
    unsigned quorum[KP_ACTION_COUNT] = {0};
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
        switch (o) {
        case 'i': id = optarg; break;
        case 'O': outpath = optarg; break;
        case 'o':
            if (nfiles == KP_MAX_SIGNERS) return kp_cli_usage("at most %d operators", KP_MAX_SIGNERS);
            files[nfiles++] = optarg;
            break;
        case 'q': {
            char action[16], *eq = strchr(optarg, '='), *end;
            kp_action a;
            if (eq == NULL || eq - optarg >= (long)sizeof action) return kp_cli_usage("--quorum takes ACTION=M, not \"%s\"", optarg);
            memcpy(action, optarg, (size_t)(eq - optarg));
            action[eq - optarg] = 0;
            unsigned long m = strtoul(eq + 1, &end, 10);
            if (kp_action_from_name(&a, action) != KP_OK || a > KP_ACTION_COUNT)
                return kp_cli_usage("--quorum: unknown action \"%s\" (import, export, archive; the optional sign "
                                    "quorum is added to the policy file by hand)", action);
            if (eq[1] < '0' || eq[1] > '9' || *end != 0 || m > 1000) return kp_cli_usage("--quorum %s: M must be a whole number", action);
            if (m == 0) return kp_cli_usage("--quorum %s=0: a quorum must be at least 1", action);
            quorum[a - 1] = (unsigned)m;
            break;
        }
        default: return kp_cli_usage("policy new: unknown or incomplete option %s", argv[optind]);
        }
    }
    if (optind < argc - 1) return kp_cli_usage("policy new: unexpected argument \"%s\"", argv[optind + 1]);
    if (id == NULL || outpath == NULL || nfiles == 0)
        return kp_cli_usage("policy new: --id ID, --operator FILE (one or more) and --out FILE are required");
    for (int a = 0; a < KP_ACTION_COUNT; a++)
        if (quorum[a] == 0)
            return kp_cli_usage("policy new: --quorum %s=M is required (for import, export and archive)",
                                kp_action_name((kp_action)(a + 1)));
    kp_buf out;
    kp_buf_init(&out, 0);
    int code = kp_eng_policy_new(ctx, &out, id, files, nfiles, quorum);
    if (code == KP_EXIT_OK) code = kp_cli_write_new_file(outpath, out.data, out.len, 0644);
    if (code == KP_EXIT_OK) {
        kp_policy *p = NULL;
        if (kp_policy_parse(&p, (const char *)out.data, out.len) == KP_OK) print_policy(p);
        kp_policy_free(p);
    }
    kp_buf_release(&out);
    return code;
}

/* ------------------------------------------------------------ approve, approvals verify */

struct approval_args {
    const char *policy, *action, *key_id, *request, *bundle;
};

/* Reads the policy, the action and the request bytes named by the options. */
static int load_request(const struct approval_args *a, kp_policy **pol, kp_action *action, unsigned char **req,
                        size_t *reqlen)
{
    if (a->policy == NULL || a->action == NULL || a->request == NULL || a->bundle == NULL)
        return kp_cli_usage("--policy, --action, --request and --bundle are required");
    if (kp_action_from_name(action, a->action) != KP_OK)
        return kp_cli_usage("--action must be import, export, archive or sign, not \"%s\"", a->action);
    if (*action == KP_ACTION_IMPORT && a->key_id != NULL) return kp_cli_usage("--key-id does not go with --action import");
    if (*action != KP_ACTION_IMPORT && a->key_id == NULL)
        return kp_cli_usage("--action %s needs --key-id KEYID", a->action);
    int code = kp_eng_load_policy(a->policy, pol);
    if (code == KP_EXIT_OK) code = kp_cli_read_file(a->request, KP_MAX_INPUT_BYTES, 0, req, reqlen);
    if (code == KP_EXIT_OK) code = kp_eng_check_request(a->request, *req, *reqlen);
    return code;
}

static int approval_option(struct approval_args *a, int o, const char *arg)
{
    switch (o) {
    case 'P': a->policy = arg; return 1;
    case 'a': a->action = arg; return 1;
    case 'k': a->key_id = arg; return 1;
    case 'r': a->request = arg; return 1;
    case 'b': a->bundle = arg; return 1;
    }
    return 0;
}

#define APPROVAL_LONG_OPTIONS                                  \
    {"policy", required_argument, NULL, 'P'},                  \
    {"action", required_argument, NULL, 'a'},                  \
    {"key-id", required_argument, NULL, 'k'},                  \
    {"request", required_argument, NULL, 'r'},                 \
    {"bundle", required_argument, NULL, 'b'}

int kp_cmd_approve(kp_ctx *ctx, int argc, char **argv)
{
    static const struct option opts[] = {APPROVAL_LONG_OPTIONS,
                                         {"operator", required_argument, NULL, 'o'},
                                         {"passphrase-file", required_argument, NULL, 'p'},
                                         {"expires-in", required_argument, NULL, 'e'},
                                         KP_AUDIT_LONG_OPTIONS,
                                         {NULL, 0, NULL, 0}};
    struct approval_args a = {0};
    kp_cli_audit audit = {0};
    const char *opfile = NULL, *passfile = NULL;
    long ttl = 24 * 3600;
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (approval_option(&a, o, optarg) || kp_cli_audit_option(&audit, o, optarg)) continue;
        switch (o) {
        case 'o': opfile = optarg; break;
        case 'p': passfile = optarg; break;
        case 'e': {
            char *end;
            ttl = strtol(optarg, &end, 10);
            if (*end == 'h') ttl *= 3600, end++;
            else if (*end == 'm') ttl *= 60, end++;
            else if (*end == 's') end++;
            if (*end != 0 || ttl <= 0 || ttl > 90L * 24 * 3600)
                return kp_cli_usage("--expires-in takes seconds, or a number with h, m or s (at most 90 days), not \"%s\"", optarg);
            break;
        }
        default: return kp_cli_usage("approve: unknown or incomplete option %s", argv[optind - 1]);
        }
    }
    if (optind < argc) return kp_cli_usage("approve: unexpected argument \"%s\"", argv[optind]);
    if (opfile == NULL) return kp_cli_usage("approve: --operator OPERATOR.kpo is required");
    kp_policy *pol = NULL;
    kp_action action;
    unsigned char *req = NULL, *old = NULL;
    size_t reqlen = 0, oldlen = 0;
    kp_operator *op = NULL;
    kp_buf out;
    kp_buf_init(&out, 0);
    int code = load_request(&a, &pol, &action, &req, &reqlen);
    if (code == KP_EXIT_OK && access(a.bundle, F_OK) == 0)
        code = kp_cli_read_file(a.bundle, KP_MAX_INPUT_BYTES, 0, &old, &oldlen);
    if (code == KP_EXIT_OK) code = kp_cli_load_operator(ctx, opfile, 1, passfile, &op);
    if (code == KP_EXIT_OK) code = kp_cli_audit_begin(ctx, &audit);
    if (code == KP_EXIT_OK) {
        code = kp_eng_approve(ctx, &out, old, oldlen, op, pol, action, a.key_id, req, reqlen, ttl);
    }
    /* the event first: a recorded approval that is not in the bundle is harmless, the reverse is not */
    if (code == KP_EXIT_OK) code = kp_eng_record_approval(&audit, op, pol, action, a.key_id, req, reqlen);
    if (code == KP_EXIT_OK) code = kp_cli_replace_file(a.bundle, out.data, out.len, 0644);
    if (code == KP_EXIT_OK)
        printf("%s approved %s%s%s; the bundle %s now holds it\n", kp_operator_name(op), a.action, a.key_id ? " of key " : "",
               a.key_id ? a.key_id : "", a.bundle);
    kp_cli_audit_end(&audit);
    kp_operator_free(op);
    kp_policy_free(pol);
    kp_cli_free(req, reqlen, 0);
    kp_cli_free(old, oldlen, 0);
    kp_buf_release(&out);
    return code;
}

static const char *verdict_code(kp_verdict v)
{
    static const char *const names[] = {"counted", "malformed", "unknown_operator", "bad_signature", "other_policy",
                                        "other_request", "other_action", "other_key", "duplicate_operator", "expired",
                                        "not_yet_valid", "replayed"};
    return (unsigned)v < sizeof names / sizeof *names ? names[v] : "unknown";
}

int kp_cmd_approvals(kp_ctx *ctx, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "verify") != 0) return kp_cli_usage("approvals: unknown subcommand (verify)");
    static const struct option opts[] = {APPROVAL_LONG_OPTIONS, {"json", no_argument, NULL, 'j'}, {NULL, 0, NULL, 0}};
    struct approval_args a = {0};
    int json = 0, o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
        if (approval_option(&a, o, optarg)) continue;
        if (o == 'j') json = 1;
        else return kp_cli_usage("approvals verify: unknown or incomplete option %s", argv[optind]);
    }
    if (optind < argc - 1) return kp_cli_usage("approvals verify: unexpected argument \"%s\"", argv[optind + 1]);
    kp_policy *pol = NULL;
    kp_action action;
    unsigned char *req = NULL, *bundle = NULL;
    size_t reqlen = 0, blen = 0;
    kp_approval_report *r = NULL;
    int code = load_request(&a, &pol, &action, &req, &reqlen);
    if (code == KP_EXIT_OK) code = kp_cli_read_file(a.bundle, KP_MAX_INPUT_BYTES, 0, &bundle, &blen);
    if (code == KP_EXIT_OK) {
        kp_status st = kp_approvals_verify(ctx, &r, pol, action, a.key_id, req, reqlen, (const char *)bundle, blen,
                                           (int64_t)time(NULL), NULL);
        if (st != KP_OK) code = kp_cli_fail(st, a.bundle);
    }
    if (code == KP_EXIT_OK) {
        int met = kp_approval_report_quorum_met(r);
        kp_buf out;
        kp_buf_init(&out, 0);
        if (json) kp_buf_addstr(&out, met ? "{\"approved\":true" : "{\"approved\":false");
        char line[512];
        if (json) {
            snprintf(line, sizeof line, ",\"counted\":%u,\"needed\":%u,\"approvals\":[", kp_approval_report_counted(r),
                     kp_approval_report_needed(r));
        } else {
            snprintf(line, sizeof line, "%s: %u of the %u approvals needed count for %s%s%s under policy %s\n",
                     met ? "approved" : "NOT approved", kp_approval_report_counted(r), kp_approval_report_needed(r), a.action,
                     a.key_id ? " of key " : "", a.key_id ? a.key_id : "", kp_policy_id(pol));
        }
        kp_buf_addstr(&out, line);
        for (size_t i = 0; i < kp_approval_report_count(r); i++) {
            const char *name;
            uint8_t pk[32];
            char fp[KP_FINGERPRINT_LEN + 1], hex[65];
            kp_verdict v = kp_approval_report_get(r, i, &name, pk);
            kp_fingerprint(fp, pk);
            hex32(hex, pk);
            if (json) {
                kp_buf_addstr(&out, i ? ",{\"operator\":" : "{\"operator\":");
                if (name) kp_buf_addjstr(&out, name, strlen(name));
                else kp_buf_addstr(&out, "null");
                snprintf(line, sizeof line, ",\"publicKey\":\"%s\",\"counted\":%s,\"verdict\":\"%s\",\"reason\":\"%s\"}", hex,
                         v == KP_VERDICT_COUNTED ? "true" : "false", verdict_code(v), kp_verdict_text(v));
            } else {
                snprintf(line, sizeof line, "  approval %zu by %s (%s): %s\n", i + 1, name ? name : "an unknown key", fp,
                         kp_verdict_text(v));
            }
            kp_buf_addstr(&out, line);
        }
        if (json) kp_buf_addstr(&out, "]}\n");
        code = kp_cli_stdout(out.data, out.len);
        kp_buf_release(&out);
        if (code == KP_EXIT_OK && !met) code = KP_EXIT_NOT_APPROVED;
    }
    kp_approval_report_free(r);
    kp_policy_free(pol);
    kp_cli_free(req, reqlen, 0);
    kp_cli_free(bundle, blen, 0);
    return code;
}

/* ------------------------------------------------------------ audit */

static const char *problem_code(kp_audit_problem p)
{
    static const char *const names[] = {"ok", "empty", "changed", "other_key", "removed", "reordered", "inserted",
                                        "truncated", "torn"};
    return (unsigned)p < sizeof names / sizeof *names ? names[p] : "unknown";
}

static int hex_arg(const char *what, const char *arg, uint8_t out[32])
{
    if (kp_bytes_from_hex(out, 32, arg, strlen(arg)) != KP_OK) return kp_cli_usage("%s must be 64 hex digits", what);
    return KP_EXIT_OK;
}

struct show {
    const char *key;
    int json;
    size_t shown;
    kp_buf *out;
};

static int show_entry(const kp_audit_entry *e, void *data)
{
    struct show *s = data;
    if (s->key != NULL && (e->key_id == NULL || strcmp(e->key_id, s->key) != 0)) return 0;
    if (s->json) {
        kp_buf_addstr(s->out, s->shown ? ",\n" : "\n");
        kp_buf_addstr(s->out, e->line);
    } else {
        char t[32], line[256];
        iso_time(t, e->time);
        snprintf(line, sizeof line, "%5lld  %s  %-20s %-14.14s ", (long long)e->seq, t, e->event, e->key_id ? e->key_id : "-");
        kp_buf_addstr(s->out, line);
        for (size_t i = 0; i < e->nactors; i++) {
            kp_buf_addstr(s->out, i ? "," : "");
            kp_buf_addstr(s->out, e->actors[i]);
        }
        kp_buf_addstr(s->out, e->nactors ? "  " : "-  ");
        kp_buf_addstr(s->out, e->details);
        kp_buf_addstr(s->out, "\n");
    }
    s->shown++;
    return 0;
}

int kp_cmd_audit(kp_ctx *ctx, int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : "";
    int verify = strcmp(sub, "verify") == 0;
    if (!verify && strcmp(sub, "show") != 0) return kp_cli_usage("audit: unknown subcommand \"%s\" (verify, show)", sub);
    static const struct option opts[] = {{"writer-key", required_argument, NULL, 'w'},
                                         {"head", required_argument, NULL, 'h'},
                                         {"key", required_argument, NULL, 'k'},
                                         {"json", no_argument, NULL, 'j'},
                                         {NULL, 0, NULL, 0}};
    uint8_t writer[32], head[32];
    int have_writer = 0, have_head = 0, json = 0, o, code;
    const char *key = NULL;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
        switch (o) {
        case 'w':
            if (!verify || (code = hex_arg("--writer-key", optarg, writer)) != KP_EXIT_OK)
                return verify ? code : kp_cli_usage("--writer-key goes with audit verify");
            have_writer = 1;
            break;
        case 'h':
            if (!verify || (code = hex_arg("--head", optarg, head)) != KP_EXIT_OK)
                return verify ? code : kp_cli_usage("--head goes with audit verify");
            have_head = 1;
            break;
        case 'k':
            if (verify) return kp_cli_usage("--key goes with audit show");
            key = optarg;
            break;
        case 'j': json = 1; break;
        default: return kp_cli_usage("audit %s: unknown or incomplete option %s", sub, argv[optind]);
        }
    }
    if (optind != argc - 2) return kp_cli_usage("usage: keyport audit %s LOG [options]", sub);
    const char *path = argv[optind + 1];
    unsigned char *text = NULL;
    size_t len = 0;
    if ((code = kp_cli_read_file(path, (size_t)1 << 30, 0, &text, &len)) != KP_EXIT_OK) return code;
    kp_buf out;
    kp_buf_init(&out, 0);
    if (verify) {
        kp_audit_report r;
        kp_status st = kp_audit_verify(ctx, &r, (const char *)text, len, have_writer ? writer : NULL, have_head ? head : NULL);
        char line[1024];
        if (json) {
            kp_buf_addstr(&out, st == KP_OK ? "{\"ok\":true" : "{\"ok\":false");
            snprintf(line, sizeof line, ",\"entries\":%zu,\"head\":\"%s\",\"writer\":\"%s\",\"problem\":\"%s\",\"line\":%zu,\"seq\":%lld,\"message\":",
                     r.entries, r.head, r.writer, problem_code(r.problem), r.line, (long long)r.seq);
            kp_buf_addstr(&out, line);
            kp_buf_addjstr(&out, r.message, strlen(r.message));
            kp_buf_addstr(&out, "}\n");
        } else if (st == KP_OK) {
            snprintf(line, sizeof line, "ok: %zu entries, every signature and link verifies\nwriter: %s\nhead:   %s\n", r.entries,
                     r.writer, r.head);
            kp_buf_addstr(&out, line);
        }
        code = kp_cli_stdout(out.data, out.len);
        if (st != KP_OK) {
            if (!json) kp_cli_error(KP_EXIT_LOG, "%s: %s", path, r.message);
            if (code == KP_EXIT_OK) code = KP_EXIT_LOG;
        }
    } else {
        struct show s = {key, json, 0, &out};
        if (json) kp_buf_addstr(&out, "[");
        else kp_buf_addstr(&out, "  SEQ  TIME                  EVENT                KEY            ACTORS  DETAILS\n");
        kp_status st = kp_audit_entries((const char *)text, len, show_entry, &s);
        if (json) kp_buf_addstr(&out, s.shown ? "\n]\n" : "]\n");
        code = kp_cli_stdout(out.data, out.len);
        if (st != KP_OK) {
            kp_cli_fail(st, path);
            if (code == KP_EXIT_OK) code = KP_EXIT_LOG;
        }
    }
    kp_buf_release(&out);
    kp_cli_free(text, len, 0);
    return code;
}
