/*
 * test_share.c: Shamir sharing through the public API (kp_share_split, kp_share_combine):
 * exhaustive subsets for small n, the RFC 9591 FROST shares as known answers, and errors.
 */
#include "kptest.h"

TestSuite(share, .init = kpt_setup, .fini = kpt_teardown, .timeout = 300);

/* Combines the shares picked by mask (bit i = share i, index i+1). */
static kp_status combine_mask(uint8_t out[32], kp_curve c, const uint8_t (*shares)[32], unsigned n, unsigned mask)
{
    uint32_t idx[KP_MAX_SIGNERS];
    uint8_t sub[KP_MAX_SIGNERS][32];
    size_t k = 0;
    for (unsigned i = 0; i < n; i++)
        if (mask & (1u << i)) {
            idx[k] = i + 1;
            memcpy(sub[k++], shares[i], 32);
        }
    return kpt_combine_u32(out, c, idx, (const uint8_t(*)[32])sub, k);
}

/* For n = 2..7 and every t in 2..n: every subset of at least t shares gives the secret
 * (so every t-subset), and no subset of fewer than t shares does. */
static void exhaustive(kp_curve c)
{
    unsigned checked_t = 0, checked_below = 0;
    for (unsigned n = 2; n <= 7; n++)
        for (unsigned t = 2; t <= n; t++) {
            uint8_t secret[32], shares[7][32], got[32];
            kpt_random_scalar(secret, c);
            KPT_ST(kp_share_split(ctx, shares, c, t, n, secret), KP_OK);
            for (unsigned i = 0; i < n; i++) {
                KPT_ST(kp_scalar_check(c, shares[i]), KP_OK);
                cr_assert(memcmp(shares[i], secret, 32) != 0, "share %u equals the secret", i + 1);
            }
            for (unsigned mask = 1; mask < (1u << n); mask++) {
                unsigned k = (unsigned)__builtin_popcount(mask);
                KPT_ST(combine_mask(got, c, (const uint8_t(*)[32])shares, n, mask), KP_OK);
                if (k >= t) {
                    cr_assert_arr_eq(got, secret, 32, "%s n=%u t=%u mask=%#x: the secret is not recovered",
                                     kpt_curve_str(c), n, t, mask);
                    checked_t += k == t;
                } else {
                    cr_assert(memcmp(got, secret, 32) != 0, "%s n=%u t=%u mask=%#x: %u < t shares give the secret",
                              kpt_curve_str(c), n, t, mask, k);
                    checked_below += k == t - 1;
                }
            }
        }
    /* sum over n = 2..7, t = 2..n of C(n, t) and of C(n, t-1) */
    cr_assert_eq(checked_t, 219);
    cr_assert_eq(checked_below, 240);
}

Test(share, exhaustive_secp256k1) { exhaustive(KP_CURVE_SECP256K1); }
Test(share, exhaustive_ed25519) { exhaustive(KP_CURVE_ED25519); }
Test(share, exhaustive_stark) { exhaustive(KP_CURVE_STARK); }

/* The order of the shares given to combine does not matter. */
Test(share, combine_ignores_order)
{
    for (int ci = 0; ci < 3; ci++) {
        kp_curve c = KPT_CURVES[ci];
        uint8_t secret[32], shares[5][32], got[32], sub[3][32];
        kpt_random_scalar(secret, c);
        KPT_ST(kp_share_split(ctx, shares, c, 3, 5, secret), KP_OK);
        uint32_t idx[3] = {5, 2, 4};
        memcpy(sub[0], shares[4], 32);
        memcpy(sub[1], shares[1], 32);
        memcpy(sub[2], shares[3], 32);
        KPT_ST(kpt_combine_u32(got, c, idx, (const uint8_t(*)[32])sub, 3), KP_OK);
        cr_assert_arr_eq(got, secret, 32);
    }
}

/* The largest shapes: n = KP_MAX_SIGNERS with t = 2 and t = n. */
Test(share, max_signers)
{
    for (int ci = 0; ci < 3; ci++) {
        kp_curve c = KPT_CURVES[ci];
        uint8_t secret[32], got[32];
        uint8_t(*shares)[32] = malloc(KP_MAX_SIGNERS * 32);
        uint32_t idx[KP_MAX_SIGNERS];
        for (unsigned i = 0; i < KP_MAX_SIGNERS; i++) idx[i] = i + 1;
        unsigned ts[2] = {2, KP_MAX_SIGNERS};
        for (int ti = 0; ti < 2; ti++) {
            kpt_random_scalar(secret, c);
            KPT_ST(kp_share_split(ctx, shares, c, ts[ti], KP_MAX_SIGNERS, secret), KP_OK);
            KPT_ST(kpt_combine_u32(got, c, idx, (const uint8_t(*)[32])shares, KP_MAX_SIGNERS), KP_OK);
            cr_assert_arr_eq(got, secret, 32);
            /* the last t shares */
            size_t off = KP_MAX_SIGNERS - ts[ti];
            KPT_ST(kpt_combine_u32(got, c, idx + off, (const uint8_t(*)[32])(shares + off), ts[ti]), KP_OK);
            cr_assert_arr_eq(got, secret, 32);
            if (ts[ti] > 2) {
                KPT_ST(kpt_combine_u32(got, c, idx + 1, (const uint8_t(*)[32])(shares + 1), ts[ti] - 1), KP_OK);
                cr_assert(memcmp(got, secret, 32) != 0);
            }
        }
        free(shares);
    }
}

/* Two splits of one secret use fresh polynomials. */
Test(share, splits_are_randomized)
{
    uint8_t secret[32], a[3][32], b[3][32];
    kpt_random_scalar(secret, KP_CURVE_SECP256K1);
    KPT_ST(kp_share_split(ctx, a, KP_CURVE_SECP256K1, 2, 3, secret), KP_OK);
    KPT_ST(kp_share_split(ctx, b, KP_CURVE_SECP256K1, 2, 3, secret), KP_OK);
    for (int i = 0; i < 3; i++) cr_assert(memcmp(a[i], b[i], 32) != 0);
}

/* Secret at the edge of the range: 1 and n - 1. */
Test(share, edge_secrets)
{
    for (int ci = 0; ci < 3; ci++) {
        kp_curve c = KPT_CURVES[ci];
        uint8_t n[32], secret[32], shares[4][32], got[32];
        kpt_order(n, c);
        for (int e = 0; e < 2; e++) {
            if (e == 0) kpt_scalar_u32(secret, 1);
            else kpt_add_small(secret, n, -1);
            KPT_ST(kp_share_split(ctx, shares, c, 3, 4, secret), KP_OK);
            KPT_ST(combine_mask(got, c, (const uint8_t(*)[32])shares, 4, 0xb), KP_OK);
            cr_assert_arr_eq(got, secret, 32);
        }
    }
}

/* ------------------------------------------------------------ RFC 9591 shares as known answers */

static void frost_kat(const char *file, kp_curve c, int little_endian)
{
    cJSON *j = kpt_load_json(file);
    cJSON *in = cJSON_GetObjectItemCaseSensitive(j, "inputs");
    uint8_t secret[32], pub_want[33], shares[3][32], got[32], pub[33];
    uint32_t idx[3];
    size_t publen = c == KP_CURVE_ED25519 ? 32 : 33;
    uint8_t raw[32];
    kpt_unhex(raw, 32, kpt_jstr(in, "group_secret_key"));
    for (int i = 0; i < 32; i++) secret[i] = little_endian ? raw[31 - i] : raw[i];
    kpt_unhex(pub_want, publen, kpt_jstr(in, "group_public_key"));
    int k = 0;
    cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(in, "participant_shares")) {
        cr_assert_lt(k, 3);
        idx[k] = (uint32_t)cJSON_GetObjectItemCaseSensitive(e, "identifier")->valueint;
        kpt_unhex(raw, 32, kpt_jstr(e, "participant_share"));
        for (int i = 0; i < 32; i++) shares[k][i] = little_endian ? raw[31 - i] : raw[i];
        KPT_ST(kp_scalar_check(c, shares[k]), KP_OK);
        k++;
    }
    cr_assert_eq(k, 3);
    /* 2-of-3: every pair, and all three */
    for (unsigned mask = 3; mask < 8; mask++) {
        if (__builtin_popcount(mask) < 2) continue;
        uint32_t ii[3];
        uint8_t ss[3][32];
        size_t m = 0;
        for (int i = 0; i < 3; i++)
            if (mask & (1u << i)) {
                ii[m] = idx[i];
                memcpy(ss[m++], shares[i], 32);
            }
        KPT_ST(kpt_combine_u32(got, c, ii, (const uint8_t(*)[32])ss, m), KP_OK);
        cr_assert_arr_eq(got, secret, 32, "%s shares %#x", file, mask);
    }
    size_t len = 0;
    KPT_ST(kp_public_key(ctx, pub, &len, c, secret), KP_OK);
    cr_assert_eq(len, publen);
    cr_assert_arr_eq(pub, pub_want, publen, "%s group_public_key", file);
    cJSON_Delete(j);
}

Test(share, frost_rfc9591_ed25519_shares) { frost_kat("frost-rfc9591-ed25519-sha512.cfrg.json", KP_CURVE_ED25519, 1); }
Test(share, frost_rfc9591_secp256k1_shares) { frost_kat("frost-rfc9591-secp256k1-sha256.cfrg.json", KP_CURVE_SECP256K1, 0); }

/* ------------------------------------------------------------ errors */

Test(share, split_errors)
{
    uint8_t secret[32], n[32], zero[32] = {0};
    uint8_t(*shares)[32] = calloc(KP_MAX_SIGNERS + 1, 32);
    kpt_random_scalar(secret, KP_CURVE_SECP256K1);
    KPT_ST(kp_share_split(ctx, shares, KP_CURVE_SECP256K1, 1, 3, secret), KP_ERR_THRESHOLD);
    KPT_ST(kp_share_split(ctx, shares, KP_CURVE_SECP256K1, 0, 3, secret), KP_ERR_THRESHOLD);
    KPT_ST(kp_share_split(ctx, shares, KP_CURVE_SECP256K1, 4, 3, secret), KP_ERR_THRESHOLD);
    KPT_ST(kp_share_split(ctx, shares, KP_CURVE_SECP256K1, 2, KP_MAX_SIGNERS + 1, secret), KP_ERR_THRESHOLD);
    KPT_ST(kp_share_split(ctx, shares, KP_CURVE_SECP256K1, 2, 3, zero), KP_ERR_SCALAR);
    for (int ci = 0; ci < 3; ci++) {
        kpt_order(n, KPT_CURVES[ci]);
        KPT_ST(kp_share_split(ctx, shares, KPT_CURVES[ci], 2, 3, n), KP_ERR_SCALAR);
    }
    KPT_ST(kp_share_split(ctx, shares, (kp_curve)0, 2, 3, secret), KP_ERR_CURVE);
    KPT_ST(kp_share_split(ctx, shares, (kp_curve)4, 2, 3, secret), KP_ERR_CURVE);
    free(shares);
}

Test(share, combine_errors)
{
    uint8_t secret[32], shares[3][32], got[32], n[32];
    kpt_random_scalar(secret, KP_CURVE_ED25519);
    KPT_ST(kp_share_split(ctx, shares, KP_CURVE_ED25519, 2, 3, secret), KP_OK);
    uint32_t dup[2] = {2, 2}, zero_idx[2] = {0, 1}, ok_idx[3] = {1, 2, 3};
    memset(got, 0xaa, 32);
    KPT_ST(kpt_combine_u32(got, KP_CURVE_ED25519, dup, (const uint8_t(*)[32])shares, 2), KP_ERR_DUPLICATE);
    cr_assert(kpt_is_zero(got, 32), "output not zeroed on failure");
    KPT_ST(kpt_combine_u32(got, KP_CURVE_ED25519, zero_idx, (const uint8_t(*)[32])shares, 2), KP_ERR_SCALAR);
    KPT_ST(kpt_combine_u32(got, KP_CURVE_ED25519, ok_idx, (const uint8_t(*)[32])shares, 0), KP_ERR_THRESHOLD);
    KPT_ST(kpt_combine_u32(got, KP_CURVE_ED25519, ok_idx, (const uint8_t(*)[32])shares, KP_MAX_SIGNERS + 1),
           KP_ERR_THRESHOLD);
    KPT_ST(kpt_combine_u32(got, (kp_curve)7, ok_idx, (const uint8_t(*)[32])shares, 2), KP_ERR_CURVE);
    /* a share value not below the order */
    kpt_order(n, KP_CURVE_ED25519);
    memcpy(shares[1], n, 32);
    memset(got, 0xaa, 32);
    KPT_ST(kpt_combine_u32(got, KP_CURVE_ED25519, ok_idx, (const uint8_t(*)[32])shares, 3), KP_ERR_SCALAR);
    cr_assert(kpt_is_zero(got, 32));
}
