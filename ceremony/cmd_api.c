/*
 * cmd_api.c: keyport api (the client of a keyport cluster, server/API.md) and keyport credential
 * (the Key credentials that sign its user actions, docs/wire.md §5).
 *
 * The files the api commands send and write are exactly those of the offline commands: the
 * request files of `keyport import prepare` and `keyport export init` go out byte for byte, the
 * approval bundles of `keyport approve` travel base64-encoded in X-Keyport-Approvals, and the
 * export answer is written whole for `keyport export recover`.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "commands.h"
#include "keyport_client.h"
#include "io.h"

/* Exit code 9: the cluster answered, and refused the request (HTTP 4xx/5xx, or a refused user
 * action). io.h's list stops at 8; this number is to be added there and to the usage text. */


#define TOKEN_MAX 4096
#define CONFIG_MAX (64 * 1024)
#define CREDENTIAL_MAX (64 * 1024)

static const char API_USAGE[] =
    "usage: keyport api COMMAND [--config FILE] [--url URL] [--token-file FILE] [--credential FILE]\n"
    "                           [OPTIONS]\n"
    "\n"
    "Talks to a keyport cluster (keyportd), or another Dfns-compatible API. The server's answer\n"
    "(JSON) is printed on standard output.\n"
    "\n"
    "  keyport api signers\n"
    "      GET /signers: the file `keyport import prepare --signers` reads\n"
    "  keyport api import --request FILE --approvals FILE\n"
    "      POST /keys/import with the file `keyport import prepare` printed, sent byte for byte\n"
    "      (its final newline included, as `keyport approve --request` hashed it)\n"
    "  keyport api export --key-id KEYID --request FILE --approvals FILE --out FILE\n"
    "      POST /keys/{keyId}/export with the file `keyport export init` printed, sent byte for\n"
    "      byte; the answer is written to --out (a new file) for `keyport export recover --response`\n"
    "  keyport api keygen --scheme PROTOCOL --curve CURVE --name NAME --approvals FILE\n"
    "                     [--print-request]\n"
    "      POST /keys: the cluster makes a new key. The body is exactly\n"
    "      {\"scheme\":\"PROTOCOL\",\"curve\":\"CURVE\",\"name\":NAME} (NAME a JSON string), no newline;\n"
    "      --print-request prints it and sends nothing: save it to a file and have it approved\n"
    "      with `keyport approve --action import --request FILE`\n"
    "  keyport api archive KEYID --approvals FILE [--print-request]\n"
    "      POST /keys/{keyId}/archive. The body is the 2 bytes {} with no newline, and the\n"
    "      approvals must be for exactly those bytes:\n"
    "        printf '{}' > archive.json\n"
    "        keyport approve --action archive --key-id KEYID --request archive.json ...\n"
    "  keyport api sign --key-id KEYID (--hash HEX | --message HEX | --message-file FILE)\n"
    "      POST /keys/{keyId}/signatures: the cluster signs with threshold FROST. A FROST_BITCOIN\n"
    "      key signs a 32-byte hash (--hash, BIP-340); a FROST ed25519 key signs a message\n"
    "      (--message in hex, or the bytes of --message-file, at most 65536). HEX may start with\n"
    "      0x. The body is {\"kind\":\"Hash\",\"hash\":\"0x…\"} or {\"kind\":\"Message\",\"message\":\"0x…\"};\n"
    "      it needs a user action (--credential), no approvals. The answer is the signature\n"
    "      object, with signature.encoded the 64-byte signature; ECDSA keys get HTTP 501 and\n"
    "      archived keys 409 (exit 9)\n"
    "  keyport api signatures KEYID GET /keys/{keyId}/signatures\n"
    "  keyport api keys             GET /keys\n"
    "  keyport api key KEYID        GET /keys/{keyId}\n"
    "  keyport api audit [--key KEYID] [--raw]\n"
    "      GET /audit: the cluster's audit entries as JSON; --raw prints the log file itself,\n"
    "      which `keyport audit verify` checks\n"
    "\n"
    "Connection (options on the command line win over the config file):\n"
    "  --url URL          the API, e.g. http://127.0.0.1:8600\n"
    "  --token-file FILE  the cluster's bearer token (one line)\n"
    "  --credential FILE  the credential that signs user actions (`keyport credential new`);\n"
    "                     needed by import, export, keygen, archive and sign\n"
    "  --config FILE      JSON {\"url\":…,\"tokenFile\":…,\"credential\":…}; relative paths in it are\n"
    "                     relative to the config file's folder\n"
    "--approvals FILE is the bundle of `keyport approve` for the action, the key and the exact\n"
    "request bytes sent.\n"
    "\n"
    "Exit codes: 0 success, 1 internal error, 2 usage, 3 invalid input, 6 a file cannot be read or\n"
    "written, or the cluster cannot be reached (no answer), 9 the cluster refused the request\n"
    "(HTTP 4xx or 5xx, or a refused user action; its message is printed on standard error).\n";

static const char CREDENTIAL_USAGE[] =
    "usage: keyport credential new --alg Ed25519|ECDSA-P256 --id CREDID --out FILE\n"
    "       keyport credential show FILE\n"
    "\n"
    "A credential signs the user actions of `keyport api` (docs/wire.md §5). `show` prints its public\n"
    "part and a JSON line to put in keyportd's --credentials array.\n";

/* ------------------------------------------------------------ a small JSON reader */

/* The message of an error answer {"error":{"status":…,"message":…}}, with control characters
 * replaced (it goes to a terminal); or a printable excerpt of the body when it is not one. */
static void error_message(kp_buf *out, const kp_buf *body)
{
    static const char *const path[] = {"error", "message"};
    char *msg = NULL;
    kp_buf m;
    kp_buf_init(&m, 0);
    if (kp_json_string_at(&msg, (const char *)body->data, body->len, path, 2) == KP_OK && msg[0] != 0)
        kp_buf_addstr(&m, msg);
    else
        kp_buf_add(&m, body->data, body->len < 300 ? body->len : 300);
    free(msg);
    for (size_t i = 0; i < m.len; i++) {
        unsigned char c = m.data[i];
        kp_buf_add(out, c < 0x20 || c == 0x7f ? "?" : (const char *)&m.data[i], 1);
    }
    if (m.len == 0) kp_buf_addstr(out, "(no message)");
    kp_buf_release(&m);
}

/* ------------------------------------------------------------ connection settings */

struct conn {
    const char *url, *token_file, *cred_file, *config;
    char *owned[3]; /* strings read from the config file */
};

static void conn_free(struct conn *c)
{
    for (int i = 0; i < 3; i++) free(c->owned[i]);
}

/* Reads the config file: a JSON object with string members url, tokenFile and credential, all
 * optional, nothing else. Values already set on the command line are kept. */
static int load_config(struct conn *c)
{
    static const char *const keys[] = {"url", "tokenFile", "credential"};
    const char **slots[] = {&c->url, &c->token_file, &c->cred_file};
    char *vals[3] = {NULL, NULL, NULL};
    unsigned char *text = NULL;
    size_t len = 0;
    int code = kp_cli_read_file(c->config, CONFIG_MAX, 0, &text, &len);
    if (code != KP_EXIT_OK) return code;
    char *dircopy = strdup(c->config);
    const char *dir = dircopy ? dirname(dircopy) : ".";
    kp_status st = kp_json_object_strings((const char *)text, len, keys, 3, vals);
    if (dircopy == NULL) {
        code = kp_cli_error(KP_EXIT_INTERNAL, "out of memory");
    } else if (st != KP_OK) {
        code = kp_cli_error(KP_EXIT_INPUT, "%s: %s (a config file is {\"url\":…,\"tokenFile\":…,\"credential\":…})", c->config,
                            kp_error_detail());
    }
    for (int i = 0; i < 3 && code == KP_EXIT_OK; i++) {
        if (vals[i] == NULL || *slots[i] != NULL) continue; /* the command line wins */
        if (vals[i][0] == 0) {
            code = kp_cli_error(KP_EXIT_INPUT, "%s: \"%s\" must be a non-empty string", c->config, keys[i]);
            break;
        }
        /* a relative path is relative to the config file's folder */
        int rel = i > 0 && vals[i][0] != '/';
        if (asprintf(&c->owned[i], "%s%s%s", rel ? dir : "", rel ? "/" : "", vals[i]) < 0) {
            c->owned[i] = NULL;
            code = kp_cli_error(KP_EXIT_INTERNAL, "out of memory");
            break;
        }
        *slots[i] = c->owned[i];
    }
    for (int i = 0; i < 3; i++) free(vals[i]);
    free(dircopy);
    kp_cli_free(text, len, 0);
    return code;
}

/* Makes the client (and, when need_cred, loads the credential into *cred). */
static int connect_client(struct conn *c, int need_cred, kp_client **client, kp_credential **cred)
{
    unsigned char *tok = NULL, *ctext = NULL;
    size_t toklen = 0, clen = 0;
    kp_status st;
    int code = KP_EXIT_OK;
    *client = NULL;
    *cred = NULL;
    if (c->config != NULL && (code = load_config(c)) != KP_EXIT_OK) return code;
    if (c->url == NULL) return kp_cli_usage("api: --url URL is required (or \"url\" in --config FILE)");
    if (c->token_file == NULL) return kp_cli_usage("api: --token-file FILE is required (or \"tokenFile\" in --config FILE)");
    if (need_cred && c->cred_file == NULL)
        return kp_cli_usage("api: this command is signed with a user action: --credential FILE is required "
                            "(or \"credential\" in --config FILE)");
    if ((code = kp_cli_read_file(c->token_file, TOKEN_MAX, 1, &tok, &toklen)) != KP_EXIT_OK) return code;
    /* One final newline, as editors and `echo` add it, is not part of the token. */
    if (toklen > 0 && tok[toklen - 1] == '\n') tok[--toklen] = 0;
    if (toklen > 0 && tok[toklen - 1] == '\r') tok[--toklen] = 0;
    if (toklen == 0) {
        code = kp_cli_error(KP_EXIT_INPUT, "%s: the token file is empty", c->token_file);
        goto done;
    }
    if (strlen((const char *)tok) != toklen) {
        code = kp_cli_error(KP_EXIT_INPUT, "%s: the token holds a NUL byte", c->token_file);
        goto done;
    }
    if ((st = kp_client_new(client, c->url, (const char *)tok)) != KP_OK) {
        code = kp_cli_fail(st, st == KP_ERR_FORMAT && strstr(kp_error_detail(), "URL") ? "--url" : c->token_file);
        goto done;
    }
    if (c->cred_file != NULL && need_cred) {
        if ((code = kp_cli_read_file(c->cred_file, CREDENTIAL_MAX, 1, &ctext, &clen)) != KP_EXIT_OK) goto done;
        if ((st = kp_credential_parse(cred, (const char *)ctext, clen)) != KP_OK) {
            code = kp_cli_fail(st, c->cred_file);
            goto done;
        }
        kp_client_set_credential(*client, *cred);
    }
done:
    kp_cli_free(tok, TOKEN_MAX + 2, 1);
    kp_cli_free(ctext, CREDENTIAL_MAX + 2, 1);
    if (code != KP_EXIT_OK) {
        kp_client_free(*client);
        kp_credential_free(*cred);
        *client = NULL;
        *cred = NULL;
    }
    return code;
}

/* ------------------------------------------------------------ the requests */

/* A key id goes into the URL path and into the path the user action is bound to. Refusing
 * characters that would need percent-encoding keeps the two the same on every server. */
static int key_id_ok(const char *what, const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > 128) return kp_cli_usage("%s must be 1 to 128 characters", what);
    for (size_t i = 0; i < n; i++) {
        char ch = id[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || strchr("-._~", ch) != NULL))
            return kp_cli_usage("%s \"%s\": a key id holds only letters, digits and - . _ ~", what, id);
    }
    return KP_EXIT_OK;
}

/* Reads the approval bundle into its header value: standard padded base64 of the file. */
static int load_approvals(const char *path, char **b64)
{
    unsigned char *text = NULL;
    size_t len = 0;
    *b64 = NULL;
    int code = kp_cli_read_file(path, KP_MAX_INPUT_BYTES, 0, &text, &len);
    if (code != KP_EXIT_OK) return code;
    if (len == 0) {
        kp_cli_free(text, len, 0);
        return kp_cli_error(KP_EXIT_INPUT, "%s: the approval bundle is empty", path);
    }
    size_t cap = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
    if ((*b64 = malloc(cap)) == NULL) code = kp_cli_error(KP_EXIT_INTERNAL, "out of memory");
    else sodium_bin2base64(*b64, cap, text, len, sodium_base64_VARIANT_ORIGINAL);
    kp_cli_free(text, len, 0);
    return code;
}

struct request {
    const char *method;
    char path[256];
    const uint8_t *body;
    size_t len;
    int user_action;
    const char *approvals; /* base64, or NULL */
};

/* Sends the request. On a 2xx answer, *resp holds its body and KP_EXIT_OK is returned; otherwise
 * the reason is printed and the exit code returned (6 no answer, 9 refused). */
static int send_request(kp_client *client, const struct conn *c, const struct request *rq, kp_buf *resp)
{
    long status = 0;
    char where[600];
    const char *base = c->url;
    size_t blen = strlen(base);
    while (blen > 0 && base[blen - 1] == '/') blen--;
    snprintf(where, sizeof where, "%s %.*s%s", rq->method, (int)(blen < 400 ? blen : 400), base, rq->path);
    kp_status st = kp_client_call(client, resp, &status, rq->method, rq->path, rq->body, rq->len, rq->user_action, rq->approvals);
    if (st == KP_ERR_SIGNATURE) {
        /* the cluster refused a step of the user action (its message is in the detail) */
        kp_cli_error(KP_EXIT_REFUSED, "%s: %s", where, kp_error_detail());
        return KP_EXIT_REFUSED;
    }
    if (st != KP_OK) {
        /* KP_ERR_IO (no answer) maps to 6, like a file that cannot be read */
        const char *d = kp_error_detail();
        return kp_cli_error(kp_cli_exit_code(st), "%s", d[0] ? d : kp_strerror(st));
    }
    if (status < 200 || status > 299) {
        kp_buf msg;
        kp_buf_init(&msg, 0);
        error_message(&msg, resp);
        kp_cli_error(KP_EXIT_REFUSED, "%s: the cluster refused the request (HTTP %ld): %s%s", where, status,
                     msg.data ? (const char *)msg.data : "",
                     status >= 300 && status < 400 ? " (keyport does not follow redirects: check --url)" : "");
        kp_buf_release(&msg);
        kp_buf_reset(resp);
        return KP_EXIT_REFUSED;
    }
    return KP_EXIT_OK;
}

/* Prints an answer, with a final newline when it has none (the raw log is printed as it is). */
static int print_answer(const kp_buf *resp, int raw)
{
    int code = kp_cli_stdout(resp->data ? resp->data : (const uint8_t *)"", resp->len);
    if (code == KP_EXIT_OK && !raw && (resp->len == 0 || resp->data[resp->len - 1] != '\n')) code = kp_cli_stdout("\n", 1);
    return code;
}

/* Writes the export answer to a new file. It is the only copy of the key's shares once the key
 * is archived (delete defaults to true), so if the file cannot be written the answer goes to
 * standard output rather than being lost: it holds no secret in the clear, only shares sealed
 * to the export context. */
static int save_export(const char *out, const kp_buf *resp)
{
    int code = kp_cli_write_new_file(out, resp->data, resp->len, 0644);
    if (code != KP_EXIT_OK) {
        kp_cli_error(code, "%s: the export answer could not be saved; it follows on standard output: save it, it may be the "
                           "only copy of the key's shares",
                     out);
        print_answer(resp, 0);
        return code;
    }
    printf("export answer written to %s (for keyport export recover --response %s)\n", out, out);
    return fflush(stdout) == 0 ? KP_EXIT_OK : KP_EXIT_IO;
}

/* Checks, before anything is sent, that --out can be created: the export may archive the key. */
static int check_out(const char *out)
{
    if (access(out, F_OK) == 0) return kp_cli_error(KP_EXIT_IO, "%s: already exists; keyport never overwrites it", out);
    char *dircopy = strdup(out);
    if (dircopy == NULL) return kp_cli_error(KP_EXIT_INTERNAL, "out of memory");
    int ok = access(dirname(dircopy), W_OK) == 0, err = errno;
    free(dircopy);
    if (!ok) return kp_cli_error(KP_EXIT_IO, "%s: its folder is not writable: %s", out, strerror(err));
    return KP_EXIT_OK;
}

/* ------------------------------------------------------------ keyport api */

enum {
    O_URL = 1 << 0, O_TOKEN = 1 << 1, O_CRED = 1 << 2, O_CONFIG = 1 << 3, O_REQUEST = 1 << 4, O_APPROVALS = 1 << 5,
    O_KEYID = 1 << 6, O_OUT = 1 << 7, O_KEY = 1 << 8, O_RAW = 1 << 9, O_SCHEME = 1 << 10, O_CURVE = 1 << 11,
    O_NAME = 1 << 12, O_PRINT = 1 << 13, O_HASH = 1 << 14, O_MESSAGE = 1 << 15, O_MESSAGE_FILE = 1 << 16
};
#define O_COMMON (O_URL | O_TOKEN | O_CRED | O_CONFIG)

static const struct option api_opts[] = {
    {"url", required_argument, NULL, O_URL},         {"token-file", required_argument, NULL, O_TOKEN},
    {"credential", required_argument, NULL, O_CRED}, {"config", required_argument, NULL, O_CONFIG},
    {"request", required_argument, NULL, O_REQUEST}, {"approvals", required_argument, NULL, O_APPROVALS},
    {"key-id", required_argument, NULL, O_KEYID},    {"out", required_argument, NULL, O_OUT},
    {"key", required_argument, NULL, O_KEY},         {"raw", no_argument, NULL, O_RAW},
    {"scheme", required_argument, NULL, O_SCHEME},   {"curve", required_argument, NULL, O_CURVE},
    {"name", required_argument, NULL, O_NAME},       {"print-request", no_argument, NULL, O_PRINT},
    {"hash", required_argument, NULL, O_HASH},       {"message", required_argument, NULL, O_MESSAGE},
    {"message-file", required_argument, NULL, O_MESSAGE_FILE},
    {"help", no_argument, NULL, 'h'},                {NULL, 0, NULL, 0}};

enum api_sub { S_SIGNERS, S_IMPORT, S_EXPORT, S_KEYGEN, S_ARCHIVE, S_KEYS, S_KEY, S_AUDIT, S_SIGN, S_SIGNATURES };

static const struct {
    const char *name;
    unsigned allowed, required;
    int positional; /* the number of operands (a key id) */
    int signed_;    /* 1: carries a user action and approvals; 2: a user action only */
} subs[] = {
    [S_SIGNERS] = {"signers", O_COMMON, 0, 0, 0},
    [S_IMPORT] = {"import", O_COMMON | O_REQUEST | O_APPROVALS, O_REQUEST | O_APPROVALS, 0, 1},
    [S_EXPORT] = {"export", O_COMMON | O_KEYID | O_REQUEST | O_APPROVALS | O_OUT, O_KEYID | O_REQUEST | O_APPROVALS | O_OUT, 0, 1},
    [S_KEYGEN] = {"keygen", O_COMMON | O_SCHEME | O_CURVE | O_NAME | O_APPROVALS | O_PRINT, O_SCHEME | O_CURVE | O_NAME, 0, 1},
    [S_ARCHIVE] = {"archive", O_COMMON | O_APPROVALS | O_PRINT, 0, 1, 1},
    [S_KEYS] = {"keys", O_COMMON, 0, 0, 0},
    [S_KEY] = {"key", O_COMMON, 0, 1, 0},
    [S_AUDIT] = {"audit", O_COMMON | O_KEY | O_RAW, 0, 0, 0},
    [S_SIGN] = {"sign", O_COMMON | O_KEYID | O_HASH | O_MESSAGE | O_MESSAGE_FILE, O_KEYID, 0, 2},
    [S_SIGNATURES] = {"signatures", O_COMMON, 0, 1, 0},
};

#define SIGN_MESSAGE_MAX 65536 /* bytes: what keyportd signs at most (API.md "Signing") */

/* Appends 0x and the lower-case hex of the digits in hex (an optional 0x dropped); 3 when they
 * are not an even number of hex digits, or not `want` bytes (want 0: 0 to SIGN_MESSAGE_MAX). */
static int add_hex_field(kp_buf *b, const char *what, const char *hex, size_t want)
{
    if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) hex += 2;
    size_t n = strlen(hex);
    for (size_t i = 0; i < n; i++)
        if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f') || (hex[i] >= 'A' && hex[i] <= 'F')))
            return kp_cli_error(KP_EXIT_INPUT, "%s: character %zu is not a hex digit", what, i + 1);
    if (n % 2) return kp_cli_error(KP_EXIT_INPUT, "%s: an odd number of hex digits (%zu)", what, n);
    if (want ? n != 2 * want : n > 2 * SIGN_MESSAGE_MAX)
        return want ? kp_cli_error(KP_EXIT_INPUT, "%s: must be %zu bytes (%zu hex digits), not %zu", what, want, 2 * want, n / 2)
                    : kp_cli_error(KP_EXIT_INPUT, "%s: %zu bytes; the cluster signs at most %d", what, n / 2, SIGN_MESSAGE_MAX);
    if (kp_buf_addstr(b, "0x") != KP_OK) return kp_cli_error(KP_EXIT_INTERNAL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        char c = hex[i] >= 'A' && hex[i] <= 'F' ? (char)(hex[i] - 'A' + 'a') : hex[i];
        if (kp_buf_add(b, (const uint8_t *)&c, 1) != KP_OK) return kp_cli_error(KP_EXIT_INTERNAL, "out of memory");
    }
    return KP_EXIT_OK;
}

static const char *opt_name(unsigned bit)
{
    for (const struct option *o = api_opts; o->name != NULL; o++)
        if ((unsigned)o->val == bit) return o->name;
    return "?";
}

int kp_cmd_api(kp_ctx *ctx, int argc, char **argv)
{
    (void)ctx;
    const char *subname = argc > 1 ? argv[1] : "";
    if (strcmp(subname, "--help") == 0 || strcmp(subname, "-h") == 0 || strcmp(subname, "help") == 0) {
        fputs(API_USAGE, stdout);
        return fflush(stdout) == 0 ? KP_EXIT_OK : KP_EXIT_IO;
    }
    size_t sub;
    for (sub = 0; sub < sizeof subs / sizeof *subs && strcmp(subs[sub].name, subname) != 0; sub++) continue;
    if (sub == sizeof subs / sizeof *subs)
        return kp_cli_usage("api: unknown subcommand \"%s\" (signers, import, export, keygen, archive, sign, signatures, "
                            "keys, key, audit; "
                            "keyport api --help)", subname);

    struct conn conn = {0};
    const char *request = NULL, *approvals = NULL, *key_id = NULL, *out = NULL, *key = NULL, *scheme = NULL, *curve = NULL,
               *name = NULL, *hash = NULL, *message = NULL, *message_file = NULL;
    int raw = 0, print = 0, o;
    unsigned given = 0;
    optind = 1;
    opterr = 0;
    /* argv[1] is the subcommand: options start after it */
    while ((o = getopt_long(argc - 1, argv + 1, "", api_opts, NULL)) != -1) {
        if (o == 'h') {
            fputs(API_USAGE, stdout);
            return fflush(stdout) == 0 ? KP_EXIT_OK : KP_EXIT_IO;
        }
        if (o == '?' || o == ':') return kp_cli_usage("api %s: unknown or incomplete option %s", subname, argv[optind]);
        if (!(subs[sub].allowed & (unsigned)o)) return kp_cli_usage("api %s: --%s does not go with this command", subname, opt_name((unsigned)o));
        if (given & (unsigned)o) return kp_cli_usage("api %s: --%s is given twice", subname, opt_name((unsigned)o));
        given |= (unsigned)o;
        switch (o) {
        case O_URL: conn.url = optarg; break;
        case O_TOKEN: conn.token_file = optarg; break;
        case O_CRED: conn.cred_file = optarg; break;
        case O_CONFIG: conn.config = optarg; break;
        case O_REQUEST: request = optarg; break;
        case O_APPROVALS: approvals = optarg; break;
        case O_KEYID: key_id = optarg; break;
        case O_OUT: out = optarg; break;
        case O_KEY: key = optarg; break;
        case O_RAW: raw = 1; break;
        case O_SCHEME: scheme = optarg; break;
        case O_CURVE: curve = optarg; break;
        case O_NAME: name = optarg; break;
        case O_PRINT: print = 1; break;
        case O_HASH: hash = optarg; break;
        case O_MESSAGE: message = optarg; break;
        case O_MESSAGE_FILE: message_file = optarg; break;
        }
    }
    unsigned missing = subs[sub].required & ~given;
    if (missing) return kp_cli_usage("api %s: --%s is required", subname, opt_name(missing & -missing));
    if (subs[sub].signed_ == 1 && !print && approvals == NULL) return kp_cli_usage("api %s: --approvals FILE is required", subname);
    int nargs = argc - 1 - optind;
    if (nargs != subs[sub].positional) {
        if (subs[sub].positional) return kp_cli_usage("usage: keyport api %s KEYID [options]", subname);
        return kp_cli_usage("api %s: unexpected argument \"%s\"", subname, argv[1 + optind]);
    }
    int code;
    if (subs[sub].positional && (code = key_id_ok("KEYID", argv[1 + optind])) != KP_EXIT_OK) return code;
    if (key_id != NULL && (code = key_id_ok("--key-id", key_id)) != KP_EXIT_OK) return code;
    if (key != NULL && (code = key_id_ok("--key", key)) != KP_EXIT_OK) return code;
    if (sub == S_SIGN && (hash != NULL) + (message != NULL) + (message_file != NULL) != 1)
        return kp_cli_usage("api sign: give one of --hash HEX, --message HEX or --message-file FILE");
    if (raw && key != NULL) return kp_cli_usage("api audit: --key does not go with --raw (the raw log is the whole file)");
    if (sub == S_KEYGEN) {
        kp_curve cv;
        kp_protocol pr;
        kp_status st;
        if ((st = kp_protocol_from_name(&pr, scheme)) != KP_OK) return kp_cli_fail(st, "--scheme");
        if ((st = kp_curve_from_name(&cv, curve)) != KP_OK) return kp_cli_fail(st, "--curve");
        if ((st = kp_scheme_check(pr, cv)) != KP_OK) return kp_cli_fail(st, "--scheme and --curve");
        if (name == NULL || name[0] == 0) return kp_cli_usage("api keygen: --name must not be empty");
    }

    struct request rq = {"GET", "", NULL, 0, subs[sub].signed_ != 0, NULL};
    unsigned char *file = NULL;
    size_t filelen = 0;
    char *approvals_b64 = NULL;
    kp_client *client = NULL;
    kp_credential *cred = NULL;
    kp_buf body, resp;
    kp_buf_init(&body, 0);
    kp_buf_init(&resp, 0);
    code = KP_EXIT_OK;

    switch ((enum api_sub)sub) {
    case S_SIGNERS: snprintf(rq.path, sizeof rq.path, "/signers"); break;
    case S_KEYS: snprintf(rq.path, sizeof rq.path, "/keys"); break;
    case S_KEY: snprintf(rq.path, sizeof rq.path, "/keys/%s", argv[1 + optind]); break;
    case S_SIGNATURES: snprintf(rq.path, sizeof rq.path, "/keys/%s/signatures", argv[1 + optind]); break;
    case S_SIGN:
        rq.method = "POST";
        snprintf(rq.path, sizeof rq.path, "/keys/%s/signatures", key_id);
        kp_buf_addstr(&body, hash != NULL ? "{\"kind\":\"Hash\",\"hash\":\"" : "{\"kind\":\"Message\",\"message\":\"");
        if (hash != NULL) {
            code = add_hex_field(&body, "--hash", hash, 32);
        } else if (message != NULL) {
            code = add_hex_field(&body, "--message", message, 0);
        } else {
            code = kp_cli_read_file(message_file, SIGN_MESSAGE_MAX, 0, &file, &filelen);
            if (code == KP_EXIT_OK && (kp_buf_addstr(&body, "0x") != KP_OK || kp_buf_addhex(&body, file, filelen) != KP_OK))
                code = kp_cli_error(KP_EXIT_INTERNAL, "out of memory");
        }
        if (code == KP_EXIT_OK && kp_buf_addstr(&body, "\"}") != KP_OK) code = kp_cli_error(KP_EXIT_INTERNAL, "out of memory");
        break;
    case S_AUDIT:
        if (raw) snprintf(rq.path, sizeof rq.path, "/audit/raw");
        else if (key != NULL) snprintf(rq.path, sizeof rq.path, "/audit?keyId=%s", key);
        else snprintf(rq.path, sizeof rq.path, "/audit");
        break;
    case S_IMPORT:
    case S_EXPORT:
        rq.method = "POST";
        if (sub == S_IMPORT) snprintf(rq.path, sizeof rq.path, "/keys/import");
        else snprintf(rq.path, sizeof rq.path, "/keys/%s/export", key_id);
        /* The body is the request file exactly as it is, its final newline included: that is
         * what `keyport approve --request FILE` hashed, and the cluster checks the approvals
         * against the exact body bytes, so both sides must see the same bytes. JSON allows the
         * trailing white space. */
        code = kp_cli_read_file(request, KP_MAX_INPUT_BYTES, 0, &file, &filelen);
        if (code == KP_EXIT_OK && filelen == 0) code = kp_cli_error(KP_EXIT_INPUT, "%s: the request file is empty", request);
        rq.body = file;
        rq.len = filelen;
        if (code == KP_EXIT_OK && sub == S_EXPORT) code = check_out(out);
        break;
    case S_ARCHIVE:
        rq.method = "POST";
        snprintf(rq.path, sizeof rq.path, "/keys/%s/archive", argv[1 + optind]);
        /* API.md: the body is {}; the approvals are for exactly these two bytes. */
        kp_buf_addstr(&body, "{}");
        break;
    case S_KEYGEN:
        rq.method = "POST";
        snprintf(rq.path, sizeof rq.path, "/keys");
        /* the scheme and curve were checked above: plain ASCII names, no escaping needed */
        kp_buf_addstr(&body, "{\"scheme\":\"");
        kp_buf_addstr(&body, scheme);
        kp_buf_addstr(&body, "\",\"curve\":\"");
        kp_buf_addstr(&body, curve);
        kp_buf_addstr(&body, "\",\"name\":");
        if (kp_buf_addjstr(&body, name, strlen(name)) != KP_OK || kp_buf_addstr(&body, "}") != KP_OK)
            code = kp_cli_error(KP_EXIT_INTERNAL, "out of memory");
        break;
    }
    if (sub == S_ARCHIVE || sub == S_KEYGEN || sub == S_SIGN) {
        rq.body = body.data;
        rq.len = body.len;
        if (code == KP_EXIT_OK && body.data == NULL) code = kp_cli_error(KP_EXIT_INTERNAL, "out of memory");
        if (code == KP_EXIT_OK && print) {
            /* exactly the bytes that would be sent, no newline: redirect them to a file to approve */
            code = kp_cli_stdout(body.data, body.len);
            goto done;
        }
    }
    if (code == KP_EXIT_OK && approvals != NULL) code = load_approvals(approvals, &approvals_b64);
    rq.approvals = approvals_b64;
    if (code == KP_EXIT_OK) code = connect_client(&conn, rq.user_action, &client, &cred);
    if (code == KP_EXIT_OK) code = send_request(client, &conn, &rq, &resp);
    if (code == KP_EXIT_OK) code = sub == S_EXPORT ? save_export(out, &resp) : print_answer(&resp, raw);
done:
    kp_client_free(client);
    kp_credential_free(cred);
    free(approvals_b64);
    kp_cli_free(file, filelen, 0);
    kp_buf_release(&body);
    kp_buf_release(&resp);
    conn_free(&conn);
    return code;
}

/* ------------------------------------------------------------ keyport credential */

/* Prints a credential's public part, and the JSON line for keyportd's --credentials array. */
static int print_credential(const kp_credential *cred)
{
    kp_buf pub, line;
    kp_buf_init(&pub, 0);
    kp_buf_init(&line, 0);
    const char *id = kp_credential_id(cred), *alg = kp_cred_alg_name(kp_credential_alg(cred));
    kp_status st = kp_credential_public_hex(cred, &pub);
    if (st == KP_OK && (st = kp_buf_addstr(&line, "{\"credId\":")) == KP_OK && (st = kp_buf_addjstr(&line, id, strlen(id))) == KP_OK &&
        (st = kp_buf_addstr(&line, ",\"algorithm\":\"")) == KP_OK && (st = kp_buf_addstr(&line, alg)) == KP_OK &&
        (st = kp_buf_addstr(&line, "\",\"publicKey\":\"")) == KP_OK && (st = kp_buf_add(&line, pub.data, pub.len)) == KP_OK)
        st = kp_buf_addstr(&line, "\"}");
    int code = KP_EXIT_OK;
    if (st != KP_OK) code = kp_cli_fail(st, "credential");
    else printf("credential: %s\nalgorithm:  %s\npublic key: %s\n%s\n", id, alg, (const char *)pub.data, (const char *)line.data);
    kp_buf_release(&pub);
    kp_buf_release(&line);
    if (code == KP_EXIT_OK && fflush(stdout) != 0) code = kp_cli_error(KP_EXIT_IO, "standard output: cannot write");
    return code;
}

static int load_credential(const char *path, kp_credential **out)
{
    unsigned char *text = NULL;
    size_t len = 0;
    *out = NULL;
    int code = kp_cli_read_file(path, CREDENTIAL_MAX, 1, &text, &len);
    if (code != KP_EXIT_OK) return code;
    kp_status st = kp_credential_parse(out, (const char *)text, len);
    kp_cli_free(text, CREDENTIAL_MAX + 2, 1);
    return st == KP_OK ? KP_EXIT_OK : kp_cli_fail(st, path);
}

int kp_cmd_credential(kp_ctx *ctx, int argc, char **argv)
{
    (void)ctx;
    const char *sub = argc > 1 ? argv[1] : "";
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
        fputs(CREDENTIAL_USAGE, stdout);
        return fflush(stdout) == 0 ? KP_EXIT_OK : KP_EXIT_IO;
    }
    if (strcmp(sub, "show") == 0) {
        if (argc != 3) return kp_cli_usage("usage: keyport credential show FILE");
        kp_credential *cred = NULL;
        int code = load_credential(argv[2], &cred);
        if (code == KP_EXIT_OK) code = print_credential(cred);
        kp_credential_free(cred);
        return code;
    }
    if (strcmp(sub, "new") != 0) return kp_cli_usage("credential: unknown subcommand \"%s\" (new, show)", sub);
    static const struct option opts[] = {{"alg", required_argument, NULL, 'a'},
                                         {"id", required_argument, NULL, 'i'},
                                         {"out", required_argument, NULL, 'o'},
                                         {NULL, 0, NULL, 0}};
    const char *algname = NULL, *id = NULL, *outpath = NULL;
    int o;
    optind = 1;
    opterr = 0;
    while ((o = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
        switch (o) {
        case 'a': algname = optarg; break;
        case 'i': id = optarg; break;
        case 'o': outpath = optarg; break;
        default: return kp_cli_usage("credential new: unknown or incomplete option %s", argv[optind]);
        }
    }
    if (optind < argc - 1) return kp_cli_usage("credential new: unexpected argument \"%s\"", argv[optind + 1]);
    if (algname == NULL || id == NULL || outpath == NULL)
        return kp_cli_usage("credential new: --alg Ed25519|ECDSA-P256, --id CREDID and --out FILE are required");
    kp_cred_alg alg;
    if (kp_cred_alg_from_name(&alg, algname) != KP_OK) return kp_cli_usage("--alg must be Ed25519 or ECDSA-P256, not \"%s\"", algname);
    kp_buf file;
    kp_buf_init(&file, 1); /* it holds the private key */
    kp_credential *cred = NULL;
    int code = KP_EXIT_OK;
    kp_status st = kp_credential_new(&file, alg, id);
    if (st != KP_OK) code = kp_cli_fail(st, "--id");
    if (code == KP_EXIT_OK && (st = kp_credential_parse(&cred, (const char *)file.data, file.len)) != KP_OK)
        code = kp_cli_fail(st, "credential new");
    if (code == KP_EXIT_OK) code = kp_cli_write_new_file(outpath, file.data, file.len, 0600);
    if (code == KP_EXIT_OK) {
        printf("credential written to %s\n", outpath);
        code = print_credential(cred);
    }
    kp_credential_free(cred);
    kp_buf_release(&file);
    return code;
}
