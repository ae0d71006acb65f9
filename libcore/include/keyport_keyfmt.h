/*
 * keyport_keyfmt.h: key formats in and out, and the addresses operators confirm a key by.
 * Included by keyport.h; the house rules at the top of keyport.h hold here too.
 *
 * - One entry point per direction, the format an argument: kp_key_parse reads a key in any
 *   input format into (curve, 32-byte big-endian scalar); kp_key_write writes a scalar out.
 *   kp_key_format_count/kp_key_format_get list the formats (what `keyport key formats` prints).
 * - Secrets in and out (mnemonics, seeds, passphrases, chain codes, derived keys) are copied
 *   only into the secure allocator or wiped stack memory, and every output is wiped on failure.
 *   NFKD normalization (libunistring) works in a secure buffer; should a text normalize to more
 *   than four times its size, libunistring's own buffer is wiped and freed.
 * - Error details never hold a secret, with one deliberate exception the operator needs: a
 *   mnemonic word that is not in the BIP-39 list is named by its position and the nearest word
 *   of the list is suggested ("word 5 of 12 is not in the BIP-39 English list; nearest: ...").
 * - Derivation paths: "m", or "m/" then steps separated by '/', each a decimal index below 2^31
 *   without leading zeros, hardened when followed by ', h or H. For an xprv or xpub the path is
 *   relative to that key ("m/0/1" or "0/1"). "M" instead of "m" asks for BIP-32 public derivation
 *   (the public key first, then non-hardened steps only), which gives a public key alone.
 */
#ifndef KEYPORT_KEYFMT_H
#define KEYPORT_KEYFMT_H

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- hand-written codecs */

/** Keccak-256 (the original Keccak padding, as Ethereum uses; not SHA3-256). Out: out (32 bytes). */
KP_API void kp_keccak256(uint8_t out[32], const uint8_t *in, size_t len);

/** Appends base58 (Bitcoin alphabet) of len bytes (at most 128) to out. Loops and character
 *  mapping do not depend on the bytes. Returns KP_OK, KP_ERR_TOO_LARGE, KP_ERR_NOMEM. */
KP_API kp_status kp_base58_encode(kp_buf *out, const uint8_t *in, size_t len);
/** Decodes base58 into out (cap bytes); *outlen gets the length. Each leading '1' is a zero byte.
 *  For public data (addresses); secret formats use exact-size decoding internally.
 *  Returns KP_OK, KP_ERR_EMPTY, KP_ERR_BASE58, KP_ERR_TOO_LARGE. */
KP_API kp_status kp_base58_decode(uint8_t *out, size_t cap, size_t *outlen, const char *s, size_t len);

typedef enum kp_bech32_encoding { KP_BECH32 = 1, KP_BECH32M = 2 } kp_bech32_encoding;

/** Appends hrp '1' data checksum (BIP-173 bech32 or BIP-350 bech32m). data5: 5-bit values.
 *  hrp: lower-case printable ASCII. Total length at most 90. */
KP_API kp_status kp_bech32_encode(kp_buf *out, const char *hrp, const uint8_t *data5, size_t len, kp_bech32_encoding enc);
/** Decodes a bech32 or bech32m string (either case, not mixed). Out: hrp (lower case, NUL-terminated),
 *  data5 (*len 5-bit values, checksum removed), *enc. Returns KP_OK, KP_ERR_BECH32, KP_ERR_CHECKSUM
 *  (hrp and data5 zeroed). */
KP_API kp_status kp_bech32_decode(char hrp[84], uint8_t data5[90], size_t *len, kp_bech32_encoding *enc,
                                  const char *s, size_t slen);
/** Appends the segwit address of a witness program: version 0 with bech32 (20 or 32 bytes),
 *  versions 1..16 with bech32m (2..40 bytes). hrp: "bc" (mainnet), "tb" (testnet), ... */
KP_API kp_status kp_segwit_address(kp_buf *out, const char *hrp, unsigned version, const uint8_t *program, size_t len);
/** Decodes a segwit address for hrp. Out: *version, program (*len bytes).
 *  Returns KP_OK, KP_ERR_BECH32 (another hrp, a bad program), KP_ERR_CHECKSUM (also the wrong one of
 *  bech32/bech32m for the version). */
KP_API kp_status kp_segwit_address_decode(unsigned *version, uint8_t program[40], size_t *len, const char *hrp,
                                          const char *s, size_t slen);

/* ---------------------------------------------------------------- key formats */

typedef enum kp_key_format {
    KP_KEYFMT_HEX = 1,              /* in/out: big-endian scalar, up to 64 hex digits, any curve */
    KP_KEYFMT_ED25519_SEED = 2,     /* in: an RFC 8032 seed, 64 hex digits (out: refused) */
    KP_KEYFMT_WIF = 3,              /* in/out: mainnet WIF (read compressed or not; written compressed) */
    KP_KEYFMT_WIF_TESTNET = 4,      /* in/out: testnet WIF, the same way */
    KP_KEYFMT_MNEMONIC = 5,         /* in: BIP-39 + path: BIP-32 (secp256k1), SLIP-10 (ed25519), EIP-2645 (stark) */
    KP_KEYFMT_XPRV = 6,             /* in: xprv/tprv (also yprv/zprv and testnet twins) + optional path (out: refused) */
    KP_KEYFMT_XPUB = 7,             /* public only (kp_key_public): xpub/tpub/ypub/zpub + non-hardened path */
    KP_KEYFMT_KEYSTORE = 8,         /* in: Ethereum keystore v3 (scrypt, pbkdf2); out: scrypt */
    KP_KEYFMT_SOLANA_KEYPAIR = 9,   /* in: JSON array of 64 bytes seed || public key (out: refused) */
    KP_KEYFMT_SOLANA_BASE58 = 10,   /* in: base58 of the same 64 bytes (out: refused) */
    KP_KEYFMT_STARK_HEX = 11,       /* in/out: a Stark private key in hex */
    KP_KEYFMT_STARK_MNEMONIC = 12,  /* in: BIP-39 + EIP-2645 path, BIP-32 then grinding (StarkEx, Starknet wallets) */
    KP_KEYFMT_ED25519_EXPANDED = 13 /* out: 64-byte expanded secret, little-endian scalar || prefix, as hex */
} kp_key_format;

#define KP_CURVE_BIT(c) (1u << (c))

typedef struct kp_key_format_info {
    kp_key_format id;
    const char *name;      /* as the command takes it, e.g. "mnemonic" */
    unsigned in_curves;    /* KP_CURVE_BIT of each curve it reads into (0: not an input format) */
    unsigned out_curves;   /* KP_CURVE_BIT of each curve it writes (0: not an output format) */
    kp_curve default_curve;/* the curve when none is asked for (0: one must be given) */
    int path;              /* 2: a path is required, 1: optional, 0: none */
    int passphrase;        /* 2: required (keystore), 1: optional (BIP-39), 0: none */
    const char *summary;   /* one line */
    const char *refusal;   /* when not an output format: why (NULL otherwise) */
    const char *aliases;   /* other names it is known by, comma-separated (NULL: none) */
} kp_key_format_info;

/** The number of formats, and the i-th (NULL past the end). Static data; thread-safe. */
KP_API size_t kp_key_format_count(void);
KP_API const kp_key_format_info *kp_key_format_get(size_t i);
/** The format of a name or alias. Returns KP_OK or KP_ERR_KEY_FORMAT (the detail lists the names). */
KP_API kp_status kp_key_format_from_name(kp_key_format *out, const char *name);
/** The format's table entry (NULL for an unknown one). */
KP_API const kp_key_format_info *kp_key_format_info_of(kp_key_format f);

/** What a key's text needs beside itself. */
typedef struct kp_key_params {
    kp_curve curve;          /* the curve asked for; 0: the format's default */
    const char *path;        /* derivation path, NUL-terminated; may be NULL */
    const char *passphrase;  /* BIP-39 passphrase (NFKD applied) or keystore passphrase; may be NULL */
    size_t passphrase_len;
} kp_key_params;

/** Reads a key. in/len: the key's text (surrounding white space ignored). params may be NULL.
 *  Out: *curve, scalar (32 bytes, big-endian, checked against the curve's order).
 *  Returns KP_OK, or: KP_ERR_KEY_FORMAT (not an input format, or not for that curve), KP_ERR_HEX,
 *  KP_ERR_BASE58, KP_ERR_CHECKSUM (WIF, xprv), KP_ERR_MNEMONIC (word count, unknown word, checksum
 *  word), KP_ERR_PATH, KP_ERR_JSON/KP_ERR_FORMAT/KP_ERR_KDF_PARAMS (keystore), KP_ERR_DECRYPT (keystore:
 *  wrong passphrase or altered MAC, checked before decrypting), KP_ERR_KEYPAIR_MISMATCH (Solana halves,
 *  keystore address), KP_ERR_SCALAR, KP_ERR_NOMEM. Outputs zeroed on failure. Thread-safe. */
KP_API kp_status kp_key_parse(const kp_ctx *ctx, kp_curve *curve, uint8_t scalar[32], kp_key_format fmt,
                              const kp_key_params *params, const uint8_t *in, size_t len);

/** Reads a key and gives only its public key (wire form, as kp_public_key): every input format,
 *  and KP_KEYFMT_XPUB, which derives along non-hardened steps only (KP_ERR_PATH otherwise); a
 *  secp256k1 mnemonic or xprv with a path that starts with "M" derives publicly the same way.
 *  Out: *curve, pub (KP_PUBKEY_MAX_BYTES), *pub_len. Returns as kp_key_parse. */
KP_API kp_status kp_key_public(const kp_ctx *ctx, kp_curve *curve, uint8_t *pub, size_t *pub_len, kp_key_format fmt,
                               const kp_key_params *params, const uint8_t *in, size_t len);

/** Whether a scalar on curve c (0: any curve) can be written in fmt. Returns KP_OK, or
 *  KP_ERR_KEY_FORMAT with a detail that says why: e.g. an RFC 8032 seed, a Solana keypair or an
 *  xprv cannot be made from a threshold export, which yields a scalar, not a seed or a chain code. */
KP_API kp_status kp_key_write_check(kp_key_format fmt, kp_curve c);

/** Appends the key in fmt to out (which should be secure), with a final newline. For
 *  KP_KEYFMT_KEYSTORE: pass/passlen is the passphrase (not empty), strength sets scrypt's cost
 *  (interactive: N=2^12, r=8, p=6 as geth's "light"; moderate: N=2^18, r=8, p=1 as geth's
 *  standard; sensitive: N=2^20, r=8, p=1); other formats ignore them (pass may be NULL).
 *  Returns KP_OK, KP_ERR_KEY_FORMAT, KP_ERR_SCALAR, KP_ERR_EMPTY, KP_ERR_NOMEM. */
KP_API kp_status kp_key_write(const kp_ctx *ctx, kp_buf *out, kp_key_format fmt, kp_curve c, const uint8_t scalar[32],
                              const char *pass, size_t passlen, kp_kdf_strength strength);

/* ---------------------------------------------------------------- pieces of the formats */

/** Parses a derivation path into steps (hardened ones with bit 31 set). steps holds cap entries.
 *  *public_only gets 1 for a path that starts with "M" (public derivation), else 0; public_only may
 *  be NULL, and then such a path is refused. Returns KP_OK or KP_ERR_PATH (naming the step). */
KP_API kp_status kp_path_parse(uint32_t *steps, size_t cap, size_t *n, int *public_only, const char *path);

/** A BIP-39 mnemonic (any white space between words; NFKD applied) and passphrase (may be NULL)
 *  to the 64-byte seed. The words must be in the English list and the checksum must hold.
 *  Out: seed (64 bytes; secure memory). Returns KP_OK, KP_ERR_MNEMONIC, KP_ERR_EMPTY, KP_ERR_NOMEM. */
KP_API kp_status kp_bip39_seed(uint8_t seed[64], const char *mnemonic, size_t len, const char *pass, size_t passlen);
/** The nearest word of the BIP-39 English list to word (edit distance, a shared 4-letter prefix
 *  first). Returns a static string. For messages only: it does not run in constant time. */
KP_API const char *kp_bip39_nearest(const char *word, size_t len);
/** The i-th word (0..2047) of the BIP-39 English list (a thread-local copy, valid until the next
 *  call), NULL past the end; for completion. */
KP_API const char *kp_bip39_word(size_t i);

/** StarkEx/Starknet key grinding (starkex-resources key_derivation.js grindKey): the first
 *  SHA-256(key || index) below the largest multiple of the Stark order under 2^256, reduced mod
 *  the order. Out: stark (32 bytes). */
KP_API kp_status kp_stark_grind(uint8_t stark[32], const uint8_t key[32]);

/* ---------------------------------------------------------------- addresses */

#define KP_ADDRESS_MAX 6

typedef struct kp_address {
    const char *kind;  /* "ethereum", "bitcoin-p2wpkh", "bitcoin-p2tr", "bip340-key", "solana", "stark-key" */
    const char *label; /* for people: "Ethereum (EIP-55)", ... */
    char text[96];
} kp_address;

/** The addresses of a public key (wire form) to confirm it by:
 *  - secp256k1: Ethereum (EIP-55), Bitcoin P2WPKH (bech32, bc1q…), Bitcoin P2TR (bech32m, bc1p…,
 *    the BIP-341 key-path tweak with no script tree, as BIP-86); with protocol FROST_BITCOIN instead
 *    the BIP-340 x-only key and its P2TR address;
 *  - ed25519: Solana (base58 of the key);
 *  - stark: the Stark public key (its x coordinate, 0x and 64 hex digits).
 *  protocol: 0 for every address of the curve. Out: out (KP_ADDRESS_MAX entries), *n.
 *  Returns KP_OK, KP_ERR_POINT, KP_ERR_CURVE. */
KP_API kp_status kp_addresses(const kp_ctx *ctx, kp_address out[KP_ADDRESS_MAX], size_t *n, kp_curve c, int protocol,
                              const uint8_t *pub, size_t pub_len);
/** The EIP-55 address of a secp256k1 public key (33 or 65 bytes). Out: out (43 bytes: 0x, 40, NUL). */
KP_API kp_status kp_eth_address(const kp_ctx *ctx, char out[43], const uint8_t *pub, size_t pub_len);

#ifdef __cplusplus
}
#endif
#endif
