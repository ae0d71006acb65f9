/* engine.c: see engine.h. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "io.h"
#include "key_cli.h"
#include "keyport_keyfmt.h"

/* ================================================================== the command's steps */

static void hex32(char out[65], const uint8_t b[32])
{
    for (int i = 0; i < 32; i++) sprintf(out + 2 * i, "%02x", b[i]);
}

int kp_eng_load_policy(const char *path, kp_policy **out)
{
    unsigned char *text;
    size_t len;
    int code = kp_cli_read_file(path, KP_MAX_INPUT_BYTES, 0, &text, &len);
    if (code != KP_EXIT_OK) return code;
    kp_status st = kp_policy_parse(out, (const char *)text, len);
    kp_cli_free(text, len, 0);
    return st == KP_OK ? KP_EXIT_OK : kp_cli_fail(st, path);
}

int kp_eng_check_request(const char *path, const unsigned char *req, size_t len)
{
    size_t i = 0;
    while (i < len && (req[i] == ' ' || req[i] == '\t' || req[i] == '\n' || req[i] == '\r')) i++;
    if (i == len)
        return kp_cli_error(KP_EXIT_INPUT, "%s: the request is empty; an approval must name a request body (a JSON object)",
                            path);
    if (kp_json_check((const char *)req, len, path) != KP_OK)
        return kp_cli_error(KP_EXIT_INPUT, "the request is not valid JSON: %s", kp_error_detail());
    if (req[i] != '{')
        return kp_cli_error(KP_EXIT_INPUT, "%s: the request is a JSON value but not an object; an import, export or "
                            "archive body is an object", path);
    return KP_EXIT_OK;
}

int kp_eng_operator_read(kp_ctx *ctx, const char *path, kp_operator **out)
{
    (void)ctx;
    unsigned char *text = NULL;
    size_t len = 0;
    *out = NULL;
    int code = kp_cli_read_file(path, 64 * 1024, 0, &text, &len);
    if (code != KP_EXIT_OK) return code;
    kp_status st = kp_operator_parse(out, (const char *)text, len);
    kp_cli_free(text, len, 0);
    return st == KP_OK ? KP_EXIT_OK : kp_cli_fail(st, path);
}

int kp_eng_operator_unlock(kp_ctx *ctx, kp_operator *op, const char *where, const char *pass, size_t passlen)
{
    kp_status st = kp_operator_unlock(ctx, op, pass, passlen);
    return st == KP_OK ? KP_EXIT_OK : kp_cli_fail(st, where);
}

int kp_eng_export_seal(kp_ctx *ctx, const char *pass, size_t passlen, kp_kdf_strength strength, const kp_scheme *schemes,
                       size_t nschemes, int no_delete, uint8_t file[KP_CONTEXT_FILE_BYTES], kp_buf *req, char fp[17])
{
    uint8_t *secret = kp_secure_alloc(32), ek[33];
    if (secret == NULL) return kp_cli_error(KP_EXIT_INTERNAL, "out of memory");
    kp_status st;
    int code = KP_EXIT_OK;
    if ((st = kp_encryption_keypair(ctx, secret, ek)) != KP_OK ||
        (st = kp_context_seal(ctx, file, secret, pass, passlen, strength)) != KP_OK ||
        (st = kp_export_request_write_schemes(req, ek, schemes, nschemes, no_delete ? 0 : -1)) != KP_OK ||
        (st = kp_buf_addstr(req, "\n")) != KP_OK)
        code = kp_cli_fail(st, "export init");
    else
        kp_encryption_key_fingerprint(fp, ek);
    kp_secure_free(secret);
    return code;
}

int kp_eng_record_export_requested(kp_cli_audit *audit, const char *fp, int no_delete)
{
    char details[128];
    snprintf(details, sizeof details, "{\"recipient\":\"%s\",\"delete\":%s}", fp, no_delete ? "false" : "true");
    return kp_cli_audit_record(audit, "export.requested", NULL, NULL, NULL, 0, details);
}

int kp_eng_export_open(kp_ctx *ctx, const unsigned char *ctxfile, size_t ctxlen, const char *ctxname, const char *pass,
                       size_t passlen, const unsigned char *resp, size_t resplen, const char *respname, uint8_t *secret,
                       kp_export_result **r)
{
    kp_status st;
    *r = NULL;
    if ((st = kp_context_open(ctx, secret, ctxfile, ctxlen, pass, passlen)) != KP_OK) return kp_cli_fail(st, ctxname);
    if ((st = kp_export_recover(ctx, r, secret, (const char *)resp, resplen)) != KP_OK) return kp_cli_fail(st, respname);
    return KP_EXIT_OK;
}

int kp_eng_record_export(kp_cli_audit *audit, kp_ctx *ctx, const uint8_t *context_secret, const kp_export_result *r)
{
    if (audit->h == NULL) return KP_EXIT_OK;
    uint8_t pub[KP_PUBKEY_MAX_BYTES], ek[33];
    char fp[17];
    size_t pub_len = kp_export_result_public_key(r, pub);
    kp_buf pubhex, d;
    kp_buf_init(&pubhex, 0);
    kp_buf_init(&d, 0);
    kp_buf_addhex(&pubhex, pub, pub_len);
    kp_encryption_key_from_secret(ctx, ek, context_secret);
    kp_encryption_key_fingerprint(fp, ek);
    kp_buf_addstr(&d, "{\"curve\":\"");
    kp_buf_addstr(&d, kp_curve_name(kp_export_result_curve(r)));
    kp_buf_addstr(&d, "\",\"protocol\":\"");
    kp_buf_addstr(&d, kp_protocol_name(kp_export_result_protocol(r)));
    kp_buf_addstr(&d, "\",\"recipient\":\"");
    kp_buf_addstr(&d, fp);
    kp_buf_addstr(&d, "\",\"culprits\":[");
    for (size_t i = 0; i < kp_export_result_culprit_count(r); i++) {
        const char *id = kp_export_result_culprit(r, i, NULL, NULL);
        if (i) kp_buf_addstr(&d, ",");
        kp_buf_addjstr(&d, id, strlen(id));
    }
    kp_status st = kp_buf_addstr(&d, "]}");
    int code = st == KP_OK ? kp_cli_audit_record(audit, "key.exported", NULL, (const char *)pubhex.data, NULL, 0,
                                                 (const char *)d.data)
                           : kp_cli_fail(st, "export recover");
    kp_buf_release(&pubhex);
    kp_buf_release(&d);
    return code;
}

int kp_eng_record_import(kp_cli_audit *audit, kp_ctx *ctx, const kp_signers *signers, kp_curve c, kp_protocol p,
                         unsigned t, const uint8_t *key, const kp_buf *request, const char *format, const char *path)
{
    if (audit->h == NULL) return KP_EXIT_OK;
    uint8_t pub[KP_PUBKEY_MAX_BYTES], h[32];
    size_t pub_len;
    kp_buf pubhex, d;
    kp_status st = kp_public_key(ctx, pub, &pub_len, c, key);
    if (st != KP_OK) return kp_cli_fail(st, "import prepare");
    kp_buf_init(&pubhex, 0);
    kp_buf_init(&d, 0);
    kp_buf_addhex(&pubhex, pub, pub_len);
    kp_sha256(h, request->data, request->len); /* the bytes handed out, as `keyport approve --request` hashes the file */
    char head[160];
    snprintf(head, sizeof head, "{\"curve\":\"%s\",\"protocol\":\"%s\",\"minSigners\":%u,\"request\":\"", kp_curve_name(c),
             kp_protocol_name(p), t);
    kp_buf_addstr(&d, head);
    kp_buf_addhex(&d, h, 32);
    kp_buf_addstr(&d, "\",\"signers\":[");
    for (size_t i = 0; i < kp_signers_count(signers); i++) {
        const char *id = kp_signers_get(signers, i, NULL);
        if (i) kp_buf_addstr(&d, ",");
        kp_buf_addjstr(&d, id, strlen(id));
    }
    /* where the key came from, and the addresses the operators confirmed (nothing secret) */
    kp_buf_addstr(&d, "],\"keyFormat\":");
    kp_buf_addjstr(&d, format ? format : "hex", strlen(format ? format : "hex"));
    if (path) {
        kp_buf_addstr(&d, ",\"path\":");
        kp_buf_addjstr(&d, path, strlen(path));
    }
    kp_buf_addstr(&d, ",");
    int code = kp_cli_key_addresses_json(ctx, &d, c, (int)p, pub, pub_len);
    if (code == KP_EXIT_OK) {
        st = kp_buf_addstr(&d, "}");
        code = st == KP_OK ? kp_cli_audit_record(audit, "import.prepared", NULL, (const char *)pubhex.data, NULL, 0,
                                                 (const char *)d.data)
                           : kp_cli_fail(st, "import prepare");
    }
    kp_buf_release(&pubhex);
    kp_buf_release(&d);
    return code;
}

int kp_eng_approve(kp_ctx *ctx, kp_buf *out, const unsigned char *old, size_t oldlen, const kp_operator *op,
                   const kp_policy *pol, kp_action action, const char *key_id, const unsigned char *req, size_t reqlen,
                   long ttl)
{
    kp_status st = kp_approval_sign(ctx, out, (const char *)old, oldlen, op, pol, action, key_id, req, reqlen,
                                    (int64_t)time(NULL), ttl);
    return st == KP_OK ? KP_EXIT_OK : kp_cli_fail(st, "approve");
}

int kp_eng_record_approval(kp_cli_audit *audit, const kp_operator *op, const kp_policy *pol, kp_action action,
                           const char *key_id, const unsigned char *req, size_t reqlen)
{
    uint8_t h[32];
    char hash[65];
    kp_sha256(h, req, reqlen);
    hex32(hash, h);
    const char *name = kp_operator_name(op);
    kp_buf d;
    kp_buf_init(&d, 0);
    kp_status ds = kp_buf_addstr(&d, "{\"action\":\"");
    if (ds == KP_OK) ds = kp_buf_addstr(&d, kp_action_name(action));
    if (ds == KP_OK) ds = kp_buf_addstr(&d, "\",\"policy\":");
    if (ds == KP_OK) ds = kp_buf_addjstr(&d, kp_policy_id(pol), strlen(kp_policy_id(pol)));
    if (ds == KP_OK) ds = kp_buf_addstr(&d, ",\"request\":\"");
    if (ds == KP_OK) ds = kp_buf_addstr(&d, hash);
    if (ds == KP_OK) ds = kp_buf_addstr(&d, "\",\"operator\":");
    if (ds == KP_OK) ds = kp_buf_addjstr(&d, name, strlen(name));
    if (ds == KP_OK) ds = kp_buf_addstr(&d, "}");
    int code = ds != KP_OK ? kp_cli_fail(ds, "approve")
                           : kp_cli_audit_record(audit, "approval.recorded", key_id, NULL, &name, 1, (const char *)d.data);
    kp_buf_release(&d);
    return code;
}

int kp_eng_operator_new(kp_ctx *ctx, kp_buf *file, const char *name, const char *pass, size_t passlen,
                        kp_kdf_strength strength, kp_operator **op)
{
    kp_status st = kp_operator_new(ctx, op, file, name, pass, passlen, strength);
    return st == KP_OK ? KP_EXIT_OK : kp_cli_fail(st, "operator new");
}

int kp_eng_policy_new(kp_ctx *ctx, kp_buf *out, const char *id, const char *const *files, size_t nfiles,
                      const unsigned quorum[KP_ACTION_COUNT])
{
    kp_operator *ops[KP_MAX_SIGNERS] = {0};
    kp_policy_member members[KP_MAX_SIGNERS] = {{0}};
    int code = KP_EXIT_OK;
    if (nfiles > KP_MAX_SIGNERS) return kp_cli_error(KP_EXIT_USAGE, "at most %d operators", KP_MAX_SIGNERS);
    for (size_t i = 0; i < nfiles && code == KP_EXIT_OK; i++) {
        /* only the public parts are read: no passphrase is asked */
        if ((code = kp_eng_operator_read(ctx, files[i], &ops[i])) == KP_EXIT_OK) {
            members[i].name = kp_operator_name(ops[i]);
            kp_operator_public_key(ops[i], members[i].public_key);
        }
    }
    if (code == KP_EXIT_OK) {
        kp_status st = kp_policy_write(out, id, members, nfiles, quorum);
        if (st != KP_OK) code = kp_cli_fail(st, "policy new");
    }
    for (size_t i = 0; i < nfiles; i++) kp_operator_free(ops[i]);
    return code;
}

void kp_eng_read_aloud(char out[20], const unsigned char *req, size_t len)
{
    uint8_t h[32];
    kp_sha256(h, req, len);
    snprintf(out, 20, "%02X%02X %02X%02X %02X%02X %02X%02X", h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]);
}

/* ================================================================== ceremonies */

enum {
    S_FOLDER, S_POLICY, S_KEYID, S_CUSTODIAN_FILE, S_CUSTODIAN_PASS, S_CONTEXT_NEW_PASS, S_BATON, S_OP_FILE, S_OP_PASS,
    S_APPROVE, S_WRITE, S_DONE, S_CONTEXT_FILE, S_RESPONSE_FILE, S_CONTEXT_PASS, S_SHARES, S_ADDRESSES, S_OUT_FORMAT,
    S_KEYSTORE_PASS, S_OUT_FILE, S_REVEAL, S_SIGNERS_FILE, S_SCHEME, S_KEY_SOURCE, S_MNEMONIC, S_KEY_PATH, S_KEY_FORMAT,
    S_KEY_FILE, S_KEY_PASS, S_REQUEST_FILE, S_ACTION, S_BUNDLE_IN, S_OP_NAME, S_NEW_OP_PASS, S_FINGERPRINT, S_POLICY_ID,
    S_POLICY_OPS, S_QUORUM, S_POLICY_REVIEW, S_LOG_FILE, S_WRITER, S_VERIFY_REVIEW, S_END = -1
};

static const kp_step STEPS[] = {
    {S_FOLDER, KP_STEP_TEXT, "The medium", "Folder to read from and write to:", "files are read from and written to this folder, never over a file"},
    {S_POLICY, KP_STEP_TEXT, "The policy", "Policy file:", "the policy names the operators and each action's quorum"},
    {S_KEYID, KP_STEP_TEXT, "The key", "Key id:", "the id of the key in the cluster, as `keyport api keys` lists it"},
    {S_CUSTODIAN_FILE, KP_STEP_TEXT, "The custodian", "Custodian's operator file (writes the audit log):", "the custodian signs this ceremony's audit log entries"},
    {S_CUSTODIAN_PASS, KP_STEP_SECRET, "The custodian", "Custodian's passphrase:", "nothing is shown while typing, not even the length"},
    {S_CONTEXT_NEW_PASS, KP_STEP_NEW_SECRET, "Export context passphrase", "Passphrase for the export context:", "needed again at visit 2 to open the response"},
    {S_BATON, KP_STEP_BATON, "Pass the keyboard", "", "Enter: the operator is at the keyboard; s: skip this operator"},
    {S_OP_FILE, KP_STEP_TEXT, "Operator file", "Your operator file:", "the file made when you were enrolled"},
    {S_OP_PASS, KP_STEP_SECRET, "Unlock", "Your operator passphrase:", "nothing is shown while typing, not even the length"},
    {S_APPROVE, KP_STEP_APPROVE, "Approve", "Type approve to approve:", "read the digest aloud; the witness compares it"},
    {S_WRITE, KP_STEP_REVIEW, "Write the files", "Enter writes these files; Esc goes back", "files are written whole (temporary file, fsync, link), never over one"},
    {S_DONE, KP_STEP_DONE, "Done", "", "the files written, with the first 16 hex digits of their SHA-256"},
    {S_CONTEXT_FILE, KP_STEP_TEXT, "The export context", "Export context file (from visit 1):", "the context holds the key the shares are encrypted to"},
    {S_RESPONSE_FILE, KP_STEP_TEXT, "The response", "Export response file (from the cluster):", "the body the cluster answered the export with"},
    {S_CONTEXT_PASS, KP_STEP_SECRET, "Open the context", "Passphrase of the export context:", "the passphrase set at visit 1"},
    {S_SHARES, KP_STEP_REVIEW, "The signers' shares", "Enter: go on", "each signer's share: opened and on the polynomial, or bad and why"},
    {S_ADDRESSES, KP_STEP_REVIEW, "Compare the key", "Enter if this is the key you expect; Esc goes back", "compare every line with what you expect"},
    {S_OUT_FORMAT, KP_STEP_CHOICE, "Output format", "Format to write the key in:", "up and down choose, Enter takes it"},
    {S_KEYSTORE_PASS, KP_STEP_NEW_SECRET, "Keystore passphrase", "Passphrase for the keystore:", "the keystore is encrypted with it (scrypt)"},
    {S_OUT_FILE, KP_STEP_TEXT, "Output file", "File to write the key to:", "a new file in the folder; never over an existing one"},
    {S_REVEAL, KP_STEP_REVEAL, "Show the private key?", "Show the private key on the screen?", "No is the default; the key hides itself after a few seconds"},
    {S_SIGNERS_FILE, KP_STEP_TEXT, "The signers", "Signers file (GET /signers of the cluster):", "the signers the key is split to"},
    {S_SCHEME, KP_STEP_CHOICE, "The scheme", "Protocol and curve of the key:", "up and down choose, Enter takes it"},
    {S_KEY_SOURCE, KP_STEP_CHOICE, "The key", "Where the key comes from:", "a mnemonic typed word by word, or a key file on the medium"},
    {S_MNEMONIC, KP_STEP_MNEMONIC, "The mnemonic", "Type each word, Tab completes, Enter after the last word:", "the words are never shown; a word that is not in the list is refused"},
    {S_KEY_PATH, KP_STEP_TEXT, "Derivation path", "Derivation path:", "the path of the key under the mnemonic"},
    {S_KEY_FORMAT, KP_STEP_CHOICE, "Key format", "Format of the key file:", "up and down choose, Enter takes it"},
    {S_KEY_FILE, KP_STEP_TEXT, "Key file", "Key file:", "the key is read from it into locked memory"},
    {S_KEY_PASS, KP_STEP_SECRET, "Key passphrase", "Passphrase of the key file:", "nothing is shown while typing"},
    {S_REQUEST_FILE, KP_STEP_TEXT, "The request", "Request file to approve:", "the request body prepared elsewhere"},
    {S_ACTION, KP_STEP_CHOICE, "The action", "What the request does:", "the approval names the action"},
    {S_BUNDLE_IN, KP_STEP_TEXT, "Approvals so far", "Approvals file to add to (empty: none):", "a bundle with approvals made elsewhere, or nothing"},
    {S_OP_NAME, KP_STEP_TEXT, "The new operator", "Operator's name:", "the name the policy will show"},
    {S_NEW_OP_PASS, KP_STEP_NEW_SECRET, "The new operator", "Passphrase for the operator file:", "the operator types it at every approval"},
    {S_FINGERPRINT, KP_STEP_REVIEW, "Read the fingerprint aloud", "Enter: go on", "the witness writes the fingerprint down"},
    {S_POLICY_ID, KP_STEP_TEXT, "The policy", "Policy id:", "a name for the policy"},
    {S_POLICY_OPS, KP_STEP_TEXT, "The operators", "Operator files, separated by spaces:", "the operators of the policy"},
    {S_QUORUM, KP_STEP_TEXT, "The quorums", "Quorums:", "how many operators approve each action"},
    {S_POLICY_REVIEW, KP_STEP_REVIEW, "The policy", "Enter: go on", "read the fingerprints aloud"},
    {S_LOG_FILE, KP_STEP_TEXT, "The audit log", "Audit log file:", "every entry's signature and link are checked"},
    {S_WRITER, KP_STEP_TEXT, "The log's writer", "Writer key (64 hex digits, empty: any):", "the key the log must be written with"},
    {S_VERIFY_REVIEW, KP_STEP_REVIEW, "The audit log", "Enter: go on", "the first bad entry is named"},
};

static const int SEQ_EXPORT_REQUEST[] = {S_FOLDER, S_POLICY, S_KEYID, S_CUSTODIAN_FILE, S_CUSTODIAN_PASS, S_CONTEXT_NEW_PASS,
                                         S_BATON, S_OP_FILE, S_OP_PASS, S_APPROVE, S_WRITE, S_DONE, S_END};
static const int SEQ_EXPORT_RECOVER[] = {S_FOLDER, S_CONTEXT_FILE, S_RESPONSE_FILE, S_CUSTODIAN_FILE, S_CUSTODIAN_PASS,
                                         S_CONTEXT_PASS, S_SHARES, S_ADDRESSES, S_OUT_FORMAT, S_KEYSTORE_PASS, S_OUT_FILE,
                                         S_WRITE, S_REVEAL, S_DONE, S_END};
static const int SEQ_IMPORT[] = {S_FOLDER, S_SIGNERS_FILE, S_SCHEME, S_KEY_SOURCE, S_MNEMONIC, S_KEY_FORMAT, S_KEY_FILE,
                                 S_KEY_PASS, S_KEY_PATH, S_ADDRESSES, S_POLICY, S_CUSTODIAN_FILE, S_CUSTODIAN_PASS, S_BATON,
                                 S_OP_FILE, S_OP_PASS, S_APPROVE, S_WRITE, S_DONE, S_END};
static const int SEQ_APPROVE[] = {S_FOLDER, S_POLICY, S_REQUEST_FILE, S_ACTION, S_KEYID, S_BUNDLE_IN, S_CUSTODIAN_FILE,
                                  S_CUSTODIAN_PASS, S_BATON, S_OP_FILE, S_OP_PASS, S_APPROVE, S_WRITE, S_DONE, S_END};
static const int SEQ_ENROL[] = {S_FOLDER, S_OP_NAME, S_NEW_OP_PASS, S_FINGERPRINT, S_WRITE, S_DONE, S_END};
static const int SEQ_POLICY[] = {S_FOLDER, S_POLICY_ID, S_POLICY_OPS, S_QUORUM, S_POLICY_REVIEW, S_WRITE, S_DONE, S_END};
static const int SEQ_VERIFY[] = {S_FOLDER, S_LOG_FILE, S_WRITER, S_VERIFY_REVIEW, S_DONE, S_END};
static const int *const SEQS[KP_CER_COUNT] = {SEQ_EXPORT_REQUEST, SEQ_EXPORT_RECOVER, SEQ_IMPORT, SEQ_APPROVE,
                                               SEQ_ENROL, SEQ_POLICY, SEQ_VERIFY};
static const char *const NAMES[KP_CER_COUNT] = {"Export, visit 1: request and approvals",
                                                "Export, visit 2: recover the key",
                                                "Import a key",
                                                "Approve a request prepared elsewhere",
                                                "Enrol an operator",
                                                "Make a policy",
                                                "Verify an audit log"};

static const kp_scheme SCHEMES[] = {{KP_PROTOCOL_CGGMP21, KP_CURVE_SECP256K1}, {KP_PROTOCOL_FROST, KP_CURVE_ED25519},
                                    {KP_PROTOCOL_FROST_BITCOIN, KP_CURVE_SECP256K1}, {KP_PROTOCOL_CGGMP21, KP_CURVE_STARK},
                                    {KP_PROTOCOL_CGGMP24, KP_CURVE_SECP256K1}, {KP_PROTOCOL_CGGMP24, KP_CURVE_STARK}};
#define NSCHEMES (sizeof SCHEMES / sizeof *SCHEMES)
static const char *const SCHEME_NAMES[NSCHEMES] = {"CGGMP21 secp256k1 (Ethereum, Bitcoin)", "FROST ed25519 (Solana)",
                                                   "FROST_BITCOIN secp256k1 (Taproot)", "CGGMP21 stark (Starknet)",
                                                   "CGGMP24 secp256k1", "CGGMP24 stark"};
static const char *const SOURCE_NAMES[] = {"a BIP-39 mnemonic, typed word by word", "a key file on the medium"};
static const char *const ACTION_NAMES[] = {"import", "export", "archive"};
static const char *const REVEAL_NAMES[] = {"No", "Yes"};
static const char *const REVEAL_AGAIN[] = {"No", "Yes, show it"};
static const kp_key_format OUT_FORMATS[] = {KP_KEYFMT_KEYSTORE, KP_KEYFMT_HEX, KP_KEYFMT_WIF, KP_KEYFMT_WIF_TESTNET,
                                            KP_KEYFMT_STARK_HEX, KP_KEYFMT_ED25519_EXPANDED};
#define NOUT (sizeof OUT_FORMATS / sizeof *OUT_FORMATS)
static const kp_key_format IN_FORMATS[] = {KP_KEYFMT_HEX, KP_KEYFMT_WIF, KP_KEYFMT_WIF_TESTNET, KP_KEYFMT_KEYSTORE,
                                           KP_KEYFMT_ED25519_SEED, KP_KEYFMT_SOLANA_KEYPAIR, KP_KEYFMT_SOLANA_BASE58,
                                           KP_KEYFMT_STARK_HEX, KP_KEYFMT_XPRV};
#define NIN (sizeof IN_FORMATS / sizeof *IN_FORMATS)

#define MAX_OUTPUTS 8
#define SECRET_MAX 1024

typedef struct staged {
    char name[PATH_MAX];
    kp_buf data; /* secure */
    unsigned mode;
    int written;
    char digest[17];
} staged;

struct kp_ceremony {
    kp_ctx *ctx;
    kp_cer_kind kind;
    kp_cer_options opt;
    size_t pos; /* in the sequence */
    char folder[PATH_MAX];
    char dflt[PATH_MAX];
    kp_buf lines;
    char prompt[160];
    const char *choice[16];
    size_t nchoice;
    /* secrets typed twice */
    char *first;
    size_t firstlen;
    int phase;
    /* policy, quorum */
    kp_policy *pol;
    kp_action action;
    char key_id[128];
    int have_key_id;
    kp_operator *custodian;
    char custodian_path[PATH_MAX];
    size_t qi;          /* operator at the keyboard, 0-based */
    unsigned counted;
    int approved[KP_MAX_SIGNERS];
    kp_operator *cur;
    char cur_path[PATH_MAX];
    kp_operator *approvers[KP_MAX_SIGNERS];
    size_t napprovers;
    kp_buf bundle;
    unsigned char *old;
    size_t oldlen;
    /* the request */
    kp_buf request;
    char request_name[PATH_MAX];
    char fp[17];
    uint8_t context[KP_CONTEXT_FILE_BYTES];
    /* export visit 2 */
    uint8_t *secret; /* the context's secret, 32, secure */
    kp_export_result *r;
    unsigned char *ctxfile, *resp;
    size_t ctxlen, resplen;
    char ctx_name[PATH_MAX], resp_name[PATH_MAX];
    kp_key_format out_fmt;
    char *kspass;
    size_t kspasslen;
    int reveal;
    /* import */
    kp_signers *signers;
    size_t scheme;
    int source; /* 0 mnemonic, 1 file */
    kp_key_format in_fmt;
    char *keytext; /* the mnemonic or the key file, secure */
    size_t keytextlen;
    char key_file[PATH_MAX];
    char path[256];
    uint8_t *key; /* 32, secure */
    int have_key;
    /* enrol, policy, verify */
    char op_name[KP_NAME_MAX_BYTES + 1];
    kp_operator *newop;
    char policy_id[128];
    char policy_files[KP_MAX_SIGNERS][PATH_MAX];
    size_t npolicy_files;
    unsigned quorum[KP_ACTION_COUNT];
    char log_file[PATH_MAX];
    /* what is written */
    staged out[MAX_OUTPUTS];
    size_t nout;
    char audit_log[PATH_MAX];
    int log_written;
    char log_digest[17];
};

const char *kp_cer_name(kp_cer_kind k)
{
    return (unsigned)k < KP_CER_COUNT ? NAMES[k] : "";
}

static int cur_id(const kp_ceremony *c)
{
    return SEQS[c->kind][c->pos];
}

const kp_step *kp_cer_step(const kp_ceremony *c)
{
    int id = cur_id(c);
    for (size_t i = 0; i < sizeof STEPS / sizeof *STEPS; i++)
        if (STEPS[i].id == id) return &STEPS[i];
    return &STEPS[0];
}

kp_cer_kind kp_cer_kind_of(const kp_ceremony *c)
{
    return c->kind;
}

static void lines_reset(kp_ceremony *c)
{
    kp_buf_release(&c->lines);
    kp_buf_init(&c->lines, 0);
}

#define addf(c, ...) kp_cli_addf(&(c)->lines, __VA_ARGS__)

/* A name on the medium: relative names are in the folder. */
static void in_folder(const kp_ceremony *c, char *out, size_t cap, const char *name)
{
    int abs = name[0] == '/' || c->folder[0] == 0;
    int n = snprintf(out, cap, "%s%s%s", abs ? "" : c->folder, abs ? "" : "/", name);
    if (n < 0 || (size_t)n >= cap) out[0] = 0; /* too long for a path: names nothing, so it does not open */
}

static void wipe_first(kp_ceremony *c)
{
    kp_secure_free(c->first);
    c->first = NULL;
    c->firstlen = 0;
    c->phase = 0;
}

static kp_curve scheme_curve(const kp_ceremony *c)
{
    return SCHEMES[c->scheme].curve;
}

/* Whether a step of the sequence applies now. */
static int applies(const kp_ceremony *c, int id)
{
    switch (id) {
    case S_KEYID: return c->kind != KP_CER_APPROVE || c->action != KP_ACTION_IMPORT;
    case S_KEYSTORE_PASS: return c->out_fmt == KP_KEYFMT_KEYSTORE;
    case S_MNEMONIC: return c->source == 0;
    case S_KEY_FORMAT: case S_KEY_FILE: return c->source == 1;
    case S_KEY_PASS: return c->source == 1 && c->in_fmt == KP_KEYFMT_KEYSTORE;
    case S_KEY_PATH: return c->source == 0 || c->in_fmt == KP_KEYFMT_XPRV;
    default: return 1;
    }
}

static void add_outputs_lines(kp_ceremony *c, int done);
static void prepare(kp_ceremony *c);

/* To the next step that applies; an approval loops back to the baton until the quorum is met. */
static void advance(kp_ceremony *c)
{
    do c->pos++;
    while (SEQS[c->kind][c->pos] != S_END && !applies(c, cur_id(c)));
    if (cur_id(c) == S_END) c->pos--;
    prepare(c);
}

static void go_to(kp_ceremony *c, int id)
{
    for (size_t i = 0; SEQS[c->kind][i] != S_END; i++)
        if (SEQS[c->kind][i] == id) c->pos = i;
    prepare(c);
}

/* The next operator of the policy who has not approved, from qi on. */
static int next_operator(kp_ceremony *c, size_t from)
{
    size_t n = kp_policy_operator_count(c->pol);
    for (size_t k = 0; k < n; k++) {
        size_t i = (from + k) % n;
        if (!c->approved[i]) {
            c->qi = i;
            return 0;
        }
    }
    return -1;
}

static void key_lines(kp_ceremony *c, const char *what, kp_curve curve, int protocol, const uint8_t *pub, size_t pub_len)
{
    kp_address a[KP_ADDRESS_MAX];
    size_t n = 0;
    kp_buf hex;
    kp_buf_init(&hex, 0);
    kp_buf_addhex(&hex, pub, pub_len);
    addf(c, "%s %s key\n\npublic key\n  %s\n\n", what, kp_curve_name(curve), hex.data ? (const char *)hex.data : "");
    kp_buf_release(&hex);
    if (kp_addresses(c->ctx, a, &n, curve, protocol, pub, pub_len) == KP_OK)
        for (size_t i = 0; i < n; i++) addf(c, "%s\n  %s\n", a[i].label, a[i].text);
}

static const char *action_name(kp_action a)
{
    return kp_action_name(a);
}

/* Sets the prompt, default, lines and choices of the step just entered. */
static void prepare(kp_ceremony *c)
{
    int id = cur_id(c);
    const kp_step *s = kp_cer_step(c);
    snprintf(c->prompt, sizeof c->prompt, "%s", s->prompt);
    c->dflt[0] = 0;
    c->nchoice = 0;
    lines_reset(c);
    switch (id) {
    case S_FOLDER: snprintf(c->dflt, sizeof c->dflt, "."); break;
    case S_POLICY: snprintf(c->dflt, sizeof c->dflt, "policy.json"); break;
    case S_CUSTODIAN_FILE:
        if (c->pol != NULL && kp_policy_operator_count(c->pol) > 0)
            snprintf(c->dflt, sizeof c->dflt, "%s.kpo", kp_policy_operator(c->pol, 0, NULL));
        break;
    case S_CONTEXT_FILE: snprintf(c->dflt, sizeof c->dflt, "export.context"); break;
    case S_RESPONSE_FILE: snprintf(c->dflt, sizeof c->dflt, "export-response.json"); break;
    case S_SIGNERS_FILE: snprintf(c->dflt, sizeof c->dflt, "signers.json"); break;
    case S_LOG_FILE: snprintf(c->dflt, sizeof c->dflt, "audit.log"); break;
    case S_QUORUM: snprintf(c->dflt, sizeof c->dflt, "import=2 export=2 archive=2"); break;
    case S_OP_FILE: {
        uint8_t pk[32];
        snprintf(c->dflt, sizeof c->dflt, "%s.kpo", kp_policy_operator(c->pol, c->qi, pk));
        break;
    }
    case S_KEY_PATH:
        snprintf(c->dflt, sizeof c->dflt, "%s",
                 scheme_curve(c) == KP_CURVE_ED25519 ? "m/44'/501'/0'/0'"
                 : scheme_curve(c) == KP_CURVE_STARK ? "m/2645'/579218131'/1148870696'/0'/0'/0"
                 : SCHEMES[c->scheme].protocol == KP_PROTOCOL_FROST_BITCOIN ? "m/86'/0'/0'/0/0"
                                                                           : "m/44'/60'/0'/0/0");
        break;
    case S_OUT_FILE: {
        const kp_key_format_info *f = kp_key_format_info_of(c->out_fmt);
        snprintf(c->dflt, sizeof c->dflt, "key.%s%s", f->name, c->out_fmt == KP_KEYFMT_KEYSTORE ? ".json" : ".txt");
        break;
    }
    case S_BUNDLE_IN: break;
    case S_SCHEME:
        for (size_t i = 0; i < NSCHEMES; i++) c->choice[c->nchoice++] = SCHEME_NAMES[i];
        break;
    case S_KEY_SOURCE:
        c->choice[0] = SOURCE_NAMES[0];
        c->choice[1] = SOURCE_NAMES[1];
        c->nchoice = 2;
        break;
    case S_ACTION:
        for (size_t i = 0; i < 3; i++) c->choice[c->nchoice++] = ACTION_NAMES[i];
        break;
    case S_KEY_FORMAT:
        for (size_t i = 0; i < NIN; i++) {
            const kp_key_format_info *f = kp_key_format_info_of(IN_FORMATS[i]);
            if (f->in_curves & KP_CURVE_BIT(scheme_curve(c))) c->choice[c->nchoice++] = f->name;
        }
        break;
    case S_OUT_FORMAT: {
        kp_curve curve = kp_export_result_curve(c->r);
        for (size_t i = 0; i < NOUT; i++)
            if (kp_key_write_check(OUT_FORMATS[i], curve) == KP_OK)
                c->choice[c->nchoice++] = kp_key_format_info_of(OUT_FORMATS[i])->name;
        break;
    }
    case S_REVEAL:
        c->choice[0] = c->reveal == 0 ? REVEAL_NAMES[0] : REVEAL_AGAIN[0];
        c->choice[1] = c->reveal == 0 ? REVEAL_NAMES[1] : REVEAL_AGAIN[1];
        c->nchoice = 2;
        if (c->reveal == 1) snprintf(c->prompt, sizeof c->prompt, "Really show the private key? Make sure no one else sees the screen.");
        break;
    case S_BATON: {
        size_t op, n;
        unsigned counted, needed;
        const char *name;
        char fp[KP_FINGERPRINT_LEN + 1];
        kp_cer_quorum(c, &op, &n, &counted, &needed, &name, fp);
        snprintf(c->prompt, sizeof c->prompt, "Operator %zu of %zu: %s, %s", op, n, name, fp);
        addf(c, "Operator %zu of %zu: %s, %s\n\nOthers look away. %s, press Enter.\n\n(s: %s is not here, skip)\n\n"
                "approvals %u of %u\n", op, n, name, fp, name, name, counted, needed);
        break;
    }
    case S_APPROVE: {
        char aloud[20];
        kp_eng_read_aloud(aloud, c->request.data, c->request.len);
        addf(c, "operator      %s\naction        %s\n", kp_operator_name(c->cur), action_name(c->action));
        if (c->have_key_id) addf(c, "key id        %s\n", c->key_id);
        if (c->fp[0]) addf(c, "recipient     %s (the export context's key)\n", c->fp);
        addf(c, "policy        %s\nrequest       %s (%zu bytes)\n\nread aloud:   %s\n\napprovals %u of %u\n",
             kp_policy_id(c->pol), c->request_name, c->request.len, aloud, c->counted, kp_policy_quorum(c->pol, c->action));
        break;
    }
    case S_WRITE: add_outputs_lines(c, 0); break;
    case S_ADDRESSES: {
        uint8_t pub[KP_PUBKEY_MAX_BYTES];
        size_t pub_len = 0;
        if (c->kind == KP_CER_EXPORT_RECOVER) {
            pub_len = kp_export_result_public_key(c->r, pub);
            key_lines(c, "recovered", kp_export_result_curve(c->r), (int)kp_export_result_protocol(c->r), pub, pub_len);
        } else if (c->have_key && kp_public_key(c->ctx, pub, &pub_len, scheme_curve(c), c->key) == KP_OK) {
            key_lines(c, "importing", scheme_curve(c), (int)SCHEMES[c->scheme].protocol, pub, pub_len);
        }
        break;
    }
    case S_DONE: add_outputs_lines(c, 1); break;
    default: break;
    }
    if (s->kind == KP_STEP_NEW_SECRET && c->phase == 1) snprintf(c->prompt, sizeof c->prompt, "Repeat the passphrase:");
}

static void add_outputs_lines(kp_ceremony *c, int done)
{
    if (c->nout == 0 && !done) addf(c, "(no files)\n");
    for (size_t i = 0; i < c->nout; i++) {
        if (done) addf(c, "  %s  %s\n", c->out[i].digest, c->out[i].name);
        else addf(c, "  %s (%zu bytes)\n", c->out[i].name, c->out[i].data.len);
    }
    if (c->audit_log[0] && (!done || c->log_written))
        addf(c, done ? "  %s  %s (appended)\n" : "  %s%s (events appended)\n", done ? c->log_digest : "", c->audit_log);
    if (done && c->nout == 0 && !c->log_written) addf(c, "  (no files were written)\n");
}

int kp_cer_new(kp_ceremony **out, kp_ctx *ctx, kp_cer_kind kind, const kp_cer_options *opt)
{
    *out = NULL;
    if ((unsigned)kind >= KP_CER_COUNT) return kp_cli_error(KP_EXIT_USAGE, "no such ceremony");
    kp_ceremony *c = calloc(1, sizeof *c);
    if (c == NULL) return kp_cli_error(KP_EXIT_INTERNAL, "out of memory");
    c->ctx = ctx;
    c->kind = kind;
    c->opt = *opt;
    kp_buf_init(&c->lines, 0);
    kp_buf_init(&c->bundle, 0);
    kp_buf_init(&c->request, 0);
    c->secret = kp_secure_alloc(32);
    c->key = kp_secure_alloc(32);
    if (c->secret == NULL || c->key == NULL) {
        kp_cer_free(c);
        return kp_cli_error(KP_EXIT_INTERNAL, "out of memory");
    }
    switch (kind) {
    case KP_CER_EXPORT_REQUEST: case KP_CER_EXPORT_RECOVER: c->action = KP_ACTION_EXPORT; c->have_key_id = kind == KP_CER_EXPORT_REQUEST; break;
    case KP_CER_IMPORT: c->action = KP_ACTION_IMPORT; break;
    default: c->action = KP_ACTION_ARCHIVE; break;
    }
    prepare(c);
    *out = c;
    return KP_EXIT_OK;
}

void kp_cer_free(kp_ceremony *c)
{
    if (c == NULL) return;
    wipe_first(c);
    kp_buf_release(&c->lines);
    kp_buf_release(&c->bundle);
    kp_buf_release(&c->request);
    kp_policy_free(c->pol);
    kp_operator_free(c->custodian);
    kp_operator_free(c->cur);
    for (size_t i = 0; i < c->napprovers; i++) kp_operator_free(c->approvers[i]);
    kp_cli_free(c->old, c->oldlen, 0);
    kp_secure_free(c->secret);
    kp_export_result_free(c->r);
    kp_cli_free(c->ctxfile, c->ctxlen, 0);
    kp_cli_free(c->resp, c->resplen, 0);
    kp_secure_free(c->kspass);
    kp_signers_free(c->signers);
    kp_secure_free(c->keytext);
    kp_secure_free(c->key);
    kp_operator_free(c->newop);
    for (size_t i = 0; i < c->nout; i++) kp_buf_release(&c->out[i].data);
    kp_memzero(c->context, sizeof c->context);
    free(c);
}

const char *kp_cer_prompt(const kp_ceremony *c)
{
    return c->prompt;
}

const char *kp_cer_default(const kp_ceremony *c)
{
    return c->dflt;
}

const char *kp_cer_lines(const kp_ceremony *c)
{
    return c->lines.data ? (const char *)c->lines.data : "";
}

size_t kp_cer_choices(const kp_ceremony *c, const char *const **names)
{
    *names = c->choice;
    return c->nchoice;
}

void kp_cer_quorum(const kp_ceremony *c, size_t *op, size_t *n, unsigned *counted, unsigned *needed, const char **name,
                   char fp[KP_FINGERPRINT_LEN + 1])
{
    uint8_t pk[32] = {0};
    *op = c->qi + 1;
    *n = c->pol ? kp_policy_operator_count(c->pol) : 0;
    *counted = c->counted;
    *needed = c->pol ? kp_policy_quorum(c->pol, c->action) : 0;
    *name = c->pol && *n ? kp_policy_operator(c->pol, c->qi, pk) : "";
    kp_fingerprint(fp, pk);
}

/* Stages a file to write at the end (a copy of data, in secure memory). */
static int stage(kp_ceremony *c, const char *name, const void *data, size_t len, unsigned mode)
{
    if (c->nout == MAX_OUTPUTS) return kp_cli_error(KP_EXIT_INTERNAL, "too many files");
    staged *s = &c->out[c->nout];
    in_folder(c, s->name, sizeof s->name, name);
    if (access(s->name, F_OK) == 0) return kp_cli_error(KP_EXIT_IO, "%s: already exists; keyport never overwrites it", s->name);
    for (size_t i = 0; i < c->nout; i++)
        if (strcmp(c->out[i].name, s->name) == 0) return kp_cli_error(KP_EXIT_IO, "%s: named twice", s->name);
    kp_buf_init(&s->data, 1);
    if (kp_buf_add(&s->data, data, len) != KP_OK) {
        kp_buf_release(&s->data);
        return kp_cli_error(KP_EXIT_INTERNAL, "out of memory");
    }
    s->mode = mode;
    c->nout++;
    return KP_EXIT_OK;
}

static void unstage_all(kp_ceremony *c)
{
    for (size_t i = 0; i < c->nout; i++) kp_buf_release(&c->out[i].data);
    c->nout = 0;
}

/* Reads a file of the medium. */
static int read_medium(kp_ceremony *c, const char *name, char *full, size_t cap, unsigned char **data, size_t *len)
{
    in_folder(c, full, cap, name);
    return kp_cli_read_file(full, KP_MAX_INPUT_BYTES, 0, data, len);
}

static int load_operator_at(kp_ceremony *c, const char *name, char *full, size_t cap, kp_operator **op)
{
    in_folder(c, full, cap, name);
    return kp_eng_operator_read(c->ctx, full, op);
}

/* The staged request and bundle: names by ceremony. */
static int stage_request_and_bundle(kp_ceremony *c)
{
    char name[PATH_MAX];
    int code = KP_EXIT_OK;
    if (c->kind == KP_CER_EXPORT_REQUEST) {
        snprintf(name, sizeof name, "export-%s.context", c->key_id);
        code = stage(c, name, c->context, sizeof c->context, 0600);
        snprintf(name, sizeof name, "export-%s.request.json", c->key_id);
        if (code == KP_EXIT_OK) code = stage(c, name, c->request.data, c->request.len, 0644);
        snprintf(name, sizeof name, "export-%s.approvals.json", c->key_id);
    } else if (c->kind == KP_CER_IMPORT) {
        code = stage(c, "import.request.json", c->request.data, c->request.len, 0644);
        snprintf(name, sizeof name, "import.approvals.json");
    } else {
        const char *base = strrchr(c->request_name, '/');
        base = base ? base + 1 : c->request_name;
        size_t bl = strlen(base);
        if (bl > 5 && strcmp(base + bl - 5, ".json") == 0) bl -= 5;
        snprintf(name, sizeof name, "%.*s.approvals.json", (int)bl, base);
    }
    if (code == KP_EXIT_OK) code = stage(c, name, c->bundle.data, c->bundle.len, 0644);
    if (code != KP_EXIT_OK) unstage_all(c);
    return code;
}

static void digest16(char out[17], const void *data, size_t len)
{
    uint8_t h[32];
    kp_sha256(h, data, len);
    for (int i = 0; i < 8; i++) sprintf(out + 2 * i, "%02x", h[i]);
}

/* Writes the staged files and appends the events: the context first (as `keyport export init`),
 * then the events, then the rest; on any failure the files written are removed. */
static int commit(kp_ceremony *c)
{
    kp_cli_audit audit = {0};
    int code = KP_EXIT_OK;
    for (size_t i = 0; i < c->nout; i++)
        if (access(c->out[i].name, F_OK) == 0)
            return kp_cli_error(KP_EXIT_IO, "%s: already exists; keyport never overwrites it", c->out[i].name);
    if (c->custodian != NULL) {
        audit.log = c->audit_log;
        audit.op = c->custodian;
        if ((code = kp_cli_audit_open_log(c->ctx, &audit)) != KP_EXIT_OK) return code;
    }
    size_t first = 0;
    if (c->kind == KP_CER_EXPORT_REQUEST) {
        if ((code = kp_cli_write_new_file(c->out[0].name, c->out[0].data.data, c->out[0].data.len, c->out[0].mode)) != KP_EXIT_OK)
            goto done;
        c->out[0].written = 1;
        first = 1;
        code = kp_eng_record_export_requested(&audit, c->fp, 0);
    } else if (c->kind == KP_CER_EXPORT_RECOVER) {
        code = kp_eng_record_export(&audit, c->ctx, c->secret, c->r);
    } else if (c->kind == KP_CER_IMPORT) {
        const kp_key_format_info *f = kp_key_format_info_of(c->in_fmt);
        code = kp_eng_record_import(&audit, c->ctx, c->signers, scheme_curve(c), SCHEMES[c->scheme].protocol, 3, c->key,
                                    &c->request, f->name, c->path[0] ? c->path : NULL);
    }
    for (size_t i = 0; i < c->napprovers && code == KP_EXIT_OK; i++)
        code = kp_eng_record_approval(&audit, c->approvers[i], c->pol, c->action, c->have_key_id ? c->key_id : NULL,
                                      c->request.data, c->request.len);
    for (size_t i = first; i < c->nout && code == KP_EXIT_OK; i++)
        if ((code = kp_cli_write_new_file(c->out[i].name, c->out[i].data.data, c->out[i].data.len, c->out[i].mode)) ==
            KP_EXIT_OK)
            c->out[i].written = 1;
done:
    if (audit.h != NULL) {
        kp_audit_close(audit.h);
        c->log_written = 1;
        unsigned char *log = NULL;
        size_t loglen = 0;
        if (kp_cli_read_file(c->audit_log, (size_t)1 << 30, 0, &log, &loglen) == KP_EXIT_OK) digest16(c->log_digest, log, loglen);
        kp_cli_free(log, loglen, 0);
    }
    for (size_t i = 0; i < c->nout; i++) {
        if (code != KP_EXIT_OK && c->out[i].written) {
            unlink(c->out[i].name);
            c->out[i].written = 0;
        }
        if (c->out[i].written) digest16(c->out[i].digest, c->out[i].data.data, c->out[i].data.len);
    }
    if (code != KP_EXIT_OK) return code;
    /* the summary lists what was written; the data itself is wiped now */
    for (size_t i = 0; i < c->nout; i++) kp_buf_release(&c->out[i].data);
    return KP_EXIT_OK;
}

static int parse_key(kp_ceremony *c)
{
    const kp_key_format_info *f = kp_key_format_info_of(c->in_fmt);
    kp_key_params p = {scheme_curve(c), c->path[0] ? c->path : NULL, c->kspass, c->kspasslen};
    kp_curve got;
    kp_status st = kp_key_parse(c->ctx, &got, c->key, c->in_fmt, &p, (const uint8_t *)c->keytext, c->keytextlen);
    if (st != KP_OK) {
        const char *d = kp_error_detail();
        return kp_cli_error(kp_cli_exit_code(st), "the %s key: %s", f->name, d[0] ? d : kp_strerror(st));
    }
    uint8_t pub[KP_PUBKEY_MAX_BYTES];
    size_t pub_len;
    if ((st = kp_public_key(c->ctx, pub, &pub_len, scheme_curve(c), c->key)) != KP_OK) return kp_cli_fail(st, "the key");
    c->have_key = 1;
    return KP_EXIT_OK;
}

static int text_step(kp_ceremony *c, int id, const char *text)
{
    char full[PATH_MAX];
    int code = KP_EXIT_OK;
    if (text[0] == 0 && c->dflt[0] && id != S_BUNDLE_IN && id != S_WRITER) text = c->dflt;
    if (text[0] == 0 && id != S_BUNDLE_IN && id != S_WRITER) return kp_cli_error(KP_EXIT_USAGE, "%s", "nothing was typed");
    switch (id) {
    case S_FOLDER:
        if (access(text, W_OK | X_OK) != 0) return kp_cli_error(KP_EXIT_IO, "%s: not a folder this user can write to: %s", text, strerror(errno));
        snprintf(c->folder, sizeof c->folder, "%s", text);
        in_folder(c, c->audit_log, sizeof c->audit_log, "audit.log");
        break;
    case S_POLICY: {
        kp_policy *p = NULL;
        in_folder(c, full, sizeof full, text);
        if ((code = kp_eng_load_policy(full, &p)) != KP_EXIT_OK) return code;
        kp_policy_free(c->pol);
        c->pol = p;
        memset(c->approved, 0, sizeof c->approved);
        c->qi = 0;
        break;
    }
    case S_KEYID:
        if (strlen(text) >= sizeof c->key_id || strpbrk(text, "/ \t\"\\") != NULL)
            return kp_cli_error(KP_EXIT_USAGE, "\"%s\" is not a key id (no spaces, slashes or quotes, under 128 bytes)", text);
        snprintf(c->key_id, sizeof c->key_id, "%s", text);
        c->have_key_id = 1;
        break;
    case S_CUSTODIAN_FILE: {
        kp_operator *op = NULL;
        if ((code = load_operator_at(c, text, c->custodian_path, sizeof c->custodian_path, &op)) != KP_EXIT_OK) return code;
        kp_operator_free(c->custodian);
        c->custodian = op;
        break;
    }
    case S_OP_FILE: {
        kp_operator *op = NULL;
        uint8_t want[32], got[32];
        kp_policy_operator(c->pol, c->qi, want);
        if ((code = load_operator_at(c, text, c->cur_path, sizeof c->cur_path, &op)) != KP_EXIT_OK) return code;
        kp_operator_public_key(op, got);
        if (memcmp(want, got, 32) != 0) {
            kp_operator_free(op);
            return kp_cli_error(KP_EXIT_INPUT, "%s: this is operator %s, not %s of the policy", c->cur_path,
                                kp_operator_name(op), kp_policy_operator(c->pol, c->qi, NULL));
        }
        kp_operator_free(c->cur);
        c->cur = op;
        break;
    }
    case S_APPROVE: {
        if (strcmp(text, "approve") != 0)
            return kp_cli_error(KP_EXIT_REFUSED, "\"%s\" is not the word approve: nothing was approved", text);
        kp_buf next;
        kp_buf_init(&next, 0);
        code = kp_eng_approve(c->ctx, &next, c->bundle.data, c->bundle.len, c->cur, c->pol, c->action,
                              c->have_key_id ? c->key_id : NULL, c->request.data, c->request.len, c->opt.ttl);
        if (code != KP_EXIT_OK) {
            kp_buf_release(&next);
            return code;
        }
        kp_buf_release(&c->bundle);
        c->bundle = next;
        c->approved[c->qi] = 1;
        c->approvers[c->napprovers++] = c->cur;
        c->cur = NULL;
        c->counted++;
        if (c->counted < kp_policy_quorum(c->pol, c->action)) {
            if (next_operator(c, c->qi + 1) != 0) return kp_cli_error(KP_EXIT_NOT_APPROVED, "no operator is left to approve");
            go_to(c, S_BATON);
            return KP_EXIT_OK;
        }
        if ((code = stage_request_and_bundle(c)) != KP_EXIT_OK) return code;
        break;
    }
    case S_CONTEXT_FILE:
        kp_cli_free(c->ctxfile, c->ctxlen, 0);
        c->ctxfile = NULL;
        in_folder(c, c->ctx_name, sizeof c->ctx_name, text);
        if ((code = kp_cli_read_file(c->ctx_name, 4096, 0, &c->ctxfile, &c->ctxlen)) != KP_EXIT_OK) return code;
        break;
    case S_RESPONSE_FILE:
        kp_cli_free(c->resp, c->resplen, 0);
        c->resp = NULL;
        if ((code = read_medium(c, text, c->resp_name, sizeof c->resp_name, &c->resp, &c->resplen)) != KP_EXIT_OK) return code;
        break;
    case S_OUT_FILE: {
        kp_buf k;
        kp_buf_init(&k, 1);
        uint8_t *key = kp_secure_alloc(32);
        if (key == NULL) return kp_cli_error(KP_EXIT_INTERNAL, "out of memory");
        kp_export_result_private_key(c->r, key);
        kp_status st = kp_key_write(c->ctx, &k, c->out_fmt, kp_export_result_curve(c->r), key, c->kspass, c->kspasslen,
                                    c->opt.kdf);
        kp_secure_free(key);
        unstage_all(c);
        code = st == KP_OK ? stage(c, text, k.data, k.len, 0600) : kp_cli_fail(st, "the key");
        kp_buf_release(&k);
        if (code != KP_EXIT_OK) return code;
        break;
    }
    case S_SIGNERS_FILE: {
        unsigned char *sj = NULL;
        size_t sjlen = 0;
        kp_signers *s = NULL;
        if ((code = read_medium(c, text, full, sizeof full, &sj, &sjlen)) != KP_EXIT_OK) return code;
        kp_status st = kp_signers_parse(c->ctx, &s, (const char *)sj, sjlen, NULL);
        kp_cli_free(sj, sjlen, 0);
        if (st != KP_OK) return kp_cli_fail(st, full);
        kp_signers_free(c->signers);
        c->signers = s;
        break;
    }
    case S_KEY_PATH: {
        size_t n = strlen(text);
        if (n >= sizeof c->path) return kp_cli_error(KP_EXIT_USAGE, "the derivation path is longer than %zu characters", sizeof c->path - 1);
        memcpy(c->path, text, n + 1);
        if ((code = parse_key(c)) != KP_EXIT_OK) return code;
        break;
    }
    case S_KEY_FILE: {
        unsigned char *k = NULL;
        size_t klen = 0;
        in_folder(c, c->key_file, sizeof c->key_file, text);
        if ((code = kp_cli_read_file(c->key_file, 64 * 1024, 1, &k, &klen)) != KP_EXIT_OK) return code;
        kp_secure_free(c->keytext);
        c->keytext = (char *)k;
        c->keytextlen = klen;
        if (c->in_fmt != KP_KEYFMT_KEYSTORE && c->in_fmt != KP_KEYFMT_XPRV && (code = parse_key(c)) != KP_EXIT_OK) return code;
        break;
    }
    case S_REQUEST_FILE:
        kp_buf_release(&c->request);
        kp_buf_init(&c->request, 0);
        {
            unsigned char *rq = NULL;
            size_t rqlen = 0;
            in_folder(c, c->request_name, sizeof c->request_name, text);
            if ((code = kp_cli_read_file(c->request_name, KP_MAX_INPUT_BYTES, 0, &rq, &rqlen)) != KP_EXIT_OK) return code;
            code = kp_eng_check_request(c->request_name, rq, rqlen);
            if (code == KP_EXIT_OK && kp_buf_add(&c->request, rq, rqlen) != KP_OK) code = kp_cli_error(KP_EXIT_INTERNAL, "out of memory");
            kp_cli_free(rq, rqlen, 0);
            if (code != KP_EXIT_OK) return code;
        }
        break;
    case S_BUNDLE_IN:
        kp_buf_release(&c->bundle);
        kp_buf_init(&c->bundle, 0);
        if (text[0]) {
            unsigned char *b = NULL;
            size_t blen = 0;
            if ((code = read_medium(c, text, full, sizeof full, &b, &blen)) != KP_EXIT_OK) return code;
            kp_buf_add(&c->bundle, b, blen);
            kp_cli_free(b, blen, 0);
        }
        break;
    case S_OP_NAME:
        if (strlen(text) > KP_NAME_MAX_BYTES || strpbrk(text, "/\\\"") != NULL)
            return kp_cli_error(KP_EXIT_USAGE, "\"%s\" is not a name (at most %d bytes, no slashes or quotes)", text, KP_NAME_MAX_BYTES);
        snprintf(c->op_name, sizeof c->op_name, "%s", text);
        break;
    case S_POLICY_ID:
        if (strlen(text) >= sizeof c->policy_id) return kp_cli_error(KP_EXIT_USAGE, "the policy id is too long");
        snprintf(c->policy_id, sizeof c->policy_id, "%s", text);
        break;
    case S_POLICY_OPS: {
        c->npolicy_files = 0;
        char copy[4096], *save = NULL;
        snprintf(copy, sizeof copy, "%s", text);
        for (char *t = strtok_r(copy, " \t", &save); t != NULL; t = strtok_r(NULL, " \t", &save)) {
            if (c->npolicy_files == KP_MAX_SIGNERS) return kp_cli_error(KP_EXIT_USAGE, "at most %d operators", KP_MAX_SIGNERS);
            in_folder(c, c->policy_files[c->npolicy_files], PATH_MAX, t);
            kp_operator *op = NULL;
            if ((code = kp_eng_operator_read(c->ctx, c->policy_files[c->npolicy_files], &op)) != KP_EXIT_OK) return code;
            kp_operator_free(op);
            c->npolicy_files++;
        }
        break;
    }
    case S_QUORUM: {
        unsigned q[KP_ACTION_COUNT] = {0};
        char copy[256], *save = NULL;
        size_t tlen = strlen(text);
        if (tlen >= sizeof copy) return kp_cli_error(KP_EXIT_USAGE, "the quorums are longer than %zu characters", sizeof copy - 1);
        memcpy(copy, text, tlen + 1);
        for (char *t = strtok_r(copy, " \t,", &save); t != NULL; t = strtok_r(NULL, " \t,", &save)) {
            char *eq = strchr(t, '='), *end;
            kp_action a;
            if (eq == NULL) return kp_cli_error(KP_EXIT_USAGE, "\"%s\" is not ACTION=M", t);
            *eq = 0;
            unsigned long m = strtoul(eq + 1, &end, 10);
            if (kp_action_from_name(&a, t) != KP_OK) return kp_cli_error(KP_EXIT_USAGE, "unknown action \"%s\" (import, export, archive)", t);
            if (*end != 0 || m == 0 || m > c->npolicy_files)
                return kp_cli_error(KP_EXIT_USAGE, "%s=%s: a quorum is 1 to %zu (the operators)", t, eq + 1, c->npolicy_files);
            q[a - 1] = (unsigned)m;
        }
        for (int a = 0; a < KP_ACTION_COUNT; a++)
            if (q[a] == 0) return kp_cli_error(KP_EXIT_USAGE, "%s=M is missing (import, export and archive)", kp_action_name((kp_action)(a + 1)));
        memcpy(c->quorum, q, sizeof q);
        kp_buf pol;
        kp_buf_init(&pol, 0);
        const char *files[KP_MAX_SIGNERS];
        for (size_t i = 0; i < c->npolicy_files; i++) files[i] = c->policy_files[i];
        code = kp_eng_policy_new(c->ctx, &pol, c->policy_id, files, c->npolicy_files, c->quorum);
        kp_policy *p = NULL;
        if (code == KP_EXIT_OK && kp_policy_parse(&p, (const char *)pol.data, pol.len) != KP_OK)
            code = kp_cli_error(KP_EXIT_INTERNAL, "the policy made does not parse");
        char name[200];
        snprintf(name, sizeof name, "policy-%s.json", c->policy_id);
        unstage_all(c);
        if (code == KP_EXIT_OK) code = stage(c, name, pol.data, pol.len, 0644);
        kp_buf_release(&pol);
        if (code != KP_EXIT_OK) {
            kp_policy_free(p);
            return code;
        }
        kp_policy_free(c->pol);
        c->pol = p;
        advance(c);
        size_t n = kp_policy_operator_count(p);
        addf(c, "policy %s: %zu operator%s\n\n", kp_policy_id(p), n, n == 1 ? "" : "s");
        for (size_t i = 0; i < n; i++) {
            uint8_t pk[32];
            char fp[KP_FINGERPRINT_LEN + 1];
            const char *nm = kp_policy_operator(p, i, pk);
            kp_fingerprint(fp, pk);
            addf(c, "  %-20s %s\n", nm, fp);
        }
        addf(c, "\nquorum: import %u of %zu, export %u of %zu, archive %u of %zu\n", q[0], n, q[1], n, q[2], n);
        return KP_EXIT_OK;
    }
    case S_LOG_FILE:
        in_folder(c, c->log_file, sizeof c->log_file, text);
        if (access(c->log_file, R_OK) != 0) return kp_cli_error(KP_EXIT_IO, "%s: cannot open: %s", c->log_file, strerror(errno));
        break;
    case S_WRITER: {
        uint8_t writer[32];
        unsigned char *log = NULL;
        size_t len = 0;
        if (text[0] && kp_bytes_from_hex(writer, 32, text, strlen(text)) != KP_OK)
            return kp_cli_error(KP_EXIT_USAGE, "the writer key must be 64 hex digits");
        if ((code = kp_cli_read_file(c->log_file, (size_t)1 << 30, 0, &log, &len)) != KP_EXIT_OK) return code;
        kp_audit_report r;
        kp_status st = kp_audit_verify(c->ctx, &r, (const char *)log, len, text[0] ? writer : NULL, NULL);
        kp_cli_free(log, len, 0);
        advance(c);
        if (st == KP_OK)
            addf(c, "ok: %zu entries, every signature and link verifies\n\nwriter  %s\nhead    %s\n", r.entries, r.writer, r.head);
        else
            addf(c, "THE LOG DOES NOT VERIFY\n\nfirst bad entry: line %zu (seq %lld)\n%s\n\n%zu good entries before it\n",
                 r.line, (long long)r.seq, r.message, r.entries);
        return KP_EXIT_OK;
    }
    default: return kp_cli_error(KP_EXIT_INTERNAL, "this step takes no text");
    }
    advance(c);
    return KP_EXIT_OK;
}

int kp_cer_text(kp_ceremony *c, const char *text)
{
    const kp_step *s = kp_cer_step(c);
    if (s->kind != KP_STEP_TEXT && s->kind != KP_STEP_APPROVE) return kp_cli_error(KP_EXIT_INTERNAL, "this step takes no text");
    return text_step(c, s->id, text);
}

/* A secret typed once, or the second of two that must match. */
static int secret_step(kp_ceremony *c, int id, const char *secret, size_t len)
{
    int code = KP_EXIT_OK;
    switch (id) {
    case S_CUSTODIAN_PASS:
        if ((code = kp_eng_operator_unlock(c->ctx, c->custodian, c->custodian_path, secret, len)) != KP_EXIT_OK) return code;
        if (c->kind == KP_CER_IMPORT) {
            /* the request is made now: the quorum approves these exact bytes */
            kp_buf_release(&c->request);
            kp_buf_init(&c->request, 0);
            kp_status st = kp_import_prepare(c->ctx, &c->request, c->signers, scheme_curve(c), SCHEMES[c->scheme].protocol, 3,
                                             NULL, c->key);
            if (st == KP_OK) st = kp_buf_addstr(&c->request, "\n");
            if (st != KP_OK) return kp_cli_fail(st, "import prepare");
            snprintf(c->request_name, sizeof c->request_name, "import.request.json");
        }
        if (c->kind == KP_CER_IMPORT || c->kind == KP_CER_APPROVE) next_operator(c, 0);
        break;
    case S_CONTEXT_NEW_PASS:
        kp_buf_release(&c->request);
        kp_buf_init(&c->request, 0);
        if ((code = kp_eng_export_seal(c->ctx, secret, len, c->opt.kdf, (const kp_scheme[]){{KP_PROTOCOL_CGGMP21, KP_CURVE_SECP256K1},
                                                                                            {KP_PROTOCOL_CGGMP21, KP_CURVE_STARK},
                                                                                            {KP_PROTOCOL_FROST, KP_CURVE_ED25519},
                                                                                            {KP_PROTOCOL_FROST_BITCOIN, KP_CURVE_SECP256K1}},
                                       4, 0, c->context, &c->request, c->fp)) != KP_EXIT_OK)
            return code;
        snprintf(c->request_name, sizeof c->request_name, "export-%s.request.json", c->key_id);
        next_operator(c, 0);
        break;
    case S_OP_PASS:
        if ((code = kp_eng_operator_unlock(c->ctx, c->cur, c->cur_path, secret, len)) != KP_EXIT_OK) return code;
        break;
    case S_CONTEXT_PASS: {
        kp_export_result_free(c->r);
        c->r = NULL;
        code = kp_eng_export_open(c->ctx, c->ctxfile, c->ctxlen, c->ctx_name, secret, len, c->resp, c->resplen, c->resp_name,
                                  c->secret, &c->r);
        if (code != KP_EXIT_OK) return code;
        advance(c);
        size_t nc = kp_export_result_culprit_count(c->r), ng = kp_export_result_group_count(c->r);
        addf(c, "threshold (minSigners)  %u\n\n", kp_export_result_min_signers(c->r));
        addf(c, "%-40s %s\n", "SIGNER", "SHARE");
        for (size_t i = 0; i < nc; i++) {
            const char *reason;
            const char *sid = kp_export_result_culprit(c->r, i, NULL, &reason);
            addf(c, "%-40.40s bad: %s\n", sid, reason);
        }
        for (size_t g = 0; g < ng; g++) {
            const char *const *ids;
            size_t n = kp_export_result_group(c->r, g, &ids);
            for (size_t i = 0; i < n; i++) addf(c, "%-40.40s unresolved (group %zu)\n", ids[i], g + 1);
        }
        addf(c, "%-40s %s\n", "every other signer", "opened, on the polynomial");
        if (kp_export_result_note(c->r)[0]) addf(c, "\n%s\n", kp_export_result_note(c->r));
        addf(c, "\nThe key was recombined and matches the response's publicKey.\n");
        return KP_EXIT_OK;
    }
    case S_KEYSTORE_PASS:
        kp_secure_free(c->kspass);
        if ((c->kspass = kp_secure_alloc(len + 1)) == NULL) return kp_cli_error(KP_EXIT_INTERNAL, "out of memory");
        memcpy(c->kspass, secret, len);
        c->kspasslen = len;
        break;
    case S_KEY_PASS:
        kp_secure_free(c->kspass);
        if ((c->kspass = kp_secure_alloc(len + 1)) == NULL) return kp_cli_error(KP_EXIT_INTERNAL, "out of memory");
        memcpy(c->kspass, secret, len);
        c->kspasslen = len;
        if ((code = parse_key(c)) != KP_EXIT_OK) return code;
        break;
    case S_MNEMONIC: {
        /* the words and their checksum are checked now; the key is derived once the path is known */
        uint8_t *seed = kp_secure_alloc(64);
        if (seed == NULL) return kp_cli_error(KP_EXIT_INTERNAL, "out of memory");
        kp_status st = kp_bip39_seed(seed, secret, len, NULL, 0);
        kp_secure_free(seed);
        if (st != KP_OK) {
            const char *d = kp_error_detail();
            return kp_cli_error(kp_cli_exit_code(st), "the mnemonic: %s", d[0] ? d : kp_strerror(st));
        }
        kp_secure_free(c->keytext);
        if ((c->keytext = kp_secure_alloc(len + 1)) == NULL) return kp_cli_error(KP_EXIT_INTERNAL, "out of memory");
        memcpy(c->keytext, secret, len);
        c->keytextlen = len;
        c->in_fmt = scheme_curve(c) == KP_CURVE_STARK ? KP_KEYFMT_STARK_MNEMONIC : KP_KEYFMT_MNEMONIC;
        break;
    }
    case S_NEW_OP_PASS: {
        kp_buf file;
        kp_buf_init(&file, 0);
        kp_operator_free(c->newop);
        c->newop = NULL;
        code = kp_eng_operator_new(c->ctx, &file, c->op_name, secret, len, c->opt.kdf, &c->newop);
        char name[KP_NAME_MAX_BYTES + 8];
        snprintf(name, sizeof name, "%s.kpo", c->op_name);
        unstage_all(c);
        if (code == KP_EXIT_OK) code = stage(c, name, file.data, file.len, 0600);
        kp_buf_release(&file);
        if (code != KP_EXIT_OK) return code;
        advance(c);
        uint8_t pk[32];
        char fp[KP_FINGERPRINT_LEN + 1], hex[65];
        kp_operator_public_key(c->newop, pk);
        kp_fingerprint(fp, pk);
        hex32(hex, pk);
        addf(c, "operator     %s\n\nfingerprint  %s\n\npublic key   %s\n\n%s, read your fingerprint aloud; the witness\n"
                "writes it down beside your name.\n", c->op_name, fp, hex, c->op_name);
        return KP_EXIT_OK;
    }
    default: return kp_cli_error(KP_EXIT_INTERNAL, "this step takes no secret");
    }
    advance(c);
    return KP_EXIT_OK;
}

int kp_cer_secret(kp_ceremony *c, const char *secret, size_t len)
{
    const kp_step *s = kp_cer_step(c);
    if (s->kind != KP_STEP_SECRET && s->kind != KP_STEP_NEW_SECRET && s->kind != KP_STEP_MNEMONIC)
        return kp_cli_error(KP_EXIT_INTERNAL, "this step takes no secret");
    if (len == 0 && s->id != S_KEY_PASS) return kp_cli_error(KP_EXIT_INPUT, "the passphrase is empty");
    if (len > SECRET_MAX) return kp_cli_error(KP_EXIT_INPUT, "longer than %d bytes", SECRET_MAX);
    if (s->kind == KP_STEP_NEW_SECRET) {
        if (c->phase == 0) {
            if ((c->first = kp_secure_alloc(len + 1)) == NULL) return kp_cli_error(KP_EXIT_INTERNAL, "out of memory");
            memcpy(c->first, secret, len);
            c->firstlen = len;
            c->phase = 1;
            prepare(c);
            return KP_EXIT_OK;
        }
        int same = c->firstlen == len && kp_memcmp_ct(c->first, secret, len) == 0;
        wipe_first(c);
        prepare(c);
        if (!same) return kp_cli_error(KP_EXIT_INPUT, "the two passphrases differ; type it again");
    }
    return secret_step(c, s->id, secret, len);
}

int kp_cer_choose(kp_ceremony *c, size_t i)
{
    const kp_step *s = kp_cer_step(c);
    if (i >= c->nchoice) return kp_cli_error(KP_EXIT_USAGE, "no such choice");
    switch (s->id) {
    case S_SCHEME: c->scheme = i; break;
    case S_KEY_SOURCE: c->source = (int)i; break;
    case S_ACTION:
        c->action = (kp_action)(i + 1);
        c->have_key_id = c->action != KP_ACTION_IMPORT;
        break;
    case S_KEY_FORMAT: {
        kp_key_format f;
        if (kp_key_format_from_name(&f, c->choice[i]) != KP_OK) return kp_cli_error(KP_EXIT_INTERNAL, "unknown format");
        c->in_fmt = f;
        break;
    }
    case S_OUT_FORMAT: {
        kp_key_format f;
        if (kp_key_format_from_name(&f, c->choice[i]) != KP_OK) return kp_cli_error(KP_EXIT_INTERNAL, "unknown format");
        c->out_fmt = f;
        break;
    }
    case S_REVEAL:
        if (i == 0) {
            c->reveal = 0;
            break; /* No: on to the summary */
        }
        if (c->reveal < 2) c->reveal++;
        prepare(c);
        return KP_EXIT_OK;
    default: return kp_cli_error(KP_EXIT_INTERNAL, "this step has no choices");
    }
    advance(c);
    return KP_EXIT_OK;
}

int kp_cer_confirm(kp_ceremony *c, int yes)
{
    const kp_step *s = kp_cer_step(c);
    int code;
    switch (s->id) {
    case S_BATON:
        if (yes) {
            advance(c);
            return KP_EXIT_OK;
        }
        {
            size_t was = c->qi;
            if (next_operator(c, c->qi + 1) != 0 || c->qi == was)
                return kp_cli_error(KP_EXIT_NOT_APPROVED, "no other operator is left to approve");
            prepare(c);
            return KP_EXIT_OK;
        }
    case S_WRITE:
        if (!yes) return kp_cer_back(c);
        if ((code = commit(c)) != KP_EXIT_OK) return code;
        break;
    case S_SHARES: case S_FINGERPRINT: case S_POLICY_REVIEW: case S_VERIFY_REVIEW: break;
    case S_ADDRESSES:
        if (!yes) return kp_cer_back(c);
        break;
    case S_DONE: return KP_EXIT_OK;
    default: return kp_cli_error(KP_EXIT_INTERNAL, "this step takes no confirmation");
    }
    advance(c);
    return KP_EXIT_OK;
}

int kp_cer_back(kp_ceremony *c)
{
    int id = cur_id(c);
    /* nothing goes back across an approval, a secret or what was written */
    if (c->pos == 0 || id == S_BATON || id == S_APPROVE || id == S_DONE || id == S_REVEAL || id == S_SHARES) return 1;
    size_t p = c->pos;
    do p--;
    while (p > 0 && !applies(c, SEQS[c->kind][p]));
    int to = SEQS[c->kind][p];
    const kp_step *prev = NULL;
    for (size_t i = 0; i < sizeof STEPS / sizeof *STEPS; i++)
        if (STEPS[i].id == to) prev = &STEPS[i];
    if (prev == NULL || prev->kind == KP_STEP_SECRET || prev->kind == KP_STEP_NEW_SECRET || prev->kind == KP_STEP_APPROVE ||
        prev->kind == KP_STEP_MNEMONIC || to == S_SHARES)
        return 1;
    wipe_first(c);
    if (id == S_WRITE && c->kind != KP_CER_EXPORT_RECOVER && c->kind != KP_CER_POLICY && c->kind != KP_CER_ENROL) return 1;
    c->pos = p;
    prepare(c);
    return 0;
}

int kp_cer_private_hex(const kp_ceremony *c, char out[65])
{
    out[0] = 0;
    if (cur_id(c) != S_REVEAL || c->reveal != 2 || c->r == NULL) return 1;
    uint8_t *key = kp_secure_alloc(32);
    if (key == NULL) return 1;
    kp_export_result_private_key(c->r, key);
    for (int i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", key[i]);
    kp_secure_free(key);
    return 0;
}

const char *kp_cer_output(const kp_ceremony *c, size_t i, char digest[17])
{
    if (i < c->nout) {
        if (!c->out[i].written) return kp_cer_output(c, i + 1, digest);
        memcpy(digest, c->out[i].digest, 17);
        return c->out[i].name;
    }
    if (i == c->nout && c->log_written) {
        memcpy(digest, c->log_digest, 17);
        return c->audit_log;
    }
    return NULL;
}

size_t kp_cer_words(const char *prefix, size_t len, char (*out)[9], size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < 2048; i++) {
        const char *w = kp_bip39_word(i);
        if (len <= 8 && strncmp(w, prefix, len) == 0) {
            if (n < max) memcpy(out[n], w, 9);
            n++;
        }
    }
    return n;
}
