/*
 * audit.c: the tamper-evident audit log ("Know Your Key").
 *
 * Each line is one entry, signed by the writer over the line without its final "sig" member,
 * and linked to the line before by SHA-256. Appends are written whole and fsync'd before
 * kp_audit_append returns. The writer holds an exclusive lock on the file while it is open.
 *
 * This module is handed a path rather than an open file: the durability rules (lock, torn-tail
 * repair into a side file, truncate, fsync of file and folder) belong in one place for the
 * command and the cluster alike.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "operator.h"
#include "wire.h"

#define SIG_SUFFIX_LEN (8 + 128 + 2) /* ,"sig":"<128 hex>"} */
#define MAX_ACTORS 64
#define EVENT_MAX 64
#define MAX_LOG_BYTES ((size_t)1 << 30)
#define MAX_ENTRY_FIELDS (512 * 1024) /* keeps every line well under the reader's 1 MiB */

struct entry {
    uint32_t seq, time;
    char *event, *key_id, *public_key;
    char *actors[MAX_ACTORS];
    size_t nactors;
    char *details;
    uint8_t prev[32], writer[32], sig[64];
};

static void entry_free(struct entry *e)
{
    free(e->event);
    free(e->key_id);
    free(e->public_key);
    for (size_t i = 0; i < e->nactors; i++) free(e->actors[i]);
    free(e->details);
    memset(e, 0, sizeof *e);
}

static kp_status opt_str(const kp_json *j, const char *key, char **out)
{
    int t = kp_json_get(j, 0, key);
    *out = NULL;
    if (t < 0) return kp_fail(KP_ERR_FORMAT, "%s is missing", key);
    if (j->tok[t].type == KP_J_NULL) return KP_OK;
    if (j->tok[t].type != KP_J_STRING) return kp_fail(KP_ERR_FORMAT, "%s must be a string or null", key);
    return kp_json_strdup(j, t, out);
}

static kp_status hex_field(const kp_json *j, const char *key, uint8_t *out, size_t n)
{
    const char *s;
    size_t len;
    kp_status st = kp_json_need_str(j, 0, key, key, &s, &len);
    if (st != KP_OK) return st;
    /* lower case only: the line is canonical, so re-casing (which the signature does not cover
     * for "sig") cannot change the line's hash unseen */
    for (size_t i = 0; i < len; i++)
        if (s[i] >= 'A' && s[i] <= 'F') return kp_fail(KP_ERR_HEX, "%s must be lower-case hex", key);
    return kp_hex_decode_exact(out, n, s, len) == KP_OK ? KP_OK : kp_fail(KP_ERR_HEX, "%s must be %zu hex digits", key, 2 * n);
}

/* Parses one line (without its newline) into e. */
static kp_status entry_parse(const char *line, size_t len, struct entry *e)
{
    static const char *const allowed[] = {"seq", "time", "event", "keyId", "publicKey", "actors", "details",
                                          "prev", "writer", "sig", NULL};
    kp_json j;
    kp_status st;
    int t, arr;
    memset(e, 0, sizeof *e);
    if ((st = kp_json_parse(&j, line, len, "the entry")) != KP_OK) return st;
    if (j.tok[0].type != KP_J_OBJECT) {
        st = kp_fail(KP_ERR_FORMAT, "the entry is not a JSON object");
        goto cleanup;
    }
    if ((st = kp_json_only(&j, 0, allowed, "the entry")) != KP_OK ||
        (st = kp_json_need_uint(&j, 0, "seq", 0, UINT32_MAX, "seq", &e->seq)) != KP_OK ||
        (st = kp_json_need_uint(&j, 0, "time", 0, UINT32_MAX, "time", &e->time)) != KP_OK ||
        (st = kp_json_need(&j, 0, "event", KP_J_STRING, "event", &t)) != KP_OK || (st = kp_json_strdup(&j, t, &e->event)) != KP_OK ||
        (st = opt_str(&j, "keyId", &e->key_id)) != KP_OK || (st = opt_str(&j, "publicKey", &e->public_key)) != KP_OK ||
        (st = kp_json_need(&j, 0, "actors", KP_J_ARRAY, "actors", &arr)) != KP_OK ||
        (st = kp_json_need(&j, 0, "details", KP_J_OBJECT, "details", &t)) != KP_OK)
        goto cleanup;
    /* details is kept as its exact text */
    size_t ds = j.tok[t].start, de = j.tok[t].next < j.ntok ? j.tok[j.tok[t].next].start : len;
    while (de > ds && line[de - 1] != '}') de--;
    if ((e->details = strndup(line + ds, de - ds)) == NULL) {
        st = kp_fail(KP_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    if (j.tok[arr].count > MAX_ACTORS) {
        st = kp_fail(KP_ERR_FORMAT, "too many actors");
        goto cleanup;
    }
    for (int a = kp_json_first(&j, arr); a >= 0; a = kp_json_next(&j, arr, a)) {
        if (j.tok[a].type != KP_J_STRING) {
            st = kp_fail(KP_ERR_FORMAT, "actors must be strings");
            goto cleanup;
        }
        if ((st = kp_json_strdup(&j, a, &e->actors[e->nactors])) != KP_OK) goto cleanup;
        e->nactors++;
    }
    if ((st = hex_field(&j, "prev", e->prev, 32)) != KP_OK || (st = hex_field(&j, "writer", e->writer, 32)) != KP_OK ||
        (st = hex_field(&j, "sig", e->sig, 64)) != KP_OK)
        goto cleanup;
    /* The signature covers the line without its "sig" member, which must come last. */
    if (len < SIG_SUFFIX_LEN + 2 || memcmp(line + len - SIG_SUFFIX_LEN, ",\"sig\":\"", 8) != 0) {
        st = kp_fail(KP_ERR_FORMAT, "\"sig\" must be the entry's last member");
        goto cleanup;
    }
cleanup:
    kp_json_free(&j);
    if (st != KP_OK) entry_free(e);
    return st;
}

static int entry_sig_ok(const char *line, size_t len, const struct entry *e)
{
    size_t mlen = len - SIG_SUFFIX_LEN;
    char *m = malloc(mlen + 1);
    if (m == NULL) return 0;
    memcpy(m, line, mlen);
    m[mlen] = '}';
    int ok = crypto_sign_verify_detached(e->sig, (const uint8_t *)m, mlen + 1, e->writer) == 0;
    free(m);
    return ok;
}

/* Finds the end of line i: text[*start .. *end) is the line, *next the start of the following. */
static int next_line(const char *text, size_t len, size_t *start, size_t *end)
{
    if (*start >= len) return 0;
    const char *nl = memchr(text + *start, '\n', len - *start);
    *end = nl ? (size_t)(nl - text) : len;
    return 1;
}

static kp_status report_fail(kp_audit_report *r, kp_audit_problem p, size_t line, int64_t seq, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static kp_status report_fail(kp_audit_report *r, kp_audit_problem p, size_t line, int64_t seq, const char *fmt, ...)
{
    va_list ap;
    r->problem = p;
    r->line = line;
    r->seq = seq;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof r->message, fmt, ap);
    va_end(ap);
    return kp_fail(KP_ERR_LOG, "%s", r->message);
}

/* Does any line after offset `from` carry seq `want`? (Tells reordering from removal.) */
static int seq_appears_after(const char *text, size_t len, size_t from, uint32_t want)
{
    size_t s = from, e;
    while (next_line(text, len, &s, &e)) {
        struct entry x;
        if (e < len && entry_parse(text + s, e - s, &x) == KP_OK) {
            int hit = x.seq == want;
            entry_free(&x);
            if (hit) return 1;
        }
        s = e + 1;
    }
    return 0;
}

kp_status kp_audit_verify(const kp_ctx *ctx, kp_audit_report *r, const char *text, size_t len, const uint8_t *writer_key,
                          const uint8_t *head)
{
    KP_ARG_CHECK(ctx, ctx != NULL && r != NULL && (text != NULL || len == 0));
    uint8_t prev[32] = {0}, writer[32];
    int head_seen = 0;
    uint32_t expected = 0;
    size_t start = 0, end, line = 0;
    memset(r, 0, sizeof *r);
    r->seq = -1;
    kp_clear_error();
    while (next_line(text, len, &start, &end)) {
        line++;
        if (end == len) { /* no newline: a torn last write */
            return report_fail(r, KP_AUDIT_TORN, line, -1,
                               "line %zu is incomplete: the last write was torn (%zu bytes after the last complete entry)",
                               line, end - start);
        }
        struct entry e;
        const char *l = text + start;
        size_t llen = end - start;
        if (entry_parse(l, llen, &e) != KP_OK)
            return report_fail(r, KP_AUDIT_CHANGED, line, -1, "line %zu was changed: it is no longer a valid entry (%s)",
                               line, kp_error_detail());
        char hex[65];
        kp_status st = KP_OK;
        if (!entry_sig_ok(l, llen, &e)) {
            /* checked first, under the entry's own key: a changed byte anywhere (its writer too) is a change */
            st = report_fail(r, KP_AUDIT_CHANGED, line, e.seq, "line %zu (seq %u) was changed: its signature does not verify",
                             line, e.seq);
        } else if (line == 1 && e.seq != 0) {
            if (seq_appears_after(text, len, end + 1, 0))
                st = report_fail(r, KP_AUDIT_REORDERED, 1, e.seq, "line 1 holds seq %u where seq 0 belongs: entries were reordered",
                                 e.seq);
            else
                st = report_fail(r, KP_AUDIT_REMOVED, 1, e.seq, "line 1 holds seq %u: the log's first entries were removed",
                                 e.seq);
        } else if (line == 1) {
            /* Entry 0 commits to the writer's key. */
            uint8_t wk[32];
            const char *p = strstr(e.details, "\"writerKey\":\"");
            if (strcmp(e.event, "log.created") != 0 || p == NULL || kp_hex_decode_exact(wk, 32, p + 13, 64) != KP_OK ||
                memcmp(wk, e.writer, 32) != 0) {
                st = report_fail(r, KP_AUDIT_CHANGED, 1, 0,
                                 "line 1 is not the log's first entry (log.created committing to the writer key)");
            } else {
                memcpy(writer, e.writer, 32);
                kp_hex_encode(r->writer, writer, 32);
                if (writer_key != NULL && memcmp(writer_key, writer, 32) != 0)
                    st = report_fail(r, KP_AUDIT_OTHER_KEY, 1, 0, "the log is written by key %s, not the expected key",
                                     r->writer);
            }
        } else if (memcmp(e.writer, writer, 32) != 0) {
            kp_hex_encode(hex, e.writer, 32);
            st = report_fail(r, KP_AUDIT_OTHER_KEY, line, e.seq, "line %zu (seq %u) is signed by another key (%s), not the log's writer",
                             line, e.seq, hex);
        } else if (e.seq > expected) {
            if (seq_appears_after(text, len, end + 1, expected))
                st = report_fail(r, KP_AUDIT_REORDERED, line, e.seq,
                                 "line %zu holds seq %u where seq %u belongs: entries were reordered", line, e.seq, expected);
            else
                st = report_fail(r, KP_AUDIT_REMOVED, line, e.seq, "entries seq %u to %u are missing before line %zu: removed",
                                 expected, e.seq - 1, line);
        } else if (e.seq < expected) {
            /* an exact copy of an earlier line, or an earlier entry moved here */
            int copy = 0;
            size_t s2 = 0, e2;
            while (!copy && s2 < start && next_line(text, len, &s2, &e2)) {
                copy = e2 - s2 == llen && memcmp(text + s2, l, llen) == 0;
                s2 = e2 + 1;
            }
            if (copy)
                st = report_fail(r, KP_AUDIT_INSERTED, line, e.seq, "line %zu (seq %u) was inserted: it repeats an earlier entry",
                                 line, e.seq);
            else
                st = report_fail(r, KP_AUDIT_REORDERED, line, e.seq,
                                 "line %zu holds seq %u where seq %u belongs: entries were reordered", line, e.seq, expected);
        } else if (memcmp(e.prev, prev, 32) != 0) {
            st = report_fail(r, KP_AUDIT_INSERTED, line, e.seq,
                             "line %zu (seq %u) does not link to the entry before it: inserted or replaced", line, e.seq);
        }
        entry_free(&e);
        if (st != KP_OK) return st;
        crypto_hash_sha256(prev, (const uint8_t *)l, llen);
        if (head != NULL && memcmp(prev, head, 32) == 0) head_seen = 1;
        kp_hex_encode(r->head, prev, 32);
        expected++;
        r->entries++;
        start = end + 1;
    }
    if (r->entries == 0) return report_fail(r, KP_AUDIT_EMPTY, 0, -1, "the log has no entries");
    if (head != NULL && !head_seen) {
        char want[65];
        kp_hex_encode(want, head, 32);
        return report_fail(r, KP_AUDIT_TRUNCATED, line, expected - 1,
                           "the recorded head %s is not in the log, which ends at seq %u: truncated (or rewritten)", want,
                           expected - 1);
    }
    return KP_OK;
}

kp_status kp_audit_entries(const char *text, size_t len, int (*fn)(const kp_audit_entry *e, void *data), void *data)
{
    KP_ARG_CHECK(NULL, fn != NULL && (text != NULL || len == 0));
    size_t start = 0, end, line = 0;
    while (next_line(text, len, &start, &end)) {
        struct entry e;
        line++;
        if (end == len) return kp_fail(KP_ERR_LOG, "line %zu is incomplete (a torn write)", line);
        /* a copy of exactly the line (strndup would stop early at a NUL byte inside it) */
        char *l = malloc(end - start + 1);
        if (l == NULL) return kp_fail(KP_ERR_NOMEM, "out of memory");
        memcpy(l, text + start, end - start);
        l[end - start] = 0;
        if (entry_parse(l, end - start, &e) != KP_OK) {
            free(l);
            return kp_fail(KP_ERR_LOG, "line %zu is not a valid entry: %s", line, kp_error_detail());
        }
        kp_audit_entry pub = {e.seq, e.time, e.event, e.key_id, e.public_key, (const char *const *)e.actors, e.nactors,
                              e.details, l};
        int stop = fn(&pub, data);
        entry_free(&e);
        free(l);
        if (stop) break;
        start = end + 1;
    }
    return KP_OK;
}

/* ------------------------------------------------------------ the writer */

struct kp_audit_log {
    const kp_ctx *ctx;
    const kp_operator *writer;
    int fd;      /* -1 until the file exists: a new log is created by its first append */
    off_t size;
    uint32_t next_seq;
    uint8_t prev[32];
    char *path;
};

void kp_audit_close(kp_audit_log *log)
{
    if (log == NULL) return;
    if (log->fd >= 0) close(log->fd); /* releases the lock */
    free(log->path);
    free(log);
}

static kp_status write_all(int fd, const void *p, size_t len)
{
    const char *c = p;
    while (len > 0) {
        ssize_t w = write(fd, c, len);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return kp_fail(KP_ERR_IO, "cannot write the audit log: %s", strerror(errno));
        c += w;
        len -= (size_t)w;
    }
    return KP_OK;
}

static void sync_dir_of(const char *path)
{
    char *d = strdup(path);
    if (d == NULL) return;
    char *slash = strrchr(d, '/');
    const char *dir = ".";
    if (slash == d) dir = "/";
    else if (slash != NULL) {
        *slash = 0;
        dir = d;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(d);
}

/* Moves the bytes after the last newline into a side file and cuts them off. */
static kp_status set_aside_torn_tail(kp_audit_log *log, const char *text, size_t len, char *torn_path)
{
    size_t keep = len;
    while (keep > 0 && text[keep - 1] != '\n') keep--;
    char side[4096];
    int sfd = -1;
    for (int i = 1; i < 1000 && sfd < 0; i++) {
        snprintf(side, sizeof side, "%s.torn-%d", log->path, i);
        sfd = open(side, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (sfd < 0 && errno != EEXIST) return kp_fail(KP_ERR_IO, "cannot create %s: %s", side, strerror(errno));
    }
    if (sfd < 0) return kp_fail(KP_ERR_IO, "cannot find a free name for the torn tail of %s", log->path);
    kp_status st = write_all(sfd, text + keep, len - keep);
    if (st == KP_OK && fsync(sfd) != 0) st = kp_fail(KP_ERR_IO, "cannot sync %s: %s", side, strerror(errno));
    close(sfd);
    if (st != KP_OK) return st;
    sync_dir_of(side);
    if (ftruncate(log->fd, (off_t)keep) != 0 || fsync(log->fd) != 0)
        return kp_fail(KP_ERR_IO, "cannot cut the torn tail off %s: %s", log->path, strerror(errno));
    if (torn_path != NULL) snprintf(torn_path, 4096, "%s", side);
    return KP_OK;
}

static kp_status append_line(kp_audit_log *log, int64_t now, const char *event, const char *key_id, const char *pub_hex,
                             const char *const *actors, size_t nactors, const char *details, char head[65])
{
    kp_buf b;
    uint8_t pk[32], sig[64];
    kp_status st;
    kp_buf_init(&b, 0);
    kp_operator_public_key(log->writer, pk);
    st = kp_buf_addf(&b, "{\"seq\":%u,\"time\":%u,\"event\":", log->next_seq, (uint32_t)now);
    if (st == KP_OK) st = kp_buf_addjstr(&b, event, strlen(event));
    if (st == KP_OK) st = kp_buf_addstr(&b, ",\"keyId\":");
    if (st == KP_OK) st = key_id ? kp_buf_addjstr(&b, key_id, strlen(key_id)) : kp_buf_addstr(&b, "null");
    if (st == KP_OK) st = kp_buf_addstr(&b, ",\"publicKey\":");
    if (st == KP_OK) st = pub_hex ? kp_buf_addjstr(&b, pub_hex, strlen(pub_hex)) : kp_buf_addstr(&b, "null");
    if (st == KP_OK) st = kp_buf_addstr(&b, ",\"actors\":[");
    for (size_t i = 0; st == KP_OK && i < nactors; i++) {
        if (i) st = kp_buf_addstr(&b, ",");
        if (st == KP_OK) st = kp_buf_addjstr(&b, actors[i], strlen(actors[i]));
    }
    if (st == KP_OK) st = kp_buf_addstr(&b, "],\"details\":");
    if (st == KP_OK) st = kp_buf_addstr(&b, details ? details : "{}");
    if (st == KP_OK) st = kp_buf_addstr(&b, ",\"prev\":\"");
    if (st == KP_OK) st = kp_buf_addhex(&b, log->prev, 32);
    if (st == KP_OK) st = kp_buf_addstr(&b, "\",\"writer\":\"");
    if (st == KP_OK) st = kp_buf_addhex(&b, pk, 32);
    if (st == KP_OK) st = kp_buf_addstr(&b, "\"}");
    if (st != KP_OK) goto cleanup;
    /* sign the entry as it stands, then put ,"sig":"…" before its closing brace */
    if ((st = kp_operator_sign(log->writer, sig, b.data, b.len)) != KP_OK) goto cleanup;
    b.len--;
    if ((st = kp_buf_addstr(&b, ",\"sig\":\"")) != KP_OK || (st = kp_buf_addhex(&b, sig, 64)) != KP_OK ||
        (st = kp_buf_addstr(&b, "\"}")) != KP_OK)
        goto cleanup;
    /* Write only what the reader reads back: the same parser, the same depth and size limits. */
    struct entry check;
    if (entry_parse((const char *)b.data, b.len, &check) != KP_OK) {
        st = kp_fail(KP_ERR_FORMAT, "the entry would not be readable back: %s", kp_error_detail());
        goto cleanup;
    }
    entry_free(&check);
    uint8_t hash[32];
    crypto_hash_sha256(hash, b.data, b.len);
    if ((st = kp_buf_addstr(&b, "\n")) != KP_OK) goto cleanup;
    st = write_all(log->fd, b.data, b.len);
    if (st == KP_OK && fsync(log->fd) != 0) st = kp_fail(KP_ERR_IO, "cannot sync the audit log: %s", strerror(errno));
    if (st != KP_OK) {
        /* leave no partial line behind if we can help it */
        if (ftruncate(log->fd, log->size) == 0) fsync(log->fd);
        goto cleanup;
    }
    log->size += (off_t)b.len;
    log->next_seq++;
    memcpy(log->prev, hash, 32);
    if (head != NULL) kp_hex_encode(head, hash, 32);
cleanup:
    kp_buf_release(&b);
    return st;
}

/* Creates a new log file exclusively and locks it. */
static kp_status create_log(kp_audit_log *log)
{
    log->fd = open(log->path, O_RDWR | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
    if (log->fd < 0) return kp_fail(KP_ERR_IO, "cannot create the audit log %s: %s", log->path, strerror(errno));
    if (flock(log->fd, LOCK_EX) != 0) return kp_fail(KP_ERR_IO, "cannot lock the audit log %s: %s", log->path, strerror(errno));
    return KP_OK;
}

kp_status kp_audit_open(const kp_ctx *ctx, kp_audit_log **out, const char *path, const kp_operator *writer, int64_t now,
                        char *torn_path)
{
    KP_ARG_CHECK(ctx, ctx != NULL && out != NULL && path != NULL && writer != NULL);
    kp_audit_log *log = NULL;
    char *text = NULL;
    kp_status st;
    struct stat sb;
    (void)now;
    *out = NULL;
    if (torn_path != NULL) torn_path[0] = 0;
    kp_clear_error();
    if (!kp_operator_is_unlocked(writer)) return kp_fail(KP_ERR_LOCKED, "the log writer %s is not unlocked", kp_operator_name(writer));
    if ((log = calloc(1, sizeof *log)) == NULL || (log->path = strdup(path)) == NULL) {
        free(log);
        return kp_fail(KP_ERR_NOMEM, "out of memory");
    }
    log->ctx = ctx;
    log->writer = writer;
    log->fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
    if (log->fd < 0 && errno == ENOENT) {
        /* nothing on disk until the first append, so a refused command leaves no log behind */
        *out = log;
        return KP_OK;
    }
    if (log->fd < 0) {
        st = kp_fail(KP_ERR_IO, "cannot open the audit log %s: %s", path, strerror(errno));
        goto fail;
    }
    if (flock(log->fd, LOCK_EX) != 0 || fstat(log->fd, &sb) != 0) {
        st = kp_fail(KP_ERR_IO, "cannot lock the audit log %s: %s", path, strerror(errno));
        goto fail;
    }
    if ((size_t)sb.st_size > MAX_LOG_BYTES) {
        st = kp_fail(KP_ERR_IO, "the audit log %s is over 1 GiB; start a new one", path);
        goto fail;
    }
    size_t len = (size_t)sb.st_size, got = 0;
    if ((text = malloc(len + 1)) == NULL) {
        st = kp_fail(KP_ERR_NOMEM, "out of memory");
        goto fail;
    }
    while (got < len) {
        ssize_t rd = pread(log->fd, text + got, len - got, (off_t)got);
        if (rd < 0 && errno == EINTR) continue;
        if (rd <= 0) {
            st = kp_fail(KP_ERR_IO, "cannot read the audit log %s", path);
            goto fail;
        }
        got += (size_t)rd;
    }
    /* Check the complete entries and their writer before changing anything: a refused writer
     * must leave the file exactly as it was. */
    size_t complete = len;
    while (complete > 0 && text[complete - 1] != '\n') complete--;
    uint8_t pk[32];
    kp_operator_public_key(writer, pk);
    if (complete > 0) {
        kp_audit_report r;
        if (kp_audit_verify(ctx, &r, text, complete, NULL, NULL) != KP_OK) {
            st = kp_fail(KP_ERR_LOG, "the audit log %s does not verify, so nothing is appended to it: %s", path, r.message);
            goto fail;
        }
        uint8_t w[32];
        kp_hex_decode_exact(w, 32, r.writer, 64);
        if (memcmp(w, pk, 32) != 0) {
            st = kp_fail(KP_ERR_WRONG_WRITER, "the audit log %s is written by key %s; operator %s holds another key", path,
                         r.writer, kp_operator_name(writer));
            goto fail;
        }
        log->next_seq = (uint32_t)r.entries;
        kp_hex_decode_exact(log->prev, 32, r.head, 64);
    }
    if (complete < len && (st = set_aside_torn_tail(log, text, len, torn_path)) != KP_OK) goto fail;
    log->size = (off_t)complete;
    if (complete == 0) {
        /* an empty (or wholly torn) file: the log starts here */
        close(log->fd);
        log->fd = -1;
        if (unlink(path) != 0) {
            st = kp_fail(KP_ERR_IO, "cannot restart the empty audit log %s: %s", path, strerror(errno));
            goto fail;
        }
    }
    free(text);
    *out = log;
    return KP_OK;
fail:
    free(text);
    kp_audit_close(log);
    return st;
}

kp_status kp_audit_append(kp_audit_log *log, int64_t now, const char *event, const char *key_id,
                          const char *public_key_hex, const char *const *actors, size_t nactors, const char *details_json,
                          char head[65])
{
    KP_ARG_CHECK(NULL, log != NULL && event != NULL && (actors != NULL || nactors == 0));
    kp_clear_error();
    size_t el = strlen(event);
    if (el == 0 || el > EVENT_MAX) return kp_fail(KP_ERR_FORMAT, "an event name must be 1 to %d characters", EVENT_MAX);
    for (size_t i = 0; i < el; i++)
        if (!((event[i] >= 'a' && event[i] <= 'z') || (event[i] >= '0' && event[i] <= '9') || event[i] == '.' ||
              event[i] == '_' || event[i] == '-'))
            return kp_fail(KP_ERR_FORMAT, "event name \"%s\" may use only a-z, 0-9, '.', '_' and '-'", event);
    if (nactors > MAX_ACTORS) return kp_fail(KP_ERR_FORMAT, "at most %d actors", MAX_ACTORS);
    for (size_t i = 0; i < nactors; i++)
        if (!kp_utf8_valid(actors[i], strlen(actors[i]))) return kp_fail(KP_ERR_FORMAT, "actor %zu is not UTF-8", i);
    if ((key_id && !kp_utf8_valid(key_id, strlen(key_id))) || (public_key_hex && !kp_utf8_valid(public_key_hex, strlen(public_key_hex))))
        return kp_fail(KP_ERR_FORMAT, "keyId and publicKey must be UTF-8");
    if (now < 0 || now > (int64_t)UINT32_MAX) return kp_fail(KP_ERR_FORMAT, "time out of range");
    size_t total = (key_id ? strlen(key_id) : 0) + (public_key_hex ? strlen(public_key_hex) : 0) +
                   (details_json ? strlen(details_json) : 0);
    for (size_t i = 0; i < nactors; i++) total += strlen(actors[i]);
    if (total > MAX_ENTRY_FIELDS)
        return kp_fail(KP_ERR_TOO_LARGE, "an entry's fields may hold at most %d bytes, not %zu", MAX_ENTRY_FIELDS, total);
    if (details_json != NULL) {
        kp_json j;
        size_t dl = strlen(details_json);
        if (memchr(details_json, '\n', dl) || memchr(details_json, '\r', dl))
            return kp_fail(KP_ERR_FORMAT, "details must be compact JSON on one line");
        /* parsed where it will stand, one level down inside the entry, so the depth limit holds */
        kp_buf w;
        kp_buf_init(&w, 0);
        kp_status st = kp_buf_addstr(&w, "{\"details\":");
        if (st == KP_OK) st = kp_buf_add(&w, details_json, dl);
        if (st == KP_OK) st = kp_buf_addstr(&w, "}");
        if (st == KP_OK) st = kp_json_parse(&j, (const char *)w.data, w.len, "details");
        kp_buf_release(&w);
        if (st != KP_OK) return st;
        int obj = j.tok[2].type == KP_J_OBJECT; /* tokens: wrapper, key, value */
        kp_json_free(&j);
        if (!obj) return kp_fail(KP_ERR_FORMAT, "details must be a JSON object");
    }
    if (log->fd < 0) {
        /* the first append creates the log: entry 0 commits to the writer's key */
        char genesis[96], hex[65];
        const char *actor = kp_operator_name(log->writer);
        uint8_t pk[32];
        kp_operator_public_key(log->writer, pk);
        kp_hex_encode(hex, pk, 32);
        snprintf(genesis, sizeof genesis, "{\"writerKey\":\"%s\"}", hex);
        kp_status st = create_log(log);
        if (st == KP_OK) st = append_line(log, now, "log.created", NULL, NULL, &actor, 1, genesis, NULL);
        if (st != KP_OK) {
            if (log->fd >= 0) {
                close(log->fd);
                log->fd = -1;
                unlink(log->path);
            }
            return st;
        }
        sync_dir_of(log->path);
    }
    return append_line(log, now, event, key_id, public_key_hex, actors, nactors, details_json, head);
}
