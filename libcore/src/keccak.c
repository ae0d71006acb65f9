/*
 * keccak.c: Keccak-256 as Ethereum uses it (the original Keccak padding 0x01, not SHA3's 0x06),
 * written here because neither libsodium nor OpenSSL 3.0's default provider has it.
 * Keccak-f[1600] with rate 1088 bits (136 bytes), 24 rounds; no branch or index on the data.
 */
#include <string.h>

#include "keyfmt.h"

static const uint64_t RC[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL};

/* rho offsets and pi lane order, as in the Keccak reference "compact" implementation */
static const unsigned ROT[24] = {1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14, 27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44};
static const unsigned PI[24] = {10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4, 15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1};

static inline uint64_t rotl(uint64_t x, unsigned n)
{
    return (x << n) | (x >> (64 - n));
}

static void keccak_f(uint64_t a[25])
{
    uint64_t b[5], t;
    for (int r = 0; r < 24; r++) {
        for (int x = 0; x < 5; x++) b[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20]; /* theta */
        for (int x = 0; x < 5; x++) {
            t = b[(x + 4) % 5] ^ rotl(b[(x + 1) % 5], 1);
            for (int y = 0; y < 25; y += 5) a[y + x] ^= t;
        }
        t = a[1]; /* rho and pi */
        for (int i = 0; i < 24; i++) {
            uint64_t u = a[PI[i]];
            a[PI[i]] = rotl(t, ROT[i]);
            t = u;
        }
        for (int y = 0; y < 25; y += 5) { /* chi */
            for (int x = 0; x < 5; x++) b[x] = a[y + x];
            for (int x = 0; x < 5; x++) a[y + x] = b[x] ^ (~b[(x + 1) % 5] & b[(x + 2) % 5]);
        }
        a[0] ^= RC[r]; /* iota */
    }
}

static inline uint64_t load64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

void kp_keccak256(uint8_t out[32], const uint8_t *in, size_t len)
{
    enum { RATE = 136 };
    uint64_t a[25] = {0};
    uint8_t last[RATE];
    while (len >= RATE) {
        for (int i = 0; i < RATE / 8; i++) a[i] ^= load64(in + 8 * i);
        keccak_f(a);
        in += RATE;
        len -= RATE;
    }
    memset(last, 0, sizeof last);
    if (len) memcpy(last, in, len);
    last[len] ^= 0x01; /* Keccak padding pad10*1 with the domain byte 0x01 */
    last[RATE - 1] ^= 0x80;
    for (int i = 0; i < RATE / 8; i++) a[i] ^= load64(last + 8 * i);
    keccak_f(a);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 8; j++) out[8 * i + j] = (uint8_t)(a[i] >> (8 * j));
    kp_memzero(a, sizeof a);
    kp_memzero(last, sizeof last);
}
