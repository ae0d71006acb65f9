/* Fuzz target: the policy parser; an accepted policy must keep every rule and round-trip. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kp_policy *p = NULL;
    if (kp_policy_parse(&p, (const char *)data, size) == KP_OK) {
        size_t n = kp_policy_operator_count(p);
        kp_policy_member m[KP_MAX_SIGNERS];
        unsigned q[KP_ACTION_COUNT];
        for (size_t i = 0; i < n; i++) m[i].name = kp_policy_operator(p, i, m[i].public_key);
        for (int a = 0; a < KP_ACTION_COUNT; a++) {
            q[a] = kp_policy_quorum(p, (kp_action)(a + 1));
            if (q[a] < 1 || q[a] > n) abort();
        }
        kp_buf b;
        kp_buf_init(&b, 0);
        if (kp_policy_write(&b, kp_policy_id(p), m, n, q) != KP_OK) abort();
        kp_policy *again = NULL;
        if (kp_policy_parse(&again, (const char *)b.data, b.len) != KP_OK) abort();
        kp_policy_free(again);
        kp_buf_release(&b);
    }
    kp_policy_free(p);
    return 0;
}
