/* share.h: robust recovery (internal; split and combine are public in keyport.h). */
#ifndef KP_SHARE_H
#define KP_SHARE_H

#include "curve.h"

/* Robust recovery lists every t-subset of the shares while there are at most this many (any
 * number of bad shares is then handled); beyond it, it leaves out 1, 2, … shares for at most
 * this many tries. 2^18 covers, e.g., every t for n ≤ 20 and t ≤ 5 for n ≤ 29. */
#define KP_RECOVER_MAX_TRIES 262144

/* Robust recovery (DESIGN.md `share`): from k shares (distinct non-zero indices) of which at
 * least t are good, finds the largest set of shares that lie on one polynomial of degree t-1
 * whose value at 0 matches the public key, and returns that value. good[i] is set to 1 for each
 * share on it and 0 for each share off it. Returns KP_OK or KP_ERR_NOT_ENOUGH (secret zeroed).
 * The public key is given as its wire (compressed) bytes and compared with the encoding of
 * f(0)·G: a match proves it a valid point, so it need not be decoded first (for stark that
 * decoding is a square root costing several multiplications). */
kp_status kp_share_recover(const kp_ctx *ctx, uint8_t secret[32], uint8_t *good, kp_curve c, unsigned t,
                           const uint32_t *idx, const uint8_t (*shares)[32], size_t k, const uint8_t *pub,
                           size_t pub_len);

/* Checks that n public shares (for indices 1..n) lie on one polynomial of degree t-1 and
 * returns its value at 0 (the group public key). Returns KP_OK or KP_ERR_SHARE_MISMATCH. */
kp_status kp_public_shares_check(const kp_ctx *ctx, kp_point *group, const kp_point *pubs, unsigned n, unsigned t);

#endif
