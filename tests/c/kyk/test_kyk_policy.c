/*
 * test_kyk_policy.c: approval policies (kp_policy_write / kp_policy_parse) and their rules.
 *
 * Members are plain libsodium key pairs: a policy holds only names and public keys, so no
 * operator (and no Argon2) is needed here. Refused documents are written by hand.
 */
#include "kyk.h"

TestSuite(kyk_policy, .init = kyk_setup, .fini = kyk_teardown, .timeout = 120);

static kp_policy_member M[3];
static char HEX[3][65];

static void members(void)
{
    static const char *const names[3] = {"alice", "bob", "carol"};
    for (int i = 0; i < 3; i++) {
        M[i].name = names[i];
        kyk_filler(M[i].public_key, NULL);
        kpt_hex(HEX[i], M[i].public_key, 32);
    }
}

/* A policy document: {"version":V,"id":ID,"operators":OPS,"quorum":Q EXTRA} */
static char *doc(const char *version, const char *id, const char *ops, const char *quorum, const char *extra)
{
    size_t n = strlen(version) + strlen(id) + strlen(ops) + strlen(quorum) + strlen(extra) + 64;
    char *s = malloc(n);
    cr_assert_not_null(s);
    snprintf(s, n, "{\"version\":%s,\"id\":%s,\"operators\":%s,\"quorum\":%s%s}", version, id, ops, quorum, extra);
    return s;
}

/* The three members as a JSON array, with the i-th name and key replaced when given. */
static char *ops3(const char *name2, const char *key2)
{
    char *s = malloc(1024);
    cr_assert_not_null(s);
    snprintf(s, 1024,
             "[{\"name\":\"alice\",\"publicKey\":\"%s\"},{\"name\":\"bob\",\"publicKey\":\"%s\"},"
             "{\"name\":\"%s\",\"publicKey\":\"%s\"}]",
             HEX[0], HEX[1], name2 ? name2 : "carol", key2 ? key2 : HEX[2]);
    return s;
}

static const char Q[] = "{\"import\":3,\"export\":2,\"archive\":1}";

static void refuse(const char *text, kp_status want, const char *what)
{
    kp_policy *p = (kp_policy *)1;
    kp_status st = kp_policy_parse(&p, text, strlen(text));
    cr_assert_eq(st, want, "%s: got %s, want %s (%s)\n%s", what, kp_status_name(st), kp_status_name(want),
                 kp_error_detail(), text);
    cr_assert_null(p, "%s: the output must be NULL on failure", what);
    cr_assert_str_neq(kp_error_detail(), "", "%s: no detail", what);
}

static void refuse_doc(const char *version, const char *id, const char *ops, const char *quorum, const char *extra,
                       kp_status want, const char *what)
{
    char *t = doc(version, id, ops, quorum, extra);
    refuse(t, want, what);
    free(t);
}

/* ------------------------------------------------------------ round trip */

Test(kyk_policy, write_parse_round_trip)
{
    members();
    const unsigned q[3] = {3, 2, 1};
    kp_buf b;
    kp_buf_init(&b, 0);
    KPT_ST(kp_policy_write(&b, "prod-ops", M, 3, q), KP_OK);

    /* the documented layout, read with cJSON */
    cJSON *j = cJSON_Parse((const char *)b.data);
    cr_assert_not_null(j, "%s", b.data);
    cr_assert_eq(cJSON_GetArraySize(j), 4);
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(j, "version")->valuedouble, 1.0);
    cr_assert_str_eq(kpt_jstr(j, "id"), "prod-ops");
    const cJSON *ops = cJSON_GetObjectItemCaseSensitive(j, "operators");
    cr_assert_eq(cJSON_GetArraySize(ops), 3);
    for (int i = 0; i < 3; i++) {
        const cJSON *o = cJSON_GetArrayItem(ops, i);
        cr_assert_eq(cJSON_GetArraySize(o), 2);
        cr_assert_str_eq(kpt_jstr(o, "name"), M[i].name);
        cr_assert_str_eq(kpt_jstr(o, "publicKey"), HEX[i]);
    }
    const cJSON *qj = cJSON_GetObjectItemCaseSensitive(j, "quorum");
    cr_assert_eq(cJSON_GetArraySize(qj), 3);
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(qj, "import")->valueint, 3);
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(qj, "export")->valueint, 2);
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(qj, "archive")->valueint, 1);
    cJSON_Delete(j);

    /* parse: the same policy */
    kp_policy *p = NULL;
    KPT_ST(kp_policy_parse(&p, (const char *)b.data, b.len), KP_OK);
    cr_assert_str_eq(kp_policy_id(p), "prod-ops");
    cr_assert_eq(kp_policy_operator_count(p), 3u);
    kp_policy_member back[3];
    for (size_t i = 0; i < 3; i++) {
        uint8_t pk[32];
        const char *name = kp_policy_operator(p, i, pk);
        cr_assert_not_null(name);
        cr_assert_str_eq(name, M[i].name);
        cr_assert_arr_eq(pk, M[i].public_key, 32);
        cr_assert_str_eq(kp_policy_operator(p, i, NULL), M[i].name, "pk may be NULL");
        back[i].name = name;
        memcpy(back[i].public_key, pk, 32);
    }
    cr_assert_null(kp_policy_operator(p, 3, NULL));
    cr_assert_eq(kp_policy_quorum(p, KP_ACTION_IMPORT), 3u);
    cr_assert_eq(kp_policy_quorum(p, KP_ACTION_EXPORT), 2u);
    cr_assert_eq(kp_policy_quorum(p, KP_ACTION_ARCHIVE), 1u);
    cr_assert_eq(kp_policy_quorum(p, (kp_action)0), 0u);
    cr_assert_eq(kp_policy_quorum(p, (kp_action)4), 0u);

    /* written again from what was read: the same bytes */
    kp_buf b2;
    kp_buf_init(&b2, 0);
    const unsigned q2[3] = {kp_policy_quorum(p, KP_ACTION_IMPORT), kp_policy_quorum(p, KP_ACTION_EXPORT),
                            kp_policy_quorum(p, KP_ACTION_ARCHIVE)};
    KPT_ST(kp_policy_write(&b2, kp_policy_id(p), back, 3, q2), KP_OK);
    cr_assert_eq(b2.len, b.len);
    cr_assert_str_eq((const char *)b2.data, (const char *)b.data);
    kp_buf_release(&b2);
    kp_policy_free(p);

    /* a hand-written equivalent (other member order in the quorum object, whitespace) parses */
    char *ops2 = ops3(NULL, NULL);
    char *t = doc(" 1 ", "\"prod-ops\"", ops2, "{ \"archive\" : 1, \"import\" : 3, \"export\" : 2 }", "");
    KPT_ST(kp_policy_parse(&p, t, strlen(t)), KP_OK);
    cr_assert_eq(kp_policy_quorum(p, KP_ACTION_IMPORT), 3u);
    cr_assert_eq(kp_policy_quorum(p, KP_ACTION_ARCHIVE), 1u);
    kp_policy_free(p);
    free(t);
    free(ops2);
    kp_buf_release(&b);
}

Test(kyk_policy, names_and_ids_with_escapes_round_trip)
{
    members();
    kp_policy_member m[2] = {M[0], M[1]};
    m[0].name = "Zoë \"the boss\" \\ Ørsted";
    const unsigned q[3] = {1, 2, 2};
    kp_buf b;
    kp_buf_init(&b, 0);
    KPT_ST(kp_policy_write(&b, "team \"α\"/prod\\eu", m, 2, q), KP_OK);
    cJSON *j = cJSON_Parse((const char *)b.data);
    cr_assert_not_null(j);
    cr_assert_str_eq(kpt_jstr(j, "id"), "team \"α\"/prod\\eu");
    cJSON_Delete(j);
    kp_policy *p = NULL;
    KPT_ST(kp_policy_parse(&p, (const char *)b.data, b.len), KP_OK);
    cr_assert_str_eq(kp_policy_id(p), "team \"α\"/prod\\eu");
    cr_assert_str_eq(kp_policy_operator(p, 0, NULL), m[0].name);
    kp_policy_free(p);
    kp_buf_release(&b);
}

Test(kyk_policy, limits_accepted)
{
    /* 1 of 1, and 64 operators (KP_MAX_SIGNERS) with a quorum of 64 */
    members();
    kp_policy *p = kyk_policy("solo", M, 1, 1, 1, 1);
    cr_assert_eq(kp_policy_operator_count(p), 1u);
    kp_policy_free(p);

    static kp_policy_member many[KP_MAX_SIGNERS + 1];
    static char names[KP_MAX_SIGNERS + 1][16];
    for (int i = 0; i <= KP_MAX_SIGNERS; i++) {
        snprintf(names[i], sizeof names[i], "op%02d", i);
        many[i].name = names[i];
        kyk_filler(many[i].public_key, NULL);
    }
    p = kyk_policy("many", many, KP_MAX_SIGNERS, KP_MAX_SIGNERS, 33, 1);
    cr_assert_eq(kp_policy_operator_count(p), (size_t)KP_MAX_SIGNERS);
    cr_assert_eq(kp_policy_quorum(p, KP_ACTION_IMPORT), (unsigned)KP_MAX_SIGNERS);
    kp_policy_free(p);
    const unsigned q[3] = {1, 1, 1};
    kp_buf b;
    kp_buf_init(&b, 0);
    KPT_ST(kp_policy_write(&b, "too-many", many, KP_MAX_SIGNERS + 1, q), KP_ERR_POLICY);
    cr_assert_eq(b.len, 0u);
    kp_buf_release(&b);

    /* a 128-byte id is the longest */
    char id[130];
    memset(id, 'i', 128);
    id[128] = 0;
    p = kyk_policy(id, M, 3, 1, 1, 1);
    cr_assert_str_eq(kp_policy_id(p), id);
    kp_policy_free(p);
}

/* ------------------------------------------------------------ kp_policy_write refusals */

static void refuse_write(const char *id, const kp_policy_member *m, size_t n, unsigned qi, unsigned qe, unsigned qa,
                         const char *what)
{
    const unsigned q[3] = {qi, qe, qa};
    kp_buf b;
    kp_buf_init(&b, 0);
    KPT_ST(kp_buf_addstr(&b, "before"), KP_OK);
    kp_status st = kp_policy_write(&b, id, m, n, q);
    cr_assert_eq(st, KP_ERR_POLICY, "%s: got %s, want KP_ERR_POLICY (%s)", what, kp_status_name(st), kp_error_detail());
    cr_assert_eq(b.len, 6u, "%s: the output must be left as it was", what);
    cr_assert_str_eq((const char *)b.data, "before");
    cr_assert_str_neq(kp_error_detail(), "", "%s: no detail", what);
    kp_buf_release(&b);
}

Test(kyk_policy, write_refusals)
{
    members();
    refuse_write("p", M, 3, 4, 1, 1, "import quorum 4 of 3");
    refuse_write("p", M, 3, 1, 4, 1, "export quorum 4 of 3");
    refuse_write("p", M, 3, 1, 1, 4, "archive quorum 4 of 3");
    refuse_write("p", M, 3, 0, 1, 1, "import quorum 0");
    refuse_write("p", M, 3, 1, 0, 1, "export quorum 0");
    refuse_write("p", M, 3, 1, 1, 0, "archive quorum 0");
    refuse_write("p", M, 3, 1, 1, 0xffffffffu, "archive quorum 2^32-1");
    refuse_write("", M, 3, 1, 1, 1, "an empty id");
    char id[131];
    memset(id, 'i', 129);
    id[129] = 0;
    refuse_write(id, M, 3, 1, 1, 1, "a 129-byte id");
    refuse_write("p\xff", M, 3, 1, 1, 1, "an id that is not UTF-8");
    refuse_write("p", M, 0, 1, 1, 1, "no operators");
    refuse_write("p", NULL, 0, 1, 1, 1, "no operators (NULL)");

    kp_policy_member d[3] = {M[0], M[1], M[2]};
    d[2].name = "alice";
    refuse_write("p", d, 3, 1, 1, 1, "a duplicate name");
    d[2] = M[2];
    memcpy(d[2].public_key, M[0].public_key, 32);
    refuse_write("p", d, 3, 1, 1, 1, "a duplicate key");
    d[2] = M[2];
    memset(d[2].public_key, 0, 32);
    refuse_write("p", d, 3, 1, 1, 1, "a key that is not a valid point (small order)");
    d[2] = M[2];
    d[2].name = "";
    refuse_write("p", d, 3, 1, 1, 1, "an empty operator name");
    d[2].name = "car\nol";
    refuse_write("p", d, 3, 1, 1, 1, "an operator name with a newline");
}

/* ------------------------------------------------------------ kp_policy_parse refusals, one by one */

Test(kyk_policy, parse_refuses_quorum_above_n)
{
    members();
    char *ops = ops3(NULL, NULL);
    refuse_doc("1", "\"p\"", ops, "{\"import\":3,\"export\":4,\"archive\":1}", "", KP_ERR_POLICY, "export 4 of 3");
    refuse_doc("1", "\"p\"", ops, "{\"import\":4,\"export\":1,\"archive\":1}", "", KP_ERR_POLICY, "import 4 of 3");
    refuse_doc("1", "\"p\"", ops, "{\"import\":1,\"export\":1,\"archive\":99}", "", KP_ERR_POLICY, "archive 99 of 3");
    free(ops);
}

Test(kyk_policy, parse_refuses_quorum_below_one)
{
    members();
    char *ops = ops3(NULL, NULL);
    refuse_doc("1", "\"p\"", ops, "{\"import\":0,\"export\":1,\"archive\":1}", "", KP_ERR_POLICY, "import 0");
    refuse_doc("1", "\"p\"", ops, "{\"import\":1,\"export\":1,\"archive\":0}", "", KP_ERR_POLICY, "archive 0");
    refuse_doc("1", "\"p\"", ops, "{\"import\":1,\"export\":-1,\"archive\":1}", "", KP_ERR_FORMAT, "export -1");
    refuse_doc("1", "\"p\"", ops, "{\"import\":1,\"export\":1.5,\"archive\":1}", "", KP_ERR_FORMAT, "export 1.5");
    refuse_doc("1", "\"p\"", ops, "{\"import\":1,\"export\":\"2\",\"archive\":1}", "", KP_ERR_FORMAT, "export \"2\"");
    free(ops);
}

Test(kyk_policy, parse_refuses_duplicate_names)
{
    members();
    char *ops = ops3("alice", NULL);
    refuse_doc("1", "\"p\"", ops, Q, "", KP_ERR_POLICY, "a duplicate operator name");
    free(ops);
}

Test(kyk_policy, parse_refuses_duplicate_keys)
{
    members();
    char *ops = ops3(NULL, HEX[0]);
    refuse_doc("1", "\"p\"", ops, Q, "", KP_ERR_POLICY, "a duplicate key");
    free(ops);
    /* the same key in upper case is the same key */
    char upper[65];
    for (int i = 0; i < 65; i++) upper[i] = (char)toupper((unsigned char)HEX[0][i]);
    ops = ops3(NULL, upper);
    refuse_doc("1", "\"p\"", ops, Q, "", KP_ERR_POLICY, "a duplicate key in upper case");
    free(ops);
}

Test(kyk_policy, parse_refuses_unknown_action)
{
    members();
    char *ops = ops3(NULL, NULL);
    refuse_doc("1", "\"p\"", ops, "{\"import\":1,\"export\":1,\"archive\":1,\"delete\":1}", "", KP_ERR_FORMAT,
               "an unknown action");
    refuse_doc("1", "\"p\"", ops, "{\"import\":1,\"Export\":1,\"archive\":1}", "", KP_ERR_FORMAT,
               "an action in another case (and export missing)");
    free(ops);
}

Test(kyk_policy, parse_refuses_unknown_field)
{
    members();
    char *ops = ops3(NULL, NULL);
    refuse_doc("1", "\"p\"", ops, Q, ",\"comment\":\"hi\"", KP_ERR_FORMAT, "an unknown top-level field");
    refuse_doc("1", "\"p\"", ops, Q, ",\"Id\":\"p\"", KP_ERR_FORMAT, "a top-level field in another case");
    free(ops);
    /* and an unknown field in an operator */
    char o[600];
    snprintf(o, sizeof o, "[{\"name\":\"alice\",\"publicKey\":\"%s\",\"role\":\"admin\"}]", HEX[0]);
    refuse_doc("1", "\"p\"", o, "{\"import\":1,\"export\":1,\"archive\":1}", "", KP_ERR_FORMAT,
               "an unknown field in an operator");
}

Test(kyk_policy, parse_refuses_missing_action)
{
    members();
    char *ops = ops3(NULL, NULL);
    refuse_doc("1", "\"p\"", ops, "{\"import\":1,\"export\":1}", "", KP_ERR_FORMAT, "archive missing");
    refuse_doc("1", "\"p\"", ops, "{\"export\":1,\"archive\":1}", "", KP_ERR_FORMAT, "import missing");
    refuse_doc("1", "\"p\"", ops, "{}", "", KP_ERR_FORMAT, "an empty quorum");
    refuse_doc("1", "\"p\"", ops, "[1,1,1]", "", KP_ERR_FORMAT, "a quorum that is not an object");
    free(ops);
    /* no quorum at all */
    char t[1024];
    ops = ops3(NULL, NULL);
    snprintf(t, sizeof t, "{\"version\":1,\"id\":\"p\",\"operators\":%s}", ops);
    refuse(t, KP_ERR_FORMAT, "no quorum");
    free(ops);
}

Test(kyk_policy, parse_refuses_empty_id)
{
    members();
    char *ops = ops3(NULL, NULL);
    refuse_doc("1", "\"\"", ops, Q, "", KP_ERR_POLICY, "an empty id");
    char id[140];
    id[0] = '"';
    memset(id + 1, 'i', 129);
    strcpy(id + 130, "\"");
    refuse_doc("1", id, ops, Q, "", KP_ERR_POLICY, "a 129-byte id");
    refuse_doc("1", "7", ops, Q, "", KP_ERR_FORMAT, "an id that is a number");
    free(ops);
}

Test(kyk_policy, parse_refuses_no_operators)
{
    members();
    refuse_doc("1", "\"p\"", "[]", "{\"import\":1,\"export\":1,\"archive\":1}", "", KP_ERR_POLICY, "no operators");
    refuse_doc("1", "\"p\"", "{}", "{\"import\":1,\"export\":1,\"archive\":1}", "", KP_ERR_FORMAT,
               "operators not an array");
    char t[256];
    snprintf(t, sizeof t, "{\"version\":1,\"id\":\"p\",\"quorum\":%s}", Q);
    refuse(t, KP_ERR_FORMAT, "operators missing");
}

Test(kyk_policy, parse_refuses_other_versions)
{
    members();
    char *ops = ops3(NULL, NULL);
    refuse_doc("2", "\"p\"", ops, Q, "", KP_ERR_VERSION, "version 2");
    refuse_doc("0", "\"p\"", ops, Q, "", KP_ERR_VERSION, "version 0");
    refuse_doc("\"1\"", "\"p\"", ops, Q, "", KP_ERR_FORMAT, "version \"1\"");
    free(ops);
    char t[1024];
    ops = ops3(NULL, NULL);
    snprintf(t, sizeof t, "{\"id\":\"p\",\"operators\":%s,\"quorum\":%s}", ops, Q);
    refuse(t, KP_ERR_FORMAT, "version missing");
    free(ops);
}

Test(kyk_policy, parse_refuses_bad_members)
{
    members();
    char bad[70], *ops;
    memcpy(bad, HEX[2], 65);
    bad[63] = 0;
    ops = ops3(NULL, bad);
    refuse_doc("1", "\"p\"", ops, Q, "", KP_ERR_HEX, "a 63-digit key");
    free(ops);
    memset(bad, '0', 64);
    bad[64] = 0;
    ops = ops3(NULL, bad);
    refuse_doc("1", "\"p\"", ops, Q, "", KP_ERR_POLICY, "a key that is not a valid point");
    free(ops);
    ops = ops3("", NULL);
    refuse_doc("1", "\"p\"", ops, Q, "", KP_ERR_POLICY, "an empty operator name");
    free(ops);
    ops = ops3("car\\u0007ol", NULL);
    refuse_doc("1", "\"p\"", ops, Q, "", KP_ERR_POLICY, "an operator name with a control character");
    free(ops);
    char n65[70];
    memset(n65, 'n', 65);
    n65[65] = 0;
    ops = ops3(n65, NULL);
    refuse_doc("1", "\"p\"", ops, Q, "", KP_ERR_POLICY, "a 65-byte operator name");
    free(ops);
    refuse_doc("1", "\"p\"", "[\"alice\"]", "{\"import\":1,\"export\":1,\"archive\":1}", "", KP_ERR_FORMAT,
               "an operator that is not an object");
    refuse("", KP_ERR_EMPTY, "an empty document");
    refuse("{", KP_ERR_JSON, "not JSON");
}

/* ------------------------------------------------------------ the optional sign action */

Test(kyk_policy, sign_is_optional_and_checked)
{
    members();
    char *ops = ops3(NULL, NULL);
    kp_policy *p = NULL;
    char *t = doc("1", "\"p\"", ops, Q, "");
    KPT_ST(kp_policy_parse(&p, t, strlen(t)), KP_OK);
    cr_assert_eq(kp_policy_quorum(p, KP_ACTION_SIGN), 0, "a policy without sign asks no approvals for it");
    kp_policy_free(p);
    free(t);
    t = doc("1", "\"p\"", ops, "{\"import\":3,\"export\":2,\"archive\":1,\"sign\":2}", "");
    KPT_ST(kp_policy_parse(&p, t, strlen(t)), KP_OK);
    cr_assert_eq(kp_policy_quorum(p, KP_ACTION_SIGN), 2);
    cr_assert_eq(kp_policy_quorum(p, KP_ACTION_EXPORT), 2);
    kp_policy_free(p);
    free(t);
    refuse_doc("1", "\"p\"", ops, "{\"import\":1,\"export\":1,\"archive\":1,\"sign\":0}", "", KP_ERR_POLICY, "sign 0");
    refuse_doc("1", "\"p\"", ops, "{\"import\":1,\"export\":1,\"archive\":1,\"sign\":4}", "", KP_ERR_POLICY,
               "sign 4 of 3");
    refuse_doc("1", "\"p\"", ops, "{\"import\":1,\"export\":1,\"archive\":1,\"sign\":\"2\"}", "", KP_ERR_FORMAT,
               "sign \"2\"");
    free(ops);
    kp_action a;
    KPT_ST(kp_action_from_name(&a, "sign"), KP_OK);
    cr_assert_eq(a, KP_ACTION_SIGN);
    cr_assert_str_eq(kp_action_name(KP_ACTION_SIGN), "sign");
}
