/*
 * fuzz_common.h: shared set-up for the libFuzzer targets. Each target feeds its input to one
 * parser; the sanitizers and the parser's own invariants are the oracle. A fixed recipient
 * secret lets the seed corpus (made by fuzz-seeds) carry shares that really decrypt, so the
 * fuzzer starts inside the plaintext parsers instead of at the tag check.
 */
#ifndef KP_FUZZ_COMMON_H
#define KP_FUZZ_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keyport.h"

static const uint8_t FUZZ_SECRET[32] = {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                        0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                        0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11};
static const char FUZZ_PASS[] = "fuzz passphrase";

/* The policy the bundle target checks against: two operators whose keys come from the seeds
 * {0x01…} and {0x02…} (fuzz-seeds makes them with kp_operator-independent Ed25519 code, so the
 * seed bundle's approvals are real). */
#define FUZZ_OP1_PK "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c"
#define FUZZ_OP2_PK "8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394"
#define FUZZ_POLICY_JSON                                                                                      \
    "{\"version\":1,\"id\":\"fuzz\",\"operators\":[{\"name\":\"one\",\"publicKey\":\"" FUZZ_OP1_PK "\"},"             \
    "{\"name\":\"two\",\"publicKey\":\"" FUZZ_OP2_PK "\"}],\"quorum\":{\"import\":1,\"export\":2,\"archive\":2}}"
#define FUZZ_REQUEST "{\"encryptionKey\":\"fuzz\"}"
#define FUZZ_NOW 1800000000

static inline void fuzz_illegal(const char *msg, void *data)
{
    (void)msg;
    (void)data;
    abort(); /* the targets never break a contract; if one does, it is a finding */
}

static inline kp_ctx *fuzz_ctx(void)
{
    static kp_ctx *ctx;
    if (ctx == NULL) {
        if (kp_ctx_new(&ctx) != KP_OK) abort();
        kp_ctx_set_illegal_callback(ctx, fuzz_illegal, NULL);
    }
    return ctx;
}

#endif
