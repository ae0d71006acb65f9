/*
 * test_badinput.c: every kind of bad input at the library level, each with its exact status:
 * malformed, truncated, empty, oversized, too deep and duplicate-key JSON; trailing data;
 * bad hex and base64; out-of-range keys; unknown schemes; bad encryption keys.
 * Documents are spoiled from valid ones made with the public writers.
 */
#include "kptest.h"

TestSuite(badinput, .init = kpt_setup, .fini = kpt_teardown, .timeout = 300);

/* ------------------------------------------------------------ valid documents */

typedef struct response {
    uint8_t dk[32], ek[33], secret[32];
    char *text; /* a valid 3-of-5 secp256k1 export response */
    size_t len;
} response;

static void make_response(response *r, kp_curve c, kp_protocol p)
{
    uint8_t shares[5][32], pub[33], ids[5][8];
    size_t publen;
    kp_buf cts[5], out;
    kp_signer_share ss[5];
    KPT_ST(kp_encryption_keypair(ctx, r->dk, r->ek), KP_OK);
    kpt_random_scalar(r->secret, c);
    KPT_ST(kp_public_key(ctx, pub, &publen, c, r->secret), KP_OK);
    KPT_ST(kp_share_split(ctx, shares, c, 3, 5, r->secret), KP_OK);
    for (unsigned i = 0; i < 5; i++) {
        kpt_random(ids[i], 8);
        ids[i][0] = (uint8_t)i; /* distinct */
        kp_buf_init(&cts[i], 0);
        uint8_t xb[32];
        kpt_scalar_u32(xb, i + 1);
        KPT_ST(kp_export_seal_share(ctx, &cts[i], r->ek, c, xb, shares[i]), KP_OK);
        ss[i] = (kp_signer_share){ids[i], 8, cts[i].data, cts[i].len};
    }
    kp_buf_init(&out, 0);
    KPT_ST(kp_export_response_write(&out, c, p, pub, publen, 3, ss, 5), KP_OK);
    r->text = strdup((const char *)out.data);
    r->len = out.len;
    kp_buf_release(&out);
    for (unsigned i = 0; i < 5; i++) kp_buf_release(&cts[i]);
}

static kp_status recover_text(const response *r, const char *text, size_t len)
{
    kp_export_result *res = (kp_export_result *)r;
    kp_status st = kp_export_recover(ctx, &res, r->dk, text, len);
    if (st == KP_OK) {
        uint8_t key[32];
        kp_export_result_private_key(res, key);
        cr_assert_arr_eq(key, r->secret, 32);
        kp_export_result_free(res);
    } else {
        cr_assert_null(res, "the result must be NULL on failure");
    }
    return st;
}

static kp_status recover_str(const response *r, const char *text)
{
    return recover_text(r, text, strlen(text));
}

/* text with the first occurrence of `from` replaced by `to` (the caller frees) */
static char *replace(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    cr_assert_not_null(at, "\"%s\" is not in the document", from);
    size_t a = (size_t)(at - text), fl = strlen(from), tl = strlen(to), n = strlen(text);
    char *out = malloc(n - fl + tl + 1);
    memcpy(out, text, a);
    memcpy(out + a, to, tl);
    memcpy(out + a + tl, at + fl, n - a - fl + 1);
    return out;
}

#define EXPECT_REPLACED(r, from, to, want)                     \
    do {                                                       \
        char *kpt_t_ = replace((r)->text, (from), (to));       \
        kp_status kpt_s_ = recover_str((r), kpt_t_);           \
        cr_assert_eq(kpt_s_, (want), "%s -> %s: %s, want %s (%s)", (from), (to), kp_status_name(kpt_s_), \
                     kp_status_name(want), kp_error_detail()); \
        free(kpt_t_);                                          \
    } while (0)

static char *signers_doc(unsigned n)
{
    kp_signer_info info[8];
    uint8_t ids[8][4], dk[32];
    for (unsigned i = 0; i < n; i++) {
        kpt_random(ids[i], 4);
        ids[i][0] = (uint8_t)i;
        info[i].signer_id = ids[i];
        info[i].signer_id_len = 4;
        KPT_ST(kp_encryption_keypair(ctx, dk, info[i].encryption_key), KP_OK);
    }
    kp_buf b;
    kp_buf_init(&b, 0);
    KPT_ST(kp_signers_write(&b, "cluster", info, n), KP_OK);
    char *s = strdup((const char *)b.data);
    kp_buf_release(&b);
    return s;
}

static char *import_doc(void)
{
    char *sj = signers_doc(5);
    kp_signers *s;
    KPT_ST(kp_signers_parse(ctx, &s, sj, strlen(sj), NULL), KP_OK);
    uint8_t secret[32];
    kpt_random_scalar(secret, KP_CURVE_SECP256K1);
    kp_buf b;
    kp_buf_init(&b, 0);
    KPT_ST(kp_import_prepare(ctx, &b, s, KP_CURVE_SECP256K1, KP_PROTOCOL_CGGMP21, 3, "k", secret), KP_OK);
    char *out = strdup((const char *)b.data);
    kp_buf_release(&b);
    kp_signers_free(s);
    free(sj);
    return out;
}

static kp_status parse_import(const char *text, size_t len)
{
    kp_import_request *r = (kp_import_request *)text;
    kp_status st = kp_import_request_parse(&r, text, len);
    if (st == KP_OK) kp_import_request_free(r);
    else cr_assert_null(r);
    return st;
}

static kp_status parse_signers(const char *text, size_t len)
{
    kp_signers *s = (kp_signers *)text;
    kp_status st = kp_signers_parse(ctx, &s, text, len, NULL);
    if (st == KP_OK) kp_signers_free(s);
    else cr_assert_null(s);
    return st;
}

/* ------------------------------------------------------------ empty, truncated, trailing */

Test(badinput, empty_documents)
{
    response r;
    make_response(&r, KP_CURVE_SECP256K1, KP_PROTOCOL_CGGMP21);
    static const char *empties[] = {"", " ", "\n", " \t\r\n  "};
    for (size_t i = 0; i < sizeof empties / sizeof *empties; i++) {
        KPT_ST(recover_str(&r, empties[i]), KP_ERR_EMPTY);
        KPT_ST(parse_import(empties[i], strlen(empties[i])), KP_ERR_EMPTY);
        KPT_ST(parse_signers(empties[i], strlen(empties[i])), KP_ERR_EMPTY);
    }
    KPT_ST(recover_text(&r, NULL, 0), KP_ERR_EMPTY);
    KPT_ST(parse_import(NULL, 0), KP_ERR_EMPTY);
    KPT_ST(parse_signers(NULL, 0), KP_ERR_EMPTY);
    /* a form feed or a NUL is not JSON white space */
    KPT_ST(recover_str(&r, "\f"), KP_ERR_JSON);
    KPT_ST(recover_text(&r, "\0", 1), KP_ERR_JSON);
    free(r.text);
}

Test(badinput, every_truncation_is_malformed_json)
{
    response r;
    make_response(&r, KP_CURVE_SECP256K1, KP_PROTOCOL_CGGMP21);
    KPT_ST(recover_text(&r, r.text, r.len), KP_OK);
    for (size_t len = 1; len < r.len; len++) {
        char *cut = malloc(len); /* exactly len bytes, no NUL: reading past is an ASan error */
        memcpy(cut, r.text, len);
        kp_status st = recover_text(&r, cut, len);
        cr_assert_eq(st, KP_ERR_JSON, "export response cut to %zu of %zu bytes: %s", len, r.len, kp_status_name(st));
        free(cut);
    }
    char *imp = import_doc(), *sig = signers_doc(3);
    size_t il = strlen(imp), sl = strlen(sig);
    KPT_ST(parse_import(imp, il), KP_OK);
    KPT_ST(parse_signers(sig, sl), KP_OK);
    for (size_t len = 1; len < il; len++) {
        char *cut = malloc(len);
        memcpy(cut, imp, len);
        cr_assert_eq(parse_import(cut, len), KP_ERR_JSON, "import request cut to %zu bytes", len);
        free(cut);
    }
    for (size_t len = 1; len < sl; len++) {
        char *cut = malloc(len);
        memcpy(cut, sig, len);
        cr_assert_eq(parse_signers(cut, len), KP_ERR_JSON, "signers list cut to %zu bytes", len);
        free(cut);
    }
    free(imp);
    free(sig);
    free(r.text);
}

Test(badinput, trailing_data)
{
    response r;
    make_response(&r, KP_CURVE_ED25519, KP_PROTOCOL_FROST);
    static const char *tails[] = {"x", "{}", "]", "}", ",", "0", "\"\"", "null", " {}", "\n1"};
    for (size_t i = 0; i < sizeof tails / sizeof *tails; i++) {
        size_t tl = strlen(tails[i]);
        char *t = malloc(r.len + tl + 1);
        memcpy(t, r.text, r.len);
        memcpy(t + r.len, tails[i], tl + 1);
        kp_status st = recover_text(&r, t, r.len + tl);
        cr_assert_eq(st, KP_ERR_JSON, "trailing \"%s\": %s", tails[i], kp_status_name(st));
        free(t);
    }
    /* the NUL counted in the length is trailing data too */
    KPT_ST(recover_text(&r, r.text, r.len + 1), KP_ERR_JSON);
    /* white space around the document is fine */
    char *t = malloc(r.len + 8);
    memcpy(t, " \n", 2);
    memcpy(t + 2, r.text, r.len);
    memcpy(t + 2 + r.len, "\r\n\t ", 4);
    KPT_ST(recover_text(&r, t, r.len + 6), KP_OK);
    free(t);
    free(r.text);
}

/* ------------------------------------------------------------ malformed JSON */

Test(badinput, malformed_json)
{
    response r;
    make_response(&r, KP_CURVE_SECP256K1, KP_PROTOCOL_CGGMP21);
    static const char *docs[] = {
        "{", "}", "[", "]", "{]", "[}", "{\"a\":}", "{\"a\" 1}", "{\"a\":1,}", "[1,]", "[,1]", "{,}", "{\"a\":1 \"b\":2}",
        "{\"a\":tru}", "{\"a\":nul}", "{\"a\":True}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":1e}",
        "{\"a\":1e+}", "{\"a\":-}", "{\"a\":+1}", "{\"a\":0x10}", "{\"a\":NaN}", "{\"a\":Infinity}", "{'a':1}",
        "{a:1}", "{\"a\":'b'}", "{\"a\":\"b}", "\"abc", "{\"a\":\"\\q\"}", "{\"a\":\"\\u12G4\"}", "{\"a\":\"\\u12\"}",
        "{\"a\":\"\\\"}", "{\"a\":1}}", "{\"a\":[}", "/* c */ {}", "{} // c", "\xef\xbb\xbf{}", "{\"a\":1}\x00",
        "{\"a\":\"\x01\"}", "{\"a\":\"\x1f\"}", "{\"a\":\"tab\there\"}", "{\"a\":\"\xff\"}", "{\"a\":\"\xc0\xaf\"}",
        "{\"a\":\"\xed\xa0\x80\"}", "{\"a\":\"\xf4\x90\x80\x80\"}", "{\"a\":\"\xe2\x82\"}", "{\"a\":\"\x80\"}",
        "{\"\\u0061\":1}", "{\"a\\n\":1}", "{\"a\n\":1}", "{1:2}", "{null:1}", "[1 2]", "tru", "nulll", "-", "--1",
        "1.2.3", "{\"a\":[1,2,]}",
    };
    for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
        size_t len = strlen(docs[i]);
        if (strcmp(docs[i], "{\"a\":1}\x00") == 0) len = 8;
        kp_status st = recover_text(&r, docs[i], len);
        cr_assert_eq(st, KP_ERR_JSON, "document %zu \"%s\": %s (%s)", i, docs[i], kp_status_name(st), kp_error_detail());
        cr_assert_eq(parse_import(docs[i], len), KP_ERR_JSON, "document %zu", i);
        cr_assert_eq(parse_signers(docs[i], len), KP_ERR_JSON, "document %zu", i);
    }
    /* valid JSON that is not an object, or an object of the wrong shape */
    static const char *wrong[] = {"[]", "1", "\"s\"", "true", "null", "{}", "{\"a\":1}", "[{\"publicKey\":\"00\"}]"};
    for (size_t i = 0; i < sizeof wrong / sizeof *wrong; i++) {
        KPT_ST(recover_str(&r, wrong[i]), KP_ERR_FORMAT);
        KPT_ST(parse_import(wrong[i], strlen(wrong[i])), KP_ERR_FORMAT);
        KPT_ST(parse_signers(wrong[i], strlen(wrong[i])), KP_ERR_FORMAT);
    }
    free(r.text);
}

Test(badinput, duplicate_keys)
{
    response r;
    make_response(&r, KP_CURVE_SECP256K1, KP_PROTOCOL_CGGMP21);
    EXPECT_REPLACED(&r, "\"curve\":", "\"curve\":\"secp256k1\",\"curve\":", KP_ERR_JSON);
    EXPECT_REPLACED(&r, "\"minSigners\":3", "\"minSigners\":3,\"minSigners\":3", KP_ERR_JSON);
    /* inside a share entry */
    EXPECT_REPLACED(&r, "{\"signerId\":", "{\"signerId\":\"AA==\",\"signerId\":", KP_ERR_JSON);
    /* distinct keys that differ only in case are not duplicates: unknown fields are ignored */
    EXPECT_REPLACED(&r, "\"curve\":", "\"Curve\":\"x\",\"curve\":", KP_OK);
    free(r.text);
    KPT_ST(parse_signers("{\"clusters\":[],\"clusters\":[]}", 30), KP_ERR_JSON);
    const char *imp = "{\"curve\":\"stark\",\"curve\":\"stark\"}";
    KPT_ST(parse_import(imp, strlen(imp)), KP_ERR_JSON);
}

static char *nested(const char *prefix, int depth, const char *suffix)
{
    size_t pl = strlen(prefix), sl = strlen(suffix);
    char *s = malloc(pl + 2 * (size_t)depth + sl + 1), *w = s;
    memcpy(w, prefix, pl);
    w += pl;
    for (int i = 0; i < depth; i++) *w++ = '[';
    for (int i = 0; i < depth; i++) *w++ = ']';
    memcpy(w, suffix, sl + 1);
    return s;
}

Test(badinput, nesting_depth)
{
    response r;
    make_response(&r, KP_CURVE_SECP256K1, KP_PROTOCOL_CGGMP21);
    /* at most 16 levels (json.h KP_JSON_MAX_DEPTH) */
    for (int d = 1; d <= 40; d++) {
        char *s = nested("", d, "");
        kp_status want = d <= 16 ? KP_ERR_FORMAT : KP_ERR_JSON;
        cr_assert_eq(recover_str(&r, s), want, "%d nested arrays", d);
        cr_assert_eq(parse_import(s, strlen(s)), want, "%d nested arrays", d);
        cr_assert_eq(parse_signers(s, strlen(s)), want, "%d nested arrays", d);
        free(s);
        /* an object is one level: {"x": 15 arrays} is 16, {"x": 16 arrays} 17 */
        s = nested("{\"x\":", d, "}");
        want = d + 1 <= 16 ? KP_ERR_FORMAT : KP_ERR_JSON;
        cr_assert_eq(recover_str(&r, s), want, "an object around %d nested arrays", d);
        free(s);
    }
    /* deep nesting in an ignored field of a valid response */
    char *deep = nested("{\"extra\":", 15, ",");
    char *t = replace(r.text, "{", deep);
    KPT_ST(recover_str(&r, t), KP_OK);
    free(t);
    free(deep);
    deep = nested("{\"extra\":", 16, ",");
    t = replace(r.text, "{", deep);
    KPT_ST(recover_str(&r, t), KP_ERR_JSON);
    free(t);
    free(deep);
    /* a very deep document must not exhaust the stack */
    char *s = nested("", 100000, "");
    KPT_ST(recover_str(&r, s), KP_ERR_JSON);
    free(s);
    free(r.text);
}

Test(badinput, too_many_members_in_an_object)
{
    response r;
    make_response(&r, KP_CURVE_SECP256K1, KP_PROTOCOL_CGGMP21);
    /* json.h: at most 64 members per object; the response has 5, add 59 or 60 unknown ones */
    for (int extra = 59; extra <= 60; extra++) {
        char ins[2000] = "{", *w = ins + 1;
        for (int i = 0; i < extra; i++) w += sprintf(w, "\"x%d\":0,", i);
        char *t = replace(r.text, "{", ins);
        KPT_ST(recover_str(&r, t), extra == 59 ? KP_OK : KP_ERR_JSON);
        free(t);
    }
    free(r.text);
}

Test(badinput, over_one_mebibyte)
{
    response r;
    make_response(&r, KP_CURVE_SECP256K1, KP_PROTOCOL_CGGMP21);
    size_t max = KP_MAX_INPUT_BYTES;
    char *big = malloc(max + 2);
    memcpy(big, r.text, r.len);
    memset(big + r.len, ' ', max + 1 - r.len);
    big[max + 1] = 0;
    KPT_ST(recover_text(&r, big, max), KP_OK); /* exactly 1 MiB (white space after the document) */
    KPT_ST(recover_text(&r, big, max + 1), KP_ERR_TOO_LARGE);
    KPT_ST(parse_import(big, max + 1), KP_ERR_TOO_LARGE);
    KPT_ST(parse_signers(big, max + 1), KP_ERR_TOO_LARGE);
    /* too large is decided before anything is read: garbage of that size too */
    memset(big, '!', max + 1);
    KPT_ST(recover_text(&r, big, max + 1), KP_ERR_TOO_LARGE);
    KPT_ST(recover_text(&r, big, max), KP_ERR_JSON);
    free(big);
    free(r.text);
}

/* ------------------------------------------------------------ fields of the export response */

Test(badinput, export_response_fields)
{
    response r;
    make_response(&r, KP_CURVE_SECP256K1, KP_PROTOCOL_CGGMP21);
    KPT_ST(recover_str(&r, r.text), KP_OK);
    /* missing or mistyped fields */
    EXPECT_REPLACED(&r, "\"publicKey\":", "\"publicKeyX\":", KP_ERR_FORMAT);
    EXPECT_REPLACED(&r, "\"curve\":", "\"curveX\":", KP_ERR_FORMAT);
    EXPECT_REPLACED(&r, "\"protocol\":", "\"protocolX\":", KP_ERR_FORMAT);
    EXPECT_REPLACED(&r, "\"minSigners\":", "\"minSignersX\":", KP_ERR_FORMAT);
    EXPECT_REPLACED(&r, "\"encryptedKeyShares\":", "\"encryptedKeySharesX\":", KP_ERR_FORMAT);
    EXPECT_REPLACED(&r, "\"minSigners\":3", "\"minSigners\":\"3\"", KP_ERR_FORMAT);
    EXPECT_REPLACED(&r, "\"minSigners\":3", "\"minSigners\":3.0", KP_ERR_FORMAT);
    EXPECT_REPLACED(&r, "\"minSigners\":3", "\"minSigners\":3e0", KP_ERR_FORMAT);
    EXPECT_REPLACED(&r, "\"minSigners\":3", "\"minSigners\":-3", KP_ERR_FORMAT);
    EXPECT_REPLACED(&r, "\"minSigners\":3", "\"minSigners\":99999999999999999999", KP_ERR_FORMAT);
    EXPECT_REPLACED(&r, "\"minSigners\":3", "\"minSigners\":null", KP_ERR_FORMAT);
    EXPECT_REPLACED(&r, "\"minSigners\":3", "\"minSigners\":true", KP_ERR_FORMAT);
    EXPECT_REPLACED(&r, "\"curve\":\"secp256k1\"", "\"curve\":1", KP_ERR_FORMAT);
    EXPECT_REPLACED(&r, "\"encryptedKeyShares\":[", "\"encryptedKeyShares\":{\"a\":[", KP_ERR_JSON);
    EXPECT_REPLACED(&r, "\"encryptedKeyShares\":[{", "\"encryptedKeyShares\":[1,{", KP_ERR_FORMAT);
    EXPECT_REPLACED(&r, "{\"signerId\":", "{\"signerIdX\":", KP_ERR_FORMAT);
    EXPECT_REPLACED(&r, "\"encryptedKeyShare\":", "\"encryptedKeyShareX\":", KP_ERR_FORMAT);
    EXPECT_REPLACED(&r, "{\"signerId\":\"", "{\"signerId\":7,\"x\":\"", KP_ERR_FORMAT);
    /* a string with an escape where an ASCII token is expected */
    EXPECT_REPLACED(&r, "\"curve\":\"secp256k1\"", "\"curve\":\"secp256k\\u0031\"", KP_ERR_FORMAT);
    /* schemes and curves */
    EXPECT_REPLACED(&r, "\"curve\":\"secp256k1\"", "\"curve\":\"secp256r1\"", KP_ERR_CURVE);
    EXPECT_REPLACED(&r, "\"curve\":\"secp256k1\"", "\"curve\":\"\"", KP_ERR_CURVE);
    EXPECT_REPLACED(&r, "\"protocol\":\"CGGMP21\"", "\"protocol\":\"GG18\"", KP_ERR_SCHEME);
    cr_assert_not_null(strstr(kp_error_detail(), kp_scheme_list()), "%s", kp_error_detail());
    EXPECT_REPLACED(&r, "\"protocol\":\"CGGMP21\"", "\"protocol\":\"FROST\"", KP_ERR_SCHEME);
    cr_assert_not_null(strstr(kp_error_detail(), kp_scheme_list()), "%s", kp_error_detail());
    EXPECT_REPLACED(&r, "\"protocol\":\"CGGMP21\"", "\"protocol\":\"CGGMP24\"", KP_OK);
    EXPECT_REPLACED(&r, "\"protocol\":\"CGGMP21\"", "\"protocol\":\"FROST_BITCOIN\"", KP_OK);
    /* minSigners out of range */
    EXPECT_REPLACED(&r, "\"minSigners\":3", "\"minSigners\":1", KP_ERR_THRESHOLD);
    EXPECT_REPLACED(&r, "\"minSigners\":3", "\"minSigners\":0", KP_ERR_THRESHOLD);
    EXPECT_REPLACED(&r, "\"minSigners\":3", "\"minSigners\":6", KP_ERR_THRESHOLD);
    EXPECT_REPLACED(&r, "\"minSigners\":3", "\"minSigners\":4294967295", KP_ERR_THRESHOLD);
    EXPECT_REPLACED(&r, "\"encryptedKeyShares\":[", "\"encryptedKeyShares\":[],\"x\":[", KP_ERR_THRESHOLD);
    free(r.text);
}

Test(badinput, export_public_key)
{
    response r;
    make_response(&r, KP_CURVE_SECP256K1, KP_PROTOCOL_CGGMP21);
    char pubhex[67];
    const char *p = strstr(r.text, "\"publicKey\":\"") + 13;
    memcpy(pubhex, p, 66);
    pubhex[66] = 0;
    char bad[200];
    /* not hex, odd length, too short, too long, empty */
    snprintf(bad, sizeof bad, "%.65sg", pubhex);
    EXPECT_REPLACED(&r, pubhex, bad, KP_ERR_HEX);
    snprintf(bad, sizeof bad, "%.65s", pubhex);
    EXPECT_REPLACED(&r, pubhex, bad, KP_ERR_HEX);
    snprintf(bad, sizeof bad, "%.64s", pubhex);
    EXPECT_REPLACED(&r, pubhex, bad, KP_ERR_HEX);
    snprintf(bad, sizeof bad, "%s00", pubhex);
    EXPECT_REPLACED(&r, pubhex, bad, KP_ERR_HEX);
    snprintf(bad, sizeof bad, "0x%.64s", pubhex + 2);
    EXPECT_REPLACED(&r, pubhex, bad, KP_ERR_HEX);
    snprintf(bad, sizeof bad, " %.65s", pubhex);
    EXPECT_REPLACED(&r, pubhex, bad, KP_ERR_HEX);
    EXPECT_REPLACED(&r, pubhex, "", KP_ERR_HEX);
    /* not a point: another prefix, x off the curve, x = p */
    snprintf(bad, sizeof bad, "04%.64s", pubhex + 2);
    EXPECT_REPLACED(&r, pubhex, bad, KP_ERR_POINT);
    snprintf(bad, sizeof bad, "00%.64s", pubhex + 2);
    EXPECT_REPLACED(&r, pubhex, bad, KP_ERR_POINT);
    EXPECT_REPLACED(&r, pubhex, "02fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f", KP_ERR_POINT);
    /* the other parity is a valid point, but not the key: no share set matches it */
    snprintf(bad, sizeof bad, "%s%.64s", pubhex[1] == '2' ? "03" : "02", pubhex + 2);
    EXPECT_REPLACED(&r, pubhex, bad, KP_ERR_NOT_ENOUGH);
    free(r.text);

    /* Stark: x = p, x above 2^252, the uncompressed prefix */
    make_response(&r, KP_CURVE_STARK, KP_PROTOCOL_CGGMP21);
    p = strstr(r.text, "\"publicKey\":\"") + 13;
    memcpy(pubhex, p, 66);
    pubhex[66] = 0;
    EXPECT_REPLACED(&r, pubhex, "020800000000000011000000000000000000000000000000000000000000000001", KP_ERR_POINT);
    EXPECT_REPLACED(&r, pubhex, "031000000000000000000000000000000000000000000000000000000000000000", KP_ERR_POINT);
    snprintf(bad, sizeof bad, "04%.64s", pubhex + 2);
    EXPECT_REPLACED(&r, pubhex, bad, KP_ERR_POINT);
    snprintf(bad, sizeof bad, "%s%.64s", pubhex[1] == '2' ? "03" : "02", pubhex + 2);
    EXPECT_REPLACED(&r, pubhex, bad, KP_ERR_NOT_ENOUGH);
    free(r.text);

    /* ed25519: the identity and a small-order point are refused */
    make_response(&r, KP_CURVE_ED25519, KP_PROTOCOL_FROST);
    p = strstr(r.text, "\"publicKey\":\"") + 13;
    memcpy(pubhex, p, 64);
    pubhex[64] = 0;
    EXPECT_REPLACED(&r, pubhex, "0100000000000000000000000000000000000000000000000000000000000000", KP_ERR_POINT);
    EXPECT_REPLACED(&r, pubhex, "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", KP_ERR_POINT);
    snprintf(bad, sizeof bad, "02%s", pubhex);
    EXPECT_REPLACED(&r, pubhex, bad, KP_ERR_HEX); /* 33 bytes is not an ed25519 key */
    free(r.text);
}

Test(badinput, export_signer_id_base64)
{
    response r;
    make_response(&r, KP_CURVE_SECP256K1, KP_PROTOCOL_CGGMP21);
    const char *p = strstr(r.text, "{\"signerId\":\"") + 13;
    char id[13];
    memcpy(id, p, 12); /* 8 bytes -> 12 characters */
    id[12] = 0;
    char bad[40];
    static const char *bads[] = {"", "A", "AA", "AAA", "AA=A", "A===", "AAAA====", "AA==AA==", "!AAA", "AB-_",
                                 "AAA=AAA=", "AB==", "AAB=", " AAA", "AAA\\n"};
    for (size_t i = 0; i < sizeof bads / sizeof *bads; i++) {
        snprintf(bad, sizeof bad, "\"%s\"", bads[i]);
        char from[16];
        snprintf(from, sizeof from, "\"%s\"", id);
        char *t = replace(r.text, from, bad);
        kp_status st = recover_str(&r, t);
        cr_assert(st == KP_ERR_BASE64 || (strchr(bads[i], '\\') && st == KP_ERR_FORMAT), "signerId \"%s\": %s", bads[i],
                  kp_status_name(st));
        free(t);
    }
    free(r.text);
}

Test(badinput, export_too_many_shares)
{
    response r;
    make_response(&r, KP_CURVE_SECP256K1, KP_PROTOCOL_CGGMP21);
    /* 65 entries: the response's 5, and 60 more with their own ids */
    char *more = malloc(65 * 80), *w = more;
    w += sprintf(w, "\"encryptedKeyShares\":[");
    for (int i = 0; i < 60; i++) {
        uint8_t id[3] = {0xee, (uint8_t)i, 1};
        char *b = kpt_b64(id, 3);
        w += sprintf(w, "{\"signerId\":\"%s\",\"encryptedKeyShare\":\"AAAA\"},", b);
        free(b);
    }
    EXPECT_REPLACED(&r, "\"encryptedKeyShares\":[", more, KP_ERR_TOO_MANY);
    /* 64 entries: accepted, and the 59 bad ones are culprits */
    w = more;
    w += sprintf(w, "\"encryptedKeyShares\":[");
    for (int i = 0; i < 59; i++) {
        uint8_t id[3] = {0xee, (uint8_t)i, 1};
        char *b = kpt_b64(id, 3);
        w += sprintf(w, "{\"signerId\":\"%s\",\"encryptedKeyShare\":\"AAAA\"},", b);
        free(b);
    }
    char *t = replace(r.text, "\"encryptedKeyShares\":[", more);
    kp_export_result *res;
    KPT_ST(kp_export_recover(ctx, &res, r.dk, t, strlen(t)), KP_OK);
    cr_assert_eq(kp_export_result_culprit_count(res), 59);
    kp_export_result_free(res);
    free(t);
    free(more);
    free(r.text);
}

/* ------------------------------------------------------------ keys given as hex */

Test(badinput, scalar_from_hex)
{
    uint8_t s[32], want[32], n[32];
    char buf[200];
    struct { const char *hex; kp_status st; } cases[] = {
        {"", KP_ERR_EMPTY},           {"   ", KP_ERR_EMPTY},         {"\n\t", KP_ERR_EMPTY},
        {"0x", KP_ERR_EMPTY},         {" 0x ", KP_ERR_EMPTY},        {"0X", KP_ERR_EMPTY},
        {"0", KP_ERR_SCALAR},         {"00", KP_ERR_SCALAR},         {"0x0000", KP_ERR_SCALAR},
        {"zz", KP_ERR_HEX},           {"1g", KP_ERR_HEX},            {"1 2", KP_ERR_HEX},
        {"-1", KP_ERR_HEX},           {"+1", KP_ERR_HEX},            {"0x0x1", KP_ERR_HEX},
        {"x1", KP_ERR_HEX},           {"1h", KP_ERR_HEX},            {"\"1\"", KP_ERR_HEX},
        {"1", KP_OK},                 {"0x1", KP_OK},                {" 0X01 \n", KP_OK},
        {"abc", KP_OK},               {"ABC", KP_OK},                {"\t0xAbC\r\n", KP_OK},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        memset(s, 0xaa, 32);
        kp_status st = kp_scalar_from_hex(s, KP_CURVE_SECP256K1, cases[i].hex, strlen(cases[i].hex));
        cr_assert_eq(st, cases[i].st, "\"%s\": %s, want %s", cases[i].hex, kp_status_name(st),
                     kp_status_name(cases[i].st));
        if (st != KP_OK) cr_assert(kpt_is_zero(s, 32), "\"%s\": the output must be zeroed", cases[i].hex);
    }
    kpt_scalar_u32(want, 0xabc);
    KPT_ST(kp_scalar_from_hex(s, KP_CURVE_ED25519, "0xABC", 5), KP_OK);
    cr_assert_arr_eq(s, want, 32);
    /* the length argument is honoured: "12" of "123" */
    KPT_ST(kp_scalar_from_hex(s, KP_CURVE_SECP256K1, "123", 2), KP_OK);
    kpt_scalar_u32(want, 0x12);
    cr_assert_arr_eq(s, want, 32);
    KPT_ST(kp_scalar_from_hex(s, KP_CURVE_SECP256K1, NULL, 0), KP_ERR_EMPTY);
    /* 64 digits, 65 digits (even with a leading 0), and each order's boundaries */
    for (int ci = 0; ci < 3; ci++) {
        kp_curve c = KPT_CURVES[ci];
        uint8_t v[32];
        kpt_order(n, c);
        kpt_hex(buf, n, 32);
        KPT_ST(kp_scalar_from_hex(s, c, buf, 64), KP_ERR_SCALAR);
        kpt_add_small(v, n, -1);
        kpt_hex(buf, v, 32);
        KPT_ST(kp_scalar_from_hex(s, c, buf, 64), KP_OK);
        cr_assert_arr_eq(s, v, 32);
        snprintf(buf + 64, sizeof buf - 64, " ");
        KPT_ST(kp_scalar_from_hex(s, c, buf, 65), KP_OK);
        char b2[240];
        snprintf(b2, sizeof b2, "0%s", buf);
        KPT_ST(kp_scalar_from_hex(s, c, b2, 65), KP_ERR_HEX);
        snprintf(b2, sizeof b2, "0x%.64s", buf);
        KPT_ST(kp_scalar_from_hex(s, c, b2, 66), KP_OK);
        memset(buf, 'f', 64);
        KPT_ST(kp_scalar_from_hex(s, c, buf, 64), KP_ERR_SCALAR);
        kpt_add_small(v, n, 1);
        kpt_hex(buf, v, 32);
        KPT_ST(kp_scalar_from_hex(s, c, buf, 64), KP_ERR_SCALAR);
    }
    /* Stark: a 63-digit key at 2^251 is valid, 2^252 is not */
    char p251[70] = "0x8", p252[70] = "0x1";
    for (int i = 0; i < 62; i++) strcat(p251, "0"); /* 63 digits: 2^251 */
    for (int i = 0; i < 63; i++) strcat(p252, "0"); /* 64 digits: 2^252 */
    KPT_ST(kp_scalar_from_hex(s, KP_CURVE_STARK, p251, strlen(p251)), KP_OK);
    KPT_ST(kp_scalar_from_hex(s, KP_CURVE_STARK, p252, strlen(p252)), KP_ERR_SCALAR);
}

Test(badinput, bytes_from_hex)
{
    uint8_t out[32], want[32];
    char hex[80];
    kpt_random(want, 32);
    kpt_hex(hex, want, 32);
    KPT_ST(kp_bytes_from_hex(out, 32, hex, 64), KP_OK);
    cr_assert_arr_eq(out, want, 32);
    KPT_ST(kp_bytes_from_hex(out, 32, hex, 63), KP_ERR_HEX);
    KPT_ST(kp_bytes_from_hex(out, 32, hex, 62), KP_ERR_HEX);
    cr_assert(kpt_is_zero(out, 32));
    KPT_ST(kp_bytes_from_hex(out, 32, "", 0), KP_ERR_EMPTY);
    KPT_ST(kp_bytes_from_hex(out, 32, "  ", 2), KP_ERR_EMPTY);
    KPT_ST(kp_bytes_from_hex(out, 32, "0x", 2), KP_ERR_EMPTY);
    hex[64] = 'a';
    hex[65] = 'b';
    KPT_ST(kp_bytes_from_hex(out, 32, hex, 66), KP_ERR_HEX);
    hex[10] = 'g';
    KPT_ST(kp_bytes_from_hex(out, 32, hex, 64), KP_ERR_HEX);
    char w[120];
    kpt_hex(hex, want, 32);
    snprintf(w, sizeof w, " 0x%s\n", hex);
    KPT_ST(kp_bytes_from_hex(out, 32, w, strlen(w)), KP_OK);
    cr_assert_arr_eq(out, want, 32);
    for (int i = 0; i < 64; i++) hex[i] = (char)toupper((unsigned char)hex[i]);
    KPT_ST(kp_bytes_from_hex(out, 32, hex, 64), KP_OK);
    cr_assert_arr_eq(out, want, 32);
}

/* ------------------------------------------------------------ encryption keys in documents */

Test(badinput, encryption_keys)
{
    uint8_t dk[32], ek[33], raw[34], out[33];
    KPT_ST(kp_encryption_keypair(ctx, dk, ek), KP_OK);
    raw[0] = 0;
    memcpy(raw + 1, ek, 33);
    char *b = kpt_b64(raw, 34);
    KPT_ST(kp_encryption_key_decode(ctx, out, b, 48), KP_ERR_ENCRYPTION_KEY);
    free(b);
    raw[0] = 1;
    raw[1] = 2;
    memset(raw + 2, 0xff, 32); /* x above p */
    b = kpt_b64(raw, 34);
    KPT_ST(kp_encryption_key_decode(ctx, out, b, 48), KP_ERR_ENCRYPTION_KEY);
    free(b);
    KPT_ST(kp_encryption_key_decode(ctx, out, "AQ==", 4), KP_ERR_BASE64);
    KPT_ST(kp_encryption_key_decode(ctx, out, "", 0), KP_ERR_BASE64);
}

Test(badinput, escapes_that_decode_to_nul_or_lone_surrogates)
{
    /* a reader that keeps C strings (cJSON) would cut "a\u0000b" to "a": no document may mean that */
    static const char *bad[] = {
        "{\"a\":\"\\u0000\"}", "{\"a\":\"x\\u0000y\"}", "[\"\\u0000\"]", "{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\"}",
        "{\"a\":\"\\ud800x\"}", "{\"a\":\"\\ud800\\u0041\"}", "{\"a\":\"\\ud800\\ud800\"}", "{\"a\":\"\\udfff\\ud800\"}",
        "{\"a\\u0000\":1}", "{\"delete\\u0000\":false}", "{\"a\":\"\\ud83d\\ude0\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cr_assert_eq(kp_json_check(bad[i], strlen(bad[i]), "doc"), KP_ERR_JSON, "%s accepted", bad[i]);
        cr_assert_eq(parse_import(bad[i], strlen(bad[i])), KP_ERR_JSON, "%s accepted", bad[i]);
    }
    static const char *good[] = {"{\"a\":\"\\ud83d\\ude00\"}", "{\"a\":\"\\u0001\\u00e9\\uffff\"}", "[\"\\/\\\"\"]", "{}"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        KPT_ST(kp_json_check(good[i], strlen(good[i]), "doc"), KP_OK);
}

Test(badinput, json_check_names_a_duplicate_key)
{
    const char *doc = "{\"userActionPayload\":\"{}\",\"x\":[{\"k\":1,\"k\":2}],\"userActionPayload\":\"{}\"}";
    KPT_ST(kp_json_check(doc, strlen(doc), "the body"), KP_ERR_JSON);
    cr_assert(strstr(kp_error_detail(), "duplicate key \"k\", given twice") != NULL, "%s", kp_error_detail());
    const char *top = "{\"userActionPayload\":1,\"userActionPayload\":2}";
    KPT_ST(kp_json_check(top, strlen(top), "the body"), KP_ERR_JSON);
    cr_assert(strstr(kp_error_detail(), "the body is not valid JSON: duplicate key \"userActionPayload\", given twice") != NULL,
              "%s", kp_error_detail());
    /* a key that is not printable ASCII is not shown (the message may reach a terminal) */
    const char *c1 = "{\"\xc2\x9b" "2J\":1,\"\xc2\x9b" "2J\":2}";
    KPT_ST(kp_json_check(c1, strlen(c1), "the body"), KP_ERR_JSON);
    cr_assert(strstr(kp_error_detail(), "\xc2\x9b") == NULL && strstr(kp_error_detail(), "twice") != NULL, "%s",
              kp_error_detail());
    KPT_ST(kp_json_check("", 0, "the body"), KP_ERR_EMPTY);
    KPT_ST(kp_json_check("{} {}", 5, "the body"), KP_ERR_JSON);
}

Test(badinput, key_names)
{
    static const char *bad[] = {"\x1b[31mred", "bell\a", "a\nb", "tab\t", "del\x7f", ("csi \xc2\x9b" "31m"),
                                "nel \xc2\x85", "\xc2\x80", "\xff", "\xc0\xaf"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        KPT_ST(kp_key_name_check(bad[i], strlen(bad[i])), KP_ERR_FORMAT);
    KPT_ST(kp_key_name_check("a\0b", 3), KP_ERR_FORMAT);
    static const char *good[] = {"", "treasury", "Tr\xc3\xa9sorerie \xe2\x80\x93 \xe9\x87\x91", "\xc2\xa0nbsp", "\xc2\xa9"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) KPT_ST(kp_key_name_check(good[i], strlen(good[i])), KP_OK);
    char big[KP_KEY_NAME_MAX_BYTES + 2];
    memset(big, 'a', sizeof big);
    KPT_ST(kp_key_name_check(big, KP_KEY_NAME_MAX_BYTES), KP_OK);
    KPT_ST(kp_key_name_check(big, KP_KEY_NAME_MAX_BYTES + 1), KP_ERR_FORMAT);
}
