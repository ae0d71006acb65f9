/*
 * app.c: keyport-ceremony, the full-screen app that walks a quorum of operators through the
 * ceremonies of ceremony/engine.h on an air-gapped machine. The screens are a table of
 * operations and a stack; the keys and their help come from one table; every curses call is in
 * term.c; the cryptography and the files are the engine's.
 *
 * Exit codes: 0 done, 2 usage (or stdin/stdout not a terminal), 1 the terminal could not be
 * set up, 128+N after signal N (SIGTERM, SIGHUP, SIGINT: secrets wiped, terminal restored).
 */
#include <ifaddrs.h>
#include <langinfo.h>
#include <locale.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "io.h"
#include "term.h"

#define MIN_ROWS 24
#define MIN_COLS 80
#define INPUT_MAX 1024
#define REVEAL_SECONDS 5

/* ------------------------------------------------------------------ the keys and their help */

enum { K_GLOBAL = 1, K_TEXT = 2, K_CHOICE = 4, K_REVIEW = 8, K_BATON = 16, K_WORDS = 32, K_MENU = 64 };
static const struct key_help {
    const char *key, *help;
    unsigned where;
} KEYS[] = {
    {"F1", "help", K_GLOBAL},
    {"Ctrl-C", "quit (asks first)", K_GLOBAL},
    {"Esc", "back", K_TEXT | K_CHOICE | K_REVIEW | K_WORDS},
    {"Enter", "take it", K_TEXT | K_CHOICE | K_REVIEW | K_MENU},
    {"Up/Down", "choose", K_CHOICE | K_MENU},
    {"Tab", "complete the word", K_WORDS},
    {"Enter", "next word; after the last: done", K_WORDS},
    {"Enter", "I am at the keyboard", K_BATON},
    {"s", "skip this operator", K_BATON},
};

/* ------------------------------------------------------------------ state */

static volatile sig_atomic_t got_signal;
static void on_signal(int sig)
{
    got_signal = sig;
}

typedef struct app app;
typedef struct screen_ops {
    const char *name;
    unsigned keys; /* K_ of the footer */
    void (*draw)(app *a);
    void (*key)(app *a, int k);
} screen_ops;

enum { SCR_PREFLIGHT, SCR_MENU, SCR_STEP, SCR_QUIT, SCR_HELP, SCR_COUNT };

struct app {
    kp_ctx *ctx;
    kp_cer_options opt;
    kp_ceremony *cer;
    int stack[8];
    int depth;
    int running;
    int sel;
    char *input; /* secure: what is typed (a secret, a word) */
    size_t inlen;
    char *words; /* secure: the mnemonic so far */
    size_t wordslen;
    int nwords;
    char error[1024];
    char note[256];
    char ifaces[256];
    int reveal_shown;
};

static const screen_ops SCREENS[SCR_COUNT];

static void push(app *a, int s)
{
    if (a->depth < (int)(sizeof a->stack / sizeof *a->stack)) a->stack[a->depth++] = s;
}

static void pop(app *a)
{
    if (a->depth > 1) a->depth--;
}

static int top(const app *a)
{
    return a->stack[a->depth - 1];
}

static void clear_input(app *a)
{
    kp_memzero(a->input, INPUT_MAX + 8);
    a->inlen = 0;
}

static void clear_words(app *a)
{
    kp_memzero(a->words, INPUT_MAX + 8);
    a->wordslen = 0;
    a->nwords = 0;
}

static void error_sink(int code, const char *msg, void *data)
{
    app *a = data;
    (void)code;
    snprintf(a->error, sizeof a->error, "%s", msg);
}

/* ------------------------------------------------------------------ drawing helpers */

static void frame(app *a, const char *title)
{
    int rows, cols;
    term_size(&rows, &cols);
    term_clear();
    char head[300];
    snprintf(head, sizeof head, " keyport-ceremony  %s", title);
    char bar[512];
    snprintf(bar, sizeof bar, "%-*.*s", cols, cols, head);
    term_put(0, 0, TA_REVERSE, bar);
    /* the footer: the keys of this screen, from the one table */
    char foot[512] = "";
    size_t n = 0;
    unsigned where = SCREENS[top(a)].keys | K_GLOBAL;
    if (top(a) == SCR_STEP) {
        kp_step_kind k = kp_cer_step(a->cer)->kind;
        where = K_GLOBAL | (k == KP_STEP_CHOICE || k == KP_STEP_REVEAL ? K_CHOICE
                            : k == KP_STEP_BATON                     ? K_BATON
                            : k == KP_STEP_MNEMONIC                  ? K_WORDS
                            : k == KP_STEP_REVIEW || k == KP_STEP_DONE ? K_REVIEW
                                                                     : K_TEXT);
    }
    for (size_t i = 0; i < sizeof KEYS / sizeof *KEYS; i++)
        if (KEYS[i].where & where) n += (size_t)snprintf(foot + n, sizeof foot - n, " %s %s ", KEYS[i].key, KEYS[i].help);
    snprintf(bar, sizeof bar, "%-*.*s", cols, cols, foot);
    term_put(rows - 1, 0, TA_REVERSE, bar);
    if (a->error[0]) term_put(rows - 3, 2, TA_ALERT, a->error);
    else if (a->note[0]) term_put(rows - 3, 2, TA_BOLD, a->note);
}

/* Lines of text from y on, one per '\n'. Returns the next row. */
static int put_lines(int y, int x, int attr, const char *text, int max_row)
{
    char line[512];
    while (*text && y < max_row) {
        const char *nl = strchr(text, '\n');
        size_t n = nl ? (size_t)(nl - text) : strlen(text);
        snprintf(line, sizeof line, "%.*s", (int)n, text);
        term_put(y++, x, attr, line);
        text += n + (nl ? 1 : 0);
    }
    return y;
}

/* ------------------------------------------------------------------ preflight */

static void draw_preflight(app *a)
{
    int rows, cols;
    term_size(&rows, &cols);
    frame(a, "preflight");
    char line[400], t[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(t, sizeof t, "%Y-%m-%d %H:%M:%S UTC", &tm);
    const char *cs = nl_langinfo(CODESET);
    int y = 2;
    term_put(y++, 2, TA_BOLD, "Before the ceremony");
    y++;
    snprintf(line, sizeof line, "terminal      %d x %d (at least %d x %d)", cols, rows, MIN_COLS, MIN_ROWS);
    term_put(y++, 4, 0, line);
    snprintf(line, sizeof line, "locale        %s (%s)", setlocale(LC_CTYPE, NULL), cs);
    term_put(y++, 4, strcmp(cs, "UTF-8") == 0 ? 0 : TA_ALERT, line);
    snprintf(line, sizeof line, "clock         %s", t);
    term_put(y++, 4, 0, line);
    term_put(y++, 4, 0, "              compare it with a watch: approvals carry this time");
    y++;
    if (a->ifaces[0]) {
        snprintf(line, sizeof line, "WARNING: network interfaces are up: %s", a->ifaces);
        term_put(y++, 4, TA_ALERT, line);
        term_put(y++, 4, TA_ALERT, "         an air-gapped machine has none; take them down first.");
    } else {
        term_put(y++, 4, 0, "network       no interface but loopback is up");
    }
    if (strcmp(cs, "UTF-8") != 0) term_put(y++, 4, TA_ALERT, "WARNING: the locale is not UTF-8; names may show wrongly");
    y++;
    term_put(y++, 2, TA_BOLD, "Enter if the clock is right.");
}

static void key_preflight(app *a, int k)
{
    if (k == TK_ENTER) {
        a->depth = 0;
        push(a, SCR_MENU);
    }
}

/* ------------------------------------------------------------------ menu */

static void draw_menu(app *a)
{
    frame(a, "choose a ceremony");
    int y = 2;
    term_put(y++, 2, TA_BOLD, "Which ceremony?");
    y++;
    for (int i = 0; i <= KP_CER_COUNT; i++) {
        char line[128];
        snprintf(line, sizeof line, " %d  %s ", i + 1, i < KP_CER_COUNT ? kp_cer_name((kp_cer_kind)i) : "Quit");
        term_put(y++, 4, i == a->sel ? TA_REVERSE : 0, line);
    }
}

static void start_ceremony(app *a, int i)
{
    kp_cer_free(a->cer);
    a->cer = NULL;
    a->error[0] = 0;
    if (kp_cer_new(&a->cer, a->ctx, (kp_cer_kind)i, &a->opt) == KP_EXIT_OK) {
        clear_input(a);
        clear_words(a);
        a->sel = 0;
        push(a, SCR_STEP);
    }
}

static void key_menu(app *a, int k)
{
    if (k == TK_UP && a->sel > 0) a->sel--;
    else if (k == TK_DOWN && a->sel < KP_CER_COUNT) a->sel++;
    else if (k >= '1' && k <= '1' + KP_CER_COUNT) a->sel = k - '1';
    else if (k == TK_ENTER) {
        if (a->sel == KP_CER_COUNT) a->running = 0;
        else start_ceremony(a, a->sel);
    }
}

/* ------------------------------------------------------------------ a ceremony's step */

static void draw_step(app *a)
{
    int rows, cols;
    term_size(&rows, &cols);
    const kp_step *s = kp_cer_step(a->cer);
    char title[256];
    snprintf(title, sizeof title, "%s | %s", kp_cer_name(kp_cer_kind_of(a->cer)), s->title);
    frame(a, title);
    int y = 2, maxrow = rows - 4;
    char line[512];
    term_cursor(0, 0, 0);
    switch (s->kind) {
    case KP_STEP_TEXT:
        term_put(y++, 2, TA_BOLD, kp_cer_prompt(a->cer));
        y++;
        snprintf(line, sizeof line, "> %.*s", (int)a->inlen, a->input);
        term_put(y, 4, 0, line);
        term_cursor(y, 6 + (int)a->inlen, 1);
        y += 2;
        if (kp_cer_default(a->cer)[0]) {
            snprintf(line, sizeof line, "(Enter alone: %s)", kp_cer_default(a->cer));
            term_put(y++, 4, TA_DIM, line);
        }
        break;
    case KP_STEP_SECRET: case KP_STEP_NEW_SECRET:
        term_put(y++, 2, TA_BOLD, kp_cer_prompt(a->cer));
        y++;
        /* nothing of what is typed is drawn, not even its length */
        term_put(y++, 4, 0, "> (what you type is not shown)");
        break;
    case KP_STEP_MNEMONIC: {
        term_put(y++, 2, TA_BOLD, kp_cer_prompt(a->cer));
        y++;
        snprintf(line, sizeof line, "words taken: %d (12, 15, 18, 21 or 24)", a->nwords);
        term_put(y++, 4, 0, line);
        snprintf(line, sizeof line, "word %d: (not shown)", a->nwords + 1);
        term_put(y++, 4, 0, line);
        y++;
        if (a->inlen > 0) {
            char words[1][9];
            size_t n = kp_cer_words(a->input, a->inlen, words, 1);
            snprintf(line, sizeof line, n == 0 ? "no word of the list starts so" : n == 1 ? "one word of the list fits: Tab completes it"
                                                                                    : "%zu words of the list fit", n);
            term_put(y++, 4, n == 0 ? TA_ALERT : TA_DIM, line);
        }
        break;
    }
    case KP_STEP_CHOICE: case KP_STEP_REVEAL: {
        const char *const *names;
        size_t n = kp_cer_choices(a->cer, &names);
        term_put(y++, 2, TA_BOLD, kp_cer_prompt(a->cer));
        y++;
        for (size_t i = 0; i < n && y < maxrow; i++) {
            snprintf(line, sizeof line, " %s ", names[i]);
            term_put(y++, 4, (int)i == a->sel ? TA_REVERSE : 0, line);
        }
        if (a->reveal_shown) {
            y++;
            term_put(y++, 2, TA_ALERT, "the private key was shown and is hidden again");
        }
        break;
    }
    case KP_STEP_BATON:
        y = put_lines(y + 2, 6, TA_BOLD, kp_cer_lines(a->cer), maxrow);
        break;
    case KP_STEP_APPROVE:
        y = put_lines(y, 4, 0, kp_cer_lines(a->cer), maxrow);
        y++;
        term_put(y++, 2, TA_BOLD, kp_cer_prompt(a->cer));
        snprintf(line, sizeof line, "> %.*s", (int)a->inlen, a->input);
        term_put(y, 4, 0, line);
        term_cursor(y, 6 + (int)a->inlen, 1);
        break;
    case KP_STEP_REVIEW:
        y = put_lines(y, 4, 0, kp_cer_lines(a->cer), maxrow - 1);
        term_put(maxrow - 1 < y + 1 ? y : maxrow - 1, 2, TA_BOLD, kp_cer_prompt(a->cer));
        break;
    case KP_STEP_DONE:
        term_put(y++, 2, TA_BOLD, "The ceremony is done. Files written (SHA-256, first 16 hex digits):");
        y++;
        y = put_lines(y, 2, 0, kp_cer_lines(a->cer), maxrow);
        y++;
        term_put(y, 2, TA_BOLD, "Enter: back to the menu");
        break;
    }
}

static void submit_secret(app *a)
{
    a->error[0] = 0;
    kp_cer_secret(a->cer, a->input, a->inlen);
    clear_input(a);
}

/* The word typed: completed if one word of the list fits, then added to the mnemonic. */
static void take_word(app *a, int complete_only)
{
    char w[2][9];
    size_t n = kp_cer_words(a->input, a->inlen, w, 2);
    a->note[0] = 0;
    if (n == 1 && a->inlen <= 8) {
        size_t wl = strlen(w[0]);
        memcpy(a->input, w[0], wl);
        a->inlen = wl;
        kp_memzero(w, sizeof w);
        if (complete_only) {
            snprintf(a->note, sizeof a->note, "completed");
            return;
        }
    }
    if (complete_only) {
        snprintf(a->error, sizeof a->error, n == 0 ? "no word of the list starts so" : "more than one word fits: type more");
        kp_memzero(w, sizeof w);
        return;
    }
    /* the word must be a whole word of the list */
    int exact = 0;
    for (size_t i = 0; i < n && i < 2; i++) exact |= strlen(w[i]) == a->inlen && memcmp(w[i], a->input, a->inlen) == 0;
    kp_memzero(w, sizeof w);
    if (!exact && !(n == 1)) {
        snprintf(a->error, sizeof a->error, "word %d is not a word of the BIP-39 list; type it again", a->nwords + 1);
        clear_input(a);
        return;
    }
    if (a->wordslen + a->inlen + 2 > INPUT_MAX || a->nwords >= 24) {
        snprintf(a->error, sizeof a->error, "at most 24 words");
        clear_input(a);
        return;
    }
    if (a->wordslen) a->words[a->wordslen++] = ' ';
    memcpy(a->words + a->wordslen, a->input, a->inlen);
    a->wordslen += a->inlen;
    a->nwords++;
    a->error[0] = 0;
    snprintf(a->note, sizeof a->note, "word %d taken", a->nwords);
    clear_input(a);
}

static void key_text(app *a, int k, int secret)
{
    if (k == TK_BACKSPACE) {
        if (a->inlen > 0) {
            /* one UTF-8 character */
            do a->inlen--;
            while (a->inlen > 0 && ((unsigned char)a->input[a->inlen] & 0xC0) == 0x80);
            a->input[a->inlen] = 0;
        }
        return;
    }
    if (k < 32 || k >= 0x110000) return;
    char enc[4];
    size_t n;
    if (k < 0x80) enc[0] = (char)k, n = 1;
    else if (k < 0x800) enc[0] = (char)(0xC0 | (k >> 6)), enc[1] = (char)(0x80 | (k & 63)), n = 2;
    else if (k < 0x10000)
        enc[0] = (char)(0xE0 | (k >> 12)), enc[1] = (char)(0x80 | ((k >> 6) & 63)), enc[2] = (char)(0x80 | (k & 63)), n = 3;
    else
        enc[0] = (char)(0xF0 | (k >> 18)), enc[1] = (char)(0x80 | ((k >> 12) & 63)), enc[2] = (char)(0x80 | ((k >> 6) & 63)),
        enc[3] = (char)(0x80 | (k & 63)), n = 4;
    (void)secret;
    if (a->inlen + n < INPUT_MAX) {
        memcpy(a->input + a->inlen, enc, n);
        a->inlen += n;
        a->input[a->inlen] = 0;
    }
    kp_memzero(enc, sizeof enc);
}

static void reveal(app *a)
{
    char hex[65];
    if (kp_cer_private_hex(a->cer, hex) != 0) return;
    int rows, cols;
    term_size(&rows, &cols);
    frame(a, "the private key");
    term_put(4, 2, TA_ALERT, "The private key (hides itself in a few seconds; any key hides it now):");
    term_put(7, 4, TA_BOLD, hex);
    term_refresh();
    kp_memzero(hex, sizeof hex);
    for (int i = 0; i < REVEAL_SECONDS * 5 && !got_signal; i++)
        if (term_key(200) != TK_NONE) break;
    term_clear();
    term_refresh();
    a->reveal_shown = 1;
    a->sel = 0;
    kp_cer_choose(a->cer, 0); /* then on to the summary */
}

static void key_step(app *a, int k)
{
    const kp_step *s = kp_cer_step(a->cer);
    if (k != TK_NONE) a->error[0] = 0;
    if (k == TK_ESC && s->kind != KP_STEP_DONE) {
        a->note[0] = 0;
        if (kp_cer_back(a->cer) != 0) snprintf(a->note, sizeof a->note, "this step cannot go back");
        clear_input(a);
        clear_words(a);
        a->sel = 0;
        return;
    }
    switch (s->kind) {
    case KP_STEP_TEXT: case KP_STEP_APPROVE:
        if (k == TK_ENTER) {
            kp_cer_text(a->cer, a->input);
            clear_input(a);
        } else {
            key_text(a, k, 0);
        }
        break;
    case KP_STEP_SECRET: case KP_STEP_NEW_SECRET:
        if (k == TK_ENTER) submit_secret(a);
        else key_text(a, k, 1);
        break;
    case KP_STEP_MNEMONIC:
        if (k == TK_TAB) take_word(a, 1);
        else if ((k == TK_ENTER || k == ' ') && a->inlen > 0) take_word(a, 0);
        else if (k == TK_ENTER && a->inlen == 0) {
            a->note[0] = 0;
            if (kp_cer_secret(a->cer, a->words, a->wordslen) == KP_EXIT_OK) clear_words(a);
        } else if (k == TK_BACKSPACE && a->inlen == 0 && a->nwords > 0) {
            /* the last word is dropped whole */
            while (a->wordslen > 0 && a->words[a->wordslen - 1] != ' ') a->words[--a->wordslen] = 0;
            if (a->wordslen > 0) a->words[--a->wordslen] = 0;
            a->nwords--;
        } else if (k >= 'A' && k <= 'Z') {
            key_text(a, k - 'A' + 'a', 1);
        } else {
            key_text(a, k, 1);
        }
        break;
    case KP_STEP_CHOICE: case KP_STEP_REVEAL: {
        const char *const *names;
        size_t n = kp_cer_choices(a->cer, &names);
        if (k == TK_UP && a->sel > 0) a->sel--;
        else if (k == TK_DOWN && (size_t)a->sel + 1 < n) a->sel++;
        else if (k == TK_ENTER) {
            int was = a->sel;
            a->sel = 0;
            kp_cer_choose(a->cer, (size_t)was);
            if (s->kind == KP_STEP_REVEAL && was == 1) reveal(a);
        }
        break;
    }
    case KP_STEP_REVIEW:
        if (k == TK_ENTER) kp_cer_confirm(a->cer, 1);
        break;
    case KP_STEP_BATON:
        if (k == TK_ENTER) kp_cer_confirm(a->cer, 1);
        else if (k == 's' || k == 'S') kp_cer_confirm(a->cer, 0);
        break;
    case KP_STEP_DONE:
        if (k == TK_ENTER) {
            kp_cer_free(a->cer);
            a->cer = NULL;
            a->reveal_shown = 0;
            a->note[0] = 0;
            pop(a);
        }
        break;
    }
}

/* ------------------------------------------------------------------ quit, help */

static void draw_quit(app *a)
{
    frame(a, "quit?");
    term_put(4, 4, TA_BOLD, "Quit keyport-ceremony?");
    term_put(6, 4, 0, "A ceremony under way is abandoned: nothing of it is written.");
    term_put(8, 4, TA_BOLD, "y: quit    any other key: go on");
}

static void key_quit(app *a, int k)
{
    if (k == 'y' || k == 'Y') a->running = 0;
    else pop(a);
}

static void draw_help(app *a)
{
    frame(a, "help");
    int y = 2;
    term_put(y++, 2, TA_BOLD, "Keys");
    y++;
    for (size_t i = 0; i < sizeof KEYS / sizeof *KEYS; i++) {
        char line[160];
        snprintf(line, sizeof line, "%-10s %s", KEYS[i].key, KEYS[i].help);
        term_put(y++, 4, 0, line);
    }
    if (a->depth > 1 && a->stack[a->depth - 2] == SCR_STEP && a->cer) {
        y++;
        term_put(y++, 2, TA_BOLD, "This step");
        term_put(y++, 4, 0, kp_cer_step(a->cer)->help);
    }
    term_put(y + 1, 2, TA_BOLD, "any key: back");
}

static void key_help(app *a, int k)
{
    (void)k;
    pop(a);
}

static const screen_ops SCREENS[SCR_COUNT] = {
    [SCR_PREFLIGHT] = {"preflight", K_REVIEW, draw_preflight, key_preflight},
    [SCR_MENU] = {"menu", K_MENU, draw_menu, key_menu},
    [SCR_STEP] = {"step", 0, draw_step, key_step},
    [SCR_QUIT] = {"quit", 0, draw_quit, key_quit},
    [SCR_HELP] = {"help", 0, draw_help, key_help},
};

/* ------------------------------------------------------------------ the loop */

static void draw(app *a)
{
    int rows, cols;
    term_size(&rows, &cols);
    if (rows < MIN_ROWS || cols < MIN_COLS) {
        char line[128];
        term_clear();
        term_cursor(0, 0, 0);
        term_put(0, 0, TA_BOLD, "keyport-ceremony: the terminal is too small");
        snprintf(line, sizeof line, "it is %d x %d; make it at least %d x %d", cols, rows, MIN_COLS, MIN_ROWS);
        term_put(2, 0, 0, line);
        term_put(4, 0, 0, "waiting...");
        term_refresh();
        return;
    }
    SCREENS[top(a)].draw(a);
    term_refresh();
}

static void network_up(char *out, size_t cap)
{
    struct ifaddrs *ifs = NULL, *i;
    size_t n = 0;
    out[0] = 0;
    if (getifaddrs(&ifs) != 0) return;
    for (i = ifs; i != NULL; i = i->ifa_next) {
        if (!(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK) || strstr(out, i->ifa_name) != NULL) continue;
        n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%s%s", n ? ", " : "", i->ifa_name);
        if (n >= cap) break;
    }
    freeifaddrs(ifs);
}

static const char USAGE[] =
    "usage: keyport-ceremony [--kdf interactive|moderate|sensitive]\n"
    "  The full-screen ceremonies of keyport on an air-gapped machine: export (two visits), import,\n"
    "  approve a request prepared elsewhere, enrol an operator, make a policy, verify an audit log.\n"
    "  It runs only on a terminal (standard input and output). --kdf: the Argon2id cost of the\n"
    "  export contexts and operator files it makes (default moderate).\n";

int main(int argc, char **argv)
{
    /* process hygiene first: no core dumps, no ptrace attach, private files */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    umask(077);
    app a;
    memset(&a, 0, sizeof a);
    a.opt.kdf = KP_KDF_MODERATE;
    a.opt.ttl = 24 * 3600;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--kdf") == 0 && i + 1 < argc) {
            if (kp_cli_kdf(argv[++i], &a.opt.kdf) != 0) {
                fputs(USAGE, stderr);
                return 2;
            }
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(USAGE, stdout);
            return 0;
        } else {
            fprintf(stderr, "keyport-ceremony: unknown argument \"%s\"\n%s", argv[i], USAGE);
            return 2;
        }
    }
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        fputs("keyport-ceremony: standard input and output must be a terminal; it refuses to run otherwise\n", stderr);
        return 2;
    }
    setlocale(LC_ALL, "");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (kp_ctx_new(&a.ctx) != KP_OK) {
        fputs("keyport-ceremony: cannot start libkeyport\n", stderr);
        return 1;
    }
    a.input = kp_secure_alloc(INPUT_MAX + 8);
    a.words = kp_secure_alloc(INPUT_MAX + 8);
    if (a.input == NULL || a.words == NULL || term_open() != 0) {
        fputs("keyport-ceremony: cannot set up the terminal\n", stderr);
        return 1;
    }
    kp_cli_set_error_sink(error_sink, &a);
    network_up(a.ifaces, sizeof a.ifaces);
    push(&a, SCR_PREFLIGHT);
    a.running = 1;
    while (a.running && !got_signal) {
        draw(&a);
        int k = term_key(250);
        if (got_signal) break;
        if (k == TK_NONE || k == TK_RESIZE || k == TK_CTRL_L) continue;
        int rows, cols;
        term_size(&rows, &cols);
        if (rows < MIN_ROWS || cols < MIN_COLS) continue; /* waits for a larger terminal */
        if (k == TK_CTRL_C) {
            if (top(&a) != SCR_QUIT) push(&a, SCR_QUIT);
            continue;
        }
        if (k == TK_F1) {
            if (top(&a) != SCR_HELP) push(&a, SCR_HELP);
            continue;
        }
        SCREENS[top(&a)].key(&a, k);
    }
    /* every path out: secrets wiped, the terminal restored and erased */
    kp_cer_free(a.cer);
    kp_secure_free(a.input);
    kp_secure_free(a.words);
    term_close();
    kp_cli_set_error_sink(NULL, NULL);
    kp_ctx_free(a.ctx);
    if (got_signal) {
        fprintf(stderr, "keyport-ceremony: stopped by signal %d; nothing of the ceremony under way was written\n",
                (int)got_signal);
        return 128 + (int)got_signal;
    }
    return 0;
}
