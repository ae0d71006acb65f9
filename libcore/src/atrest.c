/* atrest.c: secrets sealed at rest (a signer's shares in its database). */
#include <sodium.h>

#include "internal.h"

kp_status kp_at_rest_seal(kp_buf *out, const uint8_t key[32], const uint8_t *ad, size_t adlen, const uint8_t *data,
                          size_t len)
{
    KP_ARG_CHECK(NULL, out != NULL && key != NULL && (ad != NULL || adlen == 0) && (data != NULL || len == 0));
    uint8_t *p = kp_buf_extend(out, len + KP_AT_REST_OVERHEAD);
    unsigned long long clen = 0;
    if (p == NULL) return KP_ERR_NOMEM;
    kp_random(p, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    crypto_aead_xchacha20poly1305_ietf_encrypt(p + 24, &clen, data, len, ad, adlen, NULL, p, key);
    KP_DECLASSIFY(p, len + KP_AT_REST_OVERHEAD); /* sealed data is public */
    return KP_OK;
}

kp_status kp_at_rest_open(uint8_t *data, const uint8_t key[32], const uint8_t *ad, size_t adlen, const uint8_t *sealed,
                          size_t len)
{
    KP_ARG_CHECK(NULL, key != NULL && (ad != NULL || adlen == 0) && (sealed != NULL || len == 0));
    unsigned long long mlen = 0;
    if (len < KP_AT_REST_OVERHEAD) return kp_fail(KP_ERR_DECRYPT, "the sealed data is truncated");
    KP_ARG_CHECK(NULL, data != NULL || len == KP_AT_REST_OVERHEAD);
    /* whether it opens is public: the caller is told */
    if (kp_public_bit(crypto_aead_xchacha20poly1305_ietf_decrypt(data, &mlen, NULL, sealed + 24, len - 24, ad, adlen,
                                                                 sealed, key) != 0)) {
        sodium_memzero(data, len - KP_AT_REST_OVERHEAD);
        return kp_fail(KP_ERR_DECRYPT, "the sealed data does not open: wrong storage key, or it was altered or moved");
    }
    return KP_OK;
}
