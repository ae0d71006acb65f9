/*
 * keystore.c: Ethereum keystore v3 (Web3 Secret Storage). The key is derived with scrypt
 * (libsodium: OpenSSL 3.0 refuses the published vector's N=2^18, r=1, p=8) or PBKDF2-HMAC-SHA256
 * (OpenSSL); the MAC, Keccak-256(dk[16..32] || ciphertext), is checked in constant time before
 * anything is decrypted (AES-128-CTR, OpenSSL). A wrong passphrase and an altered file give the
 * same error, KP_ERR_DECRYPT.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "json.h"
#include "keyfmt.h"

#define MAX_SALT 64
#define MAX_DK 64

typedef struct kdf_params {
    int scrypt;
    uint32_t n, r, p, c, dklen;
    uint8_t salt[MAX_SALT];
    size_t saltlen;
} kdf_params;

static kp_status hex_field(const kp_json *j, int obj, const char *key, const char *path, uint8_t *out, size_t min,
                           size_t max, size_t *outlen)
{
    const char *s;
    size_t len;
    kp_status st = kp_json_need_str(j, obj, key, path, &s, &len);
    if (st != KP_OK) return st;
    if (len % 2 != 0 || len / 2 < min || len / 2 > max)
        return kp_fail(KP_ERR_FORMAT, "%s must be %zu to %zu bytes of hex, not %zu characters", path, min, max, len);
    if (kp_hex_decode_exact(out, len / 2, s, len) != KP_OK) return kp_fail(KP_ERR_HEX, "%s is not hex", path);
    *outlen = len / 2;
    return KP_OK;
}

static kp_status need_text(const kp_json *j, int obj, const char *key, const char *path, const char *want)
{
    const char *s;
    size_t len;
    kp_status st = kp_json_need_str(j, obj, key, path, &s, &len);
    if (st != KP_OK) return st;
    if (len != strlen(want) || memcmp(s, want, len) != 0)
        return kp_fail(KP_ERR_FORMAT, "%s is \"%.*s\"; keyport reads \"%s\"", path, (int)(len > 32 ? 32 : len), s, want);
    return KP_OK;
}

static kp_status read_kdf(const kp_json *j, int crypto, kdf_params *k, uint64_t max_work)
{
    int kp;
    const char *kdf;
    size_t kdflen;
    kp_status st;
    memset(k, 0, sizeof *k);
    if ((st = kp_json_need_str(j, crypto, "kdf", "crypto.kdf", &kdf, &kdflen)) != KP_OK ||
        (st = kp_json_need(j, crypto, "kdfparams", KP_J_OBJECT, "crypto.kdfparams", &kp)) != KP_OK)
        return st;
    if ((st = hex_field(j, kp, "salt", "crypto.kdfparams.salt", k->salt, 1, MAX_SALT, &k->saltlen)) != KP_OK ||
        (st = kp_json_need_uint(j, kp, "dklen", 32, MAX_DK, "crypto.kdfparams.dklen", &k->dklen)) != KP_OK)
        return st;
    if (kdflen == 6 && memcmp(kdf, "scrypt", 6) == 0) {
        static const char *const allowed[] = {"dklen", "n", "r", "p", "salt", NULL};
        k->scrypt = 1;
        if ((st = kp_json_only(j, kp, allowed, "crypto.kdfparams")) != KP_OK ||
            (st = kp_json_need_uint(j, kp, "n", 2, 1u << 22, "crypto.kdfparams.n", &k->n)) != KP_OK ||
            (st = kp_json_need_uint(j, kp, "r", 1, 64, "crypto.kdfparams.r", &k->r)) != KP_OK ||
            (st = kp_json_need_uint(j, kp, "p", 1, 64, "crypto.kdfparams.p", &k->p)) != KP_OK)
            return st == KP_ERR_FORMAT ? kp_fail(KP_ERR_KDF_PARAMS, "%s", kp_error_detail()) : st;
        /* N a power of two; at most 1 GiB of memory (128·N·r) and 2^25 block mixes (N·r·p). */
        if ((k->n & (k->n - 1)) != 0 || (uint64_t)k->n * k->r > (1u << 23) || (uint64_t)k->n * k->r * k->p > max_work)
            return kp_fail(KP_ERR_KDF_PARAMS,
                           "scrypt n=%u r=%u p=%u: n must be a power of two, n·r at most 2^23 and n·r·p at most 2^25",
                           k->n, k->r, k->p);
        return KP_OK;
    }
    if (kdflen == 6 && memcmp(kdf, "pbkdf2", 6) == 0) {
        static const char *const allowed[] = {"dklen", "c", "prf", "salt", NULL};
        if ((st = kp_json_only(j, kp, allowed, "crypto.kdfparams")) != KP_OK ||
            (st = need_text(j, kp, "prf", "crypto.kdfparams.prf", "hmac-sha256")) != KP_OK)
            return st;
        if ((st = kp_json_need_uint(j, kp, "c", 1, 10000000, "crypto.kdfparams.c", &k->c)) != KP_OK)
            return kp_fail(KP_ERR_KDF_PARAMS, "%s", kp_error_detail());
        if (k->c > max_work) return kp_fail(KP_ERR_KDF_PARAMS, "pbkdf2 c=%u is above this reader's bound", k->c);
        return KP_OK;
    }
    return kp_fail(KP_ERR_FORMAT, "crypto.kdf is \"%.*s\"; keyport reads scrypt and pbkdf2", (int)(kdflen > 32 ? 32 : kdflen),
                   kdf);
}

static kp_status derive(uint8_t *dk, const kdf_params *k, const char *pass, size_t passlen)
{
    int rc;
    if (k->scrypt)
        rc = crypto_pwhash_scryptsalsa208sha256_ll((const uint8_t *)pass, passlen, k->salt, k->saltlen, k->n, k->r, k->p,
                                                   dk, k->dklen);
    else
        rc = PKCS5_PBKDF2_HMAC(pass, (int)passlen, k->salt, (int)k->saltlen, (int)k->c, EVP_sha256(), (int)k->dklen, dk) == 1
                 ? 0 : -1;
    if (rc != 0) {
        kp_memzero(dk, MAX_DK);
        return kp_fail(KP_ERR_NOMEM, "the keystore's key derivation failed (out of memory for scrypt?)");
    }
    return KP_OK;
}

static kp_status aes128ctr(uint8_t *out, const uint8_t key[16], const uint8_t iv[16], const uint8_t *in, size_t len)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n1 = 0, n2 = 0, ok = c != NULL && EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), NULL, key, iv) == 1 &&
                               EVP_EncryptUpdate(c, out, &n1, in, (int)len) == 1 && EVP_EncryptFinal_ex(c, out + n1, &n2) == 1;
    EVP_CIPHER_CTX_free(c);
    if (!ok) {
        kp_memzero(out, len);
        return kp_fail(KP_ERR_INTERNAL, "OpenSSL AES-128-CTR failed");
    }
    return KP_OK;
}

static void mac_of(uint8_t mac[32], const uint8_t *dk, const uint8_t *ct, size_t ctlen)
{
    uint8_t buf[16 + 32];
    memcpy(buf, dk + 16, 16);
    memcpy(buf + 16, ct, ctlen);
    kp_keccak256(mac, buf, 16 + ctlen);
    kp_memzero(buf, sizeof buf);
}

kp_status kp_keystore_decrypt(const kp_ctx *ctx, uint8_t scalar[32], const char *text, size_t len, const char *pass,
                              size_t passlen)
{
    return kp_keystore_decrypt_bounded(ctx, scalar, text, len, pass, passlen, KP_KEYSTORE_MAX_WORK);
}

kp_status kp_keystore_decrypt_bounded(const kp_ctx *ctx, uint8_t scalar[32], const char *text, size_t len,
                                      const char *pass, size_t passlen, uint64_t max_work)
{
    kp_json j;
    kp_status st;
    kdf_params k;
    uint8_t iv[16], ct[32], mac[32], want[32], *dk = NULL, *pt = NULL;
    size_t ivlen, ctlen, maclen;
    int crypto, cp;
    memset(scalar, 0, 32);
    if ((st = kp_json_parse(&j, text, len, "the keystore")) != KP_OK) return st;
    if (j.tok[0].type != KP_J_OBJECT) {
        st = kp_fail(KP_ERR_FORMAT, "a keystore is a JSON object");
        goto done;
    }
    uint32_t version;
    if ((st = kp_json_need_uint(&j, 0, "version", 0, UINT32_MAX, "version", &version)) != KP_OK) goto done;
    if (version != 3) {
        st = kp_fail(KP_ERR_VERSION, "the keystore is version %u; keyport reads version 3", version);
        goto done;
    }
    /* go-ethereum reads "crypto" and the older "Crypto"; a file with both is ambiguous. */
    int lower = kp_json_get(&j, 0, "crypto"), upper = kp_json_get(&j, 0, "Crypto");
    if (lower >= 0 && upper >= 0) {
        st = kp_fail(KP_ERR_FORMAT, "the keystore has both \"crypto\" and \"Crypto\"");
        goto done;
    }
    if ((st = kp_json_need(&j, 0, lower >= 0 || upper < 0 ? "crypto" : "Crypto", KP_J_OBJECT, "crypto", &crypto)) != KP_OK)
        goto done;
    static const char *const allowed[] = {"cipher", "cipherparams", "ciphertext", "kdf", "kdfparams", "mac", "version", NULL};
    if ((st = kp_json_only(&j, crypto, allowed, "crypto")) != KP_OK ||
        (st = need_text(&j, crypto, "cipher", "crypto.cipher", "aes-128-ctr")) != KP_OK ||
        (st = kp_json_need(&j, crypto, "cipherparams", KP_J_OBJECT, "crypto.cipherparams", &cp)) != KP_OK ||
        (st = hex_field(&j, cp, "iv", "crypto.cipherparams.iv", iv, 16, 16, &ivlen)) != KP_OK ||
        (st = hex_field(&j, crypto, "ciphertext", "crypto.ciphertext", ct, 1, 32, &ctlen)) != KP_OK ||
        (st = hex_field(&j, crypto, "mac", "crypto.mac", want, 32, 32, &maclen)) != KP_OK ||
        (st = read_kdf(&j, crypto, &k, max_work)) != KP_OK)
        goto done;
    if ((dk = kp_secure_alloc(MAX_DK)) == NULL || (pt = kp_secure_alloc(32)) == NULL) {
        st = kp_fail(KP_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((st = derive(dk, &k, pass, passlen)) != KP_OK) goto done;
    mac_of(mac, dk, ct, ctlen);
    if (kp_memcmp_ct(mac, want, 32) != 0) {
        st = kp_fail(KP_ERR_DECRYPT, "the keystore's MAC does not match: the passphrase is wrong, or the file was altered");
        goto done;
    }
    if ((st = aes128ctr(pt, dk, iv, ct, ctlen)) != KP_OK) goto done;
    /* go-ethereum writes keys with leading zero bytes dropped (31- and 30-byte keys): left-pad. */
    memset(scalar, 0, 32);
    memcpy(scalar + 32 - ctlen, pt, ctlen);
    if (kp_scalar_check(KP_CURVE_SECP256K1, scalar) != KP_OK) {
        st = kp_fail(KP_ERR_SCALAR, "the keystore's key is zero or not below the secp256k1 order");
        goto done;
    }
    int addr = kp_json_get(&j, 0, "address");
    if (addr >= 0) {
        const char *a;
        size_t alen;
        char mine[43];
        uint8_t pub[33];
        size_t pub_len;
        if ((st = kp_json_need_str(&j, 0, "address", "address", &a, &alen)) != KP_OK) goto done;
        if (alen == 42 && a[0] == '0' && (a[1] == 'x' || a[1] == 'X')) {
            a += 2;
            alen -= 2;
        }
        if ((st = kp_public_key(ctx, pub, &pub_len, KP_CURVE_SECP256K1, scalar)) != KP_OK ||
            (st = kp_eth_address(ctx, mine, pub, pub_len)) != KP_OK)
            goto done;
        if (alen != 40 || strncasecmp(a, mine + 2, 40) != 0) {
            st = kp_fail(KP_ERR_KEYPAIR_MISMATCH, "the keystore's address field is not the address of the key it holds (%s)", mine);
            goto done;
        }
    }
    st = KP_OK;
done:
    if (st != KP_OK) kp_memzero(scalar, 32);
    kp_secure_free(dk);
    kp_secure_free(pt);
    kp_memzero(ct, sizeof ct);
    kp_memzero(&k, sizeof k);
    kp_json_free(&j);
    return st;
}

kp_status kp_keystore_encrypt(const kp_ctx *ctx, kp_buf *out, const uint8_t scalar[32], const char *pass,
                              size_t passlen, kp_kdf_strength strength)
{
    kdf_params k;
    uint8_t iv[16], ct[32], mac[32], uuid[16], pub[33], *dk = NULL;
    size_t pub_len;
    char addr[43];
    kp_status st;
    memset(&k, 0, sizeof k);
    k.scrypt = 1;
    k.dklen = 32;
    k.saltlen = 32;
    k.r = 8;
    if (strength == KP_KDF_INTERACTIVE) {
        k.n = 1u << 12; /* go-ethereum LightScryptN, LightScryptP */
        k.p = 6;
    } else {
        k.n = strength == KP_KDF_SENSITIVE ? 1u << 20 : 1u << 18; /* StandardScryptN */
        k.p = 1;
    }
    if (pass == NULL || passlen == 0) return kp_fail(KP_ERR_EMPTY, "a keystore needs a passphrase");
    if ((st = kp_scalar_check(KP_CURVE_SECP256K1, scalar)) != KP_OK) return st;
    if ((st = kp_public_key(ctx, pub, &pub_len, KP_CURVE_SECP256K1, scalar)) != KP_OK ||
        (st = kp_eth_address(ctx, addr, pub, pub_len)) != KP_OK)
        return st;
    if ((dk = kp_secure_alloc(MAX_DK)) == NULL) return kp_fail(KP_ERR_NOMEM, "out of memory");
    kp_random(k.salt, k.saltlen);
    kp_random(iv, sizeof iv);
    kp_random(uuid, sizeof uuid);
    uuid[6] = (uint8_t)((uuid[6] & 0x0f) | 0x40); /* RFC 4122 version 4 */
    uuid[8] = (uint8_t)((uuid[8] & 0x3f) | 0x80);
    if ((st = derive(dk, &k, pass, passlen)) != KP_OK || (st = aes128ctr(ct, dk, iv, scalar, 32)) != KP_OK) goto done;
    mac_of(mac, dk, ct, 32);
    for (int i = 2; i < 42; i++) /* the address field is lower case, without 0x, as geth writes it */
        if (addr[i] >= 'A' && addr[i] <= 'F') addr[i] = (char)(addr[i] - 'A' + 'a');
    char id[37];
    snprintf(id, sizeof id, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", uuid[0], uuid[1],
             uuid[2], uuid[3], uuid[4], uuid[5], uuid[6], uuid[7], uuid[8], uuid[9], uuid[10], uuid[11], uuid[12],
             uuid[13], uuid[14], uuid[15]);
    if ((st = kp_buf_addf(out, "{\"address\":\"%s\",\"crypto\":{\"cipher\":\"aes-128-ctr\",\"ciphertext\":\"", addr + 2)) !=
            KP_OK ||
        (st = kp_buf_addhex(out, ct, 32)) != KP_OK ||
        (st = kp_buf_addstr(out, "\",\"cipherparams\":{\"iv\":\"")) != KP_OK || (st = kp_buf_addhex(out, iv, 16)) != KP_OK ||
        (st = kp_buf_addf(out, "\"},\"kdf\":\"scrypt\",\"kdfparams\":{\"dklen\":32,\"n\":%u,\"p\":%u,\"r\":%u,\"salt\":\"", k.n,
                          k.p, k.r)) != KP_OK ||
        (st = kp_buf_addhex(out, k.salt, k.saltlen)) != KP_OK || (st = kp_buf_addstr(out, "\"},\"mac\":\"")) != KP_OK ||
        (st = kp_buf_addhex(out, mac, 32)) != KP_OK ||
        (st = kp_buf_addf(out, "\"},\"id\":\"%s\",\"version\":3}\n", id)) != KP_OK)
        goto done;
    st = KP_OK;
done:
    kp_secure_free(dk);
    kp_memzero(ct, sizeof ct);
    kp_memzero(&k, sizeof k);
    return st;
}
