/* term.c: see term.h. The only module that calls curses. */
#define _XOPEN_SOURCE_EXTENDED 1
#define _DEFAULT_SOURCE 1
#include <curses.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <term.h>
#include <wchar.h>

#include "term.h"

static int is_open;
static volatile sig_atomic_t resized;

static void on_winch(int sig)
{
    (void)sig;
    resized = 1;
}

/* A resize: the new size from the terminal, and curses told of it. */
static int take_resize(void)
{
    if (!resized) return 0;
    resized = 0;
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0) resizeterm(ws.ws_row, ws.ws_col);
    return 1;
}
static int alt_screen;

int term_open(void)
{
    /* the size from the terminal (TIOCGWINSZ), never from LINES/COLUMNS, so that resizes follow */
    unsetenv("LINES");
    unsetenv("COLUMNS");
    if (initscr() == NULL) return -1;
    /* our own SIGWINCH handler, which only sets a flag (one inherited as ignored is replaced too) */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_winch;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGWINCH, &sa, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGWINCH);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    is_open = 1;
    const char *smcup = tigetstr("smcup");
    alt_screen = smcup != NULL && smcup != (char *)-1 && smcup[0] != 0;
    raw(); /* Ctrl-C is a key here: the app asks before quitting */
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    if (has_colors()) {
        start_color();
        use_default_colors();
        init_pair(1, COLOR_RED, -1);
    }
    return 0;
}

int term_is_open(void)
{
    return is_open;
}

int term_has_alternate(void)
{
    return alt_screen;
}

void term_close(void)
{
    if (!is_open) return;
    /* every window erased before leaving it, so no secret stays on either screen */
    wclear(stdscr);
    wrefresh(stdscr);
    curs_set(1);
    endwin();
    is_open = 0;
    const char *e3 = tigetstr("E3");
    if (e3 != NULL && e3 != (char *)-1) putp(e3);
    else fputs("\033[3J", stdout); /* xterm's erase-scrollback; ignored where unknown */
    if (!alt_screen) {
        const char *cl = tigetstr("clear");
        if (cl != NULL && cl != (char *)-1) putp(cl);
        else fputs("\033[H\033[2J", stdout);
    }
    fflush(stdout);
}

void term_size(int *rows, int *cols)
{
    getmaxyx(stdscr, *rows, *cols);
}

void term_clear(void)
{
    werase(stdscr);
}

void term_put(int y, int x, int attr, const char *text)
{
    int rows, cols;
    getmaxyx(stdscr, rows, cols);
    if (y < 0 || y >= rows || x >= cols) return;
    attr_t a = A_NORMAL;
    if (attr & TA_BOLD) a |= A_BOLD;
    if (attr & TA_REVERSE) a |= A_REVERSE;
    if (attr & TA_DIM) a |= A_DIM;
    if ((attr & TA_ALERT) && has_colors()) a |= COLOR_PAIR(1) | A_BOLD;
    else if (attr & TA_ALERT) a |= A_BOLD;
    attron(a);
    wchar_t wbuf[512];
    mbstate_t st;
    memset(&st, 0, sizeof st);
    const char *p = text;
    size_t n = mbsrtowcs(wbuf, &p, sizeof wbuf / sizeof *wbuf - 1, &st);
    if (n == (size_t)-1) {
        mvaddnstr(y, x, text, cols - x);
    } else {
        wbuf[n] = 0;
        mvaddnwstr(y, x, wbuf, cols - x);
    }
    attroff(a);
}

void term_cursor(int y, int x, int visible)
{
    if (visible) move(y, x);
    curs_set(visible ? 1 : 0);
}

void term_refresh(void)
{
    refresh();
}

int term_key(int timeout_ms)
{
    wint_t ch;
    if (take_resize()) return TK_RESIZE;
    timeout(timeout_ms);
    int r = get_wch(&ch);
    if (take_resize()) return TK_RESIZE;
    if (r == ERR) return TK_NONE;
    if (r == KEY_CODE_YES) {
        switch (ch) {
        case KEY_ENTER: return TK_ENTER;
        case KEY_BACKSPACE: return TK_BACKSPACE;
        case KEY_UP: return TK_UP;
        case KEY_DOWN: return TK_DOWN;
        case KEY_LEFT: return TK_LEFT;
        case KEY_RIGHT: return TK_RIGHT;
        case KEY_F(1): return TK_F1;
        case KEY_RESIZE: return TK_RESIZE;
        default: return TK_NONE;
        }
    }
    switch (ch) {
    case '\r': case '\n': return TK_ENTER;
    case 27: return TK_ESC;
    case 127: case 8: return TK_BACKSPACE;
    case '\t': return TK_TAB;
    case 3: return TK_CTRL_C;
    case 12: return TK_CTRL_L;
    default: return ch < 32 ? TK_NONE : (int)ch;
    }
}
