/* Fuzz target: the BBQr joiner (bbqr.c). The input is frames, one a line. Checked: every status
 * is one that kp_bbqr_joiner_add documents and agrees with its result; the counts agree with the
 * missing list; the same lines fed in reverse order join to the same file or fail the same way
 * (order does not matter); a joined file split again and joined comes back unchanged. */
#include <string.h>

#include "fuzz_common.h"

#define MAX_BYTES (256u << 10)

static kp_status join(kp_buf *out, char *type, int *refused, const uint8_t *data, size_t size, int reverse)
{
    *refused = 0;
    kp_bbqr_joiner *j;
    if (kp_bbqr_joiner_new(&j, MAX_BYTES) != KP_OK) abort();
    const char *s = (const char *)data, *end = s + size;
    /* the lines, front to back or back to front */
    size_t nlines = 0, starts[512], lens[512];
    for (const char *p = s; p < end && nlines < 512;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        starts[nlines] = (size_t)(p - s);
        lens[nlines++] = n;
        p += n + 1;
    }
    for (size_t k = 0; k < nlines; k++) {
        size_t i = reverse ? nlines - 1 - k : k;
        size_t before = kp_bbqr_joiner_received(j);
        kp_bbqr_add_result r = 0;
        kp_status st = kp_bbqr_joiner_add(j, &r, s + starts[i], lens[i]);
        switch (st) {
        case KP_OK:
            if (r != KP_BBQR_ACCEPTED && r != KP_BBQR_DUPLICATE) abort();
            if (kp_bbqr_joiner_received(j) != before + (r == KP_BBQR_ACCEPTED)) abort();
            break;
        case KP_ERR_BBQR:
            if (r != KP_BBQR_BAD_FRAME) abort();
            break;
        case KP_ERR_BBQR_MISMATCH:
            if (r != KP_BBQR_CONFLICT && r != KP_BBQR_MISMATCH) abort();
            break;
        case KP_ERR_TOO_LARGE:
            break;
        default:
            abort();
        }
        if (st != KP_OK && kp_bbqr_joiner_received(j) != before) abort();
        if (st != KP_OK && st != KP_ERR_BBQR) *refused = 1;
        size_t count = kp_bbqr_joiner_count(j);
        if (kp_bbqr_joiner_missing(j, NULL, 0) + kp_bbqr_joiner_received(j) != count) abort();
        if (kp_bbqr_joiner_complete(j) != (count > 0 && kp_bbqr_joiner_received(j) == count)) abort();
    }
    kp_status st = kp_bbqr_joiner_finish(j, out, type);
    kp_bbqr_joiner_free(j);
    return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kp_buf a, b;
    kp_buf_init(&a, 0);
    kp_buf_init(&b, 0);
    char ta = 0, tb = 0;
    int ra, rb;
    kp_status sa = join(&a, &ta, &ra, data, size, 0);
    kp_status sb = join(&b, &tb, &rb, data, size, 1);
    if (sa != KP_OK && a.len != 0) abort();
    /* with no frame refused for not fitting the others, the order cannot matter */
    if (!ra && !rb && (sa != sb || a.len != b.len || (a.len && memcmp(a.data, b.data, a.len) != 0) || ta != tb))
        abort();
    if (sa == KP_OK) {
        kp_bbqr_frames f;
        if (kp_bbqr_split(&f, a.data, a.len, ta, KP_BBQR_AUTO, 300) != KP_OK) abort();
        kp_bbqr_joiner *j;
        if (kp_bbqr_joiner_new(&j, MAX_BYTES) != KP_OK) abort();
        for (size_t i = f.count; i-- > 0;)
            if (kp_bbqr_joiner_add(j, NULL, f.text[i], f.len[i]) != KP_OK) abort();
        kp_buf c;
        kp_buf_init(&c, 0);
        char tc;
        if (kp_bbqr_joiner_finish(j, &c, &tc) != KP_OK || tc != ta || c.len != a.len ||
            memcmp(c.data, a.data, a.len) != 0)
            abort();
        kp_buf_release(&c);
        kp_bbqr_joiner_free(j);
        kp_bbqr_frames_free(&f);
    }
    kp_buf_release(&a);
    kp_buf_release(&b);
    return 0;
}
