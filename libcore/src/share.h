/* share.h: robust recovery (internal; split and combine are public in keyport.h). */
#ifndef KP_SHARE_H
#define KP_SHARE_H

#include "curve.h"

/* The budget of the search beyond the unique-decoding bound (keyport.h, README "Export"): at
 * most this many t-subsets interpolated, this many field multiplications in all, and this many
 * checks against publicKey (one base multiplication each), whichever comes first. Inside the
 * bound no search is made: decoding is algebraic, O(N^3) field multiplications at worst. */
#define KP_RECOVER_MAX_SUBSETS 65536
#define KP_RECOVER_MAX_WORK (1ul << 22)
#define KP_RECOVER_MAX_CHECKS 256
/* Within the bound: (t-1)-subsets tried in the search for a rival polynomial (share.c). */
#define KP_RECOVER_MAX_RIVAL_SUBSETS 4096
/* Competing groups reported beyond the bound. */
#define KP_RECOVER_MAX_GROUPS 8

/* What robust recovery found, beside the key. Entries are the k shares given; points the
 * distinct (index, share) pairs among them. */
typedef struct kp_recovery {
    size_t npoints;                  /* N: distinct points among the entries */
    uint8_t point[KP_MAX_SIGNERS];   /* entry i is point point[i] */
    uint8_t on[KP_MAX_SIGNERS];      /* entry i lies on the polynomial that gave the key */
    size_t off;                      /* e: points off that polynomial */
    int unique;                      /* 2e <= N - t + 1: the points off it are provably bad */
    size_t ngroups;                  /* beyond the bound: polynomials through publicKey found */
    uint64_t group_points[KP_RECOVER_MAX_GROUPS]; /* the points on each (bit j = point j) */
    int more_groups;                 /* the search stopped with KP_RECOVER_MAX_GROUPS found */
    int budget_spent;                /* the search stopped at its budget, not at its end */
    unsigned long subsets, work;     /* t-subsets tried, field multiplications spent */
    unsigned long rivals_checked;    /* (t-1)-subsets tried in the search for a rival */
    unsigned checks;                 /* base multiplications spent */
} kp_recovery;

/* Robust recovery (docs/design.md `share`, share.c): from k shares with non-zero indices (possibly
 * repeated: competing entries), finds a polynomial of degree t-1 whose value at 0 matches the
 * public key and returns that value, with *rec saying which entries lie on it and whether the
 * decoding was unique. Returns KP_OK, KP_ERR_NOT_ENOUGH (secret zeroed; rec says whether the
 * budget ran out) or KP_ERR_NOMEM. The public key is given as its wire (compressed) bytes and
 * compared with the encoding of f(0)·G: a match proves it a valid point. */
kp_status kp_share_recover(const kp_ctx *ctx, uint8_t secret[32], kp_recovery *rec, kp_curve c, unsigned t,
                           const uint8_t (*idx)[32], const uint8_t (*shares)[32], size_t k, const uint8_t *pub,
                           size_t pub_len);

/* Checks that n public shares (for indices 1..n) lie on one polynomial of degree t-1 and
 * returns its value at 0 (the group public key). Returns KP_OK or KP_ERR_SHARE_MISMATCH. */
kp_status kp_public_shares_check(const kp_ctx *ctx, kp_point *group, const kp_point *pubs, unsigned n, unsigned t);

#endif
