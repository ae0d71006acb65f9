/*
 * test_envelope.c: the share envelope (docs/wire.md §1) and encryption keys.
 *
 * Besides round trips and tamper checks, the envelope is checked against a reference written
 * here from docs/wire.md §1 with OpenSSL alone (EC on secp256k1, HKDF, AES-256-GCM), in both
 * directions, so that a change to the salt, the info, the IKM form or the layout fails.
 */
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/obj_mac.h>

#include "kptest.h"

TestSuite(envelope, .init = kpt_setup, .fini = kpt_teardown, .timeout = 120);

/* ------------------------------------------------------------ the OpenSSL reference */

static void ref_kdf(uint8_t key[32], const uint8_t shared[33])
{
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
    size_t klen = 32;
    cr_assert_not_null(pc);
    cr_assert_gt(EVP_PKEY_derive_init(pc), 0);
    cr_assert_gt(EVP_PKEY_CTX_set_hkdf_md(pc, EVP_sha256()), 0);
    cr_assert_gt(EVP_PKEY_CTX_set1_hkdf_salt(pc, (const unsigned char *)"DFNS_KEY_IMPORT", 15), 0);
    cr_assert_gt(EVP_PKEY_CTX_set1_hkdf_key(pc, shared, 33), 0);
    cr_assert_gt(EVP_PKEY_CTX_add1_hkdf_info(pc, (const unsigned char *)"ENCRYPTION_KEY", 14), 0);
    cr_assert_gt(EVP_PKEY_derive(pc, key, &klen), 0);
    cr_assert_eq(klen, 32);
    EVP_PKEY_CTX_free(pc);
}

/* shared = compressed(s · P) for a 33-byte compressed P; returns 0 if P does not parse. */
static int ref_ecdh(uint8_t shared[33], const uint8_t p33[33], const uint8_t s[32])
{
    EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_secp256k1);
    EC_POINT *P = EC_POINT_new(g), *S = EC_POINT_new(g);
    BIGNUM *k = BN_bin2bn(s, 32, NULL);
    int ok = EC_POINT_oct2point(g, P, p33, 33, NULL) == 1 && EC_POINT_mul(g, S, NULL, P, k, NULL) == 1 &&
             EC_POINT_point2oct(g, S, POINT_CONVERSION_COMPRESSED, shared, 33, NULL) == 33;
    BN_free(k);
    EC_POINT_free(P);
    EC_POINT_free(S);
    EC_GROUP_free(g);
    return ok;
}

static void ref_pub(uint8_t pub[33], const uint8_t s[32])
{
    EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_secp256k1);
    EC_POINT *P = EC_POINT_new(g);
    BIGNUM *k = BN_bin2bn(s, 32, NULL);
    cr_assert_eq(EC_POINT_mul(g, P, k, NULL, NULL, NULL), 1);
    cr_assert_eq(EC_POINT_point2oct(g, P, POINT_CONVERSION_COMPRESSED, pub, 33, NULL), 33);
    BN_free(k);
    EC_POINT_free(P);
    EC_GROUP_free(g);
}

static int ref_gcm(int enc, uint8_t *out, const uint8_t key[32], const uint8_t *in, size_t len, uint8_t tag[16])
{
    static const uint8_t iv[12] = {0};
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0, ok;
    ok = EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv, enc) == 1 &&
         (len == 0 || EVP_CipherUpdate(c, out, &n, in, (int)len) == 1) &&
         (enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag) == 1) &&
         EVP_CipherFinal_ex(c, out + n, &n) == 1 && (!enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1);
    EVP_CIPHER_CTX_free(c);
    return ok;
}

/* docs/wire.md §1: ciphertext || tag || E */
static int ref_open(uint8_t *m, const uint8_t dk[32], const uint8_t *ct, size_t ctlen)
{
    uint8_t shared[33], key[32], tag[16];
    if (ctlen < 49) return 0;
    size_t mlen = ctlen - 49;
    if (!ref_ecdh(shared, ct + mlen + 16, dk)) return 0;
    ref_kdf(key, shared);
    memcpy(tag, ct + mlen, 16);
    return ref_gcm(0, m, key, ct, mlen, tag);
}

static void ref_seal(uint8_t *ct, const uint8_t ek[33], const uint8_t *m, size_t mlen)
{
    uint8_t e[32], shared[33], key[32];
    kpt_random_scalar(e, KP_CURVE_SECP256K1);
    ref_pub(ct + mlen + 16, e);
    cr_assert(ref_ecdh(shared, ek, e));
    ref_kdf(key, shared);
    cr_assert(ref_gcm(1, ct, key, m, mlen, ct + mlen));
}

/* ------------------------------------------------------------ helpers */

static uint8_t *xmalloc(size_t n)
{
    uint8_t *p = malloc(n ? n : 1);
    cr_assert_not_null(p);
    return p;
}

static void keypair(uint8_t dk[32], uint8_t ek[33])
{
    KPT_ST(kp_encryption_keypair(ctx, dk, ek), KP_OK);
}

/* ------------------------------------------------------------ round trips */

Test(envelope, round_trip_lengths)
{
    static const size_t lens[] = {0, 1, 232, 959, 5000};
    uint8_t dk[32], ek[33];
    keypair(dk, ek);
    for (size_t li = 0; li < sizeof lens / sizeof *lens; li++) {
        size_t mlen = lens[li];
        uint8_t *m = xmalloc(mlen), *ct = xmalloc(mlen + KP_ENVELOPE_OVERHEAD), *back = xmalloc(mlen);
        uint8_t *ct2 = xmalloc(mlen + KP_ENVELOPE_OVERHEAD);
        kpt_random(m, mlen);
        /* exact-size heap buffers: a write past mlen + 49 is an ASan error */
        KPT_ST(kp_envelope_seal(ctx, ct, ek, m, mlen), KP_OK);
        cr_assert(ct[mlen + 16] == 2 || ct[mlen + 16] == 3, "the ephemeral point closes the ciphertext");
        KPT_ST(kp_envelope_open(ctx, back, dk, ct, mlen + KP_ENVELOPE_OVERHEAD), KP_OK);
        if (mlen) cr_assert_arr_eq(back, m, mlen, "round trip of %zu bytes", mlen);
        /* a fresh ephemeral key each time */
        KPT_ST(kp_envelope_seal(ctx, ct2, ek, m, mlen), KP_OK);
        cr_assert(memcmp(ct, ct2, mlen + KP_ENVELOPE_OVERHEAD) != 0);
        cr_assert(memcmp(ct + mlen + 16, ct2 + mlen + 16, 33) != 0);
        if (mlen >= 16) cr_assert(memcmp(ct, m, mlen) != 0, "the plaintext shows through");
        free(m);
        free(ct);
        free(ct2);
        free(back);
    }
}

Test(envelope, empty_message_with_null_buffers)
{
    uint8_t dk[32], ek[33], ct[KP_ENVELOPE_OVERHEAD];
    keypair(dk, ek);
    KPT_ST(kp_envelope_seal(ctx, ct, ek, NULL, 0), KP_OK);
    KPT_ST(kp_envelope_open(ctx, NULL, dk, ct, sizeof ct), KP_OK);
}

Test(envelope, matches_openssl_reference_both_ways)
{
    static const size_t lens[] = {0, 1, 16, 232, 959};
    uint8_t dk[32], ek[33];
    keypair(dk, ek);
    for (size_t li = 0; li < sizeof lens / sizeof *lens; li++) {
        size_t mlen = lens[li];
        uint8_t *m = xmalloc(mlen), *ct = xmalloc(mlen + 49), *back = xmalloc(mlen);
        kpt_random(m, mlen);
        KPT_ST(kp_envelope_seal(ctx, ct, ek, m, mlen), KP_OK);
        cr_assert(ref_open(back, dk, ct, mlen + 49), "the reference cannot open a %zu-byte message", mlen);
        if (mlen) cr_assert_arr_eq(back, m, mlen);
        ref_seal(ct, ek, m, mlen);
        memset(back, 0, mlen);
        KPT_ST(kp_envelope_open(ctx, back, dk, ct, mlen + 49), KP_OK);
        if (mlen) cr_assert_arr_eq(back, m, mlen);
        free(m);
        free(ct);
        free(back);
    }
}

/* ------------------------------------------------------------ failures: all KP_ERR_DECRYPT */

Test(envelope, wrong_key)
{
    uint8_t dk[32], ek[33], dk2[32], ek2[33], m[232], ct[232 + 49], back[232];
    keypair(dk, ek);
    keypair(dk2, ek2);
    kpt_random(m, sizeof m);
    KPT_ST(kp_envelope_seal(ctx, ct, ek, m, sizeof m), KP_OK);
    memset(back, 0xaa, sizeof back);
    KPT_ST(kp_envelope_open(ctx, back, dk2, ct, sizeof ct), KP_ERR_DECRYPT);
    cr_assert(kpt_is_zero(back, sizeof back), "the output must be zeroed on failure");
    /* secret ± 1 */
    uint8_t near[32];
    kpt_add_small(near, dk, 1);
    KPT_ST(kp_envelope_open(ctx, back, near, ct, sizeof ct), KP_ERR_DECRYPT);
}

Test(envelope, every_bit_flip_fails)
{
    enum { MLEN = 32, CTLEN = MLEN + 49 };
    uint8_t dk[32], ek[33], m[MLEN], ct[CTLEN], bad[CTLEN], back[MLEN];
    keypair(dk, ek);
    kpt_random(m, sizeof m);
    KPT_ST(kp_envelope_seal(ctx, ct, ek, m, MLEN), KP_OK);
    for (size_t bit = 0; bit < 8 * CTLEN; bit++) {
        memcpy(bad, ct, CTLEN);
        bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        kp_status st = kp_envelope_open(ctx, back, dk, bad, CTLEN);
        cr_assert_eq(st, KP_ERR_DECRYPT, "bit %zu (byte %zu: %s) accepted, status %s", bit, bit / 8,
                     bit / 8 < MLEN ? "ciphertext" : bit / 8 < MLEN + 16 ? "tag" : "ephemeral point",
                     kp_status_name(st));
    }
    KPT_ST(kp_envelope_open(ctx, back, dk, ct, CTLEN), KP_OK);
}

Test(envelope, byte_changes_in_a_share_sized_message_fail)
{
    enum { MLEN = 232, CTLEN = MLEN + 49 };
    uint8_t dk[32], ek[33], m[MLEN], ct[CTLEN], bad[CTLEN], back[MLEN];
    keypair(dk, ek);
    kpt_random(m, sizeof m);
    KPT_ST(kp_envelope_seal(ctx, ct, ek, m, MLEN), KP_OK);
    static const uint8_t xors[] = {0x01, 0x80, 0xff};
    for (size_t i = 0; i < CTLEN; i++)
        for (size_t x = 0; x < sizeof xors; x++) {
            memcpy(bad, ct, CTLEN);
            bad[i] ^= xors[x];
            KPT_ST(kp_envelope_open(ctx, back, dk, bad, CTLEN), KP_ERR_DECRYPT);
        }
    /* the ephemeral point replaced by another valid point, or by the negated one */
    memcpy(bad, ct, CTLEN);
    bad[MLEN + 16] ^= 1; /* 02 <-> 03: -E */
    KPT_ST(kp_envelope_open(ctx, back, dk, bad, CTLEN), KP_ERR_DECRYPT);
    memcpy(bad, ct, CTLEN);
    KPT_ST(kp_encryption_key_from_secret(ctx, bad + MLEN + 16, dk), KP_OK);
    KPT_ST(kp_envelope_open(ctx, back, dk, bad, CTLEN), KP_ERR_DECRYPT);
}

Test(envelope, truncated_or_extended_fails)
{
    enum { MLEN = 232, CTLEN = MLEN + 49 };
    uint8_t dk[32], ek[33], m[MLEN], ct[CTLEN + 1], back[MLEN + 1];
    keypair(dk, ek);
    kpt_random(m, sizeof m);
    KPT_ST(kp_envelope_seal(ctx, ct, ek, m, MLEN), KP_OK);
    for (size_t len = 0; len < CTLEN; len++) {
        uint8_t *cut = xmalloc(len); /* exactly len bytes: no read past the end */
        memcpy(cut, ct, len);
        kp_status st = kp_envelope_open(ctx, back, dk, cut, len);
        cr_assert_eq(st, KP_ERR_DECRYPT, "a prefix of %zu bytes: %s", len, kp_status_name(st));
        /* the same length from the other end */
        memcpy(cut, ct + (CTLEN - len), len);
        st = kp_envelope_open(ctx, back, dk, cut, len);
        cr_assert_eq(st, KP_ERR_DECRYPT, "a suffix of %zu bytes: %s", len, kp_status_name(st));
        free(cut);
    }
    ct[CTLEN] = 0;
    KPT_ST(kp_envelope_open(ctx, back, dk, ct, CTLEN + 1), KP_ERR_DECRYPT);
    /* a NULL ciphertext of length 0 */
    KPT_ST(kp_envelope_open(ctx, back, dk, NULL, 0), KP_ERR_DECRYPT);
}

/* Every failure leaves the output zeroed (keyport.h house rules), here one whose ephemeral
 * point does not parse, so no decryption is even attempted. */
Test(envelope, failure_with_a_bad_point_zeroes_output)
{
    enum { MLEN = 40, CTLEN = MLEN + 49 };
    uint8_t dk[32], ek[33], m[MLEN], ct[CTLEN], back[MLEN];
    keypair(dk, ek);
    kpt_random(m, sizeof m);
    KPT_ST(kp_envelope_seal(ctx, ct, ek, m, MLEN), KP_OK);
    ct[MLEN + 16] = 0x05; /* not a SEC1 prefix */
    memset(back, 0xaa, sizeof back);
    KPT_ST(kp_envelope_open(ctx, back, dk, ct, CTLEN), KP_ERR_DECRYPT);
    cr_assert(kpt_is_zero(back, sizeof back), "kp_envelope_open left its output unchanged on failure");
}

/* The first x (from 1) that is not the x of a secp256k1 point, found with OpenSSL. */
static void off_curve_x(uint8_t x[32])
{
    EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_secp256k1);
    EC_POINT *P = EC_POINT_new(g);
    BIGNUM *bx = BN_new();
    for (unsigned v = 1;; v++) {
        cr_assert(BN_set_word(bx, v));
        ERR_set_mark();
        int on = EC_POINT_set_compressed_coordinates(g, P, bx, 0, NULL);
        ERR_pop_to_mark();
        if (!on) break;
    }
    cr_assert_eq(BN_bn2binpad(bx, x, 32), 32);
    BN_free(bx);
    EC_POINT_free(P);
    EC_GROUP_free(g);
}

Test(envelope, seal_to_an_invalid_key)
{
    uint8_t ek[33], m[10] = {1, 2, 3}, ct[10 + 49];
    ek[0] = 2;
    off_curve_x(ek + 1);
    memset(ct, 0xaa, sizeof ct);
    KPT_ST(kp_envelope_seal(ctx, ct, ek, m, sizeof m), KP_ERR_ENCRYPTION_KEY);
    cr_assert(kpt_is_zero(ct, sizeof ct));
    ek[0] = 4;
    KPT_ST(kp_envelope_seal(ctx, ct, ek, m, sizeof m), KP_ERR_ENCRYPTION_KEY);
}

/* ------------------------------------------------------------ encryption keys */

Test(envelope, keypair_and_key_from_secret)
{
    for (int i = 0; i < 20; i++) {
        uint8_t dk[32], ek[33], ek2[33], ekref[33];
        keypair(dk, ek);
        KPT_ST(kp_scalar_check(KP_CURVE_SECP256K1, dk), KP_OK);
        KPT_ST(kp_encryption_key_from_secret(ctx, ek2, dk), KP_OK);
        cr_assert_arr_eq(ek, ek2, 33);
        ref_pub(ekref, dk);
        cr_assert_arr_eq(ek, ekref, 33, "the encryption key is dk·G compressed");
    }
    uint8_t zero[32] = {0}, n[32], ek[33];
    memset(ek, 0xaa, sizeof ek);
    KPT_ST(kp_encryption_key_from_secret(ctx, ek, zero), KP_ERR_SCALAR);
    cr_assert(kpt_is_zero(ek, 33));
    kpt_order(n, KP_CURVE_SECP256K1);
    KPT_ST(kp_encryption_key_from_secret(ctx, ek, n), KP_ERR_SCALAR);
}

/* The padded-base64 reader behind every ciphertext, encryptionKey and signer id read each byte
 * above 0x7f through libsodium's 7-bit table: 0x8d stood for '/' and 0xc1 for 'A'. An
 * encryptionKey with such a byte in place of a base64 digit must be refused, at every position. */
Test(envelope, b64_decode_refuses_bytes_above_ascii)
{
    uint8_t dk[32], ek[33], back[33];
    char b64[49];
    keypair(dk, ek);
    KPT_ST(kp_encryption_key_encode(b64, ek), KP_OK);
    for (int pos = 0; pos < 48; pos++) {
        for (unsigned c = 0x80; c <= 0xff; c++) {
            char bad[49];
            memcpy(bad, b64, sizeof bad);
            bad[pos] = (char)c;
            cr_assert_eq(kp_encryption_key_decode(ctx, back, bad, 48), KP_ERR_BASE64,
                         "byte 0x%02x at %d was accepted", c, pos);
        }
    }
}

Test(envelope, encryption_key_encode_decode)
{
    int saw_aqi = 0, saw_aqm = 0;
    for (int i = 0; i < 64; i++) {
        uint8_t dk[32], ek[33], back[33];
        char b64[49];
        keypair(dk, ek);
        memset(b64, 'x', sizeof b64);
        KPT_ST(kp_encryption_key_encode(b64, ek), KP_OK);
        cr_assert_eq(b64[48], 0);
        cr_assert_eq(strlen(b64), 48);
        /* 0x01 then 0x02 or 0x03: "AQ", then a digit whose top four bits are 0010 (I-L) or
         * 0011 (M-P); its low two bits are the top of x. */
        cr_assert(strncmp(b64, "AQ", 2) == 0, "%s", b64);
        cr_assert_not_null(strchr(ek[0] == 2 ? "IJKL" : "MNOP", b64[2]), "%s for prefix %02x", b64, ek[0]);
        cr_assert_eq((strchr("IJKLMNOP", b64[2]) - "IJKLMNOP") & 3, ek[1] >> 6);
        saw_aqi |= ek[0] == 2;
        saw_aqm |= ek[0] == 3;
        /* independently: base64(0x01 || ek) */
        uint8_t raw[34];
        raw[0] = 1;
        memcpy(raw + 1, ek, 33);
        char *want = kpt_b64(raw, 34);
        cr_assert_str_eq(b64, want);
        free(want);
        KPT_ST(kp_encryption_key_decode(ctx, back, b64, 48), KP_OK);
        cr_assert_arr_eq(back, ek, 33);
    }
    cr_assert(saw_aqi && saw_aqm, "both parities appear in 64 keys");
}

static kp_status decode_raw(const uint8_t raw[34], uint8_t out[33])
{
    char *b = kpt_b64(raw, 34);
    kp_status st = kp_encryption_key_decode(ctx, out, b, strlen(b));
    free(b);
    return st;
}

Test(envelope, encryption_key_decode_errors)
{
    uint8_t dk[32], ek[33], raw[34], out[33];
    char b64[49], bad[64];
    keypair(dk, ek);
    KPT_ST(kp_encryption_key_encode(b64, ek), KP_OK);
    raw[0] = 1;
    memcpy(raw + 1, ek, 33);

    /* first byte not 1 */
    static const uint8_t firsts[] = {0, 2, 3, 4, 0x81, 0xff};
    for (size_t i = 0; i < sizeof firsts; i++) {
        raw[0] = firsts[i];
        memset(out, 0xaa, 33);
        KPT_ST(decode_raw(raw, out), KP_ERR_ENCRYPTION_KEY);
        cr_assert(kpt_is_zero(out, 33));
    }
    raw[0] = 1;
    KPT_ST(decode_raw(raw, out), KP_OK);
    /* point prefix not 02/03 */
    static const uint8_t prefixes[] = {0, 1, 4, 5, 6, 7};
    for (size_t i = 0; i < sizeof prefixes; i++) {
        raw[1] = prefixes[i];
        KPT_ST(decode_raw(raw, out), KP_ERR_ENCRYPTION_KEY);
    }
    raw[1] = ek[0];
    /* x not on the curve, with either prefix */
    off_curve_x(raw + 2);
    raw[1] = 2;
    KPT_ST(decode_raw(raw, out), KP_ERR_ENCRYPTION_KEY);
    raw[1] = 3;
    KPT_ST(decode_raw(raw, out), KP_ERR_ENCRYPTION_KEY);
    /* x = p (not canonical) and x = 2^256 - 1 */
    kpt_unhex(raw + 2, 32, "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f");
    KPT_ST(decode_raw(raw, out), KP_ERR_ENCRYPTION_KEY);
    memset(raw + 2, 0xff, 32);
    KPT_ST(decode_raw(raw, out), KP_ERR_ENCRYPTION_KEY);

    /* bad base64 */
    KPT_ST(kp_encryption_key_decode(ctx, out, b64, 47), KP_ERR_BASE64);
    KPT_ST(kp_encryption_key_decode(ctx, out, b64, 0), KP_ERR_BASE64);
    KPT_ST(kp_encryption_key_decode(ctx, out, "", 0), KP_ERR_BASE64);
    snprintf(bad, sizeof bad, "%sAAAA", b64);
    KPT_ST(kp_encryption_key_decode(ctx, out, bad, 52), KP_ERR_BASE64);
    snprintf(bad, sizeof bad, "%s=", b64);
    KPT_ST(kp_encryption_key_decode(ctx, out, bad, 49), KP_ERR_BASE64);
    snprintf(bad, sizeof bad, " %.47s", b64);
    KPT_ST(kp_encryption_key_decode(ctx, out, bad, 48), KP_ERR_BASE64);
    memcpy(bad, b64, 49);
    bad[10] = '!';
    KPT_ST(kp_encryption_key_decode(ctx, out, bad, 48), KP_ERR_BASE64);
    memcpy(bad, b64, 49);
    bad[10] = '-'; /* the base64url alphabet */
    KPT_ST(kp_encryption_key_decode(ctx, out, bad, 48), KP_ERR_BASE64);
    memcpy(bad, b64, 49);
    bad[47] = 'A'; /* "xx=A": padding in the middle */
    KPT_ST(kp_encryption_key_decode(ctx, out, bad, 48), KP_ERR_BASE64);
    memcpy(bad, b64, 49);
    bad[46] = 'A';
    bad[47] = 'A'; /* 36 bytes, not 34 */
    KPT_ST(kp_encryption_key_decode(ctx, out, bad, 48), KP_ERR_BASE64);
    /* non-canonical: the unused low bits of the last digit set */
    memcpy(bad, b64, 49);
    {
        static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        int v = (int)(strchr(alpha, bad[45]) - alpha);
        bad[45] = alpha[v ^ 1];
    }
    KPT_ST(kp_encryption_key_decode(ctx, out, bad, 48), KP_ERR_BASE64);
    /* 35 bytes: one '=' */
    uint8_t r35[35] = {1};
    memcpy(r35 + 1, ek, 33);
    char *b35 = kpt_b64(r35, 35);
    cr_assert_eq(strlen(b35), 48);
    KPT_ST(kp_encryption_key_decode(ctx, out, b35, 48), KP_ERR_BASE64);
    free(b35);
}

Test(envelope, fingerprint)
{
    uint8_t dk[32], ek[33], h[32];
    char fp[17], want[17];
    keypair(dk, ek);
    memset(fp, 'x', sizeof fp);
    KPT_ST(kp_encryption_key_fingerprint(fp, ek), KP_OK);
    cr_assert_eq(fp[16], 0);
    unsigned int hl = 0;
    cr_assert(EVP_Digest(ek, 33, h, &hl, EVP_sha256(), NULL));
    kpt_hex(want, h, 8);
    cr_assert_str_eq(fp, want);
}
