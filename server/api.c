/* api.c: keyportd's API: routing, authorization, the audit log, the read endpoints (see api.h). */
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "api.h"

/* ---------------------------------------------------------------- the audit log */

int ks_audit(ks_api *api, const char *event, const char *key_id, const char *pub_hex, const char *const *actors,
             size_t nactors, const char *details)
{
    static const char *const api_actor[] = {"api"};
    if (actors == NULL || nactors == 0) {
        actors = api_actor;
        nactors = 1;
    }
    pthread_mutex_lock(&api->audit_lock);
    kp_status st = kp_audit_append(api->log, ks_now(), event, key_id, pub_hex, actors, nactors, details, NULL);
    pthread_mutex_unlock(&api->audit_lock);
    if (st != KP_OK) {
        ks_log("cannot append %s to the audit log %s: %s", event, api->audit_path, kp_error_detail());
        return -1;
    }
    return 0;
}

/* Requests without a valid bearer token are logged as denied at most DENY_BURST per DENY_WINDOW
 * seconds, so that anyone who can reach the port cannot make the cluster grow (and fsync) its log
 * without bound. The ones not logged are counted, and the next one logged says how many
 * ("suppressed"): none goes unaccounted. Refusals of token holders are always logged. */
#define DENY_BURST 20
#define DENY_WINDOW 10
static pthread_mutex_t deny_lock = PTHREAD_MUTEX_INITIALIZER;
static time_t deny_window_start;
static unsigned deny_logged, deny_suppressed;

/* Whether to log this denial; *suppressed gets the count of those not logged since the last. */
static int deny_should_log(unsigned *suppressed)
{
    time_t now = time(NULL);
    int log = 0;
    pthread_mutex_lock(&deny_lock);
    if (now - deny_window_start >= DENY_WINDOW) {
        deny_window_start = now;
        deny_logged = 0;
    }
    if (deny_logged < DENY_BURST) {
        deny_logged++;
        *suppressed = deny_suppressed;
        deny_suppressed = 0;
        log = 1;
    } else {
        deny_suppressed++;
    }
    pthread_mutex_unlock(&deny_lock);
    return log;
}

/* Every 401 and 403 is recorded as request.denied (API.md); unauthenticated ones within the rate above. */
static void deny(ks_api *api, ks_req *r, const ks_err *e, int unauthenticated)
{
    char path[300], reason[KS_ERR_MAX];
    unsigned suppressed = 0;
    if (unauthenticated && !deny_should_log(&suppressed)) {
        ks_reply_err(r, e);
        return;
    }
    snprintf(path, sizeof path, "%s", r->path);
    snprintf(reason, sizeof reason, "%s", e->msg);
    ks_utf8_clean(path);
    ks_utf8_clean(reason);
    kp_buf d;
    kp_buf_init(&d, 0);
    if (ks_buf_addf(&d, "{\"status\":%d,\"method\":", e->status) == KP_OK &&
        kp_buf_addjstr(&d, r->method, strlen(r->method)) == KP_OK && kp_buf_addstr(&d, ",\"path\":") == KP_OK &&
        kp_buf_addjstr(&d, path, strlen(path)) == KP_OK && kp_buf_addstr(&d, ",\"reason\":") == KP_OK &&
        kp_buf_addjstr(&d, reason, strlen(reason)) == KP_OK &&
        (suppressed == 0 || ks_buf_addf(&d, ",\"suppressed\":%u", suppressed) == KP_OK) && kp_buf_addstr(&d, "}") == KP_OK)
        ks_audit(api, "request.denied", NULL, NULL, NULL, 0, (const char *)d.data);
    kp_buf_release(&d);
    ks_reply_err(r, e);
}

/* ---------------------------------------------------------------- busy keys */

int ks_busy_take(ks_api *api, const char *key_id)
{
    int rc = 0;
    pthread_mutex_lock(&api->busy_lock);
    for (size_t i = 0; i < api->nbusy && rc == 0; i++)
        if (strcmp(api->busy[i], key_id) == 0) rc = -1;
    if (rc == 0 && api->nbusy == api->busy_cap) {
        size_t cap = api->busy_cap ? 2 * api->busy_cap : 16;
        char(*p)[KS_KEY_ID_MAX] = realloc(api->busy, cap * sizeof *p);
        if (p == NULL) {
            rc = -1;
        } else {
            api->busy = p;
            api->busy_cap = cap;
        }
    }
    if (rc == 0) snprintf(api->busy[api->nbusy++], KS_KEY_ID_MAX, "%s", key_id);
    pthread_mutex_unlock(&api->busy_lock);
    return rc;
}

void ks_busy_drop(ks_api *api, const char *key_id)
{
    pthread_mutex_lock(&api->busy_lock);
    for (size_t i = 0; i < api->nbusy; i++)
        if (strcmp(api->busy[i], key_id) == 0) {
            memmove(api->busy[i], api->busy[api->nbusy - 1], KS_KEY_ID_MAX);
            api->nbusy--;
            break;
        }
    pthread_mutex_unlock(&api->busy_lock);
}

int ks_busy_has(ks_api *api, const char *key_id)
{
    int has = 0;
    pthread_mutex_lock(&api->busy_lock);
    for (size_t i = 0; i < api->nbusy && !has; i++) has = strcmp(api->busy[i], key_id) == 0;
    pthread_mutex_unlock(&api->busy_lock);
    return has;
}

/* ---------------------------------------------------------------- approvals and their nonces */

typedef struct nonce_data {
    ks_api *api;
    ks_authz *z;
} nonce_data;

/* nonce_lock is held by check_approvals around kp_approvals_verify */
static int nonce_seen(void *data, const uint8_t nonce[KP_APPROVAL_NONCE_BYTES])
{
    nonce_data *nd = data;
    ks_api *api = nd->api;
    for (size_t i = 0; i < api->nreserved; i++)
        if (memcmp(api->reserved[i], nonce, KP_APPROVAL_NONCE_BYTES) == 0) return 1;
    sqlite3_stmt *q = NULL;
    int seen = -1;
    pthread_mutex_lock(&api->db_lock);
    if (sqlite3_prepare_v2(api->db, "SELECT 1 FROM nonces WHERE nonce = ?", -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_blob(q, 1, nonce, KP_APPROVAL_NONCE_BYTES, SQLITE_STATIC);
        int rc = sqlite3_step(q);
        seen = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
    }
    sqlite3_finalize(q);
    pthread_mutex_unlock(&api->db_lock);
    return seen;
}

/* Reserves the nonce for this request; it is stored only if the request succeeds (ks_authz_store_nonces),
 * so that a refused request leaves its approvals usable, and no other request can use them meanwhile. */
static int nonce_remember(void *data, const uint8_t nonce[KP_APPROVAL_NONCE_BYTES], int64_t expires)
{
    nonce_data *nd = data;
    ks_api *api = nd->api;
    ks_authz *z = nd->z;
    if (api->nreserved == api->reserved_cap) {
        size_t cap = api->reserved_cap ? 2 * api->reserved_cap : 64;
        uint8_t(*p)[KP_APPROVAL_NONCE_BYTES] = realloc(api->reserved, cap * sizeof *p);
        if (p == NULL) return -1;
        api->reserved = p;
        api->reserved_cap = cap;
    }
    uint8_t(*zn)[KP_APPROVAL_NONCE_BYTES] = realloc(z->nonces, (z->nnonces + 1) * sizeof *zn);
    if (zn == NULL) return -1;
    z->nonces = zn;
    int64_t *ze = realloc(z->expires, (z->nnonces + 1) * sizeof *ze);
    if (ze == NULL) return -1;
    z->expires = ze;
    memcpy(z->nonces[z->nnonces], nonce, KP_APPROVAL_NONCE_BYTES);
    z->expires[z->nnonces++] = expires;
    memcpy(api->reserved[api->nreserved++], nonce, KP_APPROVAL_NONCE_BYTES);
    return 0;
}

int ks_authz_store_nonces(ks_err *e, ks_api *api, const ks_authz *z)
{
    sqlite3_stmt *q = NULL;
    if (ks_db_prepare(e, api->db, &q, "INSERT INTO nonces(nonce, expires) VALUES(?, ?)") != 0) return 500;
    int rc = 0;
    for (size_t i = 0; i < z->nnonces && rc == 0; i++) {
        sqlite3_bind_blob(q, 1, z->nonces[i], KP_APPROVAL_NONCE_BYTES, SQLITE_STATIC);
        sqlite3_bind_int64(q, 2, z->expires[i]);
        int r = sqlite3_step(q);
        if (r == SQLITE_CONSTRAINT)
            rc = ks_fail(e, 403, "an approval of this request was used by another request meanwhile");
        else if (r != SQLITE_DONE)
            rc = ks_fail(e, 500, "cannot record the approvals' nonces: %s", sqlite3_errmsg(api->db));
        sqlite3_reset(q);
    }
    sqlite3_finalize(q);
    return rc;
}

kp_status ks_authz_add_approvers(kp_buf *b, const ks_authz *z)
{
    kp_status st = kp_buf_addstr(b, "[");
    for (size_t i = 0; st == KP_OK && i < z->napprovers; i++) {
        if (i) st = kp_buf_addstr(b, ",");
        if (st == KP_OK) st = kp_buf_addjstr(b, z->approvers[i], strlen(z->approvers[i]));
    }
    return st == KP_OK ? kp_buf_addstr(b, "]") : st;
}

static void authz_release(ks_api *api, ks_authz *z)
{
    pthread_mutex_lock(&api->nonce_lock);
    for (size_t k = 0; k < z->nnonces; k++)
        for (size_t i = 0; i < api->nreserved; i++)
            if (memcmp(api->reserved[i], z->nonces[k], KP_APPROVAL_NONCE_BYTES) == 0) {
                memmove(api->reserved[i], api->reserved[api->nreserved - 1], KP_APPROVAL_NONCE_BYTES);
                api->nreserved--;
                break;
            }
    pthread_mutex_unlock(&api->nonce_lock);
    for (size_t i = 0; i < z->napprovers; i++) free(z->approvers[i]);
    free(z->approvers);
    free(z->nonces);
    free(z->expires);
    memset(z, 0, sizeof *z);
}

/* API.md "Operator approvals": X-Keyport-Approvals, checked with kp_approvals_verify. */
static int check_approvals(ks_err *e, ks_api *api, ks_authz *z, kp_action action, const char *key_id, ks_req *r)
{
    const char *header = ks_req_header(r, "X-Keyport-Approvals");
    const char *an = kp_action_name(action);
    if (api->policy == NULL)
        return ks_fail(e, 403, "no approval policy is configured (keyportd --policy FILE), so no %s can be approved", an);
    if (header == NULL || header[0] == 0)
        return ks_fail(e, 403, "the X-Keyport-Approvals header is missing: this %s needs approvals by %u operators of "
                               "policy %s (standard base64 of the bundle file)",
                       an, kp_policy_quorum(api->policy, action), kp_policy_id(api->policy));
    uint8_t *bundle = NULL;
    size_t blen = 0;
    if (ks_b64_decode(&bundle, &blen, header, strlen(header), 0) != 0)
        return ks_fail(e, 403, "X-Keyport-Approvals is not standard base64 (with padding) of an approval bundle");

    kp_approval_report *rep = NULL;
    nonce_data nd = {api, z};
    kp_nonce_store store = {nonce_seen, nonce_remember, &nd};
    pthread_mutex_lock(&api->nonce_lock);
    kp_status st = kp_approvals_verify(api->ctx, &rep, api->policy, action, key_id, r->body.data, r->body.len,
                                       (const char *)bundle, blen, ks_now(), &store);
    pthread_mutex_unlock(&api->nonce_lock);
    free(bundle);
    if (st != KP_OK) return ks_fail_kp(e, 403, st, "the approval bundle in X-Keyport-Approvals cannot be read");

    int rc = 0;
    size_t n = kp_approval_report_count(rep);
    if (!kp_approval_report_quorum_met(rep)) {
        kp_buf m;
        kp_buf_init(&m, 0);
        ks_buf_addf(&m, "the approvals do not meet the quorum for %s of policy %s: %u needed, %u counted", an,
                    kp_policy_id(api->policy), kp_approval_report_needed(rep), kp_approval_report_counted(rep));
        for (size_t i = 0; i < n; i++) {
            const char *name = NULL;
            uint8_t pk[32];
            char fp[KP_FINGERPRINT_LEN + 1];
            kp_verdict v = kp_approval_report_get(rep, i, &name, pk);
            kp_fingerprint(fp, pk);
            ks_buf_addf(&m, "; approval %zu (%s%s) %s", i + 1, name ? "operator " : "key ", name ? name : fp,
                        v == KP_VERDICT_COUNTED ? "counted" : kp_verdict_text(v));
        }
        rc = ks_fail(e, 403, "%s", m.data ? (const char *)m.data : "the approvals do not meet the quorum");
        kp_buf_release(&m);
    } else {
        z->approvers = calloc(n ? n : 1, sizeof *z->approvers);
        for (size_t i = 0; z->approvers != NULL && rc == 0 && i < n; i++) {
            const char *name = NULL;
            if (kp_approval_report_get(rep, i, &name, NULL) != KP_VERDICT_COUNTED || name == NULL) continue;
            if ((z->approvers[z->napprovers] = strdup(name)) == NULL) rc = ks_fail(e, 500, "out of memory");
            else z->napprovers++;
        }
        if (z->approvers == NULL) rc = ks_fail(e, 500, "out of memory");
    }
    kp_approval_report_free(rep);
    return rc;
}

/* ---------------------------------------------------------------- the bearer token */

static int check_bearer(ks_err *e, ks_api *api, ks_req *r)
{
    const char *h = ks_req_header(r, "Authorization");
    if (h == NULL || h[0] == 0) return ks_fail(e, 401, "the Authorization header is missing: send Authorization: Bearer <token>");
    if (strncmp(h, "Bearer ", 7) != 0) return ks_fail(e, 401, "the Authorization header must be \"Bearer <token>\"");
    uint8_t got[32];
    kp_sha256(got, (const uint8_t *)h + 7, strlen(h + 7));
    if (kp_memcmp_ct(got, api->token_hash, 32) != 0) return ks_fail(e, 401, "the bearer token is not this cluster's");
    return 0;
}

/* ---------------------------------------------------------------- read endpoints */

static void get_signers(ks_api *api, ks_req *r)
{
    kp_signer_info info[KP_MAX_SIGNERS];
    for (size_t i = 0; i < api->n; i++) {
        info[i].signer_id = api->signers[i].id;
        info[i].signer_id_len = api->signers[i].id_len;
        memcpy(info[i].encryption_key, api->signers[i].ek, 33);
    }
    kp_buf out;
    kp_buf_init(&out, 0);
    if (kp_signers_write(&out, api->cluster_id, info, api->n) == KP_OK)
        ks_reply(r, 200, (const char *)out.data, out.len);
    else
        ks_reply_error(r, 500, "cannot write the signers list");
    kp_buf_release(&out);
}

typedef struct audit_filter {
    kp_buf *out;
    const char *key_id;
    size_t count;
} audit_filter;

static int audit_entry(const kp_audit_entry *en, void *data)
{
    audit_filter *f = data;
    if (f->key_id != NULL && (en->key_id == NULL || strcmp(en->key_id, f->key_id) != 0)) return 0;
    if ((f->count++ && kp_buf_addstr(f->out, ",") != KP_OK) || kp_buf_addstr(f->out, en->line) != KP_OK) return 1;
    return 0;
}

/* Reads the log as it is now (under the audit lock, so that no line is half-written). */
static int read_log(ks_err *e, ks_api *api, uint8_t **text, size_t *len)
{
    pthread_mutex_lock(&api->audit_lock);
    int rc = 0;
    *text = NULL;
    *len = 0;
    if (ks_exists(api->audit_path)) rc = ks_read_file(e, api->audit_path, (size_t)1 << 30, 0, text, len);
    pthread_mutex_unlock(&api->audit_lock);
    return rc;
}

static void get_audit(ks_api *api, ks_req *r, int raw)
{
    ks_err e = {0};
    uint8_t *text = NULL;
    size_t len = 0;
    if (read_log(&e, api, &text, &len) != 0) {
        ks_reply_err(r, &e);
        return;
    }
    if (raw) {
        ks_reply(r, 200, text ? (const char *)text : "", len);
        r->content_type = "application/x-ndjson";
        ks_file_free(text, len, 0);
        return;
    }
    kp_buf out;
    kp_buf_init(&out, 0);
    audit_filter f = {&out, ks_req_query(r, "keyId"), 0};
    kp_buf_addstr(&out, "{\"entries\":[");
    if (text != NULL) kp_audit_entries((const char *)text, len, audit_entry, &f);
    if (kp_buf_addstr(&out, "]}") == KP_OK)
        ks_reply(r, 200, (const char *)out.data, out.len);
    else
        ks_reply_error(r, 500, "out of memory");
    kp_buf_release(&out);
    ks_file_free(text, len, 0);
}

/* ---------------------------------------------------------------- routing */

enum mutation { M_IMPORT, M_GENERATE, M_EXPORT, M_ARCHIVE, M_SIGN };

/* POST /keys, /keys/import, /keys/{id}/export, /keys/{id}/archive: a user action, then approvals.
 * POST /keys/{id}/signatures: a user action, and approvals when the policy names sign. */
static void mutate(ks_api *api, ks_req *r, enum mutation m, const char *key_id)
{
    static const kp_action actions[] = {KP_ACTION_IMPORT, KP_ACTION_IMPORT, KP_ACTION_EXPORT, KP_ACTION_ARCHIVE,
                                        KP_ACTION_SIGN};
    /* signing needs approvals only when the policy names sign (API.md "Signing") */
    int approved = m != M_SIGN || (api->policy != NULL && kp_policy_quorum(api->policy, KP_ACTION_SIGN) > 0);
    ks_authz z;
    ks_err e = {0};
    kp_buf out;
    memset(&z, 0, sizeof z);
    kp_buf_init(&out, 0);
    if (ks_action_use(&e, &api->actions, ks_req_header(r, "X-DFNS-USERACTION"), r->method, r->path, r->body.data,
                      r->body.len, z.cred_id, sizeof z.cred_id) != 0 ||
        (approved && check_approvals(&e, api, &z, actions[m], m == M_IMPORT || m == M_GENERATE ? NULL : key_id, r) != 0)) {
        deny(api, r, &e, 0);
        goto done;
    }
    void (*on_done)(void *, int) = NULL;
    void *on_done_arg = NULL;
    int rc;
    switch (m) {
    case M_IMPORT: rc = ks_keys_import(&e, api, &z, r->body.data, r->body.len, &out); break;
    case M_GENERATE: rc = ks_keys_generate(&e, api, &z, r->body.data, r->body.len, &out); break;
    case M_EXPORT:
        rc = ks_keys_export(&e, api, &z, key_id, r->body.data, r->body.len, &out, &r->missing, &on_done, &on_done_arg);
        break;
    case M_SIGN: rc = ks_keys_sign(&e, api, &z, key_id, r->body.data, r->body.len, &out); break;
    default: rc = ks_keys_archive(&e, api, &z, key_id, r->body.data, r->body.len, &out); break;
    }
    if (rc != 0) {
        if (e.status == 401 || e.status == 403)
            deny(api, r, &e, 0);
        else
            ks_reply_err(r, &e);
        goto done;
    }
    ks_reply(r, 200, (const char *)out.data, out.len);
    r->on_done = on_done;
    r->on_done_arg = on_done_arg;
done:
    authz_release(api, &z);
    kp_buf_release(&out);
}

static void get_signatures(ks_api *api, ks_req *r, const char *key_id, const char *sig_id)
{
    ks_err e = {0};
    kp_buf out;
    kp_buf_init(&out, 0);
    if (ks_signatures_get(&e, api, key_id, sig_id, &out) == 0)
        ks_reply(r, 200, (const char *)out.data, out.len);
    else
        ks_reply_err(r, &e);
    kp_buf_release(&out);
}

static int method_is(ks_req *r, const char *want)
{
    if (strcmp(r->method, want) == 0) return 1;
    char msg[200];
    snprintf(msg, sizeof msg, "%s is not allowed on %.100s; use %s", r->method, r->path, want);
    ks_utf8_clean(msg);
    ks_reply_error(r, 405, msg);
    return 0;
}

void ks_api_handle(void *app, ks_req *r)
{
    ks_api *api = app;
    ks_err e = {0};
    const char *p = r->path;
    if (check_bearer(&e, api, r) != 0) {
        deny(api, r, &e, 1);
        return;
    }
    if (r->too_large) {
        ks_reply_error(r, 413, "the request body is over 1 MiB (1048576 bytes), the most this API accepts");
        return;
    }
    if (strcmp(p, "/signers") == 0) {
        if (method_is(r, "GET")) get_signers(api, r);
    } else if (strcmp(p, "/keys") == 0) {
        if (strcmp(r->method, "GET") == 0) {
            kp_buf out;
            kp_buf_init(&out, 0);
            if (ks_keys_list(&e, api, &out) == 0)
                ks_reply(r, 200, (const char *)out.data, out.len);
            else
                ks_reply_err(r, &e);
            kp_buf_release(&out);
        } else if (method_is(r, "POST")) {
            mutate(api, r, M_GENERATE, NULL);
        }
    } else if (strcmp(p, "/keys/import") == 0) {
        if (method_is(r, "POST")) mutate(api, r, M_IMPORT, NULL);
    } else if (strncmp(p, "/keys/", 6) == 0 && p[6] != 0 && p[6] != '/') {
        char key_id[KS_KEY_ID_MAX];
        const char *slash = strchr(p + 6, '/');
        size_t klen = slash ? (size_t)(slash - (p + 6)) : strlen(p + 6);
        const char *rest = slash ? slash : "";
        if (klen >= sizeof key_id) {
            ks_reply_error(r, 404, "no such key: the key id is too long");
            return;
        }
        memcpy(key_id, p + 6, klen);
        key_id[klen] = 0;
        if (rest[0] == 0) {
            if (method_is(r, "GET")) {
                kp_buf out;
                kp_buf_init(&out, 0);
                if (ks_key_json(&e, api, key_id, &out) == 0)
                    ks_reply(r, 200, (const char *)out.data, out.len);
                else
                    ks_reply_err(r, &e);
                kp_buf_release(&out);
            }
        } else if (strcmp(rest, "/export") == 0) {
            if (method_is(r, "POST")) mutate(api, r, M_EXPORT, key_id);
        } else if (strcmp(rest, "/archive") == 0) {
            if (method_is(r, "POST")) mutate(api, r, M_ARCHIVE, key_id);
        } else if (strcmp(rest, "/signatures") == 0) {
            if (strcmp(r->method, "GET") == 0)
                get_signatures(api, r, key_id, NULL);
            else if (method_is(r, "POST"))
                mutate(api, r, M_SIGN, key_id);
        } else if (strncmp(rest, "/signatures/", 12) == 0 && rest[12] != 0 && strchr(rest + 12, '/') == NULL) {
            if (method_is(r, "GET")) get_signatures(api, r, key_id, rest + 12);
        } else {
            ks_reply_error(r, 404, "no such path: a key has /export, /archive and /signatures");
        }
    } else if (strcmp(p, "/audit") == 0) {
        if (method_is(r, "GET")) get_audit(api, r, 0);
    } else if (strcmp(p, "/audit/raw") == 0) {
        if (method_is(r, "GET")) get_audit(api, r, 1);
    } else if (strcmp(p, "/auth/action/init") == 0 || strcmp(p, "/auth/action") == 0) {
        if (!method_is(r, "POST")) return;
        kp_buf out;
        kp_buf_init(&out, 1);
        int rc = p[12] == 0 ? ks_action_sign(&e, &api->actions, r->body.data, r->body.len, &out)
                            : ks_action_init(&e, &api->actions, r->body.data, r->body.len, &out);
        if (rc == 0)
            ks_reply(r, 200, (const char *)out.data, out.len);
        else if (e.status == 401 || e.status == 403)
            deny(api, r, &e, 0);
        else
            ks_reply_err(r, &e);
        kp_buf_release(&out);
    } else {
        char msg[200];
        snprintf(msg, sizeof msg, "no such path: %.100s", p);
        ks_reply_error(r, 404, msg);
    }
}
