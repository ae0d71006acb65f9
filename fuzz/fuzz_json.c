/* Fuzz target: the strict JSON reader itself. */
#include "fuzz_common.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kp_json j;
    if (kp_json_parse(&j, (const char *)data, size, "input") == KP_OK) {
        /* every token's span lies inside the text and every subtree ends after it starts */
        for (size_t i = 0; i < j.ntok; i++) {
            if ((size_t)j.tok[i].start + j.tok[i].len > size || j.tok[i].next <= i || j.tok[i].next > j.ntok) abort();
            if (j.tok[i].type == KP_J_STRING && !j.tok[i].escaped) continue;
            if (j.tok[i].type == KP_J_STRING) {
                char *s;
                if (kp_json_strdup(&j, (int)i, &s) == KP_OK) free(s);
            }
        }
        kp_json_free(&j);
    }
    return 0;
}
