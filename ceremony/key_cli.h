/*
 * key_cli.h: key formats on the command line, shared by `keyport key`, `import prepare` and
 * `export recover`: reading a key in any format (its passphrase and mnemonic from files or a
 * no-echo prompt, never the command line), writing one out, and showing its addresses.
 */
#ifndef KP_CLI_KEY_CLI_H
#define KP_CLI_KEY_CLI_H

#include <stdio.h>

#include "keyport.h"

/* Where a key comes from. */
typedef struct kp_cli_key_in {
    const char *format;    /* format name; NULL: hex */
    const char *file;      /* key file, "-" for standard input; NULL: ask on the terminal (prompt_ok) */
    const char *path;      /* derivation path, may be NULL */
    const char *passfile;  /* the key's passphrase (keystore; BIP-39 passphrase), may be NULL */
    int ask_passphrase;    /* ask for a BIP-39 passphrase on the terminal */
    int prompt_ok;         /* file may be NULL */
} kp_cli_key_in;

/* The options that fill a kp_cli_key_in; getopt codes 1101..1104. */
#define KP_KEY_OPT_PATH 1101
#define KP_KEY_OPT_PASS 1102
#define KP_KEY_OPT_ASK 1103
#define KP_KEY_LONG_OPTIONS                                                 \
    {"path", required_argument, NULL, KP_KEY_OPT_PATH},                     \
    {"key-passphrase-file", required_argument, NULL, KP_KEY_OPT_PASS},      \
    {"ask-key-passphrase", no_argument, NULL, KP_KEY_OPT_ASK}
/* Takes one of those options; returns 1 if o was one. */
int kp_cli_key_option(kp_cli_key_in *in, int o, const char *arg);

/* Checks a format name and curve before anything is read: exit 2 with the reason when the format
 * is unknown, is not an input format, or does not go with curve c (0: any). Out: *fmt. */
int kp_cli_key_in_check(const kp_cli_key_in *in, kp_curve c, kp_key_format *fmt);
/* Reads and parses the key. want: the curve asked for (0: the format's). Out: *c, key (32 bytes,
 * secure). Returns an exit code. */
int kp_cli_key_read(kp_ctx *ctx, const kp_cli_key_in *in, kp_curve want, kp_curve *c, uint8_t key[32]);

/* Prints "<what> <curve> key <pubhex>" and one line per address on stderr (nothing secret). */
int kp_cli_key_report(kp_ctx *ctx, const char *what, kp_curve c, int protocol, const uint8_t *pub, size_t pub_len);
/* Appends "addresses":{"kind":"text",...} (with no leading comma) to out. */
int kp_cli_key_addresses_json(kp_ctx *ctx, kp_buf *out, kp_curve c, int protocol, const uint8_t *pub, size_t pub_len);

/* Checks an output format name before anything is done: exit 2 with the reason when it is unknown
 * or can never be written (a seed, a Solana keypair, an xprv, a mnemonic). Out: *fmt. */
int kp_cli_key_out_check(const char *name, kp_key_format *fmt);
/* Gets the passphrase a keystore is written under: from passfile, or asked twice. */
int kp_cli_key_out_passphrase(kp_key_format fmt, const char *passfile, char **pass, size_t *len);
/* Writes the key in fmt to path (never over an existing file, mode 0600) or to standard output
 * when path is NULL. */
int kp_cli_key_write(kp_ctx *ctx, kp_key_format fmt, kp_curve c, const uint8_t key[32], const char *pass,
                     size_t passlen, kp_kdf_strength strength, const char *path);

#endif
