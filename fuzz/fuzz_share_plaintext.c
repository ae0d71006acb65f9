/* Fuzz target: the share plaintexts inside the envelope (docs/wire.md §2), export and import forms.
 * The first byte picks the curve and, for import, the number of public shares. */
#include "fuzz_common.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    kp_curve c = (kp_curve)(1 + (data[0] & 3) % 3);
    size_t n = 2 + ((data[0] >> 2) & 7);
    uint8_t share[32];
    uint8_t index[32];
    kp_point pubs[KP_MAX_SIGNERS];
    const char *text = (const char *)data + 1;
    if (kp_wire_export_plaintext_read(text, size - 1, c, index, share) == KP_OK &&
        (kp_scalar_check(c, index) != KP_OK || kp_scalar_check(c, share) != KP_OK))
        abort();
    if (kp_wire_import_plaintext_read(fuzz_ctx(), text, size - 1, c, n, share, pubs) == KP_OK &&
        kp_scalar_check(c, share) != KP_OK)
        abort();
    return 0;
}
