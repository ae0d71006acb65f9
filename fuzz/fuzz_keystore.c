/* Fuzz target: Ethereum keystore v3 files (keystore.c), with the passphrase of the seed files.
 * The key derivation's work is bounded lower than the library's, so that each input runs fast;
 * every parse and check before and after it is the library's own. */
#include "fuzz_common.h"
#include "keyfmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kp_ctx *ctx = fuzz_ctx();
    uint8_t k[32];
    kp_status st = kp_keystore_decrypt_bounded(ctx, k, (const char *)data, size, "", 0, 1u << 12);
    if (st == KP_OK) {
        if (kp_scalar_check(KP_CURVE_SECP256K1, k) != KP_OK) abort();
    } else {
        for (int i = 0; i < 32; i++)
            if (k[i]) abort();
    }
    return 0;
}
