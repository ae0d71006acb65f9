/*
 * test_curve.c: curve arithmetic against published vectors (Stark keys from StarkWare,
 * RFC 8032 §7.1, BIP-340), scalar range checks at the order boundaries, names and schemes.
 */
#include "curve.h"
#include "kptest.h"

TestSuite(curve, .init = kpt_setup, .fini = kpt_teardown, .timeout = 120);

static void pubkey(kp_curve c, const uint8_t s[32], uint8_t *pub, size_t want_len)
{
    size_t len = 99;
    KPT_ST(kp_public_key(ctx, pub, &len, c, s), KP_OK);
    cr_assert_eq(len, want_len, "%s public key length %zu", kpt_curve_str(c), len);
}

/* The y coordinate behind a 33-byte compressed Stark or secp256k1 key, through the curve table. */
static void uncompressed(kp_curve c, const uint8_t pub[33], uint8_t out[65])
{
    const kp_curve_ops *ops = kp_curve_ops_of(c);
    kp_point p;
    KPT_ST(ops->parse(ctx, &p, pub, 33), KP_OK);
    ops->serialize(ctx, out, &p, 0);
    cr_assert_eq(out[0], 4);
}

/* ------------------------------------------------------------ Stark */

Test(curve, stark_order_constant_matches_cairo_lang)
{
    cJSON *j = kpt_load_json("stark-curve-params.cairo-lang.json");
    uint8_t n_file[32], n_test[32];
    cJSON *order = cJSON_GetObjectItemCaseSensitive(j, "EC_ORDER");
    cr_assert_eq(kpt_unhex_pad(n_file, 32, kpt_jstr(order, "hex")), 0);
    kpt_order(n_test, KP_CURVE_STARK);
    cr_assert_arr_eq(n_file, n_test, 32);
    cJSON_Delete(j);
}

Test(curve, stark_generator_is_cairo_lang_generator)
{
    cJSON *j = kpt_load_json("stark-curve-params.cairo-lang.json");
    cJSON *g = cJSON_GetObjectItemCaseSensitive(j, "generator");
    uint8_t gx[32], gy[32], one[32], pub[33], full[65];
    cr_assert_eq(kpt_unhex_pad(gx, 32, kpt_jstr(cJSON_GetObjectItemCaseSensitive(g, "x"), "hex")), 0);
    cr_assert_eq(kpt_unhex_pad(gy, 32, kpt_jstr(cJSON_GetObjectItemCaseSensitive(g, "y"), "hex")), 0);
    kpt_scalar_u32(one, 1);
    pubkey(KP_CURVE_STARK, one, pub, 33);
    cr_assert_arr_eq(pub + 1, gx, 32);
    cr_assert_eq(pub[0], 2 | (gy[31] & 1), "compressed prefix must carry y's parity");
    uncompressed(KP_CURVE_STARK, pub, full);
    cr_assert_arr_eq(full + 1, gx, 32);
    cr_assert_arr_eq(full + 33, gy, 32);
    cJSON_Delete(j);
}

Test(curve, stark_keys_precomputed_starkex)
{
    cJSON *j = kpt_load_json("stark-keys-precomputed.starkex-for-spot-trading.json");
    int count = 0;
    for (cJSON *e = j->child; e != NULL; e = e->next) {
        uint8_t priv[32], x[32], pub[33];
        cr_assert(cJSON_IsString(e));
        cr_assert_eq(kpt_unhex_pad(priv, 32, e->string), 0, "key %s", e->string);
        cr_assert_eq(kpt_unhex_pad(x, 32, e->valuestring), 0, "value %s", e->valuestring);
        KPT_ST(kp_scalar_check(KP_CURVE_STARK, priv), KP_OK);
        pubkey(KP_CURVE_STARK, priv, pub, 33);
        cr_assert(pub[0] == 2 || pub[0] == 3);
        cr_assert_arr_eq(pub + 1, x, 32, "Stark public key x of %s", e->string);
        count++;
    }
    cr_assert_eq(count, 30);
    cJSON_Delete(j);
}

Test(curve, stark_crypto_cpp_private_to_public)
{
    cJSON *j = kpt_load_json("stark-ecdsa-pedersen.crypto-cpp.json");
    cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, "public_key_from_private");
    int count = 0, with_y = 0;
    cJSON *e;
    cJSON_ArrayForEach(e, arr) {
        uint8_t priv[32], x[32], pub[33], full[65];
        cr_assert_eq(kpt_unhex_pad(priv, 32, kpt_jstr(e, "private_key")), 0);
        cr_assert_eq(kpt_unhex_pad(x, 32, kpt_jstr(e, "public_key_x")), 0);
        pubkey(KP_CURVE_STARK, priv, pub, 33);
        cr_assert_arr_eq(pub + 1, x, 32, "x for private key %s", kpt_jstr(e, "private_key"));
        const cJSON *yj = cJSON_GetObjectItemCaseSensitive(e, "public_key_y");
        if (yj != NULL) {
            uint8_t y[32];
            cr_assert_eq(kpt_unhex_pad(y, 32, yj->valuestring), 0);
            cr_assert_eq(pub[0], 2 | (y[31] & 1));
            uncompressed(KP_CURVE_STARK, pub, full);
            cr_assert_arr_eq(full + 33, y, 32);
            with_y++;
        }
        count++;
    }
    cr_assert_eq(count, 4);
    cr_assert_geq(with_y, 1);
    cJSON_Delete(j);
}

/* ------------------------------------------------------------ ed25519 */

Test(curve, ed25519_rfc8032_seed_to_public_key)
{
    cJSON *j = kpt_load_json("ed25519-rfc8032-7.1.json");
    int count = 0;
    cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(j, "vectors")) {
        uint8_t seed[32], want[32], scalar[32], pub[32];
        kpt_unhex(seed, 32, kpt_jstr(e, "secret_key"));
        kpt_unhex(want, 32, kpt_jstr(e, "public_key"));
        KPT_ST(kp_ed25519_seed_to_scalar(scalar, seed), KP_OK);
        KPT_ST(kp_scalar_check(KP_CURVE_ED25519, scalar), KP_OK);
        pubkey(KP_CURVE_ED25519, scalar, pub, 32);
        cr_assert_arr_eq(pub, want, 32, "%s", kpt_jstr(e, "rfc8032_name"));
        count++;
    }
    cr_assert_eq(count, 4);
    cJSON_Delete(j);
}

/* The scalar is the clamped SHA-512 half, reduced mod l, big-endian (docs/wire.md §4 step 1),
 * recomputed here with OpenSSL's SHA-512 and a schoolbook reduction. */
Test(curve, ed25519_seed_to_scalar_matches_clamp_and_reduce)
{
    for (int round = 0; round < 64; round++) {
        uint8_t seed[32], h[64], le[32], scalar[32], be[32];
        kpt_random(seed, sizeof seed);
        unsigned int hl = 0;
        cr_assert(EVP_Digest(seed, 32, h, &hl, EVP_sha512(), NULL));
        h[0] &= 0xF8;
        h[31] &= 0x7F;
        h[31] |= 0x40;
        memcpy(le, h, 32);
        /* h < 2^255 < 8 l: subtract l while not below it */
        uint8_t l[32];
        kpt_order(l, KP_CURVE_ED25519);
        for (int i = 0; i < 32; i++) be[i] = le[31 - i];
        for (int k = 0; k < 16 && memcmp(be, l, 32) >= 0; k++) {
            int borrow = 0;
            for (int i = 31; i >= 0; i--) {
                int v = be[i] - l[i] - borrow;
                borrow = v < 0;
                be[i] = (uint8_t)(v & 0xff);
            }
        }
        cr_assert_lt(memcmp(be, l, 32), 0);
        KPT_ST(kp_ed25519_seed_to_scalar(scalar, seed), KP_OK);
        cr_assert_arr_eq(scalar, be, 32);
    }
}

/* ------------------------------------------------------------ secp256k1 */

Test(curve, bip340_xonly_public_keys)
{
    char *csv = kpt_read_vector("bip340-schnorr-test-vectors.csv", NULL);
    int count = 0;
    char *save = NULL;
    for (char *line = strtok_r(csv, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "index,", 6) == 0) continue;
        char *f[4] = {0};
        char *p = line;
        for (int i = 0; i < 4 && p != NULL; i++) {
            f[i] = p;
            p = strchr(p, ',');
            if (p) *p++ = 0;
        }
        cr_assert_not_null(f[2], "short CSV line");
        if (f[1][0] == 0) continue; /* verification-only rows */
        uint8_t sk[32], x[32], pub[33];
        kpt_unhex(sk, 32, f[1]);
        kpt_unhex(x, 32, f[2]);
        pubkey(KP_CURVE_SECP256K1, sk, pub, 33);
        cr_assert(pub[0] == 2 || pub[0] == 3);
        cr_assert_arr_eq(pub + 1, x, 32, "BIP-340 row %s", f[0]);
        count++;
    }
    cr_assert_eq(count, 8, "BIP-340 rows with a secret key: %d", count);
    free(csv);
}

Test(curve, generators)
{
    uint8_t one[32], pub[33], want[33];
    kpt_scalar_u32(one, 1);
    /* SEC 2 §2.4.1: G in compressed form */
    kpt_unhex(want, 33, "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
    pubkey(KP_CURVE_SECP256K1, one, pub, 33);
    cr_assert_arr_eq(pub, want, 33);
    /* RFC 8032 §5.1: B is encoded as 0x58 followed by 0x66 × 31 */
    kpt_unhex(want, 32, "5866666666666666666666666666666666666666666666666666666666666666");
    pubkey(KP_CURVE_ED25519, one, pub, 32);
    cr_assert_arr_eq(pub, want, 32);
}

/* (n-1)·G = -G: the same x (ed25519: the same y) and the other sign. */
Test(curve, order_minus_one_is_minus_generator)
{
    for (int ci = 0; ci < 3; ci++) {
        kp_curve c = KPT_CURVES[ci];
        uint8_t n[32], nm1[32], one[32], g[33], mg[33];
        size_t len = c == KP_CURVE_ED25519 ? 32 : 33;
        kpt_order(n, c);
        kpt_add_small(nm1, n, -1);
        kpt_scalar_u32(one, 1);
        pubkey(c, one, g, len);
        pubkey(c, nm1, mg, len);
        if (c == KP_CURVE_ED25519) {
            cr_assert_arr_eq(mg, g, 31);
            cr_assert_eq(mg[31], g[31] ^ 0x80, "sign bit");
        } else {
            cr_assert_arr_eq(mg + 1, g + 1, 32, "%s", kpt_curve_str(c));
            cr_assert_eq(mg[0], g[0] ^ 1, "%s parity", kpt_curve_str(c));
        }
    }
}

/* k·G + m·G == (k+m)·G, through the curve tables (public keys are what the wire carries). */
Test(curve, addition_agrees_with_scalar_addition)
{
    for (int ci = 0; ci < 3; ci++) {
        kp_curve c = KPT_CURVES[ci];
        const kp_curve_ops *ops = kp_curve_ops_of(c);
        for (int round = 0; round < 8; round++) {
            uint8_t k[32], m[32], sum[32];
            uint32_t a = kpt_uniform(1u << 30) + 1, b = kpt_uniform(1u << 30) + 1;
            kpt_scalar_u32(k, a);
            kpt_scalar_u32(m, b);
            kpt_scalar_u32(sum, a + b);
            kp_point pk, pm, ps, padd;
            KPT_ST(ops->base_mul(ctx, &pk, k), KP_OK);
            KPT_ST(ops->base_mul(ctx, &pm, m), KP_OK);
            KPT_ST(ops->base_mul(ctx, &ps, sum), KP_OK);
            KPT_ST(ops->add(ctx, &padd, &pk, &pm), KP_OK);
            cr_assert(kp_point_eq(ctx, &padd, &ps), "%s: %u·G + %u·G", kpt_curve_str(c), a, b);
            /* and a·(b·G) == (a·b)·G */
            uint8_t prod[32];
            kpt_scalar_u32(k, a & 0xffff);
            kpt_scalar_u32(prod, (a & 0xffff) * (b & 0xffff));
            kpt_scalar_u32(m, b & 0xffff);
            if ((a & 0xffff) == 0 || (b & 0xffff) == 0) continue;
            KPT_ST(ops->base_mul(ctx, &pm, m), KP_OK);
            KPT_ST(ops->mul(ctx, &padd, &pm, k), KP_OK);
            KPT_ST(ops->base_mul(ctx, &ps, prod), KP_OK);
            cr_assert(kp_point_eq(ctx, &padd, &ps), "%s: a·(b·G)", kpt_curve_str(c));
        }
    }
}

/* ------------------------------------------------------------ scalar range */

Test(curve, scalar_check_boundaries)
{
    for (int ci = 0; ci < 3; ci++) {
        kp_curve c = KPT_CURVES[ci];
        uint8_t n[32], v[32], pub[KP_PUBKEY_MAX_BYTES];
        size_t len;
        kpt_order(n, c);
        memset(v, 0, 32);
        KPT_ST(kp_scalar_check(c, v), KP_ERR_SCALAR); /* 0 */
        len = 7;
        KPT_ST(kp_public_key(ctx, pub, &len, c, v), KP_ERR_SCALAR);
        cr_assert_eq(len, 0);
        kpt_scalar_u32(v, 1);
        KPT_ST(kp_scalar_check(c, v), KP_OK);
        kpt_add_small(v, n, -1);
        KPT_ST(kp_scalar_check(c, v), KP_OK); /* n - 1 */
        kpt_add_small(v, n, -2);
        KPT_ST(kp_scalar_check(c, v), KP_OK);
        KPT_ST(kp_scalar_check(c, n), KP_ERR_SCALAR); /* n */
        len = 7;
        KPT_ST(kp_public_key(ctx, pub, &len, c, n), KP_ERR_SCALAR);
        cr_assert_eq(len, 0);
        kpt_add_small(v, n, 1);
        KPT_ST(kp_scalar_check(c, v), KP_ERR_SCALAR); /* n + 1 */
        memset(v, 0xff, 32);
        KPT_ST(kp_scalar_check(c, v), KP_ERR_SCALAR); /* 2^256 - 1 */
        /* n + 2^128 and n·2 (mod 2^256) when it is below 2^256 */
        memcpy(v, n, 32);
        v[15] ^= 1;
        KPT_ST(kp_scalar_check(c, v), (v[15] & 1) ? KP_ERR_SCALAR : KP_OK);
    }
}

Test(curve, scalar_check_near_powers_of_two)
{
    uint8_t v[32];
    /* Stark: 2^251 < n < 2^252 */
    memset(v, 0, 32);
    v[0] = 0x08;
    KPT_ST(kp_scalar_check(KP_CURVE_STARK, v), KP_OK);
    memset(v, 0xff, 32);
    v[0] = 0x0f;
    KPT_ST(kp_scalar_check(KP_CURVE_STARK, v), KP_ERR_SCALAR); /* 2^252 - 1 */
    /* ed25519: 2^252 < l < 2^253 */
    memset(v, 0, 32);
    v[0] = 0x10;
    KPT_ST(kp_scalar_check(KP_CURVE_ED25519, v), KP_OK);
    memset(v, 0, 32);
    v[0] = 0x20;
    KPT_ST(kp_scalar_check(KP_CURVE_ED25519, v), KP_ERR_SCALAR); /* 2^253 */
    /* secp256k1: 2^255 is a valid scalar, 2^256 - 2^32 is not */
    memset(v, 0, 32);
    v[0] = 0x80;
    KPT_ST(kp_scalar_check(KP_CURVE_SECP256K1, v), KP_OK);
    memset(v, 0xff, 32);
    memset(v + 28, 0, 4);
    KPT_ST(kp_scalar_check(KP_CURVE_SECP256K1, v), KP_ERR_SCALAR);
    /* an unknown curve */
    kpt_scalar_u32(v, 1);
    KPT_ST(kp_scalar_check((kp_curve)0, v), KP_ERR_CURVE);
    KPT_ST(kp_scalar_check((kp_curve)4, v), KP_ERR_CURVE);
}

Test(curve, scalar_random_is_in_range_and_varies)
{
    for (int ci = 0; ci < 3; ci++) {
        kp_curve c = KPT_CURVES[ci];
        uint8_t prev[32] = {0}, s[32], n[32];
        kpt_order(n, c);
        int top_bits_seen = 0;
        for (int i = 0; i < 200; i++) {
            KPT_ST(kp_scalar_random(s, c), KP_OK);
            KPT_ST(kp_scalar_check(c, s), KP_OK);
            cr_assert(memcmp(s, prev, 32) != 0);
            top_bits_seen |= s[0] ^ n[0];
            memcpy(prev, s, 32);
        }
        cr_assert_neq(top_bits_seen, 0, "%s: the top byte never varies", kpt_curve_str(c));
    }
    uint8_t s[32];
    KPT_ST(kp_scalar_random(s, (kp_curve)9), KP_ERR_CURVE);
}

/* ------------------------------------------------------------ names and schemes */

Test(curve, curve_and_protocol_names)
{
    cr_assert_str_eq(kp_curve_name(KP_CURVE_SECP256K1), "secp256k1");
    cr_assert_str_eq(kp_curve_name(KP_CURVE_ED25519), "ed25519");
    cr_assert_str_eq(kp_curve_name(KP_CURVE_STARK), "stark");
    cr_assert_null(kp_curve_name((kp_curve)0));
    cr_assert_null(kp_curve_name((kp_curve)4));
    cr_assert_str_eq(kp_protocol_name(KP_PROTOCOL_CGGMP21), "CGGMP21");
    cr_assert_str_eq(kp_protocol_name(KP_PROTOCOL_CGGMP24), "CGGMP24");
    cr_assert_str_eq(kp_protocol_name(KP_PROTOCOL_FROST), "FROST");
    cr_assert_str_eq(kp_protocol_name(KP_PROTOCOL_FROST_BITCOIN), "FROST_BITCOIN");
    cr_assert_null(kp_protocol_name((kp_protocol)0));
    cr_assert_null(kp_protocol_name((kp_protocol)5));

    kp_curve c;
    kp_protocol p;
    for (int ci = 0; ci < 3; ci++) {
        KPT_ST(kp_curve_from_name(&c, kp_curve_name(KPT_CURVES[ci])), KP_OK);
        cr_assert_eq(c, KPT_CURVES[ci]);
    }
    static const char *bad_curves[] = {"", "SECP256K1", "secp256k1 ", "p256", "ed448", "Stark", "secp256r1"};
    for (size_t i = 0; i < sizeof bad_curves / sizeof *bad_curves; i++) {
        c = KP_CURVE_STARK;
        KPT_ST(kp_curve_from_name(&c, bad_curves[i]), KP_ERR_CURVE);
        cr_assert_eq((int)c, 0);
    }
    for (int pi = KP_PROTOCOL_CGGMP21; pi <= KP_PROTOCOL_FROST_BITCOIN; pi++) {
        KPT_ST(kp_protocol_from_name(&p, kp_protocol_name((kp_protocol)pi)), KP_OK);
        cr_assert_eq((int)p, pi);
    }
    static const char *bad_protocols[] = {"", "cggmp21", "GG18", "FROST-BITCOIN", "CGGMP21 "};
    for (size_t i = 0; i < sizeof bad_protocols / sizeof *bad_protocols; i++)
        KPT_ST(kp_protocol_from_name(&p, bad_protocols[i]), KP_ERR_SCHEME);
}

Test(curve, scheme_matrix)
{
    /* docs/wire.md §4: CGGMP21/CGGMP24 with secp256k1 or stark, FROST with ed25519,
     * FROST_BITCOIN with secp256k1; nothing else. */
    for (int p = 0; p <= 5; p++)
        for (int c = 0; c <= 4; c++) {
            int want = ((p == KP_PROTOCOL_CGGMP21 || p == KP_PROTOCOL_CGGMP24) &&
                        (c == KP_CURVE_SECP256K1 || c == KP_CURVE_STARK)) ||
                       (p == KP_PROTOCOL_FROST && c == KP_CURVE_ED25519) ||
                       (p == KP_PROTOCOL_FROST_BITCOIN && c == KP_CURVE_SECP256K1);
            kp_status st = kp_scheme_check((kp_protocol)p, (kp_curve)c);
            KPT_ST(st, want ? KP_OK : KP_ERR_SCHEME);
            if (!want) {
                const char *d = kp_error_detail();
                cr_assert_not_null(strstr(d, kp_scheme_list()), "detail must list the valid pairs: %s", d);
            }
        }
    const char *list = kp_scheme_list();
    static const char *pairs[] = {"CGGMP21/secp256k1", "CGGMP21/stark", "CGGMP24/secp256k1", "CGGMP24/stark",
                                  "FROST/ed25519", "FROST_BITCOIN/secp256k1"};
    for (size_t i = 0; i < 6; i++) cr_assert_not_null(strstr(list, pairs[i]), "%s missing from the list", pairs[i]);
}
