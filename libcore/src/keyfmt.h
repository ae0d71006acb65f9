/*
 * keyfmt.h: what the key-format modules share (keccak.c, base58.c, bech32.c, bip32.c, bip39.c,
 * keystore.c, address.c, keyfmt.c). Nothing here is installed.
 */
#ifndef KP_KEYFMT_INTERNAL_H
#define KP_KEYFMT_INTERNAL_H

#include "internal.h"

/* Decodes base58 into exactly n bytes (see base58.c): leading '1's must stand for exactly the
 * value's leading zero bytes. Constant-time in the characters. Returns KP_OK or KP_ERR_BASE58. */
kp_status kp_base58_decode_exact(uint8_t *out, size_t n, const char *s, size_t len);
/* base58check: payload || first 4 bytes of SHA-256(SHA-256(payload)). */
kp_status kp_base58check_encode(kp_buf *out, const uint8_t *payload, size_t len);
/* Decodes exactly n payload bytes; KP_ERR_BASE58, or KP_ERR_CHECKSUM when the checksum differs. */
kp_status kp_base58check_decode_exact(uint8_t *payload, size_t n, const char *s, size_t len);

/* ---- BIP-32 / SLIP-10 (bip32.c) */

#define KP_PATH_MAX_STEPS 255 /* BIP-32's depth is one byte */
#define KP_HARDENED 0x80000000u

/* An extended key. For a private one, key is the scalar (secp256k1) or the SLIP-10 ed25519 seed;
 * for a public one, pub is the compressed point. Lives in secure memory (kp_xkey_new). */
typedef struct kp_xkey {
    kp_curve curve;      /* KP_CURVE_SECP256K1 or KP_CURVE_ED25519 */
    int is_private;
    uint8_t depth;
    uint8_t key[32];
    uint8_t pub[33];
    uint8_t chain[32];
} kp_xkey;

/* The master key of a BIP-32 (secp256k1) or SLIP-10 (ed25519) seed. */
kp_status kp_xkey_master(const kp_ctx *ctx, kp_xkey *x, kp_curve c, const uint8_t *seed, size_t len);
/* Derives along steps (SLIP-10 ed25519: hardened only; public keys: non-hardened only).
 * path names the steps in messages. */
kp_status kp_xkey_derive(const kp_ctx *ctx, kp_xkey *x, const uint32_t *steps, size_t n, const char *path);
/* Parses xprv/tprv/yprv/zprv (private) and xpub/tpub/ypub/zpub (public) text. */
kp_status kp_xkey_parse(const kp_ctx *ctx, kp_xkey *x, const char *s, size_t len);

/* ---- shared helpers (keyfmt.c) */

/* [*a, *b): s without surrounding white space. */
void kp_trim(const char *s, size_t len, size_t *a, size_t *b);

/* ---- keystores (keystore.c) */
/* The most work a keystore may ask for: scrypt N·r·p (2^25 block mixes, a few seconds) or PBKDF2
 * iterations (10^7 at most anyway). */
#define KP_KEYSTORE_MAX_WORK (1u << 25)
/* The same with a lower bound on the work, for the fuzz target. */
kp_status kp_keystore_decrypt_bounded(const kp_ctx *ctx, uint8_t scalar[32], const char *json, size_t len,
                                      const char *pass, size_t passlen, uint64_t max_work);
kp_status kp_keystore_decrypt(const kp_ctx *ctx, uint8_t scalar[32], const char *json, size_t len, const char *pass,
                              size_t passlen);
kp_status kp_keystore_encrypt(const kp_ctx *ctx, kp_buf *out, const uint8_t scalar[32], const char *pass,
                              size_t passlen, kp_kdf_strength strength);

#endif
