/* Fuzz target: base58 (base58.c). Whatever decodes re-encodes to the same text, and the exact-size
 * decoder agrees with the general one; bytes encode and decode back. */
#include "fuzz_common.h"
#include "keyfmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    uint8_t out[128], ex[128];
    size_t n;
    if (kp_base58_decode(out, sizeof out, &n, s, size) == KP_OK) {
        kp_buf b;
        kp_buf_init(&b, 0);
        if (kp_base58_encode(&b, out, n) != KP_OK || b.len != size || memcmp(b.data, s, size) != 0) abort();
        kp_buf_release(&b);
        if (n > 0 && (kp_base58_decode_exact(ex, n, s, size) != KP_OK || memcmp(ex, out, n) != 0)) abort();
        if (n + 1 <= sizeof ex && kp_base58_decode_exact(ex, n + 1, s, size) == KP_OK) abort();
    } else {
        static const size_t SIZES[] = {1, 20, 32, 33, 34, 37, 38, 64, 78, 82};
        for (size_t k = 0; k < sizeof SIZES / sizeof SIZES[0]; k++)
            if (kp_base58_decode_exact(ex, SIZES[k], s, size) == KP_OK) abort();
    }
    if (size <= 128) {
        kp_buf b;
        kp_buf_init(&b, 0);
        if (kp_base58_encode(&b, data, size) != KP_OK) abort();
        if (size > 0 && (kp_base58_decode(out, sizeof out, &n, (const char *)b.data, b.len) != KP_OK || n != size ||
                         memcmp(out, data, size) != 0))
            abort();
        kp_buf_release(&b);
    }
    return 0;
}
