/*
 * bbqr.c: BBQr frames (keyport_bbqr.h), written from the BBQr specification (coinkite/BBQr,
 * BBQr.md): split a file into frames, and join frames read in any order back into the file.
 * zlib gives the raw deflate stream of encoding 'Z' (window 2^10 when we compress, any window
 * when we inflate). The payloads are public or encrypted documents; buffers are wiped anyway.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <zlib.h>

#include "internal.h"

static const char B32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
static const char B36[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
static const char HEXU[] = "0123456789ABCDEF";

/* ISO/IEC 18004:2015 table 7, alphanumeric mode, error correction level L, versions 1..40 */
static const uint16_t ALNUM_L[40] = {
    25,   47,   77,   114,  154,  195,  224,  279,  335,  395,  468,  535,  619,  667,
    758,  854,  938,  1046, 1153, 1249, 1352, 1460, 1588, 1704, 1853, 1990, 2132, 2223,
    2369, 2520, 2677, 2840, 3009, 3183, 3351, 3537, 3729, 3927, 4087, 4296,
};

size_t kp_bbqr_version_chars(int version)
{
    return version >= 1 && version <= 40 ? ALNUM_L[version - 1] : 0;
}

static void wipe_free(void *p, size_t len)
{
    if (p) {
        sodium_memzero(p, len);
        free(p);
    }
}

static int b36_digit(char c)
{
    const char *p = c ? strchr(B36, c) : NULL;
    return p ? (int)(p - B36) : -1;
}

static int b32_digit(char c)
{
    const char *p = c ? strchr(B32, c) : NULL;
    return p ? (int)(p - B32) : -1;
}

static int hex_digit(char c)
{
    const char *p = c ? strchr(HEXU, c) : NULL;
    return p ? (int)(p - HEXU) : -1;
}

/* the characters of the base32 form of n bytes, without padding */
static size_t b32_chars(size_t n)
{
    return (n * 8 + 4) / 5;
}

static void b32_encode(char *out, const uint8_t *in, size_t n)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 5) {
            out[o++] = B32[(acc >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0) out[o++] = B32[(acc << (5 - bits)) & 31];
}

/* Decodes unpadded base32 (alphabet already checked) into out (len*5/8 bytes). */
static kp_status b32_decode(uint8_t *out, size_t *outlen, const char *s, size_t len)
{
    size_t rem = len % 8;
    if (rem == 1 || rem == 3 || rem == 6)
        return kp_fail(KP_ERR_BBQR, "the joined base32 data has %zu characters, which no byte count gives", len);
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int d = b32_digit(s[i]);
        if (d < 0) return kp_fail(KP_ERR_BBQR, "character %zu of the joined data is not base32", i + 1);
        acc = (acc << 5) | (uint32_t)d;
        bits += 5;
        if (bits >= 8) {
            out[o++] = (uint8_t)(acc >> (bits - 8));
            bits -= 8;
        }
        acc &= 0xff;
    }
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
        return kp_fail(KP_ERR_BBQR, "the last base32 character sets bits past the end of the data");
    *outlen = o;
    return KP_OK;
}

/* ---------------------------------------------------------------- split */

void kp_bbqr_frames_free(kp_bbqr_frames *f)
{
    if (!f) return;
    if (f->text)
        for (size_t i = 0; i < f->count; i++) wipe_free(f->text[i], f->len ? f->len[i] + 1 : 0);
    free(f->text);
    free(f->len);
    memset(f, 0, sizeof *f);
}

/* Raw deflate (window 2^10, as BBQr specifies). *out is malloc'd. */
static kp_status deflate_raw(uint8_t **out, size_t *outlen, const uint8_t *in, size_t len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 9, Z_DEFLATED, -10, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        return kp_fail(KP_ERR_INTERNAL, "zlib: deflateInit2 failed");
    size_t cap = deflateBound(&z, (uLong)len) + 16;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        deflateEnd(&z);
        return KP_ERR_NOMEM;
    }
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    z.next_out = buf;
    z.avail_out = (uInt)cap;
    int r = deflate(&z, Z_FINISH);
    size_t n = cap - z.avail_out;
    deflateEnd(&z);
    if (r != Z_STREAM_END) {
        wipe_free(buf, cap);
        return kp_fail(KP_ERR_INTERNAL, "zlib: deflate did not finish");
    }
    *out = buf;
    *outlen = n;
    return KP_OK;
}

kp_status kp_bbqr_split(kp_bbqr_frames *out, const uint8_t *data, size_t len, char file_type, int encoding,
                        size_t max_chars)
{
    KP_ARG_CHECK(NULL, out != NULL);
    memset(out, 0, sizeof *out);
    KP_ARG_CHECK(NULL, data != NULL || len == 0);
    KP_ARG_CHECK(NULL, max_chars >= KP_BBQR_HEADER_CHARS + 8);
    KP_ARG_CHECK(NULL, b36_digit(file_type) >= 0);
    KP_ARG_CHECK(NULL, encoding == KP_BBQR_AUTO || encoding == KP_BBQR_HEX || encoding == KP_BBQR_BASE32 ||
                           encoding == KP_BBQR_ZLIB);
    if (len == 0) return kp_fail(KP_ERR_EMPTY, "there is nothing to split: the file is empty");
    /* a file that needs more than 1295 frames of 4296 characters is refused below; this bound
     * only keeps the size arithmetic far from overflow */
    if (len > (size_t)1 << 28) return kp_fail(KP_ERR_TOO_LARGE, "the file is larger than 256 MiB");

    uint8_t *z = NULL;
    size_t zlen = 0, zcap = 0;
    if (encoding == KP_BBQR_AUTO || encoding == KP_BBQR_ZLIB) {
        kp_status st = deflate_raw(&z, &zlen, data, len);
        if (st != KP_OK) return st;
        zcap = zlen;
        if (encoding == KP_BBQR_AUTO) encoding = b32_chars(zlen) < b32_chars(len) ? KP_BBQR_ZLIB : KP_BBQR_BASE32;
    }
    const uint8_t *src = encoding == KP_BBQR_ZLIB ? z : data;
    size_t srclen = encoding == KP_BBQR_ZLIB ? zlen : len;
    size_t dlen = encoding == KP_BBQR_HEX ? srclen * 2 : b32_chars(srclen);
    char *d = malloc(dlen + 1);
    if (!d) {
        wipe_free(z, zcap);
        return KP_ERR_NOMEM;
    }
    if (encoding == KP_BBQR_HEX) {
        for (size_t i = 0; i < srclen; i++) {
            d[2 * i] = HEXU[src[i] >> 4];
            d[2 * i + 1] = HEXU[src[i] & 15];
        }
    } else {
        b32_encode(d, src, srclen);
    }
    wipe_free(z, zcap);

    size_t unit = encoding == KP_BBQR_HEX ? 2 : 8;
    size_t room = (max_chars - KP_BBQR_HEADER_CHARS) / unit * unit;
    size_t count = (dlen + room - 1) / room;
    kp_status st = KP_OK;
    if (count > KP_BBQR_MAX_FRAMES) {
        st = kp_fail(KP_ERR_TOO_LARGE, "the file needs %zu frames of %zu characters; BBQr has at most %d", count,
                     max_chars, KP_BBQR_MAX_FRAMES);
        goto done;
    }
    /* balanced: the same length for every frame but the last, a multiple of the unit */
    size_t per = (dlen + count - 1) / count;
    per = (per + unit - 1) / unit * unit;
    out->text = calloc(count, sizeof *out->text);
    out->len = calloc(count, sizeof *out->len);
    if (!out->text || !out->len) {
        st = KP_ERR_NOMEM;
        goto done;
    }
    out->count = count;
    out->encoding = (char)encoding;
    for (size_t i = 0; i < count; i++) {
        size_t off = i * per, n = i + 1 < count ? per : dlen - off;
        char *f = malloc(KP_BBQR_HEADER_CHARS + n + 1);
        if (!f) {
            st = KP_ERR_NOMEM;
            goto done;
        }
        f[0] = 'B';
        f[1] = '$';
        f[2] = (char)encoding;
        f[3] = file_type;
        f[4] = B36[count / 36];
        f[5] = B36[count % 36];
        f[6] = B36[i / 36];
        f[7] = B36[i % 36];
        memcpy(f + KP_BBQR_HEADER_CHARS, d + off, n);
        f[KP_BBQR_HEADER_CHARS + n] = 0;
        out->text[i] = f;
        out->len[i] = KP_BBQR_HEADER_CHARS + n;
    }
done:
    wipe_free(d, dlen + 1);
    if (st != KP_OK) kp_bbqr_frames_free(out);
    return st;
}

/* ---------------------------------------------------------------- join */

struct kp_bbqr_joiner {
    size_t max_bytes;
    char encoding, type;
    size_t count;     /* 0 until the first frame */
    size_t received;
    size_t chars;     /* data characters held */
    char **part;      /* data of each frame, upper case, NUL-terminated; NULL while missing */
    size_t *plen;
};

kp_status kp_bbqr_joiner_new(kp_bbqr_joiner **out, size_t max_bytes)
{
    KP_ARG_CHECK(NULL, out != NULL);
    *out = NULL;
    KP_ARG_CHECK(NULL, max_bytes >= 1);
    kp_bbqr_joiner *j = calloc(1, sizeof *j);
    if (!j) return KP_ERR_NOMEM;
    j->max_bytes = max_bytes;
    *out = j;
    return KP_OK;
}

void kp_bbqr_joiner_free(kp_bbqr_joiner *j)
{
    if (!j) return;
    if (j->part)
        for (size_t i = 0; i < j->count; i++) wipe_free(j->part[i], j->plen[i] + 1);
    free(j->part);
    free(j->plen);
    sodium_memzero(j, sizeof *j);
    free(j);
}

size_t kp_bbqr_joiner_count(const kp_bbqr_joiner *j)
{
    return j ? j->count : 0;
}

size_t kp_bbqr_joiner_received(const kp_bbqr_joiner *j)
{
    return j ? j->received : 0;
}

int kp_bbqr_joiner_has(const kp_bbqr_joiner *j, size_t index)
{
    return j && index < j->count && j->part[index] != NULL;
}

size_t kp_bbqr_joiner_missing(const kp_bbqr_joiner *j, size_t *out, size_t cap)
{
    size_t n = 0;
    if (!j) return 0;
    for (size_t i = 0; i < j->count; i++)
        if (!j->part[i]) {
            if (out && n < cap) out[n] = i;
            n++;
        }
    return n;
}

int kp_bbqr_joiner_complete(const kp_bbqr_joiner *j)
{
    return j && j->count > 0 && j->received == j->count;
}

char kp_bbqr_joiner_file_type(const kp_bbqr_joiner *j)
{
    return j ? j->type : 0;
}

char kp_bbqr_joiner_encoding(const kp_bbqr_joiner *j)
{
    return j ? j->encoding : 0;
}

static kp_status refuse(kp_bbqr_add_result *result, kp_bbqr_add_result r, kp_status st)
{
    if (result) *result = r;
    return st;
}

/* The length every frame but the last has, from the frames held (0: none held yet). */
static size_t body_len(const kp_bbqr_joiner *j)
{
    for (size_t i = 0; i + 1 < j->count; i++)
        if (j->part[i]) return j->plen[i];
    return 0;
}

kp_status kp_bbqr_joiner_add(kp_bbqr_joiner *j, kp_bbqr_add_result *result, const char *text, size_t len)
{
    KP_ARG_CHECK(NULL, j != NULL && (text != NULL || len == 0));
    if (result) *result = KP_BBQR_BAD_FRAME;
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' ' || text[len - 1] == '\t'))
        len--;
    if (len == 0) return kp_fail(KP_ERR_BBQR, "the frame is empty");
    char h[KP_BBQR_HEADER_CHARS];
    for (size_t i = 0; i < KP_BBQR_HEADER_CHARS && i < len; i++)
        h[i] = (text[i] >= 'a' && text[i] <= 'z') ? (char)(text[i] - 32) : text[i];
    if (len < 2 || h[0] != 'B' || h[1] != '$')
        return kp_fail(KP_ERR_BBQR, "not a BBQr frame: it does not start with \"B$\"");
    if (len < KP_BBQR_HEADER_CHARS)
        return kp_fail(KP_ERR_BBQR, "the frame is %zu characters long, shorter than the 8-character BBQr header", len);
    char enc = h[2], type = h[3];
    if (enc != KP_BBQR_HEX && enc != KP_BBQR_BASE32 && enc != KP_BBQR_ZLIB)
        return kp_fail(KP_ERR_BBQR, "header character 3 is the encoding and must be H, 2 or Z, not 0x%02x",
                       (unsigned)(unsigned char)enc);
    if (b36_digit(type) < 0)
        return kp_fail(KP_ERR_BBQR, "header character 4 is the file type and must be a letter or digit, not 0x%02x",
                       (unsigned)(unsigned char)type);
    int c1 = b36_digit(h[4]), c0 = b36_digit(h[5]), i1 = b36_digit(h[6]), i0 = b36_digit(h[7]);
    if (c1 < 0 || c0 < 0) return kp_fail(KP_ERR_BBQR, "header characters 5-6 (the frame count) are not base36");
    if (i1 < 0 || i0 < 0) return kp_fail(KP_ERR_BBQR, "header characters 7-8 (the frame index) are not base36");
    size_t count = (size_t)(c1 * 36 + c0), index = (size_t)(i1 * 36 + i0);
    if (count == 0) return kp_fail(KP_ERR_BBQR, "the header says the file has 0 frames");
    if (index >= count)
        return kp_fail(KP_ERR_BBQR, "the header says frame %zu of %zu, but frames count from 0 to %zu", index, count,
                       count - 1);
    const char *data = text + KP_BBQR_HEADER_CHARS;
    size_t dlen = len - KP_BBQR_HEADER_CHARS;
    if (dlen == 0) return kp_fail(KP_ERR_BBQR, "frame %zu of %zu holds no data after its header", index + 1, count);
    for (size_t i = 0; i < dlen; i++) {
        char c = (data[i] >= 'a' && data[i] <= 'z') ? (char)(data[i] - 32) : data[i];
        if ((enc == KP_BBQR_HEX ? hex_digit(c) : b32_digit(c)) < 0)
            return kp_fail(KP_ERR_BBQR, "frame %zu of %zu: data character %zu is not %s", index + 1, count, i + 1,
                           enc == KP_BBQR_HEX ? "hex" : "base32");
    }
    int last = index + 1 == count;
    if (enc == KP_BBQR_HEX && dlen % 2)
        return kp_fail(KP_ERR_BBQR, "frame %zu of %zu: hex data of odd length %zu", index + 1, count, dlen);
    if (enc != KP_BBQR_HEX && !last && dlen % 8)
        return kp_fail(KP_ERR_BBQR, "frame %zu of %zu: base32 data of %zu characters, not a multiple of 8", index + 1,
                       count, dlen);

    if (j->count) {
        if (enc != j->encoding || type != j->type || count != j->count)
            return refuse(result, KP_BBQR_MISMATCH,
                          kp_fail(KP_ERR_BBQR_MISMATCH,
                                  "frame %zu says encoding %c, type %c, %zu frames; earlier frames said %c, %c, %zu",
                                  index + 1, enc, type, count, j->encoding, j->type, j->count));
        if (j->part[index]) {
            int same = j->plen[index] == dlen;
            for (size_t i = 0; same && i < dlen; i++) {
                char c = (data[i] >= 'a' && data[i] <= 'z') ? (char)(data[i] - 32) : data[i];
                same = c == j->part[index][i];
            }
            if (same) return refuse(result, KP_BBQR_DUPLICATE, KP_OK);
            return refuse(result, KP_BBQR_CONFLICT,
                          kp_fail(KP_ERR_BBQR_MISMATCH,
                                  "frame %zu of %zu was read before with other data: two files are mixed up",
                                  index + 1, count));
        }
        size_t body = body_len(j);
        if (!last && body && dlen != body)
            return refuse(result, KP_BBQR_MISMATCH,
                          kp_fail(KP_ERR_BBQR_MISMATCH,
                                  "frame %zu of %zu holds %zu data characters, the frames before held %zu", index + 1,
                                  count, dlen, body));
        if (!last && j->part[count - 1] && j->plen[count - 1] > dlen)
            return refuse(result, KP_BBQR_MISMATCH,
                          kp_fail(KP_ERR_BBQR_MISMATCH,
                                  "frame %zu of %zu holds %zu data characters, fewer than the last frame's %zu",
                                  index + 1, count, dlen, j->plen[count - 1]));
        if (last && body && dlen > body)
            return refuse(result, KP_BBQR_MISMATCH,
                          kp_fail(KP_ERR_BBQR_MISMATCH,
                                  "the last frame holds %zu data characters, more than the other frames' %zu", dlen,
                                  body));
    }
    /* a generous bound on the data that max_bytes could need (hex: 2 characters a byte;
     * deflate never grows a file by more than 5 bytes per 16 KiB stored block plus a few) */
    size_t limit = j->max_bytes > (SIZE_MAX - 64) / 4 ? SIZE_MAX : (j->max_bytes + j->max_bytes / 16 + 64) * 2;
    if (j->chars + dlen > limit)
        return refuse(result, KP_BBQR_BAD_FRAME,
                      kp_fail(KP_ERR_TOO_LARGE, "the frames hold more data than a file of %zu bytes could need",
                              j->max_bytes));

    char *p = malloc(dlen + 1);
    if (!p) return refuse(result, KP_BBQR_BAD_FRAME, KP_ERR_NOMEM);
    for (size_t i = 0; i < dlen; i++) p[i] = (data[i] >= 'a' && data[i] <= 'z') ? (char)(data[i] - 32) : data[i];
    p[dlen] = 0;
    if (!j->count) {
        j->part = calloc(count, sizeof *j->part);
        j->plen = calloc(count, sizeof *j->plen);
        if (!j->part || !j->plen) {
            free(j->part);
            free(j->plen);
            j->part = NULL;
            j->plen = NULL;
            wipe_free(p, dlen + 1);
            return refuse(result, KP_BBQR_BAD_FRAME, KP_ERR_NOMEM);
        }
        j->count = count;
        j->encoding = enc;
        j->type = type;
    }
    j->part[index] = p;
    j->plen[index] = dlen;
    j->received++;
    j->chars += dlen;
    kp_clear_error();
    return refuse(result, KP_BBQR_ACCEPTED, KP_OK);
}

/* Inflates a raw deflate stream (any window) into out, at most max bytes. */
static kp_status inflate_raw(kp_buf *out, const uint8_t *in, size_t len, size_t max)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, -15) != Z_OK) return kp_fail(KP_ERR_INTERNAL, "zlib: inflateInit2 failed");
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    uint8_t chunk[16384];
    kp_status st = KP_OK;
    size_t total = 0;
    for (;;) {
        z.next_out = chunk;
        z.avail_out = sizeof chunk;
        int r = inflate(&z, Z_NO_FLUSH);
        size_t n = sizeof chunk - z.avail_out;
        if (n) {
            if (total + n > max) {
                st = kp_fail(KP_ERR_TOO_LARGE, "the joined file inflates to more than %zu bytes", max);
                break;
            }
            if ((st = kp_buf_add(out, chunk, n)) != KP_OK) break;
            total += n;
        }
        if (r == Z_STREAM_END) {
            if (z.avail_in != 0)
                st = kp_fail(KP_ERR_BBQR, "%u bytes follow the end of the deflate stream", (unsigned)z.avail_in);
            break;
        }
        if (r == Z_BUF_ERROR && z.avail_in == 0) {
            st = kp_fail(KP_ERR_BBQR, "the deflate stream is truncated");
            break;
        }
        if (r != Z_OK && r != Z_BUF_ERROR) {
            st = kp_fail(KP_ERR_BBQR, "the deflate stream is broken (zlib: %s)", z.msg ? z.msg : "error");
            break;
        }
    }
    inflateEnd(&z);
    sodium_memzero(chunk, sizeof chunk);
    return st;
}

kp_status kp_bbqr_joiner_finish(kp_bbqr_joiner *j, kp_buf *out, char *file_type)
{
    KP_ARG_CHECK(NULL, j != NULL && out != NULL);
    if (file_type) *file_type = 0;
    if (!j->count) return kp_fail(KP_ERR_NOT_ENOUGH, "no BBQr frame has been read yet");
    if (j->received < j->count) {
        size_t first[5];
        size_t n = kp_bbqr_joiner_missing(j, first, 5);
        char list[80] = "";
        size_t at = 0;
        for (size_t i = 0; i < n && i < 5; i++)
            at += (size_t)snprintf(list + at, sizeof list - at, "%s%zu", i ? ", " : "", first[i] + 1);
        return kp_fail(KP_ERR_NOT_ENOUGH, "%zu of %zu frames are missing: %s%s", n, j->count, list, n > 5 ? ", ..." : "");
    }
    size_t orig = out->len;
    char *all = malloc(j->chars + 1);
    if (!all) return KP_ERR_NOMEM;
    size_t o = 0;
    for (size_t i = 0; i < j->count; i++) {
        memcpy(all + o, j->part[i], j->plen[i]);
        o += j->plen[i];
    }
    all[o] = 0;
    kp_status st = KP_OK;
    size_t rawcap = j->encoding == KP_BBQR_HEX ? o / 2 : o * 5 / 8;
    uint8_t *raw = malloc(rawcap + 1);
    size_t rawlen = 0;
    if (!raw) {
        st = KP_ERR_NOMEM;
        goto done;
    }
    if (j->encoding == KP_BBQR_HEX) {
        for (size_t i = 0; i < o / 2; i++)
            raw[i] = (uint8_t)(hex_digit(all[2 * i]) << 4 | hex_digit(all[2 * i + 1]));
        rawlen = o / 2;
    } else if ((st = b32_decode(raw, &rawlen, all, o)) != KP_OK) {
        goto done;
    }
    if (j->encoding == KP_BBQR_ZLIB) {
        st = inflate_raw(out, raw, rawlen, j->max_bytes);
    } else if (rawlen > j->max_bytes) {
        st = kp_fail(KP_ERR_TOO_LARGE, "the joined file has %zu bytes, more than %zu", rawlen, j->max_bytes);
    } else {
        st = kp_buf_add(out, raw, rawlen);
    }
    if (st == KP_OK && out->len == orig) st = kp_fail(KP_ERR_BBQR, "the joined file is empty");
done:
    if (st != KP_OK && out->len > orig) {
        sodium_memzero(out->data + orig, out->len - orig);
        out->len = orig;
        out->data[orig] = 0;
    }
    wipe_free(raw, rawcap + 1);
    wipe_free(all, j->chars + 1);
    if (st == KP_OK && file_type) *file_type = j->type;
    return st;
}
