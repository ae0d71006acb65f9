/*
 * keyport_bench.c: keyport-bench, single-threaded throughput of libkeyport (docs/design.md, Benchmarks).
 *
 * For each curve it times, each for at least a fixed wall time (--seconds) after a short warm-up,
 * in interleaved slices so that the bare operations and the full calls see the same machine load:
 *   - the bare curve operations: base multiplication on the curve, and constant-time secp256k1
 *     ECDH (kp_secp_ecdh, which parses the peer point);
 *   - full kp_import_prepare calls (t-of-n over a parsed signers list, JSON output included);
 *   - full kp_export_recover calls on an n-share export response;
 * and prints, next to each full operation, the floor: how many per second the curve operations
 * that one call cannot avoid would allow, from the timings of the same run:
 *   import_prepare: n·base_mul(curve) + n·base_mul(secp256k1) + n·ecdh  (public shares, and per
 *                   envelope the ephemeral E = e·G and the shared point e·K); for stark the
 *                   public shares take t·base_mul and (n-1)(t-1) point additions, which the
 *                   floor does not count (each is about 1/40 of a base multiplication)
 *   export_recover: n·ecdh + 1·base_mul(curve)                         (opening n envelopes, and
 *                   the final secret·G == publicKey check)
 * ratio = floor_per_s / per_s: how many times slower than the floor a call is (1.0 is ideal).
 * Each floor line carries "floor": the count it is made of.
 * For stark it also times the variable-base multiplication (mul) and, as the reference the
 * speed is judged by, OpenSSL's generic EC code on the same curve (base_mul_openssl,
 * mul_openssl: what keyport used before its own Stark arithmetic), with vs_openssl = per_s /
 * the OpenSSL per_s.
 * --threads N adds bulk lines: import preparation and export recovery over many keys on N
 * threads at once (each thread its own keys, one shared context), beside the same on 1 thread
 * in the same run, and scaling = per_s(N) / per_s(1).
 *
 * Then the worst cases of robust recovery, 64 shares, each timed as single calls (the fastest of
 * 3, 1 with --quick) beside the floor of opening 64 envelopes (64·ecdh + 1·base_mul), in wall and
 * in thread CPU time (cpu_ratio = cpu_seconds / floor_cpu_seconds):
 *   good:    64 good shares;
 *   bound:   the most bad shares the unique-decoding bound allows, (64 - t + 1)/2, all named;
 *   garbage: 64 shares on no common polynomial: the search beyond the bound runs to its budget.
 * for t = 5 and t = 32.
 *
 * Output: one JSON object per line on stdout. Nothing here asserts anything about time; the
 * results of each full operation are checked once for correctness before it is timed.
 * Exit status: 0 on success, 1 (with a message on stderr) if a library call fails, 2 on bad usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ec.h>

#include "curve.h"
#include "field.h"
#include "keyport.h"
#include "share.h"

#define BENCH_T 3         /* threshold (minSigners) */
#define BENCH_N 5         /* signers of an import, shares of an export */
#define POOL 64           /* distinct inputs the bare operations cycle through (a power of 2) */
#define DEFAULT_SECONDS 0.5
#define QUICK_SECONDS 0.05
#define DEFAULT_SEED UINT64_C(0x6b6579706f7274) /* "keyport" */

static const kp_curve CURVES[] = {KP_CURVE_SECP256K1, KP_CURVE_ED25519, KP_CURVE_STARK};

/* ------------------------------------------------------------ failures */

static void die(const char *what, kp_status st) __attribute__((noreturn));
static void die(const char *what, kp_status st)
{
    const char *name = kp_status_name(st);
    fprintf(stderr, "keyport-bench: %s failed: %s (%s): %s\n", what, name ? name : "?", kp_strerror(st),
            kp_error_detail());
    exit(1);
}

static void check(kp_status st, const char *what)
{
    if (st != KP_OK) die(what, st);
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "keyport-bench: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

/* ------------------------------------------------------------ timing */

static double clock_s(clockid_t id, const char *name)
{
    struct timespec ts;
    if (clock_gettime(id, &ts) != 0) {
        fprintf(stderr, "keyport-bench: clock_gettime(%s): %s\n", name, strerror(errno));
        exit(1);
    }
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double now(void)
{
    return clock_s(CLOCK_MONOTONIC, "CLOCK_MONOTONIC");
}

/* CPU time of this thread: with wall time it shows whether other processes took the core. */
static double cpu_now(void)
{
    return clock_s(CLOCK_THREAD_CPUTIME_ID, "CLOCK_THREAD_CPUTIME_ID");
}

struct timing {
    double per_s;        /* calls per second of wall time (CLOCK_MONOTONIC) */
    unsigned long iters;
    double cpu_share;    /* thread CPU time / wall time: well below 1 means the core was shared */
    double cpu_per_s;    /* calls per second of this thread's CPU time */
};

/* One thing to time: fn(arg) is one call. */
struct job {
    void (*fn)(void *);
    void *arg;
    unsigned long iters;
    double wall, cpu;
};

static double g_seconds = DEFAULT_SECONDS;

static double warmup_seconds(void)
{
    double w = g_seconds / 5;
    return w > 0.1 ? 0.1 : w;
}

/* Runs job j until at least `seconds` of wall time have passed, adding to its totals. */
static void run_slice(struct job *j, double seconds)
{
    unsigned long iters = 0;
    double c0 = cpu_now(), t0 = now(), t;
    do {
        j->fn(j->arg);
        iters++;
        t = now() - t0;
    } while (t < seconds);
    j->cpu += cpu_now() - c0;
    j->wall += t;
    j->iters += iters;
}

/* Times several jobs together: each is warmed up, then they take turns in ROUNDS slices of
 * g_seconds / ROUNDS, so each runs for at least g_seconds in all. Interleaving makes a floor
 * and the full operation it is compared with see the same load on a shared machine. */
#define ROUNDS 10
static void run_jobs(struct job *jobs, size_t nj)
{
    for (size_t k = 0; k < nj; k++) {
        double t0 = now();
        do jobs[k].fn(jobs[k].arg);
        while (now() - t0 < warmup_seconds());
        jobs[k].iters = 0;
        jobs[k].wall = jobs[k].cpu = 0;
    }
    for (size_t r = 0; r < ROUNDS; r++)
        for (size_t k = 0; k < nj; k++) run_slice(&jobs[(k + r) % nj], g_seconds / ROUNDS);
}

static struct timing timing_of(const struct job *j)
{
    struct timing r;
    r.iters = j->iters;
    r.per_s = (double)j->iters / j->wall;
    r.cpu_share = j->cpu / j->wall;
    r.cpu_per_s = j->cpu > 0 ? (double)j->iters / j->cpu : r.per_s;
    return r;
}

/* Times one job alone. */
static struct timing measure(void (*fn)(void *), void *arg)
{
    struct job j = {fn, arg, 0, 0, 0};
    run_jobs(&j, 1);
    return timing_of(&j);
}

/* ------------------------------------------------------------ deterministic inputs */

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* A valid private key for curve c drawn from the seed: the same seed gives the same key. */
static void fixed_key(uint8_t key[32], kp_curve c, uint64_t seed)
{
    uint64_t s = seed ^ (uint64_t)c * UINT64_C(0x100000001b3);
    do {
        for (int i = 0; i < 4; i++) {
            uint64_t w = splitmix64(&s);
            for (int b = 0; b < 8; b++) key[8 * i + b] = (uint8_t)(w >> (56 - 8 * b));
        }
        /* keep below 2^252 (ed25519) or 2^251 (stark) so few draws are refused */
        if (c == KP_CURVE_ED25519) key[0] &= 0x0f;
        if (c == KP_CURVE_STARK) key[0] &= 0x07;
    } while (kp_scalar_check(c, key) != KP_OK);
}

static void hex(char *out, const uint8_t *p, size_t len)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = d[p[i] >> 4];
        out[2 * i + 1] = d[p[i] & 15];
    }
    out[2 * len] = 0;
}

static kp_protocol protocol_for(kp_curve c)
{
    return c == KP_CURVE_ED25519 ? KP_PROTOCOL_FROST : KP_PROTOCOL_CGGMP21;
}

/* ------------------------------------------------------------ the bare operations */

struct base_mul_arg {
    const kp_ctx *ctx;
    const kp_curve_ops *ops;
    uint8_t scalars[POOL][32];
    size_t i;
    kp_point out;
};

static void run_base_mul(void *v)
{
    struct base_mul_arg *a = v;
    check(a->ops->base_mul(a->ctx, &a->out, a->scalars[a->i++ & (POOL - 1)]), "base_mul");
}

struct ecdh_arg {
    const kp_ctx *ctx;
    uint8_t secret[32];
    uint8_t points[POOL][33]; /* compressed, as E is in an envelope */
    size_t i;
    uint8_t shared[33];
};

static void run_ecdh(void *v)
{
    struct ecdh_arg *a = v;
    check(kp_secp_ecdh(a->ctx, a->shared, a->points[a->i++ & (POOL - 1)], a->secret), "kp_secp_ecdh");
}

static void setup_base_mul(struct base_mul_arg *a, const kp_ctx *ctx, kp_curve c)
{
    memset(a, 0, sizeof *a);
    a->ctx = ctx;
    a->ops = kp_curve_ops_of(c);
    if (a->ops == NULL) die("kp_curve_ops_of", KP_ERR_CURVE);
    for (size_t i = 0; i < POOL; i++) check(kp_scalar_random(a->scalars[i], c), "kp_scalar_random");
}

static void setup_ecdh(struct ecdh_arg *a, const kp_ctx *ctx)
{
    uint8_t unused[32];
    memset(a, 0, sizeof *a);
    a->ctx = ctx;
    check(kp_scalar_random(a->secret, KP_CURVE_SECP256K1), "kp_scalar_random");
    for (size_t i = 0; i < POOL; i++) check(kp_encryption_keypair(ctx, unused, a->points[i]), "kp_encryption_keypair");
    kp_memzero(unused, sizeof unused);
}

/* ------------------------------------------------------------ import preparation */

struct import_arg {
    const kp_ctx *ctx;
    const kp_signers *signers;
    kp_curve curve;
    kp_protocol protocol;
    uint8_t key[32];
    kp_buf out;
};

static void run_import(void *v)
{
    struct import_arg *a = v;
    kp_buf_reset(&a->out);
    check(kp_import_prepare(a->ctx, &a->out, a->signers, a->curve, a->protocol, BENCH_T, NULL, a->key),
          "kp_import_prepare");
}

struct signer_keys {
    uint8_t id[16];
    size_t idlen;
    uint8_t secret[32];
    uint8_t ek[33];
};

/* Builds the signers list: N key pairs, written as a GET /signers response and parsed back. */
static kp_signers *make_signers(const kp_ctx *ctx, struct signer_keys *sk, size_t *json_bytes)
{
    kp_signer_info info[BENCH_N];
    kp_buf json;
    kp_signers *s = NULL;
    kp_buf_init(&json, 0);
    for (size_t i = 0; i < BENCH_N; i++) {
        int len = snprintf((char *)sk[i].id, sizeof sk[i].id, "bench-signer-%zu", i + 1);
        sk[i].idlen = (size_t)len;
        check(kp_encryption_keypair(ctx, sk[i].secret, sk[i].ek), "kp_encryption_keypair");
        info[i].signer_id = sk[i].id;
        info[i].signer_id_len = sk[i].idlen;
        memcpy(info[i].encryption_key, sk[i].ek, 33);
    }
    check(kp_signers_write(&json, "bench-cluster", info, BENCH_N), "kp_signers_write");
    check(kp_signers_parse(ctx, &s, (const char *)json.data, json.len, NULL), "kp_signers_parse");
    if (kp_signers_count(s) != BENCH_N) fail("kp_signers_parse returned the wrong number of signers");
    *json_bytes = json.len;
    kp_buf_release(&json);
    return s;
}

/* Checks one prepared import as the signers would: every share opens, agrees on the group
 * public key, and any t of them give the key back. */
static void check_import(const kp_ctx *ctx, const struct import_arg *a, const kp_signers *signers,
                         const struct signer_keys *sk)
{
    kp_import_request *req = NULL;
    uint8_t shares[BENCH_N][32], pub[KP_PUBKEY_MAX_BYTES], want[KP_PUBKEY_MAX_BYTES], got[32];
    uint8_t idx[BENCH_N][32];
    size_t pub_len, want_len;
    check(kp_public_key(ctx, want, &want_len, a->curve, a->key), "kp_public_key");
    check(kp_import_request_parse(&req, (const char *)a->out.data, a->out.len), "kp_import_request_parse");
    if (kp_import_request_count(req) != BENCH_N || kp_import_request_curve(req) != a->curve ||
        kp_import_request_min_signers(req) != BENCH_T)
        fail("the import request does not hold what was prepared");
    for (size_t i = 0; i < BENCH_N; i++) {
        uint8_t ek[33];
        const uint8_t *ct;
        size_t ct_len, who = BENCH_N;
        kp_signers_get(signers, i, ek);
        for (size_t m = 0; m < BENCH_N; m++)
            if (memcmp(sk[m].ek, ek, 33) == 0) who = m;
        if (who == BENCH_N) fail("a parsed signer has an unknown encryption key");
        kp_import_request_share(req, i, &ct, &ct_len);
        check(kp_import_open_share(ctx, shares[i], pub, &pub_len, sk[who].secret, a->curve, (unsigned)i + 1, BENCH_N,
                                   BENCH_T, ct, ct_len),
              "kp_import_open_share");
        if (pub_len != want_len || memcmp(pub, want, want_len) != 0)
            fail("the import share of %.*s gives the wrong group public key", (int)sk[who].idlen, (const char *)sk[who].id);
        kp_scalar_from_u64(idx[i], (uint64_t)i + 1);
    }
    check(kp_share_combine(got, a->curve, (const uint8_t(*)[32])idx + BENCH_N - BENCH_T, (const uint8_t(*)[32])shares[BENCH_N - BENCH_T],
                           BENCH_T),
          "kp_share_combine");
    if (memcmp(got, a->key, 32) != 0) fail("the import shares do not combine to the key");
    kp_memzero(shares, sizeof shares);
    kp_memzero(got, sizeof got);
    kp_import_request_free(req);
}

/* ------------------------------------------------------------ export recovery */

struct export_arg {
    const kp_ctx *ctx;
    uint8_t context_secret[32];
    kp_buf response;
};

static void run_export(void *v)
{
    struct export_arg *a = v;
    kp_export_result *r = NULL;
    check(kp_export_recover(a->ctx, &r, a->context_secret, (const char *)a->response.data, a->response.len),
          "kp_export_recover");
    kp_export_result_free(r);
}

/* Builds an export response as a cluster would: the key split t-of-n, each share sealed to the
 * export context's encryption key. */
static void make_export(const kp_ctx *ctx, struct export_arg *a, kp_curve c, const uint8_t key[32])
{
    uint8_t ek[33], shares[BENCH_N][32], pub[KP_PUBKEY_MAX_BYTES];
    uint8_t ids[BENCH_N][16];
    kp_buf cts[BENCH_N];
    kp_signer_share ss[BENCH_N];
    size_t pub_len;
    check(kp_encryption_keypair(ctx, a->context_secret, ek), "kp_encryption_keypair");
    check(kp_public_key(ctx, pub, &pub_len, c, key), "kp_public_key");
    check(kp_share_split(ctx, shares, c, BENCH_T, BENCH_N, key), "kp_share_split");
    for (size_t i = 0; i < BENCH_N; i++) {
        int len = snprintf((char *)ids[i], sizeof ids[i], "bench-signer-%zu", i + 1);
        kp_buf_init(&cts[i], 0);
        uint8_t xb[32];
        kp_scalar_from_u64(xb, (uint64_t)i + 1);
        check(kp_export_seal_share(ctx, &cts[i], ek, c, xb, shares[i]), "kp_export_seal_share");
        ss[i].signer_id = ids[i];
        ss[i].signer_id_len = (size_t)len;
        ss[i].ciphertext = cts[i].data;
        ss[i].ciphertext_len = cts[i].len;
    }
    kp_buf_init(&a->response, 0);
    check(kp_export_response_write(&a->response, c, protocol_for(c), pub, pub_len, BENCH_T, ss, BENCH_N),
          "kp_export_response_write");
    for (size_t i = 0; i < BENCH_N; i++) kp_buf_release(&cts[i]);
    kp_memzero(shares, sizeof shares);
}

static void check_export(const struct export_arg *a, kp_curve c, const uint8_t key[32])
{
    kp_export_result *r = NULL;
    uint8_t got[32];
    check(kp_export_recover(a->ctx, &r, a->context_secret, (const char *)a->response.data, a->response.len),
          "kp_export_recover");
    kp_export_result_private_key(r, got);
    if (kp_export_result_curve(r) != c || kp_export_result_culprit_count(r) != 0 || memcmp(got, key, 32) != 0)
        fail("kp_export_recover did not give back the key");
    kp_memzero(got, sizeof got);
    kp_export_result_free(r);
}

/* ------------------------------------------------------------ optional breakdown */

/* With --breakdown: the pieces around the curve operations, to see where time goes. */
struct seal_arg {
    const kp_ctx *ctx;
    uint8_t ek[33], secret[32];
    uint8_t msg[1024], ct[1024 + KP_ENVELOPE_OVERHEAD];
    size_t len;
};

static void run_seal(void *v)
{
    struct seal_arg *a = v;
    check(kp_envelope_seal(a->ctx, a->ct, a->ek, a->msg, a->len), "kp_envelope_seal");
}

static void run_open(void *v)
{
    struct seal_arg *a = v;
    check(kp_envelope_open(a->ctx, a->msg, a->secret, a->ct, a->len + KP_ENVELOPE_OVERHEAD), "kp_envelope_open");
}

static void run_secure_alloc(void *v)
{
    (void)v;
    void *p = kp_secure_alloc(32);
    if (p == NULL) die("kp_secure_alloc", KP_ERR_NOMEM);
    kp_secure_free(p);
}

struct parse_arg {
    const kp_ctx *ctx;
    const kp_curve_ops *ops;
    uint8_t pub[KP_PUBKEY_MAX_BYTES];
    kp_point p;
};

static void run_parse(void *v)
{
    struct parse_arg *a = v;
    check(a->ops->parse(a->ctx, &a->p, a->pub, a->ops->pub_len), "parse");
}

struct split_arg {
    const kp_ctx *ctx;
    kp_curve c;
    uint8_t key[32], shares[BENCH_N][32];
};

static void run_split(void *v)
{
    struct split_arg *a = v;
    check(kp_share_split(a->ctx, a->shares, a->c, BENCH_T, BENCH_N, a->key), "kp_share_split");
}

struct recover_arg {
    const kp_ctx *ctx;
    kp_curve c;
    uint8_t idx[BENCH_N][32];
    uint8_t shares[BENCH_N][32], secret[32];
    kp_recovery rec;
    uint8_t pub[KP_PUBKEY_MAX_BYTES];
    size_t pub_len;
};

/* Robust recovery of n good shares: Lagrange interpolation and one base multiplication. */
static void run_recover(void *v)
{
    struct recover_arg *a = v;
    check(kp_share_recover(a->ctx, a->secret, &a->rec, a->c, BENCH_T, (const uint8_t(*)[32])a->idx,
                           (const uint8_t(*)[32])a->shares, BENCH_N,
                           a->pub, a->pub_len),
          "kp_share_recover");
}

struct inv_arg {
    const kp_field *f;
    kp_fe a;
};

static void run_fe_inv(void *v)
{
    struct inv_arg *a = v;
    kp_fe_inv(a->f, &a->a, &a->a);
}

/* One line for a single operation; c 0 leaves "curve" out. */
static void print_simple(const char *op, kp_curve c, struct timing t, const char *extra)
{
    char curve[40] = "";
    if (c != 0) snprintf(curve, sizeof curve, ",\"curve\":\"%s\"", kp_curve_name(c));
    printf("{\"op\":\"%s\"%s%s,\"per_s\":%.1f,\"iters\":%lu,\"cpu_share\":%.2f,\"cpu_per_s\":%.1f}\n", op, curve,
           extra, t.per_s, t.iters, t.cpu_share, t.cpu_per_s);
    fflush(stdout);
}

static void breakdown_envelope(const kp_ctx *ctx)
{
    static struct seal_arg s;
    static const size_t sizes[] = {232, 960}; /* an export share; an n = 5 secp256k1 import share */
    check(kp_encryption_keypair(ctx, s.secret, s.ek), "kp_encryption_keypair");
    s.ctx = ctx;
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        char extra[32];
        s.len = sizes[k];
        memset(s.msg, 'x', s.len);
        snprintf(extra, sizeof extra, ",\"bytes\":%zu", s.len);
        print_simple("envelope_seal", KP_CURVE_SECP256K1, measure(run_seal, &s), extra);
        print_simple("envelope_open", KP_CURVE_SECP256K1, measure(run_open, &s), extra);
    }
    print_simple("secure_alloc_free", (kp_curve)0, measure(run_secure_alloc, NULL), "");
}

static void breakdown_curve(const kp_ctx *ctx, kp_curve c, const uint8_t key[32])
{
    static struct parse_arg p;
    static struct split_arg s;
    size_t len;
    p.ctx = ctx;
    p.ops = kp_curve_ops_of(c);
    check(kp_public_key(ctx, p.pub, &len, c, key), "kp_public_key");
    print_simple("pubkey_parse", c, measure(run_parse, &p), "");
    s.ctx = ctx;
    s.c = c;
    memcpy(s.key, key, 32);
    print_simple("share_split", c, measure(run_split, &s), "");

    static struct recover_arg r;
    r.ctx = ctx;
    r.c = c;
    memcpy(r.shares, s.shares, sizeof r.shares);
    for (size_t i = 0; i < BENCH_N; i++) kp_scalar_from_u64(r.idx[i], (uint64_t)i + 1);
    check(kp_public_key(ctx, r.pub, &r.pub_len, c, key), "kp_public_key");
    print_simple("share_recover", c, measure(run_recover, &r), "");

    static struct inv_arg inv;
    inv.f = kp_field_of(c);
    kp_fe_set_u32(&inv.a, 12345);
    print_simple("fe_inv", c, measure(run_fe_inv, &inv), "");
    kp_memzero(&s, sizeof s);
    kp_memzero(&r, sizeof r);
}

/* ------------------------------------------------------------ stark: keyport's own code and OpenSSL's */

struct mul_arg {
    const kp_ctx *ctx;
    const kp_curve_ops *ops;
    kp_point points[POOL];
    uint8_t scalars[POOL][32];
    size_t i;
    kp_point out;
};

static void run_mul(void *v)
{
    struct mul_arg *a = v;
    size_t i = a->i++ & (POOL - 1);
    check(a->ops->mul(a->ctx, &a->out, &a->points[i], a->scalars[i]), "mul");
}

/* OpenSSL's generic EC code on the Stark curve (cairo-lang parameters), as keyport used it
 * before stark.c: a constant-time-flagged BIGNUM scalar, the affine result read back. */
struct ossl_arg {
    EC_GROUP *g;
    EC_POINT *p, *r;
    BIGNUM *k[POOL], *x, *y;
    BN_CTX *bn;
    size_t i;
    int base;
};

static void run_ossl(void *v)
{
    struct ossl_arg *a = v;
    BIGNUM *k = a->k[a->i++ & (POOL - 1)];
    if (!EC_POINT_mul(a->g, a->r, a->base ? k : NULL, a->base ? NULL : a->p, a->base ? NULL : k, a->bn) ||
        !EC_POINT_get_affine_coordinates(a->g, a->r, a->x, a->y, a->bn))
        fail("OpenSSL failed on a Stark multiplication");
}

static void setup_ossl(struct ossl_arg *a, const uint8_t (*scalars)[32])
{
    BIGNUM *p = NULL, *b = NULL, *n = NULL, *gx = NULL, *gy = NULL, *one = BN_new();
    EC_POINT *gen;
    memset(a, 0, sizeof *a);
    a->bn = BN_CTX_new();
    if (one == NULL || a->bn == NULL || !BN_one(one) ||
        !BN_hex2bn(&p, "0800000000000011000000000000000000000000000000000000000000000001") ||
        !BN_hex2bn(&b, "06f21413efbe40de150e596d72f7a8c5609ad26c15c915c1f4cdfcb99cee9e89") ||
        !BN_hex2bn(&n, "0800000000000010ffffffffffffffffb781126dcae7b2321e66a241adc64d2f") ||
        !BN_hex2bn(&gx, "01ef15c18599971b7beced415a40f0c7deacfd9b0d1819e03d723d8bc943cfca") ||
        !BN_hex2bn(&gy, "005668060aa49730b7be4801df46ec62de53ecd11abe43a32873000c36e8dc1f") ||
        (a->g = EC_GROUP_new_curve_GFp(p, one, b, a->bn)) == NULL || (gen = EC_POINT_new(a->g)) == NULL ||
        !EC_POINT_set_affine_coordinates(a->g, gen, gx, gy, a->bn) || !EC_GROUP_set_generator(a->g, gen, n, one))
        fail("cannot set up the Stark curve in OpenSSL");
    a->r = EC_POINT_new(a->g);
    a->p = EC_POINT_new(a->g);
    a->x = BN_new();
    a->y = BN_new();
    for (size_t i = 0; i < POOL; i++) {
        a->k[i] = BN_bin2bn(scalars[i], 32, NULL);
        if (a->k[i] == NULL) fail("OpenSSL: out of memory");
        BN_set_flags(a->k[i], BN_FLG_CONSTTIME);
    }
    if (a->r == NULL || a->p == NULL || a->x == NULL || a->y == NULL ||
        !EC_POINT_mul(a->g, a->p, a->k[0], NULL, NULL, a->bn))
        fail("OpenSSL: out of memory");
    EC_POINT_free(gen);
    BN_free(p); BN_free(b); BN_free(n); BN_free(gx); BN_free(gy); BN_free(one);
}

static void free_ossl(struct ossl_arg *a)
{
    for (size_t i = 0; i < POOL; i++) BN_free(a->k[i]);
    EC_POINT_free(a->p);
    EC_POINT_free(a->r);
    BN_free(a->x);
    BN_free(a->y);
    BN_CTX_free(a->bn);
    EC_GROUP_free(a->g);
}

/* base_mul and mul on stark, each beside OpenSSL's, interleaved as the other jobs are */
static void stark_vs_openssl(const kp_ctx *ctx, const struct base_mul_arg *bm)
{
    static struct mul_arg m;
    static struct base_mul_arg b;
    static struct ossl_arg ob, om;
    b = *bm;
    b.i = 0;
    memset(&m, 0, sizeof m);
    m.ctx = ctx;
    m.ops = b.ops;
    for (size_t i = 0; i < POOL; i++) {
        check(kp_scalar_random(m.scalars[i], KP_CURVE_STARK), "kp_scalar_random");
        check(b.ops->base_mul(ctx, &m.points[i], b.scalars[(i + 1) & (POOL - 1)]), "base_mul");
    }
    setup_ossl(&ob, (const uint8_t (*)[32])b.scalars);
    ob.base = 1;
    setup_ossl(&om, (const uint8_t (*)[32])m.scalars);
    struct job jobs[4] = {
        {run_base_mul, &b, 0, 0, 0}, {run_ossl, &ob, 0, 0, 0}, {run_mul, &m, 0, 0, 0}, {run_ossl, &om, 0, 0, 0}};
    run_jobs(jobs, 4);
    struct timing t[4];
    for (int i = 0; i < 4; i++) t[i] = timing_of(&jobs[i]);
    char extra[64];
    print_simple("base_mul_openssl", KP_CURVE_STARK, t[1], "");
    snprintf(extra, sizeof extra, ",\"vs_openssl\":%.2f", t[2].per_s / t[3].per_s);
    print_simple("mul", KP_CURVE_STARK, t[2], extra);
    print_simple("mul_openssl", KP_CURVE_STARK, t[3], "");
    snprintf(extra, sizeof extra, ",\"vs_openssl\":%.2f", t[0].per_s / t[1].per_s);
    print_simple("base_mul_vs_openssl", KP_CURVE_STARK, t[0], extra);
    free_ossl(&ob);
    free_ossl(&om);
}

/* ------------------------------------------------------------ bulk, on several threads */

static atomic_int g_stop;

struct bulk_worker {
    pthread_t th;
    struct import_arg im[4]; /* four keys per thread, in turn */
    struct export_arg ex[4];
    int export_side;
    unsigned long iters;
};

static void *bulk_main(void *v)
{
    struct bulk_worker *w = v;
    unsigned long n = 0;
    while (!atomic_load_explicit(&g_stop, memory_order_relaxed)) {
        if (w->export_side) run_export(&w->ex[n & 3]);
        else run_import(&w->im[n & 3]);
        n++;
    }
    w->iters = n;
    return NULL;
}

/* Calls per second of import preparation (export_side 0) or export recovery (1) on k threads. */
static double bulk_rate(struct bulk_worker *w, int k, int export_side)
{
    atomic_store(&g_stop, 0);
    double t0 = now();
    for (int i = 0; i < k; i++) {
        w[i].export_side = export_side;
        w[i].iters = 0;
        if (pthread_create(&w[i].th, NULL, bulk_main, &w[i]) != 0) fail("cannot start a thread");
    }
    struct timespec ts = {(time_t)g_seconds, (long)((g_seconds - (double)(time_t)g_seconds) * 1e9)};
    nanosleep(&ts, NULL);
    atomic_store(&g_stop, 1);
    unsigned long total = 0;
    for (int i = 0; i < k; i++) {
        pthread_join(w[i].th, NULL);
        total += w[i].iters;
    }
    return (double)total / (now() - t0);
}

static void bulk(const kp_ctx *ctx, kp_curve c, const kp_signers *signers, int threads, uint64_t seed)
{
    struct bulk_worker *w = calloc((size_t)threads, sizeof *w);
    if (w == NULL) fail("out of memory");
    for (int i = 0; i < threads; i++)
        for (int k = 0; k < 4; k++) {
            struct import_arg *im = &w[i].im[k];
            im->ctx = ctx;
            im->signers = signers;
            im->curve = c;
            im->protocol = protocol_for(c);
            fixed_key(im->key, c, seed + (uint64_t)(4 * i + k + 1));
            kp_buf_init(&im->out, 0);
            w[i].ex[k].ctx = ctx;
            make_export(ctx, &w[i].ex[k], c, im->key);
        }
    for (int side = 0; side < 2; side++) {
        double one = bulk_rate(w, 1, side), many = bulk_rate(w, threads, side);
        printf("{\"op\":\"bulk_%s\",\"curve\":\"%s\",\"t\":%d,\"n\":%d,\"threads\":%d,\"keys\":%d,\"per_s\":%.1f,"
               "\"per_s_1_thread\":%.1f,\"scaling\":%.2f,\"cores\":%ld}\n",
               side ? "export_recover" : "import_prepare", kp_curve_name(c), BENCH_T, BENCH_N, threads, 4 * threads,
               many, one, many / one, sysconf(_SC_NPROCESSORS_ONLN));
        fflush(stdout);
    }
    for (int i = 0; i < threads; i++)
        for (int k = 0; k < 4; k++) {
            kp_memzero(w[i].im[k].key, 32);
            kp_memzero(w[i].ex[k].context_secret, 32);
            kp_buf_release(&w[i].im[k].out);
            kp_buf_release(&w[i].ex[k].response);
        }
    free(w);
}

/* ------------------------------------------------------------ floors */

/* A floor: so many base multiplications on the key's curve, secp256k1 base multiplications and
 * ECDH, each at the rate measured for it. */
struct floor_terms {
    int n_bm;
    const struct timing *bm;
    int n_secp_bm;
    const struct timing *secp_bm;
    int n_ecdh;
    const struct timing *ecdh;
};

/* Calls per second the floor allows, by wall time (cpu = 0) or by thread CPU time (cpu = 1). */
static double floor_per_s(const struct floor_terms *f, int cpu)
{
    double bm = cpu ? f->bm->cpu_per_s : f->bm->per_s, secp_bm = cpu ? f->secp_bm->cpu_per_s : f->secp_bm->per_s,
           ecdh = cpu ? f->ecdh->cpu_per_s : f->ecdh->per_s;
    return 1.0 / (f->n_bm / bm + f->n_secp_bm / secp_bm + f->n_ecdh / ecdh);
}

/* One line for a full operation: its rate, the floor's, and ratio = floor_per_s / per_s. The
 * ratio comes from wall time (CLOCK_MONOTONIC); cpu_ratio is the same from thread CPU time,
 * which stays meaningful when other processes share the core (cpu_share well below 1). */
static void print_vs_floor(const char *op, kp_curve c, struct timing t, const struct floor_terms *f)
{
    double fl = floor_per_s(f, 0), fl_cpu = floor_per_s(f, 1);
    char how[160];
    snprintf(how, sizeof how, "%d base_mul(%s) + %d base_mul(secp256k1) + %d ecdh", f->n_bm, kp_curve_name(c),
             f->n_secp_bm, f->n_ecdh);
    printf("{\"op\":\"%s\",\"curve\":\"%s\",\"t\":%d,\"n\":%d,\"per_s\":%.1f,\"floor_per_s\":%.1f,\"ratio\":%.3f,"
           "\"iters\":%lu,\"cpu_share\":%.2f,\"cpu_ratio\":%.3f,\"floor\":\"%s\"}\n",
           op, kp_curve_name(c), BENCH_T, BENCH_N, t.per_s, fl, fl / t.per_s, t.iters, t.cpu_share,
           fl_cpu / t.cpu_per_s, how);
    fflush(stdout);
}

/* ------------------------------------------------------------ worst cases of recovery */

#define WORST_N 64

static double seconds_of(void (*fn)(void *), void *arg, int reps, double *cpu)
{
    double best = 1e30, best_cpu = 0;
    for (int r = 0; r < reps; r++) {
        double w0 = now(), c0 = cpu_now();
        fn(arg);
        double w = now() - w0, c = cpu_now() - c0;
        if (w < best) {
            best = w;
            best_cpu = c;
        }
    }
    *cpu = best_cpu;
    return best;
}

struct worst_arg {
    const kp_ctx *ctx;
    uint8_t context_secret[32];
    kp_buf response;
    kp_status st;
    size_t culprits;
    int unique;
};

static void run_worst(void *v)
{
    struct worst_arg *a = v;
    kp_export_result *r = NULL;
    a->st = kp_export_recover(a->ctx, &r, a->context_secret, (const char *)a->response.data, a->response.len);
    a->culprits = r ? kp_export_result_culprit_count(r) : 0;
    a->unique = r ? kp_export_result_unique(r) : 0;
    kp_export_result_free(r);
}

/* A 64-share response with nbad shares replaced by random values (positions spread out). */
static void make_worst(const kp_ctx *ctx, struct worst_arg *a, kp_curve c, const uint8_t key[32], unsigned t,
                       unsigned nbad)
{
    static uint8_t shares[WORST_N][32], ids[WORST_N][16];
    uint8_t ek[33], pub[KP_PUBKEY_MAX_BYTES], xb[32];
    kp_buf cts[WORST_N];
    kp_signer_share ss[WORST_N];
    size_t pub_len;
    check(kp_encryption_keypair(ctx, a->context_secret, ek), "kp_encryption_keypair");
    check(kp_public_key(ctx, pub, &pub_len, c, key), "kp_public_key");
    check(kp_share_split(ctx, shares, c, t, WORST_N, key), "kp_share_split");
    for (unsigned i = 0; i < nbad; i++) {
        unsigned pos = (unsigned)((i * 37u + 11u) % WORST_N); /* 37 is prime to 64: distinct positions */
        check(kp_scalar_random(shares[pos], c), "kp_scalar_random");
    }
    for (size_t i = 0; i < WORST_N; i++) {
        int len = snprintf((char *)ids[i], sizeof ids[i], "worst-%zu", i + 1);
        kp_buf_init(&cts[i], 0);
        kp_scalar_from_u64(xb, (uint64_t)i + 1);
        check(kp_export_seal_share(ctx, &cts[i], ek, c, xb, shares[i]), "kp_export_seal_share");
        ss[i] = (kp_signer_share){ids[i], (size_t)len, cts[i].data, cts[i].len};
    }
    kp_buf_init(&a->response, 0);
    check(kp_export_response_write(&a->response, c, protocol_for(c), pub, pub_len, t, ss, WORST_N),
          "kp_export_response_write");
    for (size_t i = 0; i < WORST_N; i++) kp_buf_release(&cts[i]);
    kp_memzero(shares, sizeof shares);
}

static void bench_worst(const kp_ctx *ctx, kp_curve c, const uint8_t key[32], const struct timing *bm,
                        const struct timing *ecdh, int reps)
{
    static const unsigned ts[] = {5, 32};
    /* the floor in wall time, and in this thread's CPU time (the fair one when the core is shared) */
    double floor_s = WORST_N / ecdh->per_s + 1 / bm->per_s, floor_cpu = WORST_N / ecdh->cpu_per_s + 1 / bm->cpu_per_s;
    for (size_t ti = 0; ti < sizeof ts / sizeof *ts; ti++) {
        unsigned t = ts[ti];
        const struct { const char *name; unsigned bad; } cases[] = {
            {"good", 0}, {"bound", (WORST_N - t + 1) / 2}, {"garbage", WORST_N}};
        for (size_t k = 0; k < 3; k++) {
            static struct worst_arg a;
            memset(&a, 0, sizeof a);
            a.ctx = ctx;
            make_worst(ctx, &a, c, key, t, cases[k].bad);
            double cpu, s = seconds_of(run_worst, &a, reps, &cpu);
            int want_ok = cases[k].bad < WORST_N;
            if ((a.st == KP_OK) != want_ok || (want_ok && (a.culprits != cases[k].bad || !a.unique)))
                fail("recovery of the %s case (t = %u) gave %s with %zu culprits", cases[k].name, t,
                     kp_status_name(a.st), a.culprits);
            printf("{\"op\":\"export_recover_64\",\"curve\":\"%s\",\"case\":\"%s\",\"n\":%d,\"t\":%u,\"bad\":%u,"
                   "\"seconds\":%.4f,\"floor_seconds\":%.4f,\"cpu_seconds\":%.4f,\"floor_cpu_seconds\":%.4f,"
                   "\"cpu_ratio\":%.2f,\"status\":\"%s\"}\n",
                   kp_curve_name(c), cases[k].name, WORST_N, t, cases[k].bad, s, floor_s, cpu, floor_cpu, cpu / floor_cpu,
                   kp_status_name(a.st));
            fflush(stdout);
            kp_buf_release(&a.response);
            kp_memzero(a.context_secret, sizeof a.context_secret);
        }
    }
}

/* ------------------------------------------------------------ main */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: keyport-bench [--seconds S] [--quick] [--seed N] [--curve NAME] [--breakdown] [--threads N]\n"
            "  --seconds S   time each measurement for at least S seconds (default %.2g)\n"
            "  --quick       a smoke run: --seconds %.2g\n"
            "  --seed N      seed of the fixed private keys (default 0x%" PRIx64 ")\n"
            "  --curve NAME  only this curve (secp256k1, ed25519, stark); the secp256k1 operations\n"
            "                of the floor are timed anyway\n"
            "  --breakdown   also time the envelope, the secure allocator, publicKey parsing, splitting,\n"
            "                robust recovery (kp_share_recover) and one field inversion\n"
            "  --threads N   also bulk import preparation and export recovery over many keys on N threads,\n"
            "                beside 1 thread, with the scaling (N from 1 to 64)\n"
            "Prints one JSON object per line: base_mul, ecdh, import_prepare and export_recover with\n"
            "per_s, and for the last two floor_per_s (from the bare curve operations) and\n"
            "ratio = floor_per_s / per_s.\n",
            DEFAULT_SECONDS, QUICK_SECONDS, DEFAULT_SEED);
}

int main(int argc, char **argv)
{
    uint64_t seed = DEFAULT_SEED;
    int only = 0, breakdown = 0, threads = 0;
    kp_ctx *ctx = NULL;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        char *end;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--quick") == 0) {
            g_seconds = QUICK_SECONDS;
        } else if (strcmp(a, "--breakdown") == 0) {
            breakdown = 1;
        } else if (strcmp(a, "--seconds") == 0 && i + 1 < argc) {
            errno = 0;
            g_seconds = strtod(argv[++i], &end);
            if (errno != 0 || *end != 0 || end == argv[i] || !(g_seconds > 0) || !isfinite(g_seconds) ||
                g_seconds > 3600) {
                fprintf(stderr, "keyport-bench: --seconds wants a number of seconds in (0, 3600], not \"%s\"\n", argv[i]);
                return 2;
            }
        } else if (strcmp(a, "--seed") == 0 && i + 1 < argc) {
            errno = 0;
            seed = strtoull(argv[++i], &end, 0);
            if (errno != 0 || *end != 0 || end == argv[i] || argv[i][0] == '-') {
                fprintf(stderr, "keyport-bench: --seed wants an unsigned 64-bit number, not \"%s\"\n", argv[i]);
                return 2;
            }
        } else if (strcmp(a, "--threads") == 0 && i + 1 < argc) {
            errno = 0;
            long v = strtol(argv[++i], &end, 10);
            if (errno != 0 || *end != 0 || end == argv[i] || v < 1 || v > 64) {
                fprintf(stderr, "keyport-bench: --threads wants a number of threads from 1 to 64, not \"%s\"\n", argv[i]);
                return 2;
            }
            threads = (int)v;
        } else if (strcmp(a, "--curve") == 0 && i + 1 < argc) {
            kp_curve c;
            if (kp_curve_from_name(&c, argv[++i]) != KP_OK) {
                fprintf(stderr, "keyport-bench: %s\n", kp_error_detail());
                return 2;
            }
            only = (int)c;
        } else {
            fprintf(stderr, "keyport-bench: unknown or incomplete argument \"%s\"\n", a);
            usage(stderr);
            return 2;
        }
    }

    check(kp_ctx_new(&ctx), "kp_ctx_new");
    printf("{\"op\":\"config\",\"version\":\"%s\",\"threads\":1,\"t\":%d,\"n\":%d,\"seconds\":%g,\"warmup_seconds\":%g,"
           "\"rounds\":%d,\"seed\":\"0x%" PRIx64 "\",\"pool\":%d,\"clock\":\"CLOCK_MONOTONIC\"}\n",
           KP_VERSION_STRING, BENCH_T, BENCH_N, g_seconds, warmup_seconds(), ROUNDS, seed, POOL);
    fflush(stdout);

    /* The envelope is secp256k1 whatever the key's curve: its two operations are timed with
     * every curve's full operations. */
    static struct base_mul_arg bm_arg, secp_bm_arg;
    static struct ecdh_arg ecdh_arg;
    setup_base_mul(&secp_bm_arg, ctx, KP_CURVE_SECP256K1);
    setup_ecdh(&ecdh_arg, ctx);
    if (breakdown) breakdown_envelope(ctx);

    for (size_t ci = 0; ci < sizeof CURVES / sizeof CURVES[0]; ci++) {
        kp_curve c = CURVES[ci];
        if (only && (int)c != only) continue;
        static struct import_arg im;
        static struct export_arg ex;
        static struct signer_keys sk[BENCH_N];
        kp_signers *signers;
        size_t signers_bytes, pub_len;
        uint8_t pub[KP_PUBKEY_MAX_BYTES];
        char pubhex[2 * KP_PUBKEY_MAX_BYTES + 1];

        /* the inputs */
        memset(&im, 0, sizeof im);
        im.ctx = ctx;
        im.curve = c;
        im.protocol = protocol_for(c);
        fixed_key(im.key, c, seed);
        check(kp_public_key(ctx, pub, &pub_len, c, im.key), "kp_public_key");
        hex(pubhex, pub, pub_len);
        signers = make_signers(ctx, sk, &signers_bytes);
        im.signers = signers;
        kp_buf_init(&im.out, 0);
        run_import(&im);
        check_import(ctx, &im, signers, sk);
        memset(&ex, 0, sizeof ex);
        ex.ctx = ctx;
        make_export(ctx, &ex, c, im.key);
        check_export(&ex, c, im.key);
        printf("{\"op\":\"inputs\",\"curve\":\"%s\",\"protocol\":\"%s\",\"publicKey\":\"%s\",\"signers_json_bytes\":%zu,"
               "\"import_request_bytes\":%zu,\"export_response_bytes\":%zu}\n",
               kp_curve_name(c), kp_protocol_name(im.protocol), pubhex, signers_bytes, im.out.len, ex.response.len);
        fflush(stdout);

        /* Time the bare operations and the full ones together. */
        enum { J_BM, J_SECP_BM, J_ECDH, J_IMPORT, J_EXPORT, NJOBS };
        struct job jobs[NJOBS] = {
            {run_base_mul, &bm_arg, 0, 0, 0},  {run_base_mul, &secp_bm_arg, 0, 0, 0}, {run_ecdh, &ecdh_arg, 0, 0, 0},
            {run_import, &im, 0, 0, 0},        {run_export, &ex, 0, 0, 0},
        };
        size_t first = 0;
        if (c == KP_CURVE_SECP256K1) first = 1; /* the curve's base_mul is the secp256k1 one */
        else setup_base_mul(&bm_arg, ctx, c);
        run_jobs(jobs + first, NJOBS - first);
        struct timing bm = timing_of(&jobs[c == KP_CURVE_SECP256K1 ? J_SECP_BM : J_BM]);
        struct timing secp_bm = timing_of(&jobs[J_SECP_BM]), ecdh = timing_of(&jobs[J_ECDH]);

        print_simple("base_mul", c, bm, "");
        if (c == KP_CURVE_SECP256K1) print_simple("ecdh", c, ecdh, "");
        /* The floors, from the bare operations timed alongside: per call, n base multiplications
         * on the curve, and per envelope one secp256k1 base multiplication and one ECDH (import);
         * n ECDH and one base multiplication on the curve (export). */
        /* stark's public shares: t base multiplications of the forward differences (curve.h) */
        struct floor_terms fi = {c == KP_CURVE_STARK ? BENCH_T : BENCH_N, &bm, BENCH_N, &secp_bm, BENCH_N, &ecdh};
        struct floor_terms fe = {1, &bm, 0, &secp_bm, BENCH_N, &ecdh};
        print_vs_floor("import_prepare", c, timing_of(&jobs[J_IMPORT]), &fi);
        print_vs_floor("export_recover", c, timing_of(&jobs[J_EXPORT]), &fe);

        if (c == KP_CURVE_STARK) stark_vs_openssl(ctx, &bm_arg);
        if (threads > 0) bulk(ctx, c, signers, threads, seed);
        if (breakdown) breakdown_curve(ctx, c, im.key);
        bench_worst(ctx, c, im.key, &bm, &ecdh, g_seconds <= QUICK_SECONDS ? 1 : 3);

        kp_memzero(im.key, sizeof im.key);
        kp_memzero(ex.context_secret, sizeof ex.context_secret);
        kp_memzero(sk, sizeof sk);
        kp_buf_release(&im.out);
        kp_buf_release(&ex.response);
        kp_signers_free(signers);
    }
    kp_ctx_free(ctx);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "keyport-bench: cannot write the results: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}
