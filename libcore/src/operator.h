/* operator.h: what the approval and audit modules need of an operator. */
#ifndef KP_OPERATOR_H
#define KP_OPERATOR_H

#include "internal.h"

/* Signs m with an unlocked operator's key. Returns KP_OK or KP_ERR_LOCKED. */
kp_status kp_operator_sign(const kp_operator *op, uint8_t sig[64], const uint8_t *m, size_t len);
/* Checks a display name: 1..64 bytes of UTF-8 without control characters. what names it. */
kp_status kp_name_check(const char *name, size_t len, const char *what);

/* The index of the policy member whose key is pk, or -1 (policy.c). */
int kp_policy_find(const kp_policy *p, const uint8_t pk[32]);

#endif
