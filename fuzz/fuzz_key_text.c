/* Fuzz target: the key formats read from text (keyfmt.c, bip32.c): hex, RFC 8032 seed, WIF, xprv
 * and xpub (with a path), Solana keypair JSON and base58, Stark hex. The first byte picks the
 * format and a path. A key that is accepted is valid on its curve, writes out as hex (and WIF)
 * and reads back to itself. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const kp_key_format F[] = {KP_KEYFMT_HEX, KP_KEYFMT_ED25519_SEED, KP_KEYFMT_WIF, KP_KEYFMT_WIF_TESTNET,
                                      KP_KEYFMT_XPRV, KP_KEYFMT_XPUB, KP_KEYFMT_SOLANA_KEYPAIR, KP_KEYFMT_SOLANA_BASE58,
                                      KP_KEYFMT_STARK_HEX};
    static const char *const PATHS[] = {NULL, "m", "m/0", "0/1'", "m/44'/60'/0'/0/0", "m/2147483647'/1"};
    if (size < 1) return 0;
    kp_ctx *ctx = fuzz_ctx();
    kp_key_format f = F[(data[0] & 0x0f) % (sizeof F / sizeof F[0])];
    const char *path = (f == KP_KEYFMT_XPRV || f == KP_KEYFMT_XPUB) ? PATHS[(data[0] >> 4) % 6] : NULL;
    kp_curve want = f == KP_KEYFMT_HEX ? (kp_curve)(1 + (data[0] >> 4) % 3) : (kp_curve)0;
    kp_key_params p = {want, path, NULL, 0};
    kp_curve c;
    uint8_t k[32], k2[32], pub[KP_PUBKEY_MAX_BYTES];
    size_t pl;
    if (f == KP_KEYFMT_XPUB) {
        if (kp_key_public(ctx, &c, pub, &pl, f, &p, data + 1, size - 1) == KP_OK && pl != 33) abort();
        return 0;
    }
    if (kp_key_parse(ctx, &c, k, f, &p, data + 1, size - 1) != KP_OK) {
        for (int i = 0; i < 32; i++)
            if (k[i]) abort(); /* outputs zeroed on failure */
        return 0;
    }
    if (kp_scalar_check(c, k) != KP_OK || kp_public_key(ctx, pub, &pl, c, k) != KP_OK) abort();
    kp_buf b;
    kp_buf_init(&b, 1);
    kp_key_format out = (f == KP_KEYFMT_WIF || f == KP_KEYFMT_WIF_TESTNET) ? f : KP_KEYFMT_HEX;
    kp_key_params back = {c, NULL, NULL, 0};
    kp_curve c2;
    if (kp_key_write(ctx, &b, out, c, k, NULL, 0, KP_KDF_INTERACTIVE) != KP_OK ||
        kp_key_parse(ctx, &c2, k2, out, &back, b.data, b.len) != KP_OK || c2 != c || memcmp(k, k2, 32) != 0)
        abort();
    kp_buf_release(&b);
    return 0;
}
