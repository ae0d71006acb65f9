/* Fuzz target: the approval bundle parser and verifier, against a fixed policy (the one the
 * seed corpus was signed under), with a nonce store. */
#include "fuzz_common.h"

static int seen(void *data, const uint8_t nonce[KP_APPROVAL_NONCE_BYTES])
{
    (void)data;
    return nonce[0] == 0xff; /* pretend some nonces were used */
}

static int remember(void *data, const uint8_t nonce[KP_APPROVAL_NONCE_BYTES], int64_t expires)
{
    (void)data;
    (void)nonce;
    (void)expires;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static kp_policy *policy;
    if (policy == NULL) {
        static const char text[] = FUZZ_POLICY_JSON;
        if (kp_policy_parse(&policy, text, sizeof text - 1) != KP_OK) abort();
    }
    kp_nonce_store store = {seen, remember, NULL};
    kp_approval_report *r = NULL;
    static const uint8_t request[] = FUZZ_REQUEST;
    for (int a = KP_ACTION_IMPORT; a <= KP_ACTION_ARCHIVE; a++) {
        kp_status st = kp_approvals_verify(fuzz_ctx(), &r, policy, (kp_action)a, a == KP_ACTION_IMPORT ? NULL : "key-1",
                                           request, sizeof request - 1, (const char *)data, size, FUZZ_NOW, &store);
        if (st == KP_OK) {
            if (kp_approval_report_counted(r) > kp_approval_report_count(r)) abort();
        } else if (r != NULL) {
            abort();
        }
        kp_approval_report_free(r);
        r = NULL;
    }
    return 0;
}
