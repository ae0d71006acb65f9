/* io.c: see io.h. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "commands.h"
#include "io.h"

#define PASS_MAX 1024

int kp_cli_kdf(const char *word, kp_kdf_strength *out)
{
    if (strcmp(word, "interactive") == 0) *out = KP_KDF_INTERACTIVE;
    else if (strcmp(word, "moderate") == 0) *out = KP_KDF_MODERATE;
    else if (strcmp(word, "sensitive") == 0) *out = KP_KDF_SENSITIVE;
    else return -1;
    return 0;
}

int kp_cli_exit_code(kp_status st)
{
    switch (st) {
    case KP_OK: return KP_EXIT_OK;
    case KP_ERR_MISUSE: case KP_ERR_NOMEM: case KP_ERR_RANDOM: case KP_ERR_INTERNAL: return KP_EXIT_INTERNAL;
    case KP_ERR_DECRYPT: return KP_EXIT_DECRYPT;
    case KP_ERR_WRONG_CONTEXT: return KP_EXIT_WRONG_CONTEXT;
    case KP_ERR_NOT_ENOUGH: case KP_ERR_SHARE_MISMATCH: return KP_EXIT_RECOVER;
    case KP_ERR_IO: return KP_EXIT_IO;
    case KP_ERR_LOG: case KP_ERR_WRONG_WRITER: return KP_EXIT_LOG;
    default: return KP_EXIT_INPUT;
    }
}

static void (*error_sink)(int code, const char *msg, void *data);
static void *error_sink_data;

void kp_cli_set_error_sink(void (*fn)(int code, const char *msg, void *data), void *data)
{
    error_sink = fn;
    error_sink_data = data;
}

int kp_cli_verror(int code, const char *fmt, va_list ap)
{
    if (error_sink != NULL) {
        char msg[1024];
        vsnprintf(msg, sizeof msg, fmt, ap);
        error_sink(code, msg, error_sink_data);
        return code;
    }
    fputs("keyport: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    if (code == KP_EXIT_USAGE) fputs("(keyport --help for usage)\n", stderr);
    return code;
}

int kp_cli_error(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kp_cli_verror(code, fmt, ap);
    va_end(ap);
    return code;
}

int kp_cli_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kp_cli_verror(KP_EXIT_USAGE, fmt, ap);
    va_end(ap);
    return KP_EXIT_USAGE;
}

kp_status kp_cli_addf(kp_buf *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) return KP_ERR_INTERNAL;
    return kp_buf_add(b, tmp, (size_t)n);
}

int kp_cli_fail(kp_status st, const char *where)
{
    const char *d = kp_error_detail();
    return kp_cli_error(kp_cli_exit_code(st), "%s: %s", where, d[0] ? d : kp_strerror(st));
}

void kp_cli_free(unsigned char *p, size_t len, int secure)
{
    if (p == NULL) return;
    if (secure) {
        kp_secure_free(p);
    } else {
        kp_memzero(p, len);
        free(p);
    }
}

int kp_cli_read_file(const char *path, size_t max, int secure, unsigned char **out, size_t *len)
{
    int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    const char *name = strcmp(path, "-") == 0 ? "standard input" : path;
    *out = NULL;
    *len = 0;
    if (fd < 0) return kp_cli_error(KP_EXIT_IO, "%s: cannot open: %s", name, strerror(errno));
    /* Read at most max + 1 bytes so that an oversized file is told apart without reading it all. */
    unsigned char *buf = secure ? kp_secure_alloc(max + 2) : malloc(max + 2);
    size_t n = 0;
    int code = KP_EXIT_OK;
    if (buf == NULL) {
        code = kp_cli_error(KP_EXIT_INTERNAL, "%s: out of memory", name);
        goto done;
    }
    while (n < max + 1) {
        ssize_t r = read(fd, buf + n, max + 1 - n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            code = kp_cli_error(KP_EXIT_IO, "%s: cannot read: %s", name, strerror(errno));
            goto done;
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    if (n > max) {
        code = kp_cli_error(KP_EXIT_INPUT, "%s: larger than the limit of %zu bytes", name, max);
        goto done;
    }
    buf[n] = 0;
    *out = buf;
    *len = n;
    buf = NULL;
done:
    kp_cli_free(buf, max + 2, secure);
    if (fd != STDIN_FILENO) close(fd);
    return code;
}

/* Writes data to a new temporary file beside path and fsyncs it. *tmp gets its name. */
static int write_temp(const char *path, const char *dir, const void *data, size_t len, unsigned mode, char **tmp)
{
    int fd, code = KP_EXIT_OK;
    if (asprintf(tmp, "%s/.keyport-tmp-XXXXXX", dir) < 0) {
        *tmp = NULL;
        return kp_cli_error(KP_EXIT_INTERNAL, "out of memory");
    }
    if ((fd = mkstemp(*tmp)) < 0) {
        code = kp_cli_error(KP_EXIT_IO, "%s: cannot create a file in %s: %s", path, dir, strerror(errno));
        free(*tmp);
        *tmp = NULL;
        return code;
    }
    fchmod(fd, mode);
    const unsigned char *p = data;
    for (size_t off = 0; off < len && code == KP_EXIT_OK;) {
        ssize_t w = write(fd, p + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) code = kp_cli_error(KP_EXIT_IO, "%s: cannot write: %s", path, strerror(errno));
        else off += (size_t)w;
    }
    if (code == KP_EXIT_OK && fsync(fd) != 0) code = kp_cli_error(KP_EXIT_IO, "%s: cannot sync: %s", path, strerror(errno));
    close(fd);
    if (code != KP_EXIT_OK) {
        unlink(*tmp);
        free(*tmp);
        *tmp = NULL;
    }
    return code;
}

static void sync_dir(const char *dir)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
}

int kp_cli_write_new_file(const char *path, const void *data, size_t len, unsigned mode)
{
    char *dircopy = strdup(path), *tmp = NULL;
    int code;
    if (dircopy == NULL) return kp_cli_error(KP_EXIT_INTERNAL, "out of memory");
    const char *dir = dirname(dircopy);
    if (access(path, F_OK) == 0) {
        code = kp_cli_error(KP_EXIT_IO, "%s: already exists; keyport never overwrites it", path);
    } else if ((code = write_temp(path, dir, data, len, mode, &tmp)) == KP_EXIT_OK) {
        /* link() fails if path exists, so a file that appeared meanwhile is not replaced either. */
        if (link(tmp, path) != 0)
            code = kp_cli_error(KP_EXIT_IO, "%s: cannot create: %s", path, errno == EEXIST ? "it already exists" : strerror(errno));
        else
            sync_dir(dir);
        unlink(tmp);
    }
    free(tmp);
    free(dircopy);
    return code;
}

int kp_cli_replace_file(const char *path, const void *data, size_t len, unsigned mode)
{
    char *dircopy = strdup(path), *tmp = NULL;
    int code;
    if (dircopy == NULL) return kp_cli_error(KP_EXIT_INTERNAL, "out of memory");
    const char *dir = dirname(dircopy);
    if ((code = write_temp(path, dir, data, len, mode, &tmp)) == KP_EXIT_OK) {
        if (rename(tmp, path) != 0) {
            code = kp_cli_error(KP_EXIT_IO, "%s: cannot replace: %s", path, strerror(errno));
            unlink(tmp);
        } else {
            sync_dir(dir);
        }
    }
    free(tmp);
    free(dircopy);
    return code;
}

int kp_cli_stdout(const void *data, size_t len)
{
    if ((len > 0 && fwrite(data, 1, len, stdout) != len) || fflush(stdout) != 0)
        return kp_cli_error(KP_EXIT_IO, "standard output: cannot write: %s", strerror(errno));
    return KP_EXIT_OK;
}

/* Reads one line from the terminal without echo into buf (secure). Returns its length or -1. */
static int ask(FILE *tty, const char *prompt, char *buf, size_t cap)
{
    struct termios old, quiet;
    int fd = fileno(tty);
    fprintf(stderr, "%s", prompt);
    fflush(stderr);
    if (tcgetattr(fd, &old) != 0) return -1;
    quiet = old;
    quiet.c_lflag &= (tcflag_t)~(ECHO | ECHONL);
    quiet.c_lflag |= ICANON;
    if (tcsetattr(fd, TCSAFLUSH, &quiet) != 0) return -1;
    char *r = fgets(buf, (int)cap, tty);
    tcsetattr(fd, TCSAFLUSH, &old);
    fputc('\n', stderr);
    if (r == NULL) return -1;
    size_t n = strlen(buf);
    if (n > 0 && buf[n - 1] == '\n') buf[--n] = 0;
    return (int)n;
}

int kp_cli_passphrase(const char *file, int confirm, const char *prompt, char **pass, size_t *len)
{
    *pass = NULL;
    *len = 0;
    if (file != NULL) {
        unsigned char *buf;
        size_t n;
        int code = kp_cli_read_file(file, PASS_MAX, 1, &buf, &n);
        if (code != KP_EXIT_OK) return code;
        /* One final newline, as editors and `echo` add it, is not part of the passphrase. */
        if (n > 0 && buf[n - 1] == '\n') buf[--n] = 0;
        if (n > 0 && buf[n - 1] == '\r') buf[--n] = 0;
        if (n == 0) {
            kp_secure_free(buf);
            return kp_cli_error(KP_EXIT_INPUT, "%s: the passphrase file is empty", file);
        }
        *pass = (char *)buf;
        *len = n;
        return KP_EXIT_OK;
    }
    FILE *tty = fopen("/dev/tty", "r+");
    if (tty == NULL || !isatty(fileno(tty))) {
        if (tty) fclose(tty);
        return kp_cli_error(KP_EXIT_USAGE, "no terminal to ask for the passphrase on; give --passphrase-file FILE");
    }
    char *a = kp_secure_alloc(PASS_MAX + 2), *b = kp_secure_alloc(PASS_MAX + 2);
    int code = KP_EXIT_OK, na = -1, nb = -1;
    if (a == NULL || b == NULL) {
        code = kp_cli_error(KP_EXIT_INTERNAL, "out of memory");
        goto done;
    }
    if ((na = ask(tty, prompt, a, PASS_MAX + 2)) < 0) {
        code = kp_cli_error(KP_EXIT_IO, "cannot read the passphrase from the terminal");
        goto done;
    }
    if (na == 0) {
        code = kp_cli_error(KP_EXIT_INPUT, "the passphrase is empty");
        goto done;
    }
    if (confirm) {
        if ((nb = ask(tty, "Repeat the passphrase: ", b, PASS_MAX + 2)) < 0) {
            code = kp_cli_error(KP_EXIT_IO, "cannot read the passphrase from the terminal");
            goto done;
        }
        if (na != nb || kp_memcmp_ct(a, b, (size_t)na) != 0) {
            code = kp_cli_error(KP_EXIT_INPUT, "the two passphrases differ");
            goto done;
        }
    }
    *pass = a;
    *len = (size_t)na;
    a = NULL;
done:
    kp_secure_free(a);
    kp_secure_free(b);
    fclose(tty);
    return code;
}

void kp_cli_passphrase_free(char *pass)
{
    kp_secure_free(pass);
}
