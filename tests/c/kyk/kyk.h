/*
 * kyk.h: what the Know Your Key suites (operators, policies, approvals, the audit log) share.
 *
 * - Operators. Each kp_operator_new / kp_operator_unlock runs Argon2id (KP_KDF_INTERACTIVE:
 *   64 MiB, ~0.25 s). Criterion runs every test in its own freshly exec'd process, so nothing
 *   made before a test survives into it; kyk_op() therefore makes each of the four operators
 *   lazily, at most once per test, and a test pays only for those it uses. Where a test needs
 *   a policy member but no signature, it uses a "filler": a plain libsodium key pair.
 * - Independent checks. Hashes are computed with OpenSSL, signatures verified with
 *   libsodium's crypto_sign_verify_detached over bytes re-made here from the documented
 *   formats (keyport.h), never with the library's own writers.
 * - Files live in a mkdtemp folder that the fixture removes.
 */
#ifndef KYK_H
#define KYK_H

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "../kptest.h"

#define KYK_PASS "kyk: correct horse battery staple"
#define KYK_NOW ((int64_t)1700000000)

enum { ALICE, BOB, CAROL, DAVE, KYK_NOPS };
static const char *const KYK_NAME[KYK_NOPS] = {"alice", "bob", "carol", "dave"};

static kp_operator *kyk_op_cache[KYK_NOPS];
static char *kyk_file_cache[KYK_NOPS];
static char kyk_dir[64];

/* ------------------------------------------------------------ fixture */

static KPT_UNUSED void kyk_setup(void)
{
    kpt_setup();
}

static KPT_UNUSED void kyk_rm_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL) return;
    struct dirent *e;
    char p[4096];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static KPT_UNUSED void kyk_teardown(void)
{
    for (int i = 0; i < KYK_NOPS; i++) {
        kp_operator_free(kyk_op_cache[i]);
        kyk_op_cache[i] = NULL;
        free(kyk_file_cache[i]);
        kyk_file_cache[i] = NULL;
    }
    if (kyk_dir[0]) kyk_rm_dir(kyk_dir);
    kyk_dir[0] = 0;
    kpt_teardown();
}

/* ------------------------------------------------------------ operators */

/* Operator i (ALICE..DAVE), unlocked, made on first use in this test. All share KYK_PASS. */
static KPT_UNUSED kp_operator *kyk_op(int i)
{
    cr_assert(i >= 0 && i < KYK_NOPS);
    if (kyk_op_cache[i] == NULL) {
        kp_buf f;
        kp_buf_init(&f, 0);
        KPT_ST(kp_operator_new(ctx, &kyk_op_cache[i], &f, KYK_NAME[i], KYK_PASS, strlen(KYK_PASS), KP_KDF_INTERACTIVE),
               KP_OK);
        cr_assert_not_null(kyk_op_cache[i]);
        kyk_file_cache[i] = strdup((const char *)f.data);
        cr_assert_not_null(kyk_file_cache[i]);
        kp_buf_release(&f);
    }
    return kyk_op_cache[i];
}

/* Operator i's file (JSON text, NUL-terminated). */
static KPT_UNUSED const char *kyk_op_file(int i)
{
    kyk_op(i);
    return kyk_file_cache[i];
}

static KPT_UNUSED void kyk_pk(int i, uint8_t pk[32])
{
    kp_operator_public_key(kyk_op(i), pk);
}

/* A key pair that is not an operator: for policy members that never sign through the library. */
static KPT_UNUSED void kyk_filler(uint8_t pk[32], uint8_t sk[64])
{
    uint8_t tmp[64];
    crypto_sign_keypair(pk, sk ? sk : tmp);
}

/* ------------------------------------------------------------ policies */

/* Writes and parses a policy; the caller frees it. */
static KPT_UNUSED kp_policy *kyk_policy(const char *id, const kp_policy_member *m, size_t n, unsigned q_import,
                                        unsigned q_export, unsigned q_archive)
{
    kp_buf b;
    kp_policy *p = NULL;
    const unsigned q[KP_ACTION_COUNT] = {q_import, q_export, q_archive};
    kp_buf_init(&b, 0);
    KPT_ST(kp_policy_write(&b, id, m, n, q), KP_OK);
    KPT_ST(kp_policy_parse(&p, (const char *)b.data, b.len), KP_OK);
    kp_buf_release(&b);
    return p;
}

/* ------------------------------------------------------------ independent helpers */

static KPT_UNUSED void kyk_sha256(uint8_t out[32], const void *in, size_t len)
{
    unsigned int n = 0;
    cr_assert_eq(EVP_Digest(in, len, out, &n, EVP_sha256(), NULL), 1);
    cr_assert_eq(n, 32u);
}

static KPT_UNUSED void kyk_sha256_hex(char out[65], const void *in, size_t len)
{
    uint8_t h[32];
    kyk_sha256(h, in, len);
    kpt_hex(out, h, 32);
}

/* A new string: s with the first occurrence of `from` replaced by `to` (which must occur). */
static KPT_UNUSED char *kyk_replace(const char *s, const char *from, const char *to)
{
    const char *p = strstr(s, from);
    cr_assert_not_null(p, "\"%s\" does not occur in %s", from, s);
    size_t a = (size_t)(p - s), fl = strlen(from), tl = strlen(to), sl = strlen(s);
    char *r = malloc(sl - fl + tl + 1);
    cr_assert_not_null(r);
    memcpy(r, s, a);
    memcpy(r + a, to, tl);
    memcpy(r + a + tl, p + fl, sl - a - fl + 1);
    return r;
}

/* Another character of the same kind: a different decimal digit, hex digit, or letter;
 * anything else becomes '#'. */
static KPT_UNUSED char kyk_other_char(char c)
{
    if (c >= '0' && c <= '9') return (char)('0' + (c - '0' + 1) % 10);
    if (c >= 'a' && c <= 'f') return (char)('a' + (c - 'a' + 1) % 6);
    if (c >= 'A' && c <= 'F') return (char)('A' + (c - 'A' + 1) % 6);
    if (c >= 'g' && c <= 'z') return c == 'z' ? 'g' : (char)(c + 1);
    if (c >= 'G' && c <= 'Z') return c == 'Z' ? 'G' : (char)(c + 1);
    return '#';
}

/* Appends s as a JSON string literal to out (cap bytes): quotes, backslashes and control
 * characters escaped. Returns the new length. */
static KPT_UNUSED size_t kyk_json_str(char *out, size_t cap, size_t at, const char *s)
{
    static const char d[] = "0123456789abcdef";
    char tmp[8];
    cr_assert_lt(at + 1, cap);
    out[at++] = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        size_t k = 0;
        if (*p == '"' || *p == '\\') {
            tmp[k++] = '\\';
            tmp[k++] = (char)*p;
        } else if (*p < 0x20) {
            tmp[k++] = '\\';
            tmp[k++] = 'u';
            tmp[k++] = '0';
            tmp[k++] = '0';
            tmp[k++] = d[*p >> 4];
            tmp[k++] = d[*p & 15];
        } else {
            tmp[k++] = (char)*p;
        }
        cr_assert_lt(at + k + 1, cap);
        memcpy(out + at, tmp, k);
        at += k;
    }
    cr_assert_lt(at + 2, cap);
    out[at++] = '"';
    out[at] = 0;
    return at;
}

/* ------------------------------------------------------------ files */

static KPT_UNUSED const char *kyk_tmpdir(void)
{
    if (!kyk_dir[0]) {
        snprintf(kyk_dir, sizeof kyk_dir, "/tmp/kyk-test-XXXXXX");
        cr_assert_not_null(mkdtemp(kyk_dir), "mkdtemp: %s", strerror(errno));
    }
    return kyk_dir;
}

/* path = <tmpdir>/<name> */
static KPT_UNUSED void kyk_path(char out[4096], const char *name)
{
    snprintf(out, 4096, "%s/%s", kyk_tmpdir(), name);
}

/* The whole file (NUL-terminated), or NULL if it does not exist. */
static KPT_UNUSED char *kyk_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    cr_assert_eq(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    cr_assert_geq(n, 0);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    cr_assert_not_null(buf);
    cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    buf[n] = 0;
    if (len) *len = (size_t)n;
    return buf;
}

static KPT_UNUSED void kyk_write(const char *path, const void *data, size_t len, const char *mode)
{
    FILE *f = fopen(path, mode);
    cr_assert_not_null(f, "cannot open %s: %s", path, strerror(errno));
    cr_assert_eq(fwrite(data, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
}

/* ------------------------------------------------------------ lines of a text */

#define KYK_MAX_LINES 64

typedef struct kyk_lines {
    size_t n;
    const char *s[KYK_MAX_LINES]; /* into the text */
    size_t len[KYK_MAX_LINES];    /* without the newline */
} kyk_lines;

/* Splits a text of complete lines (each ending in '\n'). */
static KPT_UNUSED void kyk_split(kyk_lines *L, const char *text, size_t len)
{
    memset(L, 0, sizeof *L);
    size_t start = 0;
    while (start < len) {
        const char *nl = memchr(text + start, '\n', len - start);
        cr_assert_not_null(nl, "the text does not end with a newline");
        cr_assert_lt(L->n, KYK_MAX_LINES);
        L->s[L->n] = text + start;
        L->len[L->n] = (size_t)(nl - (text + start));
        L->n++;
        start = (size_t)(nl - text) + 1;
    }
}

/* A new text of the given lines of L, in the given order (0-based), each with its newline.
 * idx entries of -1 are skipped. */
static KPT_UNUSED char *kyk_join(const kyk_lines *L, const int *idx, size_t n, size_t *outlen)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        if (idx[i] >= 0) total += L->len[idx[i]] + 1;
    char *t = malloc(total + 1), *w = t;
    cr_assert_not_null(t);
    for (size_t i = 0; i < n; i++) {
        if (idx[i] < 0) continue;
        memcpy(w, L->s[idx[i]], L->len[idx[i]]);
        w += L->len[idx[i]];
        *w++ = '\n';
    }
    *w = 0;
    *outlen = total;
    return t;
}

#endif
