/*
 * test_bbqr.c: BBQr split and join (keyport_bbqr.h) against the BBQr specification's published
 * numbers (tests/vectors/bbqr-spec.json), RFC 4648 base32 vectors, libqrencode (every frame fits
 * the QR version it was sized for), the frames of a real scan published with the spec
 * (tests/vectors/bbqr-real-scan.coinkite.txt) and zlib itself (the 'Z' stream inflates with the 2^10 window
 * the spec fixes); random payloads of 1 B to 64 KiB joined in shuffled order with duplicates,
 * every order of small sets, missing frames, conflicting and foreign frames, and bad headers.
 */
#include <qrencode.h>
#include <zlib.h>

#include "kptest.h"

TestSuite(bbqr, .init = kpt_setup, .fini = kpt_teardown, .timeout = 300);

static const char B32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* an independent base32 decoder (RFC 4648, no padding) for the checks */
static size_t t_b32dec(uint8_t *out, const char *s, size_t n)
{
    uint64_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        const char *p = strchr(B32, s[i]);
        cr_assert(p && s[i], "not base32 at %zu", i);
        acc = (acc << 5) | (uint64_t)(p - B32);
        bits += 5;
        if (bits >= 8) {
            out[o++] = (uint8_t)(acc >> (bits - 8));
            bits -= 8;
        }
    }
    return o;
}

static int b36(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'Z' ? c - 'A' + 10 : -1;
}

/* Checks the frames against the spec's rules, independently of the joiner, and decodes them
 * with t_b32dec and zlib (window 2^10, raw) into *out (malloc'd). */
static size_t check_frames(uint8_t **out, const kp_bbqr_frames *f, char type, size_t max_chars)
{
    cr_assert_geq(f->count, 1);
    size_t total = 0, body = 0;
    for (size_t i = 0; i < f->count; i++) {
        const char *t = f->text[i];
        cr_assert_eq(strlen(t), f->len[i]);
        cr_assert_leq(f->len[i], max_chars, "frame %zu: %zu > %zu", i, f->len[i], max_chars);
        cr_assert(t[0] == 'B' && t[1] == '$');
        cr_assert_eq(t[2], f->encoding);
        cr_assert_eq(t[3], type);
        cr_assert_eq((size_t)(b36(t[4]) * 36 + b36(t[5])), f->count);
        cr_assert_eq((size_t)(b36(t[6]) * 36 + b36(t[7])), i);
        size_t dl = f->len[i] - 8;
        cr_assert_gt(dl, 0);
        if (i == 0) body = dl;
        if (i + 1 < f->count) {
            cr_assert_eq(dl, body, "frame %zu is %zu, not %zu", i, dl, body);
            cr_assert_eq(dl % (f->encoding == 'H' ? 2 : 8), 0);
        } else {
            cr_assert_leq(dl, body);
        }
        for (size_t k = 8; k < f->len[i]; k++)
            cr_assert(f->encoding == 'H' ? strchr("0123456789ABCDEF", t[k]) != NULL : strchr(B32, t[k]) != NULL);
        total += dl;
    }
    char *all = malloc(total + 1);
    size_t o = 0;
    for (size_t i = 0; i < f->count; i++) {
        memcpy(all + o, f->text[i] + 8, f->len[i] - 8);
        o += f->len[i] - 8;
    }
    uint8_t *raw = malloc(total + 1);
    size_t rawlen;
    if (f->encoding == 'H') {
        all[o] = 0;
        rawlen = total / 2;
        for (size_t i = 0; i < rawlen; i++) {
            unsigned v;
            cr_assert_eq(sscanf(all + 2 * i, "%2X", &v), 1);
            raw[i] = (uint8_t)v;
        }
    } else {
        rawlen = t_b32dec(raw, all, total);
    }
    free(all);
    if (f->encoding != 'Z') {
        *out = raw;
        return rawlen;
    }
    /* the spec's window: a stream that needs more than 2^10 fails here */
    size_t cap = 1 << 20;
    uint8_t *dec = malloc(cap);
    z_stream z;
    memset(&z, 0, sizeof z);
    cr_assert_eq(inflateInit2(&z, -10), Z_OK);
    z.next_in = raw;
    z.avail_in = (uInt)rawlen;
    /* out in small steps, so that back-references must come from the 2^10 window itself
     * (with the whole output at hand zlib would reach into it at any distance) */
    z.next_out = dec;
    int r = Z_OK;
    while (r == Z_OK) {
        z.avail_out = 64;
        r = inflate(&z, Z_NO_FLUSH);
        cr_assert((size_t)(z.next_out - dec) < cap - 64);
    }
    cr_assert_eq(r, Z_STREAM_END, "the Z stream does not inflate with wbits=-10: %s", z.msg ? z.msg : "?");
    cr_assert_eq(z.avail_in, 0);
    z.avail_out = (uInt)(cap - (size_t)(z.next_out - dec));
    size_t n = cap - z.avail_out;
    inflateEnd(&z);
    free(raw);
    *out = dec;
    return n;
}

static void shuffle(size_t *idx, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t k = kpt_uniform((uint32_t)i);
        size_t t = idx[i - 1];
        idx[i - 1] = idx[k];
        idx[k] = t;
    }
}

static void join_order(const kp_bbqr_frames *f, const size_t *order, size_t n, const uint8_t *want, size_t wlen,
                       char type)
{
    kp_bbqr_joiner *j;
    cr_assert_eq(kp_bbqr_joiner_new(&j, 1 << 20), KP_OK);
    for (size_t i = 0; i < n; i++) {
        kp_bbqr_add_result r = 0;
        size_t k = order[i];
        int seen = kp_bbqr_joiner_has(j, k);
        cr_assert_eq(kp_bbqr_joiner_add(j, &r, f->text[k], f->len[k]), KP_OK, "%s", kp_error_detail());
        cr_assert_eq(r, seen ? KP_BBQR_DUPLICATE : KP_BBQR_ACCEPTED);
        cr_assert_eq(kp_bbqr_joiner_count(j), f->count);
        if (!kp_bbqr_joiner_complete(j)) {
            kp_buf b;
            kp_buf_init(&b, 0);
            cr_assert_eq(kp_bbqr_joiner_finish(j, &b, NULL), KP_ERR_NOT_ENOUGH);
            cr_assert_eq(b.len, 0);
        }
    }
    cr_assert(kp_bbqr_joiner_complete(j));
    cr_assert_eq(kp_bbqr_joiner_missing(j, NULL, 0), 0);
    kp_buf b;
    kp_buf_init(&b, 0);
    char t = 0;
    cr_assert_eq(kp_bbqr_joiner_finish(j, &b, &t), KP_OK, "%s", kp_error_detail());
    cr_assert_eq(t, type);
    cr_assert_eq(b.len, wlen);
    cr_assert_eq(memcmp(b.data, want, wlen), 0);
    kp_buf_release(&b);
    kp_bbqr_joiner_free(j);
}

Test(bbqr, version_chars_are_the_spec_table_and_fit_libqrencode)
{
    cJSON *v = kpt_load_json("bbqr-spec.json");
    cJSON *chars = cJSON_GetObjectItem(v, "chars"), *it;
    int n = 0;
    cJSON_ArrayForEach(it, chars)
    {
        cr_assert_eq(kp_bbqr_version_chars(atoi(it->string)), (size_t)it->valueint, "version %s", it->string);
        n++;
    }
    cr_assert_eq(n, 20);
    cJSON_Delete(v);
    cr_assert_eq(kp_bbqr_version_chars(0), 0);
    cr_assert_eq(kp_bbqr_version_chars(41), 0);
    /* libqrencode: exactly that many alphanumeric characters fit the version, one more does not */
    for (int ver = 1; ver <= 40; ver++) {
        size_t c = kp_bbqr_version_chars(ver);
        char *s = malloc(c + 2);
        memcpy(s, "B$2J0100", 8);
        for (size_t i = 8; i < c + 1; i++) s[i] = B32[i % 32];
        s[c] = 0;
        QRcode *q = QRcode_encodeString(s, 0, QR_ECLEVEL_L, QR_MODE_8, 1);
        cr_assert_not_null(q);
        cr_assert_eq(q->version, ver, "%zu characters: version %d, not %d", c, q->version, ver);
        QRcode_free(q);
        s[c] = 'A';
        s[c + 1] = 0;
        q = QRcode_encodeString(s, 0, QR_ECLEVEL_L, QR_MODE_8, 1);
        if (ver < 40) {
            cr_assert_not_null(q);
            cr_assert_gt(q->version, ver);
            QRcode_free(q);
        } else {
            cr_assert_null(q);
        }
        free(s);
    }
}

Test(bbqr, base32_is_rfc4648_and_headers_are_the_spec_example)
{
    cJSON *v = kpt_load_json("bbqr-spec.json");
    cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(v, "base32"))
    {
        const char *in = cJSON_GetArrayItem(it, 0)->valuestring, *want = cJSON_GetArrayItem(it, 1)->valuestring;
        kp_bbqr_frames f;
        cr_assert_eq(kp_bbqr_split(&f, (const uint8_t *)in, strlen(in), 'U', KP_BBQR_BASE32, 100), KP_OK);
        cr_assert_eq(f.count, 1);
        char expect[64];
        snprintf(expect, sizeof expect, "B$2U0100%s", want);
        cr_assert_str_eq(f.text[0], expect);
        kp_bbqr_frames_free(&f);
    }
    /* the spec's 2150-byte PSBT in hex, 3 frames: B$HP0300, B$HP0301, B$HP0302 */
    uint8_t psbt[2150];
    kpt_random(psbt, sizeof psbt);
    kp_bbqr_frames f;
    cr_assert_eq(kp_bbqr_split(&f, psbt, sizeof psbt, 'P', KP_BBQR_HEX, 2008), KP_OK);
    cr_assert_eq(f.count, 3);
    cJSON *h = cJSON_GetObjectItem(v, "example_headers");
    for (size_t i = 0; i < 3; i++) cr_assert_eq(strncmp(f.text[i], cJSON_GetArrayItem(h, (int)i)->valuestring, 8), 0);
    uint8_t *dec;
    cr_assert_eq(check_frames(&dec, &f, 'P', 2008), sizeof psbt);
    cr_assert_eq(memcmp(dec, psbt, sizeof psbt), 0);
    free(dec);
    /* "Hello" in hex, the simplest frame the spec describes */
    kp_bbqr_frames_free(&f);
    cr_assert_eq(kp_bbqr_split(&f, (const uint8_t *)"Hello", 5, 'U', KP_BBQR_HEX, 100), KP_OK);
    cr_assert_str_eq(f.text[0], "B$HU010048656C6C6F");
    kp_bbqr_frames_free(&f);
    cJSON_Delete(v);
}

Test(bbqr, random_payloads_join_in_any_order_with_duplicates)
{
    static const size_t sizes[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 31, 32, 33, 100, 999, 4096, 65535, 65536};
    static const int encs[] = {KP_BBQR_AUTO, KP_BBQR_HEX, KP_BBQR_BASE32, KP_BBQR_ZLIB};
    for (size_t round = 0; round < 60; round++) {
        size_t len = round < sizeof sizes / sizeof *sizes ? sizes[round] : 1 + kpt_uniform(65536);
        uint8_t *data = malloc(len);
        kpt_random(data, len);
        if (round % 3 == 1) /* compressible: JSON-like text */
            for (size_t i = 0; i < len; i++) data[i] = (uint8_t)"{\"key\": \"0123456789abcdef\"},\n"[data[i] % 29];
        if (round % 3 == 2) /* repeats 1500 bytes apart: only a window over 2^10 could reach them */
            for (size_t i = 1500; i < len; i++) data[i] = data[i - 1500];
        int enc = encs[round % 4];
        /* frames sized for a version between 5 and 25: a 64 KiB file stays under 1295 frames */
        size_t max_chars = kp_bbqr_version_chars(5 + (int)kpt_uniform(21));
        if (len <= 8) max_chars = 16 + kpt_uniform(10);
        kp_bbqr_frames f;
        cr_assert_eq(kp_bbqr_split(&f, data, len, 'B', enc, max_chars), KP_OK, "%s", kp_error_detail());
        if (enc != KP_BBQR_AUTO) cr_assert_eq(f.encoding, enc);
        uint8_t *dec;
        size_t n = check_frames(&dec, &f, 'B', max_chars);
        cr_assert_eq(n, len);
        cr_assert_eq(memcmp(dec, data, len), 0, "round %zu: the frames decode to another file", round);
        free(dec);
        /* as few frames as the size allows: one frame fewer would not hold the data */
        if (f.count > 1) {
            size_t unit = f.encoding == 'H' ? 2 : 8, room = (max_chars - 8) / unit * unit, chars = 0;
            for (size_t i = 0; i < f.count; i++) chars += f.len[i] - 8;
            cr_assert_gt(chars, room * (f.count - 1));
        }
        /* shuffled, with about a third of the frames again */
        size_t m = f.count + f.count / 3 + 1;
        size_t *order = malloc(m * sizeof *order);
        for (size_t i = 0; i < f.count; i++) order[i] = i;
        for (size_t i = f.count; i < m; i++) order[i] = kpt_uniform((uint32_t)f.count);
        shuffle(order, m);
        join_order(&f, order, m, data, len, 'B');
        free(order);
        kp_bbqr_frames_free(&f);
        free(data);
    }
}

Test(bbqr, auto_encoding_compresses_only_when_it_helps)
{
    uint8_t text[3000], rnd[3000];
    for (size_t i = 0; i < sizeof text; i++) text[i] = (uint8_t)"{\"approvals\": []}\n"[i % 18];
    kpt_random(rnd, sizeof rnd);
    kp_bbqr_frames f;
    cr_assert_eq(kp_bbqr_split(&f, text, sizeof text, 'J', KP_BBQR_AUTO, 154), KP_OK);
    cr_assert_eq(f.encoding, 'Z');
    kp_bbqr_frames_free(&f);
    cr_assert_eq(kp_bbqr_split(&f, rnd, sizeof rnd, 'B', KP_BBQR_AUTO, 154), KP_OK);
    cr_assert_eq(f.encoding, '2');
    kp_bbqr_frames_free(&f);
}

static void permute(const kp_bbqr_frames *f, size_t *a, size_t k, size_t n, const uint8_t *d, size_t len, int *runs)
{
    if (k == n) {
        join_order(f, a, n, d, len, 'U');
        (*runs)++;
        return;
    }
    for (size_t i = k; i < n; i++) {
        size_t t = a[k];
        a[k] = a[i];
        a[i] = t;
        permute(f, a, k + 1, n, d, len, runs);
        a[i] = a[k];
        a[k] = t;
    }
}

Test(bbqr, every_order_of_five_frames)
{
    for (int enc = 0; enc < 3; enc++) {
        uint8_t d[150];
        kpt_random(d, sizeof d);
        kp_bbqr_frames f;
        /* 150 bytes: 300 hex or 240 base32 characters, in 5 frames */
        size_t max = enc == 0 ? 8 + 60 : 8 + 48;
        cr_assert_eq(kp_bbqr_split(&f, d, sizeof d, 'U', enc == 0 ? 'H' : enc == 1 ? '2' : 'Z', max), KP_OK);
        if (enc < 2) cr_assert_eq(f.count, 5);
        size_t a[16];
        for (size_t i = 0; i < f.count; i++) a[i] = i;
        int runs = 0;
        permute(&f, a, 0, f.count, d, sizeof d, &runs);
        if (enc < 2) cr_assert_eq(runs, 120);
        kp_bbqr_frames_free(&f);
    }
}

Test(bbqr, missing_frames_are_named_and_finish_refuses)
{
    uint8_t d[2000];
    kpt_random(d, sizeof d);
    kp_bbqr_frames f;
    cr_assert_eq(kp_bbqr_split(&f, d, sizeof d, 'B', '2', 154), KP_OK);
    cr_assert_gt(f.count, 10);
    size_t drop1 = 3, drop2 = f.count - 1;
    kp_bbqr_joiner *j;
    cr_assert_eq(kp_bbqr_joiner_new(&j, 10000), KP_OK);
    cr_assert_eq(kp_bbqr_joiner_missing(j, NULL, 0), 0);
    cr_assert(!kp_bbqr_joiner_complete(j));
    kp_buf b;
    kp_buf_init(&b, 0);
    cr_assert_eq(kp_bbqr_joiner_finish(j, &b, NULL), KP_ERR_NOT_ENOUGH);
    for (size_t i = 0; i < f.count; i++)
        if (i != drop1 && i != drop2) cr_assert_eq(kp_bbqr_joiner_add(j, NULL, f.text[i], f.len[i]), KP_OK);
    size_t miss[4];
    cr_assert_eq(kp_bbqr_joiner_missing(j, miss, 4), 2);
    cr_assert_eq(miss[0], drop1);
    cr_assert_eq(miss[1], drop2);
    cr_assert_eq(kp_bbqr_joiner_received(j), f.count - 2);
    cr_assert(!kp_bbqr_joiner_has(j, drop1));
    cr_assert(kp_bbqr_joiner_has(j, 0));
    cr_assert_eq(kp_bbqr_joiner_finish(j, &b, NULL), KP_ERR_NOT_ENOUGH);
    cr_assert_eq(b.len, 0);
    cr_assert(strstr(kp_error_detail(), "2 of") != NULL, "%s", kp_error_detail());
    cr_assert(strstr(kp_error_detail(), "4") != NULL, "%s", kp_error_detail());
    cr_assert_eq(kp_bbqr_joiner_add(j, NULL, f.text[drop2], f.len[drop2]), KP_OK);
    cr_assert_eq(kp_bbqr_joiner_add(j, NULL, f.text[drop1], f.len[drop1]), KP_OK);
    cr_assert_eq(kp_bbqr_joiner_finish(j, &b, NULL), KP_OK);
    cr_assert_eq(b.len, sizeof d);
    cr_assert_eq(memcmp(b.data, d, sizeof d), 0);
    kp_buf_release(&b);
    kp_bbqr_joiner_free(j);
    kp_bbqr_frames_free(&f);
}

Test(bbqr, conflicting_and_foreign_frames_are_refused_and_change_nothing)
{
    uint8_t d[500], e[500];
    kpt_random(d, sizeof d);
    memcpy(e, d, sizeof e);
    e[100] ^= 1;
    kp_bbqr_frames f, g, other_type, other_count, other_enc;
    cr_assert_eq(kp_bbqr_split(&f, d, sizeof d, 'J', '2', 154), KP_OK);
    cr_assert_eq(kp_bbqr_split(&g, e, sizeof e, 'J', '2', 154), KP_OK);
    cr_assert_eq(kp_bbqr_split(&other_type, d, sizeof d, 'B', '2', 154), KP_OK);
    cr_assert_eq(kp_bbqr_split(&other_count, d, sizeof d, 'J', '2', 114), KP_OK);
    cr_assert_eq(kp_bbqr_split(&other_enc, d, sizeof d, 'J', 'H', 154), KP_OK);
    cr_assert_eq(f.count, g.count);
    cr_assert_neq(f.count, other_count.count);
    size_t k = 0;
    while (strcmp(f.text[k], g.text[k]) == 0) k++;
    kp_bbqr_joiner *j;
    cr_assert_eq(kp_bbqr_joiner_new(&j, 10000), KP_OK);
    kp_bbqr_add_result r;
    for (size_t i = 0; i < f.count; i++) cr_assert_eq(kp_bbqr_joiner_add(j, &r, f.text[i], f.len[i]), KP_OK);
    cr_assert_eq(kp_bbqr_joiner_add(j, &r, g.text[k], g.len[k]), KP_ERR_BBQR_MISMATCH);
    cr_assert_eq(r, KP_BBQR_CONFLICT);
    cr_assert(strstr(kp_error_detail(), "other data") != NULL, "%s", kp_error_detail());
    cr_assert_eq(kp_bbqr_joiner_add(j, &r, other_type.text[0], other_type.len[0]), KP_ERR_BBQR_MISMATCH);
    cr_assert_eq(r, KP_BBQR_MISMATCH);
    cr_assert_eq(kp_bbqr_joiner_add(j, &r, other_count.text[0], other_count.len[0]), KP_ERR_BBQR_MISMATCH);
    cr_assert_eq(r, KP_BBQR_MISMATCH);
    cr_assert_eq(kp_bbqr_joiner_add(j, &r, other_enc.text[1], other_enc.len[1]), KP_ERR_BBQR_MISMATCH);
    cr_assert_eq(r, KP_BBQR_MISMATCH);
    /* the same frame typed in lower case by a scanner is a duplicate, not a conflict */
    char *low = strdup(f.text[0]);
    for (char *p = low; *p; p++)
        if (*p >= 'A' && *p <= 'Z') *p = (char)(*p + 32);
    cr_assert_eq(kp_bbqr_joiner_add(j, &r, low, strlen(low)), KP_OK, "%s", kp_error_detail());
    cr_assert_eq(r, KP_BBQR_DUPLICATE);
    free(low);
    cr_assert_eq(kp_bbqr_joiner_received(j), f.count);
    kp_buf b;
    kp_buf_init(&b, 0);
    cr_assert_eq(kp_bbqr_joiner_finish(j, &b, NULL), KP_OK);
    cr_assert_eq(memcmp(b.data, d, sizeof d), 0);
    kp_buf_release(&b);
    kp_bbqr_joiner_free(j);

    /* the equal-length rule: a middle frame of another length is refused; a runt last frame first,
     * then a body frame shorter than it, is refused */
    cr_assert_eq(kp_bbqr_joiner_new(&j, 10000), KP_OK);
    cr_assert_eq(kp_bbqr_joiner_add(j, &r, f.text[0], f.len[0]), KP_OK);
    char *cut = strndup(f.text[1], f.len[1] - 8);
    cr_assert_eq(kp_bbqr_joiner_add(j, &r, cut, strlen(cut)), KP_ERR_BBQR_MISMATCH);
    cr_assert_eq(r, KP_BBQR_MISMATCH);
    free(cut);
    char *longer = malloc(f.len[f.count - 1] + 400);
    snprintf(longer, f.len[f.count - 1] + 400, "%sAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
             f.text[f.count - 1]);
    cr_assert_eq(kp_bbqr_joiner_add(j, &r, longer, strlen(longer)), KP_ERR_BBQR_MISMATCH);
    free(longer);
    cr_assert_eq(kp_bbqr_joiner_received(j), 1);
    kp_bbqr_joiner_free(j);

    kp_bbqr_frames_free(&f);
    kp_bbqr_frames_free(&g);
    kp_bbqr_frames_free(&other_type);
    kp_bbqr_frames_free(&other_count);
    kp_bbqr_frames_free(&other_enc);
}

Test(bbqr, bad_frames_are_refused_with_a_reason)
{
    static const char *const bad[][2] = {
        {"", "empty"},
        {"\r\n", "empty"},
        {"QR-Code:B$2U0100MY", "B$"},
        {"B$", "shorter"},
        {"B$2U010", "shorter"},
        {"B$XU0100MY", "encoding"},
        {"B$=U0100MY", "encoding"},
        {"B$2=0100MY", "file type"},
        {"B$2U0000MY", "0 frames"},
        {"B$2U0101MY", "count from 0"},
        {"B$2U02ZZMY", "count from 0"},
        {"B$2U#100MY", "count"},
        {"B$2U01#0MY", "index"},
        {"B$2U0100", "no data"},
        {"B$2U0100MY=", "base32"},
        {"B$2U0100M1", "base32"},
        {"B$HU0100ABC", "odd"},
        {"B$HU0100GG", "hex"},
        {"B$2U0200MZXW6YT", "multiple of 8"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        kp_bbqr_joiner *j;
        cr_assert_eq(kp_bbqr_joiner_new(&j, 1000), KP_OK);
        kp_bbqr_add_result r = 0;
        cr_assert_eq(kp_bbqr_joiner_add(j, &r, bad[i][0], strlen(bad[i][0])), KP_ERR_BBQR, "%s", bad[i][0]);
        cr_assert_eq(r, KP_BBQR_BAD_FRAME);
        cr_assert(strstr(kp_error_detail(), bad[i][1]) != NULL, "%s: %s", bad[i][0], kp_error_detail());
        cr_assert_eq(kp_bbqr_joiner_count(j), 0);
        kp_bbqr_joiner_free(j);
    }
    /* data that is well-formed per frame but does not decode: a 1-character base32 tail,
     * non-zero trailing bits, a broken deflate stream */
    static const char *const undecodable[] = {"B$2U0100MZXW6YTBO", "B$2U0100MZ", "B$ZU0100AAAAAAAA", "B$ZU0100MZXW6YTB"};
    for (size_t i = 0; i < sizeof undecodable / sizeof *undecodable; i++) {
        kp_bbqr_joiner *j;
        cr_assert_eq(kp_bbqr_joiner_new(&j, 1000), KP_OK);
        cr_assert_eq(kp_bbqr_joiner_add(j, NULL, undecodable[i], strlen(undecodable[i])), KP_OK, "%s",
                     kp_error_detail());
        kp_buf b;
        kp_buf_init(&b, 0);
        cr_assert_eq(kp_bbqr_joiner_finish(j, &b, NULL), KP_ERR_BBQR, "%s", undecodable[i]);
        cr_assert_eq(b.len, 0);
        kp_bbqr_joiner_free(j);
    }
}

Test(bbqr, a_deflate_bomb_stops_at_max_bytes)
{
    size_t n = 4 << 20;
    uint8_t *zeros = calloc(1, n);
    kp_bbqr_frames f;
    cr_assert_eq(kp_bbqr_split(&f, zeros, n, 'B', 'Z', 4296), KP_OK);
    cr_assert_lt(f.count, 10);
    kp_bbqr_joiner *j;
    cr_assert_eq(kp_bbqr_joiner_new(&j, 1 << 20), KP_OK);
    for (size_t i = 0; i < f.count; i++) cr_assert_eq(kp_bbqr_joiner_add(j, NULL, f.text[i], f.len[i]), KP_OK);
    kp_buf b;
    kp_buf_init(&b, 0);
    cr_assert_eq(kp_bbqr_joiner_finish(j, &b, NULL), KP_ERR_TOO_LARGE);
    cr_assert_eq(b.len, 0);
    kp_buf_release(&b);
    kp_bbqr_joiner_free(j);
    /* plain base32 over the limit is refused while the frames come in */
    uint8_t r[3000];
    kpt_random(r, sizeof r);
    kp_bbqr_frames g;
    cr_assert_eq(kp_bbqr_split(&g, r, sizeof r, 'B', '2', 400), KP_OK);
    cr_assert_eq(kp_bbqr_joiner_new(&j, 100), KP_OK);
    kp_status st = KP_OK;
    for (size_t i = 0; i < g.count && st == KP_OK; i++) st = kp_bbqr_joiner_add(j, NULL, g.text[i], g.len[i]);
    cr_assert_eq(st, KP_ERR_TOO_LARGE);
    kp_bbqr_joiner_free(j);
    kp_bbqr_frames_free(&f);
    kp_bbqr_frames_free(&g);
    free(zeros);
}

Test(bbqr, split_refuses_empty_and_oversized_files)
{
    kp_bbqr_frames f;
    uint8_t one = 1;
    cr_assert_eq(kp_bbqr_split(&f, &one, 0, 'B', '2', 100), KP_ERR_EMPTY);
    cr_assert_eq(f.count, 0);
    size_t n = 1296 * 5; /* 1296 frames of 8 base32 characters */
    uint8_t *d = malloc(n);
    kpt_random(d, n);
    cr_assert_eq(kp_bbqr_split(&f, d, n, 'B', '2', 16), KP_ERR_TOO_LARGE);
    cr_assert_null(f.text);
    cr_assert_eq(kp_bbqr_split(&f, d, n - 5, 'B', '2', 16), KP_OK);
    cr_assert_eq(f.count, 1295);
    cr_assert_eq(strncmp(f.text[1294], "B$2BZZZY", 8), 0);
    kp_bbqr_frames_free(&f);
    free(d);
}

Test(bbqr, coinkite_real_scan_joins_in_any_order)
{
    size_t n;
    char *text = kpt_read_vector("bbqr-real-scan.coinkite.txt", &n);
    char *lines[16];
    size_t lens[16], count = 0;
    for (char *p = text; *p && count < 16;) {
        char *nl = strchr(p, '\n');
        lines[count] = p;
        lens[count++] = nl ? (size_t)(nl - p) : strlen(p);
        p = nl ? nl + 1 : p + strlen(p);
    }
    cr_assert_eq(count, 8);
    for (int round = 0; round < 20; round++) {
        size_t order[24], m = 0;
        for (size_t i = 0; i < count; i++) order[m++] = i;
        for (int k = 0; k < round % 5; k++) order[m++] = kpt_uniform((uint32_t)count); /* the scan repeats frames */
        if (round == 1)
            for (size_t i = 0; i < count; i++) order[i] = count - 1 - i;
        else if (round > 1)
            shuffle(order, m);
        kp_bbqr_joiner *j;
        cr_assert_eq(kp_bbqr_joiner_new(&j, 1 << 20), KP_OK);
        for (size_t i = 0; i < m; i++)
            cr_assert_eq(kp_bbqr_joiner_add(j, NULL, lines[order[i]], lens[order[i]]), KP_OK, "%s", kp_error_detail());
        cr_assert_eq(kp_bbqr_joiner_encoding(j), 'Z');
        kp_buf b;
        kp_buf_init(&b, 0);
        char t;
        cr_assert_eq(kp_bbqr_joiner_finish(j, &b, &t), KP_OK, "%s", kp_error_detail());
        cr_assert_eq(t, 'U');
        /* what the upstream test asserts, and the start of the text it is */
        cr_assert(strstr((char *)b.data, "Zlib compressed") != NULL);
        cr_assert(strstr((char *)b.data, "PSBT") != NULL);
        cr_assert_eq(strncmp((char *)b.data, "# The BBQr Protocol", 19), 0);
        cr_assert_eq(b.len, 12518);
        kp_buf_release(&b);
        kp_bbqr_joiner_free(j);
    }
    free(text);
}
