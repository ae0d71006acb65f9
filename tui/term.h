/*
 * term.h: the terminal. Every curses call of keyport-ceremony is in term.c; the screens draw
 * through these functions only.
 */
#ifndef KP_TUI_TERM_H
#define KP_TUI_TERM_H

#include <stddef.h>

enum {
    TK_NONE = -1, /* the timeout passed */
    TK_ENTER = 0x110000, TK_ESC, TK_BACKSPACE, TK_TAB, TK_UP, TK_DOWN, TK_LEFT, TK_RIGHT, TK_F1, TK_RESIZE,
    TK_CTRL_C, TK_CTRL_L
};

enum { TA_NORMAL = 0, TA_BOLD = 1, TA_REVERSE = 2, TA_ALERT = 4, TA_DIM = 8 };

/* Starts curses (the alternate screen where the terminal has one). Returns 0 or -1. */
int term_open(void);
/* Erases every window, leaves curses, erases the scrollback where the terminal can (E3), and
 * on a terminal without an alternate screen (the Linux console) leaves the screen erased. */
void term_close(void);
int term_is_open(void);
void term_size(int *rows, int *cols);
void term_clear(void);
/* UTF-8 text at (y, x), cut at the right edge. */
void term_put(int y, int x, int attr, const char *text);
void term_cursor(int y, int x, int visible);
void term_refresh(void);
/* Waits up to timeout_ms (-1: forever) for a key: a Unicode code point or a TK_ code. */
int term_key(int timeout_ms);
/* Whether the terminal has an alternate screen (smcup). */
int term_has_alternate(void);

#endif
