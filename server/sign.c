/* sign.c: POST and GET /keys/{keyId}/signatures: threshold FROST (RFC 9591) among the signers
 * (API.md "Signing"). The API is the coordinator: it never holds a share or a nonce; it gathers
 * round-one commitments from minSigners signers, sends each the list, checks every signature share
 * against its signer's public share, leaves out and names a signer whose share is wrong, and
 * answers only a signature that verifies under the key's public key (kp_frost_*_aggregate). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

#define SIGN_MSG_MAX 65536 /* bytes of one ed25519 message (signer.c has the same bound) */

typedef struct part {
    size_t i; /* 0-based sorted position; the FROST identifier is i + 1 */
    uint8_t hiding[33], binding[33], pub[33];
} part;

typedef struct sign_req {
    int bip340; /* FROST_BITCOIN/secp256k1; else FROST/ed25519 */
    const char *kind;
    uint8_t *msg;
    size_t msg_len;
} sign_req;

/* Reads {"kind":"Message","message":"0x…"} (ed25519) or {"kind":"Hash","hash":"0x<32 bytes>"}
 * (BIP-340), the bodies of Dfns' generate-signature call. Returns 0 or 400. */
static int parse_request(ks_err *e, sign_req *r, const uint8_t *body, size_t len)
{
    static const char what[] = "the body of POST /keys/{keyId}/signatures";
    cJSON *j = NULL;
    const char *kind, *hex;
    int rc;
    if ((rc = ks_json_parse(e, &j, what, (const char *)body, len)) != 0) return rc;
    const char *want = r->bip340 ? "Hash" : "Message", *field = r->bip340 ? "hash" : "message";
    if ((rc = ks_json_str(e, &kind, j, what, "kind", 1)) != 0) goto done;
    if (strcmp(kind, want) != 0) {
        rc = ks_fail(e, 400, "%s: kind must be \"%s\" for a %s key (%s)", what, want,
                     r->bip340 ? "FROST_BITCOIN" : "FROST ed25519",
                     r->bip340 ? "BIP-340 signs a 32-byte message hash" : "Ed25519 signs the message itself");
        goto done;
    }
    r->kind = want;
    for (const cJSON *m = j->child; m != NULL; m = m->next)
        if (strcmp(m->string, "kind") != 0 && strcmp(m->string, field) != 0 && strcmp(m->string, "externalId") != 0) {
            char shown[64];
            snprintf(shown, sizeof shown, "%.40s", m->string);
            ks_utf8_clean(shown);
            rc = ks_fail(e, 400, "%s: unknown member \"%s\" (a %s request has kind and %s)", what, shown, want, field);
            goto done;
        }
    if ((rc = ks_json_str(e, &hex, j, what, field, 1)) != 0) goto done;
    size_t hl = strlen(hex);
    if (hl < 2 || hex[0] != '0' || hex[1] != 'x' || (hl - 2) % 2 != 0) {
        rc = ks_fail(e, 400, "%s: %s must be \"0x\" and an even number of hex digits", what, field);
        goto done;
    }
    r->msg_len = (hl - 2) / 2;
    if (r->bip340 ? r->msg_len != 32 : r->msg_len > SIGN_MSG_MAX) {
        rc = r->bip340 ? ks_fail(e, 400, "%s: hash must be 32 bytes (64 hex digits after 0x), not %zu", what, r->msg_len)
                       : ks_fail(e, 400, "%s: message is %zu bytes; at most %d are signed", what, r->msg_len,
                                 SIGN_MSG_MAX);
        goto done;
    }
    if ((r->msg = malloc(r->msg_len + 1)) == NULL) {
        rc = ks_fail(e, 500, "out of memory");
        goto done;
    }
    if (r->msg_len > 0 && kp_bytes_from_hex(r->msg, r->msg_len, hex + 2, hl - 2) != KP_OK)
        rc = ks_fail(e, 400, "%s: %s is not hex after 0x", what, field);
done:
    if (rc != 0) {
        free(r->msg);
        r->msg = NULL;
    }
    cJSON_Delete(j);
    return rc;
}

/* A signer's public share as it first gave it for this key is kept; a later one must be the same
 * (a signer cannot move its public share to hide a wrong signature share). 0, or -1 when it differs. */
static int pin_public_share(ks_api *api, const char *key_id, size_t i, const uint8_t *pub, size_t len)
{
    sqlite3_stmt *q = NULL;
    int same = 0;
    ks_err e = {0};
    pthread_mutex_lock(&api->db_lock);
    if (ks_db_prepare(&e, api->db, &q, "INSERT OR IGNORE INTO public_shares(key_id, position, point) VALUES(?, ?, ?)") == 0) {
        sqlite3_bind_text(q, 1, key_id, -1, SQLITE_STATIC);
        sqlite3_bind_int(q, 2, (int)i);
        sqlite3_bind_blob(q, 3, pub, (int)len, SQLITE_STATIC);
        sqlite3_step(q);
    }
    sqlite3_finalize(q);
    q = NULL;
    if (ks_db_prepare(&e, api->db, &q, "SELECT point FROM public_shares WHERE key_id = ? AND position = ?") == 0) {
        sqlite3_bind_text(q, 1, key_id, -1, SQLITE_STATIC);
        sqlite3_bind_int(q, 2, (int)i);
        same = sqlite3_step(q) == SQLITE_ROW && (size_t)sqlite3_column_bytes(q, 0) == len &&
               memcmp(sqlite3_column_blob(q, 0), pub, len) == 0;
    }
    sqlite3_finalize(q);
    pthread_mutex_unlock(&api->db_lock);
    return same ? 0 : -1;
}

/* Reads a hex member of exactly len bytes from a signer's answer. */
static int answer_hex(const cJSON *a, const char *name, uint8_t *out, size_t len)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(a, name);
    return cJSON_IsString(m) && kp_bytes_from_hex(out, len, m->valuestring, strlen(m->valuestring)) == KP_OK ? 0 : -1;
}

/* Names signer i (position and signerId) and what it did, in a "; "-separated list. */
static void note(kp_buf *b, ks_api *api, size_t i, const char *why)
{
    ks_buf_addf(b, "%ssigner %zu (%s): %s", b->len ? "; " : "", i + 1, api->signers[i].id_b64, why);
}

/* Round one on the signers not left out, in sorted order, until t have committed. Returns how many. */
static size_t round_one(ks_api *api, const ks_key_row *k, const sign_req *r, const char *signing_id, part *parts,
                        const int *left_out, kp_buf *missing, kp_buf *culprits, int *archived)
{
    size_t plen = r->bip340 ? 33 : 32, have = 0;
    kp_buf call;
    kp_buf_init(&call, 0);
    ks_buf_addf(&call, "{\"keyId\":\"%s\",\"signingId\":\"%s\"}", k->id, signing_id);
    for (size_t i = 0; i < api->n && have < k->t; i++) {
        if (left_out[i]) continue;
        ks_err why = {0};
        cJSON *a = NULL;
        part *p = &parts[have];
        unsigned id = 0;
        if (ks_signer_ask(&why, api, i, "sign-commit", &call, &a) != 0) {
            if (why.status == 409) *archived = 1;
            ks_buf_addf(missing, "%s%s", missing->len ? "; " : "", why.msg);
        } else if (ks_json_uint(&why, &id, a, "a signer's commitments", "id", 1, 65535) != 0 || id != i + 1 ||
                   answer_hex(a, "hiding", p->hiding, plen) != 0 || answer_hex(a, "binding", p->binding, plen) != 0 ||
                   answer_hex(a, "publicShare", p->pub, plen) != 0) {
            note(culprits, api, i, "its round-one answer is malformed or has another id");
        } else if (pin_public_share(api, k->id, i, p->pub, plen) != 0) {
            note(culprits, api, i,
                 "its public share is not the one it gave before for this key");
        } else {
            p->i = i;
            have++;
        }
        cJSON_Delete(a);
    }
    kp_buf_release(&call);
    return have;
}

/* Round two: each chosen signer's share, checked against its public share (RFC 9591 §5.4).
 * Marks in left_out, and names in culprits, every signer whose share is missing or wrong.
 * Returns 0 when all t shares verify. */
static int round_two(ks_api *api, const ks_key_row *k, const sign_req *r, const char *signing_id, const part *parts,
                     const uint8_t *gpk, kp_frost_secp_commitment *ls, kp_frost_commitment *le, uint8_t (*z)[32],
                     int *left_out, kp_buf *missing, kp_buf *culprits)
{
    size_t plen = r->bip340 ? 33 : 32, t = k->t;
    int bad = 0;
    kp_buf call;
    kp_buf_init(&call, 0);
    ks_buf_addf(&call, "{\"keyId\":\"%s\",\"signingId\":\"%s\",\"message\":\"", k->id, signing_id);
    kp_buf_addhex(&call, r->msg, r->msg_len);
    kp_buf_addstr(&call, "\",\"commitments\":[");
    for (size_t m = 0; m < t; m++) {
        char h[67], b[67];
        ks_hex(h, parts[m].hiding, plen);
        ks_hex(b, parts[m].binding, plen);
        ks_buf_addf(&call, "%s{\"id\":%zu,\"hiding\":\"%s\",\"binding\":\"%s\"}", m ? "," : "", parts[m].i + 1, h, b);
        ls[m].id = le[m].id = (uint16_t)(parts[m].i + 1);
        memcpy(ls[m].hiding, parts[m].hiding, plen);
        memcpy(ls[m].binding, parts[m].binding, plen);
        memcpy(le[m].hiding, parts[m].hiding, 32);
        memcpy(le[m].binding, parts[m].binding, 32);
    }
    kp_buf_addstr(&call, "]}");
    for (size_t m = 0; m < t; m++) {
        size_t i = parts[m].i;
        ks_err why = {0};
        cJSON *a = NULL;
        kp_status st = KP_ERR_FORMAT;
        if (ks_signer_ask(&why, api, i, "sign-share", &call, &a) != 0) {
            ks_buf_addf(missing, "%s%s", missing->len ? "; " : "", why.msg);
            left_out[i] = bad = 1;
        } else if (answer_hex(a, "share", z[m], 32) != 0 ||
                   (st = r->bip340 ? kp_frost_bip340_verify_share(api->ctx, z[m], ls[m].id, parts[m].pub, gpk, ls, t,
                                                                  r->msg, r->msg_len)
                                   : kp_frost_ed25519_verify_share(z[m], le[m].id, parts[m].pub, gpk, le, t, r->msg,
                                                                   r->msg_len)) != KP_OK) {
            note(culprits, api, i,
                 st == KP_ERR_FORMAT ? "its round-two answer has no 32-byte share"
                                     : "its signature share does not verify against its public share");
            ks_log("signing with key %s: signer %zu (%s) sent a signature share that does not verify; it is left out",
                   k->id, i + 1, api->signers[i].id_b64);
            left_out[i] = bad = 1;
        }
        cJSON_Delete(a);
    }
    kp_buf_release(&call);
    return bad;
}

/* The signature object of API.md, from a row of the signatures table. */
static kp_status signature_write(kp_buf *b, sqlite3_stmt *q)
{
#define COL(n) ((const char *)sqlite3_column_text(q, n))
    return ks_buf_addf(b,
                       "{\"id\":\"%s\",\"keyId\":\"%s\",\"requestBody\":%s,\"status\":\"Signed\",\"signature\":"
                       "{\"r\":\"0x%s\",\"s\":\"0x%s\",\"encoded\":\"0x%s\"},\"signers\":%s,\"dateRequested\":\"%s\","
                       "\"dateSigned\":\"%s\"}",
                       COL(0), COL(1), COL(2), COL(3), COL(4), COL(5), COL(6), COL(7), COL(8));
#undef COL
}

#define SIG_COLUMNS "SELECT id, key_id, request_body, r, s, encoded, signers, date_requested, date_signed FROM signatures"

int ks_signatures_get(ks_err *e, ks_api *api, const char *key_id, const char *sig_id, kp_buf *out)
{
    ks_key_row k;
    int rc, step;
    size_t count = 0;
    if ((rc = ks_key_load(e, api, key_id, &k, 1)) != 0) return rc;
    sqlite3_stmt *q = NULL;
    if (sig_id == NULL) kp_buf_addstr(out, "{\"items\":[");
    pthread_mutex_lock(&api->db_lock);
    if ((rc = ks_db_prepare(e, api->db, &q,
                            sig_id ? SIG_COLUMNS " WHERE key_id = ? AND id = ?" : SIG_COLUMNS " WHERE key_id = ? ORDER BY rowid"))
        == 0) {
        sqlite3_bind_text(q, 1, k.id, -1, SQLITE_STATIC);
        if (sig_id) sqlite3_bind_text(q, 2, sig_id, -1, SQLITE_STATIC);
        while (rc == 0 && (step = sqlite3_step(q)) == SQLITE_ROW)
            if ((count++ && kp_buf_addstr(out, ",") != KP_OK) || signature_write(out, q) != KP_OK)
                rc = ks_fail(e, 500, "out of memory");
        if (rc == 0 && step != SQLITE_DONE) rc = ks_fail(e, 500, "cannot read the signatures: %s", sqlite3_errmsg(api->db));
    }
    sqlite3_finalize(q);
    pthread_mutex_unlock(&api->db_lock);
    if (rc == 0 && sig_id != NULL && count == 0) {
        char shown[80];
        snprintf(shown, sizeof shown, "%.60s", sig_id);
        ks_utf8_clean(shown);
        rc = ks_fail(e, 404, "key %s has no signature %s", k.id, shown);
    }
    if (rc == 0 && sig_id == NULL && kp_buf_addstr(out, "]}") != KP_OK) rc = ks_fail(e, 500, "out of memory");
    return rc;
}

/* Stores the signature and spends the request's approval nonces, in one transaction. */
static int store_signature(ks_err *e, ks_api *api, const ks_authz *z, const char *sig_id, const ks_key_row *k,
                           const uint8_t *body, size_t len, const uint8_t sig[64], const char *signers,
                           const char *requested)
{
    char rh[65], sh[65], eh[129], now[32];
    ks_hex(rh, sig, 32);
    ks_hex(sh, sig + 32, 32);
    ks_hex(eh, sig, 64);
    ks_iso_now(now);
    sqlite3_stmt *q = NULL;
    int rc;
    pthread_mutex_lock(&api->db_lock);
    if ((rc = ks_db_exec(e, api->db, "storing the signature", "BEGIN IMMEDIATE")) != 0) goto unlock;
    if ((rc = ks_db_prepare(e, api->db, &q,
                            "INSERT INTO signatures(id, key_id, request_body, r, s, encoded, signers, date_requested,"
                            " date_signed) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)")) == 0) {
        sqlite3_bind_text(q, 1, sig_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, k->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, (const char *)body, (int)len, SQLITE_STATIC);
        sqlite3_bind_text(q, 4, rh, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 5, sh, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 6, eh, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 7, signers, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 8, requested, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 9, now, -1, SQLITE_STATIC);
        if (sqlite3_step(q) != SQLITE_DONE)
            rc = ks_fail(e, 500, "cannot store signature %s: %s", sig_id, sqlite3_errmsg(api->db));
    }
    sqlite3_finalize(q);
    if (rc == 0) rc = ks_authz_store_nonces(e, api, z);
    if (rc == 0) rc = ks_db_exec(e, api->db, "storing the signature", "COMMIT");
    if (rc != 0) sqlite3_exec(api->db, "ROLLBACK", NULL, NULL, NULL);
unlock:
    pthread_mutex_unlock(&api->db_lock);
    return rc;
}

/* The audit details of a signing: what was signed (its SHA-256), by whom, and who was left out. */
static void audit_details(kp_buf *d, const char *sig_id, const sign_req *r, const ks_authz *z, const char *signers,
                          const kp_buf *culprits, const char *reason)
{
    uint8_t h[32];
    char hex[65];
    kp_sha256(h, r->msg, r->msg_len);
    ks_hex(hex, h, 32);
    ks_buf_addf(d, "{\"signature\":\"%s\",\"kind\":\"%s\",\"digest\":\"%s\",\"signers\":%s,\"culprits\":", sig_id,
                r->kind, hex, signers);
    kp_buf_addjstr(d, culprits->data ? (const char *)culprits->data : "", culprits->len);
    kp_buf_addstr(d, ",\"approvers\":");
    ks_authz_add_approvers(d, z);
    kp_buf_addstr(d, ",\"credential\":");
    kp_buf_addjstr(d, z->cred_id, strlen(z->cred_id));
    if (reason != NULL) {
        kp_buf_addstr(d, ",\"reason\":");
        kp_buf_addjstr(d, reason, strlen(reason));
    }
    kp_buf_addstr(d, "}");
}

/* Appends key.sign_refused with the refusal already in e; returns its status. */
static int refuse(ks_err *e, ks_api *api, const ks_key_row *k, const char *sig_id, const sign_req *r, const ks_authz *z,
                  const kp_buf *culprits)
{
    kp_buf d;
    kp_buf_init(&d, 0);
    audit_details(&d, sig_id, r, z, "[]", culprits, e->msg);
    ks_audit(api, "key.sign_refused", k->id, k->pub_hex, NULL, 0, (const char *)d.data);
    kp_buf_release(&d);
    return e->status;
}

int ks_keys_sign(ks_err *e, ks_api *api, const ks_authz *z, const char *key_id, const uint8_t *body, size_t len,
                 kp_buf *out)
{
    ks_key_row k;
    sign_req r = {0};
    int rc;
    if ((rc = ks_key_load(e, api, key_id, &k, 1)) != 0) return rc;
    if (strcmp(k.protocol, "FROST_BITCOIN") == 0 && strcmp(k.curve, "secp256k1") == 0)
        r.bip340 = 1;
    else if (strcmp(k.protocol, "FROST") != 0 || strcmp(k.curve, "ed25519") != 0)
        return ks_fail(e, 501,
                       "key %s is a %s key on %s: threshold ECDSA signing (CGGMP21, CGGMP24) is not implemented; "
                       "keyportd signs with FROST (RFC 9591): FROST keys on ed25519 and FROST_BITCOIN keys (BIP-340) "
                       "on secp256k1",
                       k.id, k.protocol, k.curve);
    if ((rc = parse_request(e, &r, body, len)) != 0) return rc;

    char sig_id[KS_KEY_ID_MAX], requested[32], signing_id[KS_KEY_ID_MAX + 8];
    size_t plen = r.bip340 ? 33 : 32, t = k.t;
    uint8_t gpk[33], sig[64];
    int left_out[KP_MAX_SIGNERS] = {0}, archived = 0, done = 0;
    part *parts = calloc(KP_MAX_SIGNERS, sizeof *parts);
    kp_frost_secp_commitment *ls = calloc(KP_MAX_SIGNERS, sizeof *ls);
    kp_frost_commitment *le = calloc(KP_MAX_SIGNERS, sizeof *le);
    uint8_t (*zs)[32] = calloc(KP_MAX_SIGNERS, 32);
    kp_buf missing, culprits, signers, d;
    kp_buf_init(&missing, 0);
    kp_buf_init(&culprits, 0);
    kp_buf_init(&signers, 0);
    kp_buf_init(&d, 0);
    ks_new_id(sig_id, sizeof sig_id, "sig-");
    ks_iso_now(requested);
    if (parts == NULL || ls == NULL || le == NULL || zs == NULL) {
        rc = ks_fail(e, 500, "out of memory");
        goto cleanup;
    }
    if (kp_bytes_from_hex(gpk, plen, k.pub_hex, strlen(k.pub_hex)) != KP_OK) {
        rc = ks_fail(e, 500, "key %s: the stored publicKey is not %zu bytes of hex", k.id, plen);
        goto cleanup;
    }
    if (strcmp(k.status, "Archived") == 0) {
        ks_fail(e, 409, "key %s is archived (%s): an archived key never signs again", k.id,
                k.exported ? "exported" : "archived on request");
        rc = refuse(e, api, &k, sig_id, &r, z, &culprits);
        goto cleanup;
    }
    /* each attempt draws fresh nonces; a retry leaves out every signer that failed or cheated */
    for (unsigned attempt = 0; !done; attempt++) {
        snprintf(signing_id, sizeof signing_id, "%s-%u", sig_id, attempt);
        size_t have = round_one(api, &k, &r, signing_id, parts, left_out, &missing, &culprits, &archived);
        if (have < t) {
            const char *down = missing.len ? (const char *)missing.data : "none";
            const char *cheat = culprits.len ? (const char *)culprits.data : "none";
            if (archived && have == 0)
                ks_fail(e, 409, "key %s: the signers refuse to sign: %s", k.id, down);
            else
                ks_fail(e, 503, "key %s: fewer than minSigners = %zu signers can sign; not answering: %.400s; left out: %.400s",
                        k.id, t, down, cheat);
            rc = refuse(e, api, &k, sig_id, &r, z, &culprits);
            goto cleanup;
        }
        ks_crash_point("sign-between-rounds");
        if (round_two(api, &k, &r, signing_id, parts, gpk, ls, le, zs, left_out, &missing, &culprits) != 0) continue;
        kp_status st = r.bip340 ? kp_frost_bip340_aggregate(api->ctx, sig, (const uint8_t(*)[32])zs, gpk, ls, t, r.msg,
                                                            r.msg_len)
                                : kp_frost_ed25519_aggregate(sig, (const uint8_t(*)[32])zs, gpk, le, t, r.msg, r.msg_len);
        if (st != KP_OK) {
            rc = ks_fail_kp(e, 500, st, "key %s: the aggregated signature does not verify under the key's public key", k.id);
            goto cleanup;
        }
        done = 1;
    }
    kp_buf_addstr(&signers, "[");
    for (size_t m = 0; m < t; m++) ks_buf_addf(&signers, "%s\"%s\"", m ? "," : "", api->signers[parts[m].i].id_b64);
    if (kp_buf_addstr(&signers, "]") != KP_OK) {
        rc = ks_fail(e, 500, "out of memory");
        goto cleanup;
    }
    if ((rc = store_signature(e, api, z, sig_id, &k, body, len, sig, (const char *)signers.data, requested)) != 0)
        goto cleanup;
    audit_details(&d, sig_id, &r, z, (const char *)signers.data, &culprits, NULL);
    ks_audit(api, "key.signed", k.id, k.pub_hex, (const char *const *)z->approvers, z->napprovers,
             (const char *)d.data);
    rc = ks_signatures_get(e, api, k.id, sig_id, out);
cleanup:
    free(r.msg);
    free(parts);
    free(ls);
    free(le);
    free(zs);
    kp_buf_release(&missing);
    kp_buf_release(&culprits);
    kp_buf_release(&signers);
    kp_buf_release(&d);
    return rc;
}
