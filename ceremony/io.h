/*
 * io.h: the keyport command's files and terminal.
 *
 * Every user error is reported as "keyport: WHERE: WHAT" on stderr, and maps to one of the
 * documented exit codes below. Output files are written whole or not at all: to a temporary
 * file in the same folder, fsync'd, then linked into place (never over an existing file).
 */
#ifndef KP_CLI_IO_H
#define KP_CLI_IO_H

#include <stdarg.h>
#include <stddef.h>

#include "keyport.h"

enum {
    KP_EXIT_OK = 0,
    KP_EXIT_INTERNAL = 1,  /* out of memory, a library failure, a bug */
    KP_EXIT_USAGE = 2,     /* bad command line */
    KP_EXIT_INPUT = 3,     /* malformed or invalid input data */
    KP_EXIT_DECRYPT = 4,   /* wrong passphrase, altered context, undecryptable data */
    KP_EXIT_RECOVER = 5,   /* the key cannot be recovered; shares do not match */
    KP_EXIT_IO = 6,        /* a file cannot be read or written */
    KP_EXIT_NOT_APPROVED = 7, /* the approvals do not meet the policy's quorum */
    KP_EXIT_LOG = 8,       /* the audit log does not verify */
    KP_EXIT_REFUSED = 9,   /* the cluster refused the request (HTTP 4xx/5xx, or the user action) */
    KP_EXIT_WRONG_CONTEXT = 10 /* no share of the response opens: it was made for another export context */
};

/* Parses --kdf interactive|moderate|sensitive. Returns 0, or -1 for another word. */
int kp_cli_kdf(const char *word, kp_kdf_strength *out);
/* The exit code for a library status. */
int kp_cli_exit_code(kp_status st);
/* Prints "keyport: where: <detail or strerror>" and returns the exit code for st. */
int kp_cli_fail(kp_status st, const char *where);
/* Prints "keyport: " and the formatted message; returns code. */
int kp_cli_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same with a va_list, and a usage hint after it when code is KP_EXIT_USAGE. */
int kp_cli_verror(int code, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* A usage error: prints it with the usage hint and returns KP_EXIT_USAGE. Here, below the command
 * files that call it, not in the file with main (keyport.c). */
int kp_cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Appends formatted text (at most 1023 bytes; listings, never a secret) to b. */
kp_status kp_cli_addf(kp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Sends every message above to fn instead of stderr (fn NULL: stderr again); for a full-screen
 * front end, which shows them itself. */
void kp_cli_set_error_sink(void (*fn)(int code, const char *msg, void *data), void *data);

/* Reads a whole file ("-" for standard input) of at most max bytes into *out (NUL-terminated;
 * secure memory when secure != 0; free with kp_cli_free). Returns an exit code (0 = read). */
int kp_cli_read_file(const char *path, size_t max, int secure, unsigned char **out, size_t *len);
void kp_cli_free(unsigned char *p, size_t len, int secure);
/* Writes data to path atomically, refusing to replace an existing file. mode e.g. 0600. */
int kp_cli_write_new_file(const char *path, const void *data, size_t len, unsigned mode);
/* Writes data to path atomically, replacing the file if it exists (write, fsync, rename). */
int kp_cli_replace_file(const char *path, const void *data, size_t len, unsigned mode);
/* Writes all of data to standard output and flushes it. */
int kp_cli_stdout(const void *data, size_t len);

/* Gets a passphrase into secure memory: from file (its content less one final newline) when
 * file is not NULL, else by asking on the terminal without echo (twice when confirm != 0). */
int kp_cli_passphrase(const char *file, int confirm, const char *prompt, char **pass, size_t *len);
void kp_cli_passphrase_free(char *pass);

#endif
