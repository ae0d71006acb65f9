/*
 * cmd_qr.c: keyport qr show | join, the hand-off across the air gap by QR.
 *
 * show splits a file into BBQr frames (keyport_bbqr.h) and draws them as QR codes (qrterm.h):
 * on a terminal as an animation with a frame counter, pause and step keys; otherwise (or with
 * --once) each frame once, one after the other; with --text the frame texts alone, one a line.
 * join reads frame texts, one a line (as a keyboard-wedge scanner types them, or `zbarimg --raw`
 * or `zbarimg` prints them: "QR-Code:" is dropped), in any order, says which are missing, and
 * writes the joined file atomically (never over an existing file) or to standard output.
 * Both print the file's short digest (the first 16 hex digits of its SHA-256) so that the two
 * sides of the gap can compare it.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "commands.h"
#include "io.h"
#include "qrterm.h"

#define QR_FILE_MAX ((size_t)16 << 20)
#define QR_MAX_VERSION 10  /* denser codes are hard to scan off a screen */

static const char SHOW_USAGE[] =
    "usage: keyport qr show FILE [--type J|U|B] [--encoding auto|Z|2|H] [--version N] [--quiet N]\n"
    "                         [--interval MS] [--invert] [--once | --text]\n"
    "  Draws FILE as BBQr frames, QR codes that a scanner on the other side reads in any order.\n"
    "  On a terminal the frames repeat with a counter: space pauses, n or right arrow steps on,\n"
    "  p or left arrow steps back, q quits. --once (the default when standard output is not a\n"
    "  terminal) prints each frame once; --text prints the frame texts alone, one a line.\n"
    "  --type: the BBQr file type (default J for a file that starts with { or [, U for other\n"
    "  UTF-8 text, B otherwise). --encoding: auto (zlib where it makes the frames fewer).\n"
    "  --version: the QR version of every frame (default: the largest that fits the terminal,\n"
    "  80x24 when it is not one, at most 10). --quiet: the light margin in modules (default 2).\n"
    "  --invert: for a terminal with a light background. --interval: ms a frame (default 400).\n"
    "  Exit codes: 0 shown, 2 usage, 3 the file cannot be split (empty, too large), 6 file error.\n";

static const char JOIN_USAGE[] =
    "usage: keyport qr join [FILE-OUT] [--max-bytes N]\n"
    "  Reads BBQr frame texts from standard input, one a line, in any order (a scanner that\n"
    "  types each frame and Enter, or the output of `zbarimg --raw` or `zbarimg`), and joins them\n"
    "  into FILE-OUT (written atomically, never over an existing file) or, without FILE-OUT, to\n"
    "  standard output. Frames seen twice are ignored; a frame that is not BBQr or belongs to\n"
    "  another file is reported and skipped. On a terminal it stops when the last frame is in.\n"
    "  Prints the frames still missing, then the file's size, type and SHA-256 short digest.\n"
    "  Exit codes: 0 joined, 2 usage, 3 frames missing, two different frames for one place, or\n"
    "  data that does not decode, 6 FILE-OUT exists or cannot be written.\n";

static void short_digest(char out[17], const void *data, size_t len)
{
    uint8_t h[32];
    static const char hex[] = "0123456789abcdef";
    kp_sha256(h, data, len);
    for (int i = 0; i < 8; i++) {
        out[2 * i] = hex[h[i] >> 4];
        out[2 * i + 1] = hex[h[i] & 15];
    }
    out[16] = 0;
}

static char guess_type(const unsigned char *d, size_t n)
{
    size_t i = 0;
    while (i < n && (d[i] == ' ' || d[i] == '\t' || d[i] == '\r' || d[i] == '\n')) i++;
    if (i < n && (d[i] == '{' || d[i] == '[')) return KP_BBQR_TYPE_JSON;
    /* UTF-8 text: no NUL or other control but tab and line ends, well-formed sequences */
    for (i = 0; i < n;) {
        unsigned c = d[i];
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return KP_BBQR_TYPE_BINARY;
        size_t k = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : 9;
        if (k == 9 || i + k >= n + (k == 0)) return KP_BBQR_TYPE_BINARY;
        for (size_t j = 1; j <= k; j++)
            if ((d[i + j] & 0xc0) != 0x80) return KP_BBQR_TYPE_BINARY;
        i += k + 1;
    }
    return KP_BBQR_TYPE_TEXT;
}

static int parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

/* ---------------------------------------------------------------- show */

static volatile sig_atomic_t show_stop, show_resized;
static void on_stop(int sig) { (void)sig; show_stop = 1; }
static void on_winch(int sig) { (void)sig; show_resized = 1; }

typedef struct show_opts {
    const char *path;
    kp_bbqr_frames frames;
    int version, quiet, invert;
    char type, digest[17];
    size_t bytes;
} show_opts;

static int print_frame(const show_opts *o, size_t i, int clear)
{
    kp_qrterm q;
    if (kp_qrterm_render(&q, o->frames.text[i], o->version, 1, o->quiet, o->invert) != 0)
        return kp_cli_error(KP_EXIT_INTERNAL, "qr show: frame %zu does not fit a version-%d code", i + 1, o->version);
    if (clear) fputs("\033[H\033[2J", stdout);
    for (int r = 0; r < q.rows; r++) printf("%s\n", q.line[r]);
    printf("frame %zu of %zu  %.8s  %s  %zu bytes  sha256 %s\n", i + 1, o->frames.count, o->frames.text[i], o->path,
           o->bytes, o->digest);
    kp_qrterm_free(&q);
    return KP_EXIT_OK;
}

/* Reads one key press within ms milliseconds: 'n', 'p', ' ', 'q', or 0 for none. */
static int read_key(int ms)
{
    struct pollfd p = {STDIN_FILENO, POLLIN, 0};
    if (poll(&p, 1, ms) <= 0) return 0;
    unsigned char b[8];
    ssize_t n = read(STDIN_FILENO, b, sizeof b);
    if (n <= 0) {
        poll(NULL, 0, ms); /* standard input at its end (not a terminal): wait all the same */
        return 0;
    }
    if (n >= 3 && b[0] == 27 && b[1] == '[') return b[2] == 'C' ? 'n' : b[2] == 'D' ? 'p' : 0;
    switch (b[0]) {
    case 'n': case 'N': case '\r': case '\n': return 'n';
    case 'p': case 'P': case 127: return 'p';
    case ' ': return ' ';
    case 'q': case 'Q': case 27: case 3: return 'q';
    }
    return 0;
}

static int animate(const show_opts *o, int interval)
{
    struct termios saved, raw;
    int have_tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
    if (have_tty) {
        raw = saved;
        raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ISIG);
        raw.c_cc[VMIN] = 0;
        raw.c_cc[VTIME] = 0;
        tcsetattr(STDIN_FILENO, TCSANOW, &raw);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = on_winch;
    sigaction(SIGWINCH, &sa, NULL);
    fputs("\033[?1049h\033[?25l", stdout); /* the alternate screen, no cursor */
    size_t i = 0;
    int paused = 0, code = KP_EXIT_OK;
    while (!show_stop && code == KP_EXIT_OK) {
        show_resized = 0;
        struct winsize ws;
        int cols, rows;
        kp_qrterm_size(o->version, o->quiet, &cols, &rows);
        if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 &&
            (ws.ws_col < cols || ws.ws_row < rows + 2)) {
            /* a code cut off by the edge would not scan: say so and wait for a larger terminal */
            printf("\033[H\033[2Jterminal too small: a version-%d code needs %dx%d (q quits)", o->version, cols,
                   rows + 2);
            fflush(stdout);
            int key = 0;
            while (!show_stop && !show_resized && key != 'q') key = read_key(200);
            if (key == 'q') break;
            continue;
        }
        code = print_frame(o, i, 1);
        printf("%s  [space] %s  [n] next  [p] previous  [q] quit", paused ? "PAUSED" : "", paused ? "play" : "pause");
        fflush(stdout);
        int key = 0;
        for (int waited = 0; !show_stop && !show_resized && (paused || waited < interval) && !key; waited += 50)
            key = read_key(50);
        if (key == 'q') break;
        if (key == ' ') paused = !paused;
        else if (key == 'p') i = (i + o->frames.count - 1) % o->frames.count;
        else if (key == 'n' || (!key && !paused && !show_resized)) i = (i + 1) % o->frames.count;
    }
    fputs("\033[H\033[2J\033[?25h\033[?1049l", stdout);
    fflush(stdout);
    if (have_tty) tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    return code;
}

static int cmd_qr_show(int argc, char **argv)
{
    enum { O_TYPE = 1, O_ENC, O_VERSION, O_QUIET, O_INTERVAL, O_INVERT, O_ONCE, O_TEXT, O_HELP };
    static const struct option opts[] = {
        {"type", required_argument, NULL, O_TYPE},       {"encoding", required_argument, NULL, O_ENC},
        {"version", required_argument, NULL, O_VERSION}, {"quiet", required_argument, NULL, O_QUIET},
        {"interval", required_argument, NULL, O_INTERVAL}, {"invert", no_argument, NULL, O_INVERT},
        {"once", no_argument, NULL, O_ONCE},             {"text", no_argument, NULL, O_TEXT},
        {"help", no_argument, NULL, O_HELP},             {NULL, 0, NULL, 0}};
    show_opts o;
    memset(&o, 0, sizeof o);
    o.quiet = KP_QRTERM_QUIET;
    int enc = KP_BBQR_AUTO, once = 0, text = 0, c;
    long v, interval = 400;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case O_TYPE:
            if (strlen(optarg) != 1 || !((optarg[0] >= 'A' && optarg[0] <= 'Z') || (optarg[0] >= '0' && optarg[0] <= '9')))
                return kp_cli_usage("qr show: --type \"%s\" is not one upper-case letter or digit (J, U, B, ...)", optarg);
            o.type = optarg[0];
            break;
        case O_ENC:
            if (strcmp(optarg, "auto") == 0) enc = KP_BBQR_AUTO;
            else if (strcmp(optarg, "Z") == 0 || strcmp(optarg, "2") == 0 || strcmp(optarg, "H") == 0) enc = optarg[0];
            else return kp_cli_usage("qr show: --encoding \"%s\" is not auto, Z, 2 or H", optarg);
            break;
        case O_VERSION:
            if (parse_int(optarg, 1, 40, &v)) return kp_cli_usage("qr show: --version \"%s\" is not 1..40", optarg);
            o.version = (int)v;
            break;
        case O_QUIET:
            if (parse_int(optarg, 0, 8, &v)) return kp_cli_usage("qr show: --quiet \"%s\" is not 0..8", optarg);
            o.quiet = (int)v;
            break;
        case O_INTERVAL:
            if (parse_int(optarg, 50, 60000, &interval))
                return kp_cli_usage("qr show: --interval \"%s\" is not 50..60000 (ms)", optarg);
            break;
        case O_INVERT: o.invert = 1; break;
        case O_ONCE: once = 1; break;
        case O_TEXT: text = 1; break;
        case O_HELP: fputs(SHOW_USAGE, stdout); return KP_EXIT_OK;
        default: return kp_cli_usage("qr show: unknown option \"%s\"", argv[optind - 1]);
        }
    }
    if (optind != argc - 1) return kp_cli_usage("qr show: %s", optind >= argc ? "which FILE?" : "one FILE only");
    if (once && text) return kp_cli_usage("qr show: %s", "--once and --text exclude each other");
    o.path = argv[optind];
    int tty = isatty(STDOUT_FILENO);
    if (o.version == 0) {
        int cols = 80, rows = 24;
        struct winsize ws;
        if (tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) {
            cols = ws.ws_col;
            rows = ws.ws_row;
        }
        /* two lines under the code: the counter and the keys */
        o.version = kp_qrterm_fit(cols, rows - 2, o.quiet, QR_MAX_VERSION);
        if (o.version == 0)
            return kp_cli_error(KP_EXIT_USAGE, "qr show: a %dx%d terminal is too small for a QR code (80x24 at least)",
                                cols, rows);
    }
    unsigned char *data;
    size_t len;
    int code = kp_cli_read_file(o.path, QR_FILE_MAX, 0, &data, &len);
    if (code) return code;
    if (o.type == 0) o.type = guess_type(data, len);
    o.bytes = len;
    short_digest(o.digest, data, len);
    kp_status st = kp_bbqr_split(&o.frames, data, len, o.type, enc, kp_bbqr_version_chars(o.version));
    kp_cli_free(data, len, 0);
    if (st != KP_OK) return kp_cli_fail(st, o.path);
    if (text) {
        for (size_t i = 0; i < o.frames.count && code == KP_EXIT_OK; i++)
            if (printf("%s\n", o.frames.text[i]) < 0) code = kp_cli_error(KP_EXIT_IO, "qr show: standard output: %s", strerror(errno));
    } else if (once || !tty) {
        for (size_t i = 0; i < o.frames.count && code == KP_EXIT_OK; i++) {
            code = print_frame(&o, i, 0);
            putchar('\n');
        }
    } else {
        code = animate(&o, (int)interval);
    }
    if (fflush(stdout) != 0 && code == KP_EXIT_OK) code = kp_cli_error(KP_EXIT_IO, "qr show: standard output: %s", strerror(errno));
    if (code == KP_EXIT_OK)
        fprintf(stderr, "keyport: qr show: %s: %zu bytes, type %c, %zu frames (encoding %c, QR version %d), sha256 %s\n",
                o.path, o.bytes, o.type, o.frames.count, o.frames.encoding, o.version, o.digest);
    kp_bbqr_frames_free(&o.frames);
    return code;
}

/* ---------------------------------------------------------------- join */

static int cmd_qr_join(int argc, char **argv)
{
    enum { O_MAX = 1, O_HELP };
    static const struct option opts[] = {
        {"max-bytes", required_argument, NULL, O_MAX}, {"help", no_argument, NULL, O_HELP}, {NULL, 0, NULL, 0}};
    long max = (long)QR_FILE_MAX;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case O_MAX:
            if (parse_int(optarg, 1, (long)1 << 30, &max)) return kp_cli_usage("qr join: --max-bytes \"%s\" is not 1..2^30", optarg);
            break;
        case O_HELP: fputs(JOIN_USAGE, stdout); return KP_EXIT_OK;
        default: return kp_cli_usage("qr join: unknown option \"%s\"", argv[optind - 1]);
        }
    }
    if (argc - optind > 1) return kp_cli_usage("qr join: %s", "one FILE-OUT at most");
    const char *out_path = optind < argc ? argv[optind] : NULL;
    if (out_path && access(out_path, F_OK) == 0)
        return kp_cli_error(KP_EXIT_IO, "%s: already exists; keyport never overwrites it", out_path);
    kp_bbqr_joiner *j;
    kp_status st = kp_bbqr_joiner_new(&j, (size_t)max);
    if (st != KP_OK) return kp_cli_fail(st, "qr join");
    int tty = isatty(STDIN_FILENO), conflict = 0, code = KP_EXIT_OK;
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) >= 0) {
        lineno++;
        char *s = line;
        size_t len = (size_t)n;
        while (len && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' ')) len--;
        while (len && (*s == ' ' || *s == '\t')) s++, len--;
        if (len == 0) continue;
        if (len >= 8 && strncmp(s, "QR-Code:", 8) == 0) s += 8, len -= 8; /* zbarimg without --raw */
        if (len >= 14 && strncmp(s, "scanned ", 8) == 0 && strstr(s, "symbols")) continue; /* zbarimg's summary */
        kp_bbqr_add_result r;
        size_t before = kp_bbqr_joiner_received(j);
        st = kp_bbqr_joiner_add(j, &r, s, len);
        if (st == KP_ERR_NOMEM) {
            code = kp_cli_fail(st, "qr join");
            break;
        }
        if (st != KP_OK) {
            fprintf(stderr, "keyport: qr join: line %zu: %s; skipped\n", lineno, kp_error_detail());
            if (r == KP_BBQR_CONFLICT) conflict = 1;
            continue;
        }
        if (r == KP_BBQR_ACCEPTED && before == 0)
            fprintf(stderr, "keyport: qr join: %zu frames, type %c, encoding %c\n", kp_bbqr_joiner_count(j),
                    kp_bbqr_joiner_file_type(j), kp_bbqr_joiner_encoding(j));
        if (tty && r == KP_BBQR_ACCEPTED) {
            /* for the operator at the scanner: what is still to scan */
            size_t m[12], nm = kp_bbqr_joiner_missing(j, m, 12);
            fprintf(stderr, "%zu of %zu frames read%s", kp_bbqr_joiner_received(j), kp_bbqr_joiner_count(j),
                    nm ? "; missing:" : "\n");
            for (size_t i = 0; i < nm && i < 12; i++) fprintf(stderr, " %zu", m[i] + 1);
            if (nm) fprintf(stderr, "%s\n", nm > 12 ? " ..." : "");
        }
        if (tty && kp_bbqr_joiner_complete(j)) break;
    }
    free(line);
    kp_buf out;
    kp_buf_init(&out, 0);
    if (code == KP_EXIT_OK) {
        size_t missing = kp_bbqr_joiner_missing(j, NULL, 0), count = kp_bbqr_joiner_count(j);
        if (count == 0) {
            code = kp_cli_error(KP_EXIT_INPUT, "qr join: standard input held no BBQr frame");
        } else if (missing) {
            size_t *m = calloc(missing, sizeof *m);
            if (m == NULL) {
                code = kp_cli_error(KP_EXIT_INTERNAL, "out of memory");
            } else {
                kp_bbqr_joiner_missing(j, m, missing);
                fprintf(stderr, "keyport: qr join: %zu of %zu frames missing:", missing, count);
                for (size_t i = 0; i < missing && i < 40; i++) fprintf(stderr, " %zu", m[i] + 1);
                fprintf(stderr, "%s (frames count from 1)\n", missing > 40 ? " ..." : "");
                free(m);
                code = KP_EXIT_INPUT;
            }
        } else if (conflict) {
            code = kp_cli_error(KP_EXIT_INPUT, "qr join: two different frames came for one place, so it is unclear "
                                               "which file is meant; nothing written (scan one file at a time)");
        } else {
            char type;
            st = kp_bbqr_joiner_finish(j, &out, &type);
            if (st != KP_OK) {
                code = kp_cli_fail(st, "qr join");
            } else {
                char digest[17];
                short_digest(digest, out.data, out.len);
                code = out_path ? kp_cli_write_new_file(out_path, out.data, out.len, 0600)
                                : kp_cli_stdout(out.data, out.len);
                if (code == KP_EXIT_OK) {
                    FILE *say = out_path ? stdout : stderr;
                    fprintf(say, "%s%s: %zu bytes, type %c, %zu frames, sha256 %s\n", out_path ? "" : "keyport: qr join: ",
                            out_path ? out_path : "standard output", out.len, type, count, digest);
                    fflush(say);
                }
            }
        }
    }
    kp_buf_release(&out);
    kp_bbqr_joiner_free(j);
    return code;
}

int kp_cmd_qr(kp_ctx *ctx, int argc, char **argv)
{
    (void)ctx;
    const char *sub = argc > 1 ? argv[1] : "";
    if (strcmp(sub, "show") == 0) return cmd_qr_show(argc - 1, argv + 1);
    if (strcmp(sub, "join") == 0) return cmd_qr_join(argc - 1, argv + 1);
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
        fputs(SHOW_USAGE, stdout);
        fputs(JOIN_USAGE, stdout);
        return KP_EXIT_OK;
    }
    return kp_cli_usage("qr: \"%s\" is not show or join", sub);
}
