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
        /* every named or grouped signer has a signerId, and the JSON form is written whole */
        for (size_t i = 0; i < kp_export_result_culprit_count(r); i++) {
            const char *id = kp_export_result_culprit(r, i, NULL, NULL);
            if (id == NULL || id[0] == 0) abort();
        }
        for (size_t g = 0; g < kp_export_result_group_count(r); g++) {
            const char *const *ids;
            size_t n = kp_export_result_group(r, g, &ids);
            if (n == 0 || ids == NULL) abort();
            for (size_t i = 0; i < n; i++)
                if (ids[i] == NULL || ids[i][0] == 0) abort();
        }
        kp_buf js;
        kp_buf_init(&js, 1);
        if (kp_export_result_json(&js, r) != KP_OK) abort();
        kp_buf_release(&js);
    } else if (r != NULL) {
        abort(); /* outputs are NULL on failure */
    }
    kp_export_result_free(r);
    return 0;
}
