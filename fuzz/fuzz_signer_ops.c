/*
 * Fuzz target: the signer protocol as a signer reads it (server/signer.h), on a real signer in a
 * temporary folder, and the X-Keyport-Signer-Auth header it checks. The first byte picks the
 * operation (info, prepare-import, deal, prepare-keygen, commit, abort, export, archive, sign-commit,
 * sign-share, or the header check), the rest is the body. The oracle: the sanitizers, a status and a message on every
 * refusal, and answers that the strict reader accepts.
 */
#include <ftw.h>
#include <stdio.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "signer.h"

static ks_signer *signer;
static char dir[64] = "/tmp/fuzz-signer-XXXXXX";

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void cleanup(void)
{
    ks_signer_close(signer);
    signer = NULL;
    nftw(dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    ks_err e = {0};
    (void)argc;
    (void)argv;
    /* the key that seals the signer's keys (from outside its folder in keyportd) */
    static const uint8_t storage_key[32] = "fuzz storage key of 32 bytes ..";
    if (mkdtemp(dir) == NULL || ks_signer_open(&e, &signer, fuzz_ctx(), dir, storage_key) != 0) {
        fprintf(stderr, "fuzz_signer_ops: cannot open a signer in %s: %s\n", dir, e.msg);
        abort();
    }
    atexit(cleanup);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* 8 is the header check (kept there, so that the seeds keep their meaning) */
    static const char *const ops[] = {"info",   "prepare-import", "deal", "prepare-keygen", "commit",    "abort",
                                      "export", "archive",        NULL,   "sign-commit",    "sign-share"};
    enum { NOPS = sizeof ops / sizeof ops[0] };
    static const uint8_t secret[32] = "fuzz signer shared secret 32 b.";
    if (size < 1) return 0;
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    ks_err e = {0};
    unsigned pick = data[0] % NOPS;
    if (ops[pick] == NULL) {
        /* the header is a C string: up to the first NUL */
        char header[200];
        size_t n = len < sizeof header - 1 ? len : sizeof header - 1;
        memcpy(header, body, n);
        header[n] = 0;
        int rc = ks_signer_auth_check(&e, header, secret, sizeof secret, FUZZ_NOW, "POST", "/signer/info",
                                      (const uint8_t *)"{}", 2);
        if (rc != 0 && (rc != 401 || e.msg[0] == 0)) abort();
        return 0;
    }
    kp_buf out;
    kp_buf_init(&out, 0);
    int rc = ks_signer_call(&e, signer, ops[pick], body, len, &out);
    if (rc == 0 && kp_json_check((const char *)out.data, out.len, "answer") != KP_OK) abort();
    if (rc != 0 && (rc != e.status || e.msg[0] == 0)) abort();
    kp_buf_release(&out);
    return 0;
}
