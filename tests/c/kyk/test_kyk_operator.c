/*
 * test_kyk_operator.c: operator identities (kp_operator_new / parse / unlock) and fingerprints.
 *
 * Each operator made or unlocked costs one Argon2id run (~0.25 s), so a test makes at most two.
 * Name checks run before any Argon2, so refused names cost nothing.
 */
#include "kyk.h"

TestSuite(kyk_operator, .init = kyk_setup, .fini = kyk_teardown, .timeout = 120);

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static kp_operator *parse_file(const char *text)
{
    kp_operator *op = NULL;
    KPT_ST(kp_operator_parse(&op, text, strlen(text)), KP_OK);
    cr_assert_not_null(op);
    return op;
}

/* Signs an import approval with op under a one-member policy and checks the signature
 * independently against pk: the statement is re-made by hand (keyport.h, "approvals"). */
static void check_signs_as(kp_operator *op, const uint8_t pk[32])
{
    kp_policy_member m = {kp_operator_name(op), {0}};
    memcpy(m.public_key, pk, 32);
    kp_policy *p = kyk_policy("op-test", &m, 1, 1, 1, 1);
    kp_buf b;
    kp_buf_init(&b, 0);
    static const uint8_t req[] = "request body";
    KPT_ST(kp_approval_sign(ctx, &b, NULL, 0, op, p, KP_ACTION_IMPORT, NULL, req, sizeof req, KYK_NOW, 60), KP_OK);
    cJSON *j = cJSON_Parse((const char *)b.data);
    cr_assert_not_null(j);
    const cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "approvals"), 0);
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(a, "statement");
    char pkhex[65], reqhex[65], stmt[1024];
    kpt_hex(pkhex, pk, 32);
    kyk_sha256_hex(reqhex, req, sizeof req);
    snprintf(stmt, sizeof stmt,
             "{\"type\":\"keyport-approval\",\"version\":1,\"policy\":\"op-test\",\"action\":\"import\",\"request\":\"%s\","
             "\"nonce\":\"%s\",\"time\":%" PRId64 ",\"expires\":%" PRId64 ",\"operator\":\"%s\"}",
             reqhex, kpt_jstr(s, "nonce"), KYK_NOW, KYK_NOW + 60, pkhex);
    uint8_t sig[64];
    kpt_unhex(sig, 64, kpt_jstr(a, "signature"));
    cr_assert_eq(crypto_sign_verify_detached(sig, (const uint8_t *)stmt, strlen(stmt), pk), 0,
                 "the signature does not verify under the operator's public key");
    cJSON_Delete(j);
    kp_buf_release(&b);
    kp_policy_free(p);
}

Test(kyk_operator, new_parse_unlock_round_trip)
{
    kp_operator *op = kyk_op(ALICE);
    const char *file = kyk_op_file(ALICE);
    uint8_t pk[32], pk2[32];
    char pkhex[65];
    kp_operator_public_key(op, pk);
    kpt_hex(pkhex, pk, 32);
    cr_assert(kp_operator_is_unlocked(op), "a new operator is unlocked");
    cr_assert_str_eq(kp_operator_name(op), "alice");
    cr_assert(crypto_core_ed25519_is_valid_point(pk));

    /* the file, read with cJSON: the documented fields, nothing else */
    cJSON *j = cJSON_Parse(file);
    cr_assert_not_null(j, "the operator file is not JSON: %s", file);
    cr_assert_eq(cJSON_GetArraySize(j), 5);
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(j, "version")->valuedouble, 1.0);
    cr_assert_str_eq(kpt_jstr(j, "type"), "keyport-operator");
    cr_assert_str_eq(kpt_jstr(j, "name"), "alice");
    cr_assert_str_eq(kpt_jstr(j, "publicKey"), pkhex);
    const char *sealed = kpt_jstr(j, "sealedSecret");
    size_t n = 0;
    uint8_t *raw = kpt_unb64(sealed, strlen(sealed), &n);
    cr_assert_not_null(raw);
    cr_assert_eq(n, (size_t)KP_CONTEXT_FILE_BYTES);
    /* the kp_context_seal layout with its own magic: magic 4 | version 1 | Argon2id | ops | mem KiB */
    cr_assert(memcmp(raw, "KPXC", 4) != 0, "the operator secret must not use the context file magic");
    cr_assert_eq(raw[4], 1);
    cr_assert_eq(raw[5], 2);
    cr_assert_eq(be32(raw + 6), 2u, "KP_KDF_INTERACTIVE is 2 passes");
    cr_assert_eq(be32(raw + 10), 64u * 1024, "KP_KDF_INTERACTIVE is 64 MiB");
    free(raw);
    cJSON_Delete(j);

    /* parse: name and key, still locked */
    kp_operator *back = parse_file(file);
    cr_assert_str_eq(kp_operator_name(back), "alice");
    kp_operator_public_key(back, pk2);
    cr_assert_arr_eq(pk2, pk, 32);
    cr_assert(!kp_operator_is_unlocked(back));
    /* a locked operator cannot sign */
    kp_policy_member m = {"alice", {0}};
    memcpy(m.public_key, pk, 32);
    kp_policy *p = kyk_policy("op-test", &m, 1, 1, 1, 1);
    kp_buf b;
    kp_buf_init(&b, 0);
    KPT_ST(kp_approval_sign(ctx, &b, NULL, 0, back, p, KP_ACTION_IMPORT, NULL, (const uint8_t *)"x", 1, KYK_NOW, 60),
           KP_ERR_LOCKED);
    cr_assert_eq(b.len, 0u);
    kp_buf_release(&b);
    kp_policy_free(p);

    /* unlock: it signs as the public key says */
    KPT_ST(kp_operator_unlock(ctx, back, KYK_PASS, strlen(KYK_PASS)), KP_OK);
    cr_assert(kp_operator_is_unlocked(back));
    check_signs_as(back, pk);
    check_signs_as(op, pk);
    kp_operator_free(back);
}

Test(kyk_operator, wrong_passphrase)
{
    kp_operator *op = parse_file(kyk_op_file(ALICE));
    static const char *const wrong[] = {"kyk: correct horse battery stapl", "Kyk: correct horse battery staple"};
    for (size_t i = 0; i < 2; i++) {
        KPT_ST(kp_operator_unlock(ctx, op, wrong[i], strlen(wrong[i])), KP_ERR_DECRYPT);
        cr_assert(!kp_operator_is_unlocked(op), "a failed unlock leaves the operator locked");
    }
    /* the passphrase is (pointer, length): a prefix is another passphrase */
    KPT_ST(kp_operator_unlock(ctx, op, KYK_PASS, strlen(KYK_PASS) - 1), KP_ERR_DECRYPT);
    cr_assert(!kp_operator_is_unlocked(op));
    kp_operator_free(op);
}

/* Alice's file with Bob's publicKey: the sealed seed opens (same passphrase) but belongs to
 * another key, so unlock must refuse it. And Alice's key with Bob's sealed secret. */
Test(kyk_operator, swapped_public_key_does_not_unlock)
{
    const char *fa = kyk_op_file(ALICE), *fb = kyk_op_file(BOB);
    uint8_t pa[32], pb[32];
    char ha[65], hb[65];
    kyk_pk(ALICE, pa);
    kyk_pk(BOB, pb);
    kpt_hex(ha, pa, 32);
    kpt_hex(hb, pb, 32);

    char *swapped = kyk_replace(fa, ha, hb);
    kp_operator *op = parse_file(swapped);
    uint8_t got[32];
    kp_operator_public_key(op, got);
    cr_assert_arr_eq(got, pb, 32, "parse takes the file's publicKey");
    KPT_ST(kp_operator_unlock(ctx, op, KYK_PASS, strlen(KYK_PASS)), KP_ERR_DECRYPT);
    cr_assert(!kp_operator_is_unlocked(op));
    kp_operator_free(op);
    free(swapped);

    /* the other way round: Alice's name and key, Bob's sealedSecret */
    cJSON *ja = cJSON_Parse(fa), *jb = cJSON_Parse(fb);
    char *other = kyk_replace(fa, kpt_jstr(ja, "sealedSecret"), kpt_jstr(jb, "sealedSecret"));
    op = parse_file(other);
    KPT_ST(kp_operator_unlock(ctx, op, KYK_PASS, strlen(KYK_PASS)), KP_ERR_DECRYPT);
    cr_assert(!kp_operator_is_unlocked(op));
    kp_operator_free(op);
    free(other);
    cJSON_Delete(ja);
    cJSON_Delete(jb);
}

/* ------------------------------------------------------------ fingerprints */

static const char CROCKFORD[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* The fingerprint computed here: SHA-256 (OpenSSL) of "keyport-operator-v1" || pk, the first
 * 80 bits read one bit at a time, 5 bits a character, "-" after every fourth. */
static void expected_fingerprint(char out[20], const uint8_t pk[32])
{
    static const char domain[] = "keyport-operator-v1";
    uint8_t in[sizeof domain - 1 + 32], h[32];
    memcpy(in, domain, sizeof domain - 1);
    memcpy(in + sizeof domain - 1, pk, 32);
    kyk_sha256(h, in, sizeof in);
    size_t o = 0;
    for (int c = 0; c < 16; c++) {
        unsigned v = 0;
        for (int b = 0; b < 5; b++) {
            int bit = 5 * c + b;
            v = v << 1 | ((h[bit / 8] >> (7 - bit % 8)) & 1u);
        }
        if (c > 0 && c % 4 == 0) out[o++] = '-';
        out[o++] = CROCKFORD[v];
    }
    out[o] = 0;
}

static void check_format(const char *fp)
{
    cr_assert_eq(strlen(fp), (size_t)KP_FINGERPRINT_LEN, "\"%s\"", fp);
    for (int i = 0; i < KP_FINGERPRINT_LEN; i++) {
        if (i % 5 == 4) {
            cr_assert_eq(fp[i], '-', "\"%s\": a dash at %d", fp, i);
        } else {
            cr_assert(fp[i] != 0 && strchr(CROCKFORD, fp[i]) != NULL, "\"%s\": '%c' is not Crockford base32", fp, fp[i]);
            cr_assert(strchr("ILOU", fp[i]) == NULL);
        }
    }
}

/* Values computed outside C (Python hashlib) for fixed keys. */
Test(kyk_operator, fingerprint_known_values)
{
    uint8_t pk[32];
    char fp[KP_FINGERPRINT_LEN + 1];
    /* RFC 8032 §7.1 test 1 public key */
    kpt_unhex(pk, 32, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    KPT_ST(kp_fingerprint(fp, pk), KP_OK);
    cr_assert_str_eq(fp, "AA94-0D2G-WKTK-VPXW");
    memset(pk, 0, 32);
    KPT_ST(kp_fingerprint(fp, pk), KP_OK);
    cr_assert_str_eq(fp, "7YJ1-MQ98-CW9M-8CPA");
}

Test(kyk_operator, fingerprint_independent_and_stable)
{
    uint8_t pk[32];
    char fp[KP_FINGERPRINT_LEN + 1], again[KP_FINGERPRINT_LEN + 1], want[20];
    int seen_char[256] = {0};
    for (int i = 0; i < 500; i++) {
        if (i % 2) kyk_filler(pk, NULL);
        else kpt_random(pk, 32);
        memset(fp, 'x', sizeof fp);
        KPT_ST(kp_fingerprint(fp, pk), KP_OK);
        check_format(fp);
        expected_fingerprint(want, pk);
        cr_assert_str_eq(fp, want, "key %d", i);
        KPT_ST(kp_fingerprint(again, pk), KP_OK);
        cr_assert_str_eq(again, fp, "the fingerprint of a fixed key is stable");
        for (int c = 0; c < KP_FINGERPRINT_LEN; c++) seen_char[(unsigned char)fp[c]] = 1;
    }
    /* 500 × 16 characters use the whole alphabet: the last 5-bit group is not biased away */
    for (int c = 0; c < 32; c++) cr_assert(seen_char[(unsigned char)CROCKFORD[c]], "'%c' never appears", CROCKFORD[c]);
    /* a one-bit change in the key changes the fingerprint */
    kpt_unhex(pk, 32, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    pk[31] ^= 1;
    KPT_ST(kp_fingerprint(fp, pk), KP_OK);
    cr_assert_str_neq(fp, "AA94-0D2G-WKTK-VPXW");
}

/* ------------------------------------------------------------ names */

/* Checks that a name is refused; everything is released before the assertions. */
static void refuse_name(const char *name, const char *what)
{
    kp_operator *op = (kp_operator *)1;
    kp_buf f;
    kp_buf_init(&f, 0);
    KPT_ST(kp_buf_addstr(&f, "previous content"), KP_OK);
    kp_status st = kp_operator_new(ctx, &op, &f, name, KYK_PASS, strlen(KYK_PASS), KP_KDF_INTERACTIVE);
    int out_null = op == NULL, has_detail = kp_error_detail()[0] != 0;
    int buf_kept = f.len == strlen("previous content") && strcmp((const char *)f.data, "previous content") == 0;
    if (op != NULL && op != (kp_operator *)1) kp_operator_free(op);
    kp_buf_release(&f);
    cr_assert_eq(st, KP_ERR_FORMAT, "name %s: got %s, want KP_ERR_FORMAT", what, kp_status_name(st));
    cr_assert(out_null, "name %s: the output must be NULL on failure", what);
    cr_assert(buf_kept, "name %s: the file buffer must be left as it was", what);
    cr_assert(has_detail, "name %s: no detail", what);
}

Test(kyk_operator, bad_names_refused)
{
    char long_name[66];
    memset(long_name, 'a', 65);
    long_name[65] = 0;
    refuse_name("", "empty");
    refuse_name(long_name, "of 65 bytes");
    /* 65 bytes of valid UTF-8: 21 × "€" (3 bytes) + "ab" */
    char euro[80] = "";
    for (int i = 0; i < 21; i++) strcat(euro, "\xe2\x82\xac");
    strcat(euro, "ab");
    cr_assert_eq(strlen(euro), 65u);
    refuse_name(euro, "of 65 bytes of UTF-8");
    refuse_name("al\x01ice", "with U+0001");
    refuse_name("al\tice", "with a tab");
    refuse_name("alice\n", "with a newline");
    refuse_name("al\rice", "with a carriage return");
    refuse_name("\x1b[31malice", "with an escape sequence");
    refuse_name("al\x7fice", "with DEL");
    refuse_name("\x1f", "of U+001F alone");
    refuse_name("al\xffice", "with 0xff");
    refuse_name("\xc0\xaf", "with an overlong '/'");
    refuse_name("\xe0\x80\xaf", "with a 3-byte overlong '/'");
    refuse_name("\xed\xa0\x80", "with a UTF-16 surrogate");
    refuse_name("ab\xe2\x82", "with a truncated sequence");
    refuse_name("\xf4\x90\x80\x80", "above U+10FFFF");
    refuse_name("\x80", "with a lone continuation byte");
}

/* The C1 controls U+0080..U+009F are control characters too (Unicode category Cc); U+009B
 * is CSI, an 8-bit terminal escape. keyport.h: "without control characters". */
Test(kyk_operator, c1_control_names_refused)
{
    refuse_name("al\xc2\x85ice", "with U+0085 (NEL)");
    refuse_name("\xc2\x9b" "31malice", "with U+009B (CSI)");
    refuse_name("alice\xc2\x80", "with U+0080");
}

Test(kyk_operator, longest_name_accepted)
{
    /* exactly 64 bytes, multi-byte characters included: 20 × "é" (2 bytes) + "€" (3) + 21 × "a" */
    char name[80] = "";
    for (int i = 0; i < 20; i++) strcat(name, "\xc3\xa9");
    strcat(name, "\xe2\x82\xac"); /* € */
    while (strlen(name) < 64) strcat(name, "a");
    cr_assert_eq(strlen(name), 64u);
    kp_operator *op = NULL;
    kp_buf f;
    kp_buf_init(&f, 0);
    KPT_ST(kp_operator_new(ctx, &op, &f, name, KYK_PASS, strlen(KYK_PASS), KP_KDF_INTERACTIVE), KP_OK);
    cr_assert_str_eq(kp_operator_name(op), name);
    cJSON *j = cJSON_Parse((const char *)f.data);
    cr_assert_str_eq(kpt_jstr(j, "name"), name);
    kp_operator *back = parse_file((const char *)f.data);
    cr_assert_str_eq(kp_operator_name(back), name);
    cJSON_Delete(j);
    kp_operator_free(back);
    kp_operator_free(op);
    kp_buf_release(&f);
}

static void refuse_file(const char *text, kp_status want, const char *what)
{
    kp_operator *op = (kp_operator *)1;
    kp_status st = kp_operator_parse(&op, text, strlen(text));
    cr_assert_eq(st, want, "%s: got %s, want %s (%s)", what, kp_status_name(st), kp_status_name(want), kp_error_detail());
    cr_assert_null(op, "%s: the output must be NULL on failure", what);
}

/* Operator files with bad names, made from a valid file. */
Test(kyk_operator, parse_refuses_bad_names)
{
    const char *file = kyk_op_file(ALICE);
    char name65[80];
    memset(name65, 'a', 65);
    name65[65] = 0;
    char field[100];
    snprintf(field, sizeof field, "\"name\":\"%s\"", name65);
    static const struct {
        const char *to;
        kp_status want;
        const char *what;
    } cases[] = {
        {"\"name\":\"\"", KP_ERR_FORMAT, "an empty name"},
        {"\"name\":\"al\\u0001ice\"", KP_ERR_FORMAT, "an escaped U+0001"},
        {"\"name\":\"al\\nice\"", KP_ERR_FORMAT, "an escaped newline"},
        {"\"name\":\"al\\u007fice\"", KP_ERR_FORMAT, "an escaped DEL"},
        {"\"name\":\"al\\u001bice\"", KP_ERR_FORMAT, "an escaped ESC"},
        {"\"name\":\"al\x01ice\"", KP_ERR_JSON, "a raw U+0001 (not JSON)"},
        {"\"name\":\"al\xffice\"", KP_ERR_JSON, "raw invalid UTF-8 (not JSON)"},
        {"\"name\":7", KP_ERR_FORMAT, "a number"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *t = kyk_replace(file, "\"name\":\"alice\"", cases[i].to);
        refuse_file(t, cases[i].want, cases[i].what);
        free(t);
    }
    char *t = kyk_replace(file, "\"name\":\"alice\"", field);
    refuse_file(t, KP_ERR_FORMAT, "a 65-byte name");
    free(t);
    /* the valid file parses (the cases above differ only in the name) */
    kp_operator *op = parse_file(file);
    kp_operator_free(op);
}

Test(kyk_operator, parse_refuses_bad_files)
{
    const char *file = kyk_op_file(ALICE);
    uint8_t pk[32];
    char hex[65], bad[70];
    kyk_pk(ALICE, pk);
    kpt_hex(hex, pk, 32);
    cJSON *j = cJSON_Parse(file);
    const char *sealed = kpt_jstr(j, "sealedSecret");

    char *t = kyk_replace(file, "\"version\":1", "\"version\":2");
    refuse_file(t, KP_ERR_VERSION, "version 2");
    free(t);
    t = kyk_replace(file, "\"keyport-operator\"", "\"keyport-policy\"");
    refuse_file(t, KP_ERR_FORMAT, "another type");
    free(t);
    t = kyk_replace(file, "\"name\":", "\"comment\":\"x\",\"name\":");
    refuse_file(t, KP_ERR_FORMAT, "an unknown field");
    free(t);
    /* publicKey: too short, not hex, not a point (all zero: small order) */
    memcpy(bad, hex, 62);
    bad[62] = 0;
    t = kyk_replace(file, hex, bad);
    refuse_file(t, KP_ERR_POINT, "a 62-digit publicKey");
    free(t);
    memcpy(bad, hex, 65);
    bad[0] = 'g';
    t = kyk_replace(file, hex, bad);
    refuse_file(t, KP_ERR_POINT, "a publicKey that is not hex");
    free(t);
    memset(bad, '0', 64);
    bad[64] = 0;
    t = kyk_replace(file, hex, bad);
    refuse_file(t, KP_ERR_POINT, "the identity as publicKey");
    free(t);
    /* sealedSecret: cut by 4 characters */
    char cut[200];
    snprintf(cut, sizeof cut, "%.*s", (int)strlen(sealed) - 4, sealed);
    t = kyk_replace(file, sealed, cut);
    refuse_file(t, KP_ERR_BASE64, "a short sealedSecret");
    free(t);
    cJSON_Delete(j);
    refuse_file("", KP_ERR_EMPTY, "an empty file");
}
