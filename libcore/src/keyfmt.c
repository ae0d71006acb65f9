/*
 * keyfmt.c: key formats in and out (keyport_keyfmt.h). One table of formats; kp_key_parse and
 * kp_key_write dispatch on it. Every intermediate secret (seeds, chain codes, parent keys, the
 * decoded bytes of a WIF or a Solana key) lives in the secure allocator and is wiped on every path.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "json.h"
#include "keyfmt.h"

#define SECP KP_CURVE_BIT(KP_CURVE_SECP256K1)
#define ED KP_CURVE_BIT(KP_CURVE_ED25519)
#define STARK KP_CURVE_BIT(KP_CURVE_STARK)

static const char NO_SEED[] =
    "an RFC 8032 seed cannot be made from a threshold export: the cluster holds the signing scalar, a hash of the seed, "
    "never the seed; write hex (the scalar) or ed25519-expanded (scalar and prefix, which sign as RFC 8032 does)";
static const char NO_SOLANA[] =
    "a Solana keypair holds the RFC 8032 seed, which a threshold export cannot give (it yields the signing scalar, "
    "never the seed); write ed25519-expanded or hex";
static const char NO_XPRV[] =
    "an xprv cannot be made from a threshold export: it needs a chain code, which the cluster never had; a threshold "
    "export yields one scalar; write hex, wif or keystore";
static const char NO_MNEMONIC[] =
    "a mnemonic cannot be made from a key: it is the seed of a whole tree of keys, and a threshold export yields one "
    "scalar; write hex, wif or keystore";

static const kp_key_format_info FORMATS[] = {
    {KP_KEYFMT_HEX, "hex", SECP | ED | STARK, SECP | ED | STARK, 0, 0, 0,
     "a big-endian scalar, up to 64 hex digits (0x allowed), on any curve", NULL, "scalar"},
    {KP_KEYFMT_ED25519_SEED, "ed25519-seed", ED, 0, KP_CURVE_ED25519, 0, 0,
     "an RFC 8032 Ed25519 seed, 64 hex digits; imported as its signing scalar", NO_SEED, "rfc8032-seed"},
    {KP_KEYFMT_WIF, "wif", SECP, SECP, KP_CURVE_SECP256K1, 0, 0,
     "Bitcoin WIF, mainnet (5…, K…, L…); written compressed", NULL, NULL},
    {KP_KEYFMT_WIF_TESTNET, "wif-testnet", SECP, SECP, KP_CURVE_SECP256K1, 0, 0,
     "Bitcoin WIF, testnet (9…, c…); written compressed", NULL, NULL},
    {KP_KEYFMT_MNEMONIC, "mnemonic", SECP | ED | STARK, 0, KP_CURVE_SECP256K1, 2, 1,
     "BIP-39 English mnemonic (+ optional passphrase) and --path: BIP-32 for secp256k1, SLIP-10 for ed25519 "
     "(hardened steps only), EIP-2645 with grinding for stark", NO_MNEMONIC, "bip39"},
    {KP_KEYFMT_XPRV, "xprv", SECP | STARK, 0, KP_CURVE_SECP256K1, 1, 0,
     "BIP-32 extended private key (xprv, tprv, yprv, zprv), with an optional further --path", NO_XPRV, "bip32,tprv,zprv"},
    {KP_KEYFMT_XPUB, "xpub", 0, 0, KP_CURVE_SECP256K1, 1, 0,
     "BIP-32 extended public key (xpub, tpub, ypub, zpub) and a non-hardened --path: key show only", NULL, "tpub,zpub"},
    {KP_KEYFMT_KEYSTORE, "keystore", SECP, SECP, KP_CURVE_SECP256K1, 0, 2,
     "Ethereum keystore v3 (Web3 Secret Storage), scrypt or pbkdf2; written with scrypt", NULL, "keystore-v3,eth-keystore"},
    {KP_KEYFMT_SOLANA_KEYPAIR, "solana-keypair", ED, 0, KP_CURVE_ED25519, 0, 0,
     "Solana keypair file (solana-keygen): a JSON array of 64 bytes, seed then public key", NO_SOLANA, "solana-json"},
    {KP_KEYFMT_SOLANA_BASE58, "solana-base58", ED, 0, KP_CURVE_ED25519, 0, 0,
     "Solana secret key in base58 (wallet export): the same 64 bytes", NO_SOLANA, "solana-secret"},
    {KP_KEYFMT_STARK_HEX, "stark-hex", STARK, STARK, KP_CURVE_STARK, 0, 0,
     "a Stark private key in hex, below the Stark curve order", NULL, "stark"},
    {KP_KEYFMT_STARK_MNEMONIC, "stark-mnemonic", STARK, 0, KP_CURVE_STARK, 2, 1,
     "BIP-39 mnemonic and an EIP-2645 --path (m/2645'/…), BIP-32 then grinding, as StarkEx and Starknet wallets do",
     NO_MNEMONIC, "eip2645"},
    {KP_KEYFMT_ED25519_EXPANDED, "ed25519-expanded", 0, ED, KP_CURVE_ED25519, 0, 0,
     "out only: the 64-byte expanded Ed25519 secret, little-endian scalar then a prefix, as 128 hex digits; signs as "
     "RFC 8032 does", NULL, "expanded"},
};
#define NFORMATS (sizeof FORMATS / sizeof FORMATS[0])

size_t kp_key_format_count(void)
{
    return NFORMATS;
}

const kp_key_format_info *kp_key_format_get(size_t i)
{
    return i < NFORMATS ? &FORMATS[i] : NULL;
}

const kp_key_format_info *kp_key_format_info_of(kp_key_format f)
{
    for (size_t i = 0; i < NFORMATS; i++)
        if (FORMATS[i].id == f) return &FORMATS[i];
    return NULL;
}

/* 1 if name is one of the comma-separated aliases. */
static int alias_of(const char *aliases, const char *name)
{
    size_t n = strlen(name);
    for (const char *a = aliases; a != NULL && *a;) {
        const char *e = strchr(a, ',');
        size_t len = e ? (size_t)(e - a) : strlen(a);
        if (len == n && n > 0 && memcmp(a, name, n) == 0) return 1;
        a = e ? e + 1 : a + len;
    }
    return 0;
}

kp_status kp_key_format_from_name(kp_key_format *out, const char *name)
{
    KP_ARG_CHECK(NULL, out != NULL && name != NULL);
    char list[400];
    size_t n = 0;
    for (size_t i = 0; i < NFORMATS; i++) {
        if (strcmp(FORMATS[i].name, name) == 0 || alias_of(FORMATS[i].aliases, name)) {
            *out = FORMATS[i].id;
            return KP_OK;
        }
        n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "", FORMATS[i].name);
    }
    *out = (kp_key_format)0;
    return kp_fail(KP_ERR_KEY_FORMAT, "unknown key format \"%.40s\"; the formats are %s", name, list);
}

void kp_trim(const char *s, size_t len, size_t *a, size_t *b)
{
    *a = 0;
    *b = len;
    while (*a < *b && (s[*a] == ' ' || s[*a] == '\t' || s[*a] == '\n' || s[*a] == '\r')) (*a)++;
    while (*b > *a && (s[*b - 1] == ' ' || s[*b - 1] == '\t' || s[*b - 1] == '\n' || s[*b - 1] == '\r')) (*b)--;
}

static const char *curves_text(unsigned bits)
{
    static const char *const T[8] = {"no curve", "secp256k1", "ed25519", "secp256k1 or ed25519", "stark",
                                     "secp256k1 or stark", "ed25519 or stark", "any curve"};
    unsigned k = ((bits >> KP_CURVE_SECP256K1) & 1) | ((bits >> KP_CURVE_ED25519) & 1) << 1 | ((bits >> KP_CURVE_STARK) & 1) << 2;
    return T[k];
}

/* ---------------------------------------------------------------- the input formats */

static kp_status parse_wif(uint8_t scalar[32], const char *s, size_t len, int testnet)
{
    uint8_t *p = kp_secure_alloc(34);
    size_t a, b;
    kp_status st;
    if (p == NULL) return kp_fail(KP_ERR_NOMEM, "out of memory");
    kp_trim(s, len, &a, &b);
    if (a == b) {
        st = kp_fail(KP_ERR_EMPTY, "the WIF key is empty");
        goto done;
    }
    size_t n = 34; /* version || key || 0x01 (compressed), else version || key */
    st = kp_base58check_decode_exact(p, 34, s + a, b - a);
    if (st == KP_ERR_BASE58) {
        n = 33;
        st = kp_base58check_decode_exact(p, 33, s + a, b - a);
    }
    if (st == KP_ERR_BASE58) {
        st = kp_fail(KP_ERR_BASE58, "not a WIF key: it is not base58 of 37 or 38 bytes (a character outside the base58 "
                                    "alphabet, or the wrong length)");
        goto done;
    }
    if (st == KP_ERR_CHECKSUM) {
        kp_fail(st, "the WIF checksum does not match: a character is mistyped, missing or swapped");
        goto done;
    }
    if (st != KP_OK) goto done;
    uint8_t want = testnet ? 0xEF : 0x80;
    if (p[0] != want) {
        if (p[0] == (testnet ? 0x80 : 0xEF))
            st = kp_fail(KP_ERR_KEY_FORMAT, "this is a %s WIF key (version byte 0x%02x); read it with --format %s",
                         testnet ? "mainnet" : "testnet", p[0], testnet ? "wif" : "wif-testnet");
        else
            st = kp_fail(KP_ERR_FORMAT, "unknown WIF version byte 0x%02x (0x80 is mainnet, 0xef testnet)", p[0]);
        goto done;
    }
    if (n == 34 && p[33] != 0x01) {
        st = kp_fail(KP_ERR_FORMAT, "the WIF compression flag is 0x%02x, not 0x01", p[33]);
        goto done;
    }
    memcpy(scalar, p + 1, 32);
    if (kp_scalar_check(KP_CURVE_SECP256K1, scalar) != KP_OK)
        st = kp_fail(KP_ERR_SCALAR, "the WIF key is zero or not below the secp256k1 order");
done:
    kp_secure_free(p);
    return st;
}

/* seed || public key, 64 bytes: the public half must be the seed's (Solana keypairs). */
static kp_status solana_scalar(uint8_t scalar[32], const uint8_t kp64[64])
{
    uint8_t pk[32], *sk = kp_secure_alloc(64);
    kp_status st;
    if (sk == NULL) return kp_fail(KP_ERR_NOMEM, "out of memory");
    crypto_sign_seed_keypair(pk, sk, kp64);
    kp_secure_free(sk);
    if (memcmp(pk, kp64 + 32, 32) != 0)
        return kp_fail(KP_ERR_KEYPAIR_MISMATCH,
                       "the keypair's two halves disagree: bytes 33-64 are not the public key of the seed in bytes 1-32");
    st = kp_ed25519_seed_to_scalar(scalar, kp64);
    return st;
}

static kp_status parse_solana_json(uint8_t scalar[32], const char *text, size_t len)
{
    kp_json j;
    kp_status st;
    uint8_t *b = kp_secure_alloc(64);
    if (b == NULL) return kp_fail(KP_ERR_NOMEM, "out of memory");
    if ((st = kp_json_parse(&j, text, len, "the Solana keypair file")) != KP_OK) {
        kp_secure_free(b);
        return st;
    }
    if (j.tok[0].type != KP_J_ARRAY || j.tok[0].count != 64) {
        st = kp_fail(KP_ERR_FORMAT, "a Solana keypair file is a JSON array of 64 numbers, not %s of %u",
                     j.tok[0].type == KP_J_ARRAY ? "an array" : "a value", j.tok[0].type == KP_J_ARRAY ? j.tok[0].count : 1);
        goto done;
    }
    size_t i = 0;
    for (int e = kp_json_first(&j, 0); e >= 0; e = kp_json_next(&j, 0, e), i++) {
        const kp_jtok *t = &j.tok[e];
        const char *s = text + t->start;
        unsigned v = 0, ok = t->type == KP_J_NUMBER && t->len >= 1 && t->len <= 3;
        for (uint32_t k = 0; ok && k < t->len; k++) {
            ok &= s[k] >= '0' && s[k] <= '9';
            v = v * 10 + (unsigned)(s[k] - '0');
        }
        if (!ok || v > 255 || (t->len > 1 && s[0] == '0')) {
            st = kp_fail(KP_ERR_FORMAT, "element %zu of the Solana keypair is not a whole number 0..255", i + 1);
            goto done;
        }
        b[i] = (uint8_t)v;
    }
    st = solana_scalar(scalar, b);
done:
    kp_json_free(&j);
    kp_secure_free(b);
    return st;
}

static kp_status parse_solana_b58(uint8_t scalar[32], const char *s, size_t len)
{
    uint8_t *b = kp_secure_alloc(64);
    size_t a, e;
    kp_status st;
    if (b == NULL) return kp_fail(KP_ERR_NOMEM, "out of memory");
    kp_trim(s, len, &a, &e);
    if (a == e) st = kp_fail(KP_ERR_EMPTY, "the Solana secret key is empty");
    else if (kp_base58_decode_exact(b, 64, s + a, e - a) != KP_OK)
        st = kp_fail(KP_ERR_BASE58, "not a Solana secret key: it is not base58 of 64 bytes");
    else
        st = solana_scalar(scalar, b);
    kp_secure_free(b);
    return st;
}

/* A BIP-39 mnemonic along a path: BIP-32 (secp256k1, and stark before grinding) or SLIP-10 (ed25519). */
static kp_status parse_mnemonic(const kp_ctx *ctx, uint8_t scalar[32], kp_curve c, const kp_key_params *kp, const char *s,
                                size_t len)
{
    uint8_t *seed = kp_secure_alloc(64);
    kp_xkey *x = kp_secure_alloc(sizeof *x);
    uint32_t steps[KP_PATH_MAX_STEPS];
    size_t n;
    kp_status st;
    if (seed == NULL || x == NULL) {
        st = kp_fail(KP_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((st = kp_path_parse(steps, KP_PATH_MAX_STEPS, &n, NULL, kp->path)) != KP_OK ||
        (st = kp_bip39_seed(seed, s, len, kp->passphrase, kp->passphrase_len)) != KP_OK ||
        (st = kp_xkey_master(ctx, x, c == KP_CURVE_ED25519 ? KP_CURVE_ED25519 : KP_CURVE_SECP256K1, seed, 64)) != KP_OK ||
        (st = kp_xkey_derive(ctx, x, steps, n, kp->path)) != KP_OK)
        goto done;
    if (c == KP_CURVE_ED25519) st = kp_ed25519_seed_to_scalar(scalar, x->key); /* SLIP-10 keys are RFC 8032 seeds */
    else if (c == KP_CURVE_STARK) st = kp_stark_grind(scalar, x->key);        /* EIP-2645, then grindKey */
    else memcpy(scalar, x->key, 32);
done:
    kp_secure_free(seed);
    kp_secure_free(x);
    return st;
}

static kp_status parse_xkey(const kp_ctx *ctx, kp_xkey *x, int want_private, const kp_key_params *kp, const char *s,
                            size_t len)
{
    uint32_t steps[KP_PATH_MAX_STEPS];
    size_t n = 0;
    kp_status st;
    int public_only = 0;
    if (kp->path != NULL && (st = kp_path_parse(steps, KP_PATH_MAX_STEPS, &n, want_private ? NULL : &public_only,
                                                kp->path)) != KP_OK)
        return st;
    if ((st = kp_xkey_parse(ctx, x, s, len)) != KP_OK) return st;
    if (want_private && !x->is_private) {
        kp_memzero(x, sizeof *x);
        return kp_fail(KP_ERR_KEY_FORMAT, "this is an extended public key: it holds no private key (keyport key show "
                                          "--format xpub shows its addresses)");
    }
    if (!want_private && x->is_private) {
        kp_memzero(x, sizeof *x);
        return kp_fail(KP_ERR_KEY_FORMAT, "this is an extended private key: read it with --format xprv");
    }
    return kp_xkey_derive(ctx, x, steps, n, kp->path);
}

/* Checks the format, curve and path; *c gets the curve. */
static kp_status check_params(const kp_key_format_info **info, kp_curve *c, kp_key_format fmt, const kp_key_params *kp,
                              int public_only)
{
    const kp_key_format_info *f = kp_key_format_info_of(fmt);
    *info = f;
    if (f == NULL) return kp_fail(KP_ERR_KEY_FORMAT, "unknown key format %d", (int)fmt);
    unsigned in = f->in_curves | (public_only && fmt == KP_KEYFMT_XPUB ? SECP : 0);
    if (in == 0) {
        if (fmt == KP_KEYFMT_XPUB)
            return kp_fail(KP_ERR_KEY_FORMAT, "an xpub holds no private key; it can be shown (key show), not imported");
        return kp_fail(KP_ERR_KEY_FORMAT, "%s is an output format only", f->name);
    }
    *c = kp->curve ? kp->curve : f->default_curve;
    if (*c == 0) return kp_fail(KP_ERR_KEY_FORMAT, "a %s key can be on any curve: say which one", f->name);
    if (kp_curve_name(*c) == NULL) return kp_fail(KP_ERR_CURVE, "unknown curve %d", (int)*c);
    if (!(in & KP_CURVE_BIT(*c)))
        return kp_fail(KP_ERR_KEY_FORMAT, "a %s key is a %s key, not %s", f->name, curves_text(in), kp_curve_name(*c));
    if (f->path == 0 && kp->path != NULL) return kp_fail(KP_ERR_PATH, "a %s key takes no derivation path", f->name);
    if (f->path == 2 && kp->path == NULL)
        return kp_fail(KP_ERR_PATH, "a %s needs a derivation path, e.g. %s", f->name,
                       *c == KP_CURVE_ED25519 ? "m/44'/501'/0'/0' (Solana)"
                       : *c == KP_CURVE_STARK ? "m/2645'/579218131'/211006541'/1534045311'/1431804530'/0 (EIP-2645)"
                                              : "m/44'/60'/0'/0/0 (Ethereum) or m/84'/0'/0'/0/0 (Bitcoin)");
    return KP_OK;
}

kp_status kp_key_parse(const kp_ctx *ctx, kp_curve *curve, uint8_t scalar[32], kp_key_format fmt,
                       const kp_key_params *params, const uint8_t *in, size_t len)
{
    KP_ARG_CHECK(ctx, ctx != NULL && curve != NULL && scalar != NULL && (in != NULL || len == 0));
    static const kp_key_params none = {0, NULL, NULL, 0};
    const kp_key_params *kp = params ? params : &none;
    const kp_key_format_info *f;
    const char *s = (const char *)in;
    kp_curve c = 0;
    kp_status st;
    kp_xkey *x = NULL;
    kp_clear_error();
    memset(scalar, 0, 32);
    *curve = 0;
    if ((st = check_params(&f, &c, fmt, kp, 0)) != KP_OK) return st;
    switch (fmt) {
    case KP_KEYFMT_HEX:
    case KP_KEYFMT_STARK_HEX:
        st = kp_scalar_from_hex(scalar, c, s, len);
        break;
    case KP_KEYFMT_ED25519_SEED: {
        uint8_t *seed = kp_secure_alloc(32);
        st = seed == NULL ? kp_fail(KP_ERR_NOMEM, "out of memory") : kp_bytes_from_hex(seed, 32, s, len);
        if (st == KP_OK) st = kp_ed25519_seed_to_scalar(scalar, seed);
        kp_secure_free(seed);
        break;
    }
    case KP_KEYFMT_WIF:
    case KP_KEYFMT_WIF_TESTNET:
        st = parse_wif(scalar, s, len, fmt == KP_KEYFMT_WIF_TESTNET);
        break;
    case KP_KEYFMT_MNEMONIC:
    case KP_KEYFMT_STARK_MNEMONIC:
        st = parse_mnemonic(ctx, scalar, c, kp, s, len);
        break;
    case KP_KEYFMT_XPRV:
        if ((x = kp_secure_alloc(sizeof *x)) == NULL) st = kp_fail(KP_ERR_NOMEM, "out of memory");
        else if ((st = parse_xkey(ctx, x, 1, kp, s, len)) == KP_OK) {
            if (c == KP_CURVE_STARK) st = kp_stark_grind(scalar, x->key);
            else memcpy(scalar, x->key, 32);
        }
        break;
    case KP_KEYFMT_KEYSTORE:
        st = kp_keystore_decrypt(ctx, scalar, s, len, kp->passphrase ? kp->passphrase : "", kp->passphrase_len);
        break;
    case KP_KEYFMT_SOLANA_KEYPAIR:
        st = parse_solana_json(scalar, s, len);
        break;
    case KP_KEYFMT_SOLANA_BASE58:
        st = parse_solana_b58(scalar, s, len);
        break;
    default:
        st = kp_fail(KP_ERR_KEY_FORMAT, "%s is not an input format", f->name);
    }
    kp_secure_free(x);
    if (st == KP_OK && kp_scalar_check(c, scalar) != KP_OK)
        st = kp_fail(KP_ERR_SCALAR, "the key is zero or not below the %s order", kp_curve_name(c));
    if (st != KP_OK) {
        memset(scalar, 0, 32);
        return st;
    }
    *curve = c;
    return KP_OK;
}

/* BIP-32 public derivation N(...) from a mnemonic or an xprv along a path that starts with "M":
 * the parent's public key, then non-hardened steps only. */
static kp_status public_derivation(const kp_ctx *ctx, kp_curve *curve, uint8_t *pub, size_t *pub_len, kp_key_format fmt,
                                   const kp_key_params *kp, const char *s, size_t len)
{
    const kp_key_format_info *f;
    kp_curve c;
    uint32_t steps[KP_PATH_MAX_STEPS];
    size_t n;
    int public_only;
    kp_status st;
    if ((st = check_params(&f, &c, fmt, kp, 0)) != KP_OK) return st;
    if (c != KP_CURVE_SECP256K1)
        return kp_fail(KP_ERR_PATH, "public derivation (a path that starts with M) exists for secp256k1 keys only: "
                                    "SLIP-10 ed25519 has none, and a Stark key is ground from a private key");
    if ((st = kp_path_parse(steps, KP_PATH_MAX_STEPS, &n, &public_only, kp->path)) != KP_OK) return st;
    kp_xkey *x = kp_secure_alloc(sizeof *x);
    uint8_t *seed = kp_secure_alloc(64);
    if (x == NULL || seed == NULL) {
        st = kp_fail(KP_ERR_NOMEM, "out of memory");
    } else {
        if (fmt == KP_KEYFMT_MNEMONIC) {
            if ((st = kp_bip39_seed(seed, s, len, kp->passphrase, kp->passphrase_len)) == KP_OK)
                st = kp_xkey_master(ctx, x, KP_CURVE_SECP256K1, seed, 64);
        } else {
            st = kp_xkey_parse(ctx, x, s, len);
            if (st == KP_OK && !x->is_private)
                st = kp_fail(KP_ERR_KEY_FORMAT, "this is an extended public key: read it with --format xpub");
        }
        if (st == KP_OK) {
            kp_memzero(x->key, sizeof x->key); /* N(): from here on only the public key */
            x->is_private = 0;
            st = kp_xkey_derive(ctx, x, steps, n, kp->path);
        }
        if (st == KP_OK) {
            memcpy(pub, x->pub, 33);
            *pub_len = 33;
            *curve = c;
        }
    }
    kp_secure_free(x);
    kp_secure_free(seed);
    return st;
}

kp_status kp_key_public(const kp_ctx *ctx, kp_curve *curve, uint8_t *pub, size_t *pub_len, kp_key_format fmt,
                        const kp_key_params *params, const uint8_t *in, size_t len)
{
    KP_ARG_CHECK(ctx, ctx != NULL && curve != NULL && pub != NULL && pub_len != NULL && (in != NULL || len == 0));
    static const kp_key_params none = {0, NULL, NULL, 0};
    const kp_key_params *kp = params ? params : &none;
    kp_status st;
    *curve = 0;
    *pub_len = 0;
    memset(pub, 0, KP_PUBKEY_MAX_BYTES);
    if (kp->path != NULL && kp->path[0] == 'M' && (fmt == KP_KEYFMT_MNEMONIC || fmt == KP_KEYFMT_XPRV)) {
        kp_clear_error();
        st = public_derivation(ctx, curve, pub, pub_len, fmt, kp, (const char *)in, len);
        return st;
    }
    if (fmt == KP_KEYFMT_XPUB) {
        const kp_key_format_info *f;
        kp_curve c;
        kp_xkey x;
        kp_clear_error();
        if ((st = check_params(&f, &c, fmt, kp, 1)) != KP_OK) return st;
        if ((st = parse_xkey(ctx, &x, 0, kp, (const char *)in, len)) != KP_OK) return st;
        memcpy(pub, x.pub, 33);
        *pub_len = 33;
        *curve = c;
        kp_memzero(&x, sizeof x);
        return KP_OK;
    }
    uint8_t *k = kp_secure_alloc(32);
    if (k == NULL) return kp_fail(KP_ERR_NOMEM, "out of memory");
    kp_curve c;
    if ((st = kp_key_parse(ctx, &c, k, fmt, kp, in, len)) == KP_OK && (st = kp_public_key(ctx, pub, pub_len, c, k)) == KP_OK)
        *curve = c;
    kp_secure_free(k);
    return st;
}

/* ---------------------------------------------------------------- the output formats */

kp_status kp_key_write_check(kp_key_format fmt, kp_curve c)
{
    const kp_key_format_info *f = kp_key_format_info_of(fmt);
    if (f == NULL) return kp_fail(KP_ERR_KEY_FORMAT, "unknown key format %d", (int)fmt);
    if (f->out_curves == 0) {
        if (f->refusal != NULL) return kp_fail(KP_ERR_KEY_FORMAT, "%s", f->refusal);
        return kp_fail(KP_ERR_KEY_FORMAT, "%s is not an output format", f->name);
    }
    if (c != 0 && !(f->out_curves & KP_CURVE_BIT(c)))
        return kp_fail(KP_ERR_KEY_FORMAT, "%s writes %s keys, and this key is %s", f->name, curves_text(f->out_curves),
                       kp_curve_name(c) ? kp_curve_name(c) : "on an unknown curve");
    return KP_OK;
}

/* The 64-byte expanded Ed25519 secret of a bare scalar: the scalar little-endian, then a prefix.
 * RFC 8032 takes the prefix from the seed's hash; an exported scalar has no seed, so the prefix is
 * derived from the scalar under a domain tag. It only seeds nonces (r = H(prefix || M)), so any
 * secret, fixed value signs correctly and deterministically. */
static void ed25519_expand(uint8_t out[64], const uint8_t scalar[32])
{
    static const char TAG[] = "keyport ed25519 expanded secret prefix v1";
    crypto_hash_sha512_state h;
    uint8_t d[64];
    for (int i = 0; i < 32; i++) out[i] = scalar[31 - i];
    crypto_hash_sha512_init(&h);
    crypto_hash_sha512_update(&h, (const uint8_t *)TAG, sizeof TAG - 1);
    crypto_hash_sha512_update(&h, scalar, 32);
    crypto_hash_sha512_final(&h, d);
    memcpy(out + 32, d, 32);
    kp_memzero(d, sizeof d);
    kp_memzero(&h, sizeof h);
}

kp_status kp_key_write(const kp_ctx *ctx, kp_buf *out, kp_key_format fmt, kp_curve c, const uint8_t scalar[32],
                       const char *pass, size_t passlen, kp_kdf_strength strength)
{
    KP_ARG_CHECK(ctx, ctx != NULL && out != NULL && scalar != NULL && (pass != NULL || passlen == 0));
    size_t start = out->len;
    kp_status st;
    kp_clear_error();
    if ((st = kp_key_write_check(fmt, c)) != KP_OK) return st;
    if (kp_scalar_check(c, scalar) != KP_OK)
        return kp_fail(KP_ERR_SCALAR, "the key is zero or not below the %s order", kp_curve_name(c));
    switch (fmt) {
    case KP_KEYFMT_HEX:
    case KP_KEYFMT_STARK_HEX:
        st = kp_buf_addhex(out, scalar, 32);
        break;
    case KP_KEYFMT_WIF:
    case KP_KEYFMT_WIF_TESTNET: {
        uint8_t *p = kp_secure_alloc(34);
        if (p == NULL) {
            st = kp_fail(KP_ERR_NOMEM, "out of memory");
            break;
        }
        p[0] = fmt == KP_KEYFMT_WIF ? 0x80 : 0xEF;
        memcpy(p + 1, scalar, 32);
        p[33] = 0x01; /* compressed: every wallet today uses compressed keys */
        st = kp_base58check_encode(out, p, 34);
        kp_secure_free(p);
        break;
    }
    case KP_KEYFMT_KEYSTORE:
        st = kp_keystore_encrypt(ctx, out, scalar, pass, passlen, strength);
        if (st == KP_OK && out->len > start) out->len--, out->data[out->len] = 0; /* the newline is added below */
        break;
    case KP_KEYFMT_ED25519_EXPANDED: {
        uint8_t *e = kp_secure_alloc(64);
        if (e == NULL) {
            st = kp_fail(KP_ERR_NOMEM, "out of memory");
            break;
        }
        ed25519_expand(e, scalar);
        st = kp_buf_addhex(out, e, 64);
        kp_secure_free(e);
        break;
    }
    default:
        st = kp_fail(KP_ERR_KEY_FORMAT, "%s is not an output format", kp_key_format_info_of(fmt)->name);
    }
    if (st == KP_OK) st = kp_buf_add(out, "\n", 1);
    if (st != KP_OK && out->data != NULL) {
        kp_memzero(out->data + start, out->len - start);
        out->len = start;
        out->data[start] = 0;
    }
    return st;
}
