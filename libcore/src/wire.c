/* wire.c: see wire.h. */
#include <stdio.h>
#include <string.h>

#include "wire.h"

kp_status kp_wire_scalar_write(kp_buf *b, kp_curve c, const uint8_t s[32])
{
    kp_status st;
    if ((st = kp_buf_addstr(b, "{\"curve\":\"")) != KP_OK || (st = kp_buf_addstr(b, kp_curve_name(c))) != KP_OK ||
        (st = kp_buf_addstr(b, "\",\"scalar\":\"")) != KP_OK || (st = kp_buf_addhex(b, s, 32)) != KP_OK ||
        (st = kp_buf_addstr(b, "\"}")) != KP_OK)
        return st;
    return KP_OK;
}

kp_status kp_wire_point_write(const kp_ctx *ctx, kp_buf *b, const kp_point *p)
{
    const kp_curve_ops *ops = kp_curve_ops_of(p->curve);
    uint8_t enc[KP_POINT_MAX_BYTES];
    kp_status st;
    ops->serialize(ctx, enc, p, 0);
    if ((st = kp_buf_addstr(b, "{\"curve\":\"")) != KP_OK || (st = kp_buf_addstr(b, ops->name)) != KP_OK ||
        (st = kp_buf_addstr(b, "\",\"point\":\"")) != KP_OK || (st = kp_buf_addhex(b, enc, ops->point_len)) != KP_OK ||
        (st = kp_buf_addstr(b, "\"}")) != KP_OK)
        return st;
    return KP_OK;
}

static kp_status check_curve_tag(const kp_json *j, int tok, kp_curve c, const char *path)
{
    char p[128];
    const char *s;
    size_t len;
    snprintf(p, sizeof p, "%s.curve", path);
    kp_status st = kp_json_need_str(j, tok, "curve", p, &s, &len);
    if (st != KP_OK) return st;
    const char *want = kp_curve_name(c);
    if (len != strlen(want) || memcmp(s, want, len) != 0)
        return kp_fail(KP_ERR_CURVE_MISMATCH, "%s is \"%.*s\", but the key's curve is %s", p, (int)(len > 32 ? 32 : len),
                       s, want);
    return KP_OK;
}

kp_status kp_wire_scalar_read(const kp_json *j, int tok, kp_curve c, const char *path, uint8_t out[32])
{
    char p[128];
    const char *s;
    size_t len;
    kp_status st;
    memset(out, 0, 32);
    if (j->tok[tok].type != KP_J_OBJECT) return kp_fail(KP_ERR_FORMAT, "%s must be a scalar object", path);
    if ((st = check_curve_tag(j, tok, c, path)) != KP_OK) return st;
    snprintf(p, sizeof p, "%s.scalar", path);
    if ((st = kp_json_need_secret_str(j, tok, "scalar", p, &s, &len)) != KP_OK) return st;
    if (kp_hex_decode_exact(out, 32, s, len) != KP_OK) return kp_fail(KP_ERR_HEX, "%s must be 64 hex digits", p);
    if (kp_scalar_check(c, out) != KP_OK) {
        kp_memzero(out, 32);
        return kp_fail(KP_ERR_SCALAR, "%s is zero or not below the %s order", p, kp_curve_name(c));
    }
    return KP_OK;
}

kp_status kp_wire_point_read(const kp_ctx *ctx, const kp_json *j, int tok, kp_curve c, const char *path, kp_point *out)
{
    char p[128];
    const char *s;
    size_t len;
    uint8_t enc[KP_POINT_MAX_BYTES];
    kp_status st;
    const kp_curve_ops *ops = kp_curve_ops_of(c);
    if (j->tok[tok].type != KP_J_OBJECT) return kp_fail(KP_ERR_FORMAT, "%s must be a point object", path);
    if ((st = check_curve_tag(j, tok, c, path)) != KP_OK) return st;
    snprintf(p, sizeof p, "%s.point", path);
    if ((st = kp_json_need_str(j, tok, "point", p, &s, &len)) != KP_OK) return st;
    if (kp_hex_decode_exact(enc, ops->point_len, s, len) != KP_OK)
        return kp_fail(KP_ERR_HEX, "%s must be %zu hex digits", p, 2 * ops->point_len);
    if (ops->parse(ctx, out, enc, ops->point_len) != KP_OK || (c != KP_CURVE_ED25519 && enc[0] != 4))
        return kp_fail(KP_ERR_POINT, "%s is not a valid %s point (or is the identity)", p, ops->name);
    return KP_OK;
}

kp_status kp_wire_version(const kp_json *j, int tok, const char *what)
{
    char p[64];
    uint32_t v;
    snprintf(p, sizeof p, "%s.version", what);
    if (j->tok[tok].type != KP_J_OBJECT) return kp_fail(KP_ERR_FORMAT, "%s must be a JSON object", what);
    kp_status st = kp_json_need_uint(j, tok, "version", 0, UINT32_MAX, p, &v);
    if (st != KP_OK) return st;
    if (v != 1) return kp_fail(KP_ERR_VERSION, "%s is %u; only version 1 is supported", p, v);
    return KP_OK;
}

kp_status kp_wire_export_plaintext_write(kp_buf *b, kp_curve c, const uint8_t index[32], const uint8_t share[32])
{
    kp_status st;
    if ((st = kp_buf_addstr(b, "{\"version\":1,\"index\":")) != KP_OK || (st = kp_wire_scalar_write(b, c, index)) != KP_OK ||
        (st = kp_buf_addstr(b, ",\"secret_share\":")) != KP_OK || (st = kp_wire_scalar_write(b, c, share)) != KP_OK ||
        (st = kp_buf_addstr(b, "}")) != KP_OK)
        return st;
    return KP_OK;
}

kp_status kp_wire_export_plaintext_read(const char *text, size_t len, kp_curve c, uint8_t index[32], uint8_t share[32])
{
    kp_json j;
    int tok;
    kp_status st;
    memset(index, 0, 32);
    memset(share, 0, 32);
    if ((st = kp_json_parse(&j, text, len, "the share plaintext")) != KP_OK) return st;
    if ((st = kp_wire_version(&j, 0, "share")) != KP_OK) goto cleanup;
    /* docs/wire.md §2: the index is a whole non-zero scalar (Dfns draws it at random), not a small integer. */
    if ((st = kp_json_need(&j, 0, "index", KP_J_OBJECT, "share.index", &tok)) != KP_OK ||
        (st = kp_wire_scalar_read(&j, tok, c, "share.index", index)) != KP_OK)
        goto cleanup;
    KP_DECLASSIFY(index, 32); /* a share's index is public (it is its x coordinate) */
    if ((st = kp_json_need(&j, 0, "secret_share", KP_J_OBJECT, "share.secret_share", &tok)) != KP_OK ||
        (st = kp_wire_scalar_read(&j, tok, c, "share.secret_share", share)) != KP_OK)
        goto cleanup;
cleanup:
    if (st != KP_OK) {
        memset(index, 0, 32);
        kp_memzero(share, 32);
    }
    kp_json_free(&j);
    return st;
}

kp_status kp_wire_import_plaintext_write(kp_buf *b, kp_curve c, const uint8_t share[32], const kp_buf *public_shares)
{
    kp_status st;
    if ((st = kp_buf_addstr(b, "{\"version\":1,\"secret_share\":")) != KP_OK ||
        (st = kp_wire_scalar_write(b, c, share)) != KP_OK || (st = kp_buf_addstr(b, ",\"public_shares\":")) != KP_OK ||
        (st = kp_buf_add(b, public_shares->data, public_shares->len)) != KP_OK || (st = kp_buf_addstr(b, "}")) != KP_OK)
        return st;
    return KP_OK;
}

kp_status kp_wire_import_plaintext_read(const kp_ctx *ctx, const char *text, size_t len, kp_curve c, size_t n,
                                        uint8_t share[32], kp_point *pubs)
{
    kp_json j;
    int tok, arr;
    kp_status st;
    memset(share, 0, 32);
    if ((st = kp_json_parse(&j, text, len, "the import share plaintext")) != KP_OK) return st;
    if ((st = kp_wire_version(&j, 0, "share")) != KP_OK) goto cleanup;
    if ((st = kp_json_need(&j, 0, "secret_share", KP_J_OBJECT, "share.secret_share", &tok)) != KP_OK ||
        (st = kp_wire_scalar_read(&j, tok, c, "share.secret_share", share)) != KP_OK)
        goto cleanup;
    if ((st = kp_json_need(&j, 0, "public_shares", KP_J_ARRAY, "share.public_shares", &arr)) != KP_OK) goto cleanup;
    if (j.tok[arr].count != n) {
        st = kp_fail(KP_ERR_FORMAT, "share.public_shares has %u entries, but there are %zu signers", j.tok[arr].count, n);
        goto cleanup;
    }
    size_t i = 0;
    for (int e = kp_json_first(&j, arr); e >= 0; e = kp_json_next(&j, arr, e), i++) {
        char p[64];
        snprintf(p, sizeof p, "share.public_shares[%zu]", i);
        if ((st = kp_wire_point_read(ctx, &j, e, c, p, &pubs[i])) != KP_OK) goto cleanup;
    }
cleanup:
    if (st != KP_OK) kp_memzero(share, 32);
    kp_json_free(&j);
    return st;
}

kp_status kp_wire_signer_id(const kp_json *j, int obj, const char *path, uint8_t id[KP_WIRE_SIGNER_ID_BUF],
                            size_t *idlen, const char **text, size_t *textlen)
{
    kp_status st = kp_json_need_str(j, obj, "signerId", path, text, textlen);
    *idlen = 0;
    if (st != KP_OK) return st;
    if (*textlen == 0 || *textlen > kp_b64_encoded_len(KP_WIRE_MAX_SIGNER_ID) ||
        kp_b64_decode(id, idlen, *text, *textlen) != KP_OK || *idlen == 0 || *idlen > KP_WIRE_MAX_SIGNER_ID) {
        *idlen = 0;
        return kp_fail(KP_ERR_BASE64, "%s is not canonical padded base64 of 1 to %d bytes", path, KP_WIRE_MAX_SIGNER_ID);
    }
    return KP_OK;
}

int kp_wire_signer_id_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    size_t m = alen < blen ? alen : blen;
    int c = memcmp(a, b, m);
    if (c != 0) return c;
    return alen < blen ? -1 : alen > blen;
}

/* Copies a short name member into a NUL-terminated buffer for lookup; an over-long name is
 * cut and marked so that it cannot match. */
static kp_status read_name(const kp_json *j, int obj, const char *key, char *buf, size_t cap)
{
    const char *s;
    size_t len;
    kp_status st = kp_json_need_str(j, obj, key, key, &s, &len);
    if (st != KP_OK) return st;
    memset(buf, 0, cap);
    memcpy(buf, s, len < cap - 1 ? len : cap - 1);
    if (len >= cap) buf[cap - 2] = '?';
    return KP_OK;
}

kp_status kp_wire_scheme_read(const kp_json *j, int obj, kp_curve *c, kp_protocol *p)
{
    char buf[24];
    kp_status st;
    if ((st = read_name(j, obj, "curve", buf, sizeof buf)) != KP_OK || (st = kp_curve_from_name(c, buf)) != KP_OK ||
        (st = read_name(j, obj, "protocol", buf, sizeof buf)) != KP_OK || (st = kp_protocol_from_name(p, buf)) != KP_OK)
        return st;
    return kp_scheme_check(*p, *c);
}
