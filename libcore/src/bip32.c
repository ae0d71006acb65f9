/*
 * bip32.c: hierarchical derivation. BIP-32 on secp256k1 (libsecp256k1 for the point and scalar
 * steps, libsodium's HMAC-SHA512), SLIP-10 on ed25519 (hardened steps only), extended key text
 * (xprv/xpub and their testnet and BIP-49/84 twins), derivation paths, and the Stark grinding step.
 */
#include <stdio.h>
#include <string.h>

#include <secp256k1.h>
#include <sodium.h>

#include "field.h"
#include "keyfmt.h"

kp_status kp_path_parse(uint32_t *steps, size_t cap, size_t *n, int *public_only, const char *path)
{
    KP_ARG_CHECK(NULL, steps != NULL && n != NULL && path != NULL);
    const char *p = path;
    size_t k = 0;
    *n = 0;
    if (public_only != NULL) *public_only = p[0] == 'M';
    if (p[0] == 'M' && public_only == NULL)
        return kp_fail(KP_ERR_PATH, "a path that starts with M asks for public derivation, which gives no private key; "
                                    "write m/... for the private key");
    if (p[0] == 'm' || p[0] == 'M') {
        p++;
        if (*p == 0) return KP_OK;
        if (*p != '/') return kp_fail(KP_ERR_PATH, "a path is \"m\" or starts with \"m/\"");
        p++;
    } else if (*p == 0) {
        return kp_fail(KP_ERR_PATH, "the path is empty (write \"m\" for the key itself)");
    }
    for (;;) {
        const char *s = p;
        uint64_t v = 0;
        while (*p >= '0' && *p <= '9') {
            v = v * 10 + (uint64_t)(*p - '0');
            if (v >= KP_HARDENED) break;
            p++;
        }
        size_t digits = (size_t)(p - s);
        int hard = 0;
        if (digits > 0 && (*p == '\'' || *p == 'h' || *p == 'H')) {
            hard = 1;
            p++;
        }
        const char *e = s;
        while (*e && *e != '/') e++;
        int len = (int)(e - s > 24 ? 24 : e - s);
        if (digits == 0 || v >= KP_HARDENED || (digits > 1 && s[0] == '0') || p != e) {
            memset(steps, 0, cap * sizeof *steps);
            if (v >= KP_HARDENED)
                return kp_fail(KP_ERR_PATH, "path step %zu (\"%.*s\") is 2^31 or more; write a hardened step as N' with N below 2^31",
                               k + 1, len, s);
            return kp_fail(KP_ERR_PATH,
                           "path step %zu (\"%.*s\") is not a whole number below 2^31 (no leading zeros), optionally followed by ' or h",
                           k + 1, len, s);
        }
        if (k >= cap) {
            memset(steps, 0, cap * sizeof *steps);
            return kp_fail(KP_ERR_PATH, "the path has more than %zu steps", cap);
        }
        steps[k++] = (uint32_t)v | (hard ? KP_HARDENED : 0);
        if (*p == 0) break;
        p++; /* the '/' */
        if (*p == 0) {
            memset(steps, 0, cap * sizeof *steps);
            return kp_fail(KP_ERR_PATH, "the path ends with '/'");
        }
    }
    *n = k;
    return KP_OK;
}

static void hmac512(uint8_t out[64], const uint8_t *key, size_t keylen, const uint8_t *m, size_t len)
{
    crypto_auth_hmacsha512_state st;
    crypto_auth_hmacsha512_init(&st, key, keylen);
    crypto_auth_hmacsha512_update(&st, m, len);
    crypto_auth_hmacsha512_final(&st, out);
    sodium_memzero(&st, sizeof st);
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static kp_status secp_pub(const kp_ctx *ctx, uint8_t pub[33], const uint8_t key[32])
{
    secp256k1_pubkey pk;
    size_t len = 33;
    if (!secp256k1_ec_pubkey_create(ctx->secp, &pk, key)) return kp_fail(KP_ERR_SCALAR, "the derived key is not valid");
    secp256k1_ec_pubkey_serialize(ctx->secp, pub, &len, &pk, SECP256K1_EC_COMPRESSED);
    return KP_OK;
}

kp_status kp_xkey_master(const kp_ctx *ctx, kp_xkey *x, kp_curve c, const uint8_t *seed, size_t len)
{
    uint8_t I[64];
    kp_status st = KP_OK;
    memset(x, 0, sizeof *x);
    /* BIP-32 "Master key generation"; SLIP-10 uses its own HMAC key for ed25519. */
    const char *hkey = c == KP_CURVE_ED25519 ? "ed25519 seed" : "Bitcoin seed";
    hmac512(I, (const uint8_t *)hkey, strlen(hkey), seed, len);
    x->curve = c;
    x->is_private = 1;
    memcpy(x->key, I, 32);
    memcpy(x->chain, I + 32, 32);
    if (c == KP_CURVE_SECP256K1) {
        /* BIP-32: an I_L of 0 or >= n makes the seed invalid (probability below 2^-127). */
        if (!secp256k1_ec_seckey_verify(ctx->secp, x->key) || secp_pub(ctx, x->pub, x->key) != KP_OK)
            st = kp_fail(KP_ERR_SCALAR, "this seed gives no valid BIP-32 master key");
    }
    kp_memzero(I, sizeof I);
    if (st != KP_OK) kp_memzero(x, sizeof *x);
    return st;
}

static void step_name(char *out, size_t cap, uint32_t s)
{
    snprintf(out, cap, "%u%s", s & ~KP_HARDENED, s & KP_HARDENED ? "'" : "");
}

kp_status kp_xkey_derive(const kp_ctx *ctx, kp_xkey *x, const uint32_t *steps, size_t n, const char *path)
{
    uint8_t data[37], I[64];
    kp_status st = KP_OK;
    char name[16];
    (void)path;
    if ((size_t)x->depth + n > 255) return kp_fail(KP_ERR_PATH, "the path goes deeper than BIP-32's 255 levels");
    for (size_t i = 0; i < n && st == KP_OK; i++) {
        uint32_t s = steps[i];
        int hard = (s & KP_HARDENED) != 0;
        step_name(name, sizeof name, s);
        if (x->curve == KP_CURVE_ED25519 && !hard) {
            st = kp_fail(KP_ERR_PATH,
                         "path step %zu (\"%s\") is not hardened, but SLIP-10 derives ed25519 keys along hardened steps only (write %s')",
                         i + 1, name, name);
            break;
        }
        if (!x->is_private && hard) {
            st = kp_fail(KP_ERR_PATH,
                         "path step %zu (\"%s\") is hardened, but a public derivation (an xpub, or a path that starts "
                         "with M) derives only non-hardened children",
                         i + 1, name);
            break;
        }
        if (hard) {
            data[0] = 0; /* BIP-32 CKDpriv, hardened: 0x00 || ser256(k) || ser32(i) */
            memcpy(data + 1, x->key, 32);
        } else {
            memcpy(data, x->pub, 33); /* non-hardened: serP(point(k)) || ser32(i) */
        }
        put32(data + 33, s);
        hmac512(I, x->chain, 32, data, 37);
        if (x->curve == KP_CURVE_ED25519) {
            memcpy(x->key, I, 32); /* SLIP-10: the child key is I_L itself */
        } else if (x->is_private) {
            /* k_i = I_L + k_par mod n; invalid when I_L >= n or the sum is 0 */
            if (!secp256k1_ec_seckey_verify(ctx->secp, I) || !secp256k1_ec_seckey_tweak_add(ctx->secp, x->key, I) ||
                secp_pub(ctx, x->pub, x->key) != KP_OK)
                st = kp_fail(KP_ERR_PATH, "path step %zu (\"%s\") gives an invalid key (BIP-32: use the next index)", i + 1, name);
        } else {
            secp256k1_pubkey pk;
            size_t plen = 33;
            if (!secp256k1_ec_pubkey_parse(ctx->secp, &pk, x->pub, 33) || !secp256k1_ec_seckey_verify(ctx->secp, I) ||
                !secp256k1_ec_pubkey_tweak_add(ctx->secp, &pk, I))
                st = kp_fail(KP_ERR_PATH, "path step %zu (\"%s\") gives an invalid key (BIP-32: use the next index)", i + 1, name);
            else
                secp256k1_ec_pubkey_serialize(ctx->secp, x->pub, &plen, &pk, SECP256K1_EC_COMPRESSED);
        }
        memcpy(x->chain, I + 32, 32);
        x->depth++;
    }
    kp_memzero(data, sizeof data);
    kp_memzero(I, sizeof I);
    if (st != KP_OK) kp_memzero(x, sizeof *x);
    return st;
}

/* Extended key versions (BIP-32, and the SLIP-132 ones of BIP-49 and BIP-84). */
static const struct { uint32_t version; int priv; uint32_t twin; } VERSIONS[] = {
    {0x0488ADE4, 1, 0x0488B21E}, {0x0488B21E, 0, 0x0488ADE4}, /* xprv, xpub */
    {0x04358394, 1, 0x043587CF}, {0x043587CF, 0, 0x04358394}, /* tprv, tpub */
    {0x049D7878, 1, 0x049D7CB2}, {0x049D7CB2, 0, 0x049D7878}, /* yprv, ypub */
    {0x04B2430C, 1, 0x04B24746}, {0x04B24746, 0, 0x04B2430C}, /* zprv, zpub */
    {0x044A4E28, 1, 0x044A5262}, {0x044A5262, 0, 0x044A4E28}, /* uprv, upub */
    {0x045F18BC, 1, 0x045F1CF6}, {0x045F1CF6, 0, 0x045F18BC}, /* vprv, vpub */
};

kp_status kp_xkey_parse(const kp_ctx *ctx, kp_xkey *x, const char *s, size_t len)
{
    uint8_t b[78];
    size_t a, e;
    memset(x, 0, sizeof *x);
    kp_trim(s, len, &a, &e);
    if (a == e) return kp_fail(KP_ERR_EMPTY, "the extended key is empty");
    kp_status st = kp_base58check_decode_exact(b, sizeof b, s + a, e - a);
    if (st == KP_ERR_BASE58) {
        kp_fail(KP_ERR_BASE58, "not an extended key: it is not base58 of 82 bytes (78 and a checksum)");
        goto done;
    }
    if (st != KP_OK) {
        kp_fail(st, "the extended key's checksum does not match: a character is mistyped or missing");
        goto done;
    }
    uint32_t version = get32(b);
    int priv = -1;
    for (size_t i = 0; i < sizeof VERSIONS / sizeof VERSIONS[0]; i++)
        if (VERSIONS[i].version == version) priv = VERSIONS[i].priv;
    st = KP_ERR_FORMAT;
    if (priv < 0) {
        kp_fail(st, "unknown extended key version %08x (xprv, xpub, tprv, tpub, yprv, ypub, zprv, zpub are known)", version);
        goto done;
    }
    uint8_t depth = b[4];
    uint32_t parent = get32(b + 5), index = get32(b + 9);
    if (depth == 0 && parent != 0) {
        kp_fail(st, "the extended key has depth 0 but a non-zero parent fingerprint");
        goto done;
    }
    if (depth == 0 && index != 0) {
        kp_fail(st, "the extended key has depth 0 but a non-zero child number");
        goto done;
    }
    x->curve = KP_CURVE_SECP256K1;
    x->depth = depth;
    x->is_private = priv;
    memcpy(x->chain, b + 13, 32);
    if (priv) {
        if (b[45] != 0) {
            kp_fail(st, "a private extended key holds 0x00 then the key, not a public key (prefix %02x)", b[45]);
            goto done;
        }
        memcpy(x->key, b + 46, 32);
        if (kp_scalar_check(KP_CURVE_SECP256K1, x->key) != KP_OK) {
            st = kp_fail(KP_ERR_SCALAR, "the extended key's private key is 0 or not below the secp256k1 order");
            goto done;
        }
        if ((st = secp_pub(ctx, x->pub, x->key)) != KP_OK) goto done;
    } else {
        secp256k1_pubkey pk;
        if (b[45] != 2 && b[45] != 3) {
            kp_fail(st, "a public extended key holds a compressed point (02 or 03), not prefix %02x", b[45]);
            goto done;
        }
        if (!secp256k1_ec_pubkey_parse(ctx->secp, &pk, b + 45, 33)) {
            st = kp_fail(KP_ERR_POINT, "the extended key's public key is not a point of secp256k1");
            goto done;
        }
        memcpy(x->pub, b + 45, 33);
    }
    st = KP_OK;
done:
    kp_memzero(b, sizeof b);
    if (st != KP_OK) kp_memzero(x, sizeof *x);
    return st;
}

kp_status kp_stark_grind(uint8_t stark[32], const uint8_t key[32])
{
    KP_ARG_CHECK(NULL, stark != NULL && key != NULL);
    /* starkex-resources key_derivation.js grindKey: max = 2^256 - (2^256 mod n); hash key || index
     * (the index as its shortest even-length hex, one byte below 256) until the hash is below max. */
    static const uint8_t MAX[32] = {0xf8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x0e, 0xff, 0xff, 0xff,
                                    0xff, 0xff, 0xff, 0xff, 0xf7, 0x38, 0xa1, 0x3b, 0x4b, 0x92, 0x0e,
                                    0x94, 0x11, 0xae, 0x6d, 0xa5, 0xf4, 0x0b, 0x03, 0x58, 0xb1};
    uint8_t buf[34], h[32];
    kp_status st = kp_fail(KP_ERR_SCALAR, "grinding found no Stark key in 65536 tries");
    memcpy(buf, key, 32);
    for (uint32_t i = 0; i < 65536; i++) {
        size_t n = 32;
        if (i >= 256) buf[n++] = (uint8_t)(i >> 8);
        buf[n++] = (uint8_t)i;
        crypto_hash_sha256(h, buf, n);
        /* below MAX? a big-endian comparison; which index ends the loop is as public as the key's timing */
        int below = 0, decided = 0;
        for (int k = 0; k < 32; k++) {
            int lt = h[k] < MAX[k], gt = h[k] > MAX[k];
            below |= (!decided) & lt;
            decided |= lt | gt;
        }
        if (below) {
            const kp_field *f = kp_field_of(KP_CURVE_STARK);
            uint8_t wide[64] = {0};
            kp_fe fe;
            memcpy(wide + 32, h, 32);
            kp_fe_from_wide(f, &fe, wide);
            kp_fe_to_bytes(stark, &fe);
            kp_memzero(wide, sizeof wide);
            kp_memzero(&fe, sizeof fe);
            st = kp_scalar_check(KP_CURVE_STARK, stark) == KP_OK ? KP_OK : kp_fail(KP_ERR_SCALAR, "the ground key is zero");
            break;
        }
    }
    kp_memzero(buf, sizeof buf);
    kp_memzero(h, sizeof h);
    if (st != KP_OK) kp_memzero(stark, 32);
    return st;
}
