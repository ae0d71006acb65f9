/*
 * audit_hook.h: --audit LOG --audit-key OPERATOR.kpo --audit-passphrase-file P on the offline
 * commands. The log is opened (and its chain checked) before the command acts, and its event
 * is appended and fsync'd before the command reports success.
 */
#ifndef KP_CLI_AUDIT_HOOK_H
#define KP_CLI_AUDIT_HOOK_H

#include <getopt.h>

#include "keyport.h"

#define KP_AUDIT_OPT_LOG 1001
#define KP_AUDIT_OPT_KEY 1002
#define KP_AUDIT_OPT_PASS 1003
#define KP_AUDIT_LONG_OPTIONS                                                 \
    {"audit", required_argument, NULL, KP_AUDIT_OPT_LOG},                     \
    {"audit-key", required_argument, NULL, KP_AUDIT_OPT_KEY},                 \
    {"audit-passphrase-file", required_argument, NULL, KP_AUDIT_OPT_PASS}

typedef struct kp_cli_audit {
    const char *log, *key, *passfile;
    kp_operator *op;
    kp_audit_log *h;
} kp_cli_audit;

/* Takes an --audit* option; returns 1 if o was one. */
int kp_cli_audit_option(kp_cli_audit *a, int o, const char *arg);
/* Opens the log if --audit was given (0 = fine, or an exit code). */
int kp_cli_audit_begin(kp_ctx *ctx, kp_cli_audit *a);
/* Opens a->log with a->op (already unlocked, still the caller's to free when a->key is NULL). */
int kp_cli_audit_open_log(kp_ctx *ctx, kp_cli_audit *a);
/* Appends one event if a log is open (0 = done, or an exit code). */
int kp_cli_audit_record(kp_cli_audit *a, const char *event, const char *key_id, const char *pub_hex,
                        const char *const *actors, size_t nactors, const char *details);
void kp_cli_audit_end(kp_cli_audit *a);

/* Reads an operator file; with unlock, opens its secret with a passphrase from passfile or the
 * terminal. Returns 0 or an exit code. */
int kp_cli_load_operator(kp_ctx *ctx, const char *path, int unlock, const char *passfile, kp_operator **out);

#endif
