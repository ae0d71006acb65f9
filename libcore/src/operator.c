/*
 * operator.c: operator identities (Ed25519 key pairs, the secret sealed under a passphrase)
 * and their fingerprints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wire.h"
#include "operator.h"

struct kp_operator {
    char name[KP_NAME_MAX_BYTES + 1];
    uint8_t pk[32];
    uint8_t sealed[KP_CONTEXT_FILE_BYTES];
    uint8_t *sk; /* 64 bytes in the secure allocator once unlocked, else NULL */
};

static const char OPERATOR_MAGIC[4] = {'K', 'P', 'O', 'P'};

/* The byte offset of the first control character in valid UTF-8 (C0, DEL, and C1: U+0080..U+009F,
 * encoded C2 80..C2 9F, where CSI U+009B starts an escape sequence as ESC [ does), or len. */
static size_t first_control(const char *name, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c < 0x20 || c == 0x7f || (c == 0xc2 && i + 1 < len && (unsigned char)name[i + 1] <= 0x9f)) return i;
    }
    return len;
}

kp_status kp_name_check(const char *name, size_t len, const char *what)
{
    if (len == 0 || len > KP_NAME_MAX_BYTES || !kp_utf8_valid(name, len))
        return kp_fail(KP_ERR_FORMAT, "%s must be 1 to %d bytes of UTF-8", what, KP_NAME_MAX_BYTES);
    if (first_control(name, len) != len) return kp_fail(KP_ERR_FORMAT, "%s must not contain control characters", what);
    return KP_OK;
}

kp_status kp_key_name_check(const char *name, size_t len)
{
    KP_ARG_CHECK(NULL, name != NULL || len == 0);
    kp_clear_error();
    if (len > KP_KEY_NAME_MAX_BYTES || !kp_utf8_valid(name, len))
        return kp_fail(KP_ERR_FORMAT, "the key name must be at most %d bytes of UTF-8", KP_KEY_NAME_MAX_BYTES);
    size_t at = first_control(name, len);
    if (at != len)
        return kp_fail(KP_ERR_FORMAT, "the key name must not contain control characters or escape sequences (byte %zu "
                                      "is one)", at);
    return KP_OK;
}

void kp_operator_free(kp_operator *op)
{
    if (op == NULL) return;
    kp_secure_free(op->sk);
    sodium_memzero(op, sizeof *op);
    free(op);
}

static kp_status write_file(kp_buf *file, const kp_operator *op)
{
    kp_status st;
    if ((st = kp_buf_addstr(file, "{\"version\":1,\"type\":\"keyport-operator\",\"name\":")) != KP_OK ||
        (st = kp_buf_addjstr(file, op->name, strlen(op->name))) != KP_OK ||
        (st = kp_buf_addstr(file, ",\"publicKey\":\"")) != KP_OK || (st = kp_buf_addhex(file, op->pk, 32)) != KP_OK ||
        (st = kp_buf_addstr(file, "\",\"sealedSecret\":\"")) != KP_OK ||
        (st = kp_buf_addb64(file, op->sealed, sizeof op->sealed, 0)) != KP_OK || (st = kp_buf_addstr(file, "\"}\n")) != KP_OK)
        return st;
    return KP_OK;
}

kp_status kp_operator_new(const kp_ctx *ctx, kp_operator **out, kp_buf *file, const char *name, const char *pass,
                          size_t passlen, kp_kdf_strength strength)
{
    KP_ARG_CHECK(ctx, ctx != NULL && out != NULL && file != NULL && name != NULL && (pass != NULL || passlen == 0));
    KP_ARG_CHECK(ctx, strength >= KP_KDF_INTERACTIVE && strength <= KP_KDF_SENSITIVE);
    uint8_t seed[32];
    kp_status st;
    kp_operator *op = NULL;
    size_t start = file->len;
    *out = NULL;
    kp_clear_error();
    if ((st = kp_name_check(name, strlen(name), "an operator name")) != KP_OK) return st;
    if ((op = calloc(1, sizeof *op)) == NULL || (op->sk = kp_secure_alloc(64)) == NULL) {
        kp_operator_free(op);
        return kp_fail(KP_ERR_NOMEM, "out of memory");
    }
    memcpy(op->name, name, strlen(name));
    kp_random(seed, sizeof seed);
    crypto_sign_seed_keypair(op->pk, op->sk, seed);
    if ((st = kp_sealed_seal(OPERATOR_MAGIC, op->sealed, seed, pass, passlen, strength)) == KP_OK)
        st = write_file(file, op);
    sodium_memzero(seed, sizeof seed);
    if (st != KP_OK) {
        file->len = start;
        if (file->data) file->data[start] = 0;
        kp_operator_free(op);
        return st;
    }
    *out = op;
    return KP_OK;
}

kp_status kp_operator_parse(kp_operator **out, const char *json, size_t len)
{
    KP_ARG_CHECK(NULL, out != NULL && (json != NULL || len == 0));
    static const char *const allowed[] = {"version", "type", "name", "publicKey", "sealedSecret", NULL};
    kp_json j;
    kp_status st;
    const char *s;
    size_t slen, n;
    uint8_t sealed[3 * ((4 * ((KP_CONTEXT_FILE_BYTES + 2) / 3)) / 4)];
    uint32_t ops, mem;
    kp_operator *op = NULL;
    *out = NULL;
    kp_clear_error();
    if ((st = kp_json_parse(&j, json, len, "the operator file")) != KP_OK) return st;
    if ((st = kp_wire_version(&j, 0, "operator")) != KP_OK || (st = kp_json_only(&j, 0, allowed, "the operator file")) != KP_OK)
        goto cleanup;
    if ((st = kp_json_need_str(&j, 0, "type", "type", &s, &slen)) != KP_OK) goto cleanup;
    if (slen != 16 || memcmp(s, "keyport-operator", 16) != 0) {
        st = kp_fail(KP_ERR_FORMAT, "type must be \"keyport-operator\": this is not an operator file");
        goto cleanup;
    }
    if ((op = calloc(1, sizeof *op)) == NULL) {
        st = kp_fail(KP_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    int tok;
    char *name = NULL;
    if ((st = kp_json_need(&j, 0, "name", KP_J_STRING, "name", &tok)) != KP_OK || (st = kp_json_strdup(&j, tok, &name)) != KP_OK)
        goto cleanup;
    st = kp_name_check(name, strlen(name), "name");
    if (st == KP_OK) memcpy(op->name, name, strlen(name));
    free(name);
    if (st != KP_OK) goto cleanup;
    if ((st = kp_json_need_str(&j, 0, "publicKey", "publicKey", &s, &slen)) != KP_OK) goto cleanup;
    if (kp_hex_decode_exact(op->pk, 32, s, slen) != KP_OK || !crypto_core_ed25519_is_valid_point(op->pk)) {
        st = kp_fail(KP_ERR_POINT, "publicKey must be 64 hex digits of a valid Ed25519 public key");
        goto cleanup;
    }
    if ((st = kp_json_need_str(&j, 0, "sealedSecret", "sealedSecret", &s, &slen)) != KP_OK) goto cleanup;
    if (slen != kp_b64_encoded_len(KP_CONTEXT_FILE_BYTES) || kp_b64_decode(sealed, &n, s, slen) != KP_OK ||
        n != KP_CONTEXT_FILE_BYTES) {
        st = kp_fail(KP_ERR_BASE64, "sealedSecret must be base64 of %d bytes", KP_CONTEXT_FILE_BYTES);
        goto cleanup;
    }
    if ((st = kp_sealed_header_check(OPERATOR_MAGIC, sealed, n, &ops, &mem)) != KP_OK) {
        st = kp_fail(st, "sealedSecret: %s", kp_error_detail());
        goto cleanup;
    }
    memcpy(op->sealed, sealed, n);
    *out = op;
    op = NULL;
cleanup:
    kp_operator_free(op);
    kp_json_free(&j);
    return st;
}

kp_status kp_operator_unlock(const kp_ctx *ctx, kp_operator *op, const char *pass, size_t passlen)
{
    KP_ARG_CHECK(ctx, ctx != NULL && op != NULL && (pass != NULL || passlen == 0));
    uint8_t seed[32], pk[32];
    if (op->sk != NULL) return KP_OK;
    uint8_t *sk = kp_secure_alloc(64);
    if (sk == NULL) return kp_fail(KP_ERR_NOMEM, "out of memory");
    kp_status st = kp_sealed_open(OPERATOR_MAGIC, seed, op->sealed, sizeof op->sealed, pass, passlen);
    if (st == KP_OK) {
        crypto_sign_seed_keypair(pk, sk, seed);
        KP_DECLASSIFY(pk, sizeof pk); /* a public key */
        if (memcmp(pk, op->pk, 32) != 0)
            st = kp_fail(KP_ERR_DECRYPT, "the sealed secret does not belong to the operator's publicKey");
    }
    sodium_memzero(seed, sizeof seed);
    if (st != KP_OK) {
        kp_secure_free(sk);
        return st;
    }
    op->sk = sk;
    return KP_OK;
}

int kp_operator_is_unlocked(const kp_operator *op)
{
    return op != NULL && op->sk != NULL;
}

const char *kp_operator_name(const kp_operator *op)
{
    return op->name;
}

void kp_operator_public_key(const kp_operator *op, uint8_t pk[32])
{
    memcpy(pk, op->pk, 32);
}

kp_status kp_operator_sign(const kp_operator *op, uint8_t sig[64], const uint8_t *m, size_t len)
{
    if (op->sk == NULL) return kp_fail(KP_ERR_LOCKED, "operator %s is not unlocked", op->name);
    crypto_sign_detached(sig, NULL, m, len, op->sk);
    return KP_OK;
}

kp_status kp_fingerprint(char out[KP_FINGERPRINT_LEN + 1], const uint8_t pk[32])
{
    KP_ARG_CHECK(NULL, out != NULL && pk != NULL);
    static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"; /* Crockford: no I L O U */
    static const char domain[] = "keyport-operator-v1";
    uint8_t h[32];
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const uint8_t *)domain, sizeof domain - 1);
    crypto_hash_sha256_update(&st, pk, 32);
    crypto_hash_sha256_final(&st, h);
    /* 80 bits, 5 at a time, into 16 characters in groups of four */
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        int bit = 5 * i, byte = bit / 8, shift = bit % 8;
        unsigned v = ((unsigned)h[byte] << 8 | h[byte + 1]) >> (11 - shift);
        if (i && i % 4 == 0) out[o++] = '-';
        out[o++] = alphabet[v & 31];
    }
    out[o] = 0;
    return KP_OK;
}
