/*
 * fuzz_seeds.c: writes a small seed corpus for every fuzz target into DIR/<target>/, made
 * fresh with the library so that the seeds stay valid as formats evolve:
 * a signers list, an import request, an export response sealed to the fuzz secret's key
 * (on each curve), a context file, and share plaintexts.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "fuzz_common.h"
#include "wire.h"

static int put(const char *dir, const char *target, const char *name, const void *p, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, target);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) return 1;
    snprintf(path, sizeof path, "%s/%s/%s", dir, target, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(p, 1, len, f) != len) return 1;
    return fclose(f) != 0;
}

/* Seeds for the key-format targets: codecs, key texts, a keystore and a mnemonic. */
static int key_format_seeds(kp_ctx *ctx, const char *dir)
{
    /* BIP-32 test vector 1, chain m (public test data) */
    static const char XPRV[] =
        "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi";
    static const char XPUB[] =
        "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8";
    /* go-ethereum accounts/keystore/testdata/very-light-scrypt.json (passphrase "") */
    static const char KEYSTORE[] =
        "{\"address\":\"45dea0fb0bba44f4fcf290bba71fd57d7117cbb8\",\"crypto\":{\"cipher\":\"aes-128-ctr\",\"ciphertext\":"
        "\"b87781948a1befd247bff51ef4063f716cf6c2d3481163e9a8f42e1f9bb74145\",\"cipherparams\":{\"iv\":"
        "\"dc4926b48a105133d2f16b96833abf1e\"},\"kdf\":\"scrypt\",\"kdfparams\":{\"dklen\":32,\"n\":2,\"p\":1,\"r\":8,"
        "\"salt\":\"004244bbdc51cadda545b1cfa43cff9ed2ae88e08c61f1479dbb45410722f8f0\"},\"mac\":"
        "\"39990c1684557447940d4c69e06b1b82b2aceacb43f284df65c956daf3046b85\"},\"id\":\"ce541d8d-c79b-40f8-9f8c-20f59616faba\","
        "\"version\":3}";
    static const char MNEMONIC[] = "\x10m/44'/60'/0'/0/0"
                                   "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
    int bad = 0;
    uint8_t k[32], seed[32], pk[32], sk[64], pub[KP_PUBKEY_MAX_BYTES];
    size_t pl;
    kp_buf b;
    kp_buf_init(&b, 0);
    bad |= put(dir, "fuzz_keccak", "abc", "abc", 3);
    bad |= put(dir, "fuzz_keystore", "very-light-scrypt.json", KEYSTORE, sizeof KEYSTORE - 1);
    bad |= put(dir, "fuzz_mnemonic", "mnemonic.txt", MNEMONIC, sizeof MNEMONIC - 1);
    bad |= put(dir, "fuzz_base58", "xprv.txt", XPRV, sizeof XPRV - 1);
    if (kp_scalar_random(k, KP_CURVE_SECP256K1) != KP_OK || kp_public_key(ctx, pub, &pl, KP_CURVE_SECP256K1, k) != KP_OK)
        return 1;
    /* key texts: the first byte picks the format (fuzz_key_text.c) */
    static const struct { uint8_t sel; kp_key_format f; kp_curve c; const char *name; } W[] = {
        {0x00, KP_KEYFMT_HEX, KP_CURVE_SECP256K1, "hex.txt"}, {0x02, KP_KEYFMT_WIF, KP_CURVE_SECP256K1, "wif.txt"},
        {0x03, KP_KEYFMT_WIF_TESTNET, KP_CURVE_SECP256K1, "wif-testnet.txt"}};
    for (size_t i = 0; i < 3; i++) {
        kp_buf_reset(&b);
        kp_buf_add(&b, &W[i].sel, 1);
        if (kp_key_write(ctx, &b, W[i].f, W[i].c, k, NULL, 0, KP_KDF_INTERACTIVE) != KP_OK) return 1;
        bad |= put(dir, "fuzz_key_text", W[i].name, b.data, b.len);
        bad |= put(dir, "fuzz_base58", W[i].name, b.data + 1, b.len - 2);
    }
    kp_buf_reset(&b);
    kp_buf_addstr(&b, "\x44");
    kp_buf_addstr(&b, XPRV);
    bad |= put(dir, "fuzz_key_text", "xprv.txt", b.data, b.len);
    kp_buf_reset(&b);
    kp_buf_addstr(&b, "\x25");
    kp_buf_addstr(&b, XPUB);
    bad |= put(dir, "fuzz_key_text", "xpub.txt", b.data, b.len);
    kp_random_bytes(seed, sizeof seed);
    crypto_sign_seed_keypair(pk, sk, seed);
    kp_buf_reset(&b);
    kp_buf_addstr(&b, "\x01");
    kp_buf_addhex(&b, seed, 32);
    bad |= put(dir, "fuzz_key_text", "ed25519-seed.txt", b.data, b.len);
    kp_buf_reset(&b);
    kp_buf_addstr(&b, "\x06[");
    for (int i = 0; i < 64; i++) {
        char n[8];
        snprintf(n, sizeof n, "%s%u", i ? "," : "", sk[i]); /* libsodium's sk is seed || public key */
        kp_buf_addstr(&b, n);
    }
    kp_buf_addstr(&b, "]");
    bad |= put(dir, "fuzz_key_text", "solana.json", b.data, b.len);
    kp_buf_reset(&b);
    kp_buf_addstr(&b, "\x07");
    kp_base58_encode(&b, sk, 64);
    bad |= put(dir, "fuzz_key_text", "solana-base58.txt", b.data, b.len);
    kp_buf_reset(&b);
    kp_buf_addstr(&b, "\x08");
    if (kp_scalar_random(k, KP_CURVE_STARK) != KP_OK) return 1;
    kp_buf_addhex(&b, k, 32);
    bad |= put(dir, "fuzz_key_text", "stark.txt", b.data, b.len);
    /* addresses */
    kp_address a[KP_ADDRESS_MAX];
    size_t na;
    if (kp_addresses(ctx, a, &na, KP_CURVE_SECP256K1, 0, pub, pl) != KP_OK) return 1;
    for (size_t i = 0; i < na; i++) {
        char name[40];
        snprintf(name, sizeof name, "%s.txt", a[i].kind);
        if (strncmp(a[i].kind, "bitcoin", 7) == 0) bad |= put(dir, "fuzz_bech32", name, a[i].text, strlen(a[i].text));
    }
    bad |= put(dir, "fuzz_bech32", "bip173.txt", "A12UEL5L", 8);
    kp_buf_release(&b);
    kp_memzero(sk, sizeof sk);
    return bad;
}

/* the BBQr joiner: a JSON document's frames in each encoding, one a line, back to front, the last one twice */
static int bbqr_seeds(const char *dir)
{
    static const char doc[] = "{\"approvals\":[{\"operator\":\"alice\",\"signature\":\"AAAA\"},"
                              "{\"operator\":\"bob\",\"signature\":\"BBBB\"}],\"version\":1}\n";
    static const int encs[] = {'H', '2', 'Z'};
    int bad = 0;
    for (size_t e = 0; e < 3; e++) {
        kp_bbqr_frames f;
        if (kp_bbqr_split(&f, (const uint8_t *)doc, sizeof doc - 1, 'J', encs[e], 48) != KP_OK) return 1;
        kp_buf b;
        kp_buf_init(&b, 0);
        for (size_t i = 0; i < f.count; i++) {
            size_t k = f.count - 1 - i; /* back to front */
            kp_buf_add(&b, f.text[k], f.len[k]);
            kp_buf_addstr(&b, "\n");
        }
        kp_buf_add(&b, f.text[0], f.len[0]);
        char name[32];
        snprintf(name, sizeof name, "frames-%c.txt", encs[e]);
        bad |= put(dir, "fuzz_bbqr", name, b.data, b.len);
        kp_buf_release(&b);
        kp_bbqr_frames_free(&f);
    }
    return bad;
}

/* keyportd's targets (with -Dserver=true): a first byte that picks the reader, then a body */
static int server_seeds(const char *dir)
{
    static const char *const json[] = {
        "{\"a\":[1,-2.5e3,\"x\\u00e9\\ud83d\\ude00\\n\",true,false,null,{}],\"b\":{\"c\":[[]]}}",
        "[\"\\u0041\\/\\\"\"] ", "{\"delete\\u0000\":false}", "{\"a\":1,\"a\":2}", "12345678901234567890123"};
    static const char *const bodies[] = {
        "\x00{\"userActionPayload\":\"{}\",\"userActionHttpMethod\":\"POST\",\"userActionHttpPath\":\"/keys\","
        "\"userActionServerKind\":\"Api\"}",
        "\x01{\"challengeIdentifier\":\"ch-x\",\"firstFactor\":{\"kind\":\"Key\",\"credentialAssertion\":{"
        "\"credId\":\"fuzz-cred\",\"clientData\":\"eyJ0eXBlIjoia2V5LmdldCJ9\",\"signature\":\"AAAA\"}}}",
        "\x02[{\"credId\":\"c1\",\"algorithm\":\"Ed25519\",\"publicKey\":\"" FUZZ_OP2_PK "\"}]",
        "\x03{\"scheme\":\"FROST\",\"curve\":\"ed25519\",\"name\":\"Tr\\u00e9sor\"}",
        "\x04{\"encryptionKey\":\"AQPdMvFwvVOVGx1hMk+qUiU9SyM3w4bvRReOUt/hu/1ZAQ==\",\"supportedSchemes\":"
        "[{\"protocol\":\"CGGMP21\",\"curve\":\"secp256k1\"}],\"delete\":false}",
    };
    static const char *const ops[] = {
        "\x00{}",
        "\x01{\"keyId\":\"key-1\",\"curve\":\"secp256k1\",\"index\":1,\"n\":3,\"t\":2,\"encryptedKeyShare\":\"AAAA\"}",
        "\x02{\"keyId\":\"key-2\",\"curve\":\"stark\",\"t\":2,\"n\":2,\"dealer\":1,\"recipients\":["
        "\"AQPdMvFwvVOVGx1hMk+qUiU9SyM3w4bvRReOUt/hu/1ZAQ==\",\"AQPdMvFwvVOVGx1hMk+qUiU9SyM3w4bvRReOUt/hu/1ZAQ==\"]}",
        "\x03{\"keyId\":\"key-3\",\"curve\":\"ed25519\",\"t\":2,\"n\":2,\"index\":1,\"dealings\":["
        "{\"commitments\":\"00\",\"share\":\"AAAA\"},{\"commitments\":\"00\",\"share\":\"AAAA\"}]}",
        "\x04{\"keyId\":\"key-1\"}", "\x05{\"keyId\":\"key-1\"}",
        "\x06{\"keyId\":\"key-1\",\"encryptionKey\":\"AQPdMvFwvVOVGx1hMk+qUiU9SyM3w4bvRReOUt/hu/1ZAQ==\"}",
        "\x07{\"keyId\":\"key-1\"}",
        "\x08" "1800000000.0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "\x09{\"keyId\":\"key-1\",\"signingId\":\"sig-1-0\"}",
        "\x0a{\"keyId\":\"key-1\",\"signingId\":\"sig-1-0\",\"message\":\"00ff\",\"commitments\":["
        "{\"id\":1,\"hiding\":\"" "5866666666666666666666666666666666666666666666666666666666666666" "\",\"binding\":\""
        "5866666666666666666666666666666666666666666666666666666666666666" "\"},{\"id\":2,\"hiding\":\""
        "5866666666666666666666666666666666666666666666666666666666666666" "\",\"binding\":\""
        "5866666666666666666666666666666666666666666666666666666666666666" "\"}]}",
    };
    int bad = 0;
    char name[32];
    for (size_t i = 0; i < sizeof json / sizeof *json; i++) {
        snprintf(name, sizeof name, "doc-%zu.json", i);
        bad |= put(dir, "fuzz_server_json", name, json[i], strlen(json[i]));
    }
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
        snprintf(name, sizeof name, "body-%zu", i);
        bad |= put(dir, "fuzz_server_bodies", name, bodies[i], i == 0 ? strlen(bodies[i] + 1) + 1 : strlen(bodies[i]));
    }
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
        snprintf(name, sizeof name, "op-%zu", i);
        bad |= put(dir, "fuzz_signer_ops", name, ops[i], i == 0 ? 3 : strlen(ops[i]));
    }
    return bad;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: fuzz-seeds DIR\n");
        return 2;
    }
    const char *dir = argv[1];
    kp_ctx *ctx = fuzz_ctx();
    static const struct { kp_curve c; kp_protocol p; } schemes[] = {
        {KP_CURVE_SECP256K1, KP_PROTOCOL_CGGMP21}, {KP_CURVE_ED25519, KP_PROTOCOL_FROST}, {KP_CURVE_STARK, KP_PROTOCOL_CGGMP24}};
    uint8_t fuzz_ek[33], sec[5][32], ids[5][6];
    kp_signer_info info[5];
    int bad = 0;
    if (kp_encryption_key_from_secret(ctx, fuzz_ek, FUZZ_SECRET) != KP_OK) return 1;
    for (int i = 0; i < 5; i++) {
        memcpy(ids[i], "node-", 5);
        ids[i][5] = (uint8_t)('a' + i);
        info[i].signer_id = ids[i];
        info[i].signer_id_len = 6;
        if (kp_encryption_keypair(ctx, sec[i], info[i].encryption_key) != KP_OK) return 1;
    }
    kp_buf sj;
    kp_buf_init(&sj, 0);
    if (kp_signers_write(&sj, "cluster-1", info, 5) != KP_OK) return 1;
    bad |= put(dir, "fuzz_signers", "signers.json", sj.data, sj.len);
    kp_signers *signers = NULL;
    if (kp_signers_parse(ctx, &signers, (const char *)sj.data, sj.len, NULL) != KP_OK) return 1;

    for (size_t k = 0; k < 3; k++) {
        kp_curve c = schemes[k].c;
        char name[64];
        uint8_t key[32], pub[KP_PUBKEY_MAX_BYTES], shares[5][32];
        size_t pub_len;
        kp_buf req, resp, pt, cts[5];
        kp_signer_share ss[5];
        kp_buf_init(&req, 0);
        kp_buf_init(&resp, 0);
        kp_buf_init(&pt, 0);
        if (kp_scalar_random(key, c) != KP_OK || kp_public_key(ctx, pub, &pub_len, c, key) != KP_OK ||
            kp_import_prepare(ctx, &req, signers, c, schemes[k].p, 3, "seed", key) != KP_OK ||
            kp_share_split(ctx, shares, c, 3, 5, key) != KP_OK)
            return 1;
        snprintf(name, sizeof name, "import-%s.json", kp_curve_name(c));
        bad |= put(dir, "fuzz_import_request", name, req.data, req.len);
        for (int i = 0; i < 5; i++) {
            kp_buf_init(&cts[i], 0);
            uint8_t xb[32];
            kp_scalar_from_u64(xb, (uint64_t)i + 1);
            if (kp_export_seal_share(ctx, &cts[i], fuzz_ek, c, xb, shares[i]) != KP_OK) return 1;
            ss[i] = (kp_signer_share){ids[i], 6, cts[i].data, cts[i].len};
        }
        if (kp_export_response_write(&resp, c, schemes[k].p, pub, pub_len, 3, ss, 5) != KP_OK) return 1;
        snprintf(name, sizeof name, "response-%s.json", kp_curve_name(c));
        bad |= put(dir, "fuzz_export_response", name, resp.data, resp.len);
        bad |= put(dir, "fuzz_json", name, resp.data, resp.len);
        /* Competing entries (issue 7): the five good shares, then entry 0 again (same index and
         * share) under another signer, a random share under entry 1's index, and a sixth entry
         * under entry 2's signerId. */
        {
            uint8_t sid[8][6], xb[8][32], other[32];
            kp_buf c8[8], r8;
            kp_signer_share s8[8];
            if (kp_scalar_random(other, c) != KP_OK) return 1;
            for (int i = 0; i < 8; i++) {
                memcpy(sid[i], ids[i % 5], 6);
                sid[i][4] = (uint8_t)('p' + i);
                kp_scalar_from_u64(xb[i], (uint64_t)(i < 5 ? i + 1 : i - 4));
            }
            memcpy(sid[7], sid[2], 6);
            kp_scalar_from_u64(xb[7], 3);
            kp_buf_init(&r8, 0);
            for (int i = 0; i < 8; i++) {
                kp_buf_init(&c8[i], 0);
                const uint8_t *y = i < 5 ? shares[i] : i == 5 ? shares[0] : i == 6 ? other : shares[2];
                if (kp_export_seal_share(ctx, &c8[i], fuzz_ek, c, xb[i], y) != KP_OK) return 1;
                s8[i] = (kp_signer_share){sid[i], 6, c8[i].data, c8[i].len};
            }
            if (kp_export_response_write(&r8, c, schemes[k].p, pub, pub_len, 3, s8, 8) != KP_OK) return 1;
            snprintf(name, sizeof name, "response-duplicates-%s.json", kp_curve_name(c));
            bad |= put(dir, "fuzz_export_response", name, r8.data, r8.len);
            for (int i = 0; i < 8; i++) kp_buf_release(&c8[i]);
            kp_buf_release(&r8);
        }
        /* Whole-scalar indices (docs/wire.md §2): a 3-of-3 on the indices 2^32 and two random scalars.
         * Any three values are shares of the key they interpolate to. */
        {
            uint8_t xs[3][32], ys[3][32], sid[3][6], k3[32], p3[KP_PUBKEY_MAX_BYTES];
            size_t p3len;
            kp_buf c3[3], r3;
            kp_signer_share s3[3];
            kp_scalar_from_u64(xs[0], (uint64_t)1 << 32);
            for (int i = 0; i < 3; i++) {
                if ((i > 0 && kp_scalar_random(xs[i], c) != KP_OK) || kp_scalar_random(ys[i], c) != KP_OK) return 1;
                memcpy(sid[i], ids[i], 6);
            }
            if (kp_share_combine(k3, c, (const uint8_t(*)[32])xs, (const uint8_t(*)[32])ys, 3) != KP_OK ||
                kp_public_key(ctx, p3, &p3len, c, k3) != KP_OK)
                return 1;
            kp_buf_init(&r3, 0);
            for (int i = 0; i < 3; i++) {
                kp_buf_init(&c3[i], 0);
                if (kp_export_seal_share(ctx, &c3[i], fuzz_ek, c, xs[i], ys[i]) != KP_OK) return 1;
                s3[i] = (kp_signer_share){sid[i], 6, c3[i].data, c3[i].len};
            }
            if (kp_export_response_write(&r3, c, schemes[k].p, p3, p3len, 3, s3, 3) != KP_OK) return 1;
            snprintf(name, sizeof name, "response-large-indices-%s.json", kp_curve_name(c));
            bad |= put(dir, "fuzz_export_response", name, r3.data, r3.len);
            for (int i = 0; i < 3; i++) kp_buf_release(&c3[i]);
            kp_buf_release(&r3);
            kp_memzero(ys, sizeof ys);
            kp_memzero(k3, sizeof k3);
        }
        /* plaintexts: first byte selects the curve (and n = 5 for import) */
        uint8_t sel = (uint8_t)((c - 1) | (3 << 2));
        kp_buf_add(&pt, &sel, 1);
        uint8_t two[32];
        kp_scalar_from_u64(two, 2);
        if (kp_wire_export_plaintext_write(&pt, c, two, shares[1]) != KP_OK) return 1;
        snprintf(name, sizeof name, "export-%s.txt", kp_curve_name(c));
        bad |= put(dir, "fuzz_share_plaintext", name, pt.data, pt.len);
        for (int i = 0; i < 5; i++) kp_buf_release(&cts[i]);
        kp_buf_release(&req);
        kp_buf_release(&resp);
        kp_buf_release(&pt);
    }
    uint8_t file[KP_CONTEXT_FILE_BYTES];
    if (kp_context_seal(ctx, file, FUZZ_SECRET, FUZZ_PASS, sizeof FUZZ_PASS - 1, KP_KDF_INTERACTIVE) != KP_OK) return 1;
    bad |= put(dir, "fuzz_context", "context.kpx", file, sizeof file);
    /* Know Your Key: the policy, a bundle signed by its two operators, and an audit log. */
    static const char policy[] = FUZZ_POLICY_JSON;
    bad |= put(dir, "fuzz_policy", "policy.json", policy, sizeof policy - 1);
    kp_buf bundle;
    kp_buf_init(&bundle, 0);
    kp_buf_addstr(&bundle, "{\"version\":1,\"approvals\":[");
    for (int i = 0; i < 2; i++) {
        uint8_t seed[32], pk[32], sk[64], h[32], sig[64];
        static const uint8_t request[] = FUZZ_REQUEST;
        memset(seed, i + 1, sizeof seed);
        crypto_sign_seed_keypair(pk, sk, seed);
        kp_sha256(h, request, sizeof request - 1);
        kp_buf st;
        kp_buf_init(&st, 0);
        /* the canonical statement, as keyport.h documents it */
        kp_buf_addstr(&st, "{\"type\":\"keyport-approval\",\"version\":1,\"policy\":\"fuzz\",\"action\":\"export\","
                           "\"keyId\":\"key-1\",\"request\":\"");
        kp_buf_addhex(&st, h, 32);
        kp_buf_addstr(&st, "\",\"nonce\":\"");
        kp_buf_addhex(&st, seed, 16);
        char times[64];
        snprintf(times, sizeof times, "\",\"time\":%d,\"expires\":%d,\"operator\":\"", FUZZ_NOW - 100, FUZZ_NOW + 3600);
        kp_buf_addstr(&st, times);
        kp_buf_addhex(&st, pk, 32);
        kp_buf_addstr(&st, "\"}");
        crypto_sign_detached(sig, NULL, st.data, st.len, sk);
        kp_buf_addstr(&bundle, i ? ",{\"statement\":" : "{\"statement\":");
        kp_buf_add(&bundle, st.data, st.len);
        kp_buf_addstr(&bundle, ",\"signature\":\"");
        kp_buf_addhex(&bundle, sig, 64);
        kp_buf_addstr(&bundle, "\"}");
        kp_buf_release(&st);
    }
    kp_buf_addstr(&bundle, "]}");
    bad |= put(dir, "fuzz_bundle", "bundle.json", bundle.data, bundle.len);
    kp_buf_release(&bundle);

    kp_operator *op = NULL;
    kp_buf opfile;
    kp_buf_init(&opfile, 0);
    if (kp_operator_new(ctx, &op, &opfile, "fuzz", FUZZ_PASS, sizeof FUZZ_PASS - 1, KP_KDF_INTERACTIVE) != KP_OK) return 1;
    char logpath[1024];
    snprintf(logpath, sizeof logpath, "%s/fuzz_audit_log", dir);
    mkdir(logpath, 0755);
    snprintf(logpath, sizeof logpath, "%s/fuzz_audit_log/log.jsonl", dir);
    unlink(logpath);
    kp_audit_log *log = NULL;
    const char *actor = "fuzz";
    if (kp_audit_open(ctx, &log, logpath, op, FUZZ_NOW, NULL) != KP_OK ||
        kp_audit_append(log, FUZZ_NOW + 1, "key.imported", "key-1", "02aa", &actor, 1, "{\"origin\":\"fuzz\"}", NULL) != KP_OK ||
        kp_audit_append(log, FUZZ_NOW + 2, "key.exported", "key-1", NULL, &actor, 1, NULL, NULL) != KP_OK)
        return 1;
    kp_audit_close(log);
    /* key files: '1' + an operator file, '0' + a credential of each algorithm */
    kp_buf kf;
    kp_buf_init(&kf, 0);
    kp_buf_add(&kf, "1", 1);
    kp_buf_add(&kf, opfile.data, opfile.len);
    bad |= put(dir, "fuzz_keyfiles", "operator.kpo", kf.data, kf.len);
    for (int alg = KP_CRED_ED25519; alg <= KP_CRED_P256; alg++) {
        kp_buf_reset(&kf);
        kp_buf_add(&kf, "0", 1);
        if (kp_credential_new(&kf, (kp_cred_alg)alg, "fuzz-credential") != KP_OK) return 1;
        bad |= put(dir, "fuzz_keyfiles", alg == KP_CRED_ED25519 ? "credential-ed25519.json" : "credential-p256.json",
                   kf.data, kf.len);
    }
    kp_buf_release(&kf);
    kp_operator_free(op);
    kp_buf_release(&opfile);
    kp_signers_free(signers);
    kp_buf_release(&sj);
    bad |= key_format_seeds(ctx, dir);
    bad |= server_seeds(dir);
    bad |= bbqr_seeds(dir);
    if (bad) fprintf(stderr, "fuzz-seeds: cannot write into %s\n", dir);
    return bad;
}
