/* Fuzz target: the POST /keys/import request parser. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kp_import_request *r = NULL;
    if (kp_import_request_parse(&r, (const char *)data, size) == KP_OK) {
        size_t n = kp_import_request_count(r);
        unsigned t = kp_import_request_min_signers(r);
        if (t < 2 || t > n || kp_scheme_check(kp_import_request_protocol(r), kp_import_request_curve(r)) != KP_OK)
            abort();
        for (size_t i = 0; i < n; i++) {
            const uint8_t *ct;
            size_t ctlen;
            if (kp_import_request_share(r, i, &ct, &ctlen) == NULL) abort();
        }
    }
    kp_import_request_free(r);
    return 0;
}
