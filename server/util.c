/* util.c: see ks.h. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ks.h"

int ks_fail(ks_err *e, int status, const char *fmt, ...)
{
    if (e != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
        e->status = status;
    }
    return status;
}

int ks_fail_kp(ks_err *e, int status, kp_status st, const char *fmt, ...)
{
    if (e != NULL) {
        char what[KS_ERR_MAX / 2];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        const char *detail = kp_error_detail();
        snprintf(e->msg, sizeof e->msg, "%s: %s", what, detail[0] ? detail : kp_strerror(st));
        e->status = status;
    }
    return status;
}

void ks_log(const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "keyportd: %s\n", line);
}

kp_status ks_buf_addf(kp_buf *b, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return KP_ERR_INTERNAL;
    if ((size_t)n < sizeof small) return kp_buf_add(b, small, (size_t)n);
    char *big = malloc((size_t)n + 1);
    if (big == NULL) return KP_ERR_NOMEM;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    kp_status st = kp_buf_add(b, big, (size_t)n);
    free(big);
    return st;
}

/* ---------------------------------------------------------------- randomness and identifiers */

void ks_random(void *buf, size_t len)
{
    kp_random_bytes(buf, len);
}

void ks_new_id(char *out, size_t cap, const char *prefix)
{
    static const char digits[] = "0123456789abcdefghjkmnpqrstvwxyz"; /* Crockford base32 */
    uint8_t r[16];
    char s[27];
    ks_random(r, sizeof r);
    /* 26 digits of 5 bits cover 130 bits: the 128 random bits, read from the top, then two zeros */
    for (int i = 0; i < 26; i++) {
        unsigned bit = (unsigned)i * 5, v = 0;
        for (unsigned k = 0; k < 5; k++) {
            unsigned b = bit + k;
            v = (v << 1) | (b < 128 ? (r[b / 8] >> (7 - b % 8)) & 1u : 0u);
        }
        s[i] = digits[v];
    }
    s[26] = 0;
    snprintf(out, cap, "%s%s", prefix, s);
}

/* ---------------------------------------------------------------- encodings */

kp_status ks_buf_addb64(kp_buf *b, const uint8_t *p, size_t len)
{
    return kp_buf_addb64(b, p, len, 0);
}

kp_status ks_buf_addb64url(kp_buf *b, const uint8_t *p, size_t len)
{
    return kp_buf_addb64(b, p, len, 1);
}

int ks_b64_decode(uint8_t **out, size_t *out_len, const char *s, size_t len, int url)
{
    size_t cap = len / 4 * 3 + 3, got = 0;
    uint8_t *bin = malloc(cap);
    *out = NULL;
    *out_len = 0;
    if (bin == NULL) return -1;
    if (len == 0 || kp_base64_decode(bin, cap, &got, s, len, url) != KP_OK) {
        free(bin);
        return -1;
    }
    *out = bin;
    *out_len = got;
    return 0;
}

void ks_hex(char *out, const uint8_t *p, size_t len)
{
    /* through libkeyport's constant-time hex: some of what is written here is secret */
    kp_buf b;
    kp_buf_init(&b, 1);
    if (kp_buf_addhex(&b, p, len) == KP_OK)
        memcpy(out, b.data, 2 * len + 1);
    else
        out[0] = 0;
    kp_buf_release(&b);
}

/* ---------------------------------------------------------------- time */

int64_t ks_now(void)
{
    return (int64_t)time(NULL);
}

void ks_iso_now(char out[32])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    char base[24];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 32, "%.19s.%03uZ", base, (unsigned)(ts.tv_nsec / 1000000L) % 1000u);
}

/* ---------------------------------------------------------------- files */

int ks_read_file(ks_err *e, const char *path, size_t max, int secure, uint8_t **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ks_fail(e, 500, "cannot open %s: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return ks_fail(e, 500, "%s is not a regular file", path);
    }
    if ((uint64_t)sb.st_size > max) {
        close(fd);
        return ks_fail(e, 500, "%s is larger than %zu bytes", path, max);
    }
    size_t size = (size_t)sb.st_size, got = 0;
    uint8_t *p = secure ? kp_secure_alloc(size + 1) : malloc(size + 1);
    if (p == NULL) {
        close(fd);
        return ks_fail(e, 500, "out of memory reading %s", path);
    }
    while (got < size) {
        ssize_t r = read(fd, p + got, size - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    if (got != size) {
        ks_file_free(p, size, secure);
        return ks_fail(e, 500, "cannot read %s", path);
    }
    p[size] = 0;
    *out = p;
    *len = size;
    return 0;
}

void ks_file_free(uint8_t *p, size_t len, int secure)
{
    if (p == NULL) return;
    if (secure) {
        kp_secure_free(p);
    } else {
        kp_memzero(p, len);
        free(p);
    }
}

static void sync_dir(const char *path)
{
    char *copy = strdup(path);
    if (copy == NULL) return;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(copy);
}

void ks_sync_parent(const char *path)
{
    sync_dir(path);
}

int ks_write_new_file(ks_err *e, const char *path, const void *data, size_t len, int mode)
{
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return ks_fail(e, 500, "path %s is too long", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) return ks_fail(e, 500, "cannot create %s: %s", tmp, strerror(errno));
    const uint8_t *p = data;
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, p + done, len - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        done += (size_t)w;
    }
    int ok = done == len && fchmod(fd, (mode_t)mode) == 0 && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    /* link(2) refuses to replace an existing file, which rename(2) would do silently */
    if (!ok || link(tmp, path) != 0) {
        int err = errno;
        unlink(tmp);
        return ks_fail(e, 500, "cannot write %s: %s", path, ok ? strerror(err) : "write or sync failed");
    }
    unlink(tmp);
    sync_dir(path);
    return 0;
}

int ks_mkdir(ks_err *e, const char *path)
{
    if (mkdir(path, 0700) == 0) {
        sync_dir(path);
        return 0;
    }
    struct stat sb;
    if (errno == EEXIST && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) return 0;
    return ks_fail(e, 500, "cannot create the folder %s: %s", path, strerror(errno));
}

int ks_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* ---------------------------------------------------------------- JSON */

static int utf8_valid(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        size_t n;
        unsigned min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1, min = 0x80, c &= 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2, min = 0x800, c &= 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3, min = 0x10000, c &= 0x07;
        } else {
            return 0;
        }
        if (i + n >= len) return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return 0;
            c = (c << 6) | (s[i + k] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
        i += n + 1;
    }
    return 1;
}

void ks_utf8_clean(char *s)
{
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        size_t n = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : 4;
        if (n == 0) {
            if (c < 0x20 || c == 0x7F) *p = '?';
            p++;
            continue;
        }
        size_t have = 0;
        while (have < n && n < 4 && p[have + 1] != 0) have++;
        if (n == 4 || have < n || !utf8_valid(p, n + 1)) {
            *p++ = '?';
            continue;
        }
        if (c == 0xC2 && p[1] <= 0x9F) { /* a C1 control (U+0080..U+009F; U+009B is CSI) */
            p[0] = p[1] = '?';
        }
        p += n + 1;
    }
}

int ks_json_parse(ks_err *e, cJSON **out, const char *what, const char *text, size_t len)
{
    if (ks_json_parse_value(e, out, what, text, len) != 0) return 400;
    if (!cJSON_IsObject(*out)) {
        cJSON_Delete(*out);
        *out = NULL;
        return ks_fail(e, 400, "%s must be a JSON object", what);
    }
    return 0;
}

int ks_json_parse_value(ks_err *e, cJSON **out, const char *what, const char *text, size_t len)
{
    *out = NULL;
    /* libkeyport's strict reader decides what is a document (docs/design.md: a body never means one
     * thing to keyportd and another to the library); cJSON only builds the tree of what it
     * accepted. fuzz/fuzz_server_json.c checks that the tree means what the strict reader read. */
    kp_status st = kp_json_check(text, len, what);
    if (st != KP_OK) {
        const char *detail = kp_error_detail();
        return ks_fail(e, 400, "%s", detail[0] ? detail : kp_strerror(st));
    }
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (j == NULL) return ks_fail(e, 400, "%s cannot be read (cJSON refuses it)", what);
    while (end != NULL && end < text + len && (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t')) end++;
    if (end != text + len) {
        cJSON_Delete(j);
        return ks_fail(e, 400, "%s cannot be read (cJSON stops at byte %zu)", what, end ? (size_t)(end - text) : 0);
    }
    *out = j;
    return 0;
}

int ks_json_str(ks_err *e, const char **out, const cJSON *obj, const char *what, const char *name, int required)
{
    *out = NULL;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (m == NULL) return required ? ks_fail(e, 400, "%s: the field \"%s\" is missing", what, name) : 0;
    if (!cJSON_IsString(m)) return ks_fail(e, 400, "%s: the field \"%s\" must be a string", what, name);
    *out = m->valuestring;
    return 0;
}

int ks_json_uint(ks_err *e, unsigned *out, const cJSON *obj, const char *what, const char *name, unsigned lo,
                 unsigned hi)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (m == NULL) return ks_fail(e, 400, "%s: the field \"%s\" is missing", what, name);
    double v = cJSON_IsNumber(m) ? m->valuedouble : -1;
    if (!cJSON_IsNumber(m) || v != (double)(long long)v || v < lo || v > hi)
        return ks_fail(e, 400, "%s: the field \"%s\" must be an integer from %u to %u", what, name, lo, hi);
    *out = (unsigned)v;
    return 0;
}

int ks_json_bool(ks_err *e, int *out, const cJSON *obj, const char *what, const char *name, int required)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (m == NULL) return required ? ks_fail(e, 400, "%s: the field \"%s\" is missing", what, name) : 0;
    if (!cJSON_IsBool(m)) return ks_fail(e, 400, "%s: the field \"%s\" must be true or false", what, name);
    *out = cJSON_IsTrue(m);
    return 0;
}

/* ---------------------------------------------------------------- SQLite */

int ks_db_open(ks_err *e, sqlite3 **out, const char *path, const char *schema)
{
    sqlite3 *db = NULL;
    *out = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
    if (rc != SQLITE_OK) {
        ks_fail(e, 500, "cannot open the database %s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return 500;
    }
    sqlite3_busy_timeout(db, 10000);
    char where[4200];
    snprintf(where, sizeof where, "setting up the database %s", path);
    if (ks_db_exec(e, db, where, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;") != 0 ||
        ks_db_exec(e, db, where, schema) != 0) {
        sqlite3_close(db);
        return 500;
    }
    *out = db;
    return 0;
}

int ks_db_exec(ks_err *e, sqlite3 *db, const char *where, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        ks_fail(e, 500, "%s: SQLite: %s", where, msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return 500;
    }
    return 0;
}

int ks_db_prepare(ks_err *e, sqlite3 *db, sqlite3_stmt **st, const char *sql)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
        return ks_fail(e, 500, "SQLite cannot prepare \"%.60s…\": %s", sql, sqlite3_errmsg(db));
    return 0;
}

/* ---------------------------------------------------------------- process */

void ks_block_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN); /* a client that goes away must not kill the server */
}

int ks_wait_signal(void)
{
    sigset_t set;
    int sig = 0;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    while (sigwait(&set, &sig) != 0) {
    }
    return sig;
}

/* ---------------------------------------------------------------- crash hook */

static const char *crash_at;

void ks_crash_init(void)
{
    const char *v = getenv("KEYPORTD_CRASH_AT");
    crash_at = v != NULL && v[0] != 0 ? v : NULL;
    if (crash_at != NULL) ks_log("test hook: KEYPORTD_CRASH_AT=%s, this process will kill itself there", crash_at);
}

void ks_crash_point(const char *point)
{
    if (crash_at != NULL && strcmp(crash_at, point) == 0) {
        fprintf(stderr, "keyportd: test hook: killed at %s\n", point);
        fflush(stderr);
        kill(getpid(), SIGKILL);
    }
}
