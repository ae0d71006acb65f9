/*
 * Fuzz target: keyportd's readers of request bodies and of its credentials file. The first byte
 * picks the reader, the rest is the body:
 *   0 POST /auth/action/init    1 POST /auth/action    2 the --credentials file
 *   3 POST /keys (key generation)    4 POST /keys/{keyId}/export    5 POST /keys/import
 * The oracle: the sanitizers, a status and a message on every refusal, and what an accepted body
 * must satisfy (a key name without control characters, a scheme that fits its curve).
 */
#include <stdio.h>

#include "api.h"
#include "fuzz_common.h"

static ks_actions actions;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static const char creds[] =
        "[{\"credId\":\"fuzz-cred\",\"algorithm\":\"Ed25519\",\"publicKey\":\"" FUZZ_OP1_PK "\"}]";
    ks_err e = {0};
    (void)argc;
    (void)argv;
    if (ks_actions_init(&actions) != 0) abort();
    if (ks_actions_load_text(&e, &actions, "fuzz credentials", creds, sizeof creds - 1) != 0) {
        fprintf(stderr, "fuzz_server_bodies: %s\n", e.msg);
        abort();
    }
    return 0;
}

static void refusal_says_why(int rc, const ks_err *e)
{
    if (rc != 0 && (rc != e->status || e->msg[0] == 0)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const uint8_t *body = data + 1;
    size_t len = size - 1;
    ks_err e = {0};
    kp_buf out;
    int rc;
    kp_buf_init(&out, 0);
    switch (data[0] % 6) {
    case 0:
        rc = ks_action_init(&e, &actions, body, len, &out);
        /* the answer is JSON the strict reader accepts (a challenge keeps no state, so any number
         * of them is answered) */
        if (rc == 0 && kp_json_check((const char *)out.data, out.len, "answer") != KP_OK) abort();
        refusal_says_why(rc, &e);
        break;
    case 1:
        rc = ks_action_sign(&e, &actions, body, len, &out);
        if (rc == 0) abort(); /* no challenge of this run was signed by the fuzz credential's key */
        refusal_says_why(rc, &e);
        break;
    case 2: {
        ks_actions a;
        if (ks_actions_init(&a) != 0) abort();
        rc = ks_actions_load_text(&e, &a, "credentials", (const char *)body, len);
        for (size_t i = 0; rc == 0 && i < a.ncreds; i++)
            if (a.creds[i].id == NULL || a.creds[i].id[0] == 0 || a.creds[i].public_hex == NULL) abort();
        refusal_says_why(rc, &e);
        ks_actions_free(&a);
        break;
    }
    case 3: {
        kp_protocol p;
        kp_curve c;
        char name[KP_KEY_NAME_MAX_BYTES + 1];
        int has_name = 0;
        rc = ks_keygen_request_parse(&e, body, len, &p, &c, name, sizeof name, &has_name);
        if (rc == 0 && (kp_scheme_check(p, c) != KP_OK || (has_name && kp_key_name_check(name, strlen(name)) != KP_OK)))
            abort();
        refusal_says_why(rc, &e);
        break;
    }
    case 4: {
        uint8_t ek[33];
        int del = 7;
        rc = ks_export_request_parse(&e, fuzz_ctx(), "CGGMP21", "secp256k1", body, len, ek, &del);
        if (rc == 0 && del != 0 && del != 1) abort();
        refusal_says_why(rc, &e);
        break;
    }
    default: {
        kp_import_request *r = NULL;
        if (kp_import_request_parse(&r, (const char *)body, len) == KP_OK) {
            const char *name = kp_import_request_name(r);
            if (name != NULL && kp_key_name_check(name, strlen(name)) != KP_OK) abort();
        }
        kp_import_request_free(r);
        break;
    }
    }
    kp_buf_release(&out);
    return 0;
}
