/*
 * test_recovery.c: robust recovery, exhaustively for n <= 7 on every curve (issue 7): every set of
 * bad positions, with every kind of bad share alone and mixed: random values, a constant offset,
 * a copy of another signer's share, another signer's index, another signer's signerId, a share
 * that does not decrypt, a share tagged with another curve. For each response it checks, against
 * what the test knows (not against keyport):
 * - the key is recovered, and right, whenever t distinct good shares opened;
 * - no honest signer's signerId is ever named;
 * - within the unique-decoding bound (N distinct shares opened, e of them off the polynomial,
 *   2e <= N - t + 1) every bad entry whose signerId carries no good entry is named, and the result
 *   says unique; beyond it, only the entries that failed to open are named.
 */
#include "kptest.h"

TestSuite(recovery, .init = kpt_setup, .fini = kpt_teardown, .timeout = 1200);

enum kind { GOOD, RANDOM, OFFSET, DUP_SHARE, DUP_INDEX, DUP_ID, UNDECRYPT, WRONG_TAG, NKINDS };
static const char *const NAME[NKINDS] = {"good",      "random",        "offset",  "copy of a share",
                                         "dup index", "dup signerId", "undecryptable", "wrong tag"};

#define N 7

struct entry {
    int label;     /* whose signerId it carries */
    int opened;    /* decrypts and parses */
    uint32_t x;    /* index */
    uint8_t y[32]; /* share */
    int on;        /* y is the true share at x */
};

static kp_curve other_curve(kp_curve c)
{
    return c == KP_CURVE_SECP256K1 ? KP_CURVE_ED25519 : KP_CURVE_SECP256K1;
}

static unsigned long run_one(kp_curve c, unsigned n, unsigned t, const enum kind *kinds, const uint8_t dk[32],
                             const uint8_t ek[33], uint8_t (*ids)[8], unsigned *checked_unique)
{
    uint8_t secret[32], shares[N][32], pub[33], off[32], dk2[32], ek2[33];
    size_t publen;
    struct entry e[N];
    kp_buf cts[N];
    kp_signer_share ss[N];
    char what[160];
    int len = snprintf(what, sizeof what, "%s %u-of-%u:", kpt_curve_str(c), t, n);
    for (unsigned i = 0; i < n; i++) len += snprintf(what + len, sizeof what - (size_t)len, " %s", NAME[kinds[i]]);
    kpt_random_scalar(secret, c);
    KPT_ST(kp_public_key(ctx, pub, &publen, c, secret), KP_OK);
    KPT_ST(kp_share_split(ctx, shares, c, t, n, secret), KP_OK);
    kpt_random_scalar(off, c);
    KPT_ST(kp_encryption_keypair(ctx, dk2, ek2), KP_OK);
    for (unsigned i = 0; i < n; i++) {
        unsigned j = (i + 1) % n;
        uint8_t xb[32];
        e[i] = (struct entry){(int)i, 1, i + 1, {0}, 0};
        memcpy(e[i].y, shares[i], 32);
        switch (kinds[i]) {
        case GOOD: break;
        case RANDOM: kpt_random_scalar(e[i].y, c); break;
        case OFFSET: KPT_ST(kp_scalar_add(e[i].y, c, shares[i], off), KP_OK); break;
        case DUP_SHARE:
            e[i].x = j + 1;
            memcpy(e[i].y, shares[j], 32);
            break;
        case DUP_INDEX: e[i].x = j + 1; break;
        case DUP_ID:
            e[i].label = (int)j;
            kpt_random_scalar(e[i].y, c);
            break;
        case UNDECRYPT:
        case WRONG_TAG: e[i].opened = 0; break;
        default: cr_assert_fail();
        }
        e[i].on = e[i].opened && memcmp(e[i].y, shares[e[i].x - 1], 32) == 0;
        kpt_scalar_u32(xb, e[i].x);
        kp_buf_init(&cts[i], 0);
        if (kinds[i] == UNDECRYPT) {
            KPT_ST(kp_export_seal_share(ctx, &cts[i], ek2, c, xb, e[i].y), KP_OK);
        } else if (kinds[i] == WRONG_TAG) {
            uint8_t o[32];
            kpt_random_scalar(o, other_curve(c));
            KPT_ST(kp_export_seal_share(ctx, &cts[i], ek, other_curve(c), xb, o), KP_OK);
        } else {
            KPT_ST(kp_export_seal_share(ctx, &cts[i], ek, c, xb, e[i].y), KP_OK);
        }
        ss[i] = (kp_signer_share){ids[e[i].label], 8, cts[i].data, cts[i].len};
    }
    kp_buf resp;
    kp_buf_init(&resp, 0);
    KPT_ST(kp_export_response_write(&resp, c, c == KP_CURVE_ED25519 ? KP_PROTOCOL_FROST : KP_PROTOCOL_CGGMP21, pub, publen,
                                    t, ss, n),
           KP_OK);
    /* what the test knows: distinct opened points, those off the polynomial, distinct good ones */
    unsigned npts = 0, noff = 0, ngood_x = 0;
    for (unsigned i = 0; i < n; i++) {
        if (!e[i].opened) continue;
        int first = 1, first_x = 1;
        for (unsigned m = 0; m < i; m++) {
            if (!e[m].opened) continue;
            if (e[m].x == e[i].x && memcmp(e[m].y, e[i].y, 32) == 0) first = 0;
            if (e[m].x == e[i].x && e[m].on && e[i].on) first_x = 0;
        }
        npts += first;
        noff += first && !e[i].on;
        ngood_x += e[i].on && first_x;
    }
    int unique = npts >= t && 2 * noff <= npts - t + 1;
    /* Constant offsets can put bad shares on a second polynomial through publicKey (with indices 1..n,
     * shifting shares 1 and 2 of a 3-of-3 by c keeps f(0)), which the data cannot tell from the true
     * one; then only the safety properties are checked. */
    int structured = 0;
    for (unsigned i = 0; i < n; i++) structured |= kinds[i] == OFFSET;
    /* With fewer than t good shares the bad ones may form the only polynomial through publicKey, and
     * no rule can then tell who is honest: nothing is checked but the key. */
    int honest_majority = ngood_x >= t;
    kp_export_result *r = NULL;
    kp_status st = kp_export_recover(ctx, &r, dk, (const char *)resp.data, resp.len);
    if (ngood_x >= t) cr_assert_eq(st, KP_OK, "%s: %s: %s", what, kp_status_name(st), kp_error_detail());
    if (st == KP_OK) {
        uint8_t key[32];
        kp_export_result_private_key(r, key);
        cr_assert_arr_eq(key, secret, 32, "%s: wrong key", what);
        /* labels: honest when some good entry carries it; provably bad when every entry under it failed
         * to open or (within the bound) is off the polynomial */
        for (unsigned l = 0; l < n; l++) {
            int used = 0, honest = 0, all_bad = 1, all_unopened = 1;
            for (unsigned i = 0; i < n; i++) {
                if (e[i].label != (int)l) continue;
                used = 1;
                honest |= kinds[i] == GOOD;
                all_bad &= !e[i].on;
                all_unopened &= !e[i].opened;
            }
            char *id64 = kpt_b64(ids[l], 8);
            int named = 0;
            for (size_t k = 0; k < kp_export_result_culprit_count(r); k++)
                named |= strcmp(kp_export_result_culprit(r, k, NULL, NULL), id64) == 0;
            cr_assert(!named || used, "%s: signer %u named but absent", what, l);
            if (honest_majority) cr_assert(!(named && honest), "%s: honest signer %u named (%s)", what, l, kp_export_result_note(r));
            if (!honest_majority || structured) {
                /* only the safety properties */
            } else if (used && unique) {
                cr_assert_eq(named, all_bad, "%s: signer %u named %d, provably bad %d", what, l, named, all_bad);
            } else if (used) {
                cr_assert_eq(named, all_unopened, "%s (beyond the bound): signer %u named %d, unopened %d (%s)", what, l,
                             named, all_unopened, kp_export_result_note(r));
            }
            free(id64);
        }
        if (honest_majority && !structured)
            cr_assert_eq(kp_export_result_unique(r), unique, "%s: unique %d, want %d (%s)", what, kp_export_result_unique(r),
                         unique, kp_export_result_note(r));
        *checked_unique += (unsigned)unique;
        kp_export_result_free(r);
    } else {
        cr_assert(st == KP_ERR_NOT_ENOUGH || st == KP_ERR_WRONG_CONTEXT, "%s: %s", what, kp_status_name(st));
        /* nobody is accused in a message either: every good signer is at most listed as a sender */
    }
    for (unsigned i = 0; i < n; i++) kp_buf_release(&cts[i]);
    kp_buf_release(&resp);
    return 1;
}

static void exhaustive(kp_curve c, unsigned nlo, unsigned nhi, unsigned long want)
{
    uint8_t dk[32], ek[33], ids[N][8];
    unsigned long cases = 0;
    unsigned uniq = 0;
    KPT_ST(kp_encryption_keypair(ctx, dk, ek), KP_OK);
    for (unsigned i = 0; i < N; i++) {
        kpt_random(ids[i], 8);
        ids[i][0] = (uint8_t)i;
    }
    for (unsigned n = nlo; n <= nhi; n++)
        for (unsigned t = 2; t <= n; t++)
            for (unsigned mask = 0; mask < (1u << n); mask++) {
                unsigned nb = (unsigned)__builtin_popcount(mask);
                /* each bad kind alone at every bad position, then the kinds mixed */
                for (unsigned v = 0; v < (nb ? NKINDS : 1); v++) {
                    enum kind kinds[N];
                    unsigned b = 0;
                    for (unsigned i = 0; i < n; i++)
                        kinds[i] = !(mask >> i & 1) ? GOOD
                                   : v + 1 < NKINDS ? (enum kind)(v + 1)
                                                    : (enum kind)(1 + (b++ + mask) % (NKINDS - 1));
                    cases += run_one(c, n, t, kinds, dk, ek, ids, &uniq);
                }
            }
    cr_assert_eq(cases, want);
    cr_assert_gt(uniq, 0);
    fprintf(stderr, "%s, n = %u..%u: %lu responses, %u within the unique-decoding bound\n", kpt_curve_str(c), nlo, nhi,
            cases, uniq);
}

/* Responses per n: (n - 1) thresholds × (1 + 8 (2^n - 1)): for each set of bad positions, each of
 * the 7 bad kinds alone, and a mix. n = 2..5: 1498; n = 6: 2525; n = 7: 6102 (10125 in all). */
#define EXHAUSTIVE(curve, name)                                                                             \
    Test(recovery, name##_n2_to_5) { exhaustive(curve, 2, 5, 1498); }                                       \
    Test(recovery, name##_n6) { exhaustive(curve, 6, 6, 2525); }                                            \
    Test(recovery, name##_n7) { exhaustive(curve, 7, 7, 6102); }

EXHAUSTIVE(KP_CURVE_SECP256K1, secp256k1)
EXHAUSTIVE(KP_CURVE_ED25519, ed25519)
EXHAUSTIVE(KP_CURVE_STARK, stark)
