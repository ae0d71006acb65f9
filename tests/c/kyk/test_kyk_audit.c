/*
 * test_kyk_audit.c: the hash-chained, signed audit log: kp_audit_open / append / verify /
 * entries, every tamper case with its exact kp_audit_problem and line, torn-write repair.
 *
 * A log file is created by its first append (entry 0, then the entry), not by kp_audit_open.
 * Logs live in a mkdtemp folder. Lines are checked independently: SHA-256 with OpenSSL, the
 * Ed25519 signature with libsodium over the line without its "sig" member (keyport.h), and
 * logs and entries written by hand with a libsodium key where a test needs a foreign writer.
 */
#include "kyk.h"

TestSuite(kyk_audit, .init = kyk_setup, .fini = kyk_teardown, .timeout = 120);

#define SIG_SUFFIX (8 + 128 + 2) /* ,"sig":"<128 hex>"} */
#define NENTRIES 6               /* the standard log: entry 0 and five appended */

static const char *const ACTORS[2] = {"alice", "bob"};
static const char PUBHEX[] = "02a1633cafcc01ebfb6d78e39f687a1f0995c62fc95f51ead10a02ee0be551b5dc";

static kp_audit_log *open_log(const char *path, int who, int64_t now, char *torn)
{
    kp_audit_log *log = NULL;
    KPT_ST(kp_audit_open(ctx, &log, path, kyk_op(who), now, torn), KP_OK);
    cr_assert_not_null(log);
    return log;
}

/* Appends the standard entry i (1-based) at time base + i: keyId "key-i", a public key, two
 * actors, details. */
static void append_std_at(kp_audit_log *log, int i, int64_t base, char head[65])
{
    char key[16], details[64];
    snprintf(key, sizeof key, "key-%d", i);
    snprintf(details, sizeof details, "{\"n\":%d,\"note\":\"entry %d\"}", i, i);
    KPT_ST(kp_audit_append(log, base + i, i % 2 ? "key.exported" : "key.imported", key, PUBHEX, ACTORS, 2, details,
                           head),
           KP_OK);
}

static void append_std(kp_audit_log *log, int i, char head[65])
{
    append_std_at(log, i, KYK_NOW, head);
}

/* The time of line ln (0-based) of a standard log made from base: entry 0 is written by the
 * first append, with its time. */
static int64_t std_time(size_t ln, int64_t base)
{
    return base + (ln == 0 ? 1 : (int64_t)ln);
}

/* Makes the standard log (NENTRIES lines) at <tmp>/name, entry i appended at KYK_NOW + t0 + i, and
 * returns its text. */
static char *make_log_at(char path[4096], const char *name, int64_t t0, size_t *len)
{
    kyk_path(path, name);
    kp_audit_log *log = open_log(path, ALICE, KYK_NOW + t0, NULL);
    for (int i = 1; i < NENTRIES; i++) append_std_at(log, i, KYK_NOW + t0, NULL);
    kp_audit_close(log);
    char *t = kyk_read(path, len);
    cr_assert_not_null(t);
    return t;
}

static char *make_log(char path[4096], const char *name, size_t *len)
{
    return make_log_at(path, name, 0, len);
}

static const char *pname(kp_audit_problem p)
{
    static const char *const n[] = {"OK",      "EMPTY",    "CHANGED",   "OTHER_KEY", "REMOVED",
                                    "REORDERED", "INSERTED", "TRUNCATED", "TORN"};
    return (unsigned)p < sizeof n / sizeof *n ? n[p] : "?";
}

/* Verifies and checks the problem (and the line, unless line is (size_t)-1). */
static void expect(const char *text, size_t len, const uint8_t *wk, const uint8_t *head, kp_audit_problem want,
                   size_t line, const char *what)
{
    kp_audit_report r;
    memset(&r, 0x5a, sizeof r);
    kp_status st = kp_audit_verify(ctx, &r, text, len, wk, head);
    cr_assert_eq(r.problem, want, "%s: got %s, want %s (%s)", what, pname(r.problem), pname(want), r.message);
    cr_assert_eq(st, want == KP_AUDIT_OK ? KP_OK : KP_ERR_LOG, "%s: status %s", what, kp_status_name(st));
    if (line != (size_t)-1) cr_assert_eq(r.line, line, "%s: line %zu, want %zu (%s)", what, r.line, line, r.message);
    if (want != KP_AUDIT_OK) cr_assert_neq(r.message[0], 0, "%s: no message", what);
}

static kp_audit_report report_of(const char *text, size_t len, const uint8_t *wk, const uint8_t *head)
{
    kp_audit_report r;
    kp_audit_verify(ctx, &r, text, len, wk, head);
    return r;
}

/* Checks a line's signature independently: Ed25519 over the line without ,"sig":"…", closed by '}'. */
static int line_sig_ok(const char *line, size_t len, const uint8_t pk[32])
{
    if (len < SIG_SUFFIX + 2 || memcmp(line + len - SIG_SUFFIX, ",\"sig\":\"", 8) != 0) return 0;
    char hex[129];
    uint8_t sig[64];
    memcpy(hex, line + len - SIG_SUFFIX + 8, 128);
    hex[128] = 0;
    if (kpt_unhex_pad(sig, 64, hex) != 0) return 0;
    size_t mlen = len - SIG_SUFFIX;
    char *m = malloc(mlen + 1);
    memcpy(m, line, mlen);
    m[mlen] = '}';
    int ok = crypto_sign_verify_detached(sig, (const uint8_t *)m, mlen + 1, pk) == 0;
    free(m);
    return ok;
}

/* Signs the unsigned entry text (ending in '}') with sk and returns the line (no newline). */
static char *sign_line(const char *unsigned_entry, const uint8_t sk[64])
{
    uint8_t sig[64];
    char hex[129];
    size_t n = strlen(unsigned_entry);
    crypto_sign_detached(sig, NULL, (const uint8_t *)unsigned_entry, n, sk);
    kpt_hex(hex, sig, 64);
    char *l = malloc(n + SIG_SUFFIX + 1);
    memcpy(l, unsigned_entry, n - 1);
    sprintf(l + n - 1, ",\"sig\":\"%s\"}", hex);
    return l;
}

/* ------------------------------------------------------------ creating and appending */

static int exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* kp_audit_open creates nothing; the first append writes entry 0 (log.created, committing to
 * the writer key) and then the entry. */
Test(kyk_audit, first_append_creates_entry0)
{
    char path[4096], torn[4096], head[65];
    kyk_path(path, "audit.log");
    memset(torn, 'x', sizeof torn);
    kp_audit_log *log = open_log(path, ALICE, KYK_NOW, torn);
    cr_assert_str_eq(torn, "", "no torn tail");
    cr_assert(!exists(path), "kp_audit_open must not create the file");
    kp_audit_close(log);
    cr_assert(!exists(path), "a log opened and closed without an append leaves no file");

    log = open_log(path, ALICE, KYK_NOW, NULL);
    KPT_ST(kp_audit_append(log, KYK_NOW + 7, "key.imported", "key-1", NULL, ACTORS, 1, "{\"n\":1}", head), KP_OK);
    kp_audit_close(log);
    struct stat sb;
    cr_assert_eq(stat(path, &sb), 0);
    cr_assert_eq(sb.st_mode & 0777, 0600, "the log is private to its owner: %o", sb.st_mode & 0777);

    size_t len;
    char *t = kyk_read(path, &len);
    kyk_lines L;
    kyk_split(&L, t, len);
    cr_assert_eq(L.n, 2u, "entry 0 and the entry");
    uint8_t pk[32];
    char pkhex[65], zeros[65], want[1024], h0[65], h1[65];
    kyk_pk(ALICE, pk);
    kpt_hex(pkhex, pk, 32);
    memset(zeros, '0', 64);
    zeros[64] = 0;
    /* entry 0, in the documented member order, at the time of the first append */
    snprintf(want, sizeof want,
             "{\"seq\":0,\"time\":%" PRId64 ",\"event\":\"log.created\",\"keyId\":null,\"publicKey\":null,"
             "\"actors\":[\"alice\"],\"details\":{\"writerKey\":\"%s\"},\"prev\":\"%s\",\"writer\":\"%s\",\"sig\":\"",
             KYK_NOW + 7, pkhex, zeros, pkhex);
    cr_assert_eq(strncmp(L.s[0], want, strlen(want)), 0, "entry 0 is\n%.*s\nnot\n%s", (int)L.len[0], L.s[0], want);
    cr_assert_eq(L.len[0], strlen(want) + 128 + 2);
    cr_assert(line_sig_ok(L.s[0], L.len[0], pk), "entry 0's signature does not verify");
    /* the entry links to it */
    kyk_sha256_hex(h0, L.s[0], L.len[0]);
    snprintf(want, sizeof want,
             "{\"seq\":1,\"time\":%" PRId64 ",\"event\":\"key.imported\",\"keyId\":\"key-1\",\"publicKey\":null,"
             "\"actors\":[\"alice\"],\"details\":{\"n\":1},\"prev\":\"%s\",\"writer\":\"%s\",\"sig\":\"",
             KYK_NOW + 7, h0, pkhex);
    cr_assert_eq(strncmp(L.s[1], want, strlen(want)), 0, "entry 1 is\n%.*s\nnot\n%s", (int)L.len[1], L.s[1], want);
    cr_assert(line_sig_ok(L.s[1], L.len[1], pk));

    /* the library agrees, and the head is SHA-256 of the last line */
    kp_audit_report r = report_of(t, len, pk, NULL);
    cr_assert_eq(r.problem, KP_AUDIT_OK, "%s", r.message);
    cr_assert_eq(r.entries, 2u);
    cr_assert_str_eq(r.writer, pkhex);
    kyk_sha256_hex(h1, L.s[1], L.len[1]);
    cr_assert_str_eq(r.head, h1);
    cr_assert_str_eq(head, h1);
    free(t);
}

/* An existing empty file is a log not yet started. */
Test(kyk_audit, empty_file_starts_a_log)
{
    char path[4096];
    kyk_path(path, "audit.log");
    kyk_write(path, "", 0, "wb");
    kp_audit_log *log = open_log(path, ALICE, KYK_NOW, NULL);
    append_std(log, 1, NULL);
    kp_audit_close(log);
    size_t len;
    char *t = kyk_read(path, &len);
    kp_audit_report r = report_of(t, len, NULL, NULL);
    cr_assert_eq(r.problem, KP_AUDIT_OK, "%s", r.message);
    cr_assert_eq(r.entries, 2u);
    free(t);
}

Test(kyk_audit, append_chain_and_head)
{
    char path[4096], heads[NENTRIES][65];
    kyk_path(path, "audit.log");
    kp_audit_log *log = open_log(path, ALICE, KYK_NOW, NULL);
    for (int i = 1; i < NENTRIES; i++) {
        memset(heads[i], 'x', 65);
        append_std(log, i, heads[i]);
        /* the head is SHA-256 of the line just written */
        size_t len;
        char *t = kyk_read(path, &len);
        kyk_lines L;
        kyk_split(&L, t, len);
        cr_assert_eq(L.n, (size_t)i + 1, "each append adds one line (fsync'd before returning)");
        char h[65];
        kyk_sha256_hex(h, L.s[i], L.len[i]);
        cr_assert_str_eq(heads[i], h);
        free(t);
    }
    kp_audit_close(log);

    size_t len;
    char *t = kyk_read(path, &len);
    kyk_lines L;
    kyk_split(&L, t, len);
    cr_assert_eq(L.n, (size_t)NENTRIES);
    uint8_t pk[32], prev[32] = {0};
    char pkhex[65];
    kyk_pk(ALICE, pk);
    kpt_hex(pkhex, pk, 32);
    for (size_t i = 0; i < L.n; i++) {
        char *line = strndup(L.s[i], L.len[i]);
        cJSON *j = cJSON_Parse(line);
        cr_assert_not_null(j, "line %zu is not JSON", i + 1);
        cr_assert_eq(cJSON_GetArraySize(j), 10);
        cr_assert_eq(cJSON_GetObjectItemCaseSensitive(j, "seq")->valuedouble, (double)i);
        cr_assert_eq(cJSON_GetObjectItemCaseSensitive(j, "time")->valuedouble, (double)std_time(i, KYK_NOW));
        char ph[65];
        kpt_hex(ph, prev, 32);
        cr_assert_str_eq(kpt_jstr(j, "prev"), ph, "line %zu does not link to the line before", i + 1);
        cr_assert_str_eq(kpt_jstr(j, "writer"), pkhex);
        if (i > 0) {
            char key[32];
            snprintf(key, sizeof key, "key-%zu", i);
            cr_assert_str_eq(kpt_jstr(j, "keyId"), key);
            cr_assert_str_eq(kpt_jstr(j, "publicKey"), PUBHEX);
            cr_assert_str_eq(kpt_jstr(j, "event"), i % 2 ? "key.exported" : "key.imported");
            const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "actors");
            cr_assert_eq(cJSON_GetArraySize(a), 2);
            cr_assert_str_eq(cJSON_GetArrayItem(a, 1)->valuestring, "bob");
            cr_assert_eq(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "details"), "n")->valueint,
                         (int)i);
        }
        cr_assert(line_sig_ok(L.s[i], L.len[i], pk), "line %zu: the signature does not verify", i + 1);
        kyk_sha256(prev, L.s[i], L.len[i]);
        cJSON_Delete(j);
        free(line);
    }
    kp_audit_report r = report_of(t, len, pk, prev);
    cr_assert_eq(r.problem, KP_AUDIT_OK, "%s", r.message);
    cr_assert_eq(r.entries, (size_t)NENTRIES);
    cr_assert_eq(r.line, 0u);
    cr_assert_str_eq(r.head, heads[NENTRIES - 1]);
    char h[65];
    kyk_sha256_hex(h, L.s[L.n - 1], L.len[L.n - 1]);
    cr_assert_str_eq(r.head, h, "the head is SHA-256 of the last line");
    /* any head recorded on the way is in the log */
    for (int i = 1; i < NENTRIES; i++) {
        uint8_t hb[32];
        kpt_unhex(hb, 32, heads[i]);
        expect(t, len, pk, hb, KP_AUDIT_OK, 0, "an earlier head");
    }

    /* reopened, the chain continues */
    char head6[65];
    log = open_log(path, ALICE, KYK_NOW + 100, NULL);
    KPT_ST(kp_audit_append(log, KYK_NOW + 100, "log.reopened", NULL, NULL, NULL, 0, NULL, head6), KP_OK);
    kp_audit_close(log);
    free(t);
    t = kyk_read(path, &len);
    kyk_split(&L, t, len);
    cr_assert_eq(L.n, (size_t)NENTRIES + 1);
    char *line = strndup(L.s[NENTRIES], L.len[NENTRIES]);
    char ph[65];
    kpt_hex(ph, prev, 32);
    char want[256];
    snprintf(want, sizeof want,
             "{\"seq\":%d,\"time\":%" PRId64 ",\"event\":\"log.reopened\",\"keyId\":null,\"publicKey\":null,\"actors\":[],"
             "\"details\":{},\"prev\":\"%s\",",
             NENTRIES, KYK_NOW + 100, ph);
    cr_assert_eq(strncmp(line, want, strlen(want)), 0, "%s\nshould start with\n%s", line, want);
    kp_audit_report r2 = report_of(t, len, pk, NULL);
    cr_assert_eq(r2.problem, KP_AUDIT_OK, "%s", r2.message);
    cr_assert_str_eq(r2.head, head6);
    free(line);
    free(t);
}

/* A log made entirely here, with a libsodium key: the library reads the documented format. */
Test(kyk_audit, hand_made_log_verifies)
{
    uint8_t pk[32], sk[64];
    char pkhex[65], zeros[65], ent[1024], h0[65];
    kyk_filler(pk, sk);
    kpt_hex(pkhex, pk, 32);
    memset(zeros, '0', 64);
    zeros[64] = 0;
    snprintf(ent, sizeof ent,
             "{\"seq\":0,\"time\":5,\"event\":\"log.created\",\"keyId\":null,\"publicKey\":null,\"actors\":[\"w\"],"
             "\"details\":{\"writerKey\":\"%s\"},\"prev\":\"%s\",\"writer\":\"%s\"}",
             pkhex, zeros, pkhex);
    char *l0 = sign_line(ent, sk);
    kyk_sha256_hex(h0, l0, strlen(l0));
    snprintf(ent, sizeof ent,
             "{\"seq\":1,\"time\":6,\"event\":\"key.imported\",\"keyId\":\"k\",\"publicKey\":null,\"actors\":[],"
             "\"details\":{\"a\":[1,{\"b\":null}]},\"prev\":\"%s\",\"writer\":\"%s\"}",
             h0, pkhex);
    char *l1 = sign_line(ent, sk);
    char text[4096], h1[65];
    snprintf(text, sizeof text, "%s\n%s\n", l0, l1);
    kyk_sha256_hex(h1, l1, strlen(l1));
    uint8_t hb[32];
    kpt_unhex(hb, 32, h1);
    kp_audit_report r = report_of(text, strlen(text), pk, hb);
    cr_assert_eq(r.problem, KP_AUDIT_OK, "%s", r.message);
    cr_assert_eq(r.entries, 2u);
    cr_assert_str_eq(r.head, h1);
    cr_assert_str_eq(r.writer, pkhex);
    free(l0);
    free(l1);
}

/* ------------------------------------------------------------ tampering */

static const char *const FIELDS[10] = {"seq", "time", "event", "keyId", "publicKey", "actors", "details", "prev",
                                       "writer", "sig"};

/* Offsets of the first and last significant byte of field f's value in the line (skipping
 * quotes and brackets). */
static void value_span(const char *line, size_t len, const char *f, size_t *first, size_t *last)
{
    char key[32];
    snprintf(key, sizeof key, "\"%s\":", f);
    char *l = strndup(line, len);
    const char *p = strstr(l, key);
    cr_assert_not_null(p, "no %s in %s", f, l);
    size_t v = (size_t)(p - l) + strlen(key), e = v;
    /* the value ends at the next top-level ',"' or the final '}' */
    int depth = 0, instr = 0;
    for (; e < len; e++) {
        char c = l[e];
        if (instr) {
            if (c == '\\') e++;
            else if (c == '"') instr = 0;
            continue;
        }
        if (c == '"') instr = 1;
        else if (c == '{' || c == '[') depth++;
        else if (c == '}' || c == ']') {
            if (depth == 0) break;
            depth--;
        } else if (c == ',' && depth == 0) break;
    }
    /* e is one past the value */
    size_t a = v, b = e - 1;
    while (a < b && strchr("\"[]{}:", l[a])) a++;
    while (b > a && strchr("\"[]{}:", l[b])) b--;
    *first = a;
    *last = b;
    free(l);
}

/* The standard log with byte `pos` of line `ln` (0-based) changed to another character. */
static char *changed(const char *t, size_t len, const kyk_lines *L, size_t ln, size_t pos)
{
    char *c = malloc(len + 1);
    memcpy(c, t, len + 1);
    size_t at = (size_t)(L->s[ln] - t) + pos;
    char o = kyk_other_char(c[at]);
    c[at] = o == c[at] ? '$' : o;
    return c;
}

Test(kyk_audit, one_changed_byte_in_each_field)
{
    char path[4096];
    size_t len;
    char *t = make_log(path, "audit.log", &len);
    kyk_lines L;
    kyk_split(&L, t, len);
    const size_t ln = 3; /* line 4, seq 3 */
    for (int f = 0; f < 10; f++) {
        size_t first, last;
        value_span(L.s[ln], L.len[ln], FIELDS[f], &first, &last);
        const size_t at[2] = {first, last};
        for (int k = 0; k < 2; k++) {
            char *c = changed(t, len, &L, ln, at[k]);
            char what[64];
            snprintf(what, sizeof what, "field %s, byte %zu of line 4", FIELDS[f], at[k]);
            /* a changed writer too: the signature no longer verifies under the key the entry names */
            expect(c, len, NULL, NULL, KP_AUDIT_CHANGED, 4, what);
            kp_audit_report r = report_of(c, len, NULL, NULL);
            cr_assert_eq(r.entries, 3u, "%s: entries before the problem", what);
            if (f != 0) cr_assert_eq(r.seq, 3, "%s: seq %" PRId64, what, r.seq);
            char h3[65];
            kyk_sha256_hex(h3, L.s[2], L.len[2]);
            cr_assert_str_eq(r.head, h3, "%s: the head of the last good entry", what);
            free(c);
        }
    }
    free(t);
}

/* Every byte of a middle line, changed: always found as a changed entry, at that line. */
Test(kyk_audit, every_changed_byte_is_found)
{
    char path[4096];
    size_t len;
    char *t = make_log(path, "audit.log", &len);
    kyk_lines L;
    kyk_split(&L, t, len);
    const size_t ln = 2;
    for (size_t pos = 0; pos < L.len[ln]; pos++) {
        char *c = changed(t, len, &L, ln, pos);
        kp_audit_report r = report_of(c, len, NULL, NULL);
        cr_assert_eq(r.problem, KP_AUDIT_CHANGED, "byte %zu ('%c'): got %s (%s)", pos, L.s[ln][pos], pname(r.problem),
                     r.message);
        cr_assert_eq(r.line, ln + 1, "byte %zu: line %zu", pos, r.line);
        free(c);
    }
    free(t);
}

/* Entry 0 commits to the writer: a changed byte in any of its fields is a changed entry.
 * Mismatches are collected and reported together, after the buffers are freed. */
Test(kyk_audit, entry0_each_field_changed)
{
    char path[4096], errs[2048] = "";
    size_t len;
    char *t = make_log(path, "audit.log", &len);
    kyk_lines L;
    kyk_split(&L, t, len);
    for (int f = 0; f < 10; f++) {
        if (f == 3 || f == 4) continue; /* keyId and publicKey are null in entry 0 */
        size_t first, last;
        value_span(L.s[0], L.len[0], FIELDS[f], &first, &last);
        char *c = changed(t, len, &L, 0, first);
        kp_audit_report r = report_of(c, len, NULL, NULL);
        free(c);
        if (r.problem != KP_AUDIT_CHANGED || r.line != 1 || r.entries != 0) {
            size_t at = strlen(errs);
            snprintf(errs + at, sizeof errs - at, "\n  field %s of entry 0 changed: got %s at line %zu, want CHANGED at line 1 (%s)",
                     FIELDS[f], pname(r.problem), r.line, r.message);
        }
    }
    /* null → a string */
    char *c = kyk_replace(t, "\"keyId\":null", "\"keyId\":\"x\"");
    kp_audit_report r = report_of(c, strlen(c), NULL, NULL);
    free(c);
    free(t);
    if (r.problem != KP_AUDIT_CHANGED || r.line != 1) {
        size_t at = strlen(errs);
        snprintf(errs + at, sizeof errs - at, "\n  keyId of entry 0 changed: got %s at line %zu", pname(r.problem), r.line);
    }
    cr_assert_str_empty(errs, "%s", errs);
}

Test(kyk_audit, removed_entries)
{
    char path[4096];
    size_t len, n;
    char *t = make_log(path, "audit.log", &len);
    kyk_lines L;
    kyk_split(&L, t, len);
    const int mid[] = {0, 1, -1, 3, 4, 5};
    char *c = kyk_join(&L, mid, 6, &n);
    expect(c, n, NULL, NULL, KP_AUDIT_REMOVED, 3, "seq 2 removed");
    kp_audit_report r = report_of(c, n, NULL, NULL);
    cr_assert_eq(r.seq, 3);
    cr_assert_eq(r.entries, 2u);
    free(c);
    const int two[] = {0, 1, -1, -1, 4, 5};
    c = kyk_join(&L, two, 6, &n);
    expect(c, n, NULL, NULL, KP_AUDIT_REMOVED, 3, "seq 2 and 3 removed");
    free(c);
    const int first[] = {-1, 1, 2, 3, 4, 5};
    c = kyk_join(&L, first, 6, &n);
    expect(c, n, NULL, NULL, KP_AUDIT_REMOVED, 1, "entry 0 removed");
    free(c);
    const int firsttwo[] = {-1, -1, 2, 3, 4, 5};
    c = kyk_join(&L, firsttwo, 6, &n);
    expect(c, n, NULL, NULL, KP_AUDIT_REMOVED, 1, "entries 0 and 1 removed");
    free(c);
    free(t);
}

Test(kyk_audit, reordered_entries)
{
    char path[4096];
    size_t len, n;
    char *t = make_log(path, "audit.log", &len);
    kyk_lines L;
    kyk_split(&L, t, len);
    const int swap[] = {0, 1, 3, 2, 4, 5};
    char *c = kyk_join(&L, swap, 6, &n);
    expect(c, n, NULL, NULL, KP_AUDIT_REORDERED, 3, "seq 2 and 3 swapped");
    free(c);
    const int far[] = {0, 4, 2, 3, 1, 5};
    c = kyk_join(&L, far, 6, &n);
    expect(c, n, NULL, NULL, KP_AUDIT_REORDERED, 2, "seq 1 and 4 swapped");
    free(c);
    const int first[] = {1, 0, 2, 3, 4, 5};
    c = kyk_join(&L, first, 6, &n);
    expect(c, n, NULL, NULL, KP_AUDIT_REORDERED, 1, "entry 0 and seq 1 swapped");
    free(c);
    const int last[] = {0, 1, 2, 3, 5, 4};
    c = kyk_join(&L, last, 6, &n);
    expect(c, n, NULL, NULL, KP_AUDIT_REORDERED, 5, "the last two swapped");
    free(c);
    free(t);
}

Test(kyk_audit, inserted_copies)
{
    char path[4096];
    size_t len, n;
    char *t = make_log(path, "audit.log", &len);
    kyk_lines L;
    kyk_split(&L, t, len);
    const int later[] = {0, 1, 2, 3, 1, 4, 5};
    char *c = kyk_join(&L, later, 7, &n);
    expect(c, n, NULL, NULL, KP_AUDIT_INSERTED, 5, "a copy of seq 1 after seq 3");
    kp_audit_report r = report_of(c, n, NULL, NULL);
    cr_assert_eq(r.seq, 1);
    cr_assert_eq(r.entries, 4u);
    free(c);
    const int twice[] = {0, 1, 2, 2, 3, 4, 5};
    c = kyk_join(&L, twice, 7, &n);
    expect(c, n, NULL, NULL, KP_AUDIT_INSERTED, 4, "seq 2 twice in a row");
    free(c);
    const int end[] = {0, 1, 2, 3, 4, 5, 0};
    c = kyk_join(&L, end, 7, &n);
    expect(c, n, NULL, NULL, KP_AUDIT_INSERTED, 7, "a copy of entry 0 at the end");
    free(c);
    free(t);
}

/* An entry from another log of the same writer: right seq, good signature, wrong link. */
Test(kyk_audit, entry_from_another_log)
{
    char p1[4096], p2[4096];
    size_t l1, l2, n;
    char *t1 = make_log(p1, "one.log", &l1), *t2 = make_log_at(p2, "two.log", -1000, &l2);
    kyk_lines A, B;
    kyk_split(&A, t1, l1);
    kyk_split(&B, t2, l2);
    expect(t2, l2, NULL, NULL, KP_AUDIT_OK, 0, "the other log");
    for (size_t ln = 1; ln < (size_t)NENTRIES; ln++) {
        char *c = malloc(l1 + 1024), *w = c;
        for (size_t i = 0; i < (size_t)NENTRIES; i++) {
            const kyk_lines *from = i == ln ? &B : &A;
            memcpy(w, from->s[i], from->len[i]);
            w += from->len[i];
            *w++ = '\n';
        }
        n = (size_t)(w - c);
        char what[64];
        snprintf(what, sizeof what, "line %zu from another log", ln + 1);
        expect(c, n, NULL, NULL, KP_AUDIT_INSERTED, ln + 1, what);
        free(c);
    }
    free(t1);
    free(t2);
}

Test(kyk_audit, truncation)
{
    char path[4096];
    size_t len, n;
    char *t = make_log(path, "audit.log", &len);
    kyk_lines L;
    kyk_split(&L, t, len);
    uint8_t head[32], mid[32];
    kyk_sha256(head, L.s[5], L.len[5]);
    kyk_sha256(mid, L.s[3], L.len[3]);
    expect(t, len, NULL, head, KP_AUDIT_OK, 0, "the whole log with its head");
    const int cut1[] = {0, 1, 2, 3, 4};
    char *c = kyk_join(&L, cut1, 5, &n);
    expect(c, n, NULL, NULL, KP_AUDIT_OK, 0, "the last entry cut, without a head: cannot be seen");
    kp_audit_report r = report_of(c, n, NULL, NULL);
    cr_assert_eq(r.entries, 5u);
    expect(c, n, NULL, head, KP_AUDIT_TRUNCATED, (size_t)-1, "the last entry cut, with the old head");
    r = report_of(c, n, NULL, head);
    cr_assert_eq(r.entries, 5u);
    expect(c, n, NULL, mid, KP_AUDIT_OK, 0, "an older head is still there");
    free(c);
    const int cut3[] = {0, 1, 2};
    c = kyk_join(&L, cut3, 3, &n);
    expect(c, n, NULL, head, KP_AUDIT_TRUNCATED, (size_t)-1, "three entries cut");
    expect(c, n, NULL, mid, KP_AUDIT_TRUNCATED, (size_t)-1, "cut before the recorded middle head");
    free(c);
    /* a head that was never in the log */
    uint8_t other[32];
    kpt_random(other, 32);
    expect(t, len, NULL, other, KP_AUDIT_TRUNCATED, (size_t)-1, "a head that is not in the log");
    free(t);
}

Test(kyk_audit, other_writer_key)
{
    char path[4096];
    size_t len;
    char *t = make_log(path, "audit.log", &len);
    uint8_t pk[32], other[32];
    char pkhex[65];
    kyk_pk(ALICE, pk);
    kpt_hex(pkhex, pk, 32);
    kyk_filler(other, NULL);
    expect(t, len, pk, NULL, KP_AUDIT_OK, 0, "the writer's own key");
    expect(t, len, other, NULL, KP_AUDIT_OTHER_KEY, 1, "another expected writer key");
    kp_audit_report r = report_of(t, len, other, NULL);
    cr_assert_str_eq(r.writer, pkhex, "the report names the key the log is written with");
    free(t);
}

/* A correctly formed, correctly linked entry signed by a key that is not the log's writer. */
Test(kyk_audit, foreign_signed_entry)
{
    char path[4096];
    size_t len;
    char *t = make_log(path, "audit.log", &len);
    kyk_lines L;
    kyk_split(&L, t, len);
    uint8_t pk[32], sk[64];
    char pkhex[65], prev[65], ent[1024], alicehex[65];
    kyk_filler(pk, sk);
    kpt_hex(pkhex, pk, 32);
    uint8_t apk[32];
    kyk_pk(ALICE, apk);
    kpt_hex(alicehex, apk, 32);
    kyk_sha256_hex(prev, L.s[L.n - 1], L.len[L.n - 1]);
    const char *writers[2] = {pkhex, alicehex};
    const kp_audit_problem want[2] = {KP_AUDIT_OTHER_KEY, KP_AUDIT_CHANGED};
    for (int w = 0; w < 2; w++) {
        snprintf(ent, sizeof ent,
                 "{\"seq\":%d,\"time\":%" PRId64 ",\"event\":\"key.exported\",\"keyId\":\"key-9\",\"publicKey\":null,"
                 "\"actors\":[\"mallory\"],\"details\":{},\"prev\":\"%s\",\"writer\":\"%s\"}",
                 NENTRIES, KYK_NOW + 50, prev, writers[w]);
        char *line = sign_line(ent, sk);
        cr_assert(line_sig_ok(line, strlen(line), pk), "the forged line is well signed by its own key");
        size_t n = len + strlen(line) + 1;
        char *c = malloc(n + 1);
        snprintf(c, n + 1, "%s%s\n", t, line);
        expect(c, n, NULL, NULL, want[w], NENTRIES + 1, w ? "signed by another key, claiming the writer" : "signed by another key");
        kp_audit_report r = report_of(c, n, NULL, NULL);
        cr_assert_eq(r.entries, (size_t)NENTRIES);
        cr_assert_eq(r.seq, NENTRIES);
        free(c);
        free(line);
    }
    free(t);
}

Test(kyk_audit, empty_log)
{
    kp_audit_report r;
    memset(&r, 0x5a, sizeof r);
    KPT_ST(kp_audit_verify(ctx, &r, "", 0, NULL, NULL), KP_ERR_LOG);
    cr_assert_eq(r.problem, KP_AUDIT_EMPTY);
    cr_assert_eq(r.entries, 0u);
    cr_assert_eq(r.line, 0u);
    KPT_ST(kp_audit_verify(ctx, &r, NULL, 0, NULL, NULL), KP_ERR_LOG);
    cr_assert_eq(r.problem, KP_AUDIT_EMPTY);
    /* a blank line is not an empty log: it is not an entry */
    KPT_ST(kp_audit_verify(ctx, &r, "\n", 1, NULL, NULL), KP_ERR_LOG);
    cr_assert_eq(r.problem, KP_AUDIT_CHANGED, "got %s", pname(r.problem));
    cr_assert_eq(r.line, 1u);
}

/* ------------------------------------------------------------ torn writes */

Test(kyk_audit, torn_write_repair)
{
    char path[4096], torn[4096], side[4200];
    kyk_path(path, "audit.log");
    kp_audit_log *log = open_log(path, ALICE, KYK_NOW, NULL);
    append_std(log, 1, NULL);
    append_std(log, 2, NULL);
    kp_audit_close(log);
    size_t clen;
    char *complete = kyk_read(path, &clen);
    kyk_lines L;
    kyk_split(&L, complete, clen);
    char h2[65];
    kyk_sha256_hex(h2, L.s[2], L.len[2]);

    static const char partial[] = "{\"seq\":3,\"time\":1700000003,\"event\":\"key.imp";
    kyk_write(path, partial, strlen(partial), "ab");
    size_t len;
    char *t = kyk_read(path, &len);
    cr_assert_eq(len, clen + strlen(partial));
    kp_audit_report r;
    KPT_ST(kp_audit_verify(ctx, &r, t, len, NULL, NULL), KP_ERR_LOG);
    cr_assert_eq(r.problem, KP_AUDIT_TORN, "got %s", pname(r.problem));
    cr_assert_eq(r.line, 4u);
    cr_assert_eq(r.entries, 3u);
    cr_assert_str_eq(r.head, h2);
    free(t);

    /* open sets the tail aside */
    memset(torn, 'x', sizeof torn);
    log = open_log(path, ALICE, KYK_NOW + 10, torn);
    snprintf(side, sizeof side, "%s.torn-1", path);
    cr_assert_str_eq(torn, side);
    size_t slen;
    char *s = kyk_read(side, &slen);
    cr_assert_not_null(s, "%s was not made", side);
    cr_assert_eq(slen, strlen(partial));
    cr_assert(memcmp(s, partial, slen) == 0, "the side file holds exactly the torn bytes: \"%s\"", s);
    free(s);
    t = kyk_read(path, &len);
    cr_assert_eq(len, clen);
    cr_assert(memcmp(t, complete, clen) == 0, "every complete entry is kept as it was");
    free(t);

    /* the chain continues at seq 3 */
    char head[65];
    KPT_ST(kp_audit_append(log, KYK_NOW + 11, "key.imported", NULL, NULL, NULL, 0, "{\"after\":\"repair\"}", head), KP_OK);
    kp_audit_close(log);
    t = kyk_read(path, &len);
    kyk_split(&L, t, len);
    cr_assert_eq(L.n, 4u);
    char want[128];
    snprintf(want, sizeof want, "{\"seq\":3,\"time\":%" PRId64 ",", KYK_NOW + 11);
    cr_assert_eq(strncmp(L.s[3], want, strlen(want)), 0, "%.40s", L.s[3]);
    cr_assert(strstr(L.s[3], h2) != NULL, "the new entry links to the last complete one");
    r = report_of(t, len, NULL, NULL);
    cr_assert_eq(r.problem, KP_AUDIT_OK, "%s", r.message);
    cr_assert_eq(r.entries, 4u);
    cr_assert_str_eq(r.head, head);
    free(t);

    /* a second torn write goes to .torn-2; .torn-1 is left alone */
    kyk_write(path, "{\"se", 4, "ab");
    log = open_log(path, ALICE, KYK_NOW + 20, torn);
    snprintf(side, sizeof side, "%s.torn-2", path);
    cr_assert_str_eq(torn, side);
    s = kyk_read(side, &slen);
    cr_assert_not_null(s);
    cr_assert_eq(slen, 4u);
    cr_assert(memcmp(s, "{\"se", 4) == 0);
    free(s);
    snprintf(side, sizeof side, "%s.torn-1", path);
    s = kyk_read(side, &slen);
    cr_assert_eq(slen, strlen(partial));
    free(s);
    kp_audit_close(log);
    /* no torn tail: torn_path is "" */
    log = open_log(path, ALICE, KYK_NOW + 30, torn);
    cr_assert_str_eq(torn, "");
    kp_audit_close(log);
    t = kyk_read(path, &len);
    expect(t, len, NULL, NULL, KP_AUDIT_OK, 0, "after two repairs");
    free(t);
    free(complete);
}

/* A crash during the very first write: the bytes are kept aside and the log starts afresh at
 * the next append. */
Test(kyk_audit, torn_first_line)
{
    char path[4096], torn[4096], side[4200];
    kyk_path(path, "audit.log");
    static const char partial[] = "{\"seq\":0,\"time\":17";
    kyk_write(path, partial, strlen(partial), "wb");
    kp_audit_log *log = open_log(path, ALICE, KYK_NOW, torn);
    snprintf(side, sizeof side, "%s.torn-1", path);
    cr_assert_str_eq(torn, side);
    size_t len, slen;
    char *s = kyk_read(side, &slen);
    cr_assert_not_null(s);
    cr_assert_eq(slen, strlen(partial));
    cr_assert(memcmp(s, partial, slen) == 0);
    free(s);
    append_std(log, 1, NULL);
    kp_audit_close(log);
    char *t = kyk_read(path, &len);
    cr_assert_not_null(t);
    kp_audit_report r = report_of(t, len, NULL, NULL);
    cr_assert_eq(r.problem, KP_AUDIT_OK, "%s", r.message);
    cr_assert_eq(r.entries, 2u);
    cr_assert_eq(strncmp(t, "{\"seq\":0,", 9), 0);
    cr_assert(strstr(t, "\"event\":\"log.created\"") != NULL);
    free(t);
}

/* A refused open changes nothing, not even a torn tail (keyport.h: "until then nothing is
 * changed"), and leaves torn_path empty. */
Test(kyk_audit, refused_open_changes_nothing)
{
    char path[4096], torn[4096], side[4200];
    size_t len, len2;
    char *t = make_log(path, "audit.log", &len);
    snprintf(side, sizeof side, "%s.torn-1", path);
    kyk_write(path, "{\"seq\":6,\"ti", 12, "ab");
    free(t);
    t = kyk_read(path, &len);
    /* another writer */
    kp_audit_log *log = (kp_audit_log *)1;
    memset(torn, 'x', sizeof torn);
    KPT_ST(kp_audit_open(ctx, &log, path, kyk_op(BOB), KYK_NOW + 10, torn), KP_ERR_WRONG_WRITER);
    cr_assert_null(log);
    cr_assert_str_eq(torn, "");
    char *t2 = kyk_read(path, &len2);
    cr_assert(len2 == len && memcmp(t, t2, len) == 0, "the log (with its torn tail) must be left as it was");
    cr_assert(!exists(side), "no side file for a refused writer");
    free(t2);
    /* a log that does not verify */
    kyk_lines L;
    size_t n;
    kyk_split(&L, t, len - 12);
    const int swap[] = {0, 2, 1, 3, 4, 5};
    char *c = kyk_join(&L, swap, 6, &n);
    c = realloc(c, n + 13);
    memcpy(c + n, "{\"seq\":6,\"ti", 12);
    n += 12;
    kyk_write(path, c, n, "wb");
    log = (kp_audit_log *)1;
    memset(torn, 'x', sizeof torn);
    KPT_ST(kp_audit_open(ctx, &log, path, kyk_op(ALICE), KYK_NOW + 10, torn), KP_ERR_LOG);
    cr_assert_null(log);
    cr_assert_str_eq(torn, "");
    t2 = kyk_read(path, &len2);
    cr_assert(len2 == n && memcmp(c, t2, n) == 0, "a log that does not verify must be left as it was");
    cr_assert(!exists(side));
    free(t2);
    free(c);
    free(t);
}

Test(kyk_audit, open_with_another_writer)
{
    char path[4096];
    size_t len, len2;
    char *t = make_log(path, "audit.log", &len);
    kp_audit_log *log = (kp_audit_log *)1;
    KPT_ST(kp_audit_open(ctx, &log, path, kyk_op(BOB), KYK_NOW + 10, NULL), KP_ERR_WRONG_WRITER);
    cr_assert_null(log);
    char *t2 = kyk_read(path, &len2);
    cr_assert_eq(len2, len);
    cr_assert(memcmp(t, t2, len) == 0, "the log must be left as it was");
    /* the right writer still can */
    log = open_log(path, ALICE, KYK_NOW + 10, NULL);
    kp_audit_close(log);
    free(t);
    free(t2);
}

Test(kyk_audit, open_refusals)
{
    char path[4096];
    size_t len, len2;
    char *t = make_log(path, "audit.log", &len);
    kp_audit_log *log = (kp_audit_log *)1;
    /* a locked operator */
    kp_operator *locked = NULL;
    KPT_ST(kp_operator_parse(&locked, kyk_op_file(ALICE), strlen(kyk_op_file(ALICE))), KP_OK);
    KPT_ST(kp_audit_open(ctx, &log, path, locked, KYK_NOW, NULL), KP_ERR_LOCKED);
    cr_assert_null(log);
    kp_operator_free(locked);
    /* a log that does not verify is not appended to */
    kyk_lines L;
    kyk_split(&L, t, len);
    const int swap[] = {0, 2, 1, 3, 4, 5};
    size_t n;
    char *c = kyk_join(&L, swap, 6, &n);
    kyk_write(path, c, n, "wb");
    log = (kp_audit_log *)1;
    KPT_ST(kp_audit_open(ctx, &log, path, kyk_op(ALICE), KYK_NOW, NULL), KP_ERR_LOG);
    cr_assert_null(log);
    char *t2 = kyk_read(path, &len2);
    cr_assert_eq(len2, n);
    cr_assert(memcmp(t2, c, n) == 0);
    free(t2);
    free(c);
    /* a folder that does not exist: refused at open, or at the first append (which creates the
     * file) with no file made */
    char bad[4096];
    kyk_path(bad, "no/such/folder/audit.log");
    log = NULL;
    kp_status st = kp_audit_open(ctx, &log, bad, kyk_op(ALICE), KYK_NOW, NULL);
    if (st == KP_OK) {
        KPT_ST(kp_audit_append(log, KYK_NOW, "key.imported", NULL, NULL, NULL, 0, NULL, NULL), KP_ERR_IO);
        kp_audit_close(log);
        cr_assert(!exists(bad));
    } else {
        cr_assert_eq(st, KP_ERR_IO, "got %s", kp_status_name(st));
        cr_assert_null(log);
    }
    free(t);
}

/* Bad append inputs, each with its status. */
static const struct bad_append {
    const char *event, *key, *details;
    int bad_actor;
    int64_t now;
    kp_status want;
    const char *what;
} BAD_APPENDS[] = {
    {"key exported", NULL, NULL, 0, KYK_NOW, KP_ERR_FORMAT, "an event with a space"},
    {"", NULL, NULL, 0, KYK_NOW, KP_ERR_FORMAT, "an empty event"},
    {"Key.exported", NULL, NULL, 0, KYK_NOW, KP_ERR_FORMAT, "an event in upper case"},
    {"key.exported\n", NULL, NULL, 0, KYK_NOW, KP_ERR_FORMAT, "an event with a newline"},
    {"key\"x", NULL, NULL, 0, KYK_NOW, KP_ERR_FORMAT, "an event with a quote"},
    {"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", NULL, NULL, 0, KYK_NOW, KP_ERR_FORMAT,
     "an event of 65 characters"},
    {"e", NULL, "[1,2]", 0, KYK_NOW, KP_ERR_FORMAT, "details that are an array"},
    {"e", NULL, "42", 0, KYK_NOW, KP_ERR_FORMAT, "details that are a number"},
    {"e", NULL, "\"x\"", 0, KYK_NOW, KP_ERR_FORMAT, "details that are a string"},
    {"e", NULL, "null", 0, KYK_NOW, KP_ERR_FORMAT, "details that are null"},
    {"e", NULL, "{\"a\":\n1}", 0, KYK_NOW, KP_ERR_FORMAT, "details with a newline"},
    {"e", NULL, "{\"a\":1}\n", 0, KYK_NOW, KP_ERR_FORMAT, "details ending in a newline"},
    {"e", NULL, "{\r\"a\":1}", 0, KYK_NOW, KP_ERR_FORMAT, "details with a carriage return"},
    {"e", NULL, "{\"a\":1", 0, KYK_NOW, KP_ERR_JSON, "details that are not JSON"},
    {"e", NULL, "{\"a\":1}{}", 0, KYK_NOW, KP_ERR_JSON, "details with trailing data"},
    {"e", "key-\xff", NULL, 0, KYK_NOW, KP_ERR_FORMAT, "a key id that is not UTF-8"},
    {"e", NULL, NULL, 1, KYK_NOW, KP_ERR_FORMAT, "an actor that is not UTF-8"},
    {"e", NULL, NULL, 0, -1, KP_ERR_FORMAT, "a negative time"},
    {"e", NULL, NULL, 0, 0x100000000LL, KP_ERR_FORMAT, "a time past 2^32-1"},
};
#define NBAD (sizeof BAD_APPENDS / sizeof *BAD_APPENDS)

static kp_status bad_append(kp_audit_log *log, const struct bad_append *b)
{
    static const char *const bad_actor[1] = {"al\xffice"};
    char head[65] = "unchanged";
    return kp_audit_append(log, b->now, b->event, b->key, NULL, b->bad_actor ? bad_actor : NULL, b->bad_actor ? 1 : 0,
                           b->details, head);
}

/* On an existing log: refused, and the file unchanged; then the log goes on with no gap. */
Test(kyk_audit, append_refuses_bad_input)
{
    char path[4096];
    kyk_path(path, "audit.log");
    kp_audit_log *log = open_log(path, ALICE, KYK_NOW, NULL);
    append_std(log, 1, NULL);
    size_t len0;
    char *before = kyk_read(path, &len0);
    cr_assert_not_null(before);
    for (size_t i = 0; i < NBAD; i++) {
        kp_status st = bad_append(log, &BAD_APPENDS[i]);
        cr_assert_eq(st, BAD_APPENDS[i].want, "%s: got %s, want %s", BAD_APPENDS[i].what, kp_status_name(st),
                     kp_status_name(BAD_APPENDS[i].want));
        size_t len;
        char *now = kyk_read(path, &len);
        cr_assert(len == len0 && memcmp(now, before, len0) == 0, "%s: the log changed", BAD_APPENDS[i].what);
        free(now);
    }
    /* 64 characters is the longest event */
    char e64[70];
    memset(e64, 'e', 64);
    e64[64] = 0;
    KPT_ST(kp_audit_append(log, KYK_NOW + 2, e64, NULL, NULL, NULL, 0, NULL, NULL), KP_OK);
    KPT_ST(kp_audit_append(log, KYK_NOW + 3, "key.archived", "k", NULL, NULL, 0, "{}", NULL), KP_OK);
    kp_audit_close(log);
    size_t len;
    char *t = kyk_read(path, &len);
    kyk_lines L;
    kyk_split(&L, t, len);
    cr_assert_eq(L.n, 4u);
    cr_assert_eq(strncmp(L.s[2], "{\"seq\":2,", 9), 0);
    cr_assert_eq(strncmp(L.s[3], "{\"seq\":3,", 9), 0);
    expect(t, len, NULL, NULL, KP_AUDIT_OK, 0, "after the refused appends");
    free(t);
    free(before);
}

/* On a log not yet started: a refused first append creates no file (keyport.h: "a log that
 * does not exist yet is created by the first append (so a refused command leaves no file)").
 * Mismatches are collected, the files removed between cases, and reported together. */
Test(kyk_audit, refused_first_append_creates_no_file)
{
    char path[4096], errs[4096] = "";
    kyk_path(path, "new.log");
    for (size_t i = 0; i < NBAD; i++) {
        kp_audit_log *log = open_log(path, ALICE, KYK_NOW, NULL);
        kp_status st = bad_append(log, &BAD_APPENDS[i]);
        kp_audit_close(log);
        size_t len = 0;
        char *t = kyk_read(path, &len);
        size_t at = strlen(errs);
        if (st != BAD_APPENDS[i].want)
            snprintf(errs + at, sizeof errs - at, "\n  %s: got %s, want %s", BAD_APPENDS[i].what, kp_status_name(st),
                     kp_status_name(BAD_APPENDS[i].want));
        else if (t != NULL)
            snprintf(errs + at, sizeof errs - at, "\n  %s: refused (%s), but a %zu-byte log file was created",
                     BAD_APPENDS[i].what, kp_status_name(st), len);
        free(t);
        unlink(path);
    }
    cr_assert_str_empty(errs, "%s", errs);
}

/* What kp_audit_append accepts, kp_audit_verify (and so kp_audit_open) must accept: otherwise
 * one append leaves a log that can never be appended to again. Returns NULL when that holds,
 * else what went wrong (a static buffer), so the caller can free its inputs before asserting. */
static const char *accepted_means_verifiable(const char *key_id, const char *details, const char *what)
{
    static char err[1024];
    char path[4096];
    kyk_path(path, what);
    kp_audit_log *log = open_log(path, ALICE, KYK_NOW, NULL);
    append_std(log, 1, NULL); /* the log exists: entry 0 and entry 1 */
    kp_status st = kp_audit_append(log, KYK_NOW + 2, "key.exported", key_id, NULL, NULL, 0, details, NULL);
    kp_audit_close(log);
    size_t len;
    char *t = kyk_read(path, &len);
    kyk_lines L;
    kyk_split(&L, t, len);
    err[0] = 0;
    if (st != KP_OK) {
        if (L.n != 2) snprintf(err, sizeof err, "%s: refused (%s), but the log changed", what, kp_status_name(st));
    } else {
        kp_audit_report r = report_of(t, len, NULL, NULL);
        if (r.problem != KP_AUDIT_OK) {
            snprintf(err, sizeof err,
                     "%s: kp_audit_append accepted it (a %zu-byte line), but the log no longer verifies: %s at line %zu (%s)",
                     what, L.len[2], pname(r.problem), r.line, r.message);
        } else {
            log = NULL;
            st = kp_audit_open(ctx, &log, path, kyk_op(ALICE), KYK_NOW + 3, NULL);
            if (st != KP_OK) snprintf(err, sizeof err, "%s: the log can no longer be opened: %s", what, kp_error_detail());
            kp_audit_close(log);
        }
    }
    free(t);
    return err[0] ? err : NULL;
}

static char *nested_details(int depth)
{
    char *s = malloc((size_t)depth * 6 + 8);
    s[0] = 0;
    for (int i = 1; i < depth; i++) strcat(s, "{\"a\":");
    strcat(s, "{}");
    for (int i = 1; i < depth; i++) strcat(s, "}");
    return s;
}

/* Details nested 16 deep are valid on their own (json.h: at most 16 levels) but 17 deep
 * inside the entry. */
Test(kyk_audit, nested_details_stay_verifiable)
{
    for (int d = 14; d <= 17; d++) {
        char *det = nested_details(d), what[64];
        snprintf(what, sizeof what, "details-nested-%d", d);
        const char *err = accepted_means_verifiable(NULL, det, what);
        free(det);
        cr_assert_null(err, "%s", err);
    }
}

/* A key id of 1 MiB: the line it makes is over the 1 MiB a JSON document may have. */
Test(kyk_audit, large_key_id_stays_verifiable)
{
    size_t n = KP_MAX_INPUT_BYTES;
    char *key = malloc(n + 1);
    memset(key, 'k', n);
    key[n] = 0;
    const char *err = accepted_means_verifiable(key, NULL, "key-id-1MiB");
    free(key);
    cr_assert_null(err, "%s", err);
}

/* Details just under 1 MiB on their own, over it inside the entry. */
Test(kyk_audit, large_details_stay_verifiable)
{
    size_t n = KP_MAX_INPUT_BYTES;
    char *det = malloc(n + 16);
    strcpy(det, "{\"x\":\"");
    memset(det + 6, 'd', n - 200);
    strcpy(det + 6 + n - 200, "\"}");
    const char *err = accepted_means_verifiable(NULL, det, "details-1MiB-less-200");
    free(det);
    cr_assert_null(err, "%s", err);
}

/* Fields with characters JSON escapes survive the round trip exactly. */
Test(kyk_audit, escaped_fields_round_trip)
{
    char path[4096];
    kyk_path(path, "audit.log");
    kp_audit_log *log = open_log(path, ALICE, KYK_NOW, NULL);
    static const char key[] = "k\"e\\y\n\t\x01/é";
    const char *actors[3] = {"Zoë \"Z\"", "line\nbreak", ""};
    KPT_ST(kp_audit_append(log, KYK_NOW + 1, "key.imported", key, "pub\\key", actors, 3, "{\"s\":\"a\\nb\\u00e9\"}", NULL),
           KP_OK);
    kp_audit_close(log);
    size_t len;
    char *t = kyk_read(path, &len);
    kyk_lines L;
    kyk_split(&L, t, len);
    cr_assert_eq(L.n, 2u, "a newline in a field must not break the line");
    expect(t, len, NULL, NULL, KP_AUDIT_OK, 0, "escaped fields");
    char *line = strndup(L.s[1], L.len[1]);
    cJSON *j = cJSON_Parse(line);
    cr_assert_not_null(j);
    cr_assert_str_eq(kpt_jstr(j, "keyId"), key);
    cr_assert_str_eq(kpt_jstr(j, "publicKey"), "pub\\key");
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "actors");
    for (int i = 0; i < 3; i++) cr_assert_str_eq(cJSON_GetArrayItem(a, i)->valuestring, actors[i]);
    cJSON_Delete(j);
    free(line);
    free(t);
}

/* ------------------------------------------------------------ kp_audit_entries */

typedef struct seen {
    size_t n, stop_at;
    int64_t seq[16], time[16];
    char *event[16], *key[16], *pub[16], *details[16], *line[16], *actors[16];
} seen;

static int visit(const kp_audit_entry *e, void *data)
{
    seen *s = data;
    cr_assert_lt(s->n, 16u);
    size_t i = s->n++;
    s->seq[i] = e->seq;
    s->time[i] = e->time;
    s->event[i] = strdup(e->event);
    s->key[i] = e->key_id ? strdup(e->key_id) : NULL;
    s->pub[i] = e->public_key ? strdup(e->public_key) : NULL;
    s->details[i] = strdup(e->details);
    s->line[i] = strdup(e->line);
    char acc[256] = "";
    for (size_t k = 0; k < e->nactors; k++) {
        if (k) strcat(acc, "|");
        strcat(acc, e->actors[k]);
    }
    s->actors[i] = strdup(acc);
    return s->stop_at && s->n == s->stop_at;
}

static void seen_free(seen *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->event[i]);
        free(s->key[i]);
        free(s->pub[i]);
        free(s->details[i]);
        free(s->line[i]);
        free(s->actors[i]);
    }
    memset(s, 0, sizeof *s);
}

Test(kyk_audit, entries_in_order)
{
    char path[4096];
    size_t len;
    char *t = make_log(path, "audit.log", &len);
    kyk_lines L;
    kyk_split(&L, t, len);
    seen s = {0};
    KPT_ST(kp_audit_entries(t, len, visit, &s), KP_OK);
    cr_assert_eq(s.n, (size_t)NENTRIES);
    for (size_t i = 0; i < s.n; i++) {
        cr_assert_eq(s.seq[i], (int64_t)i);
        cr_assert_eq(s.time[i], std_time(i, KYK_NOW));
        cr_assert_eq(strlen(s.line[i]), L.len[i]);
        cr_assert(memcmp(s.line[i], L.s[i], L.len[i]) == 0, "entry %zu: the line", i);
        if (i == 0) {
            uint8_t pk[32];
            char want[128];
            kyk_pk(ALICE, pk);
            char hex[65];
            kpt_hex(hex, pk, 32);
            snprintf(want, sizeof want, "{\"writerKey\":\"%s\"}", hex);
            cr_assert_str_eq(s.event[0], "log.created");
            cr_assert_null(s.key[0]);
            cr_assert_null(s.pub[0]);
            cr_assert_str_eq(s.actors[0], "alice");
            cr_assert_str_eq(s.details[0], want);
        } else {
            char key[32], det[64];
            snprintf(key, sizeof key, "key-%zu", i);
            snprintf(det, sizeof det, "{\"n\":%zu,\"note\":\"entry %zu\"}", i, i);
            cr_assert_str_eq(s.event[i], i % 2 ? "key.exported" : "key.imported");
            cr_assert_str_eq(s.key[i], key);
            cr_assert_str_eq(s.pub[i], PUBHEX);
            cr_assert_str_eq(s.actors[i], "alice|bob");
            cr_assert_str_eq(s.details[i], det);
        }
    }
    seen_free(&s);
    /* fn returning non-zero stops the walk */
    s.stop_at = 3;
    KPT_ST(kp_audit_entries(t, len, visit, &s), KP_OK);
    cr_assert_eq(s.n, 3u);
    seen_free(&s);
    /* a torn tail: the complete entries are visited, then the error */
    char *torn = malloc(len + 10);
    memcpy(torn, t, len);
    memcpy(torn + len, "{\"seq\":6", 8);
    KPT_ST(kp_audit_entries(torn, len + 8, visit, &s), KP_ERR_LOG);
    cr_assert_eq(s.n, (size_t)NENTRIES);
    seen_free(&s);
    /* a line that is not an entry stops it there */
    char *bad = strdup(t);
    bad[L.s[2] - t] = '[';
    KPT_ST(kp_audit_entries(bad, len, visit, &s), KP_ERR_LOG);
    cr_assert_eq(s.n, 2u);
    seen_free(&s);
    KPT_ST(kp_audit_entries("", 0, visit, &s), KP_OK);
    cr_assert_eq(s.n, 0u);
    free(bad);
    free(torn);
    free(t);
}
