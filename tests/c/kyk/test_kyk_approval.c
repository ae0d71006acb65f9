/*
 * test_kyk_approval.c: signed approvals (kp_approval_sign), bundles, and the quorum check
 * (kp_approvals_verify): independent signature checks, quorum counting, every refusal verdict,
 * replay protection with a nonce store written here, and the binding to the request bytes.
 *
 * Policy members that never sign are libsodium key pairs ("fillers"), so a test runs Argon2
 * only for the operators that sign in it.
 */
#include "kyk.h"

TestSuite(kyk_approval, .init = kyk_setup, .fini = kyk_teardown, .timeout = 120);

#define TTL 600
#define KEY "key-1"

static uint8_t REQ[200];

static void req_init(void)
{
    kpt_random(REQ, sizeof REQ);
}

/* A member: a real operator (who can sign) or a filler with that operator's name. */
static kp_policy_member real(int who)
{
    kp_policy_member m = {KYK_NAME[who], {0}};
    kyk_pk(who, m.public_key);
    return m;
}

static kp_policy_member filler(const char *name)
{
    kp_policy_member m = {name, {0}};
    kyk_filler(m.public_key, NULL);
    return m;
}

static char *sign_at(const char *in, int who, const kp_policy *p, kp_action a, const char *key, const uint8_t *req,
                     size_t len, int64_t now, int64_t ttl)
{
    kp_buf b;
    kp_buf_init(&b, 0);
    KPT_ST(kp_approval_sign(ctx, &b, in, in ? strlen(in) : 0, kyk_op(who), p, a, key, req, len, now, ttl), KP_OK);
    cr_assert_gt(b.len, 0u);
    cr_assert_eq(strlen((const char *)b.data), b.len);
    char *s = strdup((const char *)b.data);
    kp_buf_release(&b);
    return s;
}

/* who signs an export of KEY for REQ at KYK_NOW, onto bundle `in` (may be NULL). */
static char *sign_export(const char *in, int who, const kp_policy *p)
{
    return sign_at(in, who, p, KP_ACTION_EXPORT, KEY, REQ, sizeof REQ, KYK_NOW, TTL);
}

static kp_approval_report *verify_full(const kp_policy *p, kp_action a, const char *key, const uint8_t *req, size_t len,
                                       const char *bundle, int64_t now, const kp_nonce_store *ns)
{
    kp_approval_report *r = NULL;
    KPT_ST(kp_approvals_verify(ctx, &r, p, a, key, req, len, bundle, strlen(bundle), now, ns), KP_OK);
    cr_assert_not_null(r);
    cr_assert_eq(kp_approval_report_needed(r), kp_policy_quorum(p, a));
    cr_assert_eq(kp_approval_report_quorum_met(r) != 0, kp_approval_report_counted(r) >= kp_approval_report_needed(r));
    return r;
}

static kp_approval_report *verify_export(const kp_policy *p, const char *bundle)
{
    return verify_full(p, KP_ACTION_EXPORT, KEY, REQ, sizeof REQ, bundle, KYK_NOW + 1, NULL);
}

static const char *vname(kp_verdict v)
{
    static const char *const n[] = {"COUNTED",   "MALFORMED", "UNKNOWN_OPERATOR",   "BAD_SIGNATURE",
                                    "OTHER_POLICY", "OTHER_REQUEST", "OTHER_ACTION", "OTHER_KEY",
                                    "DUPLICATE_OPERATOR", "EXPIRED", "NOT_YET_VALID", "REPLAYED"};
    return (unsigned)v < sizeof n / sizeof *n ? n[v] : "?";
}

#define EXPECT_VERDICT(r, i, want, ...)                                                                        \
    do {                                                                                                       \
        kp_verdict got_ = kp_approval_report_get((r), (i), NULL, NULL);                                        \
        cr_assert_eq(got_, (want), "approval %zu: got %s, want %s", (size_t)(i), vname(got_), vname(want));   \
    } while (0)

/* A report of one approval with verdict `want`; the quorum (needing at least one) not met
 * unless it counted. */
static void expect_single(kp_approval_report *r, kp_verdict want, const char *what)
{
    cr_assert_eq(kp_approval_report_count(r), 1u, "%s", what);
    kp_verdict got = kp_approval_report_get(r, 0, NULL, NULL);
    cr_assert_eq(got, want, "%s: got %s, want %s", what, vname(got), vname(want));
    cr_assert_eq(kp_approval_report_counted(r), want == KP_VERDICT_COUNTED ? 1u : 0u, "%s", what);
    if (want != KP_VERDICT_COUNTED) cr_assert(!kp_approval_report_quorum_met(r), "%s: the quorum must not be met", what);
}

/* ------------------------------------------------------------ bundle text helpers (cJSON) */

/* The i-th approval of a bundle as compact JSON text. */
static char *entry(const char *bundle, int i)
{
    cJSON *j = cJSON_Parse(bundle);
    cr_assert_not_null(j, "not JSON: %s", bundle);
    const cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "approvals"), i);
    cr_assert_not_null(a);
    char *s = cJSON_PrintUnformatted(a);
    cr_assert_not_null(s);
    cJSON_Delete(j);
    return s;
}

static char *bundle_of(const char *const *entries, size_t n)
{
    size_t total = 64;
    for (size_t i = 0; i < n; i++) total += strlen(entries[i]) + 1;
    char *s = malloc(total);
    cr_assert_not_null(s);
    strcpy(s, "{\"version\":1,\"approvals\":[");
    for (size_t i = 0; i < n; i++) {
        if (i) strcat(s, ",");
        strcat(s, entries[i]);
    }
    strcat(s, "]}");
    return s;
}

static char *bundle1(const char *e)
{
    return bundle_of(&e, 1);
}

static int approval_count(const char *bundle)
{
    cJSON *j = cJSON_Parse(bundle);
    cr_assert_not_null(j);
    int n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "approvals"));
    cJSON_Delete(j);
    return n;
}

/* The i-th approval's nonce. */
static void nonce_of(uint8_t out[KP_APPROVAL_NONCE_BYTES], const char *bundle, int i)
{
    cJSON *j = cJSON_Parse(bundle);
    const cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "approvals"), i);
    kpt_unhex(out, KP_APPROVAL_NONCE_BYTES, kpt_jstr(cJSON_GetObjectItemCaseSensitive(a, "statement"), "nonce"));
    cJSON_Delete(j);
}

/* The canonical statement bytes, re-made by hand from a statement's fields in the order of
 * keyport.h: type, version, policy, action, keyId (absent for import), request, nonce, time,
 * expires, operator. */
static size_t canonical(char *out, size_t cap, const cJSON *s)
{
    size_t n = (size_t)snprintf(out, cap, "{\"type\":\"keyport-approval\",\"version\":1,\"policy\":");
    n = kyk_json_str(out, cap, n, kpt_jstr(s, "policy"));
    n += (size_t)snprintf(out + n, cap - n, ",\"action\":\"%s\"", kpt_jstr(s, "action"));
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(s, "keyId");
    if (k != NULL) {
        n += (size_t)snprintf(out + n, cap - n, ",\"keyId\":");
        n = kyk_json_str(out, cap, n, k->valuestring);
    }
    n += (size_t)snprintf(out + n, cap - n,
                          ",\"request\":\"%s\",\"nonce\":\"%s\",\"time\":%.0f,\"expires\":%.0f,\"operator\":\"%s\"}",
                          kpt_jstr(s, "request"), kpt_jstr(s, "nonce"),
                          cJSON_GetObjectItemCaseSensitive(s, "time")->valuedouble,
                          cJSON_GetObjectItemCaseSensitive(s, "expires")->valuedouble, kpt_jstr(s, "operator"));
    cr_assert_lt(n, cap);
    return n;
}

/* Checks approval i of bundle independently: documented fields and an Ed25519 signature over
 * the re-made canonical bytes. */
static void check_approval(const char *bundle, int i, const char *policy_id, const char *action, const char *key,
                           const uint8_t *req, size_t req_len, int64_t now, int64_t ttl, const uint8_t pk[32])
{
    cJSON *j = cJSON_Parse(bundle);
    cr_assert_not_null(j, "the bundle is not JSON: %s", bundle);
    cr_assert_eq(cJSON_GetArraySize(j), 2);
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(j, "version")->valuedouble, 1.0);
    const cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "approvals"), i);
    cr_assert_not_null(a);
    cr_assert_eq(cJSON_GetArraySize(a), 2, "an approval is {statement, signature}");
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(a, "statement");
    cr_assert(cJSON_IsObject(s));
    char pkhex[65], reqhex[65];
    kpt_hex(pkhex, pk, 32);
    kyk_sha256_hex(reqhex, req, req_len);
    cr_assert_eq(cJSON_GetArraySize(s), key ? 10 : 9);
    cr_assert_str_eq(kpt_jstr(s, "type"), "keyport-approval");
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(s, "version")->valuedouble, 1.0);
    cr_assert_str_eq(kpt_jstr(s, "policy"), policy_id);
    cr_assert_str_eq(kpt_jstr(s, "action"), action);
    if (key) cr_assert_str_eq(kpt_jstr(s, "keyId"), key);
    else cr_assert_null(cJSON_GetObjectItemCaseSensitive(s, "keyId"), "an import approval names no key");
    cr_assert_str_eq(kpt_jstr(s, "request"), reqhex, "request is SHA-256 of the request body");
    const char *nonce = kpt_jstr(s, "nonce");
    cr_assert_eq(strlen(nonce), 2u * KP_APPROVAL_NONCE_BYTES);
    for (const char *c = nonce; *c; c++) cr_assert(strchr("0123456789abcdef", *c), "nonce \"%s\" is not hex", nonce);
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(s, "time")->valuedouble, (double)now);
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(s, "expires")->valuedouble, (double)(now + ttl));
    cr_assert_str_eq(kpt_jstr(s, "operator"), pkhex);

    char stmt[2048];
    size_t n = canonical(stmt, sizeof stmt, s);
    uint8_t sig[64];
    kpt_unhex(sig, 64, kpt_jstr(a, "signature"));
    cr_assert_eq(crypto_sign_verify_detached(sig, (const uint8_t *)stmt, n, pk), 0,
                 "the signature does not verify over the canonical statement %s", stmt);
    /* the check can fail: one byte of the statement changed */
    stmt[n / 2] ^= 1;
    cr_assert_neq(crypto_sign_verify_detached(sig, (const uint8_t *)stmt, n, pk), 0);
    cJSON_Delete(j);
}

/* ------------------------------------------------------------ signing */

Test(kyk_approval, signature_verifies_independently)
{
    req_init();
    kp_policy_member m[2] = {real(ALICE), filler("bob")};
    kp_policy *p = kyk_policy("prod-ops", m, 2, 1, 1, 1);
    uint8_t pk[32];
    kyk_pk(ALICE, pk);

    char *b = sign_export(NULL, ALICE, p);
    cr_assert_eq(approval_count(b), 1);
    check_approval(b, 0, "prod-ops", "export", KEY, REQ, sizeof REQ, KYK_NOW, TTL, pk);
    free(b);

    b = sign_at(NULL, ALICE, p, KP_ACTION_IMPORT, NULL, REQ, sizeof REQ, KYK_NOW + 5, 3600);
    check_approval(b, 0, "prod-ops", "import", NULL, REQ, sizeof REQ, KYK_NOW + 5, 3600, pk);
    free(b);

    b = sign_at(NULL, ALICE, p, KP_ACTION_ARCHIVE, "k", (const uint8_t *)"", 0, 0, 1);
    check_approval(b, 0, "prod-ops", "archive", "k", (const uint8_t *)"", 0, 0, 1, pk);
    free(b);
    kp_policy_free(p);
}

Test(kyk_approval, signing_adds_to_a_bundle)
{
    req_init();
    kp_policy_member m[3] = {real(ALICE), real(BOB), filler("carol")};
    kp_policy *p = kyk_policy("prod-ops", m, 3, 1, 2, 1);
    uint8_t pa[32], pb[32];
    kyk_pk(ALICE, pa);
    kyk_pk(BOB, pb);
    char *b1 = sign_export(NULL, ALICE, p);
    char *b2 = sign_export(b1, BOB, p);
    cr_assert_eq(approval_count(b2), 2);
    char *e1 = entry(b1, 0), *e2 = entry(b2, 0);
    cr_assert_str_eq(e2, e1, "the earlier approval is kept as it was");
    check_approval(b2, 0, "prod-ops", "export", KEY, REQ, sizeof REQ, KYK_NOW, TTL, pa);
    check_approval(b2, 1, "prod-ops", "export", KEY, REQ, sizeof REQ, KYK_NOW, TTL, pb);
    /* a second approval by the same operator has a fresh nonce */
    char *b3 = sign_export(b1, ALICE, p);
    uint8_t n0[KP_APPROVAL_NONCE_BYTES], n1[KP_APPROVAL_NONCE_BYTES];
    nonce_of(n0, b3, 0);
    nonce_of(n1, b3, 1);
    cr_assert(memcmp(n0, n1, sizeof n0) != 0, "two approvals share a nonce");
    free(e1);
    free(e2);
    free(b1);
    free(b2);
    free(b3);
    kp_policy_free(p);
}

Test(kyk_approval, sign_refusals)
{
    req_init();
    kp_policy_member m[2] = {real(ALICE), filler("bob")};
    kp_policy *p = kyk_policy("prod-ops", m, 2, 1, 1, 1);
    kp_buf b;
    kp_buf_init(&b, 0);
    KPT_ST(kp_buf_addstr(&b, "x"), KP_OK);
    const kp_operator *a = kyk_op(ALICE);
    char k257[300];
    memset(k257, 'k', 257);
    k257[257] = 0;
    const int64_t MAXT = 0xffffffffLL;
    static const struct {
        kp_action action;
        int key; /* 0: NULL, 1: KEY, 2: "", 3: 257 bytes */
        int64_t now, ttl;
        kp_status want;
        const char *what;
    } cases[] = {
        {KP_ACTION_IMPORT, 1, KYK_NOW, TTL, KP_ERR_FORMAT, "an import naming a key"},
        {KP_ACTION_EXPORT, 0, KYK_NOW, TTL, KP_ERR_FORMAT, "an export without a key"},
        {KP_ACTION_ARCHIVE, 0, KYK_NOW, TTL, KP_ERR_FORMAT, "an archive without a key"},
        {KP_ACTION_EXPORT, 2, KYK_NOW, TTL, KP_ERR_FORMAT, "an empty key id"},
        {KP_ACTION_EXPORT, 3, KYK_NOW, TTL, KP_ERR_FORMAT, "a 257-byte key id"},
        {KP_ACTION_EXPORT, 1, KYK_NOW, 0, KP_ERR_FORMAT, "ttl 0"},
        {KP_ACTION_EXPORT, 1, KYK_NOW, -5, KP_ERR_FORMAT, "a negative ttl"},
        {KP_ACTION_EXPORT, 1, -1, TTL, KP_ERR_FORMAT, "a negative time"},
        {KP_ACTION_EXPORT, 1, MAXT, 1, KP_ERR_FORMAT, "expires after 2^32-1"},
        {(kp_action)0, 1, KYK_NOW, TTL, KP_ERR_FORMAT, "action 0"},
        {(kp_action)5, 1, KYK_NOW, TTL, KP_ERR_FORMAT, "action 5 (4 is sign)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *key = cases[i].key == 0 ? NULL : cases[i].key == 1 ? KEY : cases[i].key == 2 ? "" : k257;
        kp_status st = kp_approval_sign(ctx, &b, NULL, 0, a, p, cases[i].action, key, REQ, sizeof REQ, cases[i].now,
                                        cases[i].ttl);
        cr_assert_eq(st, cases[i].want, "%s: got %s", cases[i].what, kp_status_name(st));
        cr_assert_eq(b.len, 1u, "%s: the output must be left as it was", cases[i].what);
    }
    /* the limits themselves are accepted: a 256-byte key id, expires at 2^32-1 */
    k257[256] = 0;
    kp_buf_reset(&b);
    KPT_ST(kp_approval_sign(ctx, &b, NULL, 0, a, p, KP_ACTION_EXPORT, k257, REQ, sizeof REQ, MAXT - 1, 1), KP_OK);
    kp_approval_report *r = verify_full(p, KP_ACTION_EXPORT, k257, REQ, sizeof REQ, (const char *)b.data, MAXT - 1, NULL);
    expect_single(r, KP_VERDICT_COUNTED, "the limits");
    kp_approval_report_free(r);

    /* an operator who is not in the policy */
    kp_policy_member other[1] = {filler("erin")};
    kp_policy *q = kyk_policy("prod-ops", other, 1, 1, 1, 1);
    kp_buf_reset(&b);
    KPT_ST(kp_approval_sign(ctx, &b, NULL, 0, a, q, KP_ACTION_EXPORT, KEY, REQ, sizeof REQ, KYK_NOW, TTL),
           KP_ERR_NOT_IN_POLICY);
    cr_assert_eq(b.len, 0u);
    kp_policy_free(q);

    /* an existing bundle that is not one, or holds a malformed approval */
    static const char *const bad_in[] = {"{", "{\"version\":2,\"approvals\":[]}", "{\"version\":1,\"approvals\":[{}]}"};
    for (size_t i = 0; i < 3; i++) {
        kp_buf_reset(&b);
        kp_status st = kp_approval_sign(ctx, &b, bad_in[i], strlen(bad_in[i]), a, p, KP_ACTION_EXPORT, KEY, REQ, sizeof REQ,
                                        KYK_NOW, TTL);
        cr_assert_neq(st, KP_OK, "bundle_in %s was accepted", bad_in[i]);
        cr_assert_eq(b.len, 0u);
    }
    kp_buf_release(&b);
    kp_policy_free(p);
}

/* A key id with characters JSON escapes is bound exactly. */
Test(kyk_approval, key_id_with_escapes)
{
    req_init();
    kp_policy_member m[1] = {real(ALICE)};
    kp_policy *p = kyk_policy("prod-ops", m, 1, 1, 1, 1);
    static const char key[] = "k\"e\\y/\n\t\x01 é";
    char *b = sign_at(NULL, ALICE, p, KP_ACTION_EXPORT, key, REQ, sizeof REQ, KYK_NOW, TTL);
    kp_approval_report *r = verify_full(p, KP_ACTION_EXPORT, key, REQ, sizeof REQ, b, KYK_NOW, NULL);
    expect_single(r, KP_VERDICT_COUNTED, "the same key id");
    kp_approval_report_free(r);
    r = verify_full(p, KP_ACTION_EXPORT, "k\"e\\y/\n\t\x01 e", REQ, sizeof REQ, b, KYK_NOW, NULL);
    expect_single(r, KP_VERDICT_OTHER_KEY, "a key id differing in its last character");
    kp_approval_report_free(r);
    free(b);
    kp_policy_free(p);
}

/* What kp_approval_sign writes, kp_approvals_verify must read: a key id that is not UTF-8 is
 * refused when signing, or else its bundle verifies. */
Test(kyk_approval, signed_bundle_is_always_readable)
{
    req_init();
    kp_policy_member m[1] = {real(ALICE)};
    kp_policy *p = kyk_policy("prod-ops", m, 1, 1, 1, 1);
    static const char key[] = "key-\xff";
    kp_buf b;
    kp_buf_init(&b, 0);
    kp_status st = kp_approval_sign(ctx, &b, NULL, 0, kyk_op(ALICE), p, KP_ACTION_EXPORT, key, REQ, sizeof REQ, KYK_NOW, TTL);
    kp_status vs = KP_OK;
    kp_verdict v = KP_VERDICT_COUNTED;
    char detail[512] = "";
    if (st == KP_OK) {
        kp_approval_report *r = NULL;
        vs = kp_approvals_verify(ctx, &r, p, KP_ACTION_EXPORT, key, REQ, sizeof REQ, (const char *)b.data, b.len, KYK_NOW,
                                 NULL);
        snprintf(detail, sizeof detail, "%s", kp_error_detail());
        if (r != NULL) v = kp_approval_report_get(r, 0, NULL, NULL);
        kp_approval_report_free(r);
    }
    kp_buf_release(&b);
    kp_policy_free(p);
    if (st == KP_OK) {
        cr_assert_eq(vs, KP_OK,
                     "kp_approval_sign accepted key id \"key-\\xff\" but kp_approvals_verify cannot read its bundle: %s (%s)",
                     kp_status_name(vs), detail);
        cr_assert_eq(v, KP_VERDICT_COUNTED, "got %s", vname(v));
    } else {
        cr_assert_eq(st, KP_ERR_FORMAT, "got %s", kp_status_name(st));
    }
}

/* ------------------------------------------------------------ quorum counting */

Test(kyk_approval, quorum_counting)
{
    req_init();
    kp_policy_member m[3] = {real(ALICE), real(BOB), real(CAROL)};
    kp_policy *p = kyk_policy("prod-ops", m, 3, 3, 2, 2);
    uint8_t pk[3][32];
    for (int i = 0; i < 3; i++) kyk_pk(i, pk[i]);

    /* export: 2 of 3 */
    char *b[4];
    b[0] = strdup("{\"version\":1,\"approvals\":[]}");
    b[1] = sign_export(NULL, ALICE, p);
    b[2] = sign_export(b[1], BOB, p);
    b[3] = sign_export(b[2], CAROL, p);
    for (unsigned k = 0; k <= 3; k++) {
        kp_approval_report *r = verify_export(p, b[k]);
        cr_assert_eq(kp_approval_report_count(r), k);
        cr_assert_eq(kp_approval_report_counted(r), k, "%u approvals", k);
        cr_assert_eq(kp_approval_report_needed(r), 2u);
        cr_assert_eq(kp_approval_report_quorum_met(r) != 0, k >= 2, "%u approvals against 2 of 3", k);
        for (size_t i = 0; i < k; i++) {
            const char *name = NULL;
            uint8_t got[32];
            cr_assert_eq(kp_approval_report_get(r, i, &name, got), KP_VERDICT_COUNTED);
            cr_assert_str_eq(name, KYK_NAME[i]);
            cr_assert_arr_eq(got, pk[i], 32);
        }
        kp_approval_report_free(r);
    }
    /* the order of approvals does not matter */
    char *e[3];
    for (int i = 0; i < 3; i++) e[i] = entry(b[3], i);
    const char *rev[2] = {e[2], e[0]};
    char *br = bundle_of(rev, 2);
    kp_approval_report *r = verify_export(p, br);
    cr_assert_eq(kp_approval_report_counted(r), 2u);
    cr_assert(kp_approval_report_quorum_met(r));
    const char *name = NULL;
    kp_approval_report_get(r, 0, &name, NULL);
    cr_assert_str_eq(name, "carol");
    kp_approval_report_free(r);
    free(br);

    /* import: 3 of 3 */
    char *i1 = sign_at(NULL, ALICE, p, KP_ACTION_IMPORT, NULL, REQ, sizeof REQ, KYK_NOW, TTL);
    char *i2 = sign_at(i1, BOB, p, KP_ACTION_IMPORT, NULL, REQ, sizeof REQ, KYK_NOW, TTL);
    char *i3 = sign_at(i2, CAROL, p, KP_ACTION_IMPORT, NULL, REQ, sizeof REQ, KYK_NOW, TTL);
    const char *ib[3] = {i1, i2, i3};
    for (unsigned k = 1; k <= 3; k++) {
        r = verify_full(p, KP_ACTION_IMPORT, NULL, REQ, sizeof REQ, ib[k - 1], KYK_NOW, NULL);
        cr_assert_eq(kp_approval_report_counted(r), k);
        cr_assert_eq(kp_approval_report_needed(r), 3u);
        cr_assert_eq(kp_approval_report_quorum_met(r) != 0, k == 3, "%u approvals against 3 of 3", k);
        kp_approval_report_free(r);
    }
    /* two export approvals and one import approval, verified as an export: 2 count */
    char *ie = entry(i3, 1);
    const char *mix[3] = {e[0], ie, e[2]};
    char *bm = bundle_of(mix, 3);
    r = verify_export(p, bm);
    EXPECT_VERDICT(r, 0, KP_VERDICT_COUNTED);
    EXPECT_VERDICT(r, 1, KP_VERDICT_OTHER_ACTION);
    EXPECT_VERDICT(r, 2, KP_VERDICT_COUNTED);
    cr_assert_eq(kp_approval_report_counted(r), 2u);
    cr_assert(kp_approval_report_quorum_met(r));
    kp_approval_report_free(r);
    /* … and as an import of the same request: 1 counts, not 3 */
    r = verify_full(p, KP_ACTION_IMPORT, NULL, REQ, sizeof REQ, bm, KYK_NOW, NULL);
    cr_assert_eq(kp_approval_report_counted(r), 1u);
    cr_assert(!kp_approval_report_quorum_met(r));
    kp_approval_report_free(r);

    free(bm);
    free(ie);
    for (int i = 0; i < 3; i++) free(e[i]);
    for (int k = 0; k < 4; k++) free(b[k]);
    free(i1);
    free(i2);
    free(i3);
    kp_policy_free(p);
}

/* ------------------------------------------------------------ refusal verdicts */

/* Dave signs under a policy with the same id that holds him; the policy it is checked against
 * does not. */
Test(kyk_approval, verdict_unknown_operator)
{
    req_init();
    kp_policy_member a = filler("alice"), b = filler("bob");
    kp_policy_member m1[2] = {a, b}, m2[2] = {a, real(DAVE)};
    kp_policy *p1 = kyk_policy("prod-ops", m1, 2, 1, 1, 1), *p2 = kyk_policy("prod-ops", m2, 2, 1, 1, 1);
    char *bd = sign_export(NULL, DAVE, p2);
    kp_approval_report *r = verify_export(p2, bd);
    expect_single(r, KP_VERDICT_COUNTED, "under the policy that holds dave");
    kp_approval_report_free(r);

    r = verify_export(p1, bd);
    expect_single(r, KP_VERDICT_UNKNOWN_OPERATOR, "under a policy without dave");
    const char *name = "x";
    uint8_t pk[32], want[32];
    kyk_pk(DAVE, want);
    kp_approval_report_get(r, 0, &name, pk);
    cr_assert_null(name, "an unknown operator has no name");
    cr_assert_arr_eq(pk, want, 32);
    kp_approval_report_free(r);
    free(bd);
    kp_policy_free(p1);
    kp_policy_free(p2);
}

Test(kyk_approval, verdict_bad_signature)
{
    req_init();
    kp_policy_member bob = filler("bob");
    kp_policy_member m[2] = {real(ALICE), bob};
    kp_policy *p = kyk_policy("prod-ops", m, 2, 1, 1, 1);
    char *b = sign_export(NULL, ALICE, p);
    char *e = entry(b, 0);
    kp_approval_report *r = verify_export(p, b);
    expect_single(r, KP_VERDICT_COUNTED, "unchanged");
    kp_approval_report_free(r);

    /* one hex digit of the signature: first, in the middle, last */
    const char *sig = strstr(e, "\"signature\":\"") + 13;
    size_t off = (size_t)(sig - e);
    static const size_t digits[] = {0, 1, 63, 64, 100, 127};
    for (size_t i = 0; i < sizeof digits / sizeof *digits; i++) {
        char *t = strdup(e);
        t[off + digits[i]] = kyk_other_char(t[off + digits[i]]);
        char *bt = bundle1(t);
        r = verify_export(p, bt);
        expect_single(r, KP_VERDICT_BAD_SIGNATURE, "a changed signature digit");
        kp_approval_report_free(r);
        free(bt);
        free(t);
    }

    /* signed fields changed (the verdict is about the signature, not the field) */
    char bobhex[65], alicehex[65], nonce[40], t1[32], t2[32];
    uint8_t pa[32];
    kyk_pk(ALICE, pa);
    kpt_hex(alicehex, pa, 32);
    kpt_hex(bobhex, bob.public_key, 32);
    cJSON *j = cJSON_Parse(e);
    snprintf(nonce, sizeof nonce, "%s", kpt_jstr(cJSON_GetObjectItemCaseSensitive(j, "statement"), "nonce"));
    cJSON_Delete(j);
    char nonce2[40];
    strcpy(nonce2, nonce);
    nonce2[5] = kyk_other_char(nonce2[5]);
    snprintf(t1, sizeof t1, "\"expires\":%" PRId64, KYK_NOW + TTL);
    snprintf(t2, sizeof t2, "\"expires\":%" PRId64, KYK_NOW + 100 * TTL);
    char ta[32], tb[32];
    snprintf(ta, sizeof ta, "\"time\":%" PRId64, KYK_NOW);
    snprintf(tb, sizeof tb, "\"time\":%" PRId64, KYK_NOW - 1);
    const struct {
        const char *from, *to;
    } fields[] = {
        {nonce, nonce2}, {t1, t2}, {ta, tb}, {alicehex, bobhex}, {"\"keyId\":\"key-1\"", "\"keyId\":\"key-2\""},
    };
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        char *t = kyk_replace(e, fields[i].from, fields[i].to);
        char *bt = bundle1(t);
        const char *key = i == 4 ? "key-2" : KEY;
        r = verify_full(p, KP_ACTION_EXPORT, key, REQ, sizeof REQ, bt, KYK_NOW + 1, NULL);
        expect_single(r, KP_VERDICT_BAD_SIGNATURE, fields[i].to);
        kp_approval_report_free(r);
        free(bt);
        free(t);
    }
    /* the action, verified as the new action */
    char *t = kyk_replace(e, "\"action\":\"export\"", "\"action\":\"archive\"");
    char *bt = bundle1(t);
    r = verify_full(p, KP_ACTION_ARCHIVE, KEY, REQ, sizeof REQ, bt, KYK_NOW + 1, NULL);
    expect_single(r, KP_VERDICT_BAD_SIGNATURE, "the action changed");
    kp_approval_report_free(r);
    free(bt);
    free(t);
    /* the request hash, replaced by the hash of another request that is then verified */
    uint8_t other[sizeof REQ];
    memcpy(other, REQ, sizeof REQ);
    other[0] ^= 1;
    char h1[65], h2[65];
    kyk_sha256_hex(h1, REQ, sizeof REQ);
    kyk_sha256_hex(h2, other, sizeof other);
    t = kyk_replace(e, h1, h2);
    bt = bundle1(t);
    r = verify_full(p, KP_ACTION_EXPORT, KEY, other, sizeof other, bt, KYK_NOW + 1, NULL);
    expect_single(r, KP_VERDICT_BAD_SIGNATURE, "the request hash changed");
    kp_approval_report_free(r);
    free(bt);
    free(t);
    free(e);
    free(b);
    kp_policy_free(p);
}

Test(kyk_approval, verdict_other_request)
{
    req_init();
    kp_policy_member m[2] = {real(ALICE), filler("bob")};
    kp_policy *p = kyk_policy("prod-ops", m, 2, 1, 1, 1);
    char *b = sign_export(NULL, ALICE, p);
    uint8_t other[sizeof REQ];
    memcpy(other, REQ, sizeof REQ);
    other[77] ^= 0x20;
    kp_approval_report *r = verify_full(p, KP_ACTION_EXPORT, KEY, other, sizeof other, b, KYK_NOW, NULL);
    expect_single(r, KP_VERDICT_OTHER_REQUEST, "one byte of the request changed");
    const char *name = NULL;
    kp_approval_report_get(r, 0, &name, NULL);
    cr_assert_str_eq(name, "alice", "the operator is known");
    kp_approval_report_free(r);
    free(b);
    kp_policy_free(p);
}

Test(kyk_approval, verdict_other_action)
{
    req_init();
    kp_policy_member m[2] = {real(ALICE), filler("bob")};
    kp_policy *p = kyk_policy("prod-ops", m, 2, 1, 1, 1);
    char *b = sign_export(NULL, ALICE, p);
    kp_approval_report *r = verify_full(p, KP_ACTION_ARCHIVE, KEY, REQ, sizeof REQ, b, KYK_NOW, NULL);
    expect_single(r, KP_VERDICT_OTHER_ACTION, "an export approval for an archive");
    kp_approval_report_free(r);
    free(b);
    /* an import approval for an export of the same bytes */
    b = sign_at(NULL, ALICE, p, KP_ACTION_IMPORT, NULL, REQ, sizeof REQ, KYK_NOW, TTL);
    r = verify_full(p, KP_ACTION_EXPORT, KEY, REQ, sizeof REQ, b, KYK_NOW, NULL);
    expect_single(r, KP_VERDICT_OTHER_ACTION, "an import approval for an export");
    kp_approval_report_free(r);
    free(b);
    kp_policy_free(p);
}

Test(kyk_approval, verdict_other_key)
{
    req_init();
    kp_policy_member m[2] = {real(ALICE), filler("bob")};
    kp_policy *p = kyk_policy("prod-ops", m, 2, 1, 1, 1);
    char *b = sign_export(NULL, ALICE, p);
    static const char *const others[] = {"key-2", "key-1 ", "key-", "Key-1", "key-10"};
    for (size_t i = 0; i < sizeof others / sizeof *others; i++) {
        kp_approval_report *r = verify_full(p, KP_ACTION_EXPORT, others[i], REQ, sizeof REQ, b, KYK_NOW, NULL);
        expect_single(r, KP_VERDICT_OTHER_KEY, others[i]);
        kp_approval_report_free(r);
    }
    free(b);
    kp_policy_free(p);
}

Test(kyk_approval, verdict_other_policy)
{
    req_init();
    kp_policy_member m[2] = {real(ALICE), filler("bob")};
    kp_policy *p1 = kyk_policy("prod-ops", m, 2, 1, 1, 1);
    kp_policy *p2 = kyk_policy("staging-ops", m, 2, 1, 1, 1);
    kp_policy *p3 = kyk_policy("Prod-ops", m, 2, 1, 1, 1);
    char *b = sign_export(NULL, ALICE, p2);
    kp_approval_report *r = verify_export(p2, b);
    expect_single(r, KP_VERDICT_COUNTED, "under its own policy");
    kp_approval_report_free(r);
    r = verify_export(p1, b);
    expect_single(r, KP_VERDICT_OTHER_POLICY, "made under staging-ops, checked under prod-ops");
    kp_approval_report_free(r);
    free(b);
    b = sign_export(NULL, ALICE, p1);
    r = verify_export(p3, b);
    expect_single(r, KP_VERDICT_OTHER_POLICY, "an id differing in case");
    kp_approval_report_free(r);
    free(b);
    kp_policy_free(p1);
    kp_policy_free(p2);
    kp_policy_free(p3);
}

Test(kyk_approval, verdict_duplicate_operator)
{
    req_init();
    kp_policy_member m[2] = {real(ALICE), filler("bob")};
    kp_policy *p = kyk_policy("prod-ops", m, 2, 2, 2, 2);
    char *b1 = sign_export(NULL, ALICE, p);
    char *b2 = sign_export(b1, ALICE, p);
    kp_approval_report *r = verify_export(p, b2);
    cr_assert_eq(kp_approval_report_count(r), 2u);
    EXPECT_VERDICT(r, 0, KP_VERDICT_COUNTED);
    EXPECT_VERDICT(r, 1, KP_VERDICT_DUPLICATE_OPERATOR);
    const char *name = NULL;
    kp_approval_report_get(r, 1, &name, NULL);
    cr_assert_str_eq(name, "alice");
    cr_assert_eq(kp_approval_report_counted(r), 1u);
    cr_assert(!kp_approval_report_quorum_met(r), "one operator twice is not 2 of 2");
    kp_approval_report_free(r);
    /* the very same approval twice */
    char *e = entry(b1, 0);
    const char *twice[2] = {e, e};
    char *bt = bundle_of(twice, 2);
    r = verify_export(p, bt);
    EXPECT_VERDICT(r, 0, KP_VERDICT_COUNTED);
    EXPECT_VERDICT(r, 1, KP_VERDICT_DUPLICATE_OPERATOR);
    cr_assert_eq(kp_approval_report_counted(r), 1u);
    cr_assert(!kp_approval_report_quorum_met(r));
    kp_approval_report_free(r);
    free(bt);
    free(e);
    free(b1);
    free(b2);
    kp_policy_free(p);
}

Test(kyk_approval, verdict_expired)
{
    req_init();
    kp_policy_member m[2] = {real(ALICE), filler("bob")};
    kp_policy *p = kyk_policy("prod-ops", m, 2, 1, 1, 1);
    char *b = sign_export(NULL, ALICE, p);
    static const struct {
        int64_t now;
        kp_verdict want;
    } at[] = {
        {KYK_NOW, KP_VERDICT_COUNTED},
        {KYK_NOW + TTL - 1, KP_VERDICT_COUNTED},
        {KYK_NOW + TTL, KP_VERDICT_EXPIRED},
        {KYK_NOW + TTL + 1, KP_VERDICT_EXPIRED},
        {KYK_NOW + 10 * 365 * 86400LL, KP_VERDICT_EXPIRED},
    };
    for (size_t i = 0; i < sizeof at / sizeof *at; i++) {
        kp_approval_report *r = verify_full(p, KP_ACTION_EXPORT, KEY, REQ, sizeof REQ, b, at[i].now, NULL);
        char what[64];
        snprintf(what, sizeof what, "now = time + %" PRId64, at[i].now - KYK_NOW);
        expect_single(r, at[i].want, what);
        kp_approval_report_free(r);
    }
    free(b);
    kp_policy_free(p);
}

Test(kyk_approval, verdict_not_yet_valid)
{
    req_init();
    kp_policy_member m[2] = {real(ALICE), filler("bob")};
    kp_policy *p = kyk_policy("prod-ops", m, 2, 1, 1, 1);
    char *b = sign_export(NULL, ALICE, p);
    static const struct {
        int64_t now;
        kp_verdict want;
    } at[] = {
        {KYK_NOW - 300, KP_VERDICT_COUNTED},
        {KYK_NOW - 301, KP_VERDICT_NOT_YET_VALID},
        {KYK_NOW - 3600, KP_VERDICT_NOT_YET_VALID},
        {0, KP_VERDICT_NOT_YET_VALID},
    };
    for (size_t i = 0; i < sizeof at / sizeof *at; i++) {
        kp_approval_report *r = verify_full(p, KP_ACTION_EXPORT, KEY, REQ, sizeof REQ, b, at[i].now, NULL);
        char what[64];
        snprintf(what, sizeof what, "now = time - %" PRId64, KYK_NOW - at[i].now);
        expect_single(r, at[i].want, what);
        kp_approval_report_free(r);
    }
    free(b);
    kp_policy_free(p);
}

Test(kyk_approval, verdict_malformed)
{
    req_init();
    kp_policy_member m[2] = {real(ALICE), filler("bob")};
    kp_policy *p = kyk_policy("prod-ops", m, 2, 1, 1, 1);
    char *b = sign_export(NULL, ALICE, p);
    char *e = entry(b, 0);
    cJSON *j = cJSON_Parse(e);
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "statement");
    char sigfield[200], sig126[200], nonce[100], nonce30[100], reqh[70], reqbad[70], exp[40], exp0[40];
    const char *sig = kpt_jstr(j, "signature");
    snprintf(sigfield, sizeof sigfield, "\"signature\":\"%s\"", sig);
    snprintf(sig126, sizeof sig126, "\"signature\":\"%.126s\"", sig);
    snprintf(nonce, sizeof nonce, "\"nonce\":\"%s\",", kpt_jstr(s, "nonce"));
    snprintf(nonce30, sizeof nonce30, "\"nonce\":\"%.30s\",", kpt_jstr(s, "nonce"));
    snprintf(reqh, sizeof reqh, "%s", kpt_jstr(s, "request"));
    snprintf(reqbad, sizeof reqbad, "%s", reqh);
    reqbad[10] = 'x';
    snprintf(exp, sizeof exp, "\"expires\":%" PRId64, KYK_NOW + TTL);
    snprintf(exp0, sizeof exp0, "\"expires\":%" PRId64, KYK_NOW);
    char stmt_array[300], no_stmt[300];
    snprintf(stmt_array, sizeof stmt_array, "{\"statement\":[],%s}", sigfield);
    snprintf(no_stmt, sizeof no_stmt, "{%s}", sigfield);
    cJSON_Delete(j);

    const struct {
        const char *from, *to; /* from NULL: `to` is the whole entry */
        const char *what;
    } cases[] = {
        {NULL, "\"not an approval\"", "a string"},
        {NULL, "{}", "an empty object"},
        {NULL, "[]", "an array"},
        {"\"operator\":", "\"comment\":\"x\",\"operator\":", "an unknown statement field"},
        {"\"signature\":", "\"extra\":1,\"signature\":", "an unknown approval field"},
        {sigfield, sig126, "a signature of 126 hex digits"},
        {"\"signature\":\"", "\"signature\":\"zz", "a signature that is not hex"},
        {sigfield, "\"signature\":null", "a null signature"},
        {"\"version\":1", "\"version\":2", "statement version 2"},
        {"\"type\":\"keyport-approval\"", "\"type\":\"keyport-approvals\"", "another type"},
        {nonce, "", "no nonce"},
        {nonce, nonce30, "a 15-byte nonce"},
        {reqh, reqbad, "a request hash that is not hex"},
        {exp, exp0, "expires equal to time"},
        {"\"action\":\"export\"", "\"action\":\"delete\"", "an unknown action"},
        {"\"keyId\":\"key-1\"", "\"keyId\":\"\"", "an empty keyId"},
        {"\"keyId\":\"key-1\"", "\"keyId\":7", "a keyId that is a number"},
        {NULL, stmt_array, "a statement that is an array"},
        {NULL, no_stmt, "no statement"},
    };
    size_t n = sizeof cases / sizeof *cases;
    const char **entries = calloc(n + 1, sizeof *entries);
    char **owned = calloc(n + 1, sizeof *owned);
    entries[0] = e;
    for (size_t i = 0; i < n; i++) {
        owned[i] = cases[i].from ? kyk_replace(e, cases[i].from, cases[i].to) : strdup(cases[i].to);
        entries[i + 1] = owned[i];
    }
    char *bad = bundle_of(entries, n + 1);
    kp_approval_report *r = verify_export(p, bad);
    cr_assert_eq(kp_approval_report_count(r), n + 1);
    EXPECT_VERDICT(r, 0, KP_VERDICT_COUNTED);
    for (size_t i = 0; i < n; i++) {
        const char *name = "x";
        kp_verdict v = kp_approval_report_get(r, i + 1, &name, NULL);
        cr_assert_eq(v, KP_VERDICT_MALFORMED, "%s: got %s", cases[i].what, vname(v));
        cr_assert_null(name, "%s: a malformed approval has no operator", cases[i].what);
    }
    cr_assert_eq(kp_approval_report_counted(r), 1u);
    cr_assert(kp_approval_report_quorum_met(r), "the good approval still counts");
    kp_approval_report_free(r);
    /* a time that is a string, and a keyId of 257 bytes */
    char ts[40], k257[300];
    snprintf(ts, sizeof ts, "\"time\":\"%" PRId64 "\"", KYK_NOW);
    char tnum[40];
    snprintf(tnum, sizeof tnum, "\"time\":%" PRId64, KYK_NOW);
    memset(k257, 0, sizeof k257);
    strcpy(k257, "\"keyId\":\"");
    memset(k257 + 9, 'k', 257);
    strcat(k257, "\"");
    const char *more[2][2] = {{tnum, ts}, {"\"keyId\":\"key-1\"", k257}};
    for (int i = 0; i < 2; i++) {
        char *t = kyk_replace(e, more[i][0], more[i][1]);
        char *bt = bundle1(t);
        r = verify_export(p, bt);
        expect_single(r, KP_VERDICT_MALFORMED, more[i][1]);
        kp_approval_report_free(r);
        free(bt);
        free(t);
    }
    for (size_t i = 0; i < n; i++) free(owned[i]);
    free(owned);
    free(entries);
    free(bad);
    free(e);
    free(b);
    kp_policy_free(p);
}

/* Documents that are not bundles fail as a whole, with no report. */
Test(kyk_approval, bundle_refusals)
{
    req_init();
    kp_policy_member m[1] = {filler("alice")};
    kp_policy *p = kyk_policy("prod-ops", m, 1, 1, 1, 1);
    char many[2048] = "{\"version\":1,\"approvals\":[{}";
    for (int i = 1; i < 65; i++) strcat(many, ",{}");
    strcat(many, "]}");
    const struct {
        const char *text;
        kp_status want;
    } cases[] = {
        {"", KP_ERR_EMPTY},
        {"{", KP_ERR_JSON},
        {"[]", KP_ERR_FORMAT},
        {"{\"version\":2,\"approvals\":[]}", KP_ERR_VERSION},
        {"{\"version\":1}", KP_ERR_FORMAT},
        {"{\"version\":1,\"approvals\":{}}", KP_ERR_FORMAT},
        {"{\"version\":1,\"approvals\":[],\"note\":\"x\"}", KP_ERR_FORMAT},
        {many, KP_ERR_TOO_MANY},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        kp_approval_report *r = (kp_approval_report *)1;
        kp_status st = kp_approvals_verify(ctx, &r, p, KP_ACTION_EXPORT, KEY, REQ, sizeof REQ, cases[i].text,
                                           strlen(cases[i].text), KYK_NOW, NULL);
        cr_assert_eq(st, cases[i].want, "%.60s: got %s, want %s", cases[i].text, kp_status_name(st),
                     kp_status_name(cases[i].want));
        cr_assert_null(r);
    }
    /* 64 malformed approvals are read (and refused one by one) */
    char *last = strrchr(many, ',');
    strcpy(last, "]}");
    kp_approval_report *r = verify_export(p, many);
    cr_assert_eq(kp_approval_report_count(r), 64u);
    cr_assert_eq(kp_approval_report_counted(r), 0u);
    kp_approval_report_free(r);
    /* an unknown action */
    r = (kp_approval_report *)1;
    KPT_ST(kp_approvals_verify(ctx, &r, p, (kp_action)0, KEY, REQ, sizeof REQ, many, strlen(many), KYK_NOW, NULL),
           KP_ERR_FORMAT);
    cr_assert_null(r);
    kp_policy_free(p);
}

Test(kyk_approval, verdict_texts)
{
    for (int v = KP_VERDICT_COUNTED; v <= KP_VERDICT_REPLAYED; v++) {
        const char *t = kp_verdict_text((kp_verdict)v);
        cr_assert_not_null(t);
        cr_assert_gt(strlen(t), 3u);
        for (int w = KP_VERDICT_COUNTED; w < v; w++) cr_assert_str_neq(kp_verdict_text((kp_verdict)w), t);
    }
}

/* ------------------------------------------------------------ replay: a nonce store */

typedef struct store {
    uint8_t nonce[32][KP_APPROVAL_NONCE_BYTES];
    int64_t expires[32];
    size_t n;
    int seen_calls, remember_calls;
    int fail_seen, fail_remember;
} store;

static int store_seen(void *data, const uint8_t nonce[KP_APPROVAL_NONCE_BYTES])
{
    store *s = data;
    s->seen_calls++;
    if (s->fail_seen) return -1;
    for (size_t i = 0; i < s->n; i++)
        if (memcmp(s->nonce[i], nonce, KP_APPROVAL_NONCE_BYTES) == 0) return 1;
    return 0;
}

static int store_remember(void *data, const uint8_t nonce[KP_APPROVAL_NONCE_BYTES], int64_t expires)
{
    store *s = data;
    s->remember_calls++;
    if (s->fail_remember || s->n == 32) return -1;
    memcpy(s->nonce[s->n], nonce, KP_APPROVAL_NONCE_BYTES);
    s->expires[s->n] = expires;
    s->n++;
    return 0;
}

Test(kyk_approval, replay_refused_with_a_nonce_store)
{
    req_init();
    kp_policy_member m[3] = {real(ALICE), real(BOB), filler("carol")};
    kp_policy *p = kyk_policy("prod-ops", m, 3, 2, 2, 2);
    store st = {0};
    kp_nonce_store ns = {store_seen, store_remember, &st};
    char *b1 = sign_export(NULL, ALICE, p);
    char *b2 = sign_export(b1, BOB, p);

    kp_approval_report *r = verify_full(p, KP_ACTION_EXPORT, KEY, REQ, sizeof REQ, b2, KYK_NOW, &ns);
    cr_assert(kp_approval_report_quorum_met(r));
    cr_assert_eq(kp_approval_report_counted(r), 2u);
    kp_approval_report_free(r);
    /* both nonces remembered, each until its approval expires */
    cr_assert_eq(st.n, 2u);
    uint8_t n0[KP_APPROVAL_NONCE_BYTES], n1[KP_APPROVAL_NONCE_BYTES];
    nonce_of(n0, b2, 0);
    nonce_of(n1, b2, 1);
    cr_assert(memcmp(st.nonce[0], n0, sizeof n0) == 0 || memcmp(st.nonce[1], n0, sizeof n0) == 0);
    cr_assert(memcmp(st.nonce[0], n1, sizeof n1) == 0 || memcmp(st.nonce[1], n1, sizeof n1) == 0);
    cr_assert_eq(st.expires[0], KYK_NOW + TTL);
    cr_assert_eq(st.expires[1], KYK_NOW + TTL);

    /* the same bundle again: both replayed, the quorum not met, nothing more remembered */
    r = verify_full(p, KP_ACTION_EXPORT, KEY, REQ, sizeof REQ, b2, KYK_NOW + 10, &ns);
    cr_assert_eq(kp_approval_report_count(r), 2u);
    EXPECT_VERDICT(r, 0, KP_VERDICT_REPLAYED);
    EXPECT_VERDICT(r, 1, KP_VERDICT_REPLAYED);
    cr_assert_eq(kp_approval_report_counted(r), 0u);
    cr_assert(!kp_approval_report_quorum_met(r));
    kp_approval_report_free(r);
    cr_assert_eq(st.n, 2u);

    /* one used approval with a fresh one by the same operator and a fresh one by the other */
    char *b3 = sign_export(NULL, ALICE, p);
    char *e_old = entry(b2, 1), *e_new = entry(b3, 0);
    const char *mix[2] = {e_old, e_new};
    char *bm = bundle_of(mix, 2);
    r = verify_full(p, KP_ACTION_EXPORT, KEY, REQ, sizeof REQ, bm, KYK_NOW + 20, &ns);
    EXPECT_VERDICT(r, 0, KP_VERDICT_REPLAYED);
    EXPECT_VERDICT(r, 1, KP_VERDICT_COUNTED);
    cr_assert(!kp_approval_report_quorum_met(r));
    kp_approval_report_free(r);
    cr_assert_eq(st.n, 2u, "a refused request uses up nothing");
    /* without a store the used bundle still counts (the store is what remembers) */
    r = verify_full(p, KP_ACTION_EXPORT, KEY, REQ, sizeof REQ, b2, KYK_NOW + 10, NULL);
    cr_assert(kp_approval_report_quorum_met(r));
    kp_approval_report_free(r);
    free(bm);
    free(e_old);
    free(e_new);
    free(b1);
    free(b2);
    free(b3);
    kp_policy_free(p);
}

Test(kyk_approval, nonces_not_remembered_when_quorum_not_met)
{
    req_init();
    kp_policy_member m[3] = {real(ALICE), real(BOB), filler("carol")};
    kp_policy *p = kyk_policy("prod-ops", m, 3, 2, 2, 2);
    store st = {0};
    kp_nonce_store ns = {store_seen, store_remember, &st};
    char *b1 = sign_export(NULL, ALICE, p);
    kp_approval_report *r = verify_full(p, KP_ACTION_EXPORT, KEY, REQ, sizeof REQ, b1, KYK_NOW, &ns);
    EXPECT_VERDICT(r, 0, KP_VERDICT_COUNTED);
    cr_assert(!kp_approval_report_quorum_met(r));
    kp_approval_report_free(r);
    cr_assert_eq(st.n, 0u, "a refused request must not use up its approvals");
    cr_assert_eq(st.remember_calls, 0);
    cr_assert_eq(st.seen_calls, 1);
    /* again: still not replayed */
    r = verify_full(p, KP_ACTION_EXPORT, KEY, REQ, sizeof REQ, b1, KYK_NOW, &ns);
    EXPECT_VERDICT(r, 0, KP_VERDICT_COUNTED);
    kp_approval_report_free(r);
    /* the complete bundle, holding the same approval of alice, works once */
    char *b2 = sign_export(b1, BOB, p);
    r = verify_full(p, KP_ACTION_EXPORT, KEY, REQ, sizeof REQ, b2, KYK_NOW + 1, &ns);
    EXPECT_VERDICT(r, 0, KP_VERDICT_COUNTED);
    EXPECT_VERDICT(r, 1, KP_VERDICT_COUNTED);
    cr_assert(kp_approval_report_quorum_met(r));
    kp_approval_report_free(r);
    cr_assert_eq(st.n, 2u);
    r = verify_full(p, KP_ACTION_EXPORT, KEY, REQ, sizeof REQ, b2, KYK_NOW + 2, &ns);
    cr_assert(!kp_approval_report_quorum_met(r));
    EXPECT_VERDICT(r, 0, KP_VERDICT_REPLAYED);
    kp_approval_report_free(r);
    /* refused approvals (here: another request) are neither looked up nor remembered */
    store st2 = {0};
    kp_nonce_store ns2 = {store_seen, store_remember, &st2};
    uint8_t other[sizeof REQ];
    memcpy(other, REQ, sizeof REQ);
    other[0] ^= 1;
    r = verify_full(p, KP_ACTION_EXPORT, KEY, other, sizeof other, b2, KYK_NOW, &ns2);
    cr_assert_eq(kp_approval_report_counted(r), 0u);
    kp_approval_report_free(r);
    cr_assert_eq(st2.n, 0u);
    free(b1);
    free(b2);
    kp_policy_free(p);
}

Test(kyk_approval, nonce_store_failures)
{
    req_init();
    kp_policy_member m[1] = {real(ALICE)};
    kp_policy *p = kyk_policy("prod-ops", m, 1, 1, 1, 1);
    char *b = sign_export(NULL, ALICE, p);
    store st = {0};
    st.fail_seen = 1;
    kp_nonce_store ns = {store_seen, store_remember, &st};
    kp_approval_report *r = (kp_approval_report *)1;
    KPT_ST(kp_approvals_verify(ctx, &r, p, KP_ACTION_EXPORT, KEY, REQ, sizeof REQ, b, strlen(b), KYK_NOW, &ns), KP_ERR_IO);
    cr_assert_null(r);
    st.fail_seen = 0;
    st.fail_remember = 1;
    r = (kp_approval_report *)1;
    KPT_ST(kp_approvals_verify(ctx, &r, p, KP_ACTION_EXPORT, KEY, REQ, sizeof REQ, b, strlen(b), KYK_NOW, &ns), KP_ERR_IO);
    cr_assert_null(r);
    free(b);
    kp_policy_free(p);
}

/* ------------------------------------------------------------ request binding */

Test(kyk_approval, every_request_byte_is_bound)
{
    req_init();
    kp_policy_member m[2] = {real(ALICE), filler("bob")};
    kp_policy *p = kyk_policy("prod-ops", m, 2, 1, 1, 1);
    char *b = sign_export(NULL, ALICE, p);
    kp_approval_report *r = verify_export(p, b);
    expect_single(r, KP_VERDICT_COUNTED, "the request itself");
    kp_approval_report_free(r);

    uint8_t t[sizeof REQ + 1];
    static const uint8_t flips[] = {0x01, 0x80, 0xff};
    for (size_t i = 0; i < sizeof REQ; i++) {
        for (size_t f = 0; f < sizeof flips; f++) {
            memcpy(t, REQ, sizeof REQ);
            t[i] ^= flips[f];
            r = verify_full(p, KP_ACTION_EXPORT, KEY, t, sizeof REQ, b, KYK_NOW, NULL);
            cr_assert_eq(kp_approval_report_get(r, 0, NULL, NULL), KP_VERDICT_OTHER_REQUEST, "byte %zu ^ %#x", i, flips[f]);
            cr_assert_eq(kp_approval_report_counted(r), 0u);
            cr_assert(!kp_approval_report_quorum_met(r), "byte %zu ^ %#x: the approval still counts", i, flips[f]);
            kp_approval_report_free(r);
        }
    }
    /* shorter, longer, empty */
    memcpy(t, REQ, sizeof REQ);
    t[sizeof REQ] = 0;
    const size_t lens[] = {sizeof REQ - 1, sizeof REQ + 1, 0, 1};
    for (size_t i = 0; i < 4; i++) {
        r = verify_full(p, KP_ACTION_EXPORT, KEY, t, lens[i], b, KYK_NOW, NULL);
        expect_single(r, KP_VERDICT_OTHER_REQUEST, "another length");
        kp_approval_report_free(r);
    }
    free(b);
    kp_policy_free(p);
}
