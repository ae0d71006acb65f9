/*
 * api.h: the keyportd API (server/API.md), shared by its modules:
 *   start.c   start-up: options, the DATA folder, the token, the audit identity, the signers;
 *   api.c     routing, the bearer token, approvals, the audit log, the read endpoints;
 *   keys.c    import, key generation, export, archive, and the two-phase commit with its recovery;
 *   action.c  user action signing (docs/wire.md §5).
 *
 * Locks, always taken in this order and never the other way: nonce_lock, then db_lock; the
 * audit, busy and action locks are taken alone.
 */
#ifndef KS_API_H
#define KS_API_H

#include <pthread.h>

#include "http.h"
#include "signer.h"

#define KS_KEY_ID_MAX 48

/* ---------------------------------------------------------------- user actions (action.c) */

typedef struct ks_cred {
    char *id;
    kp_cred_alg alg;
    char *public_hex;
} ks_cred;

typedef struct ks_action_token ks_action_token;
typedef struct ks_spent ks_spent;

/* Challenges keep no state: the challengeIdentifier carries what the challenge is for, and the
 * challenge is an HMAC of it under a key of this process. So no number of unanswered challenges
 * can fill a table. What a signature makes (a user action token, and the spent challenge that
 * stops its reuse) is counted per credential, and one credential's flood refuses only itself. */
typedef struct ks_actions {
    pthread_mutex_t lock;
    ks_cred *creds;
    size_t ncreds;
    uint8_t *challenge_key;  /* secure: the HMAC key of the challenges */
    ks_action_token *tokens; /* issued, unused user action tokens */
    ks_spent *spent;         /* challenges answered with a valid signature, until they expire */
    uint8_t (*failed)[32];   /* a ring of challenges spent by a failed answer */
    size_t failed_next;
} ks_actions;

/** Returns 0, or -1 when out of secure memory. */
int ks_actions_init(ks_actions *a);
/** Loads --credentials FILE: a JSON array of {"credId","algorithm","publicKey"}. */
int ks_actions_load(ks_err *e, ks_actions *a, const char *path);
/** The same from the file's text; what names it in messages. Status 500 on failure (a bad file
 *  stops the start). */
int ks_actions_load_text(ks_err *e, ks_actions *a, const char *what, const char *text, size_t len);
void ks_actions_free(ks_actions *a);
/** POST /auth/action/init. Out: the answer. */
int ks_action_init(ks_err *e, ks_actions *a, const uint8_t *body, size_t len, kp_buf *out);
/** POST /auth/action. Out: {"userAction":…}. */
int ks_action_sign(ks_err *e, ks_actions *a, const uint8_t *body, size_t len, kp_buf *out);
/** Spends a user action token on a request: it must exist, be unexpired, and be bound to this
 *  method, path and body. It is spent whatever the outcome. Out: the credential's id in cred_id.
 *  Returns 0 or 401. */
int ks_action_use(ks_err *e, ks_actions *a, const char *token, const char *method, const char *path,
                  const uint8_t *body, size_t len, char *cred_id, size_t cred_cap);

/* ---------------------------------------------------------------- the API */

typedef struct ks_api {
    kp_ctx *ctx;
    char *data;
    int lock_fd;

    sqlite3 *db;
    pthread_mutex_t db_lock;

    ks_link *signers; /* sorted by decoded signerId; signers[i].index == i + 1 */
    size_t n;
    ks_signer **local; /* the embedded signers (n of them), or NULL */
    int remote;
    char cluster_id[64];

    uint8_t token_hash[32];
    kp_policy *policy;
    ks_actions actions;

    kp_operator *writer; /* the audit log's writer, DATA/cluster.kpo */
    kp_audit_log *log;
    char audit_path[4200];
    pthread_mutex_t audit_lock;

    /* approval nonces in use by requests in flight, not yet stored (see kp_nonce_store) */
    pthread_mutex_t nonce_lock;
    uint8_t (*reserved)[KP_APPROVAL_NONCE_BYTES];
    size_t nreserved, reserved_cap;

    /* keys with an operation in flight (a two-phase commit, or an export that will archive) */
    pthread_mutex_t busy_lock;
    char (*busy)[KS_KEY_ID_MAX];
    size_t nbusy, busy_cap;

    /* the thread that drives unfinished commits, aborts and signer archives (both modes) */
    pthread_t retry_thread;
    int retry_running;
    int stopping;
    pthread_mutex_t stop_lock;
    pthread_cond_t stop_cond;
} ks_api;

/** What a mutating request was allowed by: the approvers who counted, the nonces it reserved,
 *  and the credential of its user action. */
typedef struct ks_authz {
    char **approvers;
    size_t napprovers;
    uint8_t (*nonces)[KP_APPROVAL_NONCE_BYTES];
    size_t nnonces;
    int64_t *expires;
    char cred_id[136];
} ks_authz;

/** keyportd (the API): runs until SIGTERM or SIGINT. Returns an exit code. */
int ks_api_main(int argc, char **argv);

/* api.c */

/** Handles one API request (the ks_handler of the HTTP front). */
void ks_api_handle(void *app, ks_req *r);

/** Appends one entry to the audit log (serialized). actors may be NULL (then "api"). */
int ks_audit(ks_api *api, const char *event, const char *key_id, const char *pub_hex, const char *const *actors,
             size_t nactors, const char *details);
/** Stores the request's approval nonces in the database, inside the caller's transaction
 *  (db_lock held). Returns 0, or 403 when one was used meanwhile. */
int ks_authz_store_nonces(ks_err *e, ks_api *api, const ks_authz *z);
/** Appends the approvers as a JSON array of strings. */
kp_status ks_authz_add_approvers(kp_buf *b, const ks_authz *z);
/** Marks a key busy; returns 0, or -1 when it was busy already. */
int ks_busy_take(ks_api *api, const char *key_id);
void ks_busy_drop(ks_api *api, const char *key_id);
int ks_busy_has(ks_api *api, const char *key_id);

/* keys.c */

#define PUB_HEX_MAX (2 * KP_PUBKEY_MAX_BYTES + 1)

/** A key's row in DATA/api.db. */
typedef struct ks_key_row {
    char id[KS_KEY_ID_MAX];
    char name[512];
    int has_name;
    char curve[16], protocol[16];
    char pub_hex[PUB_HEX_MAX];
    unsigned t, n;
    char status[12];
    int imported, exported;
    char created[32], exported_at[32], archived_at[32];
} ks_key_row;

/** Loads a key; listed_only: only Active and Archived keys (API.md "Listed keys"). 0 or 404. */
int ks_key_load(ks_err *e, ks_api *api, const char *id, ks_key_row *k, int listed_only);
/** Calls op on signer i (0-based) and parses its answer. Out: *answer (cJSON_Delete). The message
 *  names the signer. */
int ks_signer_ask(ks_err *e, ks_api *api, size_t i, const char *op, const kp_buf *body, cJSON **answer);

/** The key object of API.md, appended to out; 0, or 404 when key_id is not listed. */
int ks_key_json(ks_err *e, ks_api *api, const char *key_id, kp_buf *out);
/** GET /keys. */
int ks_keys_list(ks_err *e, ks_api *api, kp_buf *out);
int ks_keys_import(ks_err *e, ks_api *api, const ks_authz *z, const uint8_t *body, size_t len, kp_buf *out);
int ks_keys_generate(ks_err *e, ks_api *api, const ks_authz *z, const uint8_t *body, size_t len, kp_buf *out);
/** Reads the body of POST /keys: {"scheme","curve","name"?}. The name (checked with
 *  kp_key_name_check) is copied to name (cap bytes); *has_name says whether there was one.
 *  Returns 0 or 400. */
int ks_keygen_request_parse(ks_err *e, const uint8_t *body, size_t len, kp_protocol *p, kp_curve *c, char *name,
                            size_t cap, int *has_name);
/** Reads a docs/wire.md §3 export request for a key of this protocol and curve (names): encryptionKey
 *  (out: ek), supportedSchemes (must hold the key's scheme), delete (out: *delete_after, default 1).
 *  Returns 0 or 400. */
int ks_export_request_parse(ks_err *e, const kp_ctx *ctx, const char *protocol, const char *curve, const uint8_t *body,
                            size_t len, uint8_t ek[33], int *delete_after);
/** Export: on success, the response is in out, and (*done)(*done_arg, sent) must run when the
 *  connection finishes (it archives after a complete answer). The shares are those of the signers
 *  that answered, at least minSigners of them; missing gets the base64 signerIds of the others,
 *  comma-separated (empty when all answered). */
int ks_keys_export(ks_err *e, ks_api *api, const ks_authz *z, const char *key_id, const uint8_t *body, size_t len,
                   kp_buf *out, kp_buf *missing, void (**done)(void *, int), void **done_arg);
int ks_keys_archive(ks_err *e, ks_api *api, const ks_authz *z, const char *key_id, const uint8_t *body, size_t len,
                    kp_buf *out);
/** Drives every unfinished two-phase commit to its end: committing rows commit, the rest abort.
 *  Keys busy in this process are skipped. Returns the number of rows left (signers down). */
size_t ks_keys_recover(ks_api *api);
/** Appends any event the log lacks for a finished state (a crash between the database and the log). */
void ks_keys_reconcile_log(ks_api *api);

/* sign.c (API.md "Signing") */

/** POST /keys/{keyId}/signatures: threshold FROST among minSigners signers. Out: the signature object. */
int ks_keys_sign(ks_err *e, ks_api *api, const ks_authz *z, const char *key_id, const uint8_t *body, size_t len,
                 kp_buf *out);
/** GET /keys/{keyId}/signatures ({"items":[…]}), or one signature when sig_id is not NULL. */
int ks_signatures_get(ks_err *e, ks_api *api, const char *key_id, const char *sig_id, kp_buf *out);

#endif
