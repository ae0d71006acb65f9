// keyport_go.c: the C side of the Go binding (cgo compiles it with the package).
#include <stdlib.h>
#include <string.h>
#include "keyport_go.h"

// The status and detail of one call, captured in the same C call on the same thread: the
// detail is per thread in libkeyport and a goroutine may move between threads between cgo calls.

static void gokp_capture(gokp_outcome *o, kp_status st)
{
    o->st = st;
    o->detail[0] = 0;
    if (st != KP_OK) {
        const char *d = kp_error_detail();
        size_t n = strlen(d);
        if (n >= sizeof o->detail) n = sizeof o->detail - 1;
        memcpy(o->detail, d, n);
        o->detail[n] = 0;
    }
}

// Misuse must not abort the Go process: the call returns KP_ERR_MISUSE and Go panics after it.
static void gokp_on_illegal(const char *msg, void *data) { (void)msg; (void)data; }

kp_ctx *gokp_ctx;

void gokp_init(gokp_outcome *o)
{
    kp_status st = kp_ctx_new(&gokp_ctx);
    if (st == KP_OK) kp_ctx_set_illegal_callback(gokp_ctx, gokp_on_illegal, NULL);
    gokp_capture(o, st);
}

#define GOKP_STATUS_ROW(name, num, text) {num, #name, text},
static const gokp_status_row gokp_status_rows[] = { KP_STATUS_TABLE(GOKP_STATUS_ROW) };
size_t gokp_status_count(void) { return sizeof gokp_status_rows / sizeof gokp_status_rows[0]; }
gokp_status_row gokp_status_at(size_t i) { return gokp_status_rows[i]; }

// Reads a key into secure memory (scalar: 32 bytes from kp_secure_alloc).
void gokp_key_parse(gokp_outcome *o, kp_curve *curve, uint8_t *scalar, int fmt, int want,
                           const char *path, const uint8_t *pass, size_t passlen,
                           const uint8_t *in, size_t len)
{
    kp_key_params p = { (kp_curve)want, path, (const char *)pass, passlen };
    gokp_capture(o, kp_key_parse(gokp_ctx, curve, scalar, (kp_key_format)fmt, &p, in, len));
}

void gokp_public_key(gokp_outcome *o, uint8_t *pub, size_t *pub_len, int curve, const uint8_t *secret)
{
    gokp_capture(o, kp_public_key(gokp_ctx, pub, pub_len, (kp_curve)curve, secret));
}

// ---- export contexts, recovery, import preparation and the signer side (export.go, import.go)

void gokp_encryption_keypair(gokp_outcome *o, uint8_t *secret, uint8_t *ek)
{
    gokp_capture(o, kp_encryption_keypair(gokp_ctx, secret, ek));
}

void gokp_encryption_key_from_secret(gokp_outcome *o, uint8_t *ek, const uint8_t *secret)
{
    gokp_capture(o, kp_encryption_key_from_secret(gokp_ctx, ek, secret));
}

void gokp_context_seal(gokp_outcome *o, uint8_t *file, const uint8_t *secret, const uint8_t *pass,
                              size_t passlen, int strength)
{
    gokp_capture(o, kp_context_seal(gokp_ctx, file, secret, (const char *)pass, passlen, (kp_kdf_strength)strength));
}

void gokp_context_open(gokp_outcome *o, uint8_t *secret, const uint8_t *file, size_t len,
                              const uint8_t *pass, size_t passlen)
{
    gokp_capture(o, kp_context_open(gokp_ctx, secret, file, len, (const char *)pass, passlen));
}

// schemes: n (protocol, curve) pairs; n == 0 writes the default list.
void gokp_export_request(gokp_outcome *o, kp_buf *out, const uint8_t *ek, const int *schemes, size_t n, int del)
{
    if (n == 0) {
        gokp_capture(o, kp_export_request_write(out, ek, del));
        return;
    }
    kp_scheme sc[KP_MAX_SCHEMES];
    if (n > KP_MAX_SCHEMES) n = KP_MAX_SCHEMES + 1; // refused below with the library's message
    for (size_t i = 0; i < n && i < KP_MAX_SCHEMES; i++) {
        sc[i].protocol = (kp_protocol)schemes[2 * i];
        sc[i].curve = (kp_curve)schemes[2 * i + 1];
    }
    gokp_capture(o, kp_export_request_write_schemes(out, ek, sc, n, del));
}

void gokp_export_recover(gokp_outcome *o, kp_export_result **res, const uint8_t *secret,
                                const uint8_t *doc, size_t len)
{
    gokp_capture(o, kp_export_recover(gokp_ctx, res, secret, (const char *)doc, len));
}

// Whether one share's envelope opens with a context secret (the table of a failed recovery).
int gokp_opens(const uint8_t *secret, const uint8_t *ct, size_t len)
{
    if (len <= KP_ENVELOPE_OVERHEAD || len >= KP_MAX_INPUT_BYTES) return 0;
    uint8_t *m = kp_secure_alloc(len - KP_ENVELOPE_OVERHEAD);
    if (m == NULL) return 0;
    int ok = kp_envelope_open(gokp_ctx, m, secret, ct, len) == KP_OK;
    kp_secure_free(m);
    return ok;
}

void gokp_signers_parse(gokp_outcome *o, kp_signers **out, const uint8_t *doc, size_t len, const char *cluster)
{
    gokp_capture(o, kp_signers_parse(gokp_ctx, out, (const char *)doc, len, cluster));
}

// ids: the signerIds one after another, idlens their lengths; eks: n × 33 bytes. n <= KP_MAX_SIGNERS.
void gokp_signers_write(gokp_outcome *o, kp_buf *out, const char *cluster, const uint8_t *ids,
                               const size_t *idlens, const uint8_t *eks, size_t n)
{
    kp_signer_info info[KP_MAX_SIGNERS];
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        info[i].signer_id = ids + off;
        info[i].signer_id_len = idlens[i];
        off += idlens[i];
        memcpy(info[i].encryption_key, eks + 33 * i, 33);
    }
    gokp_capture(o, kp_signers_write(out, cluster, info, n));
}

void gokp_import_prepare(gokp_outcome *o, kp_buf *out, const kp_signers *signers, int curve, int protocol,
                                unsigned t, const char *name, const uint8_t *secret)
{
    gokp_capture(o, kp_import_prepare(gokp_ctx, out, signers, (kp_curve)curve, (kp_protocol)protocol, t, name, secret));
}

void gokp_import_request_parse(gokp_outcome *o, kp_import_request **out, const uint8_t *doc, size_t len)
{
    gokp_capture(o, kp_import_request_parse(out, (const char *)doc, len));
}

void gokp_import_open_share(gokp_outcome *o, uint8_t *share, uint8_t *pub, size_t *publen, uint8_t *digest,
                                   const uint8_t *secret, int curve, unsigned index, unsigned n, unsigned t,
                                   const uint8_t *ct, size_t len)
{
    gokp_capture(o, kp_import_open_share_digest(gokp_ctx, share, pub, publen, digest, secret, (kp_curve)curve,
                                                index, n, t, ct, len));
}

void gokp_export_seal_share(gokp_outcome *o, kp_buf *out, const uint8_t *ek, int curve,
                                   const uint8_t *index, const uint8_t *share)
{
    gokp_capture(o, kp_export_seal_share(gokp_ctx, out, ek, (kp_curve)curve, index, share));
}

// ids and cts: one after another, with their lengths. n <= KP_MAX_SIGNERS.
void gokp_export_response_write(gokp_outcome *o, kp_buf *out, int curve, int protocol, const uint8_t *pub,
                                       size_t publen, unsigned t, const uint8_t *ids, const size_t *idlens,
                                       const uint8_t *cts, const size_t *ctlens, size_t n)
{
    kp_signer_share sh[KP_MAX_SIGNERS];
    size_t io = 0, co = 0;
    for (size_t i = 0; i < n; i++) {
        sh[i].signer_id = ids + io;
        sh[i].signer_id_len = idlens[i];
        sh[i].ciphertext = cts + co;
        sh[i].ciphertext_len = ctlens[i];
        io += idlens[i];
        co += ctlens[i];
    }
    gokp_capture(o, kp_export_response_write(out, (kp_curve)curve, (kp_protocol)protocol, pub, publen, t, sh, n));
}

void gokp_scalar_random(gokp_outcome *o, uint8_t *scalar, int curve)
{
    gokp_capture(o, kp_scalar_random(scalar, (kp_curve)curve));
}

void gokp_scalar_check(gokp_outcome *o, int curve, const uint8_t *scalar)
{
    gokp_capture(o, kp_scalar_check((kp_curve)curve, scalar));
}

// A test hook: a call against libkeyport's contract (NULL output), which must come back as
// KP_ERR_MISUSE with the library's message instead of aborting the process.
void gokp_test_misuse(gokp_outcome *o)
{
    uint8_t s[32] = {1};
    gokp_capture(o, kp_public_key(gokp_ctx, NULL, NULL, KP_CURVE_SECP256K1, s));
}

// ---- key formats and addresses (formats.go)

void gokp_key_public(gokp_outcome *o, kp_curve *curve, uint8_t *pub, size_t *publen, int fmt, int want,
                     const char *path, const uint8_t *pass, size_t passlen, const uint8_t *in, size_t len)
{
    kp_key_params p = { (kp_curve)want, path, (const char *)pass, passlen };
    gokp_capture(o, kp_key_public(gokp_ctx, curve, pub, publen, (kp_key_format)fmt, &p, in, len));
}

void gokp_key_write(gokp_outcome *o, kp_buf *out, int fmt, int curve, const uint8_t *scalar,
                    const uint8_t *pass, size_t passlen, int strength)
{
    gokp_capture(o, kp_key_write(gokp_ctx, out, (kp_key_format)fmt, (kp_curve)curve, scalar,
                                 (const char *)pass, passlen, (kp_kdf_strength)strength));
}

void gokp_key_write_check(gokp_outcome *o, int fmt, int curve)
{
    gokp_capture(o, kp_key_write_check((kp_key_format)fmt, (kp_curve)curve));
}

void gokp_addresses(gokp_outcome *o, kp_address *out, size_t *n, int curve, int protocol, const uint8_t *pub, size_t len)
{
    gokp_capture(o, kp_addresses(gokp_ctx, out, n, (kp_curve)curve, protocol, pub, len));
}

void gokp_encryption_key_decode(gokp_outcome *o, uint8_t *ek, const uint8_t *text, size_t len)
{
    gokp_capture(o, kp_encryption_key_decode(gokp_ctx, ek, (const char *)text, len));
}

void gokp_encryption_key_encode(gokp_outcome *o, char *out, const uint8_t *ek)
{
    gokp_capture(o, kp_encryption_key_encode(out, ek));
}

// ---- operators, policies, approvals, credentials (operator.go)

void gokp_operator_new(gokp_outcome *o, kp_operator **out, kp_buf *file, const char *name,
                       const uint8_t *pass, size_t passlen, int strength)
{
    gokp_capture(o, kp_operator_new(gokp_ctx, out, file, name, (const char *)pass, passlen, (kp_kdf_strength)strength));
}

void gokp_operator_parse(gokp_outcome *o, kp_operator **out, const uint8_t *doc, size_t len)
{
    gokp_capture(o, kp_operator_parse(out, (const char *)doc, len));
}

void gokp_operator_unlock(gokp_outcome *o, kp_operator *op, const uint8_t *pass, size_t passlen)
{
    gokp_capture(o, kp_operator_unlock(gokp_ctx, op, (const char *)pass, passlen));
}

// names: n NUL-terminated names one after another; pks: n × 32 bytes; quorum: import, export, archive.
void gokp_policy_write(gokp_outcome *o, kp_buf *out, const char *id, const char *names, const uint8_t *pks,
                       size_t n, const unsigned *quorum)
{
    kp_policy_member m[KP_MAX_SIGNERS];
    if (n > KP_MAX_SIGNERS) n = KP_MAX_SIGNERS;
    for (size_t i = 0; i < n; i++) {
        m[i].name = names;
        names += strlen(names) + 1;
        memcpy(m[i].public_key, pks + 32 * i, 32);
    }
    gokp_capture(o, kp_policy_write(out, id, m, n, quorum));
}

void gokp_policy_parse(gokp_outcome *o, kp_policy **out, const uint8_t *doc, size_t len)
{
    gokp_capture(o, kp_policy_parse(out, (const char *)doc, len));
}

void gokp_action_from_name(gokp_outcome *o, int *action, const char *name)
{
    kp_action a = 0;
    gokp_capture(o, kp_action_from_name(&a, name));
    *action = (int)a;
}

void gokp_approval_sign(gokp_outcome *o, kp_buf *out, const uint8_t *bundle, size_t bundlelen, const kp_operator *op,
                        const kp_policy *policy, int action, const char *key_id, const uint8_t *request,
                        size_t reqlen, int64_t now, int64_t ttl)
{
    gokp_capture(o, kp_approval_sign(gokp_ctx, out, (const char *)bundle, bundlelen, op, policy, (kp_action)action,
                                     key_id, request, reqlen, now, ttl));
}

void gokp_approvals_verify(gokp_outcome *o, kp_approval_report **out, const kp_policy *policy, int action,
                           const char *key_id, const uint8_t *request, size_t reqlen, const uint8_t *bundle,
                           size_t bundlelen, int64_t now)
{
    gokp_capture(o, kp_approvals_verify(gokp_ctx, out, policy, (kp_action)action, key_id, request, reqlen,
                                        (const char *)bundle, bundlelen, now, NULL));
}

void gokp_credential_new(gokp_outcome *o, kp_buf *file, int alg, const char *id)
{
    gokp_capture(o, kp_credential_new(file, (kp_cred_alg)alg, id));
}

void gokp_credential_parse(gokp_outcome *o, kp_credential **out, const uint8_t *doc, size_t len)
{
    gokp_capture(o, kp_credential_parse(out, (const char *)doc, len));
}

void gokp_credential_sign(gokp_outcome *o, kp_buf *sig, const kp_credential *c, const uint8_t *msg, size_t len)
{
    gokp_capture(o, kp_credential_sign(c, sig, msg, len));
}

void gokp_credential_verify(gokp_outcome *o, int alg, const char *pub, const uint8_t *msg, size_t len,
                            const uint8_t *sig, size_t siglen)
{
    gokp_capture(o, kp_credential_verify((kp_cred_alg)alg, pub, msg, len, sig, siglen));
}

// ---- the audit log and the API client (audit.go, client.go)

void gokp_audit_open(gokp_outcome *o, kp_audit_log **out, const char *path, const kp_operator *writer, int64_t now,
                     char *torn)
{
    gokp_capture(o, kp_audit_open(gokp_ctx, out, path, writer, now, torn));
}

// actors: n NUL-terminated names one after another.
void gokp_audit_append(gokp_outcome *o, kp_audit_log *log, int64_t now, const char *event, const char *key_id,
                       const char *pub, const char *actors, size_t n, const char *details, char *head)
{
    const char *a[KP_MAX_SIGNERS];
    if (n > KP_MAX_SIGNERS) n = KP_MAX_SIGNERS;
    for (size_t i = 0; i < n; i++) {
        a[i] = actors;
        actors += strlen(actors) + 1;
    }
    gokp_capture(o, kp_audit_append(log, now, event, key_id, pub, a, n, details, head));
}

void gokp_audit_verify(gokp_outcome *o, kp_audit_report *r, const uint8_t *text, size_t len, const uint8_t *writer,
                       const uint8_t *head)
{
    gokp_capture(o, kp_audit_verify(gokp_ctx, r, (const char *)text, len, writer, head));
}

static int gokp_entry_line(const kp_audit_entry *e, void *data)
{
    kp_buf *b = data;
    return kp_buf_addstr(b, e->line) != KP_OK || kp_buf_add(b, "\n", 1) != KP_OK;
}

// The well-formed entries' lines, one a line, appended to out.
void gokp_audit_entries(gokp_outcome *o, kp_buf *out, const uint8_t *text, size_t len)
{
    gokp_capture(o, kp_audit_entries((const char *)text, len, gokp_entry_line, out));
}

void gokp_client_new(gokp_outcome *o, kp_client **out, const char *url, const char *token)
{
    gokp_capture(o, kp_client_new(out, url, token));
}

void gokp_client_call(gokp_outcome *o, kp_client *c, kp_buf *resp, long *status, const char *method, const char *path,
                      const uint8_t *body, size_t len, int user_action, const char *approvals)
{
    gokp_capture(o, kp_client_call(c, resp, status, method, path, body, len, user_action, approvals));
}
