/*
 * keyport.c: the `keyport` command. Every step of a ceremony, non-interactive, files in and
 * out. It holds no cryptography: each step is one libkeyport call between reading and writing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "io.h"

static const char USAGE[] =
    "usage: keyport COMMAND [OPTIONS]\n"
    "\n"
    "Export (offline, on the air-gapped machine):\n"
    "  keyport export init --context FILE [--passphrase-file FILE] [--no-delete] [--kdf STRENGTH]\n"
    "         [--schemes dfns-2025|all|PROTOCOL/CURVE,...]\n"
    "      write a sealed export context and print the body of POST /keys/{keyId}/export\n"
    "  keyport export recover --context FILE [--passphrase-file FILE] --response FILE [--json]\n"
    "         [--out-format FMT [--key-passphrase-file FILE] [--kdf STRENGTH]] [--out FILE]\n"
    "      decrypt the signers' shares, recombine, check against publicKey, print the private key\n"
    "Import (offline):\n"
    "  keyport import prepare --signers FILE --curve CURVE --protocol PROTOCOL --key-file FILE|-\n"
    "         [--key-format FMT [--path P] [--key-passphrase-file FILE]] [--min-signers N] [--name NAME]\n"
    "         [--cluster ID]\n"
    "      split the key, encrypt each share to its signer, print the body of POST /keys/import\n"
    "Key formats (offline):\n"
    "  keyport key formats [--json]      the formats keys are read and written in\n"
    "  keyport key show --format FMT [--key-file FILE|-] [--path P] [--curve CURVE] [--protocol P]\n"
    "         [--key-passphrase-file FILE | --ask-key-passphrase] [--json]\n"
    "      print the curve, public key and addresses of a key (nothing secret)\n"
    "Know Your Key (operators, approvals, the audit log):\n"
    "  keyport operator new --name NAME --out FILE [--passphrase-file FILE] [--kdf STRENGTH]\n"
    "  keyport operator show FILE\n"
    "  keyport policy new --id ID --operator FILE... --quorum import=M --quorum export=M\n"
    "         --quorum archive=M --out FILE\n"
    "  keyport policy check FILE\n"
    "  keyport approve --operator FILE [--passphrase-file FILE] --policy FILE --action ACTION\n"
    "         [--key-id KEYID] --request FILE --bundle FILE [--expires-in 24h]\n"
    "  keyport approvals verify --policy FILE --action ACTION [--key-id KEYID] --request FILE\n"
    "         --bundle FILE [--json]\n"
    "  keyport audit verify LOG [--writer-key HEX] [--head HASH] [--json]\n"
    "  keyport audit show LOG [--key KEYID] [--json]\n"
    "  The offline commands (export init/recover, import prepare, approve) take\n"
    "  --audit LOG --audit-key OPERATOR.kpo [--audit-passphrase-file FILE] to record their event.\n"
    "The cluster (online: keyport api --help for the details):\n"
    "  keyport api signers | keys | key KEYID | audit [--key KEYID] [--raw]\n"
    "  keyport api import --request FILE --approvals FILE\n"
    "  keyport api export --key-id KEYID --request FILE --approvals FILE --out FILE\n"
    "  keyport api keygen --scheme PROTOCOL --curve CURVE --name NAME --approvals FILE\n"
    "  keyport api archive KEYID --approvals FILE\n"
    "  Each takes --url URL --token-file FILE [--credential FILE], or --config FILE.\n"
    "  keyport credential new --alg Ed25519|ECDSA-P256 --id CREDID --out FILE\n"
    "  keyport credential show FILE\n"
    "Other:\n"
    "  keyport demo       run an import and export round trip with 5 local signers\n"
    "  keyport version    print the version\n"
    "\n"
    "STRENGTH is interactive, moderate (default) or sensitive (Argon2id cost).\n"
    "Exit codes: 0 success, 1 internal error, 2 usage, 3 invalid input, 4 decryption failed\n"
    "(wrong passphrase or altered file), 5 key not recoverable, 6 file error, 7 not approved\n"
    "(quorum not met), 8 the audit log does not verify, 9 the cluster refused the request\n"
    "(keyport api: HTTP 4xx/5xx), 10 no share opens with this export context (the response\n"
    "was made for another); keyport api exits 6 when the cluster cannot be reached.\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(USAGE, stderr);
        return KP_EXIT_USAGE;
    }
    const char *cmd = argv[1], *sub = argc > 2 ? argv[2] : "";
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(USAGE, stdout);
        return KP_EXIT_OK;
    }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("keyport %s\n", KP_VERSION_STRING);
        return KP_EXIT_OK;
    }
    kp_ctx *ctx = NULL;
    kp_status st = kp_ctx_new(&ctx);
    if (st != KP_OK) return kp_cli_fail(st, "cannot start");
    int code;
    if (strcmp(cmd, "export") == 0 && strcmp(sub, "init") == 0)
        code = kp_cmd_export_init(ctx, argc - 2, argv + 2);
    else if (strcmp(cmd, "export") == 0 && strcmp(sub, "recover") == 0)
        code = kp_cmd_export_recover(ctx, argc - 2, argv + 2);
    else if (strcmp(cmd, "import") == 0 && strcmp(sub, "prepare") == 0)
        code = kp_cmd_import_prepare(ctx, argc - 2, argv + 2);
    else if (strcmp(cmd, "demo") == 0)
        code = kp_cmd_demo(ctx, argc - 1, argv + 1);
    else if (strcmp(cmd, "operator") == 0)
        code = kp_cmd_operator(ctx, argc - 1, argv + 1);
    else if (strcmp(cmd, "policy") == 0)
        code = kp_cmd_policy(ctx, argc - 1, argv + 1);
    else if (strcmp(cmd, "approve") == 0)
        code = kp_cmd_approve(ctx, argc - 1, argv + 1);
    else if (strcmp(cmd, "approvals") == 0)
        code = kp_cmd_approvals(ctx, argc - 1, argv + 1);
    else if (strcmp(cmd, "audit") == 0)
        code = kp_cmd_audit(ctx, argc - 1, argv + 1);
    else if (strcmp(cmd, "api") == 0)
        code = kp_cmd_api(ctx, argc - 1, argv + 1);
    else if (strcmp(cmd, "credential") == 0)
        code = kp_cmd_credential(ctx, argc - 1, argv + 1);
    else if (strcmp(cmd, "key") == 0)
        code = kp_cmd_key(ctx, argc - 1, argv + 1);
    else
        code = kp_cli_usage("unknown command \"%s\"", argc > 2 && (strcmp(cmd, "export") == 0 || strcmp(cmd, "import") == 0)
                                                          ? sub : cmd);
    kp_ctx_free(ctx);
    /* Once per run: secrets held in memory that could not be locked may have reached swap. */
    size_t unlocked = kp_secure_unlocked_count();
    if (unlocked > 0)
        fprintf(stderr,
                "keyport: warning: %zu secret buffer%s could not be locked in memory (the lock limit, ulimit -l, "
                "was reached), so %s may have been written to swap; raise the limit for this user\n",
                unlocked, unlocked == 1 ? "" : "s", unlocked == 1 ? "it" : "they");
    return code;
}
