/* Fuzz target: the sealed export context file. The header parser sees every input; a full open
 * (Argon2id) runs only for the cheapest parameters the format allows, to keep executions fast. */
#include "fuzz_common.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t ops, mem_kib;
    uint8_t secret[32];
    if (kp_context_header_check(data, size, &ops, &mem_kib) == KP_OK && ops == 1 && mem_kib == 8 * 1024) {
        kp_status st = kp_context_open(fuzz_ctx(), secret, data, size, FUZZ_PASS, sizeof FUZZ_PASS - 1);
        if (st == KP_OK && kp_scalar_check(KP_CURVE_SECP256K1, secret) != KP_OK) abort();
        if (st != KP_OK)
            for (size_t i = 0; i < 32; i++)
                if (secret[i] != 0) abort(); /* outputs zeroed on failure */
    }
    return 0;
}
