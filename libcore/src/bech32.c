/*
 * bech32.c: bech32 (BIP-173) and bech32m (BIP-350), and segwit addresses, written here because
 * none of the project's libraries has them. They only ever carry public data (addresses).
 * Follows the BIP reference code: the BCH checksum over the expanded human-readable part.
 */
#include <string.h>

#include "keyfmt.h"

static const char CHARSET[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint32_t polymod_step(uint32_t pre)
{
    uint32_t b = pre >> 25;
    return ((pre & 0x1FFFFFF) << 5) ^ (-((b >> 0) & 1) & 0x3b6a57b2UL) ^ (-((b >> 1) & 1) & 0x26508e6dUL) ^
           (-((b >> 2) & 1) & 0x1ea119faUL) ^ (-((b >> 3) & 1) & 0x3d4233ddUL) ^ (-((b >> 4) & 1) & 0x2a1462b3UL);
}

static uint32_t encoding_const(kp_bech32_encoding enc)
{
    return enc == KP_BECH32M ? 0x2bc830a3 : 1;
}

static int charset_rev(char c)
{
    const char *p = c ? strchr(CHARSET, c) : NULL;
    return p ? (int)(p - CHARSET) : -1;
}

kp_status kp_bech32_encode(kp_buf *out, const char *hrp, const uint8_t *data5, size_t len, kp_bech32_encoding enc)
{
    KP_ARG_CHECK(NULL, out != NULL && hrp != NULL && (data5 != NULL || len == 0));
    size_t hlen = strlen(hrp);
    if (hlen < 1 || hlen + 7 + len > 90) return kp_fail(KP_ERR_BECH32, "a bech32 string is at most 90 characters");
    uint32_t chk = 1;
    for (size_t i = 0; i < hlen; i++) {
        unsigned char c = (unsigned char)hrp[i];
        if (c < 33 || c > 126 || (c >= 'A' && c <= 'Z'))
            return kp_fail(KP_ERR_BECH32, "the human-readable part must be lower-case printable ASCII");
        chk = polymod_step(chk) ^ (c >> 5);
    }
    chk = polymod_step(chk);
    for (size_t i = 0; i < hlen; i++) chk = polymod_step(chk) ^ ((unsigned char)hrp[i] & 0x1f);
    char s[91];
    size_t n = 0;
    memcpy(s, hrp, hlen);
    n = hlen;
    s[n++] = '1';
    for (size_t i = 0; i < len; i++) {
        if (data5[i] >> 5) return kp_fail(KP_ERR_BECH32, "a bech32 data value is above 31");
        chk = polymod_step(chk) ^ data5[i];
        s[n++] = CHARSET[data5[i]];
    }
    for (int i = 0; i < 6; i++) chk = polymod_step(chk);
    chk ^= encoding_const(enc);
    for (int i = 0; i < 6; i++) s[n++] = CHARSET[(chk >> ((5 - i) * 5)) & 0x1f];
    return kp_buf_add(out, s, n);
}

static kp_status bech32_decode(char hrp[84], uint8_t data5[90], size_t *len, kp_bech32_encoding *enc, const char *s,
                               size_t slen);

kp_status kp_bech32_decode(char hrp[84], uint8_t data5[90], size_t *len, kp_bech32_encoding *enc, const char *s,
                           size_t slen)
{
    KP_ARG_CHECK(NULL, hrp != NULL && data5 != NULL && len != NULL && enc != NULL && (s != NULL || slen == 0));
    kp_status st = bech32_decode(hrp, data5, len, enc, s, slen);
    if (st != KP_OK) {
        memset(hrp, 0, 84);
        memset(data5, 0, 90);
        *len = 0;
    }
    return st;
}

static kp_status bech32_decode(char hrp[84], uint8_t data5[90], size_t *len, kp_bech32_encoding *enc, const char *s,
                               size_t slen)
{
    int lower = 0, upper = 0;
    *len = 0;
    hrp[0] = 0;
    if (slen < 8 || slen > 90) return kp_fail(KP_ERR_BECH32, "a bech32 string has 8 to 90 characters, not %zu", slen);
    size_t sep = slen;
    for (size_t i = 0; i < slen; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 33 || c > 126) return kp_fail(KP_ERR_BECH32, "character %zu is outside printable ASCII", i + 1);
        lower |= c >= 'a' && c <= 'z';
        upper |= c >= 'A' && c <= 'Z';
        if (c == '1') sep = i;
    }
    if (lower && upper) return kp_fail(KP_ERR_BECH32, "a bech32 string is all lower case or all upper case, not mixed");
    if (sep == slen || sep == 0 || sep + 7 > slen)
        return kp_fail(KP_ERR_BECH32, "the separator '1' must follow a non-empty human-readable part and precede 6 checksum characters");
    uint32_t chk = 1;
    for (size_t i = 0; i < sep; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 'A' && c <= 'Z') c = (unsigned char)(c - 'A' + 'a');
        hrp[i] = (char)c;
        chk = polymod_step(chk) ^ (c >> 5);
    }
    hrp[sep] = 0;
    chk = polymod_step(chk);
    for (size_t i = 0; i < sep; i++) chk = polymod_step(chk) ^ ((unsigned char)hrp[i] & 0x1f);
    for (size_t i = sep + 1; i < slen; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        int v = charset_rev(c);
        if (v < 0) {
            hrp[0] = 0;
            return kp_fail(KP_ERR_BECH32, "character %zu ('%c') is not in the bech32 alphabet", i + 1, s[i]);
        }
        chk = polymod_step(chk) ^ (uint32_t)v;
        if (i + 6 < slen) data5[i - sep - 1] = (uint8_t)v;
    }
    if (chk == 1) *enc = KP_BECH32;
    else if (chk == 0x2bc830a3) *enc = KP_BECH32M;
    else {
        hrp[0] = 0;
        return kp_fail(KP_ERR_CHECKSUM, "the bech32 checksum does not match: a character is mistyped");
    }
    *len = slen - sep - 7;
    return KP_OK;
}

/* Regroups bits (BIP-173 convertbits). pad: 8→5 pads with zeros; 5→8 refuses more than 4 padding bits or non-zero ones. */
static int convert_bits(uint8_t *out, size_t *outlen, size_t cap, int outbits, const uint8_t *in, size_t inlen, int inbits,
                        int pad)
{
    uint32_t val = 0, maxv = (1u << outbits) - 1;
    int bits = 0;
    *outlen = 0;
    for (size_t i = 0; i < inlen; i++) {
        val = (val << inbits) | in[i];
        bits += inbits;
        while (bits >= outbits) {
            bits -= outbits;
            if (*outlen >= cap) return 0;
            out[(*outlen)++] = (uint8_t)((val >> bits) & maxv);
        }
    }
    if (pad) {
        if (bits) {
            if (*outlen >= cap) return 0;
            out[(*outlen)++] = (uint8_t)((val << (outbits - bits)) & maxv);
        }
    } else if (bits >= inbits || ((val << (outbits - bits)) & maxv)) {
        return 0;
    }
    return 1;
}

kp_status kp_segwit_address(kp_buf *out, const char *hrp, unsigned version, const uint8_t *program, size_t len)
{
    KP_ARG_CHECK(NULL, out != NULL && hrp != NULL && program != NULL);
    uint8_t d[1 + 65];
    size_t n;
    if (version > 16 || len < 2 || len > 40 || (version == 0 && len != 20 && len != 32))
        return kp_fail(KP_ERR_BECH32, "no segwit version %u program of %zu bytes exists", version, len);
    d[0] = (uint8_t)version;
    if (!convert_bits(d + 1, &n, sizeof d - 1, 5, program, len, 8, 1)) return kp_fail(KP_ERR_INTERNAL, "bech32 regrouping");
    return kp_bech32_encode(out, hrp, d, n + 1, version == 0 ? KP_BECH32 : KP_BECH32M);
}

kp_status kp_segwit_address_decode(unsigned *version, uint8_t program[40], size_t *len, const char *hrp, const char *s,
                                   size_t slen)
{
    KP_ARG_CHECK(NULL, version != NULL && program != NULL && len != NULL && hrp != NULL && (s != NULL || slen == 0));
    char h[84];
    uint8_t d[90];
    size_t dlen;
    kp_bech32_encoding enc;
    *len = 0;
    *version = 0;
    kp_status st = kp_bech32_decode(h, d, &dlen, &enc, s, slen);
    if (st != KP_OK) return st;
    if (strcmp(h, hrp) != 0) return kp_fail(KP_ERR_BECH32, "the address is for \"%s\", not \"%s\"", h, hrp);
    if (dlen < 1 || d[0] > 16) return kp_fail(KP_ERR_BECH32, "no witness version, or one above 16");
    if ((d[0] == 0) != (enc == KP_BECH32))
        return kp_fail(KP_ERR_CHECKSUM, "witness version %u needs a %s checksum (BIP-350)", d[0], d[0] == 0 ? "bech32" : "bech32m");
    if (!convert_bits(program, len, 40, 8, d + 1, dlen - 1, 5, 0) || *len < 2 || *len > 40 ||
        (d[0] == 0 && *len != 20 && *len != 32)) {
        *len = 0;
        memset(program, 0, 40);
        return kp_fail(KP_ERR_BECH32, "not a valid witness program for version %u", d[0]);
    }
    *version = d[0];
    return KP_OK;
}
