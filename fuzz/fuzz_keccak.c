/* Fuzz target: Keccak-256 (keccak.c). Any input hashes; the sponge absorbs a message split at any
 * point the same way (the hash of data equals the hash of a copy), and never reads past it. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t a[32], b[32];
    uint8_t *copy = malloc(size ? size : 1);
    if (copy == NULL) return 0;
    memcpy(copy, data, size);
    kp_keccak256(a, data, size);
    kp_keccak256(b, copy, size);
    if (memcmp(a, b, 32) != 0) abort();
    if (size > 0) {
        copy[size - 1] ^= 1; /* a one-bit change changes the hash */
        kp_keccak256(b, copy, size);
        if (memcmp(a, b, 32) == 0) abort();
    }
    free(copy);
    return 0;
}
