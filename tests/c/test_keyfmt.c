/*
 * test_keyfmt.c: key formats and their codecs against the published vectors in tests/vectors:
 * Keccak-256 (through EIP-55 and keystore MACs), base58 (WIF, xprv, Solana), bech32/bech32m
 * (BIP-173/350 lists), BIP-32 vectors 1-5, BIP-39 English vectors, SLIP-10 ed25519, BIP-84/86,
 * BIP-341 key-path tweaks, WIF fixtures, EIP-55, keystore v3 (scrypt and pbkdf2), Solana keypairs,
 * StarkEx EIP-2645 derivation with grinding; and every bad input the formats must refuse.
 */
#include "kptest.h"
#include "keyfmt.h"

TestSuite(keyfmt, .init = kpt_setup, .fini = kpt_teardown, .timeout = 300);

static kp_key_params params(kp_curve c, const char *path, const char *pass)
{
    kp_key_params p = {c, path, pass, pass ? strlen(pass) : 0};
    return p;
}

static kp_status parse(kp_curve *c, uint8_t k[32], kp_key_format f, kp_curve want, const char *path, const char *pass,
                       const char *text)
{
    kp_key_params p = params(want, path, pass);
    return kp_key_parse(ctx, c, k, f, &p, (const uint8_t *)text, strlen(text));
}

static void pub_hex(char *out, kp_curve c, const uint8_t k[32])
{
    uint8_t pub[KP_PUBKEY_MAX_BYTES];
    size_t n;
    KPT_ST(kp_public_key(ctx, pub, &n, c, k), KP_OK);
    kpt_hex(out, pub, n);
}

static const char *address_of(kp_curve c, int protocol, const uint8_t *pub, size_t n, const char *kind)
{
    static kp_address a[KP_ADDRESS_MAX];
    size_t na;
    KPT_ST(kp_addresses(ctx, a, &na, c, protocol, pub, n), KP_OK);
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i].kind, kind) == 0) return a[i].text;
    cr_assert_fail("no %s address", kind);
    return NULL;
}

/* ------------------------------------------------------------ Keccak-256 */

Test(keyfmt, keccak256_known_answers)
{
    /* Keccak-256("") and Keccak-256("abc") as Ethereum computes them (these differ from SHA3-256). */
    uint8_t h[32];
    char hex[65];
    kp_keccak256(h, (const uint8_t *)"", 0);
    kpt_hex(hex, h, 32);
    cr_assert_str_eq(hex, "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    kp_keccak256(h, (const uint8_t *)"abc", 3);
    kpt_hex(hex, h, 32);
    cr_assert_str_eq(hex, "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
    /* every length around the 136-byte rate agrees with OpenSSL's KECCAK-256 when it has one,
     * and otherwise at least differs from SHA3-256 (the padding byte) */
    uint8_t m[300], s3[32];
    for (size_t i = 0; i < sizeof m; i++) m[i] = (uint8_t)i;
    for (size_t len = 130; len < 145; len++) {
        kp_keccak256(h, m, len);
        unsigned n = 32;
        cr_assert_eq(EVP_Digest(m, len, s3, &n, EVP_sha3_256(), NULL), 1);
        cr_assert(memcmp(h, s3, 32) != 0);
    }
}

/* ------------------------------------------------------------ base58 */

Test(keyfmt, base58_round_trips_and_leading_zeros)
{
    for (int t = 0; t < 200; t++) {
        uint8_t in[80], out[128];
        size_t len = kpt_uniform(80), outlen;
        kpt_random(in, len);
        size_t zeros = kpt_uniform(4);
        for (size_t i = 0; i < zeros && i < len; i++) in[i] = 0;
        kp_buf b;
        kp_buf_init(&b, 0);
        KPT_ST(kp_base58_encode(&b, in, len), KP_OK);
        if (len == 0) {
            cr_assert_eq(b.len, 0);
        } else {
            KPT_ST(kp_base58_decode(out, sizeof out, &outlen, (const char *)b.data, b.len), KP_OK);
            cr_assert_eq(outlen, len);
            cr_assert_eq(memcmp(in, out, len), 0);
            KPT_ST(kp_base58_decode_exact(out, len, (const char *)b.data, b.len), KP_OK);
            cr_assert_eq(memcmp(in, out, len), 0);
            /* the exact decoder refuses any other size */
            cr_assert_neq(kp_base58_decode_exact(out, len + 1, (const char *)b.data, b.len), KP_OK);
            if (len > 1) cr_assert_neq(kp_base58_decode_exact(out, len - 1, (const char *)b.data, b.len), KP_OK);
        }
        kp_buf_release(&b);
    }
    uint8_t out[8];
    size_t n;
    KPT_ST(kp_base58_decode(out, sizeof out, &n, "0OIl", 4), KP_ERR_BASE58);
    KPT_ST(kp_base58_decode(out, sizeof out, &n, "", 0), KP_ERR_EMPTY);
    KPT_ST(kp_base58_decode(out, 2, &n, "zzzzz", 5), KP_ERR_TOO_LARGE);
}

/* ------------------------------------------------------------ bech32 / bech32m */

static void bech32_list(const cJSON *list, kp_bech32_encoding want, int valid)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, list) {
        char s[200], hrp[84];
        uint8_t d[90];
        size_t n = 0, dl;
        kp_bech32_encoding enc;
        const cJSON *pb = cJSON_GetObjectItem(e, "prefix_byte");
        if (pb) s[n++] = (char)strtol(pb->valuestring, NULL, 16);
        const char *str = kpt_jstr(e, "string");
        memcpy(s + n, str, strlen(str));
        n += strlen(str);
        kp_status st = kp_bech32_decode(hrp, d, &dl, &enc, s, n);
        if (valid) {
            cr_assert_eq(st, KP_OK, "%s: %s", str, kp_error_detail());
            cr_assert_eq(enc, want, "%s: wrong encoding", str);
            kp_buf b;
            kp_buf_init(&b, 0);
            KPT_ST(kp_bech32_encode(&b, hrp, d, dl, enc), KP_OK);
            cr_assert_eq(b.len, n);
            cr_assert_eq(strncasecmp((const char *)b.data, s, n), 0, "%s re-encodes as %s", str, b.data);
            kp_buf_release(&b);
        } else {
            cr_assert(st != KP_OK || enc != want, "%s (%s) was accepted", str, kpt_jstr(e, "reason"));
        }
    }
}

Test(keyfmt, bech32_bip173_bip350_lists)
{
    cJSON *j = kpt_load_json("bitcoin-bech32-bech32m-segwit-addresses.bip173-bip350.json");
    bech32_list(cJSON_GetObjectItem(j, "bech32_valid"), KP_BECH32, 1);
    bech32_list(cJSON_GetObjectItem(j, "bech32_invalid"), KP_BECH32, 0);
    bech32_list(cJSON_GetObjectItem(j, "bech32m_valid"), KP_BECH32M, 1);
    bech32_list(cJSON_GetObjectItem(j, "bech32m_invalid"), KP_BECH32M, 0);
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "segwit_address_valid")) {
        const char *s = kpt_jstr(e, "string");
        uint8_t prog[40], spk[42];
        size_t n;
        unsigned v;
        kp_status st = kp_segwit_address_decode(&v, prog, &n, "bc", s, strlen(s));
        if (st != KP_OK) st = kp_segwit_address_decode(&v, prog, &n, "tb", s, strlen(s));
        cr_assert_eq(st, KP_OK, "%s: %s", s, kp_error_detail());
        const char *want = kpt_jstr(e, "scriptPubKey_hex");
        cr_assert_eq(strlen(want), 2 * (n + 2));
        kpt_unhex(spk, n + 2, want);
        cr_assert_eq(spk[0], v ? 0x50 + v : 0, "%s: version", s);
        cr_assert_eq(spk[1], n);
        cr_assert_eq(memcmp(spk + 2, prog, n), 0);
        char hrp[3] = {(char)(s[0] | 0x20), (char)(s[1] | 0x20), 0};
        kp_buf b;
        kp_buf_init(&b, 0);
        KPT_ST(kp_segwit_address(&b, hrp, v, prog, n), KP_OK);
        cr_assert_eq(strcasecmp((const char *)b.data, s), 0, "%s re-encodes as %s", s, b.data);
        kp_buf_release(&b);
    }
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "segwit_address_invalid")) {
        const char *s = kpt_jstr(e, "string");
        uint8_t prog[40];
        size_t n;
        unsigned v;
        cr_assert_neq(kp_segwit_address_decode(&v, prog, &n, "bc", s, strlen(s)), KP_OK, "%s accepted", s);
        cr_assert_neq(kp_segwit_address_decode(&v, prog, &n, "tb", s, strlen(s)), KP_OK, "%s accepted", s);
    }
    cJSON_Delete(j);
}

/* ------------------------------------------------------------ WIF */

Test(keyfmt, wif_fixtures)
{
    cJSON *j = kpt_load_json("bitcoin-wif.bitcoinjs-wif-fixtures.json");
    const cJSON *e;
    int n = 0;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "valid")) {
        const char *wif = kpt_jstr(e, "WIF");
        int version = cJSON_GetObjectItem(e, "version")->valueint;
        kp_key_format f = version == 0x80 ? KP_KEYFMT_WIF : KP_KEYFMT_WIF_TESTNET;
        kp_curve c;
        uint8_t k[32], want[32];
        kpt_unhex(want, 32, kpt_jstr(e, "privateKeyHex"));
        KPT_ST(parse(&c, k, f, 0, NULL, NULL, wif), KP_OK);
        cr_assert_eq(c, KP_CURVE_SECP256K1);
        cr_assert_eq(memcmp(k, want, 32), 0, "%s", wif);
        /* the other network's format refuses it, naming the right one */
        KPT_ST(parse(&c, k, f == KP_KEYFMT_WIF ? KP_KEYFMT_WIF_TESTNET : KP_KEYFMT_WIF, 0, NULL, NULL, wif), KP_ERR_KEY_FORMAT);
        if (cJSON_IsTrue(cJSON_GetObjectItem(e, "compressed"))) {
            kp_buf b;
            kp_buf_init(&b, 1);
            KPT_ST(kp_key_write(ctx, &b, f, KP_CURVE_SECP256K1, want, NULL, 0, KP_KDF_INTERACTIVE), KP_OK);
            cr_assert_eq(b.len, strlen(wif) + 1);
            cr_assert_eq(memcmp(b.data, wif, strlen(wif)), 0, "wrote %s for %s", b.data, wif);
            kp_buf_release(&b);
        }
        n++;
    }
    cr_assert_geq(n, 5);
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "invalid")) {
        const cJSON *d;
        cJSON_ArrayForEach(d, cJSON_GetObjectItem(e, "decode")) {
            kp_curve c;
            uint8_t k[32];
            kp_status st = parse(&c, k, KP_KEYFMT_WIF, 0, NULL, NULL, kpt_jstr(d, "WIF"));
            cr_assert_neq(st, KP_OK, "%s (%s) accepted", kpt_jstr(d, "WIF"), kpt_jstr(d, "exception"));
            cr_assert(kpt_is_zero(k, 32));
        }
    }
    cJSON_Delete(j);
}

Test(keyfmt, wif_p2pkh_subset_and_bad_checksum)
{
    cJSON *j = kpt_load_json("bitcoin-wif-p2pkh.python-bitcoinlib-signmessage-subset.json");
    const cJSON *arr = cJSON_GetObjectItem(j, "entries");
    cr_assert_not_null(arr);
    const cJSON *e;
    int n = 0;
    cJSON_ArrayForEach(e, arr) {
        const cJSON *w = cJSON_GetObjectItem(e, "wif");
        kp_curve c;
        uint8_t k[32], pub[33], h[32], p2pkh[21];
        size_t pl;
        unsigned hl = 32;
        KPT_ST(parse(&c, k, KP_KEYFMT_WIF, 0, NULL, NULL, w->valuestring), KP_OK);
        /* WIF -> public key -> HASH160 -> base58check P2PKH address (OpenSSL's hashes) */
        KPT_ST(kp_public_key(ctx, pub, &pl, c, k), KP_OK);
        cr_assert_eq(EVP_Digest(pub, pl, h, &hl, EVP_sha256(), NULL), 1);
        p2pkh[0] = 0;
        cr_assert_eq(EVP_Digest(h, 32, p2pkh + 1, &hl, EVP_ripemd160(), NULL), 1);
        kp_buf ab;
        kp_buf_init(&ab, 0);
        KPT_ST(kp_base58check_encode(&ab, p2pkh, 21), KP_OK);
        cr_assert_str_eq((const char *)ab.data, kpt_jstr(e, "address"));
        kp_buf_release(&ab);
        kp_buf b;
        kp_buf_init(&b, 1);
        KPT_ST(kp_key_write(ctx, &b, KP_KEYFMT_WIF, c, k, NULL, 0, KP_KDF_INTERACTIVE), KP_OK);
        cr_assert_eq(memcmp(b.data, w->valuestring, strlen(w->valuestring)), 0);
        kp_buf_release(&b);
        /* one character changed: the checksum catches it */
        char bad[80];
        snprintf(bad, sizeof bad, "%s", w->valuestring);
        size_t pos = 5 + kpt_uniform((uint32_t)strlen(bad) - 6);
        bad[pos] = bad[pos] == 'a' ? 'b' : 'a';
        kp_status st = parse(&c, k, KP_KEYFMT_WIF, 0, NULL, NULL, bad);
        cr_assert(st == KP_ERR_CHECKSUM || st == KP_ERR_BASE58, "%s: %s", bad, kp_status_name(st));
        if (st == KP_ERR_CHECKSUM) cr_assert(strstr(kp_error_detail(), "checksum") != NULL);
        n++;
    }
    cr_assert_geq(n, 20, "the subset has 25 keys");
    cJSON_Delete(j);
}

/* ------------------------------------------------------------ BIP-32 */

static void derive_seed(kp_xkey *x, const char *seed_hex, const char *path)
{
    uint8_t seed[64];
    size_t n = strlen(seed_hex) / 2, ns;
    uint32_t steps[KP_PATH_MAX_STEPS];
    kpt_unhex(seed, n, seed_hex);
    KPT_ST(kp_xkey_master(ctx, x, KP_CURVE_SECP256K1, seed, n), KP_OK);
    KPT_ST(kp_path_parse(steps, KP_PATH_MAX_STEPS, &ns, NULL, path), KP_OK);
    KPT_ST(kp_xkey_derive(ctx, x, steps, ns, path), KP_OK);
}

Test(keyfmt, bip32_vectors_1_to_4)
{
    cJSON *j = kpt_load_json("bip32-test-vectors.json");
    const cJSON *v;
    int chains = 0;
    cJSON_ArrayForEach(v, cJSON_GetObjectItem(j, "vectors")) {
        const cJSON *seed = cJSON_GetObjectItem(v, "seed_hex");
        if (!seed) seed = cJSON_GetObjectItem(v, "seed");
        if (!cJSON_IsString(seed)) continue;
        const cJSON *ch, *root = cJSON_GetArrayItem(cJSON_GetObjectItem(v, "chains"), 0);
        cJSON_ArrayForEach(ch, cJSON_GetObjectItem(v, "chains")) {
            const char *path = kpt_jstr(ch, "path"), *xprv = kpt_jstr(ch, "ext_prv"), *xpub = kpt_jstr(ch, "ext_pub");
            kp_xkey x;
            derive_seed(&x, seed->valuestring, path);
            kp_curve c;
            uint8_t k[32], k2[32], pub[33];
            size_t pl;
            /* the chain's xprv parses to the key derived from the seed */
            KPT_ST(parse(&c, k, KP_KEYFMT_XPRV, 0, NULL, NULL, xprv), KP_OK);
            cr_assert_eq(memcmp(k, x.key, 32), 0, "%s", path);
            /* the root xprv along the chain's path gives the same key */
            KPT_ST(parse(&c, k2, KP_KEYFMT_XPRV, 0, path, NULL, kpt_jstr(root, "ext_prv")), KP_OK);
            cr_assert_eq(memcmp(k2, x.key, 32), 0, "%s", path);
            /* the xpub is that key's public key */
            kp_key_params p = params(0, NULL, NULL);
            KPT_ST(kp_key_public(ctx, &c, pub, &pl, KP_KEYFMT_XPUB, &p, (const uint8_t *)xpub, strlen(xpub)), KP_OK);
            cr_assert_eq(pl, 33);
            cr_assert_eq(memcmp(pub, x.pub, 33), 0, "%s", path);
            chains++;
        }
    }
    cr_assert_eq(chains, 17, "BIP-32 vectors 1-4 have 17 chains");
    cJSON_Delete(j);
}

Test(keyfmt, bip32_public_derivation)
{
    /* vector 1: m/0'/1 from the xpub of m/0' along "1", and m/0'/1/2'/2 refuses the hardened step */
    cJSON *j = kpt_load_json("bip32-test-vectors.json");
    const cJSON *v1 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "vectors"), 0), *chains = cJSON_GetObjectItem(v1, "chains");
    const char *xpub0h = kpt_jstr(cJSON_GetArrayItem(chains, 1), "ext_pub");
    const char *xpub0h1 = kpt_jstr(cJSON_GetArrayItem(chains, 2), "ext_pub");
    kp_curve c;
    uint8_t pub[33], want[33];
    size_t pl;
    kp_key_params p = params(0, "1", NULL);
    KPT_ST(kp_key_public(ctx, &c, want, &pl, KP_KEYFMT_XPUB, NULL, (const uint8_t *)xpub0h1, strlen(xpub0h1)), KP_OK);
    KPT_ST(kp_key_public(ctx, &c, pub, &pl, KP_KEYFMT_XPUB, &p, (const uint8_t *)xpub0h, strlen(xpub0h)), KP_OK);
    cr_assert_eq(memcmp(pub, want, 33), 0);
    p.path = "m/1/2'";
    KPT_ST(kp_key_public(ctx, &c, pub, &pl, KP_KEYFMT_XPUB, &p, (const uint8_t *)xpub0h, strlen(xpub0h)), KP_ERR_PATH);
    cr_assert(strstr(kp_error_detail(), "step 2") && strstr(kp_error_detail(), "hardened"), "%s", kp_error_detail());
    cr_assert(kpt_is_zero(pub, 33));
    /* the same with "M" from the root xprv: N(m/0') is not allowed (hardened), N(m/0')/1 from its xprv is */
    const char *xprv0h = kpt_jstr(cJSON_GetArrayItem(chains, 1), "ext_prv");
    const char *root = kpt_jstr(cJSON_GetArrayItem(chains, 0), "ext_prv");
    p.path = "M/1";
    KPT_ST(kp_key_public(ctx, &c, pub, &pl, KP_KEYFMT_XPRV, &p, (const uint8_t *)xprv0h, strlen(xprv0h)), KP_OK);
    cr_assert_eq(memcmp(pub, want, 33), 0);
    p.path = "M/0'/1";
    KPT_ST(kp_key_public(ctx, &c, pub, &pl, KP_KEYFMT_XPRV, &p, (const uint8_t *)root, strlen(root)), KP_ERR_PATH);
    cr_assert(strstr(kp_error_detail(), "step 1") && strstr(kp_error_detail(), "public derivation"), "%s",
              kp_error_detail());
    uint8_t k0[32];
    KPT_ST(parse(&c, k0, KP_KEYFMT_XPRV, 0, "M/1", NULL, xprv0h), KP_ERR_PATH);
    /* an xpub is no private key */
    uint8_t k[32];
    KPT_ST(parse(&c, k, KP_KEYFMT_XPRV, 0, NULL, NULL, xpub0h), KP_ERR_KEY_FORMAT);
    KPT_ST(parse(&c, k, KP_KEYFMT_XPUB, 0, NULL, NULL, xpub0h), KP_ERR_KEY_FORMAT);
    cJSON_Delete(j);
}

Test(keyfmt, bip32_vector_5_invalid_keys)
{
    cJSON *j = kpt_load_json("bip32-test-vectors.json");
    const cJSON *v, *e;
    int n = 0;
    cJSON_ArrayForEach(v, cJSON_GetObjectItem(j, "vectors")) {
        cJSON_ArrayForEach(e, cJSON_GetObjectItem(v, "invalid_keys")) {
            const char *key = kpt_jstr(e, "key");
            kp_curve c;
            uint8_t k[32], pub[33];
            size_t pl;
            cr_assert_neq(parse(&c, k, KP_KEYFMT_XPRV, 0, NULL, NULL, key), KP_OK, "%s (%s)", key, kpt_jstr(e, "reason"));
            cr_assert(kpt_is_zero(k, 32));
            cr_assert_neq(kp_key_public(ctx, &c, pub, &pl, KP_KEYFMT_XPUB, NULL, (const uint8_t *)key, strlen(key)), KP_OK,
                          "%s (%s)", key, kpt_jstr(e, "reason"));
            n++;
        }
    }
    cr_assert_eq(n, 16);
    cJSON_Delete(j);
}

Test(keyfmt, paths)
{
    uint32_t s[8];
    size_t n;
    KPT_ST(kp_path_parse(s, 8, &n, NULL, "m"), KP_OK);
    cr_assert_eq(n, 0);
    KPT_ST(kp_path_parse(s, 8, &n, NULL, "m/44'/60h/0H/0/2147483647"), KP_OK);
    cr_assert_eq(n, 5);
    cr_assert_eq(s[0], 0x8000002c);
    cr_assert_eq(s[1], 0x8000003c);
    cr_assert_eq(s[2], 0x80000000);
    cr_assert_eq(s[3], 0);
    cr_assert_eq(s[4], 0x7fffffff);
    KPT_ST(kp_path_parse(s, 8, &n, NULL, "0/1"), KP_OK);
    cr_assert_eq(n, 2);
    static const char *const bad[] = {"", "m/", "m//1", "m/1/", "m/01", "m/2147483648", "m/1''", "m/-1", "m/a", "n/1",
                                      "m/1 ", "m1", "m/0x10", "m/4294967296'", "m/1/2/3/4/5/6/7/8/9"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        KPT_ST(kp_path_parse(s, 8, &n, NULL, bad[i]), KP_ERR_PATH);
        cr_assert_eq(n, 0);
    }
    KPT_ST(kp_path_parse(s, 8, &n, NULL, "m/44'/x/0"), KP_ERR_PATH);
    cr_assert(strstr(kp_error_detail(), "step 2") != NULL, "%s", kp_error_detail());
    /* "M" is public derivation: refused where a private key is wanted, flagged where it is allowed */
    int pub_only = 0;
    KPT_ST(kp_path_parse(s, 8, &n, NULL, "M/0/1"), KP_ERR_PATH);
    KPT_ST(kp_path_parse(s, 8, &n, &pub_only, "M/0/1"), KP_OK);
    cr_assert_eq(pub_only, 1);
    cr_assert_eq(n, 2);
    KPT_ST(kp_path_parse(s, 8, &n, &pub_only, "m/0/1"), KP_OK);
    cr_assert_eq(pub_only, 0);
}

/* ------------------------------------------------------------ BIP-39 */

Test(keyfmt, bip39_english_vectors)
{
    cJSON *j = kpt_load_json("bip39-vectors.trezor-python-mnemonic.json");
    const cJSON *v;
    int n = 0;
    cJSON_ArrayForEach(v, cJSON_GetObjectItem(j, "english")) {
        const char *m = cJSON_GetArrayItem(v, 1)->valuestring, *seed_hex = cJSON_GetArrayItem(v, 2)->valuestring;
        const char *xprv = cJSON_GetArrayItem(v, 3)->valuestring;
        uint8_t seed[64], want[64];
        kpt_unhex(want, 64, seed_hex);
        KPT_ST(kp_bip39_seed(seed, m, strlen(m), "TREZOR", 6), KP_OK);
        cr_assert_eq(memcmp(seed, want, 64), 0, "%s", m);
        /* mnemonic + "TREZOR" along m is the vector's root xprv */
        kp_curve c;
        uint8_t k[32], k2[32];
        KPT_ST(parse(&c, k, KP_KEYFMT_MNEMONIC, 0, "m", "TREZOR", m), KP_OK);
        KPT_ST(parse(&c, k2, KP_KEYFMT_XPRV, 0, NULL, NULL, xprv), KP_OK);
        cr_assert_eq(memcmp(k, k2, 32), 0);
        n++;
    }
    cr_assert_eq(n, 24);
    cJSON_Delete(j);
}

Test(keyfmt, bip39_word_list_is_the_published_one)
{
    char *text = kpt_read_vector("bip39-english-wordlist.txt", NULL);
    size_t n = 0;
    for (char *w = strtok(text, "\n"); w; w = strtok(NULL, "\n"), n++)
        cr_assert_str_eq(kp_bip39_nearest(w, strlen(w)), w);
    cr_assert_eq(n, 2048);
    free(text);
}

Test(keyfmt, bip39_bad_mnemonics)
{
    uint8_t seed[64];
    const char *m12 = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
    /* the checksum word: "abandon" ×12 is wrong, and the message names word 12 */
    const char *bad = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon";
    KPT_ST(kp_bip39_seed(seed, bad, strlen(bad), NULL, 0), KP_ERR_MNEMONIC);
    cr_assert(strstr(kp_error_detail(), "word 12 of 12") && strstr(kp_error_detail(), "checksum"), "%s", kp_error_detail());
    cr_assert(kpt_is_zero(seed, 64));
    /* two words swapped */
    const char *sw = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about abandon";
    KPT_ST(kp_bip39_seed(seed, sw, strlen(sw), NULL, 0), KP_ERR_MNEMONIC);
    /* an unknown word: its position, and the nearest word */
    const char *typo = "abandon abandon abandon abandon abandn abandon abandon abandon abandon abandon abandon about";
    KPT_ST(kp_bip39_seed(seed, typo, strlen(typo), NULL, 0), KP_ERR_MNEMONIC);
    cr_assert(strstr(kp_error_detail(), "word 5 of 12") && strstr(kp_error_detail(), "\"abandon\""), "%s", kp_error_detail());
    const char *typo2 = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abuot";
    KPT_ST(kp_bip39_seed(seed, typo2, strlen(typo2), NULL, 0), KP_ERR_MNEMONIC);
    cr_assert(strstr(kp_error_detail(), "word 12 of 12") && strstr(kp_error_detail(), "\"about\""), "%s", kp_error_detail());
    cr_assert_str_eq(kp_bip39_nearest("zoo", 3), "zoo");
    cr_assert_str_eq(kp_bip39_nearest("tomorow", 7), "tomorrow");
    cr_assert_str_eq(kp_bip39_nearest("ABOUT", 5), "about");
    /* word counts */
    KPT_ST(kp_bip39_seed(seed, "abandon about", 13, NULL, 0), KP_ERR_MNEMONIC);
    cr_assert(strstr(kp_error_detail(), "2 words"), "%s", kp_error_detail());
    KPT_ST(kp_bip39_seed(seed, "  \n ", 4, NULL, 0), KP_ERR_EMPTY);
    /* white space between words does not matter; NFKD does: a full-width space is a space */
    char spaced[200];
    snprintf(spaced, sizeof spaced, "  %s\n", m12);
    uint8_t a[64], b[64];
    KPT_ST(kp_bip39_seed(a, m12, strlen(m12), NULL, 0), KP_OK);
    KPT_ST(kp_bip39_seed(b, spaced, strlen(spaced), NULL, 0), KP_OK);
    cr_assert_eq(memcmp(a, b, 64), 0);
    const char *ideo = "abandon\xe3\x80\x80" "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
    KPT_ST(kp_bip39_seed(b, ideo, strlen(ideo), NULL, 0), KP_OK);
    cr_assert_eq(memcmp(a, b, 64), 0);
    /* NFKD of the passphrase: "é" precomposed and decomposed give one seed */
    KPT_ST(kp_bip39_seed(a, m12, strlen(m12), "caf\xc3\xa9", 5), KP_OK);
    KPT_ST(kp_bip39_seed(b, m12, strlen(m12), "cafe\xcc\x81", 6), KP_OK);
    cr_assert_eq(memcmp(a, b, 64), 0);
    KPT_ST(kp_bip39_seed(b, m12, strlen(m12), "\xff", 1), KP_ERR_MNEMONIC);
}

/* ------------------------------------------------------------ BIP-84, BIP-86, BIP-341 */

Test(keyfmt, bip84_p2wpkh)
{
    cJSON *j = kpt_load_json("bip84-test-vectors.json");
    const char *m = kpt_jstr(j, "mnemonic");
    const cJSON *e;
    int n = 0;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "entries")) {
        const cJSON *addr = cJSON_GetObjectItem(e, "address");
        if (!cJSON_IsString(addr)) continue;
        kp_curve c;
        uint8_t k[32], kw[32], pub[33];
        size_t pl;
        KPT_ST(parse(&c, k, KP_KEYFMT_MNEMONIC, 0, kpt_jstr(e, "path"), NULL, m), KP_OK);
        KPT_ST(parse(&c, kw, KP_KEYFMT_WIF, 0, NULL, NULL, kpt_jstr(e, "privkey")), KP_OK);
        cr_assert_eq(memcmp(k, kw, 32), 0);
        KPT_ST(kp_public_key(ctx, pub, &pl, c, k), KP_OK);
        char ph[67];
        kpt_hex(ph, pub, pl);
        cr_assert_str_eq(ph, kpt_jstr(e, "pubkey"));
        cr_assert_str_eq(address_of(c, KP_PROTOCOL_CGGMP21, pub, pl, "bitcoin-p2wpkh"), addr->valuestring);
        n++;
    }
    cr_assert_eq(n, 3);
    /* the zprv root reads too, and the account zprv along 0/0 gives the first key */
    uint8_t a[32], b[32];
    kp_curve c;
    KPT_ST(parse(&c, a, KP_KEYFMT_XPRV, 0, "m/84'/0'/0'/0/0", NULL, kpt_jstr(j, "rootpriv")), KP_OK);
    KPT_ST(parse(&c, b, KP_KEYFMT_MNEMONIC, 0, "m/84'/0'/0'/0/0", NULL, m), KP_OK);
    cr_assert_eq(memcmp(a, b, 32), 0);
    cJSON_Delete(j);
}

Test(keyfmt, bip86_p2tr)
{
    cJSON *j = kpt_load_json("bip86-test-vectors.json");
    const char *m = kpt_jstr(j, "mnemonic");
    const cJSON *e;
    int n = 0;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "entries")) {
        const cJSON *addr = cJSON_GetObjectItem(e, "address");
        if (!cJSON_IsString(addr)) continue;
        kp_curve c;
        uint8_t k[32], pub[33];
        size_t pl;
        KPT_ST(parse(&c, k, KP_KEYFMT_MNEMONIC, 0, kpt_jstr(e, "path"), NULL, m), KP_OK);
        KPT_ST(kp_public_key(ctx, pub, &pl, c, k), KP_OK);
        cr_assert_str_eq(address_of(c, KP_PROTOCOL_CGGMP21, pub, pl, "bitcoin-p2tr"), addr->valuestring);
        cr_assert_str_eq(address_of(c, KP_PROTOCOL_FROST_BITCOIN, pub, pl, "bitcoin-p2tr"), addr->valuestring);
        cr_assert_str_eq(address_of(c, KP_PROTOCOL_FROST_BITCOIN, pub, pl, "bip340-key"), kpt_jstr(e, "internal_key"));
        n++;
    }
    cr_assert_eq(n, 3);
    cJSON_Delete(j);
}

Test(keyfmt, bip341_key_path_tweaks)
{
    cJSON *j = kpt_load_json("bip341-wallet-test-vectors.json");
    const cJSON *e;
    int n = 0;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "scriptPubKey")) {
        const cJSON *given = cJSON_GetObjectItem(e, "given");
        if (!cJSON_IsNull(cJSON_GetObjectItem(given, "scriptTree"))) continue; /* key path only, as BIP-86 */
        uint8_t pub[33];
        pub[0] = 2; /* an x-only key is the point with even y */
        kpt_unhex(pub + 1, 32, kpt_jstr(given, "internalPubkey"));
        const char *want = kpt_jstr(cJSON_GetObjectItem(e, "expected"), "bip350Address");
        cr_assert_str_eq(address_of(KP_CURVE_SECP256K1, KP_PROTOCOL_FROST_BITCOIN, pub, 33, "bitcoin-p2tr"), want);
        pub[0] = 3; /* the x-only key is the same for odd y */
        cr_assert_str_eq(address_of(KP_CURVE_SECP256K1, KP_PROTOCOL_FROST_BITCOIN, pub, 33, "bitcoin-p2tr"), want);
        n++;
    }
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "keyPathSpending"), 0), "inputSpending")) {
        const cJSON *given = cJSON_GetObjectItem(e, "given"), *inter = cJSON_GetObjectItem(e, "intermediary");
        if (!cJSON_IsNull(cJSON_GetObjectItem(given, "merkleRoot"))) continue;
        uint8_t k[32], pub[33], tweaked[32];
        size_t pl;
        kpt_unhex(k, 32, kpt_jstr(given, "internalPrivkey"));
        KPT_ST(kp_public_key(ctx, pub, &pl, KP_CURVE_SECP256K1, k), KP_OK);
        cr_assert_str_eq(address_of(KP_CURVE_SECP256K1, KP_PROTOCOL_FROST_BITCOIN, pub, pl, "bip340-key"),
                         kpt_jstr(inter, "internalPubkey"));
        /* the output key is the tweaked private key's x-only public key */
        kpt_unhex(tweaked, 32, kpt_jstr(inter, "tweakedPrivkey"));
        uint8_t tp[33], prog[40];
        size_t tl, plen;
        unsigned v;
        KPT_ST(kp_public_key(ctx, tp, &tl, KP_CURVE_SECP256K1, tweaked), KP_OK);
        const char *addr = address_of(KP_CURVE_SECP256K1, KP_PROTOCOL_FROST_BITCOIN, pub, pl, "bitcoin-p2tr");
        KPT_ST(kp_segwit_address_decode(&v, prog, &plen, "bc", addr, strlen(addr)), KP_OK);
        cr_assert_eq(v, 1);
        cr_assert_eq(memcmp(prog, tp + 1, 32), 0);
        n++;
    }
    cr_assert_eq(n, 2, "BIP-341 has one key-path output and one key-path input without a script tree");
    cJSON_Delete(j);
}

/* ------------------------------------------------------------ SLIP-10 ed25519 */

Test(keyfmt, slip10_ed25519)
{
    cJSON *j = kpt_load_json("slip10-test-vectors.json");
    const cJSON *v, *ch;
    int n = 0;
    cJSON_ArrayForEach(v, cJSON_GetObjectItem(j, "vectors")) {
        if (strcmp(kpt_jstr(v, "curve"), "ed25519") != 0) continue;
        uint8_t seed[64];
        size_t sl = strlen(kpt_jstr(v, "seed_hex")) / 2;
        kpt_unhex(seed, sl, kpt_jstr(v, "seed_hex"));
        cJSON_ArrayForEach(ch, cJSON_GetObjectItem(v, "chains")) {
            kp_xkey x;
            uint32_t steps[16];
            size_t ns;
            char hex[65];
            KPT_ST(kp_xkey_master(ctx, &x, KP_CURVE_ED25519, seed, sl), KP_OK);
            KPT_ST(kp_path_parse(steps, 16, &ns, NULL, kpt_jstr(ch, "path")), KP_OK);
            KPT_ST(kp_xkey_derive(ctx, &x, steps, ns, kpt_jstr(ch, "path")), KP_OK);
            kpt_hex(hex, x.key, 32);
            cr_assert_str_eq(hex, kpt_jstr(ch, "private"), "%s", kpt_jstr(ch, "path"));
            kpt_hex(hex, x.chain, 32);
            cr_assert_str_eq(hex, kpt_jstr(ch, "chain_code"));
            /* the key is an RFC 8032 seed; its scalar's public key is the vector's (after the 00 byte) */
            uint8_t k[32];
            char ph[65];
            KPT_ST(kp_ed25519_seed_to_scalar(k, x.key), KP_OK);
            pub_hex(ph, KP_CURVE_ED25519, k);
            cr_assert_str_eq(ph, kpt_jstr(ch, "public") + 2);
            n++;
        }
    }
    cr_assert_eq(n, 12);
    /* a non-hardened step is refused, naming it */
    kp_curve c;
    uint8_t k[32];
    const char *m = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
    KPT_ST(parse(&c, k, KP_KEYFMT_MNEMONIC, KP_CURVE_ED25519, "m/44'/501'/0'/0", NULL, m), KP_ERR_PATH);
    cr_assert(strstr(kp_error_detail(), "step 4") && strstr(kp_error_detail(), "SLIP-10"), "%s", kp_error_detail());
    cr_assert(kpt_is_zero(k, 32));
    KPT_ST(parse(&c, k, KP_KEYFMT_MNEMONIC, KP_CURVE_ED25519, "m/44'/501'/0'/0'", NULL, m), KP_OK);
    cr_assert_eq(c, KP_CURVE_ED25519);
    cJSON_Delete(j);
}

/* ------------------------------------------------------------ EIP-55 */

Test(keyfmt, eip55_checksums)
{
    /* EIP-55's own addresses: the checksum is a function of the lower-case address, so recomputing
     * it from a key is what kp_eth_address does; here the casing rule is checked on each one by
     * Keccak of its lower-case hex. */
    cJSON *j = kpt_load_json("eth-eip55-checksum-addresses.json");
    const cJSON *g, *a;
    int n = 0;
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(j, "test_cases")) {
        cJSON_ArrayForEach(a, cJSON_GetObjectItem(g, "addresses")) {
            const char *addr = a->valuestring;
            char lower[41];
            uint8_t h[32];
            for (int i = 0; i < 40; i++) lower[i] = (char)tolower((unsigned char)addr[2 + i]);
            kp_keccak256(h, (const uint8_t *)lower, 40);
            for (int i = 0; i < 40; i++) {
                int nib = (h[i / 2] >> (i % 2 ? 0 : 4)) & 15;
                char want = isalpha((unsigned char)lower[i]) && nib >= 8 ? (char)toupper((unsigned char)lower[i]) : lower[i];
                cr_assert_eq(addr[2 + i], want, "%s position %d", addr, i);
            }
            n++;
        }
    }
    cr_assert_eq(n, 8);
    /* and from a key: the keystore vectors' expected addresses below, and private key 1 */
    uint8_t one[32] = {0}, pub[33];
    size_t pl;
    char eth[43];
    one[31] = 1;
    KPT_ST(kp_public_key(ctx, pub, &pl, KP_CURVE_SECP256K1, one), KP_OK);
    KPT_ST(kp_eth_address(ctx, eth, pub, pl), KP_OK);
    cr_assert_str_eq(eth, "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf");
    cJSON_Delete(j);
}

/* ------------------------------------------------------------ keystore v3 */

static void keystore_case(const cJSON *json, const char *password, const char *priv_hex, const char *address)
{
    char *text = cJSON_PrintUnformatted(json);
    kp_curve c;
    uint8_t k[32], want[32];
    kpt_unhex_pad(want, 32, priv_hex);
    KPT_ST(parse(&c, k, KP_KEYFMT_KEYSTORE, 0, NULL, password, text), KP_OK);
    cr_assert_eq(memcmp(k, want, 32), 0);
    if (address) {
        uint8_t pub[33];
        size_t pl;
        char eth[43];
        KPT_ST(kp_public_key(ctx, pub, &pl, c, k), KP_OK);
        KPT_ST(kp_eth_address(ctx, eth, pub, pl), KP_OK);
        cr_assert_eq(strcasecmp(eth + 2, address), 0, "%s vs %s", eth, address);
    }
    /* a wrong passphrase: KP_ERR_DECRYPT, nothing out */
    KPT_ST(parse(&c, k, KP_KEYFMT_KEYSTORE, 0, NULL, "wrong passphrase", text), KP_ERR_DECRYPT);
    cr_assert(kpt_is_zero(k, 32));
    /* an altered MAC, and an altered ciphertext: KP_ERR_DECRYPT too */
    for (int which = 0; which < 2; which++) {
        const char *field = which ? "\"ciphertext\":\"" : "\"mac\":\"";
        char *alt = strdup(text), *p = strstr(alt, field);
        cr_assert_not_null(p);
        p += strlen(field);
        *p = *p == '0' ? '1' : '0';
        KPT_ST(parse(&c, k, KP_KEYFMT_KEYSTORE, 0, NULL, password, alt), KP_ERR_DECRYPT);
        free(alt);
    }
    free(text);
}

Test(keyfmt, keystore_v3_vectors)
{
    static const char *const files[] = {"eth-keystore-v3.ethereum-tests-basic_tests.json",
                                        "eth-keystore-v3.go-ethereum-v3_test_vector.json"};
    int n = 0;
    for (size_t f = 0; f < 2; f++) {
        cJSON *j = kpt_load_json(files[f]), *e;
        cJSON_ArrayForEach(e, j) {
            if (e->string[0] == '_') continue;
            keystore_case(cJSON_GetObjectItem(e, "json"), kpt_jstr(e, "password"), kpt_jstr(e, "priv"), NULL);
            n++;
        }
        cJSON_Delete(j);
    }
    cJSON *j = kpt_load_json("eth-keystore-v3.go-ethereum-extra.json");
    const cJSON *vl = cJSON_GetObjectItem(j, "very_light_scrypt"), *e;
    uint8_t k[32];
    kp_curve c;
    char *text = cJSON_PrintUnformatted(cJSON_GetObjectItem(vl, "keyfile"));
    KPT_ST(parse(&c, k, KP_KEYFMT_KEYSTORE, 0, NULL, "", text), KP_OK);
    free(text);
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "keystore_dir_good_files")) {
        text = cJSON_PrintUnformatted(cJSON_GetObjectItem(e, "keyfile"));
        uint8_t pub[33];
        size_t pl;
        char eth[43];
        KPT_ST(parse(&c, k, KP_KEYFMT_KEYSTORE, 0, NULL, kpt_jstr(e, "password"), text), KP_OK);
        KPT_ST(kp_public_key(ctx, pub, &pl, c, k), KP_OK);
        KPT_ST(kp_eth_address(ctx, eth, pub, pl), KP_OK);
        cr_assert_eq(strcasecmp(eth + 2, kpt_jstr(e, "expected_address")), 0);
        free(text);
        n++;
    }
    cr_assert_geq(n, 12);
    cJSON_Delete(j);
}

Test(keyfmt, keystore_write_read_and_refusals)
{
    uint8_t k[32], back[32];
    kp_curve c;
    kpt_random_scalar(k, KP_CURVE_SECP256K1);
    kp_buf b;
    kp_buf_init(&b, 1);
    KPT_ST(kp_key_write(ctx, &b, KP_KEYFMT_KEYSTORE, KP_CURVE_SECP256K1, k, "pw", 2, KP_KDF_INTERACTIVE), KP_OK);
    cr_assert_eq(b.data[b.len - 1], '\n');
    KPT_ST(parse(&c, back, KP_KEYFMT_KEYSTORE, 0, NULL, "pw", (const char *)b.data), KP_OK);
    cr_assert_eq(memcmp(k, back, 32), 0);
    KPT_ST(parse(&c, back, KP_KEYFMT_KEYSTORE, 0, NULL, "pW", (const char *)b.data), KP_ERR_DECRYPT);
    /* the address field must be the key's */
    char *alt = strdup((const char *)b.data), *p = strstr(alt, "\"address\":\"") + 11;
    *p = *p == 'a' ? 'b' : 'a';
    KPT_ST(parse(&c, back, KP_KEYFMT_KEYSTORE, 0, NULL, "pw", alt), KP_ERR_KEYPAIR_MISMATCH);
    free(alt);
    /* no passphrase, another curve */
    size_t len = b.len;
    KPT_ST(kp_key_write(ctx, &b, KP_KEYFMT_KEYSTORE, KP_CURVE_SECP256K1, k, "", 0, KP_KDF_INTERACTIVE), KP_ERR_EMPTY);
    KPT_ST(kp_key_write(ctx, &b, KP_KEYFMT_KEYSTORE, KP_CURVE_STARK, k, "pw", 2, KP_KDF_INTERACTIVE), KP_ERR_KEY_FORMAT);
    cr_assert_eq(b.len, len, "a refused write appends nothing");
    kp_buf_release(&b);
    /* unreasonable scrypt parameters are refused before any work */
    const char *huge = "{\"version\":3,\"crypto\":{\"cipher\":\"aes-128-ctr\",\"cipherparams\":{\"iv\":\"00000000000000000000000000000000\"},"
                       "\"ciphertext\":\"00\",\"kdf\":\"scrypt\",\"kdfparams\":{\"dklen\":32,\"n\":4194304,\"r\":8,\"p\":1,\"salt\":\"00\"},"
                       "\"mac\":\"0000000000000000000000000000000000000000000000000000000000000000\"}}";
    KPT_ST(parse(&c, back, KP_KEYFMT_KEYSTORE, 0, NULL, "pw", huge), KP_ERR_KDF_PARAMS);
}

/* ------------------------------------------------------------ Solana */

Test(keyfmt, solana_keypairs)
{
    cJSON *j = kpt_load_json("solana-keypair-json-base58.solana-cookbook.json");
    const cJSON *e;
    int n = 0;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "keypairs")) {
        const cJSON *arr = cJSON_GetObjectItem(e, "keypair_json_array"), *addr = cJSON_GetObjectItem(e, "address");
        const char *b58 = kpt_jstr(e, "secret_key_base58");
        kp_curve c;
        uint8_t k[32], k2[32], pub[32];
        size_t pl;
        KPT_ST(parse(&c, k, KP_KEYFMT_SOLANA_BASE58, 0, NULL, NULL, b58), KP_OK);
        cr_assert_eq(c, KP_CURVE_ED25519);
        if (arr) {
            char *text = cJSON_PrintUnformatted(arr);
            KPT_ST(parse(&c, k2, KP_KEYFMT_SOLANA_KEYPAIR, 0, NULL, NULL, text), KP_OK);
            cr_assert_eq(memcmp(k, k2, 32), 0);
            /* the halves must agree: change one byte of the public half */
            char *p = strrchr(text, ',') + 1;
            *p = *p == '1' ? '2' : '1';
            KPT_ST(parse(&c, k2, KP_KEYFMT_SOLANA_KEYPAIR, 0, NULL, NULL, text), KP_ERR_KEYPAIR_MISMATCH);
            cr_assert(strstr(kp_error_detail(), "disagree"), "%s", kp_error_detail());
            free(text);
        }
        if (cJSON_IsString(addr)) {
            KPT_ST(kp_public_key(ctx, pub, &pl, c, k), KP_OK);
            cr_assert_str_eq(address_of(c, 0, pub, pl, "solana"), addr->valuestring);
        }
        n++;
    }
    cr_assert_geq(n, 2);
    cJSON_Delete(j);
    j = kpt_load_json("solana-keypair-address.solana-web3js.json");
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "keypair_from_secret_key")) {
        uint8_t sk[64], k[32], pub[32];
        size_t pl;
        kp_curve c;
        kp_buf b;
        kpt_unhex(sk, 64, kpt_jstr(e, "secret_key_hex"));
        kp_buf_init(&b, 0);
        KPT_ST(kp_base58_encode(&b, sk, 64), KP_OK);
        kp_status st = parse(&c, k, KP_KEYFMT_SOLANA_BASE58, 0, NULL, NULL, (const char *)b.data);
        if (cJSON_IsTrue(cJSON_GetObjectItem(e, "valid"))) {
            KPT_ST(st, KP_OK);
            KPT_ST(kp_public_key(ctx, pub, &pl, c, k), KP_OK);
            cr_assert_str_eq(address_of(c, 0, pub, pl, "solana"), kpt_jstr(e, "expected_public_key_base58"));
        } else {
            KPT_ST(st, KP_ERR_KEYPAIR_MISMATCH);
        }
        kp_buf_release(&b);
    }
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "keypair_from_seed")) {
        kp_curve c;
        uint8_t k[32], pub[32];
        size_t pl;
        KPT_ST(parse(&c, k, KP_KEYFMT_ED25519_SEED, 0, NULL, NULL, kpt_jstr(e, "seed_hex")), KP_OK);
        KPT_ST(kp_public_key(ctx, pub, &pl, c, k), KP_OK);
        cr_assert_str_eq(address_of(c, 0, pub, pl, "solana"), kpt_jstr(e, "expected_public_key_base58"));
    }
    cJSON_Delete(j);
}

/* ------------------------------------------------------------ Stark */

Test(keyfmt, stark_eip2645_with_grinding)
{
    cJSON *j = kpt_load_json("stark-key-derivation-eip2645.starkex-resources.json");
    const cJSON *kd = cJSON_GetObjectItem(j, "key_derivation"), *e;
    const char *m = kpt_jstr(kd, "mnemonic");
    /* starkex-resources getAccountPath: 31 low bits of sha256(layer), of sha256(application), then
     * two 31-bit slices of the eth address (written here, independently of the library) */
    uint8_t h[32], eth[20];
    crypto_hash_sha256(h, (const uint8_t *)kpt_jstr(kd, "layer"), strlen(kpt_jstr(kd, "layer")));
    uint32_t layer = ((uint32_t)h[28] << 24 | (uint32_t)h[29] << 16 | (uint32_t)h[30] << 8 | h[31]) & 0x7fffffff;
    crypto_hash_sha256(h, (const uint8_t *)kpt_jstr(kd, "application"), strlen(kpt_jstr(kd, "application")));
    uint32_t app = ((uint32_t)h[28] << 24 | (uint32_t)h[29] << 16 | (uint32_t)h[30] << 8 | h[31]) & 0x7fffffff;
    kpt_unhex_pad(eth, 20, kpt_jstr(kd, "eth_address"));
    uint64_t low = 0;
    for (int i = 12; i < 20; i++) low = low << 8 | eth[i];
    uint32_t e1 = (uint32_t)(low & 0x7fffffff), e2 = (uint32_t)((low >> 31) & 0x7fffffff);
    int n = 0;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(kd, "cases")) {
        char path[128];
        snprintf(path, sizeof path, "m/2645'/%u'/%u'/%u'/%u'/%d", layer, app, e1, e2, cJSON_GetObjectItem(e, "index")->valueint);
        kp_curve c;
        uint8_t k[32], want[32], k2[32];
        kpt_unhex(want, 32, kpt_jstr(e, "expected_stark_private_key_hex"));
        KPT_ST(parse(&c, k, KP_KEYFMT_STARK_MNEMONIC, 0, path, NULL, m), KP_OK);
        cr_assert_eq(c, KP_CURVE_STARK);
        cr_assert_eq(memcmp(k, want, 32), 0, "%s", path);
        KPT_ST(parse(&c, k2, KP_KEYFMT_MNEMONIC, KP_CURVE_STARK, path, NULL, m), KP_OK);
        cr_assert_eq(memcmp(k2, want, 32), 0);
        n++;
    }
    cr_assert_eq(n, 3);
    const cJSON *g = cJSON_GetObjectItem(j, "grind_key");
    uint8_t in[32], want[32], out[32];
    kpt_unhex(in, 32, kpt_jstr(g, "input_private_key_hex"));
    kpt_unhex_pad(want, 32, kpt_jstr(g, "expected_ground_key_hex"));
    KPT_ST(kp_stark_grind(out, in), KP_OK);
    cr_assert_eq(memcmp(out, want, 32), 0);
    cJSON_Delete(j);
}

Test(keyfmt, stark_public_keys)
{
    cJSON *j = kpt_load_json("stark-keys-precomputed.starkex-for-spot-trading.json");
    const cJSON *e;
    int n = 0;
    cJSON_ArrayForEach(e, j) {
        if (!cJSON_IsString(e) || e->string == NULL) continue;
        kp_curve c;
        uint8_t k[32], pub[33];
        size_t pl;
        KPT_ST(parse(&c, k, KP_KEYFMT_STARK_HEX, 0, NULL, NULL, e->string), KP_OK);
        KPT_ST(kp_public_key(ctx, pub, &pl, c, k), KP_OK);
        uint8_t x[32];
        kpt_unhex_pad(x, 32, e->valuestring);
        char want[67] = "0x";
        kpt_hex(want + 2, x, 32);
        cr_assert_str_eq(address_of(c, 0, pub, pl, "stark-key"), want);
        n++;
    }
    cr_assert_eq(n, 30);
    cJSON_Delete(j);
}

/* ------------------------------------------------------------ output formats */

Test(keyfmt, outputs_and_refusals)
{
    uint8_t k[32];
    kp_buf b;
    kp_buf_init(&b, 1);
    static const kp_key_format refused[] = {KP_KEYFMT_ED25519_SEED, KP_KEYFMT_SOLANA_KEYPAIR, KP_KEYFMT_SOLANA_BASE58,
                                            KP_KEYFMT_XPRV, KP_KEYFMT_MNEMONIC, KP_KEYFMT_STARK_MNEMONIC, KP_KEYFMT_XPUB};
    kpt_random_scalar(k, KP_CURVE_ED25519);
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        KPT_ST(kp_key_write(ctx, &b, refused[i], KP_CURVE_ED25519, k, NULL, 0, KP_KDF_INTERACTIVE), KP_ERR_KEY_FORMAT);
        cr_assert(strlen(kp_error_detail()) > 20);
        cr_assert_eq(b.len, 0);
    }
    KPT_ST(kp_key_write_check(KP_KEYFMT_ED25519_SEED, 0), KP_ERR_KEY_FORMAT);
    cr_assert(strstr(kp_error_detail(), "scalar"), "%s", kp_error_detail());
    KPT_ST(kp_key_write_check(KP_KEYFMT_XPRV, 0), KP_ERR_KEY_FORMAT);
    cr_assert(strstr(kp_error_detail(), "chain code"), "%s", kp_error_detail());
    KPT_ST(kp_key_write(ctx, &b, KP_KEYFMT_WIF, KP_CURVE_ED25519, k, NULL, 0, KP_KDF_INTERACTIVE), KP_ERR_KEY_FORMAT);
    /* hex round trips on every curve */
    for (int i = 0; i < 3; i++) {
        kp_curve c = KPT_CURVES[i], back;
        uint8_t k2[32];
        kpt_random_scalar(k, c);
        kp_buf_reset(&b);
        KPT_ST(kp_key_write(ctx, &b, KP_KEYFMT_HEX, c, k, NULL, 0, KP_KDF_INTERACTIVE), KP_OK);
        KPT_ST(parse(&back, k2, KP_KEYFMT_HEX, c, NULL, NULL, (const char *)b.data), KP_OK);
        cr_assert_eq(memcmp(k, k2, 32), 0);
    }
    /* ed25519-expanded: the little-endian scalar, then a prefix; the prefix signs (checked in pytest) */
    kpt_random_scalar(k, KP_CURVE_ED25519);
    kp_buf_reset(&b);
    KPT_ST(kp_key_write(ctx, &b, KP_KEYFMT_ED25519_EXPANDED, KP_CURVE_ED25519, k, NULL, 0, KP_KDF_INTERACTIVE), KP_OK);
    cr_assert_eq(b.len, 129);
    uint8_t e[64];
    b.data[128] = 0;
    kpt_unhex(e, 64, (const char *)b.data);
    for (int i = 0; i < 32; i++) cr_assert_eq(e[i], k[31 - i]);
    KPT_ST(kp_key_write(ctx, &b, KP_KEYFMT_ED25519_EXPANDED, KP_CURVE_SECP256K1, k, NULL, 0, KP_KDF_INTERACTIVE),
           KP_ERR_KEY_FORMAT);
    kp_buf_release(&b);
}

Test(keyfmt, format_table_and_curve_checks)
{
    kp_key_format f;
    for (size_t i = 0; i < kp_key_format_count(); i++) {
        const kp_key_format_info *info = kp_key_format_get(i);
        KPT_ST(kp_key_format_from_name(&f, info->name), KP_OK);
        cr_assert_eq(f, info->id);
        cr_assert_eq(kp_key_format_info_of(f), info);
        cr_assert((info->out_curves == 0) == (info->refusal != NULL || info->id == KP_KEYFMT_XPUB), "%s", info->name);
    }
    cr_assert_null(kp_key_format_get(kp_key_format_count()));
    KPT_ST(kp_key_format_from_name(&f, "bip39"), KP_OK);
    cr_assert_eq(f, KP_KEYFMT_MNEMONIC);
    KPT_ST(kp_key_format_from_name(&f, "zprv"), KP_OK);
    cr_assert_eq(f, KP_KEYFMT_XPRV);
    KPT_ST(kp_key_format_from_name(&f, "eip2645"), KP_OK);
    cr_assert_eq(f, KP_KEYFMT_STARK_MNEMONIC);
    KPT_ST(kp_key_format_from_name(&f, "bip3"), KP_ERR_KEY_FORMAT);
    KPT_ST(kp_key_format_from_name(&f, ""), KP_ERR_KEY_FORMAT);
    KPT_ST(kp_key_format_from_name(&f, "pem"), KP_ERR_KEY_FORMAT);
    cr_assert(strstr(kp_error_detail(), "keystore"), "the message lists the formats: %s", kp_error_detail());
    kp_curve c;
    uint8_t k[32];
    KPT_ST(parse(&c, k, KP_KEYFMT_WIF, KP_CURVE_ED25519, NULL, NULL, "KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn"),
           KP_ERR_KEY_FORMAT);
    KPT_ST(parse(&c, k, KP_KEYFMT_HEX, 0, NULL, NULL, "01"), KP_ERR_KEY_FORMAT);
    KPT_ST(parse(&c, k, KP_KEYFMT_HEX, KP_CURVE_STARK, "m/0", NULL, "01"), KP_ERR_PATH);
    KPT_ST(parse(&c, k, KP_KEYFMT_MNEMONIC, 0, NULL, NULL, "abandon"), KP_ERR_PATH);
    KPT_ST(parse(&c, k, KP_KEYFMT_ED25519_EXPANDED, KP_CURVE_ED25519, NULL, NULL, "00"), KP_ERR_KEY_FORMAT);
    KPT_ST(parse(&c, k, KP_KEYFMT_SOLANA_KEYPAIR, 0, NULL, NULL, "[1,2,3]"), KP_ERR_FORMAT);
    KPT_ST(parse(&c, k, KP_KEYFMT_SOLANA_BASE58, 0, NULL, NULL, "abc"), KP_ERR_BASE58);
}
