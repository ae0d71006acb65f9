/*
 * mem.c: secret memory and growable buffers.
 *
 * The secure allocator is libsodium's: guard pages, a canary, mlock and MADV_DONTDUMP.
 * A kp_buf is wiped on release and before growth moves it, so no stale copy of a secret
 * is left in freed memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

static _Atomic size_t unlocked_count;

void *kp_secure_alloc(size_t len)
{
    if (sodium_init() < 0) return NULL;
    if (len == 0) len = 1;
    void *p = sodium_malloc(len);
    if (p == NULL) return NULL;
    /* sodium_malloc locks its pages but goes on when mlock fails. Lock the caller's bytes again:
     * pages that are locked already cost nothing more, and a failure means they are not locked.
     * The system call itself, not mlock(): sanitizers replace mlock with a no-op that succeeds. */
    if (syscall(SYS_mlock, p, len) != 0) unlocked_count++;
    return p;
}

size_t kp_secure_unlocked_count(void)
{
    return unlocked_count;
}

void kp_secure_free(void *p)
{
    if (p != NULL) sodium_free(p); /* sodium_free wipes before unmapping */
}

void kp_memzero(void *p, size_t len)
{
    sodium_memzero(p, len);
}

int kp_memcmp_ct(const void *a, const void *b, size_t len)
{
    return sodium_memcmp(a, b, len);
}

void kp_buf_init(kp_buf *b, int secure)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->secure = secure != 0;
}

static void buf_free_mem(kp_buf *b)
{
    if (b->data == NULL) return;
    if (b->secure) {
        kp_secure_free(b->data);
    } else {
        sodium_memzero(b->data, b->cap);
        free(b->data);
    }
}

void kp_buf_release(kp_buf *b)
{
    buf_free_mem(b);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void kp_buf_reset(kp_buf *b)
{
    if (b->data != NULL) {
        sodium_memzero(b->data, b->len);
        b->data[0] = 0;
    }
    b->len = 0;
}

static kp_status buf_grow(kp_buf *b, size_t extra)
{
    if (extra > SIZE_MAX / 2 - b->len) return kp_fail(KP_ERR_NOMEM, "buffer size overflow");
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return KP_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap *= 2;
    uint8_t *p = b->secure ? kp_secure_alloc(cap) : malloc(cap);
    if (p == NULL) return kp_fail(KP_ERR_NOMEM, "out of memory (%zu bytes)", cap);
    if (b->data != NULL) memcpy(p, b->data, b->len);
    p[b->len] = 0;
    buf_free_mem(b);
    b->data = p;
    b->cap = cap;
    return KP_OK;
}

uint8_t *kp_buf_extend(kp_buf *b, size_t n)
{
    if (buf_grow(b, n) != KP_OK) return NULL;
    uint8_t *p = b->data + b->len;
    b->len += n;
    b->data[b->len] = 0;
    return p;
}

kp_status kp_buf_add(kp_buf *b, const void *p, size_t len)
{
    uint8_t *dst = kp_buf_extend(b, len);
    if (dst == NULL) return KP_ERR_NOMEM;
    if (len) memcpy(dst, p, len);
    return KP_OK;
}

kp_status kp_buf_addstr(kp_buf *b, const char *s)
{
    return kp_buf_add(b, s, strlen(s));
}

kp_status kp_buf_addf(kp_buf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) return kp_fail(KP_ERR_INTERNAL, "formatted text too long");
    return kp_buf_add(b, tmp, (size_t)n);
}

kp_status kp_buf_addhex(kp_buf *b, const uint8_t *p, size_t len)
{
    uint8_t *dst = kp_buf_extend(b, 2 * len);
    if (dst == NULL) return KP_ERR_NOMEM;
    kp_hex_encode((char *)dst, p, len); /* writes the NUL at data[len] too */
    return KP_OK;
}

kp_status kp_buf_addb64(kp_buf *b, const uint8_t *p, size_t len, int url)
{
    int variant = url ? sodium_base64_VARIANT_URLSAFE_NO_PADDING : sodium_base64_VARIANT_ORIGINAL;
    size_t enc = sodium_base64_ENCODED_LEN(len, variant); /* with the NUL */
    size_t start = b->len;
    uint8_t *dst = kp_buf_extend(b, enc - 1);
    if (dst == NULL) return KP_ERR_NOMEM;
    sodium_bin2base64((char *)dst, enc, p, len, variant);
    b->len = start + strlen((const char *)dst);
    return KP_OK;
}

kp_status kp_buf_addjstr(kp_buf *b, const char *s, size_t len)
{
    static const char hexd[] = "0123456789abcdef";
    kp_status st = kp_buf_add(b, "\"", 1);
    for (size_t i = 0; st == KP_OK && i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            st = kp_buf_add(b, e, 2);
        } else if (c < 0x20) {
            char e[6] = {'\\', 'u', '0', '0', hexd[c >> 4], hexd[c & 15]};
            st = kp_buf_add(b, e, 6);
        } else {
            st = kp_buf_add(b, &s[i], 1);
        }
    }
    if (st == KP_OK) st = kp_buf_add(b, "\"", 1);
    return st;
}
