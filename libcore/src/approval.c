/*
 * approval.c: operators' signed approvals of one exact request, bundles of them, and the
 * quorum check (Know Your Key: every import and export authorized by keys the cluster does
 * not hold).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "operator.h"
#include "wire.h"

#define MAX_APPROVALS 64
#define KEY_ID_MAX 256
#define CLOCK_SKEW 300 /* seconds an approval's time may be ahead of ours */

struct statement {
    char policy[129];
    kp_action action;
    char key_id[KEY_ID_MAX + 1];
    int has_key;
    uint8_t request[32];
    uint8_t nonce[KP_APPROVAL_NONCE_BYTES];
    uint32_t time, expires;
    uint8_t operator_pk[32];
    uint8_t sig[64];
};

/* The canonical statement bytes, the only thing an operator signs. */
static kp_status statement_write(kp_buf *b, const struct statement *s)
{
    kp_status st;
    if ((st = kp_buf_addstr(b, "{\"type\":\"keyport-approval\",\"version\":1,\"policy\":")) != KP_OK ||
        (st = kp_buf_addjstr(b, s->policy, strlen(s->policy))) != KP_OK ||
        (st = kp_buf_addf(b, ",\"action\":\"%s\"", kp_action_name(s->action))) != KP_OK)
        return st;
    if (s->has_key && ((st = kp_buf_addstr(b, ",\"keyId\":")) != KP_OK ||
                       (st = kp_buf_addjstr(b, s->key_id, strlen(s->key_id))) != KP_OK))
        return st;
    if ((st = kp_buf_addstr(b, ",\"request\":\"")) != KP_OK || (st = kp_buf_addhex(b, s->request, 32)) != KP_OK ||
        (st = kp_buf_addstr(b, "\",\"nonce\":\"")) != KP_OK || (st = kp_buf_addhex(b, s->nonce, sizeof s->nonce)) != KP_OK ||
        (st = kp_buf_addf(b, "\",\"time\":%u,\"expires\":%u,\"operator\":\"", s->time, s->expires)) != KP_OK ||
        (st = kp_buf_addhex(b, s->operator_pk, 32)) != KP_OK || (st = kp_buf_addstr(b, "\"}")) != KP_OK)
        return st;
    return KP_OK;
}

static kp_status need_hex(const kp_json *j, int obj, const char *key, uint8_t *out, size_t n, const char *path)
{
    const char *s;
    size_t len;
    kp_status st = kp_json_need_str(j, obj, key, path, &s, &len);
    if (st != KP_OK) return st;
    if (kp_hex_decode_exact(out, n, s, len) != KP_OK) return kp_fail(KP_ERR_HEX, "%s must be %zu hex digits", path, 2 * n);
    return KP_OK;
}

/* Reads one {"statement":{…},"signature":…} entry. */
static kp_status statement_read(const kp_json *j, int e, size_t i, struct statement *s)
{
    static const char *const outer[] = {"statement", "signature", NULL};
    static const char *const inner[] = {"type", "version", "policy", "action", "keyId", "request", "nonce", "time",
                                        "expires", "operator", NULL};
    char path[80], *str = NULL;
    const char *t;
    size_t tlen;
    int o, tok;
    kp_status st;
    memset(s, 0, sizeof *s);
    snprintf(path, sizeof path, "approvals[%zu]", i);
    if (j->tok[e].type != KP_J_OBJECT) return kp_fail(KP_ERR_FORMAT, "%s must be an object", path);
    if ((st = kp_json_only(j, e, outer, path)) != KP_OK) return st;
    snprintf(path, sizeof path, "approvals[%zu].signature", i);
    if ((st = need_hex(j, e, "signature", s->sig, 64, path)) != KP_OK) return st;
    snprintf(path, sizeof path, "approvals[%zu].statement", i);
    if ((st = kp_json_need(j, e, "statement", KP_J_OBJECT, path, &o)) != KP_OK ||
        (st = kp_json_only(j, o, inner, path)) != KP_OK || (st = kp_wire_version(j, o, path)) != KP_OK)
        return st;
    if ((st = kp_json_need_str(j, o, "type", path, &t, &tlen)) != KP_OK) return st;
    if (tlen != 16 || memcmp(t, "keyport-approval", 16) != 0) return kp_fail(KP_ERR_FORMAT, "%s.type is not keyport-approval", path);
    if ((st = kp_json_need(j, o, "policy", KP_J_STRING, path, &tok)) != KP_OK || (st = kp_json_strdup(j, tok, &str)) != KP_OK)
        return st;
    if (strlen(str) >= sizeof s->policy) st = kp_fail(KP_ERR_FORMAT, "%s.policy is too long", path);
    else memcpy(s->policy, str, strlen(str));
    free(str);
    str = NULL;
    if (st != KP_OK) return st;
    char action[16] = {0};
    if ((st = kp_json_need_str(j, o, "action", path, &t, &tlen)) != KP_OK) return st;
    memcpy(action, t, tlen < sizeof action - 1 ? tlen : sizeof action - 1);
    if ((st = kp_action_from_name(&s->action, action)) != KP_OK) return st;
    if ((tok = kp_json_get(j, o, "keyId")) >= 0) {
        if (j->tok[tok].type != KP_J_STRING || kp_json_strdup(j, tok, &str) != KP_OK || strlen(str) == 0 ||
            strlen(str) > KEY_ID_MAX) {
            free(str);
            return kp_fail(KP_ERR_FORMAT, "%s.keyId must be a string of 1 to %d bytes", path, KEY_ID_MAX);
        }
        memcpy(s->key_id, str, strlen(str));
        s->has_key = 1;
        free(str);
    }
    char p2[100];
    snprintf(p2, sizeof p2, "%s.request", path);
    if ((st = need_hex(j, o, "request", s->request, 32, p2)) != KP_OK) return st;
    snprintf(p2, sizeof p2, "%s.nonce", path);
    if ((st = need_hex(j, o, "nonce", s->nonce, sizeof s->nonce, p2)) != KP_OK) return st;
    snprintf(p2, sizeof p2, "%s.operator", path);
    if ((st = need_hex(j, o, "operator", s->operator_pk, 32, p2)) != KP_OK) return st;
    snprintf(p2, sizeof p2, "%s.time", path);
    if ((st = kp_json_need_uint(j, o, "time", 0, UINT32_MAX, p2, &s->time)) != KP_OK) return st;
    snprintf(p2, sizeof p2, "%s.expires", path);
    if ((st = kp_json_need_uint(j, o, "expires", 0, UINT32_MAX, p2, &s->expires)) != KP_OK) return st;
    if (s->expires <= s->time) return kp_fail(KP_ERR_FORMAT, "%s expires before it is made", path);
    return KP_OK;
}

/* Reads a bundle: its approvals as statements, each either read or marked malformed. */
static kp_status bundle_read(const char *text, size_t len, struct statement **out, kp_status **each, size_t *n)
{
    static const char *const top[] = {"version", "approvals", NULL};
    kp_json j;
    kp_status st;
    int arr;
    *out = NULL;
    *each = NULL;
    *n = 0;
    if ((st = kp_json_parse(&j, text, len, "the approval bundle")) != KP_OK) return st;
    if ((st = kp_wire_version(&j, 0, "bundle")) != KP_OK || (st = kp_json_only(&j, 0, top, "the approval bundle")) != KP_OK ||
        (st = kp_json_need(&j, 0, "approvals", KP_J_ARRAY, "approvals", &arr)) != KP_OK)
        goto cleanup;
    size_t count = j.tok[arr].count;
    if (count > MAX_APPROVALS) {
        st = kp_fail(KP_ERR_TOO_MANY, "the bundle holds %zu approvals; at most %d are allowed", count, MAX_APPROVALS);
        goto cleanup;
    }
    if (count > 0 && ((*out = calloc(count, sizeof **out)) == NULL || (*each = calloc(count, sizeof **each)) == NULL)) {
        st = kp_fail(KP_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    for (int e = kp_json_first(&j, arr); e >= 0; e = kp_json_next(&j, arr, e), (*n)++)
        (*each)[*n] = statement_read(&j, e, *n, &(*out)[*n]);
cleanup:
    if (st != KP_OK) {
        free(*out);
        free(*each);
        *out = NULL;
        *each = NULL;
        *n = 0;
    }
    kp_json_free(&j);
    return st;
}

static kp_status bundle_write(kp_buf *out, const struct statement *s, size_t n)
{
    kp_status st = kp_buf_addstr(out, "{\"version\":1,\"approvals\":[");
    for (size_t i = 0; st == KP_OK && i < n; i++) {
        if ((st = kp_buf_addstr(out, i ? ",\n{\"statement\":" : "\n{\"statement\":")) == KP_OK &&
            (st = statement_write(out, &s[i])) == KP_OK && (st = kp_buf_addstr(out, ",\"signature\":\"")) == KP_OK &&
            (st = kp_buf_addhex(out, s[i].sig, 64)) == KP_OK)
            st = kp_buf_addstr(out, "\"}");
    }
    return st == KP_OK ? kp_buf_addstr(out, "\n]}\n") : st;
}

kp_status kp_approval_sign(const kp_ctx *ctx, kp_buf *out, const char *bundle_in, size_t bundle_in_len,
                           const kp_operator *op, const kp_policy *policy, kp_action action, const char *key_id,
                           const uint8_t *request, size_t request_len, int64_t now, int64_t ttl)
{
    KP_ARG_CHECK(ctx, ctx != NULL && out != NULL && op != NULL && policy != NULL && (request != NULL || request_len == 0));
    KP_ARG_CHECK(ctx, bundle_in != NULL || bundle_in_len == 0);
    struct statement *s = NULL, *all = NULL;
    kp_status *each = NULL, st;
    size_t n = 0;
    kp_buf msg;
    kp_buf_init(&msg, 0);
    kp_clear_error();
    if (kp_action_name(action) == NULL) return kp_fail(KP_ERR_FORMAT, "unknown action %d", (int)action);
    if (action == KP_ACTION_IMPORT && key_id != NULL)
        return kp_fail(KP_ERR_FORMAT, "an import approval names no key id (the key does not exist yet)");
    if (action != KP_ACTION_IMPORT &&
        (key_id == NULL || key_id[0] == 0 || strlen(key_id) > KEY_ID_MAX || !kp_utf8_valid(key_id, strlen(key_id))))
        return kp_fail(KP_ERR_FORMAT, "an %s approval needs the key id (1 to %d bytes of UTF-8)", kp_action_name(action),
                       KEY_ID_MAX);
    if (now < 0 || ttl <= 0 || now + ttl > (int64_t)UINT32_MAX)
        return kp_fail(KP_ERR_FORMAT, "the approval's time and lifetime are out of range");
    if (!kp_operator_is_unlocked(op)) return kp_fail(KP_ERR_LOCKED, "operator %s is not unlocked", kp_operator_name(op));
    uint8_t pk[32];
    kp_operator_public_key(op, pk);
    if (kp_policy_find(policy, pk) < 0)
        return kp_fail(KP_ERR_NOT_IN_POLICY, "operator %s is not in policy %s", kp_operator_name(op), kp_policy_id(policy));
    if (bundle_in_len > 0) {
        if ((st = bundle_read(bundle_in, bundle_in_len, &s, &each, &n)) != KP_OK) return st;
        for (size_t i = 0; i < n; i++)
            if (each[i] != KP_OK) {
                st = kp_fail(each[i], "the existing bundle's approval %zu is malformed", i);
                goto cleanup;
            }
        if (n >= MAX_APPROVALS) {
            st = kp_fail(KP_ERR_TOO_MANY, "the bundle already holds %d approvals", MAX_APPROVALS);
            goto cleanup;
        }
    }
    if ((all = calloc(n + 1, sizeof *all)) == NULL) {
        st = kp_fail(KP_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    if (n) memcpy(all, s, n * sizeof *s);
    struct statement *mine = &all[n];
    snprintf(mine->policy, sizeof mine->policy, "%s", kp_policy_id(policy));
    mine->action = action;
    if (key_id != NULL) {
        memcpy(mine->key_id, key_id, strlen(key_id));
        mine->has_key = 1;
    }
    crypto_hash_sha256(mine->request, request, request_len);
    kp_random(mine->nonce, sizeof mine->nonce);
    mine->time = (uint32_t)now;
    mine->expires = (uint32_t)(now + ttl);
    memcpy(mine->operator_pk, pk, 32);
    if ((st = statement_write(&msg, mine)) != KP_OK || (st = kp_operator_sign(op, mine->sig, msg.data, msg.len)) != KP_OK)
        goto cleanup;
    st = bundle_write(out, all, n + 1);
cleanup:
    free(s);
    free(all);
    free(each);
    kp_buf_release(&msg);
    return st;
}

struct report_entry {
    kp_verdict verdict;
    int member; /* policy index or -1 */
    uint8_t pk[32];
};

struct kp_approval_report {
    unsigned counted, needed;
    size_t n;
    struct report_entry *e;
    const kp_policy *policy;
};

const char *kp_verdict_text(kp_verdict v)
{
    switch (v) {
    case KP_VERDICT_COUNTED: return "counts";
    case KP_VERDICT_MALFORMED: return "is not a well-formed approval";
    case KP_VERDICT_UNKNOWN_OPERATOR: return "is signed by an operator who is not in the policy";
    case KP_VERDICT_BAD_SIGNATURE: return "has a signature that does not verify";
    case KP_VERDICT_OTHER_POLICY: return "was made under another policy";
    case KP_VERDICT_OTHER_REQUEST: return "approves another request (the request bytes differ)";
    case KP_VERDICT_OTHER_ACTION: return "approves another action";
    case KP_VERDICT_OTHER_KEY: return "approves another key";
    case KP_VERDICT_DUPLICATE_OPERATOR: return "is a second approval by the same operator";
    case KP_VERDICT_EXPIRED: return "has expired";
    case KP_VERDICT_NOT_YET_VALID: return "is dated in the future";
    case KP_VERDICT_REPLAYED: return "was already used (its nonce has been seen)";
    }
    return "unknown verdict";
}

kp_status kp_approvals_verify(const kp_ctx *ctx, kp_approval_report **out, const kp_policy *policy, kp_action action,
                              const char *key_id, const uint8_t *request, size_t request_len, const char *bundle,
                              size_t bundle_len, int64_t now, const kp_nonce_store *nonces)
{
    KP_ARG_CHECK(ctx, ctx != NULL && out != NULL && policy != NULL && (request != NULL || request_len == 0));
    KP_ARG_CHECK(ctx, bundle != NULL || bundle_len == 0);
    struct statement *s = NULL;
    kp_status *each = NULL, st;
    size_t n = 0;
    uint8_t want[32];
    kp_buf msg;
    kp_approval_report *r = NULL;
    *out = NULL;
    kp_clear_error();
    if (kp_action_name(action) == NULL) return kp_fail(KP_ERR_FORMAT, "unknown action %d", (int)action);
    if ((st = bundle_read(bundle, bundle_len, &s, &each, &n)) != KP_OK) return st;
    kp_buf_init(&msg, 0);
    if ((r = calloc(1, sizeof *r)) == NULL || (n > 0 && (r->e = calloc(n, sizeof *r->e)) == NULL)) {
        st = kp_fail(KP_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    r->n = n;
    r->policy = policy;
    r->needed = kp_policy_quorum(policy, action);
    crypto_hash_sha256(want, request, request_len);
    for (size_t i = 0; i < n; i++) {
        struct report_entry *e = &r->e[i];
        e->member = -1;
        memcpy(e->pk, s[i].operator_pk, 32);
        if (each[i] != KP_OK) {
            e->verdict = KP_VERDICT_MALFORMED;
            continue;
        }
        e->member = kp_policy_find(policy, s[i].operator_pk);
        kp_buf_reset(&msg);
        if (e->member < 0) {
            e->verdict = KP_VERDICT_UNKNOWN_OPERATOR;
        } else if ((st = statement_write(&msg, &s[i])) != KP_OK) {
            goto cleanup;
        } else if (crypto_sign_verify_detached(s[i].sig, msg.data, msg.len, s[i].operator_pk) != 0) {
            e->verdict = KP_VERDICT_BAD_SIGNATURE;
        } else if (strcmp(s[i].policy, kp_policy_id(policy)) != 0) {
            e->verdict = KP_VERDICT_OTHER_POLICY;
        } else if (s[i].action != action) {
            e->verdict = KP_VERDICT_OTHER_ACTION;
        } else if (s[i].has_key != (key_id != NULL) || (key_id != NULL && strcmp(s[i].key_id, key_id) != 0)) {
            e->verdict = KP_VERDICT_OTHER_KEY;
        } else if (memcmp(s[i].request, want, 32) != 0) {
            e->verdict = KP_VERDICT_OTHER_REQUEST;
        } else if ((int64_t)s[i].time > now + CLOCK_SKEW) {
            e->verdict = KP_VERDICT_NOT_YET_VALID;
        } else if (now >= (int64_t)s[i].expires) {
            e->verdict = KP_VERDICT_EXPIRED;
        } else {
            e->verdict = KP_VERDICT_COUNTED;
            for (size_t m = 0; m < i && e->verdict == KP_VERDICT_COUNTED; m++) {
                if (r->e[m].verdict != KP_VERDICT_COUNTED) continue;
                if (r->e[m].member == e->member) e->verdict = KP_VERDICT_DUPLICATE_OPERATOR;
                else if (memcmp(s[m].nonce, s[i].nonce, sizeof s[i].nonce) == 0) e->verdict = KP_VERDICT_REPLAYED;
            }
            if (e->verdict == KP_VERDICT_COUNTED && nonces != NULL) {
                int seen = nonces->seen(nonces->data, s[i].nonce);
                if (seen < 0) {
                    st = kp_fail(KP_ERR_IO, "the nonce store failed");
                    goto cleanup;
                }
                if (seen) e->verdict = KP_VERDICT_REPLAYED;
            }
            if (e->verdict == KP_VERDICT_COUNTED) r->counted++;
        }
    }
    /* Use the approvals up only when they are used: a refused request leaves them valid. */
    if (nonces != NULL && r->counted >= r->needed)
        for (size_t i = 0; i < n; i++)
            if (r->e[i].verdict == KP_VERDICT_COUNTED && nonces->remember(nonces->data, s[i].nonce, s[i].expires) != 0) {
                st = kp_fail(KP_ERR_IO, "the nonce store failed");
                goto cleanup;
            }
    st = KP_OK;
    *out = r;
    r = NULL;
cleanup:
    kp_approval_report_free(r);
    kp_buf_release(&msg);
    free(s);
    free(each);
    return st;
}

void kp_approval_report_free(kp_approval_report *r)
{
    if (r == NULL) return;
    free(r->e);
    free(r);
}

int kp_approval_report_quorum_met(const kp_approval_report *r) { return r->counted >= r->needed; }
unsigned kp_approval_report_counted(const kp_approval_report *r) { return r->counted; }
unsigned kp_approval_report_needed(const kp_approval_report *r) { return r->needed; }
size_t kp_approval_report_count(const kp_approval_report *r) { return r->n; }

kp_verdict kp_approval_report_get(const kp_approval_report *r, size_t i, const char **name, uint8_t pk[32])
{
    if (name != NULL) *name = NULL;
    if (i >= r->n) return KP_VERDICT_MALFORMED;
    if (name != NULL && r->e[i].member >= 0) *name = kp_policy_operator(r->policy, (size_t)r->e[i].member, NULL);
    if (pk != NULL) memcpy(pk, r->e[i].pk, 32);
    return r->e[i].verdict;
}
