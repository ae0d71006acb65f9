/* Fuzz target: bech32/bech32m and segwit addresses (bech32.c). A decoded string re-encodes to the
 * same string (in lower case); a decoded segwit address re-encodes to the same address. */
#include <ctype.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    char hrp[84];
    uint8_t d[90], prog[40];
    size_t n;
    kp_bech32_encoding enc;
    if (kp_bech32_decode(hrp, d, &n, &enc, s, size) == KP_OK) {
        kp_buf b;
        kp_buf_init(&b, 0);
        if (kp_bech32_encode(&b, hrp, d, n, enc) != KP_OK || b.len != size) abort();
        for (size_t i = 0; i < size; i++)
            if (b.data[i] != tolower((unsigned char)s[i])) abort();
        kp_buf_release(&b);
    }
    static const char *const hrps[] = {"bc", "tb"};
    for (int h = 0; h < 2; h++) {
        unsigned v;
        if (kp_segwit_address_decode(&v, prog, &n, hrps[h], s, size) != KP_OK) continue;
        kp_buf b;
        kp_buf_init(&b, 0);
        if (kp_segwit_address(&b, hrps[h], v, prog, n) != KP_OK || b.len != size) abort();
        for (size_t i = 0; i < size; i++)
            if (b.data[i] != tolower((unsigned char)s[i])) abort();
        kp_buf_release(&b);
    }
    return 0;
}
