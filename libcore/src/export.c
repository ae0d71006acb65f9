/* export.c: the export flow (docs/wire.md §3): request, signer-side sealing, response, recovery. */
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

struct group {
    const char **ids; /* borrowed from the entries' signer_id copies */
    size_t n;
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
    int unique;
    char **ids; /* every entry's signerId (the groups point into these) */
    size_t nids;
    struct group *groups;
    size_t ngroups;
    char *note;
};

static const kp_scheme DEFAULT_SCHEMES[] = {
    {KP_PROTOCOL_CGGMP21, KP_CURVE_SECP256K1},
    {KP_PROTOCOL_CGGMP21, KP_CURVE_STARK},
    {KP_PROTOCOL_FROST, KP_CURVE_ED25519},
    {KP_PROTOCOL_FROST_BITCOIN, KP_CURVE_SECP256K1},
};

kp_status kp_export_request_write_schemes(kp_buf *out, const uint8_t encryption_key[33], const kp_scheme *schemes,
                                          size_t n, int delete_flag)
{
    KP_ARG_CHECK(NULL, out != NULL && encryption_key != NULL && (schemes != NULL || n == 0) && delete_flag >= -1 &&
                           delete_flag <= 1);
    char ek[49];
    kp_status st = KP_OK;
    size_t start = out->len;
    if (n == 0 || n > KP_MAX_SCHEMES)
        return kp_fail(KP_ERR_TOO_MANY, "supportedSchemes must list 1 to %d pairs, not %zu", KP_MAX_SCHEMES, n);
    for (size_t i = 0; i < n; i++) {
        if ((st = kp_scheme_check(schemes[i].protocol, schemes[i].curve)) != KP_OK) return st;
        for (size_t j = 0; j < i; j++)
            if (schemes[j].protocol == schemes[i].protocol && schemes[j].curve == schemes[i].curve)
                return kp_fail(KP_ERR_SCHEME, "supportedSchemes lists %s with %s twice", kp_protocol_name(schemes[i].protocol),
                               kp_curve_name(schemes[i].curve));
    }
    kp_encryption_key_encode(ek, encryption_key);
    if ((st = kp_buf_addstr(out, "{\"encryptionKey\":\"")) != KP_OK || (st = kp_buf_addstr(out, ek)) != KP_OK ||
        (st = kp_buf_addstr(out, "\",\"supportedSchemes\":[")) != KP_OK)
        goto done;
    for (size_t i = 0; i < n; i++)
        if ((st = kp_buf_addf(out, "%s{\"protocol\":\"%s\",\"curve\":\"%s\"}", i ? "," : "",
                              kp_protocol_name(schemes[i].protocol), kp_curve_name(schemes[i].curve))) != KP_OK)
            goto done;
    if ((st = kp_buf_addstr(out, "]")) != KP_OK) goto done;
    if (delete_flag >= 0 && (st = kp_buf_addstr(out, delete_flag ? ",\"delete\":true" : ",\"delete\":false")) != KP_OK)
        goto done;
    st = kp_buf_addstr(out, "}");
done:
    if (st != KP_OK) {
        kp_memzero(out->data + start, out->len - start);
        out->len = start;
        if (out->data) out->data[start] = 0;
    }
    return st;
}

kp_status kp_export_request_write(kp_buf *out, const uint8_t encryption_key[33], int delete_flag)
{
    return kp_export_request_write_schemes(out, encryption_key, DEFAULT_SCHEMES,
                                           sizeof DEFAULT_SCHEMES / sizeof *DEFAULT_SCHEMES, delete_flag);
}

kp_status kp_export_seal_share(const kp_ctx *ctx, kp_buf *out, const uint8_t encryption_key[33], kp_curve c,
                               const uint8_t index[32], const uint8_t share[32])
{
    KP_ARG_CHECK(ctx, ctx != NULL && out != NULL && encryption_key != NULL && index != NULL && share != NULL);
    kp_buf pt;
    kp_status st;
    if (kp_curve_ops_of(c) == NULL) return KP_ERR_CURVE;
    if (kp_scalar_check(c, index) != KP_OK)
        return kp_fail(KP_ERR_SCALAR, "a share index must be non-zero and below the %s order", kp_curve_name(c));
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
    for (size_t i = 0; i < r->nids; i++) free(r->ids[i]);
    free(r->ids);
    for (size_t g = 0; g < r->ngroups; g++) free(r->groups[g].ids);
    free(r->groups);
    free(r->note);
    free(r);
}

static kp_status add_culprit(kp_export_result *r, const char *id, kp_status why, const char *reason)
{
    struct culprit *c = &r->culprits[r->nculprits];
    c->signer_id = strdup(id);
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
    size_t first; /* the first entry with the same signerId (itself when it is the first) */
    const char *ct64;
    size_t ct64len;
    kp_status why;      /* KP_OK while nothing is known against it */
    char reason[320];   /* why it is bad, when why != KP_OK */
    int opened;         /* decrypted and parsed: a point for recovery */
    size_t k;           /* its position among the opened ones */
};

/* Appends "; signer X (reason)" for the entries found bad to msg. */
static void bad_list(char *msg, size_t cap, const struct entry *e, size_t n)
{
    size_t used = strlen(msg);
    for (size_t i = 0; i < n && used + 1 < cap; i++) {
        if (e[i].why == KP_OK) continue;
        int w = snprintf(msg + used, cap - used, "; signer %.*s %s", (int)e[i].idlen, e[i].id, e[i].reason);
        if (w < 0) break;
        used += (size_t)w < cap - used ? (size_t)w : cap - used - 1;
    }
}

/* Adds a group of the signers whose entries are in mask (bit i = entry i), each once. */
static kp_status add_group(kp_export_result *r, const struct entry *e, size_t n, uint64_t mask)
{
    struct group g = {calloc(n, sizeof(char *)), 0};
    if (g.ids == NULL) return kp_fail(KP_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        if ((mask >> i & 1) && (e[i].first == i || !(mask >> e[i].first & 1))) g.ids[g.n++] = r->ids[e[i].first];
    r->groups[r->ngroups++] = g;
    return KP_OK;
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
    uint8_t *shares = NULL; /* k × 32 secret bytes, secure allocator */
    uint8_t pt[MAX_SHARE_CT_BYTES];
    uint8_t *ct = NULL;
    uint8_t idx[KP_MAX_SIGNERS][32];
    size_t pos[KP_MAX_SIGNERS], k = 0, nodecrypt = 0;
    kp_recovery rec;
    kp_point pub;
    kp_export_result *r = NULL;
    kp_buf note;
    char msg[1200];

    *out = NULL;
    kp_buf_init(&note, 0);
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
    r->ids = calloc(n, sizeof *r->ids);
    r->groups = calloc(n + KP_RECOVER_MAX_GROUPS, sizeof *r->groups);
    shares = kp_secure_alloc((size_t)KP_MAX_SIGNERS * 32);
    if (e == NULL || r->culprits == NULL || r->ids == NULL || r->groups == NULL || shares == NULL ||
        (r->key = kp_secure_alloc(32)) == NULL) {
        st = kp_fail(KP_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    /* Pass 1: the structure of every entry. A repeated signerId is not an error: its entries
     * compete like any others, and the signerId is named only if every entry under it is bad. */
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
        e[i].first = i;
        for (size_t m = 0; m < i; m++)
            if (e[m].idbytes_len == e[i].idbytes_len && memcmp(e[m].idbytes, e[i].idbytes, e[i].idbytes_len) == 0) {
                e[i].first = e[m].first;
                break;
            }
        if ((r->ids[i] = strndup(e[i].id, e[i].idlen)) == NULL) {
            st = kp_fail(KP_ERR_NOMEM, "out of memory");
            goto cleanup;
        }
        r->nids++;
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
            e[i].why = KP_ERR_BASE64;
            snprintf(e[i].reason, sizeof e[i].reason, "sent an encryptedKeyShare that is not base64");
            continue;
        }
        if (ctlen > sizeof pt + KP_ENVELOPE_OVERHEAD || kp_envelope_open(ctx, pt, context_secret, ct, ctlen) != KP_OK) {
            e[i].why = KP_ERR_DECRYPT;
            snprintf(e[i].reason, sizeof e[i].reason, "sent a share that does not decrypt with this export context");
            nodecrypt++;
            continue;
        }
        kp_status ps = kp_wire_export_plaintext_read((const char *)pt, ctlen - KP_ENVELOPE_OVERHEAD, r->curve, idx[k],
                                                     shares + 32 * k);
        kp_memzero(pt, ctlen - KP_ENVELOPE_OVERHEAD);
        if (ps != KP_OK) {
            e[i].why = ps;
            snprintf(e[i].reason, sizeof e[i].reason, "sent a share that is not valid: %s", kp_error_detail());
            continue;
        }
        e[i].opened = 1;
        e[i].k = k;
        pos[k++] = i;
    }
    if (k == 0 && nodecrypt > 0) {
        /* Nothing opens: the response was made for another context, not by bad signers. */
        uint8_t ek[33];
        char fp[17];
        kp_encryption_key_from_secret(ctx, ek, context_secret);
        kp_encryption_key_fingerprint(fp, ek);
        st = kp_fail(KP_ERR_WRONG_CONTEXT,
                     "no share decrypts with this export context (encryption key fingerprint %s): the response was not "
                     "made for this context; no signer is named", fp);
        goto cleanup;
    }
    if (k < min_signers) {
        snprintf(msg, sizeof msg, "cannot recover the key: %zu shares opened, %u needed", k, min_signers);
        bad_list(msg, sizeof msg, e, n);
        st = kp_fail(KP_ERR_NOT_ENOUGH, "%s", msg);
        goto cleanup;
    }
    /* Pass 3: robust recovery (share.c). */
    st = kp_share_recover(ctx, r->key, &rec, r->curve, min_signers, (const uint8_t(*)[32])idx,
                          (const uint8_t(*)[32])shares, k, r->pub, r->pub_len);
    if (st == KP_ERR_NOMEM) goto cleanup;
    if (st != KP_OK) {
        if (ops->parse(ctx, &pub, r->pub, r->pub_len) != KP_OK) {
            st = kp_fail(KP_ERR_POINT, "publicKey is not a valid %s point (or is the identity)", ops->name);
            goto cleanup;
        }
        snprintf(msg, sizeof msg, "cannot recover the key: %s %u of the %zu shares that opened (from signers ",
                 rec.budget_spent ? "within the search budget, found no" : "no", min_signers, k);
        for (size_t m = 0; m < k; m++) {
            size_t used = strlen(msg);
            snprintf(msg + used, sizeof msg - used, "%s%.*s", m ? ", " : "", (int)e[pos[m]].idlen, e[pos[m]].id);
        }
        size_t used = strlen(msg);
        snprintf(msg + used, sizeof msg - used, ") that lie on a polynomial that matches publicKey%s",
                 rec.budget_spent ? " (the search stopped at its budget: too many shares are bad to try every set)" : "");
        bad_list(msg, sizeof msg, e, n);
        st = kp_fail(KP_ERR_NOT_ENOUGH, "%s", msg);
        goto cleanup;
    }
    /* Naming (keyport.h): off the polynomial counts against a share only when the decoding is unique. */
    r->unique = rec.unique;
    for (i = 0; i < n; i++)
        if (e[i].opened && !rec.on[e[i].k] && rec.unique) {
            e[i].why = KP_ERR_SHARE_MISMATCH;
            snprintf(e[i].reason, sizeof e[i].reason, "sent a share that is not on the polynomial that matches publicKey");
        }
    /* A signerId is named when every entry under it is bad. */
    for (i = 0; i < n; i++) {
        if (e[i].first != i) continue;
        size_t bad = KP_MAX_SIGNERS + 1;
        int all_bad = 1;
        for (size_t m = i; m < n; m++)
            if (e[m].first == i) {
                if (e[m].why == KP_OK) all_bad = 0;
                else if (bad > KP_MAX_SIGNERS) bad = m;
            }
        if (all_bad && (st = add_culprit(r, r->ids[i], e[bad].why, e[bad].reason)) != KP_OK) goto cleanup;
    }
    /* What cannot be resolved: signerIds with both a good and a bad entry; entries that repeat one
     * share (all but one of their signers copied it); beyond the bound, the competing groups. */
    for (i = 0; i < n; i++) {
        if (e[i].first != i) continue;
        int good = 0, bad = 0;
        for (size_t m = i; m < n; m++)
            if (e[m].first == i) {
                good |= e[m].why == KP_OK;
                bad |= e[m].why != KP_OK;
            }
        if (good && bad) {
            if ((st = add_group(r, e, n, (uint64_t)1 << i)) != KP_OK) goto cleanup;
            kp_buf_addf(&note, "%ssigner %s sent several entries, some bad, some not, so it is not named", note.len ? "; " : "",
                        r->ids[i]);
        }
    }
    for (size_t p = 0; p < rec.npoints; p++) {
        uint64_t mask = 0;
        size_t signers = 0;
        for (size_t m = 0; m < k; m++)
            if (rec.point[m] == p && rec.on[m]) {
                size_t ei = pos[m];
                if (!(mask >> e[ei].first & 1)) signers++;
                mask |= (uint64_t)1 << e[ei].first;
            }
        if (signers > 1) {
            if ((st = add_group(r, e, n, mask)) != KP_OK) goto cleanup;
            kp_buf_addf(&note, "%ssigners ", note.len ? "; " : "");
            for (size_t g = 0; g < r->groups[r->ngroups - 1].n; g++)
                kp_buf_addf(&note, "%s%s", g ? ", " : "", r->groups[r->ngroups - 1].ids[g]);
            kp_buf_addstr(&note, " sent the same index and share: all but one of them copied it, and keyport cannot tell which");
        }
    }
    if (!rec.unique && 2 * rec.off <= rec.npoints - min_signers + 1) {
        kp_buf_addf(&note, "%s%zu of the %zu distinct shares are off the polynomial that matches publicKey, but another "
                           "polynomial through publicKey fits %u shares too, so the bad shares cannot be told apart and no "
                           "signer is named for it; ",
                    note.len ? "; " : "", rec.off, rec.npoints, min_signers);
    } else if (!rec.unique) {
        kp_buf_addf(&note, "%s%zu of the %zu distinct shares are off the polynomial that matches publicKey: more than "
                           "the %zu that keyport can attribute (2e <= N - t + 1), so the bad shares cannot be told apart "
                           "and no signer is named for it; ",
                    note.len ? "; " : "", rec.off, rec.npoints, (rec.npoints - min_signers + 1) / 2);
    }
    if (!rec.unique) {
        kp_buf_addf(&note, "%zu polynomial%s through publicKey found%s:", rec.ngroups, rec.ngroups == 1 ? "" : "s",
                    rec.budget_spent || rec.more_groups ? " within the search budget (there may be more)" : "");
        for (size_t g = 0; g < rec.ngroups; g++) {
            uint64_t mask = 0;
            for (size_t m = 0; m < k; m++)
                if (rec.group_points[g] >> rec.point[m] & 1) mask |= (uint64_t)1 << pos[m];
            if ((st = add_group(r, e, n, mask)) != KP_OK) goto cleanup;
            const struct group *gr = &r->groups[r->ngroups - 1];
            kp_buf_addstr(&note, g ? "; signers " : " signers ");
            for (size_t m = 0; m < gr->n; m++) kp_buf_addf(&note, "%s%s", m ? ", " : "", gr->ids[m]);
            kp_buf_addstr(&note, " on one");
        }
    }
    if ((r->note = strdup(note.len ? (const char *)note.data : "")) == NULL) {
        st = kp_fail(KP_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    st = KP_OK;
    *out = r;
    r = NULL;
cleanup:
    kp_secure_free(shares);
    kp_memzero(pt, sizeof pt);
    free(ct);
    free(e);
    kp_buf_release(&note);
    kp_export_result_free(r);
    kp_json_free(&j);
    return st;
}

kp_curve kp_export_result_curve(const kp_export_result *r) { return r->curve; }
kp_protocol kp_export_result_protocol(const kp_export_result *r) { return r->protocol; }
unsigned kp_export_result_min_signers(const kp_export_result *r) { return r->min_signers; }
size_t kp_export_result_culprit_count(const kp_export_result *r) { return r->nculprits; }
int kp_export_result_unique(const kp_export_result *r) { return r->unique; }
size_t kp_export_result_group_count(const kp_export_result *r) { return r->ngroups; }
const char *kp_export_result_note(const kp_export_result *r) { return r->note ? r->note : ""; }

size_t kp_export_result_group(const kp_export_result *r, size_t g, const char *const **ids)
{
    if (g >= r->ngroups) {
        if (ids) *ids = NULL;
        return 0;
    }
    if (ids) *ids = r->groups[g].ids;
    return r->groups[g].n;
}

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
    size_t start = out->len;
    if ((st = kp_buf_addstr(out, "{\"publicKey\":\"")) != KP_OK || (st = kp_buf_addhex(out, r->pub, r->pub_len)) != KP_OK ||
        (st = kp_buf_addf(out, "\",\"curve\":\"%s\",\"protocol\":\"%s\",\"privateKey\":\"", kp_curve_name(r->curve),
                          kp_protocol_name(r->protocol))) != KP_OK ||
        (st = kp_buf_addhex(out, r->key, 32)) != KP_OK || (st = kp_buf_addstr(out, "\",\"culprits\":[")) != KP_OK)
        goto done;
    for (size_t i = 0; i < r->nculprits; i++) {
        if (i && (st = kp_buf_addstr(out, ",")) != KP_OK) goto done;
        if ((st = kp_buf_addjstr(out, r->culprits[i].signer_id, strlen(r->culprits[i].signer_id))) != KP_OK) goto done;
    }
    if ((st = kp_buf_addstr(out, "],\"unresolved\":[")) != KP_OK) goto done;
    for (size_t g = 0; g < r->ngroups; g++) {
        if ((st = kp_buf_addstr(out, g ? ",[" : "[")) != KP_OK) goto done;
        for (size_t i = 0; i < r->groups[g].n; i++) {
            if (i && (st = kp_buf_addstr(out, ",")) != KP_OK) goto done;
            if ((st = kp_buf_addjstr(out, r->groups[g].ids[i], strlen(r->groups[g].ids[i]))) != KP_OK) goto done;
        }
        if ((st = kp_buf_addstr(out, "]")) != KP_OK) goto done;
    }
    st = kp_buf_addstr(out, "]}");
done:
    if (st != KP_OK) {
        /* never leave a partial result (it may hold the key) */
        kp_memzero(out->data + start, out->len - start);
        out->len = start;
        if (out->data) out->data[start] = 0;
    }
    return st;
}
