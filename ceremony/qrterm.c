/*
 * qrterm.c: a QR code as lines of half-block characters (qrterm.h), with libqrencode.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>

#include "qrterm.h"

void kp_qrterm_size(int version, int quiet, int *cols, int *rows)
{
    int n = 17 + 4 * version + 2 * quiet;
    *cols = n;
    *rows = (n + 1) / 2;
}

int kp_qrterm_fit(int cols, int rows, int quiet, int max_version)
{
    for (int v = max_version > 40 ? 40 : max_version; v >= 1; v--) {
        int c, r;
        kp_qrterm_size(v, quiet, &c, &r);
        if (c <= cols && r <= rows) return v;
    }
    return 0;
}

void kp_qrterm_free(kp_qrterm *q)
{
    if (q->line)
        for (int i = 0; i < q->rows; i++) free(q->line[i]);
    free(q->line);
    memset(q, 0, sizeof *q);
}

int kp_qrterm_render(kp_qrterm *out, const char *text, int min_version, int exact, int quiet, int invert)
{
    memset(out, 0, sizeof *out);
    QRcode *qr = QRcode_encodeString(text, min_version, QR_ECLEVEL_L, QR_MODE_8, 1);
    if (qr == NULL) {
        if (errno != ENOMEM) errno = ERANGE;
        return -1;
    }
    if (exact && qr->version != min_version) {
        QRcode_free(qr);
        errno = ERANGE;
        return -1;
    }
    int w = qr->width, n = w + 2 * quiet;
    out->version = qr->version;
    out->cols = n;
    out->rows = (n + 1) / 2;
    out->line = calloc((size_t)out->rows, sizeof *out->line);
    if (out->line == NULL) goto nomem;
    for (int r = 0; r < out->rows; r++) {
        char *p = malloc((size_t)n * 3 + 1);
        if (p == NULL) goto nomem;
        out->line[r] = p;
        for (int c = 0; c < n; c++) {
            int ink[2]; /* draw the foreground: a light module, or a dark one when inverted */
            for (int k = 0; k < 2; k++) {
                int y = 2 * r + k - quiet, x = c - quiet;
                /* below the last module row (an odd size): the terminal's own background */
                if (2 * r + k >= n) ink[k] = 0;
                else if (y < 0 || y >= w || x < 0 || x >= w) ink[k] = !invert;
                else ink[k] = !(qr->data[y * w + x] & 1) != !!invert;
            }
            if (ink[0] && ink[1]) {
                memcpy(p, "\xe2\x96\x88", 3), p += 3;
            } else if (ink[0]) {
                memcpy(p, "\xe2\x96\x80", 3), p += 3;
            } else if (ink[1]) {
                memcpy(p, "\xe2\x96\x84", 3), p += 3;
            } else {
                *p++ = ' ';
            }
        }
        *p = 0;
    }
    QRcode_free(qr);
    return 0;
nomem:
    QRcode_free(qr);
    kp_qrterm_free(out);
    errno = ENOMEM;
    return -1;
}
