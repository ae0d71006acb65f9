/*
 * wire.h: the JSON plaintexts inside the envelope (docs/wire.md §2), exact writers and strict readers.
 * Writers produce compact JSON, fields in the order docs/wire.md shows, lower-case hex.
 */
#ifndef KP_WIRE_H
#define KP_WIRE_H

#include "curve.h"
#include "json.h"

/* {"curve":"<c>","scalar":"<64 hex>"} */
kp_status kp_wire_scalar_write(kp_buf *b, kp_curve c, const uint8_t s[32]);
/* {"curve":"<c>","point":"<hex of the uncompressed form>"} */
kp_status kp_wire_point_write(const kp_ctx *ctx, kp_buf *b, const kp_point *p);
/* Reads a scalar object: its curve must be c, the scalar non-zero and below the order. */
kp_status kp_wire_scalar_read(const kp_json *j, int tok, kp_curve c, const char *path, uint8_t out[32]);
/* Reads a point object: its curve must be c; the point valid and not the identity. */
kp_status kp_wire_point_read(const kp_ctx *ctx, const kp_json *j, int tok, kp_curve c, const char *path, kp_point *out);
#define KP_WIRE_MAX_SIGNER_ID 256
/* A decode buffer: base64 of up to 256 bytes is up to 344 characters, which decode to up to 258. */
#define KP_WIRE_SIGNER_ID_BUF (KP_WIRE_MAX_SIGNER_ID + 2)

/* Reads member "signerId" of object obj: canonical padded base64 of 1..256 bytes.
 * Out: the decoded bytes (id, *idlen) and the base64 text as it stands in the document. */
kp_status kp_wire_signer_id(const kp_json *j, int obj, const char *path, uint8_t id[KP_WIRE_SIGNER_ID_BUF],
                            size_t *idlen, const char **text, size_t *textlen);
/* Orders decoded signerIds: bytewise, a proper prefix first (docs/wire.md §4 step 2). */
int kp_wire_signer_id_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);
/* Reads members "curve" and "protocol" of object obj and checks that they form a supported scheme. */
kp_status kp_wire_scheme_read(const kp_json *j, int obj, kp_curve *c, kp_protocol *p);

/* Checks "version":1 in object tok. */
kp_status kp_wire_version(const kp_json *j, int tok, const char *what);

/* Export plaintext {"version":1,"index":<scalar>,"secret_share":<scalar>} (232 bytes on secp256k1). */
kp_status kp_wire_export_plaintext_write(kp_buf *b, kp_curve c, const uint8_t index[32], const uint8_t share[32]);
/* Reads an export plaintext. The index is a whole scalar: non-zero and below the curve's order. */
kp_status kp_wire_export_plaintext_read(const char *text, size_t len, kp_curve c, uint8_t index[32], uint8_t share[32]);

/* Import plaintext {"version":1,"secret_share":<scalar>,"public_shares":[…]}, written from the
 * share and the already written public-share array text "[…]". */
kp_status kp_wire_import_plaintext_write(kp_buf *b, kp_curve c, const uint8_t share[32], const kp_buf *public_shares);
/* Reads an import plaintext with exactly n public shares. */
kp_status kp_wire_import_plaintext_read(const kp_ctx *ctx, const char *text, size_t len, kp_curve c, size_t n,
                                        uint8_t share[32], kp_point *pubs);

#endif
