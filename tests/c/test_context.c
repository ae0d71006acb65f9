/*
 * test_context.c: sealed export context files (kp_context_seal / kp_context_open).
 *
 * Every seal and every open that reaches Argon2id costs ~0.2 s (KP_KDF_INTERACTIVE: 64 MiB),
 * so altered files are tested at sampled positions: each header field, both ends of the salt,
 * nonce, ciphertext and tag. Alterations that must fail before Argon2 are tested exhaustively.
 */
#include "kptest.h"

TestSuite(context, .init = kpt_setup, .fini = kpt_teardown, .timeout = 300);

static const char PASS[] = "correct horse battery staple";

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void seal(uint8_t file[KP_CONTEXT_FILE_BYTES], uint8_t secret[32])
{
    kpt_random_scalar(secret, KP_CURVE_SECP256K1);
    KPT_ST(kp_context_seal(ctx, file, secret, PASS, strlen(PASS), KP_KDF_INTERACTIVE), KP_OK);
}

Test(context, round_trip_and_layout)
{
    uint8_t file[KP_CONTEXT_FILE_BYTES], secret[32], back[32];
    seal(file, secret);
    /* layout (context.c): "KPXC" | 1 | 2 (Argon2id) | ops | mem KiB | salt 16 | nonce 24 | ct 32 + tag 16 */
    cr_assert(memcmp(file, "KPXC", 4) == 0);
    cr_assert_eq(file[4], 1);
    cr_assert_eq(file[5], 2);
    cr_assert_eq(be32(file + 6), 2, "KP_KDF_INTERACTIVE is 2 passes");
    cr_assert_eq(be32(file + 10), 64u * 1024, "KP_KDF_INTERACTIVE is 64 MiB");
    cr_assert(!kpt_is_zero(file + 14, 16), "salt");
    cr_assert(!kpt_is_zero(file + 30, 24), "nonce");
    for (size_t i = 0; i + 32 <= KP_CONTEXT_FILE_BYTES; i++)
        cr_assert(memcmp(file + i, secret, 32) != 0, "the secret is in the file in clear at %zu", i);
    memset(back, 0, sizeof back);
    KPT_ST(kp_context_open(ctx, back, file, sizeof file, PASS, strlen(PASS)), KP_OK);
    cr_assert_arr_eq(back, secret, 32);
}

Test(context, two_seals_differ)
{
    uint8_t f1[KP_CONTEXT_FILE_BYTES], f2[KP_CONTEXT_FILE_BYTES], secret[32];
    seal(f1, secret);
    KPT_ST(kp_context_seal(ctx, f2, secret, PASS, strlen(PASS), KP_KDF_INTERACTIVE), KP_OK);
    cr_assert(memcmp(f1 + 14, f2 + 14, 16) != 0, "fresh salt");
    cr_assert(memcmp(f1 + 30, f2 + 30, 24) != 0, "fresh nonce");
    cr_assert(memcmp(f1 + 54, f2 + 54, 48) != 0);
}

Test(context, wrong_passphrase)
{
    uint8_t file[KP_CONTEXT_FILE_BYTES], secret[32], back[32];
    seal(file, secret);
    static const char *wrong[] = {"correct horse battery stapl", "Correct horse battery staple"};
    for (size_t i = 0; i < 2; i++) {
        memset(back, 0xaa, sizeof back);
        KPT_ST(kp_context_open(ctx, back, file, sizeof file, wrong[i], strlen(wrong[i])), KP_ERR_DECRYPT);
        cr_assert(kpt_is_zero(back, 32), "the secret must be zeroed on failure");
    }
}

/* The passphrase is (pointer, length): bytes after a NUL count. */
Test(context, passphrase_is_length_delimited)
{
    uint8_t file[KP_CONTEXT_FILE_BYTES], secret[32], back[32];
    static const char pass[] = "abc\0def";
    kpt_random_scalar(secret, KP_CURVE_SECP256K1);
    KPT_ST(kp_context_seal(ctx, file, secret, pass, 7, KP_KDF_INTERACTIVE), KP_OK);
    KPT_ST(kp_context_open(ctx, back, file, sizeof file, pass, 3), KP_ERR_DECRYPT);
    KPT_ST(kp_context_open(ctx, back, file, sizeof file, pass, 7), KP_OK);
    cr_assert_arr_eq(back, secret, 32);
}

struct alteration {
    size_t pos;
    uint8_t xor;
    kp_status want;
    const char *what;
};

static void alter(const struct alteration *a, size_t count)
{
    uint8_t file[KP_CONTEXT_FILE_BYTES], bad[KP_CONTEXT_FILE_BYTES], secret[32], back[32];
    seal(file, secret);
    for (size_t i = 0; i < count; i++) {
        memcpy(bad, file, sizeof file);
        bad[a[i].pos] ^= a[i].xor;
        memset(back, 0xaa, sizeof back);
        kp_status st = kp_context_open(ctx, back, bad, sizeof bad, PASS, strlen(PASS));
        cr_assert_eq(st, a[i].want, "byte %zu (%s) ^ %#x: %s, want %s", a[i].pos, a[i].what, a[i].xor,
                     kp_status_name(st), kp_status_name(a[i].want));
        cr_assert(kpt_is_zero(back, 32));
    }
}

Test(context, altered_header_fields)
{
    static const struct alteration a[] = {
        {0, 0x01, KP_ERR_CONTEXT, "magic"},
        {3, 0x20, KP_ERR_CONTEXT, "magic"},
        {4, 0x01, KP_ERR_VERSION, "version 0"},
        {4, 0x03, KP_ERR_VERSION, "version 2"},
        {5, 0x01, KP_ERR_KDF_PARAMS, "kdf id 3"},
        {5, 0x02, KP_ERR_KDF_PARAMS, "kdf id 0"},
        {6, 0x80, KP_ERR_KDF_PARAMS, "opslimit 2^31 + 2"},
        {9, 0x02, KP_ERR_KDF_PARAMS, "opslimit 0"},
        {9, 0x10, KP_ERR_KDF_PARAMS, "opslimit 18, over the maximum of 10"},
        {10, 0x01, KP_ERR_KDF_PARAMS, "memlimit over 1 GiB"},
        {11, 0x01, KP_ERR_KDF_PARAMS, "memlimit 0"},
        {9, 0x01, KP_ERR_DECRYPT, "opslimit 3: in range, but covered by the tag"},
        {13, 0x01, KP_ERR_DECRYPT, "memlimit 64 MiB + 1 KiB: in range, but covered by the tag"},
    };
    alter(a, sizeof a / sizeof *a);
}

/* The KDF parameters are authenticated: weakening them (less memory, one pass) fails. */
Test(context, weakened_kdf_parameters_fail)
{
    uint8_t file[KP_CONTEXT_FILE_BYTES], secret[32], back[32];
    seal(file, secret);
    file[9] = 1;                   /* one pass */
    file[10] = 0;                  /* 8 MiB = 8192 KiB = 0x00002000 */
    file[11] = 0;
    file[12] = 0x20;
    file[13] = 0;
    KPT_ST(kp_context_open(ctx, back, file, sizeof file, PASS, strlen(PASS)), KP_ERR_DECRYPT);
    file[12] = 0x1f; /* below the 8 MiB floor */
    KPT_ST(kp_context_open(ctx, back, file, sizeof file, PASS, strlen(PASS)), KP_ERR_KDF_PARAMS);
}

Test(context, altered_salt_nonce_ciphertext_tag)
{
    static const struct alteration a[] = {
        {14, 0x01, KP_ERR_DECRYPT, "salt"},        {29, 0x80, KP_ERR_DECRYPT, "salt"},
        {30, 0x01, KP_ERR_DECRYPT, "nonce"},       {53, 0x80, KP_ERR_DECRYPT, "nonce"},
        {54, 0x01, KP_ERR_DECRYPT, "ciphertext"},  {85, 0x80, KP_ERR_DECRYPT, "ciphertext"},
        {86, 0x01, KP_ERR_DECRYPT, "tag"},         {101, 0x80, KP_ERR_DECRYPT, "tag"},
    };
    alter(a, sizeof a / sizeof *a);
}

/* Changes refused before any passphrase hashing: every value of the magic, version and KDF id bytes. */
Test(context, header_bytes_exhaustive_without_argon2)
{
    uint8_t file[KP_CONTEXT_FILE_BYTES], bad[KP_CONTEXT_FILE_BYTES], secret[32], back[32];
    seal(file, secret);
    for (size_t pos = 0; pos < 6; pos++)
        for (unsigned v = 0; v < 256; v++) {
            if (v == file[pos]) continue;
            memcpy(bad, file, sizeof file);
            bad[pos] = (uint8_t)v;
            kp_status want = pos < 4 ? KP_ERR_CONTEXT : pos == 4 ? KP_ERR_VERSION : KP_ERR_KDF_PARAMS;
            KPT_ST(kp_context_open(ctx, back, bad, sizeof bad, PASS, strlen(PASS)), want);
        }
}

Test(context, truncated_or_padded)
{
    uint8_t file[KP_CONTEXT_FILE_BYTES + 1], secret[32], back[32];
    seal(file, secret);
    file[KP_CONTEXT_FILE_BYTES] = 0;
    for (size_t len = 0; len < KP_CONTEXT_FILE_BYTES; len++) {
        uint8_t *cut = malloc(len ? len : 1);
        memcpy(cut, file, len);
        kp_status st = kp_context_open(ctx, back, cut, len, PASS, strlen(PASS));
        cr_assert_eq(st, KP_ERR_CONTEXT, "a file of %zu bytes: %s", len, kp_status_name(st));
        free(cut);
    }
    KPT_ST(kp_context_open(ctx, back, file, KP_CONTEXT_FILE_BYTES + 1, PASS, strlen(PASS)), KP_ERR_CONTEXT);
}

Test(context, empty_passphrase_and_bad_secret)
{
    uint8_t file[KP_CONTEXT_FILE_BYTES], secret[32], back[32], zero[32] = {0}, n[32];
    kpt_random_scalar(secret, KP_CURVE_SECP256K1);
    memset(file, 0xaa, sizeof file);
    KPT_ST(kp_context_seal(ctx, file, secret, "", 0, KP_KDF_INTERACTIVE), KP_ERR_EMPTY);
    cr_assert(kpt_is_zero(file, sizeof file));
    KPT_ST(kp_context_seal(ctx, file, secret, NULL, 0, KP_KDF_INTERACTIVE), KP_ERR_EMPTY);
    KPT_ST(kp_context_seal(ctx, file, zero, PASS, strlen(PASS), KP_KDF_INTERACTIVE), KP_ERR_SCALAR);
    kpt_order(n, KP_CURVE_SECP256K1);
    KPT_ST(kp_context_seal(ctx, file, n, PASS, strlen(PASS), KP_KDF_INTERACTIVE), KP_ERR_SCALAR);
    cr_assert(kpt_is_zero(file, sizeof file));
    /* an empty passphrase at open */
    seal(file, secret);
    KPT_ST(kp_context_open(ctx, back, file, sizeof file, "", 0), KP_ERR_EMPTY);
}
