/* audit_hook.c: see audit_hook.h. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "audit_hook.h"
#include "engine.h"
#include "io.h"

int kp_cli_load_operator(kp_ctx *ctx, const char *path, int unlock, const char *passfile, kp_operator **out)
{
    int code = kp_eng_operator_read(ctx, path, out);
    if (code != KP_EXIT_OK || !unlock) return code;
    char prompt[160], *pass = NULL;
    size_t passlen = 0;
    snprintf(prompt, sizeof prompt, "Passphrase of operator %s: ", kp_operator_name(*out));
    if ((code = kp_cli_passphrase(passfile, 0, prompt, &pass, &passlen)) == KP_EXIT_OK)
        code = kp_eng_operator_unlock(ctx, *out, path, pass, passlen);
    kp_cli_passphrase_free(pass);
    if (code != KP_EXIT_OK) {
        kp_operator_free(*out);
        *out = NULL;
    }
    return code;
}

int kp_cli_audit_option(kp_cli_audit *a, int o, const char *arg)
{
    switch (o) {
    case KP_AUDIT_OPT_LOG: a->log = arg; return 1;
    case KP_AUDIT_OPT_KEY: a->key = arg; return 1;
    case KP_AUDIT_OPT_PASS: a->passfile = arg; return 1;
    }
    return 0;
}

int kp_cli_audit_begin(kp_ctx *ctx, kp_cli_audit *a)
{
    if (a->log == NULL) {
        if (a->key != NULL || a->passfile != NULL)
            return kp_cli_error(KP_EXIT_USAGE, "--audit-key and --audit-passphrase-file go with --audit LOG");
        return KP_EXIT_OK;
    }
    if (a->key == NULL) return kp_cli_error(KP_EXIT_USAGE, "--audit LOG needs --audit-key OPERATOR.kpo (the log's writer)");
    int code = kp_cli_load_operator(ctx, a->key, 1, a->passfile, &a->op);
    if (code != KP_EXIT_OK) return code;
    return kp_cli_audit_open_log(ctx, a);
}

int kp_cli_audit_open_log(kp_ctx *ctx, kp_cli_audit *a)
{
    char torn[4096];
    kp_status st = kp_audit_open(ctx, &a->h, a->log, a->op, (int64_t)time(NULL), torn);
    if (st != KP_OK) return kp_cli_fail(st, a->log);
    if (torn[0]) fprintf(stderr, "keyport: %s: an incomplete last line (a torn write) was set aside in %s\n", a->log, torn);
    return KP_EXIT_OK;
}

int kp_cli_audit_record(kp_cli_audit *a, const char *event, const char *key_id, const char *pub_hex,
                        const char *const *actors, size_t nactors, const char *details)
{
    if (a->h == NULL) return KP_EXIT_OK;
    const char *me = kp_operator_name(a->op);
    if (actors == NULL) {
        actors = &me;
        nactors = 1;
    }
    char head[65];
    kp_status st = kp_audit_append(a->h, (int64_t)time(NULL), event, key_id, pub_hex, actors, nactors, details, head);
    if (st != KP_OK) return kp_cli_fail(st, a->log);
    return KP_EXIT_OK;
}

void kp_cli_audit_end(kp_cli_audit *a)
{
    kp_audit_close(a->h);
    kp_operator_free(a->op);
    a->h = NULL;
    a->op = NULL;
}
