/* keys.c: import, key generation, export and archive, and the two-phase commit (API.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

typedef ks_key_row key_row;

/* ---------------------------------------------------------------- the key object */

static void copy_col(char *out, size_t cap, sqlite3_stmt *q, int col)
{
    const unsigned char *t = sqlite3_column_text(q, col);
    snprintf(out, cap, "%s", t ? (const char *)t : "");
}

#define KEY_COLUMNS                                                                                                  \
    "SELECT id, name, curve, protocol, public_key, min_signers, signers, status, imported, exported, date_created,"  \
    " date_exported, date_archived FROM keys"

static void read_row(sqlite3_stmt *q, key_row *k)
{
    memset(k, 0, sizeof *k);
    copy_col(k->id, sizeof k->id, q, 0);
    k->has_name = sqlite3_column_type(q, 1) != SQLITE_NULL;
    copy_col(k->name, sizeof k->name, q, 1);
    copy_col(k->curve, sizeof k->curve, q, 2);
    copy_col(k->protocol, sizeof k->protocol, q, 3);
    copy_col(k->pub_hex, sizeof k->pub_hex, q, 4);
    k->t = (unsigned)sqlite3_column_int(q, 5);
    k->n = (unsigned)sqlite3_column_int(q, 6);
    copy_col(k->status, sizeof k->status, q, 7);
    k->imported = sqlite3_column_int(q, 8);
    k->exported = sqlite3_column_int(q, 9);
    copy_col(k->created, sizeof k->created, q, 10);
    copy_col(k->exported_at, sizeof k->exported_at, q, 11);
    copy_col(k->archived_at, sizeof k->archived_at, q, 12);
}

int ks_key_load(ks_err *e, ks_api *api, const char *id, key_row *k, int listed_only)
{
    sqlite3_stmt *q = NULL;
    int rc;
    memset(k, 0, sizeof *k);
    pthread_mutex_lock(&api->db_lock);
    if ((rc = ks_db_prepare(e, api->db, &q, KEY_COLUMNS " WHERE id = ?")) == 0) {
        sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
        if (sqlite3_step(q) == SQLITE_ROW) read_row(q, k);
    }
    sqlite3_finalize(q);
    pthread_mutex_unlock(&api->db_lock);
    if (rc != 0) return rc;
    if (k->id[0] == 0 || (listed_only && strcmp(k->status, "Pending") == 0)) {
        char shown[KS_KEY_ID_MAX];
        snprintf(shown, sizeof shown, "%s", id);
        ks_utf8_clean(shown);
        return ks_fail(e, 404, "no key %s in this cluster", shown);
    }
    return 0;
}

static kp_status add_opt_str(kp_buf *b, const char *s, int present)
{
    return present && s[0] ? kp_buf_addjstr(b, s, strlen(s)) : kp_buf_addstr(b, "null");
}

/* The new key's row, for an import or a key generation (its id is set by the caller). */
static void key_row_fill(key_row *k, const uint8_t *pub, size_t pub_len, const char *name, kp_curve c, kp_protocol p,
                         unsigned t, unsigned n, int imported)
{
    ks_hex(k->pub_hex, pub, pub_len);
    k->has_name = name != NULL;
    if (name != NULL) snprintf(k->name, sizeof k->name, "%s", name);
    snprintf(k->curve, sizeof k->curve, "%s", kp_curve_name(c));
    snprintf(k->protocol, sizeof k->protocol, "%s", kp_protocol_name(p));
    k->t = t;
    k->n = n;
    k->imported = imported;
    ks_iso_now(k->created);
}

/* The key object, fields in API.md's order. */
static kp_status key_write(kp_buf *b, const key_row *k)
{
    kp_status st;
    if ((st = ks_buf_addf(b, "{\"id\":\"%s\",\"name\":", k->id)) != KP_OK ||
        (st = k->has_name ? kp_buf_addjstr(b, k->name, strlen(k->name)) : kp_buf_addstr(b, "null")) != KP_OK ||
        (st = ks_buf_addf(b, ",\"curve\":\"%s\",\"protocol\":\"%s\",\"publicKey\":\"%s\",\"minSigners\":%u,"
                             "\"status\":\"%s\",\"imported\":%s,\"exported\":%s,\"dateCreated\":\"%s\",\"dateExported\":",
                          k->curve, k->protocol, k->pub_hex, k->t, k->status, k->imported ? "true" : "false",
                          k->exported ? "true" : "false", k->created)) != KP_OK ||
        (st = add_opt_str(b, k->exported_at, 1)) != KP_OK || (st = kp_buf_addstr(b, ",\"dateArchived\":")) != KP_OK ||
        (st = add_opt_str(b, k->archived_at, 1)) != KP_OK)
        return st;
    return kp_buf_addstr(b, "}");
}

int ks_key_json(ks_err *e, ks_api *api, const char *key_id, kp_buf *out)
{
    key_row k;
    int rc = ks_key_load(e, api, key_id, &k, 1);
    if (rc != 0) return rc;
    return key_write(out, &k) == KP_OK ? 0 : ks_fail(e, 500, "out of memory");
}

int ks_keys_list(ks_err *e, ks_api *api, kp_buf *out)
{
    sqlite3_stmt *q = NULL;
    int rc;
    size_t n = 0;
    if (kp_buf_addstr(out, "{\"items\":[") != KP_OK) return ks_fail(e, 500, "out of memory");
    pthread_mutex_lock(&api->db_lock);
    if ((rc = ks_db_prepare(e, api->db, &q, KEY_COLUMNS " WHERE status IN ('Active', 'Archived') ORDER BY rowid")) == 0) {
        int step;
        while (rc == 0 && (step = sqlite3_step(q)) == SQLITE_ROW) {
            key_row k;
            read_row(q, &k);
            if ((n++ && kp_buf_addstr(out, ",") != KP_OK) || key_write(out, &k) != KP_OK) rc = ks_fail(e, 500, "out of memory");
        }
        if (rc == 0 && step != SQLITE_DONE) rc = ks_fail(e, 500, "cannot list the keys: %s", sqlite3_errmsg(api->db));
    }
    sqlite3_finalize(q);
    pthread_mutex_unlock(&api->db_lock);
    if (rc == 0 && kp_buf_addstr(out, "]}") != KP_OK) rc = ks_fail(e, 500, "out of memory");
    return rc;
}

/* ---------------------------------------------------------------- calling the signers */

static kp_status add_key_field(kp_buf *b, const char *key_id)
{
    return ks_buf_addf(b, "{\"keyId\":\"%s\"", key_id);
}

int ks_signer_ask(ks_err *e, ks_api *api, size_t i, const char *op, const kp_buf *body, cJSON **answer)
{
    ks_link *l = &api->signers[i];
    kp_buf out;
    ks_err why = {0};
    kp_buf_init(&out, 0);
    *answer = NULL;
    int rc = ks_link_call(&why, l, op, body->data ? (const char *)body->data : "{}", body->len, &out);
    if (rc == 0 && ks_json_parse(&why, answer, "a signer's answer", (const char *)out.data, out.len) != 0) rc = 502;
    kp_buf_release(&out);
    if (rc != 0) ks_fail(e, rc, "signer %u (%s): %s", l->index, l->id_b64, why.msg);
    return rc;
}

/* commit or abort on every signer; returns how many did not answer yes (and the last message in e). */
static size_t call_all(ks_err *e, ks_api *api, const char *op, const char *key_id, const char *crash_after_first)
{
    kp_buf body;
    size_t failed = 0;
    kp_buf_init(&body, 0);
    add_key_field(&body, key_id);
    kp_buf_addstr(&body, "}");
    for (size_t i = 0; i < api->n; i++) {
        cJSON *a = NULL;
        if (ks_signer_ask(e, api, i, op, &body, &a) != 0) {
            ks_log("%s of key %s: %s", op, key_id, e->msg);
            failed++;
        } else if (i == 0 && crash_after_first != NULL) {
            ks_crash_point(crash_after_first);
        }
        cJSON_Delete(a);
    }
    kp_buf_release(&body);
    return failed;
}

/* ---------------------------------------------------------------- the two-phase commit */

static int journal_insert(ks_err *e, ks_api *api, const char *key_id, const char *kind)
{
    sqlite3_stmt *q = NULL;
    int rc;
    pthread_mutex_lock(&api->db_lock);
    if ((rc = ks_db_prepare(e, api->db, &q,
                            "INSERT INTO journal(key_id, state, kind, created) VALUES(?, 'preparing', ?, ?)")) == 0) {
        sqlite3_bind_text(q, 1, key_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, kind, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, 3, ks_now());
        if (sqlite3_step(q) != SQLITE_DONE)
            rc = ks_fail(e, 500, "cannot write the journal row of key %s: %s", key_id, sqlite3_errmsg(api->db));
    }
    sqlite3_finalize(q);
    pthread_mutex_unlock(&api->db_lock);
    return rc;
}

static void journal_set(ks_api *api, const char *key_id, const char *sql)
{
    sqlite3_stmt *q = NULL;
    pthread_mutex_lock(&api->db_lock);
    if (sqlite3_prepare_v2(api->db, sql, -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_text(q, 1, key_id, -1, SQLITE_STATIC);
        if (sqlite3_step(q) != SQLITE_DONE) ks_log("journal of key %s: %s", key_id, sqlite3_errmsg(api->db));
    }
    sqlite3_finalize(q);
    pthread_mutex_unlock(&api->db_lock);
}

/* Presumed abort: every signer drops its pending share; the journal row goes once all have. */
static size_t abort_all(ks_api *api, const char *key_id)
{
    ks_err e = {0};
    size_t failed = call_all(&e, api, "abort", key_id, NULL);
    if (failed == 0)
        journal_set(api, key_id, "DELETE FROM journal WHERE key_id = ? AND state != 'committing'");
    else
        journal_set(api, key_id, "UPDATE journal SET state = 'aborting' WHERE key_id = ? AND state = 'preparing'");
    return failed;
}

/* Step 3, the decision: the journal row becomes 'committing' in the same transaction that writes the
 * key (Pending) and spends the approvals. */
static int decide(ks_err *e, ks_api *api, const ks_authz *z, const key_row *k, const char *event, const char *actors,
                  const char *details, const uint8_t (*pubshares)[KP_PUBKEY_MAX_BYTES])
{
    sqlite3_stmt *q = NULL;
    int rc;
    pthread_mutex_lock(&api->db_lock);
    if ((rc = ks_db_exec(e, api->db, "the decision", "BEGIN IMMEDIATE")) != 0) goto unlock;
    if ((rc = ks_db_prepare(e, api->db, &q,
                            "UPDATE journal SET state = 'committing', event = ?, public_key = ?, actors = ?, details = ?"
                            " WHERE key_id = ? AND state = 'preparing'")) != 0)
        goto rollback;
    sqlite3_bind_text(q, 1, event, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, k->pub_hex, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, actors, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, details, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, k->id, -1, SQLITE_STATIC);
    if (sqlite3_step(q) != SQLITE_DONE || sqlite3_changes(api->db) != 1) {
        rc = ks_fail(e, 500, "cannot record the decision for key %s: %s", k->id, sqlite3_errmsg(api->db));
        goto rollback;
    }
    sqlite3_finalize(q);
    if ((rc = ks_db_prepare(e, api->db, &q,
                            "INSERT INTO keys(id, name, curve, protocol, public_key, min_signers, signers, status, imported,"
                            " exported, date_created) VALUES(?, ?, ?, ?, ?, ?, ?, 'Pending', ?, 0, ?)")) != 0)
        goto rollback;
    sqlite3_bind_text(q, 1, k->id, -1, SQLITE_STATIC);
    if (k->has_name)
        sqlite3_bind_text(q, 2, k->name, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(q, 2);
    sqlite3_bind_text(q, 3, k->curve, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, k->protocol, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, k->pub_hex, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 6, (int)k->t);
    sqlite3_bind_int(q, 7, (int)k->n);
    sqlite3_bind_int(q, 8, k->imported);
    sqlite3_bind_text(q, 9, k->created, -1, SQLITE_STATIC);
    if (sqlite3_step(q) != SQLITE_DONE) {
        rc = ks_fail(e, 500, "cannot write key %s: %s", k->id, sqlite3_errmsg(api->db));
        goto rollback;
    }
    sqlite3_finalize(q);
    q = NULL;
    /* each signer's public share, fixed with the key: signature shares are checked against it */
    if ((rc = ks_db_prepare(e, api->db, &q, "INSERT OR REPLACE INTO public_shares(key_id, position, point) VALUES(?, ?, ?)"))
        != 0)
        goto rollback;
    for (unsigned i = 0; i < k->n; i++) {
        sqlite3_reset(q);
        sqlite3_bind_text(q, 1, k->id, -1, SQLITE_STATIC);
        sqlite3_bind_int(q, 2, (int)i);
        sqlite3_bind_blob(q, 3, pubshares[i], (int)(strlen(k->pub_hex) / 2), SQLITE_STATIC);
        if (sqlite3_step(q) != SQLITE_DONE) {
            rc = ks_fail(e, 500, "cannot record the public shares of key %s: %s", k->id, sqlite3_errmsg(api->db));
            goto rollback;
        }
    }
    sqlite3_finalize(q);
    q = NULL;
    if ((rc = ks_authz_store_nonces(e, api, z)) != 0) goto rollback;
    if ((rc = ks_db_exec(e, api->db, "the decision", "COMMIT")) == 0) goto unlock;
rollback:
    sqlite3_finalize(q);
    sqlite3_exec(api->db, "ROLLBACK", NULL, NULL, NULL);
unlock:
    pthread_mutex_unlock(&api->db_lock);
    return rc;
}

typedef struct log_ids {
    const char *event;
    char (*ids)[KS_KEY_ID_MAX];
    size_t n, cap;
} log_ids;

static int collect_ids(const kp_audit_entry *en, void *data)
{
    log_ids *l = data;
    if (en->key_id == NULL || strcmp(en->event, l->event) != 0) return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        char(*p)[KS_KEY_ID_MAX] = realloc(l->ids, cap * sizeof *p);
        if (p == NULL) return 1;
        l->ids = p;
        l->cap = cap;
    }
    snprintf(l->ids[l->n++], KS_KEY_ID_MAX, "%s", en->key_id);
    return 0;
}

/* The key ids that have an `event` entry in the log. */
static void log_scan(ks_api *api, log_ids *l, const char *event)
{
    uint8_t *text = NULL;
    size_t len = 0;
    memset(l, 0, sizeof *l);
    l->event = event;
    pthread_mutex_lock(&api->audit_lock);
    if (ks_exists(api->audit_path) && ks_read_file(NULL, api->audit_path, (size_t)1 << 30, 0, &text, &len) == 0)
        kp_audit_entries((const char *)text, len, collect_ids, l);
    pthread_mutex_unlock(&api->audit_lock);
    ks_file_free(text, len, 0);
}

static int log_ids_has(const log_ids *l, const char *key_id)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->ids[i], key_id) == 0) return 1;
    return 0;
}

/* Appends the event recorded in the journal row (its actors are a JSON array of names). */
static void audit_from_journal(ks_api *api, const char *key_id, const char *event, const char *pub_hex,
                               const char *actors_json, const char *details)
{
    cJSON *a = NULL;
    ks_err why = {0};
    const char *text = actors_json ? actors_json : "[]";
    if (ks_json_parse_value(&why, &a, "the actors of a journal row", text, strlen(text)) != 0)
        ks_log("key %s: %s; its event is logged without actors", key_id, why.msg);
    const char *actors[64];
    size_t n = 0;
    for (const cJSON *c = a ? a->child : NULL; c != NULL && n < 64; c = c->next)
        if (cJSON_IsString(c)) actors[n++] = c->valuestring;
    ks_audit(api, event, key_id, pub_hex, actors, n, details);
    cJSON_Delete(a);
}

/* Steps 4 and 5: every signer commits, the event goes to the log, the key becomes Active.
 * recovering: the log may have the event already (a crash after appending it). */
static int finish(ks_err *e, ks_api *api, const char *key_id, const char *crash_after_first, int recovering)
{
    size_t failed = call_all(e, api, "commit", key_id, crash_after_first);
    if (failed > 0) {
        char why[KS_ERR_MAX];
        snprintf(why, sizeof why, "%s", e->msg);
        return ks_fail(e, 503, "key %s is decided, but %zu signers have not committed it yet (%s); it becomes Active "
                               "when they answer",
                       key_id, failed, why);
    }
    sqlite3_stmt *q = NULL;
    char event[32] = "", pub[PUB_HEX_MAX] = "";
    char *actors = NULL, *details = NULL;
    pthread_mutex_lock(&api->db_lock);
    if (sqlite3_prepare_v2(api->db, "SELECT event, public_key, actors, details FROM journal WHERE key_id = ?", -1, &q,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_text(q, 1, key_id, -1, SQLITE_STATIC);
        if (sqlite3_step(q) == SQLITE_ROW) {
            copy_col(event, sizeof event, q, 0);
            copy_col(pub, sizeof pub, q, 1);
            const unsigned char *t = sqlite3_column_text(q, 2);
            actors = t ? strdup((const char *)t) : NULL;
            t = sqlite3_column_text(q, 3);
            details = t ? strdup((const char *)t) : NULL;
        }
    }
    sqlite3_finalize(q);
    pthread_mutex_unlock(&api->db_lock);
    if (event[0]) {
        int have = 0;
        if (recovering) {
            log_ids l;
            log_scan(api, &l, event);
            have = log_ids_has(&l, key_id);
            free(l.ids);
        }
        if (!have) audit_from_journal(api, key_id, event, pub, actors, details);
    }
    free(actors);
    free(details);
    static const char *const steps[] = {"UPDATE keys SET status = 'Active' WHERE id = ? AND status = 'Pending'",
                                        "DELETE FROM journal WHERE key_id = ?"};
    int rc;
    pthread_mutex_lock(&api->db_lock);
    if ((rc = ks_db_exec(e, api->db, "activating the key", "BEGIN IMMEDIATE")) == 0) {
        for (size_t i = 0; rc == 0 && i < 2; i++) {
            if ((rc = ks_db_prepare(e, api->db, &q, steps[i])) != 0) break;
            sqlite3_bind_text(q, 1, key_id, -1, SQLITE_STATIC);
            if (sqlite3_step(q) != SQLITE_DONE)
                rc = ks_fail(e, 500, "cannot activate key %s: %s", key_id, sqlite3_errmsg(api->db));
            sqlite3_finalize(q);
        }
        if (rc == 0) rc = ks_db_exec(e, api->db, "activating the key", "COMMIT");
        if (rc != 0) sqlite3_exec(api->db, "ROLLBACK", NULL, NULL, NULL);
    }
    pthread_mutex_unlock(&api->db_lock);
    return rc;
}

/* API.md "Archiving": a key archived at the API is recorded as archived on every signer too, so
 * that no signer exports its share again. Rows of signer_archive are written in the transaction
 * that archives the key (db_lock held), and dropped as each signer records it. */
static int archive_rows(ks_err *e, ks_api *api, const char *key_id)
{
    sqlite3_stmt *q = NULL;
    if (ks_db_prepare(e, api->db, &q, "INSERT OR IGNORE INTO signer_archive(key_id, position) VALUES(?, ?)") != 0)
        return 500;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < api->n; i++) {
        sqlite3_bind_text(q, 1, key_id, -1, SQLITE_STATIC);
        sqlite3_bind_int(q, 2, (int)i);
        if (sqlite3_step(q) != SQLITE_DONE)
            rc = ks_fail(e, 500, "cannot record the archive of key %s for the signers: %s", key_id, sqlite3_errmsg(api->db));
        sqlite3_reset(q);
    }
    sqlite3_finalize(q);
    return rc;
}

/* Tells every signer still owed it that key_id is archived. Returns how many did not answer. */
static size_t archive_on_signers(ks_api *api, const char *key_id)
{
    sqlite3_stmt *q = NULL;
    int owed[KP_MAX_SIGNERS] = {0};
    size_t left = 0;
    pthread_mutex_lock(&api->db_lock);
    if (sqlite3_prepare_v2(api->db, "SELECT position FROM signer_archive WHERE key_id = ?", -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_text(q, 1, key_id, -1, SQLITE_STATIC);
        while (sqlite3_step(q) == SQLITE_ROW) {
            int pos = sqlite3_column_int(q, 0);
            if (pos >= 0 && (size_t)pos < api->n) owed[pos] = 1;
        }
    }
    sqlite3_finalize(q);
    pthread_mutex_unlock(&api->db_lock);
    kp_buf body;
    kp_buf_init(&body, 0);
    add_key_field(&body, key_id);
    kp_buf_addstr(&body, "}");
    for (size_t i = 0; i < api->n; i++) {
        if (!owed[i]) continue;
        ks_err e = {0};
        cJSON *a = NULL;
        int rc = ks_signer_ask(&e, api, i, "archive", &body, &a);
        cJSON_Delete(a);
        if (rc != 0) {
            left++;
            continue;
        }
        pthread_mutex_lock(&api->db_lock);
        if (sqlite3_prepare_v2(api->db, "DELETE FROM signer_archive WHERE key_id = ? AND position = ?", -1, &q, NULL) ==
            SQLITE_OK) {
            sqlite3_bind_text(q, 1, key_id, -1, SQLITE_STATIC);
            sqlite3_bind_int(q, 2, (int)i);
            sqlite3_step(q);
        }
        sqlite3_finalize(q);
        pthread_mutex_unlock(&api->db_lock);
    }
    kp_buf_release(&body);
    return left;
}

size_t ks_keys_recover(ks_api *api)
{
    sqlite3_stmt *q = NULL;
    char (*ids)[KS_KEY_ID_MAX] = NULL;
    int *committing = NULL;
    size_t n = 0, cap = 0, left = 0;
    pthread_mutex_lock(&api->db_lock);
    if (sqlite3_prepare_v2(api->db, "SELECT key_id, state FROM journal ORDER BY created", -1, &q, NULL) == SQLITE_OK)
        while (sqlite3_step(q) == SQLITE_ROW) {
            if (n == cap) {
                cap = cap ? 2 * cap : 16;
                char(*p)[KS_KEY_ID_MAX] = realloc(ids, cap * sizeof *p);
                int *c = realloc(committing, cap * sizeof *c);
                if (p != NULL) ids = p;
                if (c != NULL) committing = c;
                if (p == NULL || c == NULL) break;
            }
            copy_col(ids[n], KS_KEY_ID_MAX, q, 0);
            committing[n++] = strcmp((const char *)sqlite3_column_text(q, 1), "committing") == 0;
        }
    sqlite3_finalize(q);
    pthread_mutex_unlock(&api->db_lock);
    for (size_t i = 0; i < n; i++) {
        /* a row of a request in flight is that request's business */
        if (ks_busy_take(api, ids[i]) != 0) continue;
        ks_err e = {0};
        if (committing[i]) {
            if (finish(&e, api, ids[i], NULL, 1) == 0)
                ks_log("recovery: key %s was decided before a stop; it is now committed and Active", ids[i]);
            else
                left++;
        } else if (abort_all(api, ids[i]) == 0) {
            ks_log("recovery: key %s was not decided before a stop; every signer dropped its share", ids[i]);
        } else {
            left++;
        }
        ks_busy_drop(api, ids[i]);
    }
    /* archives that some signer has not recorded yet */
    n = 0;
    pthread_mutex_lock(&api->db_lock);
    if (sqlite3_prepare_v2(api->db, "SELECT DISTINCT key_id FROM signer_archive", -1, &q, NULL) == SQLITE_OK)
        while (sqlite3_step(q) == SQLITE_ROW) {
            if (n == cap) {
                cap = cap ? 2 * cap : 16;
                char(*p)[KS_KEY_ID_MAX] = realloc(ids, cap * sizeof *p);
                if (p == NULL) break;
                ids = p;
            }
            copy_col(ids[n++], KS_KEY_ID_MAX, q, 0);
        }
    sqlite3_finalize(q);
    pthread_mutex_unlock(&api->db_lock);
    for (size_t i = 0; i < n; i++) {
        size_t owed = archive_on_signers(api, ids[i]);
        if (owed == 0) ks_log("key %s is now recorded as archived on every signer", ids[i]);
        left += owed > 0;
    }
    free(ids);
    free(committing);
    return left;
}

void ks_keys_reconcile_log(ks_api *api)
{
    /* An archive is written to the database before the log: after a crash between the two, the
     * log gets the entry now. */
    log_ids l;
    sqlite3_stmt *q = NULL;
    log_scan(api, &l, "key.archived");
    pthread_mutex_lock(&api->db_lock);
    char (*ids)[KS_KEY_ID_MAX] = NULL;
    char (*pubs)[PUB_HEX_MAX] = NULL;
    size_t n = 0;
    if (sqlite3_prepare_v2(api->db, "SELECT id, public_key FROM keys WHERE status = 'Archived' ORDER BY rowid", -1, &q,
                           NULL) == SQLITE_OK)
        while (sqlite3_step(q) == SQLITE_ROW) {
            char id[KS_KEY_ID_MAX];
            copy_col(id, sizeof id, q, 0);
            if (log_ids_has(&l, id)) continue;
            char(*p)[KS_KEY_ID_MAX] = realloc(ids, (n + 1) * sizeof *p);
            if (p == NULL) break;
            ids = p;
            char(*pp)[PUB_HEX_MAX] = realloc(pubs, (n + 1) * sizeof *pp);
            if (pp == NULL) break;
            pubs = pp;
            snprintf(ids[n], KS_KEY_ID_MAX, "%s", id);
            copy_col(pubs[n++], PUB_HEX_MAX, q, 1);
        }
    sqlite3_finalize(q);
    pthread_mutex_unlock(&api->db_lock);
    for (size_t i = 0; i < n; i++) {
        ks_audit(api, "key.archived", ids[i], pubs[i], NULL, 0, "{\"reason\":\"recorded at restart: the key was archived just before a stop\"}");
        ks_log("recovery: key %s was archived just before a stop; the log now says so", ids[i]);
    }
    free(ids);
    free(pubs);
    free(l.ids);
}

/* ---------------------------------------------------------------- import */

static kp_status actors_json(kp_buf *b, const ks_authz *z)
{
    return ks_authz_add_approvers(b, z);
}

/* Ends an event's details with who allowed the request: ,"approvers":[…],"credential":…,
 * "request":<SHA-256 hex of the body, as the approvals name it>} */
static kp_status end_details(kp_buf *d, const ks_authz *z, const uint8_t *body, size_t len)
{
    uint8_t h[32];
    char hex[65];
    kp_status st;
    kp_sha256(h, body, len);
    ks_hex(hex, h, 32);
    if ((st = kp_buf_addstr(d, ",\"approvers\":")) != KP_OK || (st = ks_authz_add_approvers(d, z)) != KP_OK ||
        (st = kp_buf_addstr(d, ",\"credential\":")) != KP_OK ||
        (st = kp_buf_addjstr(d, z->cred_id, strlen(z->cred_id))) != KP_OK)
        return st;
    return ks_buf_addf(d, ",\"request\":\"%s\"}", hex);
}

/* Reads a point {"<name>":hex} of the expected length from a signer's answer. */
static int answer_point(ks_err *e, const cJSON *a, const char *name, size_t pub_len, uint8_t *pub, size_t i,
                        ks_api *api)
{
    const char *hex;
    if (ks_json_str(e, &hex, a, "a signer's answer", name, 1) != 0 ||
        kp_bytes_from_hex(pub, pub_len, hex, strlen(hex)) != KP_OK)
        return ks_fail(e, 502, "signer %zu (%s) answered without a valid %s", i + 1, api->signers[i].id_b64, name);
    return 0;
}

static int answer_pub(ks_err *e, const cJSON *a, size_t pub_len, uint8_t *pub, size_t i, ks_api *api)
{
    return answer_point(e, a, "publicKey", pub_len, pub, i, api);
}

/* The digest of a public_shares vector as kp_import_open_share_digest makes it (keyport.h). */
static void public_shares_digest(uint8_t digest[32], kp_curve c, unsigned t, unsigned n,
                                 const uint8_t (*pubs)[KP_PUBKEY_MAX_BYTES])
{
    static const char tag[] = "keyport public_shares v1";
    size_t pk_len = kp_public_key_bytes(c);
    kp_buf m;
    kp_buf_init(&m, 0);
    const uint8_t be[8] = {(uint8_t)(t >> 24), (uint8_t)(t >> 16), (uint8_t)(t >> 8), (uint8_t)t,
                           (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
    kp_buf_add(&m, (const uint8_t *)tag, sizeof tag); /* with its NUL */
    kp_buf_add(&m, (const uint8_t *)kp_curve_name(c), strlen(kp_curve_name(c)) + 1);
    kp_buf_add(&m, be, 8);
    for (unsigned i = 0; i < n; i++) kp_buf_add(&m, pubs[i], pk_len);
    kp_sha256(digest, m.data, m.len);
    kp_buf_release(&m);
}

/* Reads {"publicSharesDigest":hex} from a signer's prepare-import answer. */
static int answer_digest(ks_err *e, const cJSON *a, uint8_t digest[KP_PUBLIC_SHARES_DIGEST_BYTES], size_t i,
                         ks_api *api)
{
    const char *hex;
    if (ks_json_str(e, &hex, a, "a signer's answer", "publicSharesDigest", 1) != 0 ||
        kp_bytes_from_hex(digest, KP_PUBLIC_SHARES_DIGEST_BYTES, hex, strlen(hex)) != KP_OK)
        return ks_fail(e, 502, "signer %zu (%s) answered without a valid publicSharesDigest", i + 1,
                       api->signers[i].id_b64);
    return 0;
}

int ks_keys_import(ks_err *e, ks_api *api, const ks_authz *z, const uint8_t *body, size_t len, kp_buf *out)
{
    kp_import_request *req = NULL;
    kp_status st = kp_import_request_parse(&req, (const char *)body, len);
    if (st != KP_OK) return ks_fail_kp(e, 400, st, "the import request");
    kp_curve c = kp_import_request_curve(req);
    kp_protocol p = kp_import_request_protocol(req);
    unsigned t = kp_import_request_min_signers(req);
    size_t count = kp_import_request_count(req), pub_len = kp_public_key_bytes(c);
    const char *name = kp_import_request_name(req);
    key_row k;
    kp_buf call, actors, details;
    uint8_t first[KP_PUBKEY_MAX_BYTES], pub[KP_PUBKEY_MAX_BYTES];
    uint8_t first_digest[KP_PUBLIC_SHARES_DIGEST_BYTES], digest[KP_PUBLIC_SHARES_DIGEST_BYTES];
    uint8_t pubshares[KP_MAX_SIGNERS][KP_PUBKEY_MAX_BYTES];
    int rc = 0, journaled = 0;
    memset(&k, 0, sizeof k);
    kp_buf_init(&call, 0);
    kp_buf_init(&actors, 0);
    kp_buf_init(&details, 0);

    if (count != api->n) {
        rc = ks_fail(e, 400, "the import request has %zu encryptedKeyShares; this cluster has %zu signers (GET /signers)",
                     count, api->n);
        goto done;
    }
    for (size_t i = 0; i < count; i++) {
        const uint8_t *ct;
        size_t ct_len;
        const char *sid = kp_import_request_share(req, i, &ct, &ct_len);
        if (strcmp(sid, api->signers[i].id_b64) != 0) {
            char shown[120];
            snprintf(shown, sizeof shown, "%.100s", sid);
            ks_utf8_clean(shown);
            rc = ks_fail(e, 400, "encryptedKeyShares[%zu]: signerId %s is not this cluster's signer %zu in sorted order (%s)",
                         i, shown, i + 1, api->signers[i].id_b64);
            goto done;
        }
    }
    if (name != NULL && strlen(name) >= sizeof k.name) {
        rc = ks_fail(e, 400, "the import request: name is longer than %zu bytes", sizeof k.name - 1);
        goto done;
    }

    ks_new_id(k.id, sizeof k.id, "key-");
    if (ks_busy_take(api, k.id) != 0) {
        rc = ks_fail(e, 500, "out of memory");
        goto done;
    }
    if ((rc = journal_insert(e, api, k.id, "import")) != 0) goto done;
    journaled = 1;

    /* step 2: each signer opens, checks and holds its share (kp_import_open_share, index = i + 1) */
    for (size_t i = 0; i < count; i++) {
        const uint8_t *ct;
        size_t ct_len;
        cJSON *a = NULL;
        kp_import_request_share(req, i, &ct, &ct_len);
        kp_buf_reset(&call);
        if (add_key_field(&call, k.id) != KP_OK ||
            ks_buf_addf(&call, ",\"curve\":\"%s\",\"index\":%zu,\"n\":%zu,\"t\":%u,\"encryptedKeyShare\":\"",
                        kp_curve_name(c), i + 1, count, t) != KP_OK ||
            ks_buf_addb64(&call, ct, ct_len) != KP_OK || kp_buf_addstr(&call, "\"}") != KP_OK) {
            rc = ks_fail(e, 500, "out of memory");
            goto done;
        }
        rc = ks_signer_ask(e, api, i, "prepare-import", &call, &a);
        if (rc == 0) rc = answer_pub(e, a, pub_len, i == 0 ? first : pub, i, api);
        if (rc == 0) rc = answer_digest(e, a, i == 0 ? first_digest : digest, i, api);
        if (rc == 0) rc = answer_point(e, a, "publicShare", pub_len, pubshares[i], i, api);
        cJSON_Delete(a);
        if (rc != 0) {
            char why[KS_ERR_MAX];
            snprintf(why, sizeof why, "%s", e->msg);
            ks_fail(e, rc, "nothing was stored: %s", why);
            goto done;
        }
        if (i > 0 && memcmp(first_digest, digest, sizeof digest) != 0) {
            /* each signer checked its share against the public_shares of its own plaintext: only
             * if all checked the same vector do the shares lie on one polynomial */
            char a_hex[2 * sizeof digest + 1], b_hex[2 * sizeof digest + 1];
            ks_hex(a_hex, first_digest, sizeof digest);
            ks_hex(b_hex, digest, sizeof digest);
            rc = ks_fail(e, 400, "nothing was stored: the signers checked different public_shares: signer 1 (%s) checked "
                                 "the vector with digest %s, signer %zu (%s) %s; the shares do not lie on one "
                                 "polynomial, so no %u of them could ever be recombined",
                         api->signers[0].id_b64, a_hex, i + 1, api->signers[i].id_b64, b_hex, t);
            goto done;
        }
        if (i > 0 && memcmp(first, pub, pub_len) != 0) {
            char a_hex[PUB_HEX_MAX], b_hex[PUB_HEX_MAX];
            ks_hex(a_hex, first, pub_len);
            ks_hex(b_hex, pub, pub_len);
            rc = ks_fail(e, 400, "nothing was stored: the signers disagree on the public key: signer 1 (%s) has %s, signer "
                                 "%zu (%s) has %s; the shares were not made from one key",
                         api->signers[0].id_b64, a_hex, i + 1, api->signers[i].id_b64, b_hex);
            goto done;
        }
    }
    /* the public shares the signers answered are the vector each of them checked its share against */
    public_shares_digest(digest, c, t, (unsigned)count, (const uint8_t(*)[KP_PUBKEY_MAX_BYTES])pubshares);
    if (memcmp(digest, first_digest, sizeof digest) != 0) {
        rc = ks_fail(e, 502, "nothing was stored: the signers' public shares are not the public_shares they checked "
                             "their shares against");
        goto done;
    }
    ks_crash_point("import-after-prepare");

    key_row_fill(&k, first, pub_len, name, c, p, t, (unsigned)count, 1);
    /* API.md "The audit log": key.imported with origin api, the approvers and the public key */
    if (actors_json(&actors, z) != KP_OK || kp_buf_addstr(&details, "{\"origin\":\"api\",\"name\":") != KP_OK ||
        add_opt_str(&details, k.name, k.has_name) != KP_OK ||
        ks_buf_addf(&details, ",\"curve\":\"%s\",\"protocol\":\"%s\",\"minSigners\":%u,\"signers\":%u", k.curve,
                    k.protocol, k.t, k.n) != KP_OK ||
        end_details(&details, z, body, len) != KP_OK) {
        rc = ks_fail(e, 500, "out of memory");
        goto done;
    }
    if ((rc = decide(e, api, z, &k, "key.imported", (const char *)actors.data, (const char *)details.data,
                     (const uint8_t(*)[KP_PUBKEY_MAX_BYTES])pubshares)) != 0)
        goto done;
    journaled = 0; /* decided: from here the key is committed, now or by recovery */
    ks_crash_point("import-after-decision");
    if ((rc = finish(e, api, k.id, "import-after-first-commit", 0)) != 0) goto done;
    rc = ks_key_json(e, api, k.id, out);
done:
    if (journaled) abort_all(api, k.id);
    if (k.id[0]) ks_busy_drop(api, k.id);
    kp_import_request_free(req);
    kp_buf_release(&call);
    kp_buf_release(&actors);
    kp_buf_release(&details);
    return rc;
}

/* ---------------------------------------------------------------- key generation (Feldman VSS) */

int ks_keygen_request_parse(ks_err *e, const uint8_t *body, size_t len, kp_protocol *p, kp_curve *c, char *name,
                            size_t cap, int *has_name)
{
    static const char what[] = "the body of POST /keys";
    cJSON *j = NULL;
    const char *scheme, *curve_name, *nm;
    kp_status st;
    int rc;
    *has_name = 0;
    if (cap > 0) name[0] = 0;
    if ((rc = ks_json_parse(e, &j, what, (const char *)body, len)) != 0 ||
        (rc = ks_json_str(e, &scheme, j, what, "scheme", 1)) != 0 ||
        (rc = ks_json_str(e, &curve_name, j, what, "curve", 1)) != 0 || (rc = ks_json_str(e, &nm, j, what, "name", 0)) != 0)
        goto done;
    if ((st = kp_protocol_from_name(p, scheme)) != KP_OK || (st = kp_curve_from_name(c, curve_name)) != KP_OK ||
        (st = kp_scheme_check(*p, *c)) != KP_OK) {
        rc = ks_fail_kp(e, 400, st, "%s: scheme \"%.30s\" with curve \"%.30s\"", what, scheme, curve_name);
        goto done;
    }
    /* as an imported key's name (kp_import_request_parse): no control characters, no escapes */
    if (nm != NULL && (st = kp_key_name_check(nm, strlen(nm))) != KP_OK) {
        rc = ks_fail_kp(e, 400, st, "%s: name", what);
        goto done;
    }
    if (nm != NULL && strlen(nm) >= cap) {
        rc = ks_fail(e, 400, "%s: name is longer than %zu bytes", what, cap - 1);
        goto done;
    }
    if (nm != NULL) {
        memcpy(name, nm, strlen(nm) + 1);
        *has_name = 1;
    }
done:
    cJSON_Delete(j);
    return rc;
}

int ks_keys_generate(ks_err *e, ks_api *api, const ks_authz *z, const uint8_t *body, size_t len, kp_buf *out)
{
    cJSON *deals[KP_MAX_SIGNERS] = {0};
    char name[KP_KEY_NAME_MAX_BYTES + 1];
    int has_name = 0;
    kp_protocol p;
    kp_curve c;
    key_row k;
    kp_buf call, actors, details, recipients;
    uint8_t group[KP_PUBKEY_MAX_BYTES], part[KP_PUBKEY_MAX_BYTES], pub[KP_PUBKEY_MAX_BYTES];
    uint8_t pubshares[KP_MAX_SIGNERS][KP_PUBKEY_MAX_BYTES], mine[KP_PUBKEY_MAX_BYTES];
    uint8_t *commitments = NULL;
    int rc, journaled = 0;
    kp_status st;
    memset(&k, 0, sizeof k);
    kp_buf_init(&call, 0);
    kp_buf_init(&actors, 0);
    kp_buf_init(&details, 0);
    kp_buf_init(&recipients, 0);
    if ((rc = ks_keygen_request_parse(e, body, len, &p, &c, name, sizeof name, &has_name)) != 0) goto done;
    unsigned n = (unsigned)api->n, t = n < 3 ? n : 3; /* API.md: minSigners = 3, or n if n < 3 */
    size_t pk_len = kp_public_key_bytes(c);
    if ((commitments = malloc((size_t)t * pk_len)) == NULL) {
        rc = ks_fail(e, 500, "out of memory");
        goto done;
    }
    ks_new_id(k.id, sizeof k.id, "key-");
    if (ks_busy_take(api, k.id) != 0) {
        rc = ks_fail(e, 500, "out of memory");
        goto done;
    }
    if ((rc = journal_insert(e, api, k.id, "keygen")) != 0) goto done;
    journaled = 1;

    /* every signer deals; its shares travel sealed to each recipient's encryptionKey */
    kp_buf_addstr(&recipients, "[");
    for (unsigned i = 0; i < n; i++) {
        char ek[49];
        kp_encryption_key_encode(ek, api->signers[i].ek);
        ks_buf_addf(&recipients, i ? ",\"%s\"" : "\"%s\"", ek);
    }
    if (kp_buf_addstr(&recipients, "]") != KP_OK) {
        rc = ks_fail(e, 500, "out of memory");
        goto done;
    }
    for (unsigned d = 0; d < n; d++) {
        kp_buf_reset(&call);
        if (add_key_field(&call, k.id) != KP_OK ||
            ks_buf_addf(&call, ",\"curve\":\"%s\",\"t\":%u,\"n\":%u,\"dealer\":%u,\"recipients\":%s}", kp_curve_name(c), t,
                        n, d + 1, (const char *)recipients.data) != KP_OK) {
            rc = ks_fail(e, 500, "out of memory");
            goto done;
        }
        if ((rc = ks_signer_ask(e, api, d, "deal", &call, &deals[d])) != 0) goto failed;
        const char *hex;
        const cJSON *shares = cJSON_GetObjectItemCaseSensitive(deals[d], "shares");
        if (ks_json_str(e, &hex, deals[d], "a dealing", "commitments", 1) != 0 ||
            kp_bytes_from_hex(commitments, (size_t)t * pk_len, hex, strlen(hex)) != KP_OK || !cJSON_IsArray(shares) ||
            (unsigned)cJSON_GetArraySize(shares) != n) {
            rc = ks_fail(e, 502, "signer %u (%s) answered a malformed dealing", d + 1, api->signers[d].id_b64);
            goto failed;
        }
        /* the group key: the sum of the dealers' constant commitments */
        if ((st = kp_vss_public(api->ctx, d == 0 ? group : part, c, t, commitments, 0)) != KP_OK ||
            (d > 0 && (st = kp_public_key_add(api->ctx, pub, c, group, part)) != KP_OK)) {
            rc = ks_fail_kp(e, 502, st, "signer %u (%s) dealt bad commitments", d + 1, api->signers[d].id_b64);
            goto failed;
        }
        if (d > 0) memcpy(group, pub, pk_len); /* outputs never alias inputs */
        /* each recipient's public share: the sum of the dealers' commitments at its index */
        for (unsigned r = 0; r < n; r++) {
            if ((st = kp_vss_public(api->ctx, d == 0 ? pubshares[r] : part, c, t, commitments, r + 1)) != KP_OK ||
                (d > 0 && (st = kp_public_key_add(api->ctx, pub, c, pubshares[r], part)) != KP_OK)) {
                rc = ks_fail_kp(e, 502, st, "signer %u (%s) dealt bad commitments", d + 1, api->signers[d].id_b64);
                goto failed;
            }
            if (d > 0) memcpy(pubshares[r], pub, pk_len);
        }
    }
    /* each recipient checks the shares dealt to it, adds them up and holds the sum */
    for (unsigned r = 0; r < n; r++) {
        kp_buf_reset(&call);
        add_key_field(&call, k.id);
        ks_buf_addf(&call, ",\"curve\":\"%s\",\"t\":%u,\"n\":%u,\"index\":%u,\"dealings\":[", kp_curve_name(c), t, n, r + 1);
        for (unsigned d = 0; d < n; d++) {
            const cJSON *cm = cJSON_GetObjectItemCaseSensitive(deals[d], "commitments");
            const cJSON *sh = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(deals[d], "shares"), (int)r);
            if (!cJSON_IsString(sh)) {
                rc = ks_fail(e, 502, "signer %u (%s) dealt a share that is not a string", d + 1, api->signers[d].id_b64);
                goto failed;
            }
            ks_buf_addf(&call, "%s{\"commitments\":\"%s\",\"share\":\"%s\"}", d ? "," : "", cm->valuestring,
                        sh->valuestring);
        }
        if (kp_buf_addstr(&call, "]}") != KP_OK) {
            rc = ks_fail(e, 500, "out of memory");
            goto done;
        }
        cJSON *a = NULL;
        rc = ks_signer_ask(e, api, r, "prepare-keygen", &call, &a);
        if (rc == 0) rc = answer_pub(e, a, pk_len, pub, r, api);
        if (rc == 0) rc = answer_point(e, a, "publicShare", pk_len, mine, r, api);
        cJSON_Delete(a);
        if (rc != 0) goto failed;
        if (memcmp(mine, pubshares[r], pk_len) != 0) {
            rc = ks_fail(e, 502, "signer %u (%s) holds a share whose public share is not the one the commitments give",
                         r + 1, api->signers[r].id_b64);
            goto failed;
        }
        if (memcmp(pub, group, pk_len) != 0) {
            rc = ks_fail(e, 502, "signer %u (%s) computed another group key than the sum of the commitments", r + 1,
                         api->signers[r].id_b64);
            goto failed;
        }
    }
    ks_crash_point("keygen-after-prepare");

    key_row_fill(&k, group, pk_len, has_name ? name : NULL, c, p, t, n, 0);
    /* API.md "The audit log": key.created with scheme, curve, signers, t */
    if (actors_json(&actors, z) != KP_OK ||
        ks_buf_addf(&details, "{\"scheme\":\"%s\",\"curve\":\"%s\",\"signers\":%u,\"t\":%u,\"name\":", k.protocol, k.curve,
                    n, t) != KP_OK ||
        add_opt_str(&details, k.name, k.has_name) != KP_OK || end_details(&details, z, body, len) != KP_OK) {
        rc = ks_fail(e, 500, "out of memory");
        goto done;
    }
    if ((rc = decide(e, api, z, &k, "key.created", (const char *)actors.data, (const char *)details.data,
                     (const uint8_t(*)[KP_PUBKEY_MAX_BYTES])pubshares)) != 0)
        goto done;
    journaled = 0;
    ks_crash_point("keygen-after-decision");
    if ((rc = finish(e, api, k.id, NULL, 0)) != 0) goto done;
    rc = ks_key_json(e, api, k.id, out);
    goto done;
failed: {
    char why[KS_ERR_MAX];
    snprintf(why, sizeof why, "%s", e->msg);
    ks_fail(e, rc, "key generation failed and nothing was stored: %s", why);
}
done:
    if (journaled) abort_all(api, k.id);
    if (k.id[0]) ks_busy_drop(api, k.id);
    for (size_t i = 0; i < KP_MAX_SIGNERS; i++) cJSON_Delete(deals[i]);
    free(commitments);
    kp_buf_release(&call);
    kp_buf_release(&actors);
    kp_buf_release(&details);
    kp_buf_release(&recipients);
    return rc;
}

/* ---------------------------------------------------------------- export */

typedef struct export_done {
    ks_api *api;
    char key_id[KS_KEY_ID_MAX];
    char pub_hex[PUB_HEX_MAX];
    int delete_after;
    char *actors[64]; /* the export's approvers: they archived the key too */
    size_t nactors;
} export_done;

/* After the connection is finished: a complete answer marks the key exported and, with delete,
 * archives it (API.md "Export with delete"). An answer that did not go out changes nothing. */
static void on_export_done(void *arg, int sent)
{
    export_done *x = arg;
    ks_api *api = x->api;
    if (!sent) {
        ks_log("the export answer for key %s was not delivered completely; the key stays as it was", x->key_id);
    } else {
        ks_crash_point("export-after-answer");
        char now[32];
        int archived = 0;
        ks_err e = {0};
        ks_iso_now(now);
        sqlite3_stmt *q = NULL;
        pthread_mutex_lock(&api->db_lock);
        if (ks_db_exec(&e, api->db, "recording the export", "BEGIN IMMEDIATE") == 0) {
            int ok = 0;
            if (sqlite3_prepare_v2(api->db, "UPDATE keys SET exported = 1, date_exported = ?1 WHERE id = ?2", -1, &q,
                                   NULL) == SQLITE_OK) {
                sqlite3_bind_text(q, 1, now, -1, SQLITE_STATIC);
                sqlite3_bind_text(q, 2, x->key_id, -1, SQLITE_STATIC);
                ok = sqlite3_step(q) == SQLITE_DONE;
            }
            sqlite3_finalize(q);
            q = NULL;
            if (ok && x->delete_after &&
                sqlite3_prepare_v2(api->db,
                                   "UPDATE keys SET status = 'Archived', date_archived = ?1 WHERE id = ?2 AND status = 'Active'",
                                   -1, &q, NULL) == SQLITE_OK) {
                sqlite3_bind_text(q, 1, now, -1, SQLITE_STATIC);
                sqlite3_bind_text(q, 2, x->key_id, -1, SQLITE_STATIC);
                ok = sqlite3_step(q) == SQLITE_DONE;
                archived = ok && sqlite3_changes(api->db) == 1;
            }
            sqlite3_finalize(q);
            if (archived && archive_rows(&e, api, x->key_id) != 0) ok = 0;
            if (!ok || ks_db_exec(&e, api->db, "recording the export", "COMMIT") != 0) {
                ks_log("cannot record the export of key %s: %s", x->key_id, sqlite3_errmsg(api->db));
                sqlite3_exec(api->db, "ROLLBACK", NULL, NULL, NULL);
                archived = 0;
            }
        } else {
            ks_log("%s", e.msg);
        }
        pthread_mutex_unlock(&api->db_lock);
        if (archived) {
            ks_audit(api, "key.archived", x->key_id, x->pub_hex, (const char *const *)x->actors, x->nactors,
                     "{\"reason\":\"exported with delete: archived once the export was answered\"}");
            size_t owed = archive_on_signers(api, x->key_id);
            if (owed > 0)
                ks_log("key %s is archived; %zu signers that do not answer will record it when they do", x->key_id, owed);
        }
    }
    if (x->delete_after) ks_busy_drop(api, x->key_id);
    for (size_t i = 0; i < x->nactors; i++) free(x->actors[i]);
    free(x);
}

/* CGGMP24 is the current Dfns API's name for the ECDSA keys it used to call CGGMP21: the same key
 * shares, exported the same way. Dfns' published client of 2025 lists only CGGMP21 (and refuses
 * CGGMP24), so either name in supportedSchemes accepts a key of either; the response carries the
 * key's own name. */
static int is_cggmp(const char *protocol)
{
    return strcmp(protocol, "CGGMP21") == 0 || strcmp(protocol, "CGGMP24") == 0;
}

/* docs/wire.md §3 request: encryptionKey, supportedSchemes (which must hold the key's scheme), delete. */
int ks_export_request_parse(ks_err *e, const kp_ctx *ctx, const char *protocol, const char *curve, const uint8_t *body,
                            size_t len, uint8_t ek[33], int *delete_after)
{
    static const char what[] = "the export request";
    cJSON *j = NULL;
    const char *ek_b64;
    int rc;
    *delete_after = 1;
    if ((rc = ks_json_parse(e, &j, what, (const char *)body, len)) != 0) return rc;
    if ((rc = ks_json_str(e, &ek_b64, j, what, "encryptionKey", 1)) != 0 ||
        (rc = ks_json_bool(e, delete_after, j, what, "delete", 0)) != 0)
        goto done;
    kp_status st = kp_encryption_key_decode(ctx, ek, ek_b64, strlen(ek_b64));
    if (st != KP_OK) {
        rc = ks_fail_kp(e, 400, st, "%s: encryptionKey", what);
        goto done;
    }
    const cJSON *schemes = cJSON_GetObjectItemCaseSensitive(j, "supportedSchemes");
    if (!cJSON_IsArray(schemes)) {
        rc = ks_fail(e, 400, "%s: supportedSchemes must be an array of {\"protocol\",\"curve\"}", what);
        goto done;
    }
    int found = 0, i = 0;
    for (const cJSON *s = schemes->child; s != NULL; s = s->next, i++) {
        char where[64];
        const char *sp, *sc;
        snprintf(where, sizeof where, "%s: supportedSchemes[%d]", what, i);
        if (!cJSON_IsObject(s)) {
            rc = ks_fail(e, 400, "%s must be an object", where);
            goto done;
        }
        if ((rc = ks_json_str(e, &sp, s, where, "protocol", 1)) != 0 || (rc = ks_json_str(e, &sc, s, where, "curve", 1)) != 0)
            goto done;
        if (strcmp(sc, curve) == 0 && (strcmp(sp, protocol) == 0 || (is_cggmp(sp) && is_cggmp(protocol)))) found = 1;
    }
    if (!found)
        rc = ks_fail(e, 400, "%s: supportedSchemes does not include the key's scheme (%s with %s)", what, protocol, curve);
done:
    cJSON_Delete(j);
    return rc;
}

int ks_keys_export(ks_err *e, ks_api *api, const ks_authz *z, const char *key_id, const uint8_t *body, size_t len,
                   kp_buf *out, kp_buf *missing, void (**done_fn)(void *, int), void **done_arg)
{
    key_row k;
    uint8_t ek[33];
    int delete_after = 1, rc, busy = 0;
    kp_buf call, cts[KP_MAX_SIGNERS], details, why, missing_json;
    kp_signer_share shares[KP_MAX_SIGNERS];
    size_t got = 0;
    kp_curve c;
    kp_protocol p;
    uint8_t pub[KP_PUBKEY_MAX_BYTES];
    *done_fn = NULL;
    *done_arg = NULL;
    if ((rc = ks_key_load(e, api, key_id, &k, 1)) != 0) return rc;
    if (strcmp(k.status, "Archived") == 0) return ks_fail(e, 409, "key %s is archived: it can no longer be exported", k.id);
    if ((rc = ks_export_request_parse(e, api->ctx, k.protocol, k.curve, body, len, ek, &delete_after)) != 0) return rc;
    if (kp_curve_from_name(&c, k.curve) != KP_OK || kp_protocol_from_name(&p, k.protocol) != KP_OK ||
        kp_bytes_from_hex(pub, kp_public_key_bytes(c), k.pub_hex, strlen(k.pub_hex)) != KP_OK)
        return ks_fail(e, 500, "key %s has a damaged record in api.db", k.id);
    if (delete_after) {
        if (ks_busy_take(api, k.id) != 0)
            return ks_fail(e, 409, "an export of key %s that archives it is in progress", k.id);
        busy = 1;
    }
    kp_buf_init(&call, 0);
    kp_buf_init(&details, 0);
    kp_buf_init(&why, 0);
    kp_buf_init(&missing_json, 0);
    for (size_t i = 0; i < KP_MAX_SIGNERS; i++) kp_buf_init(&cts[i], 0);

    /* each signer seals its own share to the requester's key */
    char ek_b64[49], fp[17];
    kp_encryption_key_encode(ek_b64, ek);
    kp_encryption_key_fingerprint(fp, ek);
    add_key_field(&call, k.id);
    ks_buf_addf(&call, ",\"encryptionKey\":\"%s\"}", ek_b64);
    /* a signer that is down or fails is left out: minSigners shares suffice (API.md "Export") */
    kp_buf_addstr(&missing_json, "[");
    for (size_t i = 0; i < api->n; i++) {
        cJSON *a = NULL;
        const char *sid, *ct_b64;
        uint8_t *ct = NULL;
        size_t ct_len = 0;
        ks_err se = {0};
        int src = ks_signer_ask(&se, api, i, "export", &call, &a);
        if (src == 0 && (ks_json_str(&se, &sid, a, "a signer's answer", "signerId", 1) != 0 ||
                         ks_json_str(&se, &ct_b64, a, "a signer's answer", "encryptedKeyShare", 1) != 0 ||
                         strcmp(sid, api->signers[i].id_b64) != 0 ||
                         ks_b64_decode(&ct, &ct_len, ct_b64, strlen(ct_b64), 0) != 0))
            src = ks_fail(&se, 502, "signer %zu (%s) answered a malformed export share", i + 1, api->signers[i].id_b64);
        cJSON_Delete(a);
        if (src != 0) {
            ks_log("export of key %s: %s", k.id, se.msg);
            ks_buf_addf(&why, "%s%s", why.len ? "; " : "", se.msg);
            if (missing->len) kp_buf_addstr(missing, ",");
            kp_buf_addstr(missing, api->signers[i].id_b64);
            ks_buf_addf(&missing_json, "%s\"%s\"", missing_json.len > 1 ? "," : "", api->signers[i].id_b64);
            continue;
        }
        kp_status st = kp_buf_add(&cts[got], ct, ct_len);
        free(ct);
        if (st != KP_OK) {
            rc = ks_fail(e, 500, "out of memory");
            goto done;
        }
        shares[got] = (kp_signer_share){api->signers[i].id, api->signers[i].id_len, cts[got].data, cts[got].len};
        got++;
    }
    kp_buf_addstr(&missing_json, "]");
    if (got < k.t) {
        rc = ks_fail(e, 503, "the export of key %s is refused: only %zu of %zu signers answered and %u are needed "
                             "(minSigners): %s",
                     k.id, got, api->n, k.t, why.data ? (const char *)why.data : "");
        goto done;
    }
    kp_status st = kp_export_response_write(out, c, p, pub, kp_public_key_bytes(c), k.t, shares, got);
    if (st != KP_OK) {
        rc = ks_fail_kp(e, 500, st, "writing the export response of key %s", k.id);
        goto done;
    }

    /* the approvals are spent when the shares leave, with the key checked once more */
    pthread_mutex_lock(&api->db_lock);
    sqlite3_stmt *q = NULL;
    if ((rc = ks_db_exec(e, api->db, "recording the export's approvals", "BEGIN IMMEDIATE")) == 0) {
        if ((rc = ks_db_prepare(e, api->db, &q, "SELECT status FROM keys WHERE id = ?")) == 0) {
            sqlite3_bind_text(q, 1, k.id, -1, SQLITE_STATIC);
            if (sqlite3_step(q) != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(q, 0), "Active") != 0)
                rc = ks_fail(e, 409, "key %s was archived meanwhile: it can no longer be exported", k.id);
        }
        sqlite3_finalize(q);
        if (rc == 0) rc = ks_authz_store_nonces(e, api, z);
        if (rc == 0) rc = ks_db_exec(e, api->db, "recording the export's approvals", "COMMIT");
        if (rc != 0) sqlite3_exec(api->db, "ROLLBACK", NULL, NULL, NULL);
    }
    pthread_mutex_unlock(&api->db_lock);
    if (rc != 0) goto done;

    /* API.md "The audit log": key.exported with the recipient's fingerprint and the approvers,
     * written before the shares leave */
    const char *actors[64];
    size_t nactors = 0;
    for (size_t i = 0; i < z->napprovers && nactors < 64; i++) actors[nactors++] = z->approvers[i];
    if (ks_buf_addf(&details, "{\"recipient\":\"%s\",\"delete\":%s,\"shares\":%zu,\"missing\":%s", fp,
                    delete_after ? "true" : "false", got, (const char *)missing_json.data) != KP_OK ||
        end_details(&details, z, body, len) != KP_OK) {
        rc = ks_fail(e, 500, "out of memory");
        goto done;
    }
    if (ks_audit(api, "key.exported", k.id, k.pub_hex, actors, nactors, (const char *)details.data) != 0) {
        rc = ks_fail(e, 500, "the export of key %s cannot be recorded in the audit log, so it is refused", k.id);
        goto done;
    }
    ks_crash_point("export-before-answer");

    export_done *x = calloc(1, sizeof *x);
    if (x == NULL) {
        rc = ks_fail(e, 500, "out of memory");
        goto done;
    }
    x->api = api;
    snprintf(x->key_id, sizeof x->key_id, "%s", k.id);
    snprintf(x->pub_hex, sizeof x->pub_hex, "%s", k.pub_hex);
    x->delete_after = delete_after;
    for (size_t i = 0; i < nactors; i++)
        if ((x->actors[x->nactors] = strdup(actors[i])) != NULL) x->nactors++;
    *done_fn = on_export_done;
    *done_arg = x;
    busy = 0; /* on_export_done lets it go */
done:
    if (rc != 0) kp_buf_reset(out);
    if (busy) ks_busy_drop(api, k.id);
    kp_buf_release(&call);
    kp_buf_release(&details);
    kp_buf_release(&why);
    kp_buf_release(&missing_json);
    for (size_t i = 0; i < KP_MAX_SIGNERS; i++) kp_buf_release(&cts[i]);
    return rc;
}

/* ---------------------------------------------------------------- archive */

int ks_keys_archive(ks_err *e, ks_api *api, const ks_authz *z, const char *key_id, const uint8_t *body, size_t len,
                    kp_buf *out)
{
    key_row k;
    cJSON *j = NULL;
    int rc;
    if ((rc = ks_key_load(e, api, key_id, &k, 1)) != 0) return rc;
    if (strcmp(k.status, "Archived") == 0) return ks_fail(e, 409, "key %s is archived already", k.id);
    if ((rc = ks_json_parse(e, &j, "the body of POST /keys/{keyId}/archive", (const char *)body, len)) != 0) return rc;
    int empty = j->child == NULL;
    cJSON_Delete(j);
    if (!empty) return ks_fail(e, 400, "the body of POST /keys/{keyId}/archive must be {}");

    char now[32];
    ks_iso_now(now);
    sqlite3_stmt *q = NULL;
    pthread_mutex_lock(&api->db_lock);
    if ((rc = ks_db_exec(e, api->db, "archiving", "BEGIN IMMEDIATE")) == 0) {
        if ((rc = ks_db_prepare(e, api->db, &q,
                                "UPDATE keys SET status = 'Archived', date_archived = ? WHERE id = ? AND status = 'Active'")) == 0) {
            sqlite3_bind_text(q, 1, now, -1, SQLITE_STATIC);
            sqlite3_bind_text(q, 2, k.id, -1, SQLITE_STATIC);
            if (sqlite3_step(q) != SQLITE_DONE)
                rc = ks_fail(e, 500, "cannot archive key %s: %s", k.id, sqlite3_errmsg(api->db));
            else if (sqlite3_changes(api->db) != 1)
                rc = ks_fail(e, 409, "key %s was archived meanwhile", k.id);
        }
        sqlite3_finalize(q);
        if (rc == 0) rc = archive_rows(e, api, k.id);
        if (rc == 0) rc = ks_authz_store_nonces(e, api, z);
        if (rc == 0) rc = ks_db_exec(e, api->db, "archiving", "COMMIT");
        if (rc != 0) sqlite3_exec(api->db, "ROLLBACK", NULL, NULL, NULL);
    }
    pthread_mutex_unlock(&api->db_lock);
    if (rc != 0) return rc;

    kp_buf details;
    const char *actors[64];
    size_t nactors = 0;
    for (size_t i = 0; i < z->napprovers && nactors < 64; i++) actors[nactors++] = z->approvers[i];
    kp_buf_init(&details, 0);
    if (kp_buf_addstr(&details, "{\"reason\":\"archive request\"") == KP_OK && end_details(&details, z, body, len) == KP_OK)
        ks_audit(api, "key.archived", k.id, k.pub_hex, actors, nactors, (const char *)details.data);
    kp_buf_release(&details);
    size_t owed = archive_on_signers(api, k.id);
    if (owed > 0) ks_log("key %s is archived; %zu signers that do not answer will record it when they do", k.id, owed);
    return ks_key_json(e, api, k.id, out);
}
