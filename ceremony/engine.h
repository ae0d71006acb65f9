/*
 * engine.h: the ceremonies, with no screen code.
 *
 * Two layers. The first is the steps the `keyport` command runs (cmd_*.c call them): an export
 * context sealed and its request made, an export response opened, an approval signed, an operator
 * enrolled, a policy made, and the audit events of each. The second is each ceremony as a state
 * machine built on those calls: its steps (what each needs from the operators), what it produces
 * (files, staged in memory and written together at the end, atomically and never over an existing
 * file) and what it appends to the audit log. keyport-ceremony (tui/) draws the steps; it does no
 * cryptography and no file I/O of its own.
 *
 * Errors are reported as the command reports them (io.h: kp_cli_error); a front end that has no
 * stderr sets kp_cli_set_error_sink. Every function returning int returns an exit code of io.h.
 */
#ifndef KP_CLI_ENGINE_H
#define KP_CLI_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "audit_hook.h"
#include "keyport.h"

/* ------------------------------------------------------------------ the command's steps */

/* Reads and parses a policy file. */
int kp_eng_load_policy(const char *path, kp_policy **out);
/* An approval signs a request's digest: the request must be a JSON object. */
int kp_eng_check_request(const char *path, const unsigned char *req, size_t len);
/* Reads an operator file (public parts). */
int kp_eng_operator_read(kp_ctx *ctx, const char *path, kp_operator **out);
/* Opens an operator's secret with pass. */
int kp_eng_operator_unlock(kp_ctx *ctx, kp_operator *op, const char *where, const char *pass, size_t passlen);

/* Seals a new export context under pass into file and makes its request body (with a final
 * newline) into req; fp gets the recipient key's fingerprint. Nothing is written. */
int kp_eng_export_seal(kp_ctx *ctx, const char *pass, size_t passlen, kp_kdf_strength strength, const kp_scheme *schemes,
                       size_t nschemes, int no_delete, uint8_t file[KP_CONTEXT_FILE_BYTES], kp_buf *req, char fp[17]);
/* The export.requested event. */
int kp_eng_record_export_requested(kp_cli_audit *audit, const char *fp, int no_delete);
/* Opens the context with pass and recovers the key from the response. Out: secret (32, secure), *r. */
int kp_eng_export_open(kp_ctx *ctx, const unsigned char *ctxfile, size_t ctxlen, const char *ctxname, const char *pass,
                       size_t passlen, const unsigned char *resp, size_t resplen, const char *respname, uint8_t *secret,
                       kp_export_result **r);
/* The key.exported event: public key, scheme, the recipient's fingerprint, the culprits. */
int kp_eng_record_export(kp_cli_audit *audit, kp_ctx *ctx, const uint8_t *context_secret, const kp_export_result *r);
/* The import.prepared event: the public key (never the key), scheme, signers, the request's hash,
 * the key's format and path. */
int kp_eng_record_import(kp_cli_audit *audit, kp_ctx *ctx, const kp_signers *signers, kp_curve c, kp_protocol p,
                         unsigned t, const uint8_t *key, const kp_buf *request, const char *format, const char *path);
/* Signs op's approval of the request into *out (the bundle old with it added). */
int kp_eng_approve(kp_ctx *ctx, kp_buf *out, const unsigned char *old, size_t oldlen, const kp_operator *op,
                   const kp_policy *pol, kp_action action, const char *key_id, const unsigned char *req, size_t reqlen,
                   long ttl);
/* The approval.recorded event. */
int kp_eng_record_approval(kp_cli_audit *audit, const kp_operator *op, const kp_policy *pol, kp_action action,
                           const char *key_id, const unsigned char *req, size_t reqlen);
/* Makes an operator file (in *file) under pass. Out: *op (unlocked). */
int kp_eng_operator_new(kp_ctx *ctx, kp_buf *file, const char *name, const char *pass, size_t passlen,
                        kp_kdf_strength strength, kp_operator **op);
/* Makes a policy (in *out) from operator files. */
int kp_eng_policy_new(kp_ctx *ctx, kp_buf *out, const char *id, const char *const *files, size_t nfiles,
                      const unsigned quorum[KP_ACTION_COUNT]);
/* The digest of a request to read aloud: "XXXX XXXX XXXX XXXX" (the first 8 bytes of SHA-256, hex). */
void kp_eng_read_aloud(char out[20], const unsigned char *req, size_t len);

/* ------------------------------------------------------------------ ceremonies */

typedef enum kp_cer_kind {
    KP_CER_EXPORT_REQUEST = 0, /* export, visit 1: the context, its request and the quorum's approvals */
    KP_CER_EXPORT_RECOVER,     /* export, visit 2: the response opened, the key written */
    KP_CER_IMPORT,             /* import: a key split to the signers, the quorum's approvals */
    KP_CER_APPROVE,            /* approve a request prepared elsewhere */
    KP_CER_ENROL,              /* enrol an operator */
    KP_CER_POLICY,             /* make a policy from operator files */
    KP_CER_AUDIT_VERIFY,       /* verify an audit log */
    KP_CER_COUNT
} kp_cer_kind;

/* What a step needs. */
typedef enum kp_step_kind {
    KP_STEP_TEXT,       /* a line of text (a file name, a key id, a name); kp_cer_text */
    KP_STEP_SECRET,     /* a passphrase typed once, no echo; kp_cer_secret */
    KP_STEP_NEW_SECRET, /* a passphrase typed twice, no echo; kp_cer_secret twice (kp_cer_prompt says which) */
    KP_STEP_MNEMONIC,   /* a BIP-39 mnemonic typed word by word; kp_cer_secret with the words */
    KP_STEP_CHOICE,     /* one of kp_cer_choices; kp_cer_choose */
    KP_STEP_REVIEW,     /* lines to read (kp_cer_lines) and confirm; kp_cer_confirm */
    KP_STEP_BATON,      /* the keyboard passes to an operator; kp_cer_confirm(1), or 0 to skip them */
    KP_STEP_APPROVE,    /* what is approved (kp_cer_lines); kp_cer_text with the word "approve" */
    KP_STEP_REVEAL,     /* ask twice before drawing the private key; kp_cer_choose */
    KP_STEP_DONE        /* the summary: kp_cer_lines lists the files written */
} kp_step_kind;

typedef struct kp_step {
    int id;
    kp_step_kind kind;
    const char *title;  /* screen title */
    const char *prompt; /* what to type or do */
    const char *help;   /* a sentence for the help line */
} kp_step;

typedef struct kp_ceremony kp_ceremony;

typedef struct kp_cer_options {
    kp_kdf_strength kdf; /* Argon2id cost of the contexts and operator files made */
    long ttl;            /* approvals' lifetime, seconds */
} kp_cer_options;

const char *kp_cer_name(kp_cer_kind k);
/* Starts a ceremony (ctx stays the caller's). */
int kp_cer_new(kp_ceremony **out, kp_ctx *ctx, kp_cer_kind kind, const kp_cer_options *opt);
/* Frees it: every secret wiped. Files are written only at the end, so an abandoned ceremony
 * leaves nothing behind. */
void kp_cer_free(kp_ceremony *c);
kp_cer_kind kp_cer_kind_of(const kp_ceremony *c);
const kp_step *kp_cer_step(const kp_ceremony *c);
/* The prompt of the current step (for a new secret: which of the two times). */
const char *kp_cer_prompt(const kp_ceremony *c);
/* The text a TEXT step starts with ("" when none). */
const char *kp_cer_default(const kp_ceremony *c);
/* The lines of a REVIEW, APPROVE or DONE step ("" when none), '\n'-separated; never a secret. */
const char *kp_cer_lines(const kp_ceremony *c);
/* The choices of a CHOICE or REVEAL step. */
size_t kp_cer_choices(const kp_ceremony *c, const char *const **names);
/* Where the quorum is: the operator at the keyboard (1-based) of n, counted of needed approvals. */
void kp_cer_quorum(const kp_ceremony *c, size_t *op, size_t *n, unsigned *counted, unsigned *needed, const char **name,
                   char fp[KP_FINGERPRINT_LEN + 1]);
/* The inputs. Each returns 0 and advances, or an exit code with the reason given to the error
 * sink; the step stays the same (the operator may try again). */
int kp_cer_text(kp_ceremony *c, const char *text);
int kp_cer_secret(kp_ceremony *c, const char *secret, size_t len);
int kp_cer_choose(kp_ceremony *c, size_t i);
int kp_cer_confirm(kp_ceremony *c, int yes);
/* Goes back one step where that is safe (returns 0), or stays (returns 1). */
int kp_cer_back(kp_ceremony *c);
/* The recovered private key as hex, only on the REVEAL step after it was asked twice (0), else 1. */
int kp_cer_private_hex(const kp_ceremony *c, char out[65]);
/* The files written (i-th; NULL past the end), each with the first 16 hex digits of its SHA-256. */
const char *kp_cer_output(const kp_ceremony *c, size_t i, char digest[17]);

/* The BIP-39 words that start with prefix: up to max of them into out; returns how many there are. */
size_t kp_cer_words(const char *prefix, size_t len, char (*out)[9], size_t max);

#endif
