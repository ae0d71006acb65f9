/*
 * signer.h: one signer node, and the links by which the API reaches signers.
 *
 * A signer holds, in its own folder:
 *   signer.db       SQLite (WAL, synchronous=FULL): its identity, pending and committed shares;
 *   encryption.key.sealed  0x01 || its envelope secret (docs/wire.md §1);
 *   storage.key.sealed     the 32-byte key that seals its shares at rest (kp_at_rest_seal, ad = keyId);
 *   signer.lock            held (flock) by the one process that serves the folder.
 * Both keys are sealed under the key from outside the data folder (ks_sealed_secret), so a copy of
 * the folder opens nothing.
 * A share is in the clear only inside the signer, in secure memory, for the time of one call.
 *
 * The signer protocol: the API sends an operation name and a JSON object, and gets a JSON object
 * back, or {"error":{"status":…,"message":…}}. An embedded signer is called in-process
 * (ks_signer_call); a remote one over HTTP at POST /signer/<op>, authenticated with
 * X-Keyport-Signer-Auth (API.md "Remote signers"). The same code answers both.
 *
 *   info            {}                                          -> {"signerId","encryptionKey"}
 *   prepare-import  {"keyId","curve","index","n","t","encryptedKeyShare"}
 *                                                                -> {"publicKey","publicSharesDigest","publicShare"}
 *   deal            {"keyId","curve","t","n","dealer","recipients":[encryptionKey × n]}
 *                                                                -> {"commitments","shares":[b64 × n]}
 *   prepare-keygen  {"keyId","curve","t","n","index","dealings":[{"commitments","share"} × n]}
 *                                                                -> {"publicKey","publicShare"}
 *   commit          {"keyId"}                                   -> {"state":"committed"}
 *   abort           {"keyId"}                                   -> {"state":"aborted"}
 *   export          {"keyId","encryptionKey"}                   -> {"signerId","encryptedKeyShare"}
 *   archive         {"keyId"}                                   -> {"state":"archived"}
 *   sign-commit     {"keyId","signingId"}                       -> {"id","hiding","binding","publicShare"}
 *   sign-share      {"keyId","signingId","message","commitments":[{"id","hiding","binding"} × t]}
 *                                                                -> {"id","share"}
 *
 * prepare-* store the share in a pending row (two-phase commit, API.md "All-or-nothing");
 * commit moves it to the signer's keys; abort drops it; archive records that the key was archived,
 * after which export and signing refuse it (409). commit, abort and archive are idempotent.
 * sign-commit records its nonces (sealed) before it answers; sign-share spends them before it
 * computes the share, so one commitment gets one answer (API.md "Signing").
 */
#ifndef KS_SIGNER_H
#define KS_SIGNER_H

#include "ks.h"

#define KS_SIGNER_ID_MAX 64

typedef struct ks_signer ks_signer;

/** Opens the signer in folder dir (locking it), making its keys and database on first start; its
 *  keys are sealed under key (32 bytes, from outside the data folder). */
int ks_signer_open(ks_err *e, ks_signer **out, const kp_ctx *ctx, const char *dir, const uint8_t key[32]);
/** Closes it, wiping its secrets. NULL is a no-op. */
void ks_signer_close(ks_signer *s);
/** Runs one operation of the signer protocol. Out: the answer appended to out.
 *  Returns 0, or an HTTP status with e filled (400 bad input, 404 unknown key, 409, 500). */
int ks_signer_call(ks_err *e, ks_signer *s, const char *op, const char *body, size_t len, kp_buf *out);
/** The signerId bytes (and their base64). */
const uint8_t *ks_signer_id(const ks_signer *s, size_t *len);

/* ---------------------------------------------------------------- links */

/** How the API reaches one signer: in-process, or over HTTP. */
typedef struct ks_link {
    const kp_ctx *ctx;
    ks_signer *local;         /* embedded signer, or NULL */
    char *url;                /* remote signer's base URL, or NULL */
    uint8_t *secret;          /* remote: the shared HMAC secret (secure memory) */
    size_t secret_len;
    /* who it is (from "info") */
    uint8_t id[KS_SIGNER_ID_MAX];
    size_t id_len;
    char id_b64[4 * KS_SIGNER_ID_MAX / 3 + 8];
    uint8_t ek[33];
    unsigned index;           /* 1-based position in sorted order */
} ks_link;

/** A link to an embedded signer (filled with its identity). */
int ks_link_local(ks_err *e, ks_link *l, const kp_ctx *ctx, ks_signer *s);
/** A link to a remote signer at url with the shared secret (copied into secure memory).
 *  Does not contact it (see ks_link_identify). */
int ks_link_remote(ks_err *e, ks_link *l, const kp_ctx *ctx, const char *url, const uint8_t *secret,
                   size_t secret_len);
/** Asks the signer who it is ("info") and fills l->id, l->ek. */
int ks_link_identify(ks_err *e, ks_link *l);
/** Calls one operation. Returns 0, or the status (503 when a remote signer cannot be reached). */
int ks_link_call(ks_err *e, ks_link *l, const char *op, const char *body, size_t len, kp_buf *out);
void ks_link_release(ks_link *l);

/* ---------------------------------------------------------------- remote signers */

#define KS_SIGNER_AUTH_WINDOW 60 /* seconds */

/** The X-Keyport-Signer-Auth value "<unix time>.<hex HMAC-SHA256(secret, time "." method " " path
 *  "\n" body)>" (API.md). out: at least 96 bytes. */
int ks_signer_auth_make(char *out, size_t cap, const uint8_t *secret, size_t secret_len, int64_t now,
                        const char *method, const char *path, const uint8_t *body, size_t len);
/** Checks such a value within KS_SIGNER_AUTH_WINDOW of now, in constant time. Returns 0 or 401. */
int ks_signer_auth_check(ks_err *e, const char *header, const uint8_t *secret, size_t secret_len, int64_t now,
                         const char *method, const char *path, const uint8_t *body, size_t len);

/** Reads a shared secret file (at least 16 bytes; a trailing newline is not part of it).
 *  Out: *out in secure memory (free with kp_secure_free). */
int ks_read_secret_file(ks_err *e, const char *path, uint8_t **out, size_t *len);

/** keyportd signer: serves one signer at listen until SIGTERM or SIGINT. Returns an exit code. */
int ks_signer_main(int argc, char **argv);

#endif
