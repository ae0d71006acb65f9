// keyport_go.h: the C helpers of the Go binding (keyport_go.c). Each takes a gokp_outcome:
// the status and the detail of the call, captured on the thread that made it.
#ifndef KEYPORT_GO_H
#define KEYPORT_GO_H
#include "keyport.h"
#include "keyport_keyfmt.h"
#include "keyport_client.h"

typedef struct gokp_outcome {
    kp_status st;
    char detail[1024];
} gokp_outcome;

typedef struct gokp_status_row { int num; const char *name; const char *text; } gokp_status_row;

extern kp_ctx *gokp_ctx;

void gokp_init(gokp_outcome *o);
size_t gokp_status_count(void);
gokp_status_row gokp_status_at(size_t i);
// Reads a key into secure memory (scalar: 32 bytes from kp_secure_alloc).
void gokp_key_parse(gokp_outcome *o, kp_curve *curve, uint8_t *scalar, int fmt, int want,
                           const char *path, const uint8_t *pass, size_t passlen,
                           const uint8_t *in, size_t len);
void gokp_public_key(gokp_outcome *o, uint8_t *pub, size_t *pub_len, int curve, const uint8_t *secret);
void gokp_encryption_keypair(gokp_outcome *o, uint8_t *secret, uint8_t *ek);
void gokp_encryption_key_from_secret(gokp_outcome *o, uint8_t *ek, const uint8_t *secret);
void gokp_context_seal(gokp_outcome *o, uint8_t *file, const uint8_t *secret, const uint8_t *pass,
                              size_t passlen, int strength);
void gokp_context_open(gokp_outcome *o, uint8_t *secret, const uint8_t *file, size_t len,
                              const uint8_t *pass, size_t passlen);
void gokp_export_request(gokp_outcome *o, kp_buf *out, const uint8_t *ek, const int *schemes, size_t n, int del);
void gokp_export_recover(gokp_outcome *o, kp_export_result **res, const uint8_t *secret,
                                const uint8_t *doc, size_t len);
int gokp_opens(const uint8_t *secret, const uint8_t *ct, size_t len);
void gokp_signers_parse(gokp_outcome *o, kp_signers **out, const uint8_t *doc, size_t len, const char *cluster);
void gokp_signers_write(gokp_outcome *o, kp_buf *out, const char *cluster, const uint8_t *ids,
                               const size_t *idlens, const uint8_t *eks, size_t n);
void gokp_import_prepare(gokp_outcome *o, kp_buf *out, const kp_signers *signers, int curve, int protocol,
                                unsigned t, const char *name, const uint8_t *secret);
void gokp_import_request_parse(gokp_outcome *o, kp_import_request **out, const uint8_t *doc, size_t len);
void gokp_import_open_share(gokp_outcome *o, uint8_t *share, uint8_t *pub, size_t *publen, uint8_t *digest,
                                   const uint8_t *secret, int curve, unsigned index, unsigned n, unsigned t,
                                   const uint8_t *ct, size_t len);
void gokp_export_seal_share(gokp_outcome *o, kp_buf *out, const uint8_t *ek, int curve,
                                   const uint8_t *index, const uint8_t *share);
void gokp_export_response_write(gokp_outcome *o, kp_buf *out, int curve, int protocol, const uint8_t *pub,
                                       size_t publen, unsigned t, const uint8_t *ids, const size_t *idlens,
                                       const uint8_t *cts, const size_t *ctlens, size_t n);
void gokp_scalar_random(gokp_outcome *o, uint8_t *scalar, int curve);
void gokp_scalar_check(gokp_outcome *o, int curve, const uint8_t *scalar);
void gokp_test_misuse(gokp_outcome *o);
void gokp_key_public(gokp_outcome *o, kp_curve *curve, uint8_t *pub, size_t *publen, int fmt, int want,
                     const char *path, const uint8_t *pass, size_t passlen, const uint8_t *in, size_t len);
void gokp_key_write(gokp_outcome *o, kp_buf *out, int fmt, int curve, const uint8_t *scalar,
                    const uint8_t *pass, size_t passlen, int strength);
void gokp_key_write_check(gokp_outcome *o, int fmt, int curve);
void gokp_addresses(gokp_outcome *o, kp_address *out, size_t *n, int curve, int protocol, const uint8_t *pub, size_t len);
void gokp_encryption_key_decode(gokp_outcome *o, uint8_t *ek, const uint8_t *text, size_t len);
void gokp_encryption_key_encode(gokp_outcome *o, char *out, const uint8_t *ek);

void gokp_operator_new(gokp_outcome *o, kp_operator **out, kp_buf *file, const char *name,
                       const uint8_t *pass, size_t passlen, int strength);
void gokp_operator_parse(gokp_outcome *o, kp_operator **out, const uint8_t *doc, size_t len);
void gokp_operator_unlock(gokp_outcome *o, kp_operator *op, const uint8_t *pass, size_t passlen);
void gokp_policy_write(gokp_outcome *o, kp_buf *out, const char *id, const char *names, const uint8_t *pks,
                       size_t n, const unsigned *quorum);
void gokp_policy_parse(gokp_outcome *o, kp_policy **out, const uint8_t *doc, size_t len);
void gokp_action_from_name(gokp_outcome *o, int *action, const char *name);
void gokp_approval_sign(gokp_outcome *o, kp_buf *out, const uint8_t *bundle, size_t bundlelen, const kp_operator *op,
                        const kp_policy *policy, int action, const char *key_id, const uint8_t *request,
                        size_t reqlen, int64_t now, int64_t ttl);
void gokp_approvals_verify(gokp_outcome *o, kp_approval_report **out, const kp_policy *policy, int action,
                           const char *key_id, const uint8_t *request, size_t reqlen, const uint8_t *bundle,
                           size_t bundlelen, int64_t now);
void gokp_credential_new(gokp_outcome *o, kp_buf *file, int alg, const char *id);
void gokp_credential_parse(gokp_outcome *o, kp_credential **out, const uint8_t *doc, size_t len);
void gokp_credential_sign(gokp_outcome *o, kp_buf *sig, const kp_credential *c, const uint8_t *msg, size_t len);
void gokp_credential_verify(gokp_outcome *o, int alg, const char *pub, const uint8_t *msg, size_t len,
                            const uint8_t *sig, size_t siglen);

void gokp_audit_open(gokp_outcome *o, kp_audit_log **out, const char *path, const kp_operator *writer, int64_t now,
                     char *torn);
void gokp_audit_append(gokp_outcome *o, kp_audit_log *log, int64_t now, const char *event, const char *key_id,
                       const char *pub, const char *actors, size_t n, const char *details, char *head);
void gokp_audit_verify(gokp_outcome *o, kp_audit_report *r, const uint8_t *text, size_t len, const uint8_t *writer,
                       const uint8_t *head);
void gokp_audit_entries(gokp_outcome *o, kp_buf *out, const uint8_t *text, size_t len);
void gokp_client_new(gokp_outcome *o, kp_client **out, const char *url, const char *token);
void gokp_client_call(gokp_outcome *o, kp_client *c, kp_buf *resp, long *status, const char *method, const char *path,
                      const uint8_t *body, size_t len, int user_action, const char *approvals);

#endif
