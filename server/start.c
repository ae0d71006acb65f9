/* start.c: keyportd's start-up: options, the DATA folder, the token, the audit identity, the
 * signers, recovery, and serving until a signal (see api.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "api.h"

static const char api_schema[] =
    "CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS keys(id TEXT PRIMARY KEY, name TEXT, curve TEXT NOT NULL, protocol TEXT NOT NULL,"
    " public_key TEXT NOT NULL, min_signers INTEGER NOT NULL, signers INTEGER NOT NULL,"
    " status TEXT NOT NULL CHECK(status IN ('Pending', 'Active', 'Archived')),"
    " imported INTEGER NOT NULL, exported INTEGER NOT NULL DEFAULT 0,"
    " date_created TEXT NOT NULL, date_exported TEXT, date_archived TEXT);"
    /* the two-phase commit's journal (API.md "All-or-nothing"), with the audit event to append
     * when the key is finished */
    "CREATE TABLE IF NOT EXISTS journal(key_id TEXT PRIMARY KEY,"
    " state TEXT NOT NULL CHECK(state IN ('preparing', 'aborting', 'committing')), kind TEXT NOT NULL,"
    " event TEXT, public_key TEXT, actors TEXT, details TEXT, created INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS nonces(nonce BLOB PRIMARY KEY, expires INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS signers(position INTEGER PRIMARY KEY, url TEXT, signer_id BLOB NOT NULL,"
    " encryption_key BLOB NOT NULL);"
    /* archived keys that a signer (0-based sorted position) has not yet recorded as archived */
    "CREATE TABLE IF NOT EXISTS signer_archive(key_id TEXT NOT NULL, position INTEGER NOT NULL,"
    " PRIMARY KEY(key_id, position));"
    /* API.md "Signing": the signatures made, and each signer's public share as it first gave it */
    "CREATE TABLE IF NOT EXISTS signatures(id TEXT PRIMARY KEY, key_id TEXT NOT NULL, request_body TEXT NOT NULL,"
    " r TEXT NOT NULL, s TEXT NOT NULL, encoded TEXT NOT NULL, signers TEXT NOT NULL, date_requested TEXT NOT NULL,"
    " date_signed TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS signatures_by_key ON signatures(key_id);"
    "CREATE TABLE IF NOT EXISTS public_shares(key_id TEXT NOT NULL, position INTEGER NOT NULL, point BLOB NOT NULL,"
    " PRIMARY KEY(key_id, position));";

/* ---------------------------------------------------------------- start-up */

typedef struct options {
    const char *data, *listen, *token_file, *policy, *credentials;
    unsigned signers;
    int signers_given;
    const char *urls[KP_MAX_SIGNERS], *secrets[KP_MAX_SIGNERS];
    size_t nurls, nsecrets;
    ks_keysource keys;
    unsigned connections, per_address;
} options;

static int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "keyportd: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr,
            "\nusage: keyportd --data DIR (--storage-key-file FILE | --storage-passphrase-file FILE [--kdf STRENGTH])\n"
            "                [--signers N] [--listen HOST:PORT] [--token-file FILE] [--policy FILE] [--credentials FILE]\n"
            "                [--signer-url URL --signer-secret-file FILE]... [--connections N] [--connections-per-address N]\n"
            "       keyportd signer --data DIR --listen HOST:PORT --secret-file FILE (--storage-key-file FILE | …)\n");
    return 2;
}

static int parse_count(unsigned *out, const char *name, const char *v, unsigned lo, unsigned hi)
{
    char *end = NULL;
    long n = strtol(v, &end, 10);
    if (end == v || *end != 0 || n < (long)lo || n > (long)hi)
        return usage("%s must be a number from %u to %u, not \"%s\"", name, lo, hi, v);
    *out = (unsigned)n;
    return 0;
}

static int parse_options(options *o, int argc, char **argv)
{
    char msg[1024];
    memset(o, 0, sizeof *o);
    o->listen = "127.0.0.1:8600";
    o->connections = KS_CONNECTIONS;
    o->per_address = KS_CONNECTIONS_PER_ADDRESS;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc) return usage("%s needs a value (or is not an option)", a);
        const char *v = argv[++i];
        int k = ks_keysource_option(&o->keys, a, v, msg, sizeof msg);
        if (k < 0) return usage("%s", msg);
        if (k > 0) continue;
        if (strcmp(a, "--connections") == 0) {
            if (parse_count(&o->connections, a, v, 16, 100000) != 0) return 2;
        } else if (strcmp(a, "--connections-per-address") == 0) {
            if (parse_count(&o->per_address, a, v, 0, 100000) != 0) return 2;
        } else if (strcmp(a, "--data") == 0) {
            o->data = v;
        } else if (strcmp(a, "--listen") == 0) {
            o->listen = v;
        } else if (strcmp(a, "--token-file") == 0) {
            o->token_file = v;
        } else if (strcmp(a, "--policy") == 0) {
            o->policy = v;
        } else if (strcmp(a, "--credentials") == 0) {
            o->credentials = v;
        } else if (strcmp(a, "--signers") == 0) {
            char *end = NULL;
            long n = strtol(v, &end, 10);
            if (end == v || *end != 0 || n < 2 || n > KP_MAX_SIGNERS)
                return usage("--signers must be a number from 2 to 64, not \"%s\"", v);
            o->signers = (unsigned)n;
            o->signers_given = 1;
        } else if (strcmp(a, "--signer-url") == 0) {
            if (o->nurls == KP_MAX_SIGNERS) return usage("%s", "at most 64 --signer-url");
            o->urls[o->nurls++] = v;
        } else if (strcmp(a, "--signer-secret-file") == 0) {
            if (o->nsecrets == KP_MAX_SIGNERS) return usage("%s", "at most 64 --signer-secret-file");
            o->secrets[o->nsecrets++] = v;
        } else {
            return usage("unknown option \"%s\"", a);
        }
    }
    if (o->data == NULL) return usage("%s", "--data DIR is required");
    if (o->nurls != o->nsecrets)
        return usage("%s", "each --signer-url needs its --signer-secret-file (they come in pairs)");
    if (o->nurls > 0 && o->signers != 0)
        return usage("%s", "--signers N (embedded signers) and --signer-url (remote signers) do not go together");
    if (o->nurls == 1) return usage("%s", "a cluster needs at least 2 signers");
    if (ks_keysource_check(&o->keys, o->data, msg, sizeof msg) != 0) return usage("%s", msg);
    return 0;
}

static int meta_get(ks_api *api, const char *name, char *out, size_t cap)
{
    sqlite3_stmt *q = NULL;
    int found = 0;
    if (sqlite3_prepare_v2(api->db, "SELECT value FROM meta WHERE name = ?", -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
        if (sqlite3_step(q) == SQLITE_ROW) {
            snprintf(out, cap, "%s", (const char *)sqlite3_column_text(q, 0));
            found = 1;
        }
    }
    sqlite3_finalize(q);
    return found;
}

static int meta_set(ks_err *e, ks_api *api, const char *name, const char *value)
{
    sqlite3_stmt *q = NULL;
    if (ks_db_prepare(e, api->db, &q, "INSERT OR REPLACE INTO meta(name, value) VALUES(?, ?)") != 0) return 500;
    sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, value, -1, SQLITE_STATIC);
    int ok = sqlite3_step(q) == SQLITE_DONE;
    sqlite3_finalize(q);
    return ok ? 0 : ks_fail(e, 500, "cannot write %s to api.db: %s", name, sqlite3_errmsg(api->db));
}

/* DATA/token on first start (mode 0600), or --token-file. Only its SHA-256 is kept. */
static int load_token(ks_err *e, ks_api *api, const char *token_file, char *where, size_t cap)
{
    char path[4200];
    if (token_file != NULL) {
        snprintf(path, sizeof path, "%s", token_file);
    } else {
        snprintf(path, sizeof path, "%s/token", api->data);
        if (!ks_exists(path)) {
            uint8_t raw[32];
            kp_buf t;
            kp_buf_init(&t, 1);
            ks_random(raw, sizeof raw);
            int rc = kp_buf_addstr(&t, "kpt_") == KP_OK && ks_buf_addb64url(&t, raw, sizeof raw) == KP_OK &&
                             kp_buf_addstr(&t, "\n") == KP_OK
                         ? ks_write_new_file(e, path, t.data, t.len, 0600)
                         : ks_fail(e, 500, "out of memory");
            kp_memzero(raw, sizeof raw);
            kp_buf_release(&t);
            if (rc != 0) return rc;
        }
    }
    uint8_t *text = NULL;
    size_t len = 0;
    if (ks_read_file(e, path, 4096, 1, &text, &len) != 0) return 500;
    size_t used = len;
    while (used > 0 && (text[used - 1] == '\n' || text[used - 1] == '\r' || text[used - 1] == ' ')) used--;
    int rc = 0;
    if (used < 16)
        rc = ks_fail(e, 500, "the bearer token in %s must be at least 16 characters", path);
    else
        kp_sha256(api->token_hash, text, used);
    ks_file_free(text, len, 1);
    snprintf(where, cap, "%s", path);
    return rc;
}

/* A new passphrase for the audit identity: 64 random hex digits. */
static int make_audit_pass(ks_err *e, void *arg, uint8_t *pass, size_t len)
{
    uint8_t raw[32];
    char hex[65];
    (void)e;
    (void)arg;
    ks_random(raw, sizeof raw);
    ks_hex(hex, raw, sizeof raw);
    memcpy(pass, hex, len);
    kp_memzero(raw, sizeof raw);
    kp_memzero(hex, sizeof hex);
    return 0;
}

/* The audit log's writer: DATA/cluster.kpo, whose passphrase is kept sealed under the storage key
 * in DATA/cluster.pass.sealed, so that the folder alone does not unlock it. */
static int open_audit(ks_err *e, ks_api *api, const uint8_t key[32])
{
    char kpo[4200], torn[4096];
    uint8_t *pass = kp_secure_alloc(64), *file = NULL;
    size_t pass_len = 64, file_len = 0;
    kp_status st;
    int rc = 500;
    snprintf(kpo, sizeof kpo, "%s/cluster.kpo", api->data);
    snprintf(api->audit_path, sizeof api->audit_path, "%s/audit.jsonl", api->data);
    if (pass == NULL) return ks_fail(e, 500, "out of secure memory");
    if (ks_sealed_secret(e, key, api->data, "cluster.pass", pass, pass_len, !ks_exists(kpo), make_audit_pass, NULL) != 0)
        goto done;
    if (!ks_exists(kpo)) {
        if (ks_exists(api->audit_path)) {
            ks_fail(e, 500, "%s is missing but the audit log %s exists: restore the writer's file", kpo, api->audit_path);
            goto done;
        }
        kp_buf f;
        kp_buf_init(&f, 0);
        st = kp_operator_new(api->ctx, &api->writer, &f, "keyportd", (const char *)pass, pass_len, KP_KDF_INTERACTIVE);
        if (st != KP_OK) {
            kp_buf_release(&f);
            ks_fail_kp(e, 500, st, "making the cluster's audit identity %s", kpo);
            goto done;
        }
        int w = ks_write_new_file(e, kpo, f.data, f.len, 0600);
        kp_buf_release(&f);
        if (w != 0) goto done;
    } else {
        if (ks_read_file(e, kpo, 64 * 1024, 0, &file, &file_len) != 0) goto done;
        if ((st = kp_operator_parse(&api->writer, (const char *)file, file_len)) != KP_OK ||
            (st = kp_operator_unlock(api->ctx, api->writer, (const char *)pass, pass_len)) != KP_OK) {
            ks_fail_kp(e, 500, st, "%s", kpo);
            goto done;
        }
    }
    if ((st = kp_audit_open(api->ctx, &api->log, api->audit_path, api->writer, ks_now(), torn)) != KP_OK) {
        ks_fail_kp(e, 500, st, "opening the audit log");
        goto done;
    }
    if (torn[0]) ks_log("%s: an incomplete last line (a torn write) was set aside in %s", api->audit_path, torn);
    rc = 0;
done:
    kp_secure_free(pass);
    ks_file_free(file, file_len, 0);
    return rc;
}

static int cmp_links(const void *a, const void *b)
{
    const ks_link *x = a, *y = b;
    size_t n = x->id_len < y->id_len ? x->id_len : y->id_len;
    int c = memcmp(x->id, y->id, n);
    return c != 0 ? c : (x->id_len > y->id_len) - (x->id_len < y->id_len);
}

/* Remote signers: ask each who it is; one that does not answer is taken from api.db, where it
 * was recorded when it last did. */
static int remember_or_recall(ks_err *e, ks_api *api, ks_link *l, size_t position, int answered)
{
    sqlite3_stmt *q = NULL;
    if (answered) {
        if (ks_db_prepare(e, api->db, &q,
                          "INSERT OR REPLACE INTO signers(position, url, signer_id, encryption_key) VALUES(?, ?, ?, ?)") != 0)
            return 500;
        sqlite3_bind_int(q, 1, (int)position);
        sqlite3_bind_text(q, 2, l->url, -1, SQLITE_STATIC);
        sqlite3_bind_blob(q, 3, l->id, (int)l->id_len, SQLITE_STATIC);
        sqlite3_bind_blob(q, 4, l->ek, 33, SQLITE_STATIC);
        int ok = sqlite3_step(q) == SQLITE_DONE;
        sqlite3_finalize(q);
        return ok ? 0 : ks_fail(e, 500, "cannot record signer %s in api.db", l->url);
    }
    if (ks_db_prepare(e, api->db, &q, "SELECT signer_id, encryption_key FROM signers WHERE url = ?") != 0) return 500;
    sqlite3_bind_text(q, 1, l->url, -1, SQLITE_STATIC);
    int found = sqlite3_step(q) == SQLITE_ROW && sqlite3_column_bytes(q, 0) > 0 &&
                sqlite3_column_bytes(q, 0) <= KS_SIGNER_ID_MAX && sqlite3_column_bytes(q, 1) == 33;
    if (found) {
        l->id_len = (size_t)sqlite3_column_bytes(q, 0);
        memcpy(l->id, sqlite3_column_blob(q, 0), l->id_len);
        memcpy(l->ek, sqlite3_column_blob(q, 1), 33);
        kp_buf b;
        kp_buf_init(&b, 0);
        ks_buf_addb64(&b, l->id, l->id_len);
        snprintf(l->id_b64, sizeof l->id_b64, "%s", b.data ? (const char *)b.data : "");
        kp_buf_release(&b);
    }
    sqlite3_finalize(q);
    return found ? 0 : 500;
}

/* secrets: the remote signers' shared secrets, read before anything was made */
static int open_signers(ks_err *e, ks_api *api, const options *o, uint8_t *const *secrets, const size_t *slens,
                        const uint8_t key[32])
{
    api->n = o->nurls ? o->nurls : o->signers;
    api->remote = o->nurls > 0;
    if ((api->signers = calloc(api->n, sizeof *api->signers)) == NULL) return ks_fail(e, 500, "out of memory");
    if (!api->remote) {
        char dir[4200];
        if ((api->local = calloc(api->n, sizeof *api->local)) == NULL) return ks_fail(e, 500, "out of memory");
        for (size_t i = 0; i < api->n; i++) {
            snprintf(dir, sizeof dir, "%s/signer-%zu", api->data, i + 1);
            if (ks_signer_open(e, &api->local[i], api->ctx, dir, key) != 0 ||
                ks_link_local(e, &api->signers[i], api->ctx, api->local[i]) != 0)
                return 500;
        }
    } else {
        for (size_t i = 0; i < api->n; i++) {
            int rc = ks_link_remote(e, &api->signers[i], api->ctx, o->urls[i], secrets[i], slens[i]);
            if (rc != 0) return rc;
            ks_err why = {0};
            int answered = ks_link_identify(&why, &api->signers[i]) == 0;
            if (!answered) ks_log("%s", why.msg);
            if (remember_or_recall(e, api, &api->signers[i], i, answered) != 0)
                return answered ? 500
                                : ks_fail(e, 500, "signer at %s did not say who it is, and this cluster has never seen it: %s",
                                          o->urls[i], why.msg);
            if (!answered) ks_log("using the identity recorded for %s; it will be retried", o->urls[i]);
        }
    }
    qsort(api->signers, api->n, sizeof *api->signers, cmp_links);
    /* the set of signers is fixed for the life of the data: every key's shares depend on it */
    kp_buf ids;
    kp_buf_init(&ids, 0);
    for (size_t i = 0; i < api->n; i++) {
        api->signers[i].index = (unsigned)i + 1;
        if (i > 0 && cmp_links(&api->signers[i - 1], &api->signers[i]) == 0) {
            kp_buf_release(&ids);
            return ks_fail(e, 500, "two signers have the same signerId %s", api->signers[i].id_b64);
        }
        if (i) kp_buf_addstr(&ids, ",");
        kp_buf_addstr(&ids, api->signers[i].id_b64);
    }
    char stored[KP_MAX_SIGNERS * 100];
    int rc = 0;
    if (!meta_get(api, "signers", stored, sizeof stored))
        rc = meta_set(e, api, "signers", ids.data ? (const char *)ids.data : "");
    else if (strcmp(stored, ids.data ? (const char *)ids.data : "") != 0)
        rc = ks_fail(e, 500, "the signers (%s) are not those this cluster was made with (%s); the keys' shares are held "
                             "by those",
                     ids.data ? (const char *)ids.data : "", stored);
    kp_buf_release(&ids);
    return rc;
}

static int lock_data(ks_err *e, ks_api *api)
{
    return ks_lock_folder(e, &api->lock_fd, api->data, "keyportd.lock");
}

/* Unfinished commits, aborts and archives are retried every few seconds until the signers answer
 * or can write again: remote signers that are down, and embedded ones whose disk was full. */
static void *retry_main(void *arg)
{
    ks_api *api = arg;
    pthread_mutex_lock(&api->stop_lock);
    while (!api->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 2;
        pthread_cond_timedwait(&api->stop_cond, &api->stop_lock, &ts);
        if (api->stopping) break;
        pthread_mutex_unlock(&api->stop_lock);
        ks_keys_recover(api);
        pthread_mutex_lock(&api->stop_lock);
    }
    pthread_mutex_unlock(&api->stop_lock);
    return NULL;
}

static void api_close(ks_api *api)
{
    if (api->retry_running) {
        pthread_mutex_lock(&api->stop_lock);
        api->stopping = 1;
        pthread_cond_signal(&api->stop_cond);
        pthread_mutex_unlock(&api->stop_lock);
        pthread_join(api->retry_thread, NULL);
    }
    for (size_t i = 0; api->signers != NULL && i < api->n; i++) ks_link_release(&api->signers[i]);
    for (size_t i = 0; api->local != NULL && i < api->n; i++) ks_signer_close(api->local[i]);
    free(api->signers);
    free(api->local);
    kp_audit_close(api->log);
    kp_operator_free(api->writer);
    kp_policy_free(api->policy);
    ks_actions_free(&api->actions);
    if (api->db != NULL) sqlite3_close(api->db);
    free(api->reserved);
    free(api->busy);
    if (api->lock_fd > 0) close(api->lock_fd);
    kp_ctx_free(api->ctx);
}

/* What DATA says of its signers, once it has any: how many, and whether they are remote. */
static int stored_shape(ks_api *api, size_t *count, int *remote)
{
    char stored[KP_MAX_SIGNERS * 100];
    *count = 0;
    *remote = 0;
    if (!meta_get(api, "signers", stored, sizeof stored) || stored[0] == 0) return 0;
    *count = 1;
    for (const char *p = stored; *p; p++) *count += *p == ',';
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(api->db, "SELECT count(*) FROM signers", -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        *remote = sqlite3_column_int(q, 0) > 0;
    sqlite3_finalize(q);
    return 1;
}

/* The signers asked for must be those DATA was made with; without --signers, DATA says how many. */
static int check_shape(ks_err *e, ks_api *api, options *o)
{
    size_t count;
    int remote;
    if (!stored_shape(api, &count, &remote)) {
        if (o->nurls == 0 && o->signers == 0) o->signers = 5;
        return 0;
    }
    if (remote && o->nurls == 0)
        return ks_fail(e, 500, "this cluster's %zu signers are remote: give each one's --signer-url and "
                               "--signer-secret-file",
                       count);
    if (!remote && o->nurls > 0)
        return ks_fail(e, 500, "this cluster's %zu signers are embedded (in %s/signer-1 …): --signer-url does not go "
                               "with it",
                       count, api->data);
    if (remote && o->nurls != count)
        return ks_fail(e, 500, "this cluster has %zu remote signers, and %zu --signer-url were given", count, o->nurls);
    if (!remote && o->signers_given && o->signers != count)
        return ks_fail(e, 500, "this cluster has %zu signers (in %s), not %u: start it without --signers, or with "
                               "--signers %zu",
                       count, api->data, o->signers, count);
    if (!remote) o->signers = (unsigned)count;
    return 0;
}

int ks_api_main(int argc, char **argv)
{
    options o;
    int code = parse_options(&o, argc, argv);
    if (code != 0) return code;

    ks_api api;
    ks_err e = {0};
    ks_http *http = NULL;
    char url[300], token_where[4200], path[4200];
    uint8_t *key = NULL, *secrets[KP_MAX_SIGNERS] = {0};
    size_t slens[KP_MAX_SIGNERS] = {0};
    int fresh = ks_is_fresh(o.data), made_data = !ks_exists(o.data), made_key = 0;
    memset(&api, 0, sizeof api);
    api.lock_fd = -1;
    api.data = (char *)o.data;
    pthread_mutex_init(&api.db_lock, NULL);
    pthread_mutex_init(&api.audit_lock, NULL);
    pthread_mutex_init(&api.nonce_lock, NULL);
    pthread_mutex_init(&api.busy_lock, NULL);
    pthread_mutex_init(&api.stop_lock, NULL);
    pthread_cond_init(&api.stop_cond, NULL);
    ks_crash_init();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    code = 1;

    kp_status st = kp_ctx_new(&api.ctx);
    if (st != KP_OK) {
        ks_fail_kp(&e, 500, st, "setting up libkeyport");
        goto fail;
    }
    if (ks_actions_init(&api.actions) != 0) {
        ks_fail(&e, 500, "out of secure memory");
        goto fail;
    }
    /* everything that can refuse the start, before anything is made: the port, then every file read */
    if (ks_http_bind(&e, &http, url, sizeof url, o.listen) != 0) goto fail;
    ks_http_limits(http, o.connections, o.per_address);
    if (o.token_file != NULL) {
        uint8_t *t = NULL;
        size_t tl = 0;
        if (ks_read_file(&e, o.token_file, 4096, 1, &t, &tl) != 0) goto fail;
        ks_file_free(t, tl, 1);
    }
    if (o.policy != NULL) {
        uint8_t *text = NULL;
        size_t len = 0;
        if (ks_read_file(&e, o.policy, KP_MAX_INPUT_BYTES, 0, &text, &len) != 0) goto fail;
        st = kp_policy_parse(&api.policy, (const char *)text, len);
        ks_file_free(text, len, 0);
        if (st != KP_OK) {
            ks_fail_kp(&e, 500, st, "--policy %s", o.policy);
            goto fail;
        }
    }
    if (o.credentials != NULL && ks_actions_load(&e, &api.actions, o.credentials) != 0) goto fail;
    for (size_t i = 0; i < o.nsecrets; i++)
        if (ks_read_secret_file(&e, o.secrets[i], &secrets[i], &slens[i]) != 0) goto fail;
    if (!fresh) {
        /* DATA exists: it says how many signers it has, and whether they are remote */
        snprintf(path, sizeof path, "%s/api.db", o.data);
        if (lock_data(&e, &api) != 0) goto fail;
        if (ks_exists(path) && ks_db_open(&e, &api.db, path, api_schema) != 0) goto fail;
        if (api.db != NULL && check_shape(&e, &api, &o) != 0) goto fail;
    }
    if (o.nurls == 0 && o.signers == 0) o.signers = 5;

    if (ks_keysource_open(&e, api.ctx, &o.keys, o.data, fresh, &key, &made_key) != 0) goto fail;
    /* after the passphrase prompt (where Ctrl-C still stops the process), before any thread */
    ks_block_signals();
    if (ks_mkdir(&e, o.data) != 0 || (api.lock_fd < 0 && lock_data(&e, &api) != 0)) goto fail;
    snprintf(path, sizeof path, "%s/api.db", o.data);
    if (api.db == NULL && ks_db_open(&e, &api.db, path, api_schema) != 0) goto fail;
    if (!meta_get(&api, "cluster_id", api.cluster_id, sizeof api.cluster_id)) {
        ks_new_id(api.cluster_id, sizeof api.cluster_id, "cluster-");
        if (meta_set(&e, &api, "cluster_id", api.cluster_id) != 0) goto fail;
    }
    if (load_token(&e, &api, o.token_file, token_where, sizeof token_where) != 0) goto fail;
    if (open_audit(&e, &api, key) != 0 || open_signers(&e, &api, &o, secrets, slens, key) != 0) goto fail;

    /* keys archived by an older keyportd, which told no signer: tell them all once (archive is idempotent) */
    char done_once[8];
    if (!meta_get(&api, "archives_on_signers", done_once, sizeof done_once)) {
        char fill[300];
        snprintf(fill, sizeof fill,
                 "WITH RECURSIVE pos(p) AS (SELECT 0 UNION ALL SELECT p + 1 FROM pos WHERE p + 1 < %zu)"
                 " INSERT OR IGNORE INTO signer_archive(key_id, position) SELECT keys.id, pos.p FROM keys, pos"
                 " WHERE keys.status = 'Archived'",
                 api.n);
        if (ks_db_exec(&e, api.db, "recording the archived keys for the signers", fill) != 0 ||
            meta_set(&e, &api, "archives_on_signers", "1") != 0)
            goto fail;
    }

    /* API.md "Recovery": finish what a crash interrupted before serving anything */
    char sql[96];
    snprintf(sql, sizeof sql, "DELETE FROM nonces WHERE expires < %lld", (long long)ks_now());
    ks_db_exec(NULL, api.db, "dropping expired approval nonces", sql);
    size_t left = ks_keys_recover(&api);
    ks_keys_reconcile_log(&api);
    /* each start is on the record, so that a restart (after a crash, too) shows in the log */
    kp_buf started;
    kp_buf_init(&started, 0);
    if (ks_buf_addf(&started, "{\"version\":\"%s\",\"signers\":%zu,\"remote\":%s,\"policy\":", KP_VERSION_STRING,
                    api.n, api.remote ? "true" : "false") == KP_OK &&
        (api.policy ? kp_buf_addjstr(&started, kp_policy_id(api.policy), strlen(kp_policy_id(api.policy)))
                    : kp_buf_addstr(&started, "null")) == KP_OK &&
        ks_buf_addf(&started, ",\"unfinished\":%zu}", left) == KP_OK)
        ks_audit(&api, "cluster.started", NULL, NULL, NULL, 0, (const char *)started.data);
    kp_buf_release(&started);
    if (left > 0) ks_log("%zu unfinished key operations wait for signers that do not answer; they are retried", left);
    /* the same retries in both modes: a remote signer down, or an embedded one that cannot write */
    if (pthread_create(&api.retry_thread, NULL, retry_main, &api) != 0) {
        ks_fail(&e, 500, "cannot start the retry thread");
        goto fail;
    }
    api.retry_running = 1;

    if (ks_http_serve(&e, http, ks_api_handle, &api) != 0) goto fail;
    /* the "listening" line comes last: who waits for it has read everything before it */
    if (api.policy == NULL) printf("keyportd: no --policy: key imports, exports and archives will be refused (403)\n");
    if (api.actions.ncreds == 0)
        printf("keyportd: no --credentials: user actions cannot be signed, so key operations will be refused (401)\n");
    printf("keyportd: the bearer token is in %s\n", token_where);
    printf("keyportd: listening on %s with %zu signers\n", url, api.n);
    fflush(stdout);

    int sig = ks_wait_signal();
    ks_log("stopping on signal %d", sig);
    ks_http_stop(http);
    http = NULL;
    code = 0;
    goto done;
fail:
    ks_log("%s", e.msg);
done:
    ks_http_stop(http);
    api_close(&api);
    if (code != 0 && fresh) {
        /* a refused first start leaves nothing behind: not the folder, not a key file it made */
        ks_remove_tree(o.data, !made_data);
        if (made_key) unlink(o.keys.key_file);
    }
    for (size_t i = 0; i < KP_MAX_SIGNERS; i++) kp_secure_free(secrets[i]);
    kp_secure_free(key);
    pthread_mutex_destroy(&api.db_lock);
    pthread_mutex_destroy(&api.audit_lock);
    pthread_mutex_destroy(&api.nonce_lock);
    pthread_mutex_destroy(&api.busy_lock);
    curl_global_cleanup();
    return code;
}
