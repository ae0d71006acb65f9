/*
 * bip39.c: BIP-39 mnemonics (English list) to seeds. NFKD by libunistring, PBKDF2-HMAC-SHA512
 * by OpenSSL. Words are looked up by comparing every entry of the list (no branch or index on
 * the word), and the checksum is compared in constant time; only a failure's message, which
 * names a position and suggests a word, is worked out in variable time.
 */
#include <errno.h>
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>
#include <uninorm.h>

#include "json.h"
#include "keyfmt.h"

#include "bip39_english.inc"

#define MAX_WORDS 24

/* NFKD of s into a new secure buffer (NUL-terminated). */
static kp_status nfkd(char **out, size_t *outlen, const char *s, size_t len, const char *what)
{
    size_t cap = 4 * len + 16, n = cap;
    char *buf = kp_secure_alloc(cap + 1);
    *out = NULL;
    *outlen = 0;
    if (buf == NULL) return kp_fail(KP_ERR_NOMEM, "out of memory");
    if (!kp_utf8_valid(s, len)) {
        kp_secure_free(buf);
        return kp_fail(KP_ERR_MNEMONIC, "the %s is not valid UTF-8", what);
    }
    if (len == 0) {
        buf[0] = 0;
        *out = buf;
        return KP_OK;
    }
    uint8_t *r = u8_normalize(UNINORM_NFKD, (const uint8_t *)s, len, (uint8_t *)buf, &n);
    if (r == NULL) {
        kp_secure_free(buf);
        if (errno == EILSEQ) return kp_fail(KP_ERR_MNEMONIC, "the %s is not valid UTF-8", what);
        return kp_fail(KP_ERR_NOMEM, "out of memory normalizing the %s", what);
    }
    if (r != (uint8_t *)buf) {
        /* It did not fit: libunistring allocated; move it to secure memory, then wipe its copy. */
        kp_secure_free(buf);
        buf = kp_secure_alloc(n + 1);
        if (buf != NULL) memcpy(buf, r, n);
        kp_memzero(r, n);
        free(r);
        if (buf == NULL) return kp_fail(KP_ERR_NOMEM, "out of memory");
    }
    buf[n] = 0;
    *out = buf;
    *outlen = n;
    return KP_OK;
}

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* The index of word w (len bytes) in the list, or -1: every entry compared, in constant time. */
static int word_index(const char *w, size_t len)
{
    uint8_t pad[8] = {0};
    uint32_t found = 0, idx = 0;
    uint32_t fits = (uint32_t)(len - 1) < 8; /* 1..8 bytes; the length is public */
    memcpy(pad, w, len < 8 ? len : 8);
    for (uint32_t i = 0; i < 2048; i++) {
        uint8_t d = 0;
        for (int k = 0; k < 8; k++) d |= (uint8_t)(pad[k] ^ (uint8_t)BIP39_WORDS[i][k]);
        uint32_t eq = (uint32_t)(((unsigned)d - 1) >> 8) & 1; /* 1 when d == 0 */
        found |= eq;
        idx |= -eq & i;
    }
    kp_memzero(pad, sizeof pad);
    return (found & fits) ? (int)idx : -1;
}

static size_t edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
    size_t row[17];
    if (la > 16) la = 16;
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = row[j];
            size_t best = prev + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best) best = row[j] + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            prev = cur;
        }
    }
    return row[lb];
}

const char *kp_bip39_word(size_t i)
{
    static _Thread_local char out[9];
    if (i >= 2048) return NULL;
    memcpy(out, BIP39_WORDS[i], 8);
    out[8] = 0;
    return out;
}

const char *kp_bip39_nearest(const char *word, size_t len)
{
    static _Thread_local char out[9];
    char w[17];
    size_t n = len > 16 ? 16 : len;
    for (size_t i = 0; i < n; i++) w[i] = (word[i] >= 'A' && word[i] <= 'Z') ? (char)(word[i] - 'A' + 'a') : word[i];
    size_t best = (size_t)-1, bi = 0;
    for (size_t i = 0; i < 2048; i++) {
        const char *c = BIP39_WORDS[i];
        size_t cl = strnlen(c, 8);
        /* BIP-39: the first four letters name a word; a typo after them still finds it. */
        size_t d = (n >= 4 && memcmp(w, c, 4) == 0) ? 0 : 1 + edit_distance(w, n, c, cl);
        if (d < best) {
            best = d;
            bi = i;
        }
    }
    memcpy(out, BIP39_WORDS[bi], 8);
    out[8] = 0;
    kp_memzero(w, sizeof w);
    return out;
}

kp_status kp_bip39_seed(uint8_t seed[64], const char *mnemonic, size_t len, const char *pass, size_t passlen)
{
    KP_ARG_CHECK(NULL, seed != NULL && (mnemonic != NULL || len == 0) && (pass != NULL || passlen == 0));
    char *norm = NULL, *npass = NULL, *sentence = NULL, *salt = NULL;
    size_t nlen = 0, plen = 0;
    uint16_t idx[MAX_WORDS];
    uint8_t bits[33], h[32];
    size_t starts[MAX_WORDS + 1], lens[MAX_WORDS + 1], nwords = 0;
    kp_status st;
    memset(seed, 0, 64);
    if ((st = nfkd(&norm, &nlen, mnemonic, len, "mnemonic")) != KP_OK) return st;
    for (size_t i = 0; i < nlen;) {
        while (i < nlen && is_space((unsigned char)norm[i])) i++;
        if (i >= nlen) break;
        size_t s = i;
        while (i < nlen && !is_space((unsigned char)norm[i])) i++;
        if (nwords <= MAX_WORDS) {
            starts[nwords] = s;
            lens[nwords] = i - s;
        }
        nwords++;
    }
    if (nwords == 0) {
        st = kp_fail(KP_ERR_EMPTY, "the mnemonic is empty");
        goto done;
    }
    if (nwords % 3 != 0 || nwords < 12 || nwords > 24) {
        st = kp_fail(KP_ERR_MNEMONIC, "the mnemonic has %zu words; a BIP-39 mnemonic has 12, 15, 18, 21 or 24", nwords);
        goto done;
    }
    for (size_t i = 0; i < nwords; i++) {
        int k = word_index(norm + starts[i], lens[i]);
        if (k < 0) {
            st = kp_fail(KP_ERR_MNEMONIC, "word %zu of %zu is not in the BIP-39 English word list; the nearest word is \"%s\"",
                         i + 1, nwords, kp_bip39_nearest(norm + starts[i], lens[i]));
            goto done;
        }
        idx[i] = (uint16_t)k;
    }
    /* 11 bits a word: ENT bits of entropy then CS = ENT/32 bits of SHA-256(entropy). */
    size_t total = 11 * nwords, cs = total / 33, ent = total - cs;
    memset(bits, 0, sizeof bits);
    for (size_t i = 0; i < nwords; i++)
        for (int b = 10; b >= 0; b--) {
            size_t pos = 11 * i + (size_t)(10 - b);
            bits[pos / 8] |= (uint8_t)(((idx[i] >> b) & 1) << (7 - pos % 8));
        }
    crypto_hash_sha256(h, bits, ent / 8);
    uint8_t want = (uint8_t)(h[0] >> (8 - cs)), got = (uint8_t)(bits[ent / 8] >> (8 - cs));
    if (((want ^ got) & 0xff) != 0) {
        st = kp_fail(KP_ERR_MNEMONIC,
                     "word %zu of %zu does not match the checksum of the words before it (BIP-39): a word is wrong, "
                     "or words are out of order",
                     nwords, nwords);
        goto done;
    }
    /* The sentence as BIP-39 hashes it: the words of the list joined by single spaces. */
    if ((sentence = kp_secure_alloc(9 * MAX_WORDS + 1)) == NULL || (st = nfkd(&npass, &plen, pass ? pass : "", passlen, "passphrase")) != KP_OK ||
        (salt = kp_secure_alloc(8 + plen + 1)) == NULL) {
        if (st == KP_OK) st = kp_fail(KP_ERR_NOMEM, "out of memory");
        goto done;
    }
    size_t sl = 0;
    for (size_t i = 0; i < nwords; i++) {
        size_t wl = strnlen(BIP39_WORDS[idx[i]], 8);
        if (i) sentence[sl++] = ' ';
        memcpy(sentence + sl, BIP39_WORDS[idx[i]], wl);
        sl += wl;
    }
    memcpy(salt, "mnemonic", 8);
    memcpy(salt + 8, npass, plen);
    if (PKCS5_PBKDF2_HMAC(sentence, (int)sl, (const unsigned char *)salt, (int)(8 + plen), 2048, EVP_sha512(), 64,
                          seed) != 1) {
        memset(seed, 0, 64);
        st = kp_fail(KP_ERR_INTERNAL, "OpenSSL PBKDF2 failed");
        goto done;
    }
    st = KP_OK;
done:
    kp_secure_free(norm);
    kp_secure_free(npass);
    kp_secure_free(sentence);
    kp_secure_free(salt);
    kp_memzero(idx, sizeof idx);
    kp_memzero(bits, sizeof bits);
    kp_memzero(h, sizeof h);
    kp_memzero(starts, sizeof starts);
    kp_memzero(lens, sizeof lens);
    return st;
}
