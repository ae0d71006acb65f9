/* Fuzz target: BIP-39 mnemonics and derivation paths (bip39.c, bip32.c). The first byte splits the
 * input into a path and a mnemonic. A path that parses has at most 255 steps, each below 2^32; a
 * mnemonic that is accepted gives the same seed with its words re-spaced. */
#include "fuzz_common.h"
#include "keyfmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    size_t cut = data[0] < size - 1 ? data[0] : size - 1;
    char *path = malloc(cut + 1);
    if (path == NULL) return 0;
    memcpy(path, data + 1, cut);
    path[cut] = 0;
    uint32_t steps[KP_PATH_MAX_STEPS];
    size_t n;
    int pub_only;
    if (kp_path_parse(steps, KP_PATH_MAX_STEPS, &n, &pub_only, path) == KP_OK && (n > KP_PATH_MAX_STEPS || pub_only != (path[0] == 'M')))
        abort();
    free(path);
    const char *m = (const char *)data + 1 + cut;
    size_t len = size - 1 - cut;
    uint8_t seed[64], seed2[64];
    if (kp_bip39_seed(seed, m, len, "p", 1) == KP_OK) {
        char *spaced = malloc(len + 2);
        if (spaced == NULL) return 0;
        spaced[0] = '\n';
        memcpy(spaced + 1, m, len);
        spaced[len + 1] = ' ';
        if (kp_bip39_seed(seed2, spaced, len + 2, "p", 1) != KP_OK || memcmp(seed, seed2, 64) != 0) abort();
        free(spaced);
    }
    kp_bip39_nearest(m, len);
    return 0;
}
