/* json.c: see json.h. */
#include <stdlib.h>
#include <string.h>

#include "json.h"

typedef struct parser {
    kp_json *j;
    const char *p, *end;
    const char *what;
} parser;

static kp_status perr(parser *ps, const char *msg)
{
    return kp_fail(KP_ERR_JSON, "%s is not valid JSON: %s at byte %zu", ps->what, msg,
                   (size_t)(ps->p - ps->j->text));
}

/* Constant time: a document may be secret (a decrypted share plaintext), but only the scalar
 * strings in it are; its structure (every byte outside a string: white space, punctuation,
 * numbers, literals), its keys, and the class of each byte inside a string (ordinary, quote,
 * backslash, control, non-ASCII) are public by design, and are declassified (KP_DECLASSIFY)
 * where they are read. The value of an ordinary string byte is never branched on here; a reader
 * takes a secret string with kp_json_need_secret_str and a public one with kp_json_need_str. */

/* the byte at p, outside a string: structure, public */
static char at(const parser *ps)
{
    KP_DECLASSIFY(ps->p, 1);
    return *ps->p;
}

static void skip_ws(parser *ps)
{
    while (ps->p < ps->end && (at(ps) == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')) ps->p++;
}

static kp_status new_tok(parser *ps, kp_jtype type, int *idx)
{
    kp_json *j = ps->j;
    if (j->ntok == j->cap) {
        size_t cap = j->cap ? j->cap * 2 : 32;
        kp_jtok *t = realloc(j->tok, cap * sizeof *t);
        if (t == NULL) return kp_fail(KP_ERR_NOMEM, "out of memory parsing %s", ps->what);
        j->tok = t;
        j->cap = cap;
    }
    *idx = (int)j->ntok++;
    memset(&j->tok[*idx], 0, sizeof j->tok[*idx]);
    j->tok[*idx].type = (uint8_t)type;
    j->tok[*idx].start = (uint32_t)(ps->p - j->text);
    return KP_OK;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Length of a valid UTF-8 sequence at p (< end), or 0 if invalid (overlong, surrogate, > U+10FFFF). */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t n;
    unsigned min, cp;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) { n = 2; cp = c & 0x1F; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; cp = c & 0x0F; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; cp = c & 0x07; min = 0x10000; }
    else return 0;
    if ((size_t)(end - p) < n) return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

int kp_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        size_t n = utf8_len(p, end);
        if (n == 0) return 0;
        p += n;
    }
    return 1;
}

/* A \\uXXXX escape at p (< end): 1 and its code unit in *cp, or 0 if truncated or not hex. */
static int u_escape(const char *p, const char *end, unsigned *cp)
{
    *cp = 0;
    if (end - p < 6 || p[0] != '\\' || p[1] != 'u') return 0;
    for (int i = 2; i < 6; i++) {
        int v = hexval(p[i]);
        if (v < 0) return 0;
        *cp = *cp << 4 | (unsigned)v;
    }
    return 1;
}

static kp_status parse_string(parser *ps, int *idx)
{
    kp_status st;
    ps->p++; /* the opening quote */
    if ((st = new_tok(ps, KP_J_STRING, idx)) != KP_OK) return st;
    const char *s = ps->p;
    int escaped = 0;
    while (ps->p < ps->end) {
        unsigned c = (unsigned char)*ps->p;
        unsigned cls = (((c ^ '"') - 1u) >> 31) | ((((c ^ '\\') - 1u) >> 31) << 1) | (((c - 0x20u) >> 31) << 2) |
                       ((c >> 7) << 3);
        KP_DECLASSIFY(&cls, sizeof cls); /* the class of the byte, not its value */
        if (cls == 0) { /* printable ASCII */
            ps->p++;
            continue;
        }
        if (cls & 1) break; /* the closing quote */
        /* a byte that is not ordinary: escapes, controls and UTF-8 never occur in a scalar's
         * hex digits, so what follows is public */
        KP_DECLASSIFY(ps->p, (size_t)(ps->end - ps->p) < 6 ? (size_t)(ps->end - ps->p) : 6);
        if (c < 0x20) return perr(ps, "control character in a string");
        if (c == '\\') {
            escaped = 1;
            if (ps->end - ps->p < 2) return perr(ps, "unterminated escape");
            char e = ps->p[1];
            if (e == 'u') {
                /* A decoded NUL would end the string early in any reader that keeps C strings
                 * (cJSON does), and a lone surrogate is no character: both refused here, so that
                 * no document means one thing to this reader and another to such a one. */
                unsigned cp;
                if (!u_escape(ps->p, ps->end, &cp)) return perr(ps, "bad \\u escape");
                if (cp == 0) return perr(ps, "\\u0000 (a NUL) in a string");
                if (cp >= 0xDC00 && cp <= 0xDFFF) return perr(ps, "lone low surrogate escape");
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    unsigned lo;
                    if (!u_escape(ps->p + 6, ps->end, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                        return perr(ps, "high surrogate escape without its low surrogate");
                    ps->p += 6;
                }
                ps->p += 6;
            } else if (strchr("\"\\/bfnrt", e) != NULL && e != 0) {
                ps->p += 2;
            } else {
                return perr(ps, "unknown escape");
            }
            continue;
        }
        size_t n = utf8_len((const unsigned char *)ps->p, (const unsigned char *)ps->end);
        if (n == 0) return perr(ps, "invalid UTF-8 in a string");
        ps->p += n;
    }
    if (ps->p >= ps->end) return perr(ps, "unterminated string");
    kp_jtok *t = &ps->j->tok[*idx];
    t->len = (uint32_t)(ps->p - s);
    t->escaped = (uint8_t)escaped;
    ps->p++;
    t->next = (uint32_t)ps->j->ntok;
    return KP_OK;
}

static kp_status parse_number(parser *ps, int *idx)
{
    kp_status st;
    if ((st = new_tok(ps, KP_J_NUMBER, idx)) != KP_OK) return st;
    const char *s = ps->p;
    if (ps->p < ps->end && at(ps) == '-') ps->p++;
    if (ps->p >= ps->end) return perr(ps, "truncated number");
    if (at(ps) == '0') {
        ps->p++;
    } else if (*ps->p >= '1' && *ps->p <= '9') {
        while (ps->p < ps->end && at(ps) >= '0' && *ps->p <= '9') ps->p++;
    } else {
        return perr(ps, "bad number");
    }
    if (ps->p < ps->end && at(ps) == '.') {
        ps->p++;
        if (ps->p >= ps->end || at(ps) < '0' || *ps->p > '9') return perr(ps, "bad fraction");
        while (ps->p < ps->end && at(ps) >= '0' && *ps->p <= '9') ps->p++;
    }
    if (ps->p < ps->end && (at(ps) == 'e' || *ps->p == 'E')) {
        ps->p++;
        if (ps->p < ps->end && (at(ps) == '+' || *ps->p == '-')) ps->p++;
        if (ps->p >= ps->end || at(ps) < '0' || *ps->p > '9') return perr(ps, "bad exponent");
        while (ps->p < ps->end && at(ps) >= '0' && *ps->p <= '9') ps->p++;
    }
    kp_jtok *t = &ps->j->tok[*idx];
    t->len = (uint32_t)(ps->p - s);
    t->next = (uint32_t)ps->j->ntok;
    return KP_OK;
}

static kp_status parse_value(parser *ps, int depth, int *idx);

static int keys_equal(const kp_json *j, int a, int b)
{
    return j->tok[a].len == j->tok[b].len &&
           memcmp(j->text + j->tok[a].start, j->text + j->tok[b].start, j->tok[a].len) == 0;
}

static kp_status parse_container(parser *ps, int depth, int *idx, int is_obj)
{
    kp_status st;
    if (depth >= KP_JSON_MAX_DEPTH) return perr(ps, "nested too deeply");
    if ((st = new_tok(ps, is_obj ? KP_J_OBJECT : KP_J_ARRAY, idx)) != KP_OK) return st;
    int me = *idx;
    char close = is_obj ? '}' : ']';
    int keys[KP_JSON_MAX_MEMBERS];
    uint32_t count = 0;
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && at(ps) == close) {
        ps->p++;
        ps->j->tok[me].next = (uint32_t)ps->j->ntok;
        return KP_OK;
    }
    for (;;) {
        int child;
        skip_ws(ps);
        if (is_obj) {
            if (ps->p >= ps->end || at(ps) != '"') return perr(ps, "expected a string key");
            if (count >= KP_JSON_MAX_MEMBERS) return perr(ps, "object has too many members");
            if ((st = parse_string(ps, &child)) != KP_OK) return st;
            KP_DECLASSIFY(ps->j->text + ps->j->tok[child].start, ps->j->tok[child].len); /* keys are public */
            if (ps->j->tok[child].escaped) return perr(ps, "escape in an object key");
            for (uint32_t i = 0; i < count; i++)
                if (keys_equal(ps->j, keys[i], child)) {
                    /* named when it is printable ASCII (a message may reach a terminal) */
                    const kp_jtok *k = &ps->j->tok[child];
                    const char *name = ps->j->text + k->start;
                    int plain = 1;
                    for (uint32_t b = 0; b < k->len && plain; b++) plain = name[b] >= 0x20 && name[b] < 0x7f;
                    if (!plain)
                        return kp_fail(KP_ERR_JSON, "%s is not valid JSON: duplicate key, given twice (at byte %zu)", ps->what,
                                       (size_t)k->start - 1);
                    return kp_fail(KP_ERR_JSON, "%s is not valid JSON: duplicate key \"%.*s\", given twice (at byte %zu)",
                                   ps->what, (int)(k->len > 60 ? 60 : k->len), name, (size_t)k->start - 1);
                }
            keys[count] = child;
            skip_ws(ps);
            if (ps->p >= ps->end || at(ps) != ':') return perr(ps, "expected ':'");
            ps->p++;
            skip_ws(ps);
        }
        if ((st = parse_value(ps, depth + 1, &child)) != KP_OK) return st;
        count++;
        skip_ws(ps);
        if (ps->p >= ps->end) return perr(ps, "truncated document");
        if (at(ps) == ',') {
            ps->p++;
            continue;
        }
        if (*ps->p == close) {
            ps->p++;
            break;
        }
        return perr(ps, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
    ps->j->tok[me].count = count;
    ps->j->tok[me].next = (uint32_t)ps->j->ntok;
    return KP_OK;
}

static kp_status parse_literal(parser *ps, int *idx, const char *word, kp_jtype type)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) >= n) KP_DECLASSIFY(ps->p, n);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) return perr(ps, "unexpected character");
    kp_status st = new_tok(ps, type, idx);
    if (st != KP_OK) return st;
    ps->p += n;
    ps->j->tok[*idx].len = (uint32_t)n;
    ps->j->tok[*idx].next = (uint32_t)ps->j->ntok;
    return KP_OK;
}

static kp_status parse_value(parser *ps, int depth, int *idx)
{
    skip_ws(ps);
    if (ps->p >= ps->end) return perr(ps, "truncated document");
    switch (at(ps)) {
    case '{': return parse_container(ps, depth, idx, 1);
    case '[': return parse_container(ps, depth, idx, 0);
    case '"': return parse_string(ps, idx);
    case 't': return parse_literal(ps, idx, "true", KP_J_TRUE);
    case 'f': return parse_literal(ps, idx, "false", KP_J_FALSE);
    case 'n': return parse_literal(ps, idx, "null", KP_J_NULL);
    default:
        if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9')) return parse_number(ps, idx);
        return perr(ps, "unexpected character");
    }
}

kp_status kp_json_parse(kp_json *j, const char *text, size_t len, const char *what)
{
    memset(j, 0, sizeof *j);
    j->text = text;
    j->len = len;
    if (len > KP_MAX_INPUT_BYTES)
        return kp_fail(KP_ERR_TOO_LARGE, "%s is %zu bytes, over the limit of %u", what, len, KP_MAX_INPUT_BYTES);
    parser ps = {j, text, text + len, what};
    skip_ws(&ps);
    if (ps.p == ps.end) return kp_fail(KP_ERR_EMPTY, "%s is empty", what);
    int root;
    kp_status st = parse_value(&ps, 0, &root);
    if (st == KP_OK) {
        skip_ws(&ps);
        if (ps.p != ps.end) st = perr(&ps, "trailing data after the document");
    }
    if (st != KP_OK) kp_json_free(j);
    return st;
}

void kp_json_free(kp_json *j)
{
    free(j->tok);
    j->tok = NULL;
    j->ntok = j->cap = 0;
}

int kp_json_get(const kp_json *j, int obj, const char *key)
{
    if (obj < 0 || j->tok[obj].type != KP_J_OBJECT) return -1;
    size_t klen = strlen(key);
    int i = obj + 1;
    for (uint32_t m = 0; m < j->tok[obj].count; m++) {
        int v = i + 1;
        if (j->tok[i].len == klen && memcmp(j->text + j->tok[i].start, key, klen) == 0) return v;
        i = (int)j->tok[v].next;
    }
    return -1;
}

int kp_json_first(const kp_json *j, int container)
{
    return j->tok[container].count > 0 ? container + 1 : -1;
}

int kp_json_next(const kp_json *j, int arr, int i)
{
    int n = (int)j->tok[i].next;
    return n < (int)j->tok[arr].next ? n : -1;
}

static const char *type_name(kp_jtype t)
{
    static const char *names[] = {"an object", "an array", "a string", "a number", "true", "false", "null"};
    return names[t];
}

kp_status kp_json_need(const kp_json *j, int obj, const char *key, kp_jtype type, const char *path, int *out)
{
    int v = kp_json_get(j, obj, key);
    *out = -1;
    if (v < 0) return kp_fail(KP_ERR_FORMAT, "%s is missing", path);
    if (j->tok[v].type != type && !(type == KP_J_TRUE && j->tok[v].type == KP_J_FALSE))
        return kp_fail(KP_ERR_FORMAT, "%s must be %s, not %s", path, type == KP_J_TRUE ? "a boolean" : type_name(type),
                       type_name((kp_jtype)j->tok[v].type));
    *out = v;
    return KP_OK;
}

kp_status kp_json_need_secret_str(const kp_json *j, int obj, const char *key, const char *path, const char **s,
                                  size_t *len)
{
    int v;
    kp_status st = kp_json_need(j, obj, key, KP_J_STRING, path, &v);
    *s = NULL;
    *len = 0;
    if (st != KP_OK) return st;
    if (j->tok[v].escaped) return kp_fail(KP_ERR_FORMAT, "%s contains an escape sequence", path);
    *s = j->text + j->tok[v].start;
    *len = j->tok[v].len;
    return KP_OK;
}

kp_status kp_json_need_str(const kp_json *j, int obj, const char *key, const char *path, const char **s, size_t *len)
{
    kp_status st = kp_json_need_secret_str(j, obj, key, path, s, len);
    if (st == KP_OK) KP_DECLASSIFY(*s, *len); /* a public value: a name, an id, a point, a tag */
    return st;
}

kp_status kp_json_need_uint(const kp_json *j, int obj, const char *key, uint32_t lo, uint32_t hi, const char *path,
                            uint32_t *out)
{
    int v;
    kp_status st = kp_json_need(j, obj, key, KP_J_NUMBER, path, &v);
    *out = 0;
    if (st != KP_OK) return st;
    const char *s = j->text + j->tok[v].start;
    uint64_t x = 0;
    for (uint32_t i = 0; i < j->tok[v].len; i++) {
        if (s[i] < '0' || s[i] > '9') return kp_fail(KP_ERR_FORMAT, "%s must be a whole number", path);
        x = x * 10 + (uint64_t)(s[i] - '0');
        if (x > UINT32_MAX) break;
    }
    if (x < lo || x > hi)
        return kp_fail(KP_ERR_FORMAT, "%s is %.*s, outside %u..%u", path, (int)(j->tok[v].len > 20 ? 20 : j->tok[v].len),
                       s, lo, hi);
    *out = (uint32_t)x;
    return KP_OK;
}

/* Writes code point cp as UTF-8; returns bytes written. */
static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xC0 | (cp >> 6)); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12)); o[1] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18)); o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

kp_status kp_json_strdup(const kp_json *j, int tok, char **out)
{
    const kp_jtok *t = &j->tok[tok];
    const char *s = j->text + t->start, *e = s + t->len;
    char *o = malloc((size_t)t->len + 1), *w = o;
    *out = NULL;
    if (o == NULL) return kp_fail(KP_ERR_NOMEM, "out of memory");
    while (s < e) {
        if (*s != '\\') { *w++ = *s++; continue; }
        char c = s[1];
        s += 2;
        switch (c) {
        case 'b': *w++ = '\b'; break;
        case 'f': *w++ = '\f'; break;
        case 'n': *w++ = '\n'; break;
        case 'r': *w++ = '\r'; break;
        case 't': *w++ = '\t'; break;
        case 'u': {
            unsigned cp = 0;
            for (int i = 0; i < 4; i++) cp = cp << 4 | (unsigned)hexval(s[i]);
            s += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF && e - s >= 6 && s[0] == '\\' && s[1] == 'u') {
                unsigned lo = 0;
                for (int i = 2; i < 6; i++) lo = lo << 4 | (unsigned)hexval(s[i]);
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    s += 6;
                }
            }
            if ((cp >= 0xD800 && cp <= 0xDFFF) || cp == 0) {
                free(o);
                return kp_fail(KP_ERR_FORMAT, "string has a lone surrogate or a NUL escape");
            }
            w += put_utf8(w, cp); /* at most 4 bytes for 6 or 12 read: fits */
            break;
        }
        default: *w++ = c; break; /* \" \\ \/ */
        }
    }
    *w = 0;
    *out = o;
    return KP_OK;
}

kp_status kp_json_only(const kp_json *j, int obj, const char *const *allowed, const char *what)
{
    int k = obj + 1;
    for (uint32_t m = 0; m < j->tok[obj].count; m++) {
        const char *key = j->text + j->tok[k].start;
        size_t len = j->tok[k].len;
        int ok = 0;
        for (size_t i = 0; allowed[i] != NULL && !ok; i++) ok = strlen(allowed[i]) == len && memcmp(allowed[i], key, len) == 0;
        if (!ok) return kp_fail(KP_ERR_FORMAT, "%s has an unknown member \"%.*s\"", what, (int)(len > 40 ? 40 : len), key);
        k = (int)j->tok[k + 1].next;
    }
    return KP_OK;
}

kp_status kp_json_check(const char *text, size_t len, const char *what)
{
    KP_ARG_CHECK(NULL, (text != NULL || len == 0) && what != NULL);
    kp_json j;
    kp_clear_error();
    kp_status st = kp_json_parse(&j, text, len, what);
    if (st == KP_OK) kp_json_free(&j);
    return st;
}

kp_status kp_json_object_strings(const char *text, size_t len, const char *const *keys, size_t nkeys, char **out)
{
    KP_ARG_CHECK(NULL, (text != NULL || len == 0) && keys != NULL && out != NULL);
    kp_json j;
    kp_status st;
    for (size_t i = 0; i < nkeys; i++) out[i] = NULL;
    kp_clear_error();
    if ((st = kp_json_parse(&j, text, len, "the document")) != KP_OK) return st;
    if (j.tok[0].type != KP_J_OBJECT) {
        st = kp_fail(KP_ERR_FORMAT, "the document must be a JSON object");
        goto done;
    }
    int k = 1;
    for (uint32_t m = 0; m < j.tok[0].count && st == KP_OK; m++, k = (int)j.tok[k + 1].next) {
        size_t i;
        for (i = 0; i < nkeys; i++)
            if (strlen(keys[i]) == j.tok[k].len && memcmp(keys[i], text + j.tok[k].start, j.tok[k].len) == 0) break;
        if (i == nkeys)
            st = kp_fail(KP_ERR_FORMAT, "unknown member \"%.*s\"", (int)(j.tok[k].len > 40 ? 40 : j.tok[k].len),
                         text + j.tok[k].start);
        else if (j.tok[k + 1].type != KP_J_STRING)
            st = kp_fail(KP_ERR_FORMAT, "\"%s\" must be a string", keys[i]);
        else
            st = kp_json_strdup(&j, k + 1, &out[i]);
    }
done:
    if (st != KP_OK)
        for (size_t i = 0; i < nkeys; i++) {
            free(out[i]);
            out[i] = NULL;
        }
    kp_json_free(&j);
    return st;
}

kp_status kp_json_string_at(char **out, const char *text, size_t len, const char *const *path, size_t depth)
{
    KP_ARG_CHECK(NULL, out != NULL && (text != NULL || len == 0) && (path != NULL || depth == 0));
    kp_json j;
    kp_status st;
    *out = NULL;
    if ((st = kp_json_parse(&j, text, len, "the document")) != KP_OK) return st;
    int t = 0;
    for (size_t i = 0; i < depth && t >= 0; i++) t = kp_json_get(&j, t, path[i]);
    if (t < 0 || j.tok[t].type != KP_J_STRING) st = kp_fail(KP_ERR_NOT_FOUND, "no string at that path");
    else st = kp_json_strdup(&j, t, out);
    kp_json_free(&j);
    return st;
}
