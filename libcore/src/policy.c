/* policy.c: approval policies: who the operators are and how many must approve each action. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "operator.h"
#include "wire.h"

#define POLICY_ID_MAX 128

struct member {
    char name[KP_NAME_MAX_BYTES + 1];
    uint8_t pk[32];
};

struct kp_policy {
    char id[POLICY_ID_MAX + 1];
    size_t n;
    struct member *m;
    unsigned quorum[KP_ACTION_COUNT];
    unsigned sign_quorum; /* 0 when the policy does not name sign */
};

static const char *const ACTIONS[KP_ACTION_SIGN + 1] = {NULL, "import", "export", "archive", "sign"};

const char *kp_action_name(kp_action a)
{
    return (a >= KP_ACTION_IMPORT && a <= KP_ACTION_SIGN) ? ACTIONS[a] : NULL;
}

kp_status kp_action_from_name(kp_action *out, const char *name)
{
    KP_ARG_CHECK(NULL, out != NULL && name != NULL);
    for (int a = KP_ACTION_IMPORT; a <= KP_ACTION_SIGN; a++)
        if (strcmp(name, ACTIONS[a]) == 0) {
            *out = (kp_action)a;
            return KP_OK;
        }
    *out = (kp_action)0;
    return kp_fail(KP_ERR_FORMAT, "unknown action \"%.32s\" (known: import, export, archive, sign)", name);
}

/* The rules every policy keeps, whether written or read. */
static kp_status check(const char *id, const kp_policy_member *ops, size_t n, const unsigned quorum[KP_ACTION_COUNT])
{
    if (id[0] == 0 || strlen(id) > POLICY_ID_MAX || !kp_utf8_valid(id, strlen(id)))
        return kp_fail(KP_ERR_POLICY, "the policy id must be 1 to %d bytes of UTF-8", POLICY_ID_MAX);
    if (n == 0 || n > KP_MAX_SIGNERS)
        return kp_fail(KP_ERR_POLICY, "a policy needs 1 to %d operators, not %zu", KP_MAX_SIGNERS, n);
    for (size_t i = 0; i < n; i++) {
        if (kp_name_check(ops[i].name, strlen(ops[i].name), "an operator name") != KP_OK)
            return kp_fail(KP_ERR_POLICY, "operator %zu: %s", i + 1, kp_error_detail());
        if (!crypto_core_ed25519_is_valid_point(ops[i].public_key))
            return kp_fail(KP_ERR_POLICY, "operator %s: the public key is not a valid Ed25519 key", ops[i].name);
        for (size_t m = 0; m < i; m++) {
            if (strcmp(ops[m].name, ops[i].name) == 0)
                return kp_fail(KP_ERR_POLICY, "operator name %s appears twice", ops[i].name);
            if (memcmp(ops[m].public_key, ops[i].public_key, 32) == 0)
                return kp_fail(KP_ERR_POLICY, "operators %s and %s have the same key", ops[m].name, ops[i].name);
        }
    }
    for (int a = 0; a < KP_ACTION_COUNT; a++)
        if (quorum[a] < 1 || quorum[a] > n)
            return kp_fail(KP_ERR_POLICY, "the quorum for %s is %u of %zu operators; it must be 1 to %zu", ACTIONS[a + 1],
                           quorum[a], n, n);
    return KP_OK;
}

kp_status kp_policy_write(kp_buf *out, const char *id, const kp_policy_member *ops, size_t n,
                          const unsigned quorum[KP_ACTION_COUNT])
{
    KP_ARG_CHECK(NULL, out != NULL && id != NULL && quorum != NULL && (ops != NULL || n == 0));
    kp_status st;
    size_t start = out->len;
    kp_clear_error();
    if ((st = check(id, ops, n, quorum)) != KP_OK) return st;
    st = kp_buf_addstr(out, "{\"version\":1,\"id\":");
    if (st == KP_OK) st = kp_buf_addjstr(out, id, strlen(id));
    if (st == KP_OK) st = kp_buf_addstr(out, ",\"operators\":[");
    for (size_t i = 0; st == KP_OK && i < n; i++) {
        if ((st = kp_buf_addstr(out, i ? ",{\"name\":" : "{\"name\":")) == KP_OK &&
            (st = kp_buf_addjstr(out, ops[i].name, strlen(ops[i].name))) == KP_OK &&
            (st = kp_buf_addstr(out, ",\"publicKey\":\"")) == KP_OK && (st = kp_buf_addhex(out, ops[i].public_key, 32)) == KP_OK)
            st = kp_buf_addstr(out, "\"}");
    }
    if (st == KP_OK)
        st = kp_buf_addf(out, "],\"quorum\":{\"import\":%u,\"export\":%u,\"archive\":%u}}\n", quorum[0], quorum[1], quorum[2]);
    if (st != KP_OK) {
        out->len = start;
        if (out->data) out->data[start] = 0;
    }
    return st;
}

void kp_policy_free(kp_policy *p)
{
    if (p == NULL) return;
    free(p->m);
    free(p);
}

kp_status kp_policy_parse(kp_policy **out, const char *json, size_t len)
{
    KP_ARG_CHECK(NULL, out != NULL && (json != NULL || len == 0));
    static const char *const top[] = {"version", "id", "operators", "quorum", NULL};
    static const char *const member[] = {"name", "publicKey", NULL};
    static const char *const actions[] = {"import", "export", "archive", "sign", NULL};
    kp_json j;
    kp_status st;
    kp_policy *p = NULL;
    kp_policy_member *view = NULL;
    int tok, arr, q;
    char *s = NULL, path[64];
    *out = NULL;
    kp_clear_error();
    if ((st = kp_json_parse(&j, json, len, "the policy")) != KP_OK) return st;
    if ((st = kp_wire_version(&j, 0, "policy")) != KP_OK || (st = kp_json_only(&j, 0, top, "the policy")) != KP_OK)
        goto cleanup;
    if ((p = calloc(1, sizeof *p)) == NULL) {
        st = kp_fail(KP_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    if ((st = kp_json_need(&j, 0, "id", KP_J_STRING, "id", &tok)) != KP_OK || (st = kp_json_strdup(&j, tok, &s)) != KP_OK)
        goto cleanup;
    if (strlen(s) > POLICY_ID_MAX) {
        st = kp_fail(KP_ERR_POLICY, "the policy id must be 1 to %d bytes of UTF-8", POLICY_ID_MAX);
        goto cleanup;
    }
    memcpy(p->id, s, strlen(s));
    free(s);
    s = NULL;
    if ((st = kp_json_need(&j, 0, "operators", KP_J_ARRAY, "operators", &arr)) != KP_OK) goto cleanup;
    size_t n = j.tok[arr].count;
    if (n > KP_MAX_SIGNERS) {
        st = kp_fail(KP_ERR_POLICY, "a policy needs 1 to %d operators, not %zu", KP_MAX_SIGNERS, n);
        goto cleanup;
    }
    if (n > 0 && ((p->m = calloc(n, sizeof *p->m)) == NULL || (view = calloc(n, sizeof *view)) == NULL)) {
        st = kp_fail(KP_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    for (int e = kp_json_first(&j, arr); e >= 0; e = kp_json_next(&j, arr, e), p->n++) {
        struct member *m = &p->m[p->n];
        const char *hex;
        size_t hexlen;
        snprintf(path, sizeof path, "operators[%zu]", p->n);
        if (j.tok[e].type != KP_J_OBJECT) {
            st = kp_fail(KP_ERR_FORMAT, "%s must be an object", path);
            goto cleanup;
        }
        if ((st = kp_json_only(&j, e, member, path)) != KP_OK ||
            (st = kp_json_need(&j, e, "name", KP_J_STRING, path, &tok)) != KP_OK || (st = kp_json_strdup(&j, tok, &s)) != KP_OK)
            goto cleanup;
        if (strlen(s) > KP_NAME_MAX_BYTES) {
            st = kp_fail(KP_ERR_POLICY, "%s.name is longer than %d bytes", path, KP_NAME_MAX_BYTES);
            goto cleanup;
        }
        memcpy(m->name, s, strlen(s));
        free(s);
        s = NULL;
        snprintf(path, sizeof path, "operators[%zu].publicKey", p->n);
        if ((st = kp_json_need_str(&j, e, "publicKey", path, &hex, &hexlen)) != KP_OK) goto cleanup;
        if (kp_hex_decode_exact(m->pk, 32, hex, hexlen) != KP_OK) {
            st = kp_fail(KP_ERR_HEX, "%s must be 64 hex digits", path);
            goto cleanup;
        }
        view[p->n].name = m->name;
        memcpy(view[p->n].public_key, m->pk, 32);
    }
    if ((st = kp_json_need(&j, 0, "quorum", KP_J_OBJECT, "quorum", &q)) != KP_OK ||
        (st = kp_json_only(&j, q, actions, "quorum")) != KP_OK)
        goto cleanup;
    for (int a = 0; a < KP_ACTION_COUNT; a++) {
        snprintf(path, sizeof path, "quorum.%s", ACTIONS[a + 1]);
        if ((st = kp_json_need_uint(&j, q, ACTIONS[a + 1], 0, UINT32_MAX, path, &p->quorum[a])) != KP_OK) goto cleanup;
    }
    if ((st = check(p->id, view, p->n, p->quorum)) != KP_OK) goto cleanup;
    /* sign is optional: a policy that names it makes every signature need that many approvals */
    if (kp_json_get(&j, q, "sign") >= 0) {
        if ((st = kp_json_need_uint(&j, q, "sign", 0, UINT32_MAX, "quorum.sign", &p->sign_quorum)) != KP_OK) goto cleanup;
        if (p->sign_quorum < 1 || p->sign_quorum > p->n) {
            st = kp_fail(KP_ERR_POLICY, "the quorum for sign is %u of %zu operators; it must be 1 to %zu", p->sign_quorum,
                         p->n, p->n);
            goto cleanup;
        }
    }
    *out = p;
    p = NULL;
cleanup:
    free(s);
    free(view);
    kp_policy_free(p);
    kp_json_free(&j);
    return st;
}

const char *kp_policy_id(const kp_policy *p) { return p->id; }
size_t kp_policy_operator_count(const kp_policy *p) { return p->n; }

const char *kp_policy_operator(const kp_policy *p, size_t i, uint8_t pk[32])
{
    if (i >= p->n) return NULL;
    if (pk != NULL) memcpy(pk, p->m[i].pk, 32);
    return p->m[i].name;
}

unsigned kp_policy_quorum(const kp_policy *p, kp_action a)
{
    if (a == KP_ACTION_SIGN) return p->sign_quorum;
    return (a >= KP_ACTION_IMPORT && a <= KP_ACTION_ARCHIVE) ? p->quorum[a - 1] : 0;
}

/* The member whose key is pk, or -1. */
int kp_policy_find(const kp_policy *p, const uint8_t pk[32])
{
    for (size_t i = 0; i < p->n; i++)
        if (memcmp(p->m[i].pk, pk, 32) == 0) return (int)i;
    return -1;
}
