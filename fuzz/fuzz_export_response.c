/* Fuzz target: the export response parser and recovery (decrypt, parse shares, recombine). */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kp_export_result *r = NULL;
    kp_status st = kp_export_recover(fuzz_ctx(), &r, FUZZ_SECRET, (const char *)data, size);
    if (st == KP_OK) {
        /* a result is never returned unchecked: the key must give the response's publicKey */
        uint8_t key[32], pub[KP_PUBKEY_MAX_BYTES], want[KP_PUBKEY_MAX_BYTES];
        size_t len;
        kp_export_result_private_key(r, key);
        size_t wl = kp_export_result_public_key(r, want);
        if (kp_public_key(fuzz_ctx(), pub, &len, kp_export_result_curve(r), key) != KP_OK || len != wl ||
            memcmp(pub, want, len) != 0)
            abort();
    } else if (r != NULL) {
        abort(); /* outputs are NULL on failure */
    }
    kp_export_result_free(r);
    return 0;
}
