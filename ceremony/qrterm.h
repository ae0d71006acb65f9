/*
 * qrterm.h: a QR code drawn as terminal text, for `keyport qr show` and keyport-ceremony.
 *
 * No curses and no output here: the code becomes lines of UTF-8 text that the caller prints or
 * hands to its screen module. Each character cell holds two modules, one above the other, with
 * the half-block characters U+2580 (upper), U+2584 (lower) and U+2588 (full) drawn for LIGHT
 * modules and a space for dark ones, so the code reads right on a terminal with a dark background
 * (light text on dark, the Linux console's and most emulators' default); invert != 0 swaps them
 * for a light background. The quiet zone (light modules around the code) is drawn too, since the
 * terminal around the code is dark.
 */
#ifndef KP_QRTERM_H
#define KP_QRTERM_H

#include <stddef.h>

/* The quiet zone drawn when the caller has no reason to choose: the standard asks for 4
 * modules; 2 keeps version 5 inside 80x24 and every scanner tried reads it. */
#define KP_QRTERM_QUIET 2

typedef struct kp_qrterm {
    int version;  /* the QR version drawn */
    int cols;     /* characters per line (modules across, quiet zone included) */
    int rows;     /* lines */
    char **line;  /* rows NUL-terminated UTF-8 lines, each cols characters wide */
} kp_qrterm;

/* The characters across and the lines a code of this version takes with this quiet zone. */
void kp_qrterm_size(int version, int quiet, int *cols, int *rows);
/* The largest version, at most max_version, whose code fits in cols x rows; 0 when none does. */
int kp_qrterm_fit(int cols, int rows, int quiet, int max_version);
/* Draws text (QR alphanumeric or any bytes; error correction level L) as a code of at least
 * version min_version (1..40; 0: the smallest that holds it). Returns 0, or -1 with errno set
 * (ERANGE: the text does not fit a version-40 code, or not one of exactly min_version when
 * exact != 0; ENOMEM). */
int kp_qrterm_render(kp_qrterm *out, const char *text, int min_version, int exact, int quiet, int invert);
/* Frees the lines and zeroes *q. */
void kp_qrterm_free(kp_qrterm *q);

#endif
