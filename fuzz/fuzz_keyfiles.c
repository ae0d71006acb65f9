/* Fuzz target: the small key files: operator files and user action credentials. The first byte
 * picks the parser. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const char *text = (const char *)data + 1;
    if (data[0] & 1) {
        kp_operator *op = NULL;
        if (kp_operator_parse(&op, text, size - 1) == KP_OK) {
            uint8_t pk[32];
            char fp[KP_FINGERPRINT_LEN + 1];
            kp_operator_public_key(op, pk);
            if (kp_operator_is_unlocked(op) || kp_fingerprint(fp, pk) != KP_OK) abort();
        }
        kp_operator_free(op);
    } else {
        kp_credential *c = NULL;
        if (kp_credential_parse(&c, text, size - 1) == KP_OK) {
            /* an accepted credential signs, and its signature verifies */
            kp_buf sig, pub;
            kp_buf_init(&sig, 0);
            kp_buf_init(&pub, 0);
            if (kp_credential_sign(c, &sig, data, size) != KP_OK || kp_credential_public_hex(c, &pub) != KP_OK ||
                kp_credential_verify(kp_credential_alg(c), (const char *)pub.data, data, size, sig.data, sig.len) != KP_OK)
                abort();
            kp_buf_release(&sig);
            kp_buf_release(&pub);
        }
        kp_credential_free(c);
    }
    return 0;
}
