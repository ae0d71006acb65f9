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
