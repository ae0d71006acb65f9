/* export.c: the export flow (WIRE.md §3): request, signer-side sealing, response, recovery. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "share.h"
#include "wire.h"

#define MAX_SHARE_CT_BYTES 4096

struct culprit {
    char *signer_id;
    kp_status why;
    char *reason;
};

struct kp_export_result {
    kp_curve curve;
    kp_protocol protocol;
    uint8_t pub[KP_PUBKEY_MAX_BYTES];
    size_t pub_len;
    unsigned min_signers;
    uint8_t *key; /* 32 bytes, secure allocator */
    struct culprit *culprits;
    size_t nculprits;
};

kp_status kp_export_request_write(kp_buf *out, const uint8_t encryption_key[33], int delete_flag)
{
    KP_ARG_CHECK(NULL, out != NULL && encryption_key != NULL && delete_flag >= -1 && delete_flag <= 1);
    char ek[49];
    kp_status st;
    kp_encryption_key_encode(ek, encryption_key);
    if ((st = kp_buf_addstr(out, "{\"encryptionKey\":\"")) != KP_OK || (st = kp_buf_addstr(out, ek)) != KP_OK ||
        (st = kp_buf_addstr(out, "\",\"supportedSchemes\":["
                                 "{\"protocol\":\"CGGMP21\",\"curve\":\"secp256k1\"},"
                                 "{\"protocol\":\"CGGMP21\",\"curve\":\"stark\"},"
                                 "{\"protocol\":\"FROST\",\"curve\":\"ed25519\"},"
                                 "{\"protocol\":\"FROST_BITCOIN\",\"curve\":\"secp256k1\"}]")) != KP_OK)
        return st;
    if (delete_flag >= 0 && (st = kp_buf_addstr(out, delete_flag ? ",\"delete\":true" : ",\"delete\":false")) != KP_OK)
        return st;
    return kp_buf_addstr(out, "}");
}

kp_status kp_export_seal_share(const kp_ctx *ctx, kp_buf *out, const uint8_t encryption_key[33], kp_curve c,
                               uint32_t index, const uint8_t share[32])
{
    KP_ARG_CHECK(ctx, ctx != NULL && out != NULL && encryption_key != NULL && share != NULL);
    kp_buf pt;
    kp_status st;
    if (kp_curve_ops_of(c) == NULL) return KP_ERR_CURVE;
    if (index == 0) return kp_fail(KP_ERR_FORMAT, "a share index must not be 0");
    if ((st = kp_scalar_check(c, share)) != KP_OK) return st;
    kp_buf_init(&pt, 1);
    size_t start = out->len;
    if ((st = kp_wire_export_plaintext_write(&pt, c, index, share)) == KP_OK) {
        uint8_t *ct = kp_buf_extend(out, pt.len + KP_ENVELOPE_OVERHEAD);
        st = ct == NULL ? KP_ERR_NOMEM : kp_envelope_seal(ctx, ct, encryption_key, pt.data, pt.len);
        if (st != KP_OK && ct != NULL) out->len = start;
    }
    kp_buf_release(&pt);
    return st;
}

kp_status kp_export_response_write(kp_buf *out, kp_curve c, kp_protocol p, const uint8_t *pub, size_t pub_len,
                                   unsigned min_signers, const kp_signer_share *shares, size_t nshares)
{
    KP_ARG_CHECK(NULL, out != NULL && pub != NULL && (shares != NULL || nshares == 0));
    kp_status st;
    if ((st = kp_scheme_check(p, c)) != KP_OK) return st;
    if ((st = kp_buf_addstr(out, "{\"publicKey\":\"")) != KP_OK || (st = kp_buf_addhex(out, pub, pub_len)) != KP_OK ||
        (st = kp_buf_addf(out, "\",\"minSigners\":%u,\"curve\":\"%s\",\"protocol\":\"%s\",\"encryptedKeyShares\":[",
                          min_signers, kp_curve_name(c), kp_protocol_name(p))) != KP_OK)
        return st;
    for (size_t i = 0; i < nshares; i++) {
        if ((st = kp_buf_addstr(out, i ? ",{\"signerId\":\"" : "{\"signerId\":\"")) != KP_OK ||
            (st = kp_buf_addb64(out, shares[i].signer_id, shares[i].signer_id_len, 0)) != KP_OK ||
            (st = kp_buf_addstr(out, "\",\"encryptedKeyShare\":\"")) != KP_OK ||
            (st = kp_buf_addb64(out, shares[i].ciphertext, shares[i].ciphertext_len, 0)) != KP_OK ||
            (st = kp_buf_addstr(out, "\"}")) != KP_OK)
            return st;
    }
    return kp_buf_addstr(out, "]}");
}

void kp_export_result_free(kp_export_result *r)
{
    if (r == NULL) return;
    kp_secure_free(r->key);
    for (size_t i = 0; i < r->nculprits; i++) {
        free(r->culprits[i].signer_id);
        free(r->culprits[i].reason);
    }
    free(r->culprits);
    free(r);
}

static kp_status add_culprit(kp_export_result *r, const char *id, size_t idlen, kp_status why, const char *reason)
{
    struct culprit *c = &r->culprits[r->nculprits];
    c->signer_id = strndup(id, idlen);
    c->reason = strdup(reason);
    c->why = why;
    if (c->signer_id == NULL || c->reason == NULL) {
        free(c->signer_id);
        free(c->reason);
        return kp_fail(KP_ERR_NOMEM, "out of memory");
    }
    r->nculprits++;
    return KP_OK;
}

/* One parsed entry of encryptedKeyShares. */
struct entry {
    const char *id; /* base64 text in the response */
    size_t idlen;
    uint8_t idbytes[KP_WIRE_SIGNER_ID_BUF];
    size_t idbytes_len;
    const char *ct64;
    size_t ct64len;
};

/* Appends "signer X (reason); signer Y (reason)" for the culprits to a message. */
static void culprit_list(char *msg, size_t cap, const kp_export_result *r)
{
    size_t used = strlen(msg);
    for (size_t i = 0; i < r->nculprits && used + 1 < cap; i++) {
        int n = snprintf(msg + used, cap - used, "%ssigner %s %s", i ? "; " : "", r->culprits[i].signer_id,
                         r->culprits[i].reason);
        if (n < 0) break;
        used += (size_t)n < cap - used ? (size_t)n : cap - used - 1;
    }
}

kp_status kp_export_recover(const kp_ctx *ctx, kp_export_result **out, const uint8_t context_secret[32],
                            const char *response, size_t len)
{
    KP_ARG_CHECK(ctx, ctx != NULL && out != NULL && context_secret != NULL && (response != NULL || len == 0));
    kp_json j;
    kp_status st;
    int arr;
    const char *s;
    size_t slen;
    uint32_t min_signers;
    struct entry *e = NULL;
    uint8_t shares[KP_MAX_SIGNERS][32]; /* short-lived secrets: on the stack, wiped at cleanup */
    uint8_t pt[MAX_SHARE_CT_BYTES];
    uint8_t *ct = NULL;
    uint32_t idx[KP_MAX_SIGNERS];
    size_t pos[KP_MAX_SIGNERS], k = 0;
    uint8_t good[KP_MAX_SIGNERS];
    kp_point pub;
    kp_export_result *r = NULL;
    char msg[900];

    *out = NULL;
    kp_clear_error();
    if ((st = kp_json_parse(&j, response, len, "the export response")) != KP_OK) return st;
    if (j.tok[0].type != KP_J_OBJECT) {
        st = kp_fail(KP_ERR_FORMAT, "the export response must be a JSON object");
        goto cleanup;
    }
    if ((r = calloc(1, sizeof *r)) == NULL) {
        st = kp_fail(KP_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    if ((st = kp_wire_scheme_read(&j, 0, &r->curve, &r->protocol)) != KP_OK) goto cleanup;
    const kp_curve_ops *ops = kp_curve_ops_of(r->curve);
    if ((st = kp_json_need_str(&j, 0, "publicKey", "publicKey", &s, &slen)) != KP_OK) goto cleanup;
    if (kp_hex_decode_exact(r->pub, ops->pub_len, s, slen) != KP_OK) {
        st = kp_fail(KP_ERR_HEX, "publicKey must be %zu hex digits for %s", 2 * ops->pub_len, ops->name);
        goto cleanup;
    }
    r->pub_len = ops->pub_len;
    /* The full decoding (a square root for the compressed forms, a subgroup check for ed25519)
     * is left to the failure path: recovery compares encodings, and a match proves validity. */
    if (ops->pub_len == 33 && r->pub[0] != 2 && r->pub[0] != 3) {
        st = kp_fail(KP_ERR_POINT, "publicKey must be a compressed %s point (prefix 02 or 03)", ops->name);
        goto cleanup;
    }
    if ((st = kp_json_need(&j, 0, "encryptedKeyShares", KP_J_ARRAY, "encryptedKeyShares", &arr)) != KP_OK) goto cleanup;
    size_t n = j.tok[arr].count;
    if (n > KP_MAX_SIGNERS) {
        st = kp_fail(KP_ERR_TOO_MANY, "encryptedKeyShares has %zu entries; at most %d are supported", n, KP_MAX_SIGNERS);
        goto cleanup;
    }
    if ((st = kp_json_need_uint(&j, 0, "minSigners", 0, UINT32_MAX, "minSigners", &min_signers)) != KP_OK) goto cleanup;
    if (min_signers < 2 || min_signers > n) {
        st = kp_fail(KP_ERR_THRESHOLD, "minSigners is %u, but it must be at least 2 and at most the %zu shares given",
                     min_signers, n);
        goto cleanup;
    }
    r->min_signers = min_signers;
    e = calloc(n, sizeof *e);
    r->culprits = calloc(n, sizeof *r->culprits);
    if (e == NULL || r->culprits == NULL || (r->key = kp_secure_alloc(32)) == NULL) {
        st = kp_fail(KP_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    /* Pass 1: the structure of every entry, and signerIds unique. */
    size_t i = 0;
    for (int t = kp_json_first(&j, arr); t >= 0; t = kp_json_next(&j, arr, t), i++) {
        char path[64];
        snprintf(path, sizeof path, "encryptedKeyShares[%zu].signerId", i);
        if (j.tok[t].type != KP_J_OBJECT) {
            st = kp_fail(KP_ERR_FORMAT, "encryptedKeyShares[%zu] must be an object", i);
            goto cleanup;
        }
        if ((st = kp_wire_signer_id(&j, t, path, e[i].idbytes, &e[i].idbytes_len, &e[i].id, &e[i].idlen)) != KP_OK)
            goto cleanup;
        for (size_t m = 0; m < i; m++)
            if (e[m].idbytes_len == e[i].idbytes_len && memcmp(e[m].idbytes, e[i].idbytes, e[i].idbytes_len) == 0) {
                st = kp_fail(KP_ERR_DUPLICATE, "signer %.*s appears twice in encryptedKeyShares (entries %zu and %zu)",
                             (int)e[i].idlen, e[i].id, m, i);
                goto cleanup;
            }
        snprintf(path, sizeof path, "encryptedKeyShares[%zu].encryptedKeyShare", i);
        if ((st = kp_json_need_str(&j, t, "encryptedKeyShare", path, &e[i].ct64, &e[i].ct64len)) != KP_OK) goto cleanup;
    }
    /* Pass 2: decrypt and parse each share; a share that fails is its signer's fault, not fatal. */
    size_t ctcap = 3 * (kp_b64_encoded_len(MAX_SHARE_CT_BYTES) / 4);
    if ((ct = malloc(ctcap)) == NULL) {
        st = kp_fail(KP_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    for (i = 0; i < n; i++) {
        size_t ctlen = 0;
        if (e[i].ct64len > kp_b64_encoded_len(MAX_SHARE_CT_BYTES) ||
            kp_b64_decode(ct, &ctlen, e[i].ct64, e[i].ct64len) != KP_OK) {
            if ((st = add_culprit(r, e[i].id, e[i].idlen, KP_ERR_BASE64, "sent an encryptedKeyShare that is not base64")) != KP_OK)
                goto cleanup;
            continue;
        }
        if (ctlen > sizeof pt + KP_ENVELOPE_OVERHEAD || kp_envelope_open(ctx, pt, context_secret, ct, ctlen) != KP_OK) {
            if ((st = add_culprit(r, e[i].id, e[i].idlen, KP_ERR_DECRYPT,
                                  "sent a share that does not decrypt with this export context")) != KP_OK)
                goto cleanup;
            continue;
        }
        kp_status ps = kp_wire_export_plaintext_read((const char *)pt, ctlen - KP_ENVELOPE_OVERHEAD, r->curve, &idx[k], shares[k]);
        kp_memzero(pt, ctlen - KP_ENVELOPE_OVERHEAD);
        if (ps != KP_OK) {
            snprintf(msg, sizeof msg, "sent a share that is not valid: %s", kp_error_detail());
            if ((st = add_culprit(r, e[i].id, e[i].idlen, ps, msg)) != KP_OK) goto cleanup;
            continue;
        }
        for (size_t m = 0; m < k; m++)
            if (idx[m] == idx[k]) {
                st = kp_fail(KP_ERR_DUPLICATE, "signers %.*s and %.*s both sent a share with index %u", (int)e[pos[m]].idlen,
                             e[pos[m]].id, (int)e[i].idlen, e[i].id, idx[k]);
                goto cleanup;
            }
        pos[k++] = i;
    }
    if (k < min_signers) {
        snprintf(msg, sizeof msg, "cannot recover the key: %zu good shares, %u needed; ", k, min_signers);
        culprit_list(msg, sizeof msg, r);
        st = kp_fail(KP_ERR_NOT_ENOUGH, "%s", msg);
        goto cleanup;
    }
    /* Pass 3: robust recovery; whoever is off the polynomial that matches publicKey is named. */
    if (kp_share_recover(ctx, r->key, good, r->curve, min_signers, idx, (const uint8_t(*)[32])shares, k, r->pub,
                         r->pub_len) != KP_OK) {
        if (ops->parse(ctx, &pub, r->pub, r->pub_len) != KP_OK) {
            st = kp_fail(KP_ERR_POINT, "publicKey is not a valid %s point (or is the identity)", ops->name);
            goto cleanup;
        }
        snprintf(msg, sizeof msg,
                 "cannot recover the key: no %u of the %zu decrypted shares (from signers ", min_signers, k);
        for (size_t m = 0; m < k; m++) {
            size_t used = strlen(msg);
            snprintf(msg + used, sizeof msg - used, "%s%.*s", m ? ", " : "", (int)e[pos[m]].idlen, e[pos[m]].id);
        }
        size_t used = strlen(msg);
        snprintf(msg + used, sizeof msg - used, ") lie on a polynomial that matches publicKey%s", r->nculprits ? "; also " : "");
        culprit_list(msg, sizeof msg, r);
        st = kp_fail(KP_ERR_NOT_ENOUGH, "%s", msg);
        goto cleanup;
    }
    for (size_t m = 0; m < k; m++)
        if (!good[m] &&
            (st = add_culprit(r, e[pos[m]].id, e[pos[m]].idlen, KP_ERR_SHARE_MISMATCH,
                              "sent a share that is not on the polynomial that matches publicKey")) != KP_OK)
            goto cleanup;
    st = KP_OK;
    *out = r;
    r = NULL;
cleanup:
    kp_memzero(shares, sizeof shares);
    kp_memzero(pt, sizeof pt);
    free(ct);
    free(e);
    kp_export_result_free(r);
    kp_json_free(&j);
    return st;
}

kp_curve kp_export_result_curve(const kp_export_result *r) { return r->curve; }
kp_protocol kp_export_result_protocol(const kp_export_result *r) { return r->protocol; }
unsigned kp_export_result_min_signers(const kp_export_result *r) { return r->min_signers; }
size_t kp_export_result_culprit_count(const kp_export_result *r) { return r->nculprits; }

void kp_export_result_private_key(const kp_export_result *r, uint8_t key[32])
{
    memcpy(key, r->key, 32);
}

size_t kp_export_result_public_key(const kp_export_result *r, uint8_t pub[KP_PUBKEY_MAX_BYTES])
{
    memcpy(pub, r->pub, r->pub_len);
    return r->pub_len;
}

const char *kp_export_result_culprit(const kp_export_result *r, size_t i, kp_status *why, const char **reason)
{
    if (i >= r->nculprits) return NULL;
    if (why) *why = r->culprits[i].why;
    if (reason) *reason = r->culprits[i].reason;
    return r->culprits[i].signer_id;
}

kp_status kp_export_result_json(kp_buf *out, const kp_export_result *r)
{
    KP_ARG_CHECK(NULL, out != NULL && r != NULL);
    kp_status st;
    if ((st = kp_buf_addstr(out, "{\"publicKey\":\"")) != KP_OK || (st = kp_buf_addhex(out, r->pub, r->pub_len)) != KP_OK ||
        (st = kp_buf_addf(out, "\",\"curve\":\"%s\",\"protocol\":\"%s\",\"privateKey\":\"", kp_curve_name(r->curve),
                          kp_protocol_name(r->protocol))) != KP_OK ||
        (st = kp_buf_addhex(out, r->key, 32)) != KP_OK || (st = kp_buf_addstr(out, "\",\"culprits\":[")) != KP_OK)
        return st;
    for (size_t i = 0; i < r->nculprits; i++) {
        if (i && (st = kp_buf_addstr(out, ",")) != KP_OK) return st;
        if ((st = kp_buf_addjstr(out, r->culprits[i].signer_id, strlen(r->culprits[i].signer_id))) != KP_OK) return st;
    }
    return kp_buf_addstr(out, "]}");
}
