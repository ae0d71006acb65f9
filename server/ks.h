/*
 * ks.h: keyportd's shared internals (the server's own helpers; never installed).
 *
 * Conventions of the server (server/API.md is the spec it implements):
 *
 * - ks_ prefixes the server's functions and types; kp_ belongs to libkeyport.
 * - The server does no cryptography of its own. Every key, share, envelope, signature, MAC and
 *   digest goes through libkeyport (keyport.h), and so do randomness (kp_random_bytes, for
 *   identifiers, tokens and storage keys) and the codecs of secret bytes (hex, base64).
 * - A failing function fills a ks_err with the HTTP status it maps to and a sentence that says
 *   what was wrong and where, and returns that status (never 0). A success returns 0.
 * - Secrets (shares, signer secrets, storage keys, tokens) live in kp_secure_alloc memory or in
 *   secure kp_bufs, and are wiped on every path out.
 */
#ifndef KS_H
#define KS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "keyport.h"

#define KS_ERR_MAX 1024

/** An error on its way to an HTTP answer: the status and a sentence for a person. */
typedef struct ks_err {
    int status;
    char msg[KS_ERR_MAX];
} ks_err;

/** Fills *e (status and a printf-style message) and returns status. e may be NULL. */
int ks_fail(ks_err *e, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/** Fills *e with "<what>: <libkeyport's detail or sentence>" for a failed libkeyport call. */
int ks_fail_kp(ks_err *e, int status, kp_status st, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/** Prints "keyportd: <message>" and a newline on stderr (never a secret). */
void ks_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Appends printf-style text to a kp_buf. */
kp_status ks_buf_addf(kp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- randomness and identifiers */

/** Fills buf with len bytes from libkeyport's one randomness source. */
void ks_random(void *buf, size_t len);
/** Writes prefix + 26 lower-case Crockford base32 digits of 128 random bits, e.g. "key-…". */
void ks_new_id(char *out, size_t cap, const char *prefix);

/* ---- encodings (libkeyport's constant-time codecs) */

/** Appends standard padded base64 of p. */
kp_status ks_buf_addb64(kp_buf *b, const uint8_t *p, size_t len);
/** Appends unpadded base64url of p. */
kp_status ks_buf_addb64url(kp_buf *b, const uint8_t *p, size_t len);
/** Decodes standard padded base64 (url = 0) or unpadded base64url (url = 1), strictly, into a
 *  new malloc'ed buffer (*out, *out_len). Returns 0 or -1 (malformed). */
int ks_b64_decode(uint8_t **out, size_t *out_len, const char *s, size_t len, int url);
/** Writes lower-case hex of p and a NUL to out (2·len + 1 bytes); "" if out of memory. */
void ks_hex(char *out, const uint8_t *p, size_t len);

/** Replaces, in place, every byte of s that is not part of valid UTF-8, and every control
 *  character (C0, DEL, C1), by '?': for text that came from a request and goes into JSON or the
 *  log. */
void ks_utf8_clean(char *s);

/* ---- time */

/** Seconds since the epoch. */
int64_t ks_now(void);
/** Writes the current UTC time as ISO 8601 with milliseconds ("2024-05-01T12:00:00.123Z"). */
void ks_iso_now(char out[32]);

/* ---- files */

/** Reads a whole file of at most max bytes. secure: into kp_secure_alloc memory.
 *  Out: *out (NUL-terminated; free with ks_file_free), *len. */
int ks_read_file(ks_err *e, const char *path, size_t max, int secure, uint8_t **out, size_t *len);
void ks_file_free(uint8_t *p, size_t len, int secure);
/** Writes a new file atomically (temporary file, fsync, rename, fsync of the folder) with mode.
 *  Refuses to replace an existing file. */
int ks_write_new_file(ks_err *e, const char *path, const void *data, size_t len, int mode);
/** fsyncs the folder that holds path (after a file in it was renamed or removed). */
void ks_sync_parent(const char *path);
/** Takes an exclusive lock (flock) on dir/file, made if missing, for the life of the process: one
 *  process at a time on a folder. Out: *fd. The message names who holds it. */
int ks_lock_folder(ks_err *e, int *fd, const char *dir, const char *file);
/** Creates a folder (mode 0700) if it does not exist. */
int ks_mkdir(ks_err *e, const char *path);
/** 1 if path exists. */
int ks_exists(const char *path);

/* ---- keys from outside the data folder (vault.c; API.md "Keys from outside the data folder")
 *
 * Every secret a data folder holds (a signer's encryption and storage keys, the passphrase of the
 * cluster's audit identity) is kept there sealed (kp_at_rest_seal) under one 32-byte key that is
 * never in the folder: a key file on another path, or a key sealed in DATA/storage.kpx under a
 * passphrase (Argon2id, kp_context_seal) that is read from a file or asked on the terminal. */

typedef struct ks_keysource {
    const char *key_file;  /* --storage-key-file */
    const char *pass_file; /* --storage-passphrase-file */
    kp_kdf_strength kdf;   /* --kdf, for a passphrase's first use (0: moderate) */
} ks_keysource;

/** Takes --storage-key-file, --storage-passphrase-file or --kdf and its value. Returns 1 when it
 *  was one of them, 0 when not, -1 for a bad value (the sentence in msg). */
int ks_keysource_option(ks_keysource *k, const char *name, const char *value, char *msg, size_t cap);
/** Checks, before anything is made, that there is one source (or a terminal to ask on) and that
 *  its file is outside data. Returns 0, or -1 (a usage error; the sentence in msg). */
int ks_keysource_check(const ks_keysource *k, const char *data, char *msg, size_t cap);
/** Gets the key into secure memory (free with kp_secure_free). fresh: data is new, so a missing key
 *  file is made (*made = 1) and a new passphrase is asked twice. */
int ks_keysource_open(ks_err *e, const kp_ctx *ctx, const ks_keysource *k, const char *data, int fresh, uint8_t **key,
                      int *made);
/** A secret of len bytes kept at dir/name.sealed, sealed under key (ad = name). Loads it; or seals
 *  the clear dir/name an older keyportd left and removes that; or, when may_make, makes it with
 *  make(e, arg, secret, len). Out: out. */
int ks_sealed_secret(ks_err *e, const uint8_t key[32], const char *dir, const char *name, uint8_t *out, size_t len,
                     int may_make, int (*make)(ks_err *e, void *arg, uint8_t *secret, size_t len), void *arg);
/** 1 when path does not exist or is an empty folder. */
int ks_is_fresh(const char *path);
/** Removes everything in the folder path, and the folder unless keep_top (a refused first start). */
void ks_remove_tree(const char *path, int keep_top);

/* ---- JSON requests (cJSON behind libkeyport's strict reader) */

/** Parses a request body: it must first pass libkeyport's strict reader (kp_json_check: UTF-8,
 *  no control character and no escaped NUL or lone surrogate in a string, no escape in a key, no
 *  key twice, at most 16 levels and 64 members per object, nothing after the value), so that it
 *  means to keyportd what it means to the library; then cJSON builds the tree. An object at the
 *  top. what names the document in messages. Out: *out (free with cJSON_Delete). Status 400 on
 *  failure. */
int ks_json_parse(ks_err *e, cJSON **out, const char *what, const char *text, size_t len);
/** The same checks for any JSON value at the top. */
int ks_json_parse_value(ks_err *e, cJSON **out, const char *what, const char *text, size_t len);
/** The string member name of obj: required (error if missing) or optional (NULL if missing).
 *  A member of another type is an error. */
int ks_json_str(ks_err *e, const char **out, const cJSON *obj, const char *what, const char *name, int required);
/** An integer member in [lo, hi]. */
int ks_json_uint(ks_err *e, unsigned *out, const cJSON *obj, const char *what, const char *name, unsigned lo,
                 unsigned hi);
/** A boolean member; *out keeps its value when the member is missing and not required. */
int ks_json_bool(ks_err *e, int *out, const cJSON *obj, const char *what, const char *name, int required);

/* ---- SQLite */

/** Opens (creating) a database with journal_mode=WAL, synchronous=FULL and a busy timeout, and
 *  runs schema (several statements). */
int ks_db_open(ks_err *e, sqlite3 **out, const char *path, const char *schema);
/** Runs SQL without results; on failure fills e (status 500) naming where. */
int ks_db_exec(ks_err *e, sqlite3 *db, const char *where, const char *sql);
/** Prepares a statement; on failure fills e (500). */
int ks_db_prepare(ks_err *e, sqlite3 *db, sqlite3_stmt **st, const char *sql);

/* ---- process */

/** Blocks SIGTERM, SIGINT and SIGPIPE in the calling thread (call before starting threads, which
 *  inherit the mask), so that ks_wait_signal can take them synchronously. */
void ks_block_signals(void);
/** Waits for SIGTERM or SIGINT; returns the signal number. */
int ks_wait_signal(void);

/* ---- the crash test hook (API.md "Test hook") */

/** Reads KEYPORTD_CRASH_AT once, at start. */
void ks_crash_init(void);
/** Kills the process with SIGKILL when point is the one named in KEYPORTD_CRASH_AT. */
void ks_crash_point(const char *point);

#endif
