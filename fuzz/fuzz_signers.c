/* Fuzz target: the GET /signers response parser. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kp_signers *s = NULL;
    if (kp_signers_parse(fuzz_ctx(), &s, (const char *)data, size, NULL) == KP_OK) {
        /* invariants: sorted, all entries reachable */
        size_t n = kp_signers_count(s);
        if (n == 0) abort();
        for (size_t i = 0; i < n; i++)
            if (kp_signers_get(s, i, NULL) == NULL) abort();
    }
    kp_signers_free(s);
    return 0;
}
