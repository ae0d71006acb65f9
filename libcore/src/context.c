/*
 * context.c: 32-byte secrets sealed under a passphrase: the export context file, and the
 * secret inside an operator file (operator.c), told apart by their magic.
 *
 * Layout (102 bytes): magic ("KPXC" or "KPOP") | version 1 | KDF id (2 = Argon2id v1.3) |
 * opslimit (u32 BE) | memlimit in KiB (u32 BE) | salt (16) | nonce (24) |
 * XChaCha20-Poly1305(secret) (32 + 16). The first 54 bytes are the associated data, so the
 * KDF parameters cannot be changed (for example weakened) without the open failing.
 */
#include <string.h>

#include <sodium.h>

#include "internal.h"

#define HDR_LEN 54
#define KDF_ARGON2ID13 2
#define OPS_MIN 1
#define OPS_MAX 10
#define MEM_MIN_KIB (8u * 1024)
#define MEM_MAX_KIB (1024u * 1024)

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static kp_status derive(uint8_t key[32], const char *pass, size_t passlen, const uint8_t *hdr)
{
    uint32_t ops = get32(hdr + 6), mem_kib = get32(hdr + 10);
    if (crypto_pwhash(key, 32, pass, passlen, hdr + 14, ops, (size_t)mem_kib * 1024, crypto_pwhash_ALG_ARGON2ID13) != 0)
        return kp_fail(KP_ERR_NOMEM, "not enough memory for Argon2id (%u MiB)", mem_kib / 1024);
    return KP_OK;
}

kp_status kp_sealed_seal(const char magic[4], uint8_t file[KP_CONTEXT_FILE_BYTES], const uint8_t secret[32],
                         const char *pass, size_t passlen, kp_kdf_strength strength)
{
    static const uint32_t OPS[] = {0, 2, 3, 4};
    static const uint32_t MEM_KIB[] = {0, 64u * 1024, 256u * 1024, 1024u * 1024};
    uint8_t key[32];
    unsigned long long clen = 0;
    memset(file, 0, KP_CONTEXT_FILE_BYTES);
    if (passlen == 0) return kp_fail(KP_ERR_EMPTY, "the passphrase is empty");
    memcpy(file, magic, 4);
    file[4] = 1;
    file[5] = KDF_ARGON2ID13;
    put32(file + 6, OPS[strength]);
    put32(file + 10, MEM_KIB[strength]);
    kp_random(file + 14, 16);
    kp_random(file + 30, 24);
    kp_status st = derive(key, pass, passlen, file);
    if (st == KP_OK)
        crypto_aead_xchacha20poly1305_ietf_encrypt(file + HDR_LEN, &clen, secret, 32, file, HDR_LEN, NULL, file + 30, key);
    KP_DECLASSIFY(file, KP_CONTEXT_FILE_BYTES); /* the sealed file is public */
    sodium_memzero(key, sizeof key);
    if (st != KP_OK) memset(file, 0, KP_CONTEXT_FILE_BYTES);
    return st;
}

static const char *what_of(const char magic[4])
{
    return memcmp(magic, "KPXC", 4) == 0 ? "export context" : "sealed operator secret";
}

kp_status kp_sealed_header_check(const char magic[4], const uint8_t *file, size_t len, uint32_t *ops,
                                 uint32_t *mem_kib)
{
    *ops = *mem_kib = 0;
    if (len < 5 || memcmp(file, magic, 4) != 0)
        return kp_fail(KP_ERR_CONTEXT, "this is not a keyport %s (no %.4s header)", what_of(magic), magic);
    if (file[4] != 1) return kp_fail(KP_ERR_VERSION, "%s format version %u is not supported", what_of(magic), file[4]);
    if (len != KP_CONTEXT_FILE_BYTES)
        return kp_fail(KP_ERR_CONTEXT, "the %s is %zu bytes, not %d: truncated or padded", what_of(magic), len,
                       KP_CONTEXT_FILE_BYTES);
    uint32_t o = get32(file + 6), m = get32(file + 10);
    if (file[5] != KDF_ARGON2ID13 || o < OPS_MIN || o > OPS_MAX || m < MEM_MIN_KIB || m > MEM_MAX_KIB)
        return kp_fail(KP_ERR_KDF_PARAMS,
                       "the context's passphrase hashing parameters (kdf %u, %u passes, %u KiB) are out of range",
                       file[5], o, m);
    *ops = o;
    *mem_kib = m;
    return KP_OK;
}

kp_status kp_sealed_open(const char magic[4], uint8_t secret[32], const uint8_t *file, size_t len, const char *pass,
                         size_t passlen)
{
    uint8_t key[32];
    unsigned long long mlen = 0;
    uint32_t ops, mem_kib;
    memset(secret, 0, 32);
    kp_status st = kp_sealed_header_check(magic, file, len, &ops, &mem_kib);
    if (st != KP_OK) return st;
    if (passlen == 0) return kp_fail(KP_ERR_EMPTY, "the passphrase is empty");
    st = derive(key, pass, passlen, file);
    /* whether the file opens is public: the caller is told */
    if (st == KP_OK &&
        (kp_public_bit(crypto_aead_xchacha20poly1305_ietf_decrypt(secret, &mlen, NULL, file + HDR_LEN, 48, file, HDR_LEN,
                                                                  file + 30, key) != 0) ||
         kp_public_bit(mlen != 32)))
        st = kp_fail(KP_ERR_DECRYPT, "the %s does not open: wrong passphrase, or the file was altered", what_of(magic));
    sodium_memzero(key, sizeof key);
    if (st != KP_OK) sodium_memzero(secret, 32);
    return st;
}

kp_status kp_context_header_check(const uint8_t *file, size_t len, uint32_t *ops, uint32_t *mem_kib)
{
    return kp_sealed_header_check("KPXC", file, len, ops, mem_kib);
}

kp_status kp_context_seal(const kp_ctx *ctx, uint8_t file[KP_CONTEXT_FILE_BYTES], const uint8_t secret[32],
                          const char *pass, size_t passlen, kp_kdf_strength strength)
{
    KP_ARG_CHECK(ctx, ctx != NULL && file != NULL && secret != NULL && (pass != NULL || passlen == 0));
    KP_ARG_CHECK(ctx, strength >= KP_KDF_INTERACTIVE && strength <= KP_KDF_SENSITIVE);
    memset(file, 0, KP_CONTEXT_FILE_BYTES);
    if (kp_scalar_check(KP_CURVE_SECP256K1, secret) != KP_OK)
        return kp_fail(KP_ERR_SCALAR, "the context secret is not a valid secp256k1 scalar");
    return kp_sealed_seal("KPXC", file, secret, pass, passlen, strength);
}

kp_status kp_context_open(const kp_ctx *ctx, uint8_t secret[32], const uint8_t *file, size_t len, const char *pass,
                          size_t passlen)
{
    KP_ARG_CHECK(ctx, ctx != NULL && secret != NULL && file != NULL && (pass != NULL || passlen == 0));
    kp_status st = kp_sealed_open("KPXC", secret, file, len, pass, passlen);
    if (st == KP_OK && kp_scalar_check(KP_CURVE_SECP256K1, secret) != KP_OK) {
        kp_memzero(secret, 32);
        st = kp_fail(KP_ERR_DECRYPT, "the export context does not open: wrong passphrase, or the file was altered");
    }
    return st;
}
