/* Fuzz target: the audit log reader (verification and the entry walk). */
#include "fuzz_common.h"

static int count(const kp_audit_entry *e, void *data)
{
    (void)e;
    (*(size_t *)data)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kp_audit_report r;
    size_t n = 0;
    kp_status st = kp_audit_verify(fuzz_ctx(), &r, (const char *)data, size, NULL, NULL);
    if ((st == KP_OK) != (r.problem == KP_AUDIT_OK)) abort();
    if (st == KP_OK && r.entries == 0) abort();
    kp_audit_entries((const char *)data, size, count, &n);
    if (st == KP_OK && n != r.entries) abort(); /* a verified log's entries are all readable */
    return 0;
}
