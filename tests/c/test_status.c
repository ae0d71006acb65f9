/* test_status.c: the status table (keyport_status.h) and the constants' function twins. */
#include "kptest.h"

struct row {
    kp_status st;
    int num;
    const char *name;
    const char *msg;
};

static const struct row ROWS[] = {
#define KPT_X(name, num, msg) {name, num, #name, msg},
    KP_STATUS_TABLE(KPT_X)
#undef KPT_X
};
#define NROWS (sizeof ROWS / sizeof ROWS[0])

Test(status, every_code_has_its_name_and_message)
{
    cr_assert_geq(NROWS, 27, "the table lost rows: %zu", NROWS);
    for (size_t i = 0; i < NROWS; i++) {
        cr_assert_eq((int)ROWS[i].st, ROWS[i].num);
        const char *name = kp_status_name(ROWS[i].st);
        cr_assert_not_null(name, "%s has no name", ROWS[i].name);
        cr_assert_str_eq(name, ROWS[i].name);
        const char *msg = kp_strerror(ROWS[i].st);
        cr_assert_not_null(msg);
        cr_assert_str_eq(msg, ROWS[i].msg);
        cr_assert_gt(strlen(msg), 3, "%s has an empty message", ROWS[i].name);
        cr_assert_str_neq(msg, "unknown status", "%s has the unknown message", ROWS[i].name);
    }
}

Test(status, codes_and_names_are_unique)
{
    for (size_t i = 0; i < NROWS; i++)
        for (size_t j = 0; j < i; j++) {
            cr_assert_neq(ROWS[i].num, ROWS[j].num, "%s and %s share a number", ROWS[i].name, ROWS[j].name);
            cr_assert_str_neq(ROWS[i].name, ROWS[j].name);
            cr_assert_str_neq(ROWS[i].msg, ROWS[j].msg, "%s and %s share a message", ROWS[i].name, ROWS[j].name);
        }
}

Test(status, ok_is_zero_and_families_hold)
{
    cr_assert_eq(KP_OK, 0);
    cr_assert_str_eq(kp_status_name(KP_OK), "KP_OK");
    /* families, keyport_status.h: the tens digit */
    cr_assert_eq(KP_ERR_HEX / 10, 1);
    cr_assert_eq(KP_ERR_EMPTY / 10, 1);
    cr_assert_eq(KP_ERR_SCALAR / 10, 2);
    cr_assert_eq(KP_ERR_ENCRYPTION_KEY / 10, 2);
    cr_assert_eq(KP_ERR_DECRYPT / 10, 3);
    cr_assert_eq(KP_ERR_KDF_PARAMS / 10, 3);
    cr_assert_eq(KP_ERR_THRESHOLD / 10, 4);
    cr_assert_eq(KP_ERR_NOT_FOUND / 10, 4);
}

Test(status, unknown_numbers)
{
    static const int unknown[] = {-1, 5, 9, 19, 26, 34, 39, 46, 99, 1000, 0x7fffffff, -0x7fffffff};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        kp_status st = (kp_status)unknown[i];
        cr_assert_str_eq(kp_strerror(st), "unknown status", "kp_strerror(%d)", unknown[i]);
        cr_assert_null(kp_status_name(st), "kp_status_name(%d)", unknown[i]);
    }
    /* every number in 0..99 that is not in the table is unknown */
    for (int n = 0; n < 100; n++) {
        int known = 0;
        for (size_t i = 0; i < NROWS; i++) known |= ROWS[i].num == n;
        cr_assert_eq(kp_status_name((kp_status)n) != NULL, known, "number %d", n);
    }
}

Test(status, error_detail_is_never_null)
{
    cr_assert_not_null(kp_error_detail());
    uint8_t s[32] = {0};
    KPT_ST(kp_scalar_check(KP_CURVE_SECP256K1, s), KP_ERR_SCALAR);
    cr_assert_not_null(kp_error_detail());
    cr_assert_gt(strlen(kp_error_detail()), 0);
}

Test(status, size_functions_equal_the_macros)
{
    cr_assert_eq(kp_scalar_bytes(), KP_SCALAR_BYTES);
    cr_assert_eq(kp_scalar_bytes(), 32);
    cr_assert_eq(kp_encryption_key_bytes(), KP_ENCRYPTION_KEY_BYTES);
    cr_assert_eq(kp_encryption_key_bytes(), 33);
    cr_assert_eq(kp_envelope_overhead(), KP_ENVELOPE_OVERHEAD);
    cr_assert_eq(kp_envelope_overhead(), 49); /* docs/wire.md §1 step 5: tag 16 + point 33 */
    cr_assert_eq(kp_context_file_bytes(), KP_CONTEXT_FILE_BYTES);
    cr_assert_eq(kp_context_file_bytes(), 102);
    cr_assert_eq(kp_max_input_bytes(), KP_MAX_INPUT_BYTES);
    cr_assert_eq(kp_max_input_bytes(), 1u << 20);
}

/* Issue 7.7: kp_fail(…, kp_error_detail()) passed the detail buffer to the call that writes it,
 * and the reason was lost. Wrapped messages keep both the place and the reason. */
Test(status, a_wrapped_detail_keeps_its_reason)
{
    kp_ctx *c = NULL;
    cr_assert_eq(kp_ctx_new(&c), KP_OK);
    /* policy.c: "operator N: <why the name is refused>" */
    kp_policy_member m = {"bad\x01name", {0}};
    unsigned q[KP_ACTION_COUNT] = {1, 1, 1};
    kp_buf out;
    kp_buf_init(&out, 0);
    cr_assert_eq(kp_policy_write(&out, "p", &m, 1, q), KP_ERR_POLICY);
    cr_assert_not_null(strstr(kp_error_detail(), "operator 1: "), "%s", kp_error_detail());
    cr_assert_not_null(strstr(kp_error_detail(), "must not contain control characters"), "%s", kp_error_detail());
    /* import.c: "signers[0].encryptionKey (signer …): <why the key is refused>" */
    static const char signers[] =
        "{\"clusters\":[{\"clusterId\":\"c\",\"signers\":[{\"signerId\":\"AAEC\",\"encryptionKey\":"
        "\"AgJ4vmZ++dy7rFWgYpXOhwsHApv82y3OKNlZ8oFbFvgXmA==\"}]}]}";
    kp_signers *s = NULL;
    cr_assert_eq(kp_signers_parse(c, &s, signers, strlen(signers), NULL), KP_ERR_ENCRYPTION_KEY);
    cr_assert_not_null(strstr(kp_error_detail(), "signers[0].encryptionKey (signer AAEC): "), "%s", kp_error_detail());
    cr_assert_not_null(strstr(kp_error_detail(), "must start with the byte 0x01, not 0x02"), "%s", kp_error_detail());
    kp_buf_release(&out);
    kp_ctx_free(c);
}

/* Issue 7.7: an output buffer of exactly the decoded size is enough (it was refused). */
Test(status, base64_decode_into_an_exact_buffer)
{
    uint8_t in[34], out[34];
    for (size_t n = 1; n <= 34; n++) {
        for (size_t i = 0; i < n; i++) in[i] = (uint8_t)(i * 37 + n);
        kp_buf b;
        kp_buf_init(&b, 0);
        for (int url = 0; url <= 1; url++) {
            kp_buf_reset(&b);
            cr_assert_eq(kp_buf_addb64(&b, in, n, url), KP_OK);
            size_t got = 0;
            cr_assert_eq(kp_base64_decode(out, n, &got, (const char *)b.data, b.len, url), KP_OK,
                         "%zu bytes (url %d) into %zu: %s", n, url, n, kp_error_detail());
            cr_assert_eq(got, n);
            cr_assert(memcmp(out, in, n) == 0);
            cr_assert_eq(kp_base64_decode(out, n - 1, &got, (const char *)b.data, b.len, url), KP_ERR_TOO_LARGE,
                         "%zu bytes (url %d) into %zu", n, url, n - 1);
        }
        kp_buf_release(&b);
    }
}

/* libsodium's base64 decoder reads a byte above 0x7f through its 7-bit alphabet table, so that
 * 0x8d decoded as '/' and 0xc1 as 'A': a text that is not base64 was accepted. Every byte above
 * ASCII, at every position, must be refused, by both variants. */
Test(status, base64_refuses_bytes_above_ascii)
{
    uint8_t out[16];
    size_t got = 0;
    for (int url = 0; url <= 1; url++) {
        for (int pos = 0; pos < 8; pos++) {
            for (unsigned c = 0x80; c <= 0xff; c++) {
                char s[9] = "QUJDREVG"; /* "ABCDEF" */
                s[pos] = (char)c;
                cr_assert_eq(kp_base64_decode(out, sizeof out, &got, s, 8, url), KP_ERR_BASE64,
                             "byte 0x%02x at %d (url %d) was accepted", c, pos, url);
                cr_assert_eq(got, 0);
            }
        }
    }
}
