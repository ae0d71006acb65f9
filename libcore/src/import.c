/* import.c: the import flow (docs/wire.md §4): signers list, preparation, request parsing, signer side. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "share.h"
#include "wire.h"

/* An import plaintext holds n points of at most 162 JSON bytes each, and the scalar. */
#define MAX_IMPORT_CT_BYTES (256 + 170 * KP_MAX_SIGNERS + KP_ENVELOPE_OVERHEAD)

struct signer {
    char *id64;
    uint8_t id[KP_WIRE_SIGNER_ID_BUF];
    size_t idlen;
    uint8_t ek[33];
};

struct kp_signers {
    size_t n;
    struct signer *s;
};

static int signer_cmp(const void *a, const void *b)
{
    const struct signer *x = a, *y = b;
    return kp_wire_signer_id_cmp(x->id, x->idlen, y->id, y->idlen);
}

void kp_signers_free(kp_signers *s)
{
    if (s == NULL) return;
    for (size_t i = 0; i < s->n; i++) free(s->s[i].id64);
    free(s->s);
    free(s);
}

kp_status kp_signers_parse(const kp_ctx *ctx, kp_signers **out, const char *json, size_t len, const char *cluster_id)
{
    KP_ARG_CHECK(ctx, ctx != NULL && out != NULL && (json != NULL || len == 0));
    kp_json j;
    kp_status st;
    int clusters, cl = -1, arr;
    kp_signers *r = NULL;
    char path[96];
    *out = NULL;
    kp_clear_error();
    if ((st = kp_json_parse(&j, json, len, "the signers list")) != KP_OK) return st;
    if (j.tok[0].type != KP_J_OBJECT) {
        st = kp_fail(KP_ERR_FORMAT, "the signers list must be a JSON object with \"clusters\"");
        goto cleanup;
    }
    if ((st = kp_json_need(&j, 0, "clusters", KP_J_ARRAY, "clusters", &clusters)) != KP_OK) goto cleanup;
    if (j.tok[clusters].count == 0) {
        st = kp_fail(KP_ERR_NOT_FOUND, "the signers list has no clusters");
        goto cleanup;
    }
    size_t ci = 0;
    for (int c = kp_json_first(&j, clusters); c >= 0; c = kp_json_next(&j, clusters, c), ci++) {
        int idtok;
        char *id = NULL;
        snprintf(path, sizeof path, "clusters[%zu].clusterId", ci);
        if (j.tok[c].type != KP_J_OBJECT) {
            st = kp_fail(KP_ERR_FORMAT, "clusters[%zu] must be an object", ci);
            goto cleanup;
        }
        /* a clusterId is free text: it may hold escapes, so compare it decoded */
        if ((st = kp_json_need(&j, c, "clusterId", KP_J_STRING, path, &idtok)) != KP_OK ||
            (st = kp_json_strdup(&j, idtok, &id)) != KP_OK)
            goto cleanup;
        if (cluster_id != NULL && strcmp(cluster_id, id) == 0) cl = c;
        free(id);
    }
    if (cluster_id == NULL) {
        if (j.tok[clusters].count > 1) {
            st = kp_fail(KP_ERR_NOT_FOUND, "the signers list has %u clusters; choose one by its clusterId",
                         j.tok[clusters].count);
            goto cleanup;
        }
        cl = kp_json_first(&j, clusters);
    } else if (cl < 0) {
        st = kp_fail(KP_ERR_NOT_FOUND, "the signers list has no cluster \"%.64s\"", cluster_id);
        goto cleanup;
    }
    if ((st = kp_json_need(&j, cl, "signers", KP_J_ARRAY, "cluster.signers", &arr)) != KP_OK) goto cleanup;
    size_t n = j.tok[arr].count;
    if (n == 0 || n > KP_MAX_SIGNERS) {
        st = kp_fail(n ? KP_ERR_TOO_MANY : KP_ERR_FORMAT, "the cluster has %zu signers; 1 to %d are supported", n,
                     KP_MAX_SIGNERS);
        goto cleanup;
    }
    if ((r = calloc(1, sizeof *r)) == NULL || (r->s = calloc(n, sizeof *r->s)) == NULL) {
        st = kp_fail(KP_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    for (int t = kp_json_first(&j, arr); t >= 0; t = kp_json_next(&j, arr, t)) {
        struct signer *sg = &r->s[r->n];
        const char *s;
        size_t slen;
        if (j.tok[t].type != KP_J_OBJECT) {
            st = kp_fail(KP_ERR_FORMAT, "signers[%zu] must be an object", r->n);
            goto cleanup;
        }
        snprintf(path, sizeof path, "signers[%zu].signerId", r->n);
        if ((st = kp_wire_signer_id(&j, t, path, sg->id, &sg->idlen, &s, &slen)) != KP_OK) goto cleanup;
        if ((sg->id64 = strndup(s, slen)) == NULL) {
            st = kp_fail(KP_ERR_NOMEM, "out of memory");
            goto cleanup;
        }
        r->n++;
        snprintf(path, sizeof path, "signers[%zu].encryptionKey", r->n - 1);
        if ((st = kp_json_need_str(&j, t, "encryptionKey", path, &s, &slen)) != KP_OK) goto cleanup;
        if ((st = kp_encryption_key_decode(ctx, sg->ek, s, slen)) != KP_OK) {
            st = kp_fail(st, "%s (signer %s): %s", path, sg->id64, kp_error_detail());
            goto cleanup;
        }
    }
    qsort(r->s, r->n, sizeof *r->s, signer_cmp);
    for (size_t i = 1; i < r->n; i++) {
        if (signer_cmp(&r->s[i - 1], &r->s[i]) == 0) {
            st = kp_fail(KP_ERR_DUPLICATE, "signer %s appears twice in the signers list", r->s[i].id64);
            goto cleanup;
        }
    }
    for (size_t i = 0; i < r->n; i++)
        for (size_t m = 0; m < i; m++)
            if (memcmp(r->s[i].ek, r->s[m].ek, 33) == 0) {
                /* one key holder could then read two shares: refuse */
                st = kp_fail(KP_ERR_DUPLICATE, "signers %s and %s have the same encryptionKey", r->s[m].id64, r->s[i].id64);
                goto cleanup;
            }
    *out = r;
    r = NULL;
    st = KP_OK;
cleanup:
    kp_signers_free(r);
    kp_json_free(&j);
    return st;
}

size_t kp_signers_count(const kp_signers *s)
{
    return s->n;
}

const char *kp_signers_get(const kp_signers *s, size_t i, uint8_t encryption_key[33])
{
    if (i >= s->n) return NULL;
    if (encryption_key != NULL) memcpy(encryption_key, s->s[i].ek, 33);
    return s->s[i].id64;
}

kp_status kp_signers_write(kp_buf *out, const char *cluster_id, const kp_signer_info *signers, size_t n)
{
    KP_ARG_CHECK(NULL, out != NULL && cluster_id != NULL && (n == 0 || signers != NULL));
    kp_status st;
    char ek[49];
    if ((st = kp_buf_addstr(out, "{\"clusters\":[{\"clusterId\":")) != KP_OK ||
        (st = kp_buf_addjstr(out, cluster_id, strlen(cluster_id))) != KP_OK ||
        (st = kp_buf_addstr(out, ",\"signers\":[")) != KP_OK)
        return st;
    for (size_t i = 0; i < n; i++) {
        kp_encryption_key_encode(ek, signers[i].encryption_key);
        if ((st = kp_buf_addstr(out, i ? ",{\"signerId\":\"" : "{\"signerId\":\"")) != KP_OK ||
            (st = kp_buf_addb64(out, signers[i].signer_id, signers[i].signer_id_len, 0)) != KP_OK ||
            (st = kp_buf_addstr(out, "\",\"encryptionKey\":\"")) != KP_OK || (st = kp_buf_addstr(out, ek)) != KP_OK ||
            (st = kp_buf_addstr(out, "\"}")) != KP_OK)
            return st;
    }
    return kp_buf_addstr(out, "]}]}");
}

kp_status kp_import_prepare(const kp_ctx *ctx, kp_buf *out, const kp_signers *signers, kp_curve c, kp_protocol p,
                            unsigned min_signers, const char *name, const uint8_t secret[32])
{
    KP_ARG_CHECK(ctx, ctx != NULL && out != NULL && signers != NULL && secret != NULL);
    kp_status st;
    size_t n = signers->n;
    uint8_t shares[KP_MAX_SIGNERS][32]; /* short-lived secrets: on the stack, wiped at cleanup */
    kp_buf pubs, pt, ct;
    kp_point pub[KP_MAX_SIGNERS];
    size_t start = out->len;
    kp_clear_error();
    if ((st = kp_scheme_check(p, c)) != KP_OK) return st;
    if (min_signers < 2 || min_signers > n)
        return kp_fail(KP_ERR_THRESHOLD, "minSigners is %u, but it must be at least 2 and at most the %zu signers",
                       min_signers, n);
    if (kp_scalar_check(c, secret) != KP_OK)
        return kp_fail(KP_ERR_SCALAR, "the key is zero or not below the %s curve order", kp_curve_name(c));
    if (name != NULL && (st = kp_key_name_check(name, strlen(name))) != KP_OK) return st;
    kp_buf_init(&pubs, 0);
    kp_buf_init(&pt, 1);
    kp_buf_init(&ct, 0);
    if ((st = kp_share_split(ctx, shares, c, min_signers, (unsigned)n, secret)) != KP_OK) goto cleanup;
    /* public_shares[j] = x_j·G, the same array in every signer's plaintext: write it once. */
    if ((st = kp_public_shares(ctx, pub, c, (const uint8_t (*)[32])shares, min_signers, (unsigned)n)) != KP_OK ||
        (st = kp_buf_addstr(&pubs, "[")) != KP_OK)
        goto cleanup;
    for (size_t i = 0; i < n; i++) {
        if ((i && (st = kp_buf_addstr(&pubs, ",")) != KP_OK) || (st = kp_wire_point_write(ctx, &pubs, &pub[i])) != KP_OK)
            goto cleanup;
    }
    if ((st = kp_buf_addstr(&pubs, "]")) != KP_OK) goto cleanup;
    /* Size the secure plaintext buffer once: it would otherwise grow (reallocating) several times. */
    if (kp_buf_extend(&pt, pubs.len + 256) == NULL) {
        st = KP_ERR_NOMEM;
        goto cleanup;
    }
    if ((st = kp_buf_addstr(out, "{")) != KP_OK) goto cleanup;
    if (name != NULL && ((st = kp_buf_addstr(out, "\"name\":")) != KP_OK ||
                         (st = kp_buf_addjstr(out, name, strlen(name))) != KP_OK || (st = kp_buf_addstr(out, ",")) != KP_OK))
        goto cleanup;
    if ((st = kp_buf_addf(out, "\"curve\":\"%s\",\"protocol\":\"%s\",\"minSigners\":%u,\"encryptedKeyShares\":[",
                          kp_curve_name(c), kp_protocol_name(p), min_signers)) != KP_OK)
        goto cleanup;
    for (size_t i = 0; i < n; i++) {
        kp_buf_reset(&pt);
        kp_buf_reset(&ct);
        uint8_t *cbytes;
        if ((st = kp_wire_import_plaintext_write(&pt, c, shares[i], &pubs)) != KP_OK) goto cleanup;
        if ((cbytes = kp_buf_extend(&ct, pt.len + KP_ENVELOPE_OVERHEAD)) == NULL) {
            st = KP_ERR_NOMEM;
            goto cleanup;
        }
        if ((st = kp_envelope_seal(ctx, cbytes, signers->s[i].ek, pt.data, pt.len)) != KP_OK) goto cleanup;
        if ((st = kp_buf_addstr(out, i ? ",{\"signerId\":\"" : "{\"signerId\":\"")) != KP_OK ||
            (st = kp_buf_addstr(out, signers->s[i].id64)) != KP_OK ||
            (st = kp_buf_addstr(out, "\",\"encryptedKeyShare\":\"")) != KP_OK ||
            (st = kp_buf_addb64(out, ct.data, ct.len, 0)) != KP_OK || (st = kp_buf_addstr(out, "\"}")) != KP_OK)
            goto cleanup;
    }
    st = kp_buf_addstr(out, "]}");
cleanup:
    kp_memzero(shares, sizeof shares);
    kp_buf_release(&pubs);
    kp_buf_release(&pt);
    kp_buf_release(&ct);
    if (st != KP_OK) {
        /* leave out as it was: no half-written request */
        if (out->data != NULL) {
            kp_memzero(out->data + start, out->len - start);
            out->data[start] = 0;
        }
        out->len = start;
    }
    return st;
}

struct import_share {
    char *id64;
    uint8_t id[KP_WIRE_SIGNER_ID_BUF];
    size_t idlen;
    uint8_t *ct;
    size_t ctlen;
};

struct kp_import_request {
    kp_curve curve;
    kp_protocol protocol;
    unsigned min_signers;
    char *name;
    size_t n;
    struct import_share *s;
};

void kp_import_request_free(kp_import_request *r)
{
    if (r == NULL) return;
    for (size_t i = 0; i < r->n; i++) {
        free(r->s[i].id64);
        free(r->s[i].ct);
    }
    free(r->s);
    free(r->name);
    free(r);
}

kp_status kp_import_request_parse(kp_import_request **out, const char *json, size_t len)
{
    KP_ARG_CHECK(NULL, out != NULL && (json != NULL || len == 0));
    kp_json j;
    kp_status st;
    int arr, tok;
    char path[80];
    kp_import_request *r = NULL;
    *out = NULL;
    kp_clear_error();
    if ((st = kp_json_parse(&j, json, len, "the import request")) != KP_OK) return st;
    if (j.tok[0].type != KP_J_OBJECT) {
        st = kp_fail(KP_ERR_FORMAT, "the import request must be a JSON object");
        goto cleanup;
    }
    if ((r = calloc(1, sizeof *r)) == NULL) {
        st = kp_fail(KP_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    if ((tok = kp_json_get(&j, 0, "name")) >= 0) {
        if (j.tok[tok].type != KP_J_STRING || (st = kp_json_strdup(&j, tok, &r->name)) != KP_OK) {
            st = kp_fail(KP_ERR_FORMAT, "name must be a string of at most %d bytes", KP_KEY_NAME_MAX_BYTES);
            goto cleanup;
        }
        if ((st = kp_key_name_check(r->name, strlen(r->name))) != KP_OK) {
            st = kp_fail(st, "name: %s", kp_error_detail());
            goto cleanup;
        }
    }
    if ((st = kp_wire_scheme_read(&j, 0, &r->curve, &r->protocol)) != KP_OK) goto cleanup;
    if ((st = kp_json_need(&j, 0, "encryptedKeyShares", KP_J_ARRAY, "encryptedKeyShares", &arr)) != KP_OK) goto cleanup;
    size_t n = j.tok[arr].count;
    uint32_t t;
    if (n > KP_MAX_SIGNERS) {
        st = kp_fail(KP_ERR_TOO_MANY, "encryptedKeyShares has %zu entries; at most %d are supported", n, KP_MAX_SIGNERS);
        goto cleanup;
    }
    if ((st = kp_json_need_uint(&j, 0, "minSigners", 0, UINT32_MAX, "minSigners", &t)) != KP_OK) goto cleanup;
    if (t < 2 || t > n) {
        st = kp_fail(KP_ERR_THRESHOLD, "minSigners is %u, but it must be at least 2 and at most the %zu shares", t, n);
        goto cleanup;
    }
    r->min_signers = t;
    if ((r->s = calloc(n, sizeof *r->s)) == NULL) {
        st = kp_fail(KP_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    for (int e = kp_json_first(&j, arr); e >= 0; e = kp_json_next(&j, arr, e)) {
        struct import_share *sh = &r->s[r->n];
        const char *s;
        size_t slen;
        if (j.tok[e].type != KP_J_OBJECT) {
            st = kp_fail(KP_ERR_FORMAT, "encryptedKeyShares[%zu] must be an object", r->n);
            goto cleanup;
        }
        snprintf(path, sizeof path, "encryptedKeyShares[%zu].signerId", r->n);
        if ((st = kp_wire_signer_id(&j, e, path, sh->id, &sh->idlen, &s, &slen)) != KP_OK) goto cleanup;
        if ((sh->id64 = strndup(s, slen)) == NULL) {
            st = kp_fail(KP_ERR_NOMEM, "out of memory");
            goto cleanup;
        }
        r->n++;
        snprintf(path, sizeof path, "encryptedKeyShares[%zu].encryptedKeyShare", r->n - 1);
        if ((st = kp_json_need_str(&j, e, "encryptedKeyShare", path, &s, &slen)) != KP_OK) goto cleanup;
        if (slen > kp_b64_encoded_len(MAX_IMPORT_CT_BYTES) || (sh->ct = malloc(3 * (slen / 4) + 1)) == NULL ||
            kp_b64_decode(sh->ct, &sh->ctlen, s, slen) != KP_OK || sh->ctlen <= KP_ENVELOPE_OVERHEAD) {
            st = kp_fail(KP_ERR_BASE64, "%s is not canonical padded base64 of a ciphertext (at most %d bytes)", path,
                         MAX_IMPORT_CT_BYTES);
            goto cleanup;
        }
        if (r->n > 1) {
            int c = kp_wire_signer_id_cmp(r->s[r->n - 2].id, r->s[r->n - 2].idlen, sh->id, sh->idlen);
            if (c == 0) {
                st = kp_fail(KP_ERR_DUPLICATE, "signer %s appears twice in encryptedKeyShares", sh->id64);
                goto cleanup;
            }
            if (c > 0) {
                st = kp_fail(KP_ERR_FORMAT, "encryptedKeyShares must be sorted by decoded signerId (docs/wire.md §4); %s is out of order",
                             sh->id64);
                goto cleanup;
            }
        }
    }
    *out = r;
    r = NULL;
    st = KP_OK;
cleanup:
    kp_import_request_free(r);
    kp_json_free(&j);
    return st;
}

kp_curve kp_import_request_curve(const kp_import_request *r) { return r->curve; }
kp_protocol kp_import_request_protocol(const kp_import_request *r) { return r->protocol; }
unsigned kp_import_request_min_signers(const kp_import_request *r) { return r->min_signers; }
const char *kp_import_request_name(const kp_import_request *r) { return r->name; }
size_t kp_import_request_count(const kp_import_request *r) { return r->n; }

const char *kp_import_request_share(const kp_import_request *r, size_t i, const uint8_t **ct, size_t *ct_len)
{
    if (i >= r->n) return NULL;
    if (ct) *ct = r->s[i].ct;
    if (ct_len) *ct_len = r->s[i].ctlen;
    return r->s[i].id64;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

/* keyport.h kp_import_open_share_digest: what every signer must have checked alike */
static kp_status public_shares_digest(const kp_ctx *ctx, uint8_t digest[32], kp_curve c, unsigned t, unsigned n,
                                      const kp_point *pubs)
{
    static const char tag[] = "keyport public_shares v1";
    const kp_curve_ops *ops = kp_curve_ops_of(c);
    const char *name = kp_curve_name(c);
    uint8_t m[sizeof tag + 16 + 8 + KP_MAX_SIGNERS * KP_PUBKEY_MAX_BYTES];
    size_t len = 0, nlen = strlen(name);
    if (nlen > 15) return kp_fail(KP_ERR_INTERNAL, "curve name too long");
    memcpy(m, tag, sizeof tag); /* with its NUL */
    len = sizeof tag;
    memcpy(m + len, name, nlen + 1);
    len += nlen + 1;
    put_be32(m + len, t);
    put_be32(m + len + 4, n);
    len += 8;
    for (unsigned i = 0; i < n; i++) {
        ops->serialize(ctx, m + len, &pubs[i], 1);
        len += ops->pub_len;
    }
    kp_sha256(digest, m, len);
    return KP_OK;
}

kp_status kp_import_open_share(const kp_ctx *ctx, uint8_t share[32], uint8_t *pub, size_t *pub_len,
                               const uint8_t signer_secret[32], kp_curve c, unsigned index, unsigned n, unsigned t,
                               const uint8_t *ct, size_t ct_len)
{
    uint8_t digest[KP_PUBLIC_SHARES_DIGEST_BYTES];
    return kp_import_open_share_digest(ctx, share, pub, pub_len, digest, signer_secret, c, index, n, t, ct, ct_len);
}

kp_status kp_import_open_share_digest(const kp_ctx *ctx, uint8_t share[32], uint8_t *pub, size_t *pub_len,
                                      uint8_t digest[KP_PUBLIC_SHARES_DIGEST_BYTES], const uint8_t signer_secret[32],
                                      kp_curve c, unsigned index, unsigned n, unsigned t, const uint8_t *ct,
                                      size_t ct_len)
{
    KP_ARG_CHECK(ctx, ctx != NULL && share != NULL && pub != NULL && pub_len != NULL && digest != NULL &&
                          signer_secret != NULL && (ct != NULL || ct_len == 0));
    memset(digest, 0, KP_PUBLIC_SHARES_DIGEST_BYTES);
    const kp_curve_ops *ops = kp_curve_ops_of(c);
    uint8_t *pt = NULL;
    kp_point pubs[KP_MAX_SIGNERS], mine, group;
    kp_status st;
    memset(share, 0, 32);
    *pub_len = 0;
    kp_clear_error();
    if (ops == NULL) return KP_ERR_CURVE;
    if (n > KP_MAX_SIGNERS || t < 2 || t > n || index < 1 || index > n)
        return kp_fail(KP_ERR_THRESHOLD, "signer position %u, threshold %u of %u signers is out of range", index, t, n);
    if (ct_len <= KP_ENVELOPE_OVERHEAD || ct_len > MAX_IMPORT_CT_BYTES)
        return kp_fail(KP_ERR_DECRYPT, "the ciphertext does not decrypt with this key");
    if ((pt = kp_secure_alloc(ct_len)) == NULL) return kp_fail(KP_ERR_NOMEM, "out of memory");
    if ((st = kp_envelope_open(ctx, pt, signer_secret, ct, ct_len)) != KP_OK) goto cleanup;
    if ((st = kp_wire_import_plaintext_read(ctx, (const char *)pt, ct_len - KP_ENVELOPE_OVERHEAD, c, n, share, pubs)) != KP_OK)
        goto cleanup;
    /* The share must be this signer's point on the polynomial, and the points one polynomial. */
    if ((st = ops->base_mul(ctx, &mine, share)) != KP_OK || !kp_point_eq(ctx, &mine, &pubs[index - 1])) {
        st = kp_fail(KP_ERR_SHARE_MISMATCH, "secret_share does not match public_shares[%u] (this signer's position)",
                     index - 1);
        goto cleanup;
    }
    if ((st = kp_public_shares_check(ctx, &group, pubs, n, t)) != KP_OK) goto cleanup;
    if ((st = public_shares_digest(ctx, digest, c, t, n, pubs)) != KP_OK) goto cleanup;
    ops->serialize(ctx, pub, &group, 1);
    *pub_len = ops->pub_len;
cleanup:
    kp_secure_free(pt);
    if (st != KP_OK) {
        kp_memzero(share, 32);
        memset(digest, 0, KP_PUBLIC_SHARES_DIGEST_BYTES);
    }
    return st;
}
