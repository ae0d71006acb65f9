/* status.c: status names and messages from the one table, and the per-thread detail message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

const char *kp_strerror(kp_status st)
{
    switch (st) {
#define KP_X_MSG(name, num, msg) case name: return msg;
        KP_STATUS_TABLE(KP_X_MSG)
#undef KP_X_MSG
    }
    return "unknown status";
}

const char *kp_status_name(kp_status st)
{
    switch (st) {
#define KP_X_NAME(name, num, msg) case name: return #name;
        KP_STATUS_TABLE(KP_X_NAME)
#undef KP_X_NAME
    }
    return NULL;
}

static _Thread_local char detail[1024];

const char *kp_error_detail(void)
{
    return detail;
}

void kp_clear_error(void)
{
    detail[0] = 0;
}

kp_status kp_fail(kp_status st, const char *fmt, ...)
{
    /* Format into a copy first: callers may pass kp_error_detail() itself as an argument, to
     * wrap the reason of a call that failed, and vsnprintf must not write over its own input. */
    char tmp[sizeof detail];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    memcpy(detail, tmp, sizeof detail);
    return st;
}

static void default_illegal(const char *msg, void *data)
{
    (void)data;
    fprintf(stderr, "libkeyport: illegal argument: %s\n", msg);
    abort();
}

kp_status kp_misuse(const kp_ctx *ctx, const char *what)
{
    kp_fail(KP_ERR_MISUSE, "libkeyport was called against its contract: %s", what);
    if (ctx != NULL && ctx->illegal != NULL)
        ctx->illegal(what, ctx->illegal_data);
    else
        default_illegal(what, NULL);
    return KP_ERR_MISUSE;
}

size_t kp_scalar_bytes(void) { return KP_SCALAR_BYTES; }
size_t kp_encryption_key_bytes(void) { return KP_ENCRYPTION_KEY_BYTES; }
size_t kp_envelope_overhead(void) { return KP_ENVELOPE_OVERHEAD; }
size_t kp_context_file_bytes(void) { return KP_CONTEXT_FILE_BYTES; }
size_t kp_max_input_bytes(void) { return KP_MAX_INPUT_BYTES; }
