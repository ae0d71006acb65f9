/* signer.c: one signer node (see signer.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "signer.h"

#define SIGNER_ID_BYTES 16
#define KEY_ID_MAX 128

struct ks_signer {
    const kp_ctx *ctx;
    char *dir;
    int lock_fd;          /* DIR/signer.lock, held for the life of the signer */
    sqlite3 *db;
    pthread_mutex_t lock; /* one transaction at a time on db */
    uint8_t *secrets;     /* secure: [0, 32) the envelope secret, [32, 64) the storage key */
    uint8_t ek[33];
    uint8_t id[SIGNER_ID_BYTES];
    sqlite3_int64 run;    /* random, per process: round two uses only nonces of this run */
};

#define ENC_SECRET(s) ((s)->secrets)
#define STORAGE_KEY(s) ((s)->secrets + 32)

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value BLOB NOT NULL);"
    /* a share waiting for the API's decision (two-phase commit), and the committed shares */
    "CREATE TABLE IF NOT EXISTS pending(key_id TEXT PRIMARY KEY, curve INTEGER NOT NULL, idx INTEGER NOT NULL,"
    " n INTEGER NOT NULL, t INTEGER NOT NULL, public_key BLOB NOT NULL, sealed BLOB NOT NULL, created INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS shares(key_id TEXT PRIMARY KEY, curve INTEGER NOT NULL, idx INTEGER NOT NULL,"
    " n INTEGER NOT NULL, t INTEGER NOT NULL, public_key BLOB NOT NULL, sealed BLOB NOT NULL, created INTEGER NOT NULL);"
    /* keys the API archived: their shares are never exported again */
    "CREATE TABLE IF NOT EXISTS archived(key_id TEXT PRIMARY KEY, at INTEGER NOT NULL);"
    /* FROST round-one nonces (API.md "Signing"): each row is written, and synced, before its
     * commitments leave the signer, and spent, and synced, before the share made with it does;
     * the sealed nonces are dropped when spent, and at every start (a signer that stopped
     * between the rounds discards its commitments). A commitment is its primary key: a repeat
     * (a broken randomness source) is refused, never signed with. */
    "CREATE TABLE IF NOT EXISTS sign_nonces(commitment BLOB PRIMARY KEY, key_id TEXT NOT NULL,"
    " signing_id TEXT NOT NULL UNIQUE, state TEXT NOT NULL CHECK(state IN ('issued', 'spent', 'discarded')),"
    " sealed BLOB, run INTEGER NOT NULL, created INTEGER NOT NULL);";

const uint8_t *ks_signer_id(const ks_signer *s, size_t *len)
{
    *len = sizeof s->id;
    return s->id;
}

/* ---------------------------------------------------------------- opening */

static int count_rows(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int n = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* encryption.key: 0x01 || the secret scalar, as docs/wire.md §1 serializes it */
static int make_encryption_key(ks_err *e, void *arg, uint8_t *file, size_t len)
{
    ks_signer *s = arg;
    uint8_t ek[33];
    (void)len; /* the file is 33 bytes, as the caller asked */
    file[0] = 1;
    kp_status st = kp_encryption_keypair(s->ctx, file + 1, ek);
    return st == KP_OK ? 0 : ks_fail_kp(e, 500, st, "making the signer's encryption key");
}

static int make_storage_key(ks_err *e, void *arg, uint8_t *file, size_t len)
{
    (void)arg;
    (void)e;
    ks_random(file, len);
    return 0;
}

int ks_signer_open(ks_err *e, ks_signer **out, const kp_ctx *ctx, const char *dir, const uint8_t key[32])
{
    *out = NULL;
    ks_signer *s = calloc(1, sizeof *s);
    uint8_t *enc_file = kp_secure_alloc(33);
    if (s != NULL) s->lock_fd = -1;
    char path[4200];
    int rc = 500;
    if (s == NULL || enc_file == NULL || (s->dir = strdup(dir)) == NULL || (s->secrets = kp_secure_alloc(64)) == NULL) {
        ks_fail(e, 500, "out of memory opening the signer in %s", dir);
        goto fail;
    }
    s->ctx = ctx;
    pthread_mutex_init(&s->lock, NULL);
    /* one process at a time on a signer's folder: two would each take their pending and committed
     * rows for the truth */
    if (ks_mkdir(e, dir) != 0 || ks_lock_folder(e, &s->lock_fd, dir, "signer.lock") != 0) goto fail;
    snprintf(path, sizeof path, "%s/signer.db", dir);
    if (ks_db_open(e, &s->db, path, schema) != 0) goto fail;
    int stored = count_rows(s->db, "SELECT (SELECT count(*) FROM shares) + (SELECT count(*) FROM pending)");
    if (stored < 0) {
        ks_fail(e, 500, "cannot read %s: %s", path, sqlite3_errmsg(s->db));
        goto fail;
    }
    /* both sealed under the key from outside the data folder (ks_sealed_secret) */
    if (ks_sealed_secret(e, key, dir, "encryption.key", enc_file, 33, stored == 0, make_encryption_key, s) != 0 ||
        ks_sealed_secret(e, key, dir, "storage.key", STORAGE_KEY(s), 32, stored == 0, make_storage_key, s) != 0)
        goto fail;
    if (enc_file[0] != 1) {
        ks_fail(e, 500, "%s/encryption.key must begin with the byte 0x01 (docs/wire.md §1)", dir);
        goto fail;
    }
    memcpy(ENC_SECRET(s), enc_file + 1, 32);
    kp_status st = kp_encryption_key_from_secret(ctx, s->ek, ENC_SECRET(s));
    if (st != KP_OK) {
        ks_fail_kp(e, 500, st, "%s/encryption.key", dir);
        goto fail;
    }

    /* the signerId: random bytes, made once */
    sqlite3_stmt *q = NULL;
    if (ks_db_prepare(e, s->db, &q, "SELECT value FROM meta WHERE name = 'signer_id'") != 0) goto fail;
    int found = sqlite3_step(q) == SQLITE_ROW && sqlite3_column_bytes(q, 0) == SIGNER_ID_BYTES;
    if (found) memcpy(s->id, sqlite3_column_blob(q, 0), SIGNER_ID_BYTES);
    sqlite3_finalize(q);
    if (!found) {
        ks_random(s->id, sizeof s->id);
        if (ks_db_prepare(e, s->db, &q, "INSERT INTO meta(name, value) VALUES('signer_id', ?)") != 0) goto fail;
        sqlite3_bind_blob(q, 1, s->id, sizeof s->id, SQLITE_STATIC);
        int ok = sqlite3_step(q) == SQLITE_DONE;
        sqlite3_finalize(q);
        if (!ok) {
            ks_fail(e, 500, "cannot record the signerId in %s: %s", path, sqlite3_errmsg(s->db));
            goto fail;
        }
    }
    /* round two takes only nonces of this run (so a signer that stopped between the rounds never
     * answers for the commitments it made before); the old ones are wiped here, or, if the
     * database cannot be written now, at the next start */
    ks_random(&s->run, sizeof s->run);
    ks_err why = {0};
    if (ks_db_exec(&why, s->db, "discarding the round-one nonces of the last run",
                   "UPDATE sign_nonces SET state = 'discarded', sealed = NULL WHERE state = 'issued'") != 0)
        ks_log("%s: %s", dir, why.msg);
    kp_secure_free(enc_file);
    *out = s;
    return 0;
fail:
    kp_secure_free(enc_file);
    ks_signer_close(s);
    return rc;
}

void ks_signer_close(ks_signer *s)
{
    if (s == NULL) return;
    if (s->db != NULL) sqlite3_close(s->db);
    if (s->lock_fd >= 0) close(s->lock_fd);
    kp_secure_free(s->secrets);
    free(s->dir);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* ---------------------------------------------------------------- request fields */

/* An identifier member (keyId, signingId): 1 to KEY_ID_MAX letters, digits, '-' or '_'. */
static int get_id(ks_err *e, const char **out, const cJSON *j, const char *op, const char *name)
{
    if (ks_json_str(e, out, j, op, name, 1) != 0) return 400;
    size_t n = strlen(*out);
    int ok = n > 0 && n <= KEY_ID_MAX;
    for (size_t i = 0; ok && i < n; i++) {
        char c = (*out)[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    }
    return ok ? 0 : ks_fail(e, 400, "%s: %s must be 1 to %d letters, digits, '-' or '_'", op, name, KEY_ID_MAX);
}

static int get_key_id(ks_err *e, const char **out, const cJSON *j, const char *op)
{
    return get_id(e, out, j, op, "keyId");
}

static int get_curve(ks_err *e, kp_curve *c, const cJSON *j, const char *op)
{
    const char *name;
    if (ks_json_str(e, &name, j, op, "curve", 1) != 0) return 400;
    if (kp_curve_from_name(c, name) != KP_OK) return ks_fail(e, 400, "%s: unknown curve \"%.40s\"", op, name);
    return 0;
}

/* n, t and an index among 1..n */
static int get_shape(ks_err *e, unsigned *n, unsigned *t, unsigned *index, const char *index_name, const cJSON *j,
                     const char *op)
{
    if (ks_json_uint(e, n, j, op, "n", 2, KP_MAX_SIGNERS) != 0 || ks_json_uint(e, t, j, op, "t", 2, *n) != 0 ||
        ks_json_uint(e, index, j, op, index_name, 1, *n) != 0)
        return 400;
    return 0;
}

static int get_b64(ks_err *e, uint8_t **out, size_t *len, const cJSON *j, const char *op, const char *name)
{
    const char *s;
    if (ks_json_str(e, &s, j, op, name, 1) != 0) return 400;
    if (ks_b64_decode(out, len, s, strlen(s), 0) != 0) return ks_fail(e, 400, "%s: %s is not valid base64", op, name);
    return 0;
}

/* ---------------------------------------------------------------- storing shares */

/* Seals share at rest and writes it as key_id's pending row. */
static int store_pending(ks_err *e, ks_signer *s, const char *key_id, kp_curve c, unsigned index, unsigned n,
                         unsigned t, const uint8_t *pub, size_t pub_len, const uint8_t share[32])
{
    kp_buf sealed;
    kp_buf_init(&sealed, 0);
    kp_status st = kp_at_rest_seal(&sealed, STORAGE_KEY(s), (const uint8_t *)key_id, strlen(key_id), share, 32);
    if (st != KP_OK) {
        kp_buf_release(&sealed);
        return ks_fail_kp(e, 500, st, "sealing the share of key %s at rest", key_id);
    }
    int rc = 0;
    sqlite3_stmt *q = NULL;
    pthread_mutex_lock(&s->lock);
    if (ks_db_exec(e, s->db, "starting a transaction", "BEGIN IMMEDIATE") != 0) {
        rc = 500;
        goto unlock;
    }
    if ((rc = ks_db_prepare(e, s->db, &q, "SELECT 1 FROM shares WHERE key_id = ?")) != 0) goto rollback;
    sqlite3_bind_text(q, 1, key_id, -1, SQLITE_STATIC);
    int exists = sqlite3_step(q) == SQLITE_ROW;
    sqlite3_finalize(q);
    q = NULL;
    if (exists) {
        rc = ks_fail(e, 409, "this signer already holds a committed share of key %s", key_id);
        goto rollback;
    }
    if ((rc = ks_db_prepare(e, s->db, &q,
                            "INSERT OR REPLACE INTO pending(key_id, curve, idx, n, t, public_key, sealed, created)"
                            " VALUES(?, ?, ?, ?, ?, ?, ?, strftime('%s', 'now'))")) != 0)
        goto rollback;
    sqlite3_bind_text(q, 1, key_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, (int)c);
    sqlite3_bind_int(q, 3, (int)index);
    sqlite3_bind_int(q, 4, (int)n);
    sqlite3_bind_int(q, 5, (int)t);
    sqlite3_bind_blob(q, 6, pub, (int)pub_len, SQLITE_STATIC);
    sqlite3_bind_blob(q, 7, sealed.data, (int)sealed.len, SQLITE_STATIC);
    if (sqlite3_step(q) != SQLITE_DONE) {
        rc = ks_fail(e, 500, "cannot store the pending share of key %s: %s", key_id, sqlite3_errmsg(s->db));
        goto rollback;
    }
    sqlite3_finalize(q);
    q = NULL;
    if ((rc = ks_db_exec(e, s->db, "committing the pending share", "COMMIT")) == 0) goto unlock;
rollback:
    sqlite3_finalize(q);
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
unlock:
    pthread_mutex_unlock(&s->lock);
    kp_buf_release(&sealed);
    return rc;
}

/* A prepare answer: {"publicKey","publicSharesDigest" (when digest is not NULL),"publicShare"}, the
 * public share (share·G) for the API to keep, so that a signature share is later checked against
 * the public share fixed when the key was made (API.md "Signing"). Returns 0 or 500. */
static int add_pub_answer(ks_err *e, ks_signer *s, kp_buf *out, kp_curve c, const uint8_t *pub, size_t pub_len,
                          const uint8_t *digest, const uint8_t share[32])
{
    uint8_t mine[KP_PUBKEY_MAX_BYTES];
    size_t mine_len = 0;
    kp_status st = kp_public_key(s->ctx, mine, &mine_len, c, share);
    if (st != KP_OK) return ks_fail_kp(e, 500, st, "the public share");
    if (kp_buf_addstr(out, "{\"publicKey\":\"") != KP_OK || kp_buf_addhex(out, pub, pub_len) != KP_OK ||
        (digest != NULL && (kp_buf_addstr(out, "\",\"publicSharesDigest\":\"") != KP_OK ||
                            kp_buf_addhex(out, digest, KP_PUBLIC_SHARES_DIGEST_BYTES) != KP_OK)) ||
        kp_buf_addstr(out, "\",\"publicShare\":\"") != KP_OK || kp_buf_addhex(out, mine, mine_len) != KP_OK ||
        kp_buf_addstr(out, "\"}") != KP_OK)
        return ks_fail(e, 500, "out of memory");
    return 0;
}

/* ---------------------------------------------------------------- operations */

static int op_info(ks_err *e, ks_signer *s, const cJSON *j, kp_buf *out)
{
    (void)j; /* info takes no arguments */
    char ek[49];
    kp_encryption_key_encode(ek, s->ek);
    if (kp_buf_addstr(out, "{\"signerId\":\"") != KP_OK || ks_buf_addb64(out, s->id, sizeof s->id) != KP_OK ||
        ks_buf_addf(out, "\",\"encryptionKey\":\"%s\"}", ek) != KP_OK)
        return ks_fail(e, 500, "out of memory");
    return 0;
}

/* API.md POST /keys/import: the signer at 1-based sorted position `index` opens its share and
 * checks it against public_shares (kp_import_open_share). */
static int op_prepare_import(ks_err *e, ks_signer *s, const cJSON *j, kp_buf *out)
{
    static const char op[] = "prepare-import";
    const char *key_id;
    kp_curve c;
    unsigned n, t, index;
    uint8_t *ct = NULL, pub[KP_PUBKEY_MAX_BYTES], digest[KP_PUBLIC_SHARES_DIGEST_BYTES];
    size_t ct_len = 0, pub_len = 0;
    int rc;
    if ((rc = get_key_id(e, &key_id, j, op)) != 0 || (rc = get_curve(e, &c, j, op)) != 0 ||
        (rc = get_shape(e, &n, &t, &index, "index", j, op)) != 0 ||
        (rc = get_b64(e, &ct, &ct_len, j, op, "encryptedKeyShare")) != 0)
        return rc;
    uint8_t *share = kp_secure_alloc(32);
    if (share == NULL) {
        free(ct);
        return ks_fail(e, 500, "out of secure memory");
    }
    kp_status st = kp_import_open_share_digest(s->ctx, share, pub, &pub_len, digest, ENC_SECRET(s), c, index, n, t, ct,
                                               ct_len);
    free(ct);
    if (st != KP_OK) {
        kp_secure_free(share);
        return ks_fail_kp(e, 400, st, "its share (position %u of %u) was refused", index, n);
    }
    rc = store_pending(e, s, key_id, c, index, n, t, pub, pub_len, share);
    /* the digest of the public_shares it checked: the API stores the key only when every
     * signer checked the same vector (else the shares need not lie on one polynomial) */
    if (rc == 0) rc = add_pub_answer(e, s, out, c, pub, pub_len, digest, share);
    kp_secure_free(share);
    return rc;
}

/* The plaintext of one dealt share (API.md POST /keys): the share, then the dealer's and the
 * recipient's positions (4 bytes each, big-endian) and the key id, so that a sealed share cannot
 * be replayed into another key generation or to another recipient (the envelope has no AAD,
 * docs/wire.md §6). */
#define DEALT_HEADER 40

static void put_u32(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static unsigned get_u32(const uint8_t *p)
{
    return (unsigned)p[0] << 24 | (unsigned)p[1] << 16 | (unsigned)p[2] << 8 | p[3];
}

/* Feldman VSS: this signer deals a random polynomial; share j travels sealed to recipient j. */
static int op_deal(ks_err *e, ks_signer *s, const cJSON *j, kp_buf *out)
{
    static const char op[] = "deal";
    const char *key_id;
    kp_curve c;
    unsigned n, t, dealer;
    int rc;
    if ((rc = get_key_id(e, &key_id, j, op)) != 0 || (rc = get_curve(e, &c, j, op)) != 0 ||
        (rc = get_shape(e, &n, &t, &dealer, "dealer", j, op)) != 0)
        return rc;
    const cJSON *rcp = cJSON_GetObjectItemCaseSensitive(j, "recipients");
    if (!cJSON_IsArray(rcp) || (unsigned)cJSON_GetArraySize(rcp) != n)
        return ks_fail(e, 400, "%s: recipients must be an array of the n = %u encryption keys", op, n);
    uint8_t eks[KP_MAX_SIGNERS][33];
    unsigned k = 0;
    for (const cJSON *r = rcp->child; r != NULL; r = r->next, k++) {
        kp_status st = cJSON_IsString(r) ? kp_encryption_key_decode(s->ctx, eks[k], r->valuestring,
                                                                     strlen(r->valuestring))
                                         : KP_ERR_FORMAT;
        if (st != KP_OK) return ks_fail_kp(e, 400, st, "%s: recipients[%u]", op, k);
    }
    size_t pk_len = kp_public_key_bytes(c), key_len = strlen(key_id), pt_len = 32 + 8 + key_len;
    uint8_t *shares = kp_secure_alloc((size_t)n * 32), *pt = kp_secure_alloc(pt_len);
    uint8_t *commitments = malloc((size_t)t * pk_len), *ct = malloc(pt_len + KP_ENVELOPE_OVERHEAD);
    char *hex = malloc((size_t)t * pk_len * 2 + 1);
    if (shares == NULL || pt == NULL || commitments == NULL || ct == NULL || hex == NULL) {
        rc = ks_fail(e, 500, "out of memory");
        goto done;
    }
    kp_status st = kp_vss_deal(s->ctx, (uint8_t(*)[32])shares, commitments, c, t, n);
    if (st != KP_OK) {
        rc = ks_fail_kp(e, 500, st, "%s: dealing for key %s", op, key_id);
        goto done;
    }
    ks_hex(hex, commitments, (size_t)t * pk_len);
    if (ks_buf_addf(out, "{\"commitments\":\"%s\",\"shares\":[", hex) != KP_OK) {
        rc = ks_fail(e, 500, "out of memory");
        goto done;
    }
    for (unsigned r = 0; r < n; r++) {
        memcpy(pt, shares + (size_t)r * 32, 32);
        put_u32(pt + 32, dealer);
        put_u32(pt + 36, r + 1);
        memcpy(pt + DEALT_HEADER, key_id, key_len);
        st = kp_envelope_seal(s->ctx, ct, eks[r], pt, pt_len);
        if (st != KP_OK) {
            rc = ks_fail_kp(e, 500, st, "%s: sealing the share for recipient %u", op, r + 1);
            goto done;
        }
        if (kp_buf_addstr(out, r ? ",\"" : "\"") != KP_OK ||
            ks_buf_addb64(out, ct, pt_len + KP_ENVELOPE_OVERHEAD) != KP_OK || kp_buf_addstr(out, "\"") != KP_OK) {
            rc = ks_fail(e, 500, "out of memory");
            goto done;
        }
    }
    if (kp_buf_addstr(out, "]}") != KP_OK) rc = ks_fail(e, 500, "out of memory");
done:
    kp_secure_free(shares);
    kp_secure_free(pt);
    free(commitments);
    free(ct);
    free(hex);
    return rc;
}

/* Feldman VSS, the recipient's side: check each dealt share against its dealer's commitments
 * (kp_vss_check), add them up (kp_scalar_add), and add the dealers' constant commitments into
 * the group key (kp_vss_public at 0, kp_public_key_add). */
static int op_prepare_keygen(ks_err *e, ks_signer *s, const cJSON *j, kp_buf *out)
{
    static const char op[] = "prepare-keygen";
    const char *key_id;
    kp_curve c;
    unsigned n, t, index;
    int rc;
    if ((rc = get_key_id(e, &key_id, j, op)) != 0 || (rc = get_curve(e, &c, j, op)) != 0 ||
        (rc = get_shape(e, &n, &t, &index, "index", j, op)) != 0)
        return rc;
    const cJSON *dealings = cJSON_GetObjectItemCaseSensitive(j, "dealings");
    if (!cJSON_IsArray(dealings) || (unsigned)cJSON_GetArraySize(dealings) != n)
        return ks_fail(e, 400, "%s: dealings must be an array of the n = %u dealers' dealings", op, n);
    size_t pk_len = kp_public_key_bytes(c), key_len = strlen(key_id), pt_len = 32 + 8 + key_len;
    /* sum: [0, 32) the running sum of the dealt shares, [32, 64) the next one */
    uint8_t *sum = kp_secure_alloc(64), *pt = kp_secure_alloc(pt_len), *commitments = malloc((size_t)t * pk_len);
    uint8_t group[KP_PUBKEY_MAX_BYTES], mine[KP_PUBKEY_MAX_BYTES], next[KP_PUBKEY_MAX_BYTES];
    uint8_t *ct = NULL;
    size_t ct_len = 0;
    if (sum == NULL || pt == NULL || commitments == NULL) {
        rc = ks_fail(e, 500, "out of memory");
        goto done;
    }
    unsigned d = 1;
    for (const cJSON *dl = dealings->child; dl != NULL; dl = dl->next, d++) {
        char what[64];
        snprintf(what, sizeof what, "%s: dealings[%u]", op, d - 1);
        const char *hex;
        kp_status st;
        if (!cJSON_IsObject(dl)) {
            rc = ks_fail(e, 400, "%s must be an object", what);
            goto done;
        }
        if ((rc = ks_json_str(e, &hex, dl, what, "commitments", 1)) != 0) goto done;
        if ((st = kp_bytes_from_hex(commitments, (size_t)t * pk_len, hex, strlen(hex))) != KP_OK) {
            rc = ks_fail(e, 400, "%s: commitments must be %zu hex digits (t = %u public keys)", what, 2 * t * pk_len, t);
            goto done;
        }
        free(ct);
        ct = NULL;
        if ((rc = get_b64(e, &ct, &ct_len, dl, what, "share")) != 0) goto done;
        if (ct_len != pt_len + KP_ENVELOPE_OVERHEAD ||
            (st = kp_envelope_open(s->ctx, pt, ENC_SECRET(s), ct, ct_len)) != KP_OK) {
            rc = ks_fail(e, 400, "%s: the share dealt by signer %u does not open with this signer's key", what, d);
            goto done;
        }
        if (get_u32(pt + 32) != d || get_u32(pt + 36) != index || memcmp(pt + DEALT_HEADER, key_id, key_len) != 0) {
            rc = ks_fail(e, 400, "%s: the share dealt by signer %u was made for another dealing, recipient or key", what,
                         d);
            goto done;
        }
        if ((st = kp_vss_check(s->ctx, c, t, commitments, index, pt)) != KP_OK) {
            rc = ks_fail_kp(e, 400, st, "%s: the share dealt by signer %u does not match its commitments", what, d);
            goto done;
        }
        if ((st = kp_vss_public(s->ctx, d == 1 ? group : mine, c, t, commitments, 0)) != KP_OK ||
            (d > 1 && (st = kp_public_key_add(s->ctx, next, c, group, mine)) != KP_OK)) {
            rc = ks_fail_kp(e, 400, st, "%s: adding dealer %u's commitment to the group key", what, d);
            goto done;
        }
        if (d > 1) memcpy(group, next, pk_len); /* no output aliases an input (keyport.h does not allow it) */
        /* into a separate buffer: kp_scalar_add zeroes its output before it reads its inputs, so
         * kp_scalar_add(sum, c, sum, pt) would lose the sum (reported to libcore) */
        if (d == 1) {
            memcpy(sum, pt, 32);
        } else if ((st = kp_scalar_add(sum + 32, c, sum, pt)) != KP_OK) {
            rc = ks_fail_kp(e, 500, st, "%s: adding the share dealt by signer %u", what, d);
            goto done;
        } else {
            memcpy(sum, sum + 32, 32);
        }
    }
    if ((rc = store_pending(e, s, key_id, c, index, n, t, group, pk_len, sum)) == 0)
        rc = add_pub_answer(e, s, out, c, group, pk_len, NULL, sum);
done:
    kp_secure_free(sum);
    kp_secure_free(pt);
    free(commitments);
    free(ct);
    return rc;
}

static int op_commit(ks_err *e, ks_signer *s, const cJSON *j, kp_buf *out)
{
    const char *key_id;
    int rc;
    if ((rc = get_key_id(e, &key_id, j, "commit")) != 0) return rc;
    sqlite3_stmt *q = NULL;
    pthread_mutex_lock(&s->lock);
    if ((rc = ks_db_exec(e, s->db, "commit: starting a transaction", "BEGIN IMMEDIATE")) != 0) goto unlock;
    if ((rc = ks_db_prepare(e, s->db, &q,
                            "INSERT INTO shares SELECT * FROM pending WHERE key_id = ?1"
                            " AND NOT EXISTS (SELECT 1 FROM shares WHERE key_id = ?1)")) != 0)
        goto rollback;
    sqlite3_bind_text(q, 1, key_id, -1, SQLITE_STATIC);
    if (sqlite3_step(q) != SQLITE_DONE) {
        rc = ks_fail(e, 500, "commit: cannot move the share of key %s: %s", key_id, sqlite3_errmsg(s->db));
        goto rollback;
    }
    sqlite3_finalize(q);
    if ((rc = ks_db_prepare(e, s->db, &q, "DELETE FROM pending WHERE key_id = ?")) != 0) goto rollback;
    sqlite3_bind_text(q, 1, key_id, -1, SQLITE_STATIC);
    sqlite3_step(q);
    sqlite3_finalize(q);
    if ((rc = ks_db_prepare(e, s->db, &q, "SELECT 1 FROM shares WHERE key_id = ?")) != 0) goto rollback;
    sqlite3_bind_text(q, 1, key_id, -1, SQLITE_STATIC);
    int held = sqlite3_step(q) == SQLITE_ROW;
    sqlite3_finalize(q);
    q = NULL;
    if (!held) {
        rc = ks_fail(e, 404, "commit: this signer has no pending or committed share of key %s", key_id);
        goto rollback;
    }
    if ((rc = ks_db_exec(e, s->db, "commit", "COMMIT")) != 0) goto rollback;
    pthread_mutex_unlock(&s->lock);
    return kp_buf_addstr(out, "{\"state\":\"committed\"}") == KP_OK ? 0 : ks_fail(e, 500, "out of memory");
rollback:
    sqlite3_finalize(q);
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
unlock:
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static int op_abort(ks_err *e, ks_signer *s, const cJSON *j, kp_buf *out)
{
    const char *key_id;
    int rc;
    if ((rc = get_key_id(e, &key_id, j, "abort")) != 0) return rc;
    sqlite3_stmt *q = NULL;
    pthread_mutex_lock(&s->lock);
    if ((rc = ks_db_prepare(e, s->db, &q, "DELETE FROM pending WHERE key_id = ?")) == 0) {
        sqlite3_bind_text(q, 1, key_id, -1, SQLITE_STATIC);
        if (sqlite3_step(q) != SQLITE_DONE)
            rc = ks_fail(e, 500, "abort: cannot drop the pending share of key %s: %s", key_id, sqlite3_errmsg(s->db));
    }
    sqlite3_finalize(q);
    pthread_mutex_unlock(&s->lock);
    if (rc == 0 && kp_buf_addstr(out, "{\"state\":\"aborted\"}") != KP_OK) rc = ks_fail(e, 500, "out of memory");
    return rc;
}

/* The API archived the key: this signer never exports its share again (idempotent). */
static int op_archive(ks_err *e, ks_signer *s, const cJSON *j, kp_buf *out)
{
    const char *key_id;
    int rc;
    if ((rc = get_key_id(e, &key_id, j, "archive")) != 0) return rc;
    sqlite3_stmt *q = NULL;
    pthread_mutex_lock(&s->lock);
    if ((rc = ks_db_prepare(e, s->db, &q, "INSERT OR IGNORE INTO archived(key_id, at) VALUES(?, strftime('%s', 'now'))")) == 0) {
        sqlite3_bind_text(q, 1, key_id, -1, SQLITE_STATIC);
        if (sqlite3_step(q) != SQLITE_DONE)
            rc = ks_fail(e, 500, "archive: cannot record key %s as archived: %s", key_id, sqlite3_errmsg(s->db));
    }
    sqlite3_finalize(q);
    pthread_mutex_unlock(&s->lock);
    if (rc == 0 && kp_buf_addstr(out, "{\"state\":\"archived\"}") != KP_OK) rc = ks_fail(e, 500, "out of memory");
    return rc;
}

/* The committed share of key_id, opened into share (32 bytes of secure memory), with its curve,
 * 1-based index and group key (pub, KP_PUBKEY_MAX_BYTES). 404 when this signer holds none, 409
 * when the key is archived: an archived key's share never leaves, and never signs, again. */
static int load_share(ks_err *e, ks_signer *s, const char *op, const char *key_id, kp_curve *curve, unsigned *index,
                      uint8_t *pub, size_t *pub_len, uint8_t *share)
{
    sqlite3_stmt *q = NULL;
    kp_buf sealed;
    kp_buf_init(&sealed, 0);
    int rc, found = 0, archived = 0;
    pthread_mutex_lock(&s->lock);
    if ((rc = ks_db_prepare(e, s->db, &q,
                            "SELECT curve, idx, sealed, EXISTS (SELECT 1 FROM archived WHERE key_id = ?1), public_key"
                            " FROM shares WHERE key_id = ?1")) == 0) {
        sqlite3_bind_text(q, 1, key_id, -1, SQLITE_STATIC);
        if (sqlite3_step(q) == SQLITE_ROW) {
            found = 1;
            archived = sqlite3_column_int(q, 3);
            *curve = (kp_curve)sqlite3_column_int(q, 0);
            *index = (unsigned)sqlite3_column_int(q, 1);
            *pub_len = (size_t)sqlite3_column_bytes(q, 4);
            if (*pub_len > KP_PUBKEY_MAX_BYTES) *pub_len = 0;
            if (*pub_len) memcpy(pub, sqlite3_column_blob(q, 4), *pub_len);
            if (kp_buf_add(&sealed, sqlite3_column_blob(q, 2), (size_t)sqlite3_column_bytes(q, 2)) != KP_OK)
                rc = ks_fail(e, 500, "out of memory");
        }
    }
    sqlite3_finalize(q);
    pthread_mutex_unlock(&s->lock);
    if (rc == 0 && !found) rc = ks_fail(e, 404, "%s: this signer holds no share of key %s", op, key_id);
    if (rc == 0 && archived)
        rc = ks_fail(e, 409, "%s: key %s is archived: this signer never uses its share again", op, key_id);
    if (rc == 0 && (sealed.len != 32 + KP_AT_REST_OVERHEAD ||
                    kp_at_rest_open(share, STORAGE_KEY(s), (const uint8_t *)key_id, strlen(key_id), sealed.data,
                                    sealed.len) != KP_OK))
        rc = ks_fail(e, 500, "%s: the stored share of key %s does not open with the storage key of %s", op, key_id, s->dir);
    kp_buf_release(&sealed);
    return rc;
}

/* API.md POST /keys/{keyId}/export: the signer seals its own share to the requester's key. */
static int op_export(ks_err *e, ks_signer *s, const cJSON *j, kp_buf *out)
{
    static const char op[] = "export";
    const char *key_id, *ek_b64;
    uint8_t ek[33], pub[KP_PUBKEY_MAX_BYTES];
    size_t pub_len = 0;
    kp_curve curve;
    unsigned index = 0;
    int rc;
    if ((rc = get_key_id(e, &key_id, j, op)) != 0 || (rc = ks_json_str(e, &ek_b64, j, op, "encryptionKey", 1)) != 0)
        return rc;
    kp_status st = kp_encryption_key_decode(s->ctx, ek, ek_b64, strlen(ek_b64));
    if (st != KP_OK) return ks_fail_kp(e, 400, st, "%s: encryptionKey", op);
    uint8_t *share = kp_secure_alloc(32);
    if (share == NULL) return ks_fail(e, 500, "out of secure memory");
    kp_buf ct;
    kp_buf_init(&ct, 0);
    if ((rc = load_share(e, s, op, key_id, &curve, &index, pub, &pub_len, share)) != 0) goto done;
    uint8_t xb[32];
    kp_scalar_from_u64(xb, (uint64_t)index); /* keyportd's signers hold 1..n */
    if ((st = kp_export_seal_share(s->ctx, &ct, ek, curve, xb, share)) != KP_OK) {
        rc = ks_fail_kp(e, 500, st, "%s: sealing the share of key %s", op, key_id);
        goto done;
    }
    if (kp_buf_addstr(out, "{\"signerId\":\"") != KP_OK || ks_buf_addb64(out, s->id, sizeof s->id) != KP_OK ||
        kp_buf_addstr(out, "\",\"encryptedKeyShare\":\"") != KP_OK || ks_buf_addb64(out, ct.data, ct.len) != KP_OK ||
        kp_buf_addstr(out, "\"}") != KP_OK)
        rc = ks_fail(e, 500, "out of memory");
done:
    kp_secure_free(share);
    kp_buf_release(&ct);
    return rc;
}

/* ---------------------------------------------------------------- FROST signing (API.md "Signing") */

#define NONCE_TTL 300 /* seconds a round-one commitment waits for its round two */
#define KS_STR_(x) #x
#define KS_STR(x) KS_STR_(x)
#define SIGN_MSG_MAX 65536

/* Libkeyport's shares are big-endian scalars (docs/wire.md §2); FROST(Ed25519) reads little-endian. */
static void reverse32(uint8_t *out, const uint8_t *in)
{
    for (size_t i = 0; i < 32; i++) out[i] = in[31 - i];
}

/* Round one (RFC 9591 §5.1): two hedged nonces, sealed at rest and recorded, synced, before their
 * commitments are answered; and this signer's public share, share·G. */
static int op_sign_commit(ks_err *e, ks_signer *s, const cJSON *j, kp_buf *out)
{
    static const char op[] = "sign-commit";
    const char *key_id, *signing_id;
    uint8_t pub[KP_PUBKEY_MAX_BYTES], mine[KP_PUBKEY_MAX_BYTES], com[66];
    size_t pub_len = 0, mine_len = 0, plen = 0;
    kp_curve curve;
    unsigned index = 0;
    int rc;
    if ((rc = get_key_id(e, &key_id, j, op)) != 0 || (rc = get_id(e, &signing_id, j, op, "signingId")) != 0) return rc;
    /* [0, 32) the share, [32, 64) its little-endian form, [64, 128) the hiding and binding nonces */
    uint8_t *sec = kp_secure_alloc(128);
    if (sec == NULL) return ks_fail(e, 500, "out of secure memory");
    kp_buf sealed;
    kp_buf_init(&sealed, 0);
    if ((rc = load_share(e, s, op, key_id, &curve, &index, pub, &pub_len, sec)) != 0) goto done;
    kp_status st = kp_public_key(s->ctx, mine, &mine_len, curve, sec);
    if (st == KP_OK && curve == KP_CURVE_ED25519) {
        plen = 32;
        reverse32(sec + 32, sec);
        if ((st = kp_frost_ed25519_nonce(sec + 64, NULL, sec + 32)) == KP_OK &&
            (st = kp_frost_ed25519_nonce(sec + 96, NULL, sec + 32)) == KP_OK &&
            (st = kp_frost_ed25519_commit(com, sec + 64)) == KP_OK)
            st = kp_frost_ed25519_commit(com + 32, sec + 96);
    } else if (st == KP_OK && curve == KP_CURVE_SECP256K1) {
        plen = 33;
        if ((st = kp_frost_secp256k1_nonce(s->ctx, sec + 64, NULL, sec)) == KP_OK &&
            (st = kp_frost_secp256k1_nonce(s->ctx, sec + 96, NULL, sec)) == KP_OK &&
            (st = kp_frost_secp256k1_commit(s->ctx, com, sec + 64)) == KP_OK)
            st = kp_frost_secp256k1_commit(s->ctx, com + 33, sec + 96);
    } else if (st == KP_OK) {
        rc = ks_fail(e, 501, "%s: key %s is on %s; FROST signs ed25519 and secp256k1 keys", op, key_id,
                     kp_curve_name(curve));
        goto done;
    }
    if (st != KP_OK) {
        rc = ks_fail_kp(e, 500, st, "%s: making the nonces for key %s", op, key_id);
        goto done;
    }
    if ((st = kp_at_rest_seal(&sealed, STORAGE_KEY(s), (const uint8_t *)signing_id, strlen(signing_id), sec + 64,
                              64)) != KP_OK) {
        rc = ks_fail_kp(e, 500, st, "%s: sealing the nonces", op);
        goto done;
    }
    sqlite3_stmt *q = NULL;
    pthread_mutex_lock(&s->lock);
    /* commitments whose round two never came are dropped when they expire */
    sqlite3_exec(s->db, "UPDATE sign_nonces SET state = 'discarded', sealed = NULL WHERE state = 'issued'"
                        " AND created < strftime('%s', 'now') - " KS_STR(NONCE_TTL), NULL, NULL, NULL);
    if ((rc = ks_db_prepare(e, s->db, &q,
                            "INSERT INTO sign_nonces(commitment, key_id, signing_id, state, sealed, run, created)"
                            " VALUES(?, ?, ?, 'issued', ?, ?, strftime('%s', 'now'))")) == 0) {
        sqlite3_bind_blob(q, 1, com, (int)(2 * plen), SQLITE_STATIC);
        sqlite3_bind_text(q, 2, key_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, signing_id, -1, SQLITE_STATIC);
        sqlite3_bind_blob(q, 4, sealed.data, (int)sealed.len, SQLITE_STATIC);
        sqlite3_bind_int64(q, 5, s->run);
        int step = sqlite3_step(q);
        if (step == SQLITE_CONSTRAINT)
            rc = ks_fail(e, 409, "%s: signingId %s, or these commitments, were used before: nothing is signed twice",
                         op, signing_id);
        else if (step != SQLITE_DONE)
            rc = ks_fail(e, 500, "%s: cannot record the nonces: %s", op, sqlite3_errmsg(s->db));
    }
    sqlite3_finalize(q);
    pthread_mutex_unlock(&s->lock);
    if (rc != 0) goto done;
    char h[67], b[67], p[2 * KP_PUBKEY_MAX_BYTES + 1];
    ks_hex(h, com, plen);
    ks_hex(b, com + plen, plen);
    ks_hex(p, mine, mine_len);
    if (ks_buf_addf(out, "{\"id\":%u,\"hiding\":\"%s\",\"binding\":\"%s\",\"publicShare\":\"%s\"}", index, h, b, p) !=
        KP_OK)
        rc = ks_fail(e, 500, "out of memory");
done:
    kp_secure_free(sec);
    kp_buf_release(&sealed);
    return rc;
}

/* The test hook of API.md: KEYPORTD_TEST_BAD_SHARE=<position> makes that signer answer a wrong share. */
static unsigned bad_share_position(void)
{
    const char *v = getenv("KEYPORTD_TEST_BAD_SHARE");
    return v ? (unsigned)strtoul(v, NULL, 10) : 0;
}

/* Reads the commitment list of round two, sorted by id; plen is 32 (ed25519) or 33. */
static int get_commitments(ks_err *e, kp_frost_secp_commitment *list, size_t *n, const cJSON *j, const char *op,
                           size_t plen)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "commitments");
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) < 2 || cJSON_GetArraySize(a) > KP_MAX_SIGNERS)
        return ks_fail(e, 400, "%s: commitments must be an array of 2 to %d signers' commitments", op, KP_MAX_SIGNERS);
    *n = 0;
    for (const cJSON *c = a->child; c != NULL; c = c->next, (*n)++) {
        char what[64];
        const char *h, *b;
        unsigned id;
        snprintf(what, sizeof what, "%s: commitments[%zu]", op, *n);
        if (!cJSON_IsObject(c)) return ks_fail(e, 400, "%s must be an object", what);
        if (ks_json_uint(e, &id, c, what, "id", 1, 65535) != 0 || ks_json_str(e, &h, c, what, "hiding", 1) != 0 ||
            ks_json_str(e, &b, c, what, "binding", 1) != 0)
            return 400;
        list[*n].id = (uint16_t)id;
        if (kp_bytes_from_hex(list[*n].hiding, plen, h, strlen(h)) != KP_OK ||
            kp_bytes_from_hex(list[*n].binding, plen, b, strlen(b)) != KP_OK)
            return ks_fail(e, 400, "%s: hiding and binding must be %zu hex digits", what, 2 * plen);
    }
    return 0;
}

/* Round two (RFC 9591 §5.2): the nonces of signingId are spent, and the spend synced, before the
 * share is computed; a second round two for them finds nothing to sign with. */
static int op_sign_share(ks_err *e, ks_signer *s, const cJSON *j, kp_buf *out)
{
    static const char op[] = "sign-share";
    const char *key_id, *signing_id, *msg_hex;
    uint8_t pub[KP_PUBKEY_MAX_BYTES], mine[66], z[32];
    uint8_t *msg = NULL;
    size_t pub_len = 0, n = 0, plen, mine_len = 0, msg_len;
    kp_curve curve;
    unsigned index = 0;
    int rc, bip340;
    kp_frost_secp_commitment *l = calloc(KP_MAX_SIGNERS, sizeof *l);
    kp_frost_commitment *led = calloc(KP_MAX_SIGNERS, sizeof *led);
    uint8_t *sec = kp_secure_alloc(128); /* the share (and its LE form), then the nonces */
    if (l == NULL || led == NULL || sec == NULL) {
        rc = ks_fail(e, 500, "out of memory");
        goto done;
    }
    if ((rc = get_key_id(e, &key_id, j, op)) != 0 || (rc = get_id(e, &signing_id, j, op, "signingId")) != 0 ||
        (rc = ks_json_str(e, &msg_hex, j, op, "message", 1)) != 0)
        goto done;
    msg_len = strlen(msg_hex) / 2;
    if (strlen(msg_hex) % 2 || msg_len > SIGN_MSG_MAX || (msg = malloc(msg_len + 1)) == NULL ||
        (msg_len > 0 && kp_bytes_from_hex(msg, msg_len, msg_hex, strlen(msg_hex)) != KP_OK)) {
        rc = ks_fail(e, 400, "%s: message must be hex of at most %d bytes", op, SIGN_MSG_MAX);
        goto done;
    }
    if ((rc = load_share(e, s, op, key_id, &curve, &index, pub, &pub_len, sec)) != 0) goto done;
    bip340 = curve == KP_CURVE_SECP256K1;
    plen = bip340 ? 33 : 32;
    if ((curve != KP_CURVE_ED25519 && !bip340) || pub_len != plen) {
        rc = ks_fail(e, 501, "%s: key %s cannot be signed with FROST here", op, key_id);
        goto done;
    }
    if ((rc = get_commitments(e, l, &n, j, op, plen)) != 0) goto done;
    for (size_t i = 0; i < n; i++)
        if (l[i].id == index) {
            memcpy(mine, l[i].hiding, plen);
            memcpy(mine + plen, l[i].binding, plen);
            mine_len = 2 * plen;
        }
    if (mine_len == 0) {
        rc = ks_fail(e, 400, "%s: the commitments do not list this signer (id %u)", op, index);
        goto done;
    }

    /* spend first: from this commit on, these nonces are gone whatever happens next */
    kp_buf sealed;
    kp_buf_init(&sealed, 0);
    sqlite3_stmt *q = NULL;
    pthread_mutex_lock(&s->lock);
    if ((rc = ks_db_exec(e, s->db, "sign-share: starting a transaction", "BEGIN IMMEDIATE")) == 0) {
        if ((rc = ks_db_prepare(e, s->db, &q,
                                "SELECT sealed FROM sign_nonces WHERE signing_id = ? AND key_id = ? AND commitment = ?"
                                " AND state = 'issued' AND run = ? AND created >= strftime('%s', 'now') - ?")) == 0) {
            sqlite3_bind_text(q, 1, signing_id, -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 2, key_id, -1, SQLITE_STATIC);
            sqlite3_bind_blob(q, 3, mine, (int)mine_len, SQLITE_STATIC);
            sqlite3_bind_int64(q, 4, s->run);
            sqlite3_bind_int(q, 5, NONCE_TTL);
            if (sqlite3_step(q) == SQLITE_ROW)
                rc = kp_buf_add(&sealed, sqlite3_column_blob(q, 0), (size_t)sqlite3_column_bytes(q, 0)) == KP_OK
                         ? 0 : ks_fail(e, 500, "out of memory");
            else
                rc = ks_fail(e, 409, "%s: signer %u has no unused nonces for signingId %s with these commitments "
                                     "(answered already, expired, discarded at a restart, or never made): a nonce "
                                     "is used once",
                             op, index, signing_id);
        }
        sqlite3_finalize(q);
        q = NULL;
        if (rc == 0 && (rc = ks_db_prepare(e, s->db, &q,
                                           "UPDATE sign_nonces SET state = 'spent', sealed = NULL WHERE signing_id = ?"))
                           == 0) {
            sqlite3_bind_text(q, 1, signing_id, -1, SQLITE_STATIC);
            if (sqlite3_step(q) != SQLITE_DONE) rc = ks_fail(e, 500, "%s: cannot spend the nonces: %s", op, sqlite3_errmsg(s->db));
        }
        sqlite3_finalize(q);
        if (rc == 0) rc = ks_db_exec(e, s->db, "sign-share: spending the nonces", "COMMIT");
        if (rc != 0) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    }
    pthread_mutex_unlock(&s->lock);
    if (rc == 0 && (sealed.len != 64 + KP_AT_REST_OVERHEAD ||
                    kp_at_rest_open(sec + 64, STORAGE_KEY(s), (const uint8_t *)signing_id, strlen(signing_id),
                                    sealed.data, sealed.len) != KP_OK))
        rc = ks_fail(e, 500, "%s: the nonces of %s do not open with the storage key", op, signing_id);
    kp_buf_release(&sealed);
    if (rc != 0) goto done;

    kp_status st;
    if (bip340) {
        st = kp_frost_bip340_sign_share(s->ctx, z, (uint16_t)index, sec + 64, sec + 96, sec, pub, l, n, msg, msg_len);
    } else {
        for (size_t i = 0; i < n; i++) {
            led[i].id = l[i].id;
            memcpy(led[i].hiding, l[i].hiding, 32);
            memcpy(led[i].binding, l[i].binding, 32);
        }
        reverse32(sec + 32, sec);
        st = kp_frost_ed25519_sign_share(z, (uint16_t)index, sec + 64, sec + 96, sec + 32, pub, led, n, msg, msg_len);
    }
    if (st != KP_OK) {
        rc = ks_fail_kp(e, 400, st, "%s: signer %u cannot make its share", op, index);
        goto done;
    }
    if (bad_share_position() == index) z[0] ^= 1;
    char zh[65];
    ks_hex(zh, z, 32);
    if (ks_buf_addf(out, "{\"id\":%u,\"share\":\"%s\"}", index, zh) != KP_OK) rc = ks_fail(e, 500, "out of memory");
done:
    kp_secure_free(sec);
    free(l);
    free(led);
    free(msg);
    return rc;
}

int ks_signer_call(ks_err *e, ks_signer *s, const char *op, const char *body, size_t len, kp_buf *out)
{
    static const struct {
        const char *name;
        int (*fn)(ks_err *e, ks_signer *s, const cJSON *j, kp_buf *out);
    } ops[] = {
        {"info", op_info},     {"prepare-import", op_prepare_import}, {"deal", op_deal},
        {"prepare-keygen", op_prepare_keygen}, {"commit", op_commit}, {"abort", op_abort},
        {"export", op_export}, {"archive", op_archive}, {"sign-commit", op_sign_commit},
        {"sign-share", op_sign_share},
    };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        if (strcmp(op, ops[i].name) != 0) continue;
        char what[64];
        cJSON *j = NULL;
        snprintf(what, sizeof what, "the body of signer operation %s", op);
        if (ks_json_parse(e, &j, what, body, len) != 0) return 400;
        int rc = ops[i].fn(e, s, j, out);
        cJSON_Delete(j);
        return rc;
    }
    return ks_fail(e, 404, "unknown signer operation \"%.40s\"", op);
}
