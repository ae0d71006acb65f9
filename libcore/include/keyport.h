/*
 * keyport.h: libkeyport, the cryptographic core of keyport.
 *
 * House rules (they hold for every function below unless its comment says otherwise):
 *
 * - Argument order: the context, then outputs, then in/out arguments, then inputs.
 *   A length comes right after its pointer.
 * - Every fallible function returns kp_status; KP_OK is 0. On failure every output is
 *   zeroed (buffers) or set to NULL (handles), and kp_error_detail() holds a message that
 *   says what was wrong and where, for a person to read. It never contains a secret.
 * - "Must" marks a contract. Breaking it (a NULL where none is allowed, an impossible
 *   size) is misuse: the illegal callback runs (abort by default) and KP_ERR_MISUSE is
 *   returned. Bad data never is misuse: it returns an error code.
 * - Pointers must not be NULL unless the comment says "may be NULL".
 * - Secrets (private keys, shares, context secrets, passphrases) are passed in caller
 *   buffers. The library keeps its own copies only in wiped stack memory or in the secure
 *   allocator (kp_secure_alloc), and compares them in constant time.
 * - Scalars are 32 bytes, big-endian, on every curve (ed25519 too, as docs/wire.md §2 has it).
 * - Thread safety: a kp_ctx is immutable after kp_ctx_new and may be shared by threads.
 *   kp_error_detail() is per thread. Result objects are not shared between threads.
 * - The library never prints, never exits, never reads the environment or the terminal,
 *   and does no network I/O: it links no network library (tests/layers checks libkeyport.so's
 *   needed libraries). The only calls that touch files are the audit log's, each handed a path
 *   or an open log: kp_audit_open, kp_audit_append and kp_audit_close (the audit log section). The API client (HTTP, libcurl) is another library,
 *   libkeyport-client: keyport_client.h, pkg-config keyport-client.
 */
#ifndef KEYPORT_H
#define KEYPORT_H

#include <stddef.h>
#include <stdint.h>

#include "keyport_status.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(KP_BUILDING_LIBRARY) && defined(__GNUC__)
#define KP_API __attribute__((visibility("default")))
#else
#define KP_API
#endif

/* KP_VERSION_MAJOR, _MINOR, _PATCH and KP_VERSION_STRING ("0.1.0"), generated from libcore/VERSION */
#include "keyport_version.h"

/* ---------------------------------------------------------------- status codes */

typedef enum kp_status {
#define KP_X_ENUM(name, num, msg) name = num,
    KP_STATUS_TABLE(KP_X_ENUM)
#undef KP_X_ENUM
} kp_status;

/** Returns: a static English sentence for `st` ("unknown status" for a number not in the table). */
KP_API const char *kp_strerror(kp_status st);
/** Returns: the code's name, e.g. "KP_ERR_HEX" (NULL for a number not in the table). */
KP_API const char *kp_status_name(kp_status st);
/** Returns: the detailed message of this thread's last failure (never NULL; "" if none).
 *  Valid until the next libkeyport call in the same thread. */
KP_API const char *kp_error_detail(void);

/* ---------------------------------------------------------------- sizes */

#define KP_SCALAR_BYTES          32  /* every curve's scalars, big-endian */
#define KP_PUBKEY_MAX_BYTES      33  /* compressed secp256k1/stark, 32 for ed25519 */
#define KP_POINT_MAX_BYTES       65  /* uncompressed secp256k1/stark, 32 for ed25519 */
#define KP_ENCRYPTION_KEY_BYTES  33  /* SEC1 compressed secp256k1 point */
#define KP_ENCRYPTION_KEY_B64_LEN 48 /* base64 of 0x01 || point, without the NUL */
#define KP_ENVELOPE_OVERHEAD     49  /* tag (16) + ephemeral point (33), docs/wire.md §1 */
#define KP_CONTEXT_FILE_BYTES   102  /* a sealed export context, see kp_context_seal */
#define KP_MAX_SIGNERS          64   /* n: signers of an import, shares of an export */
#define KP_MAX_INPUT_BYTES (1u << 20) /* a JSON document we accept: 1 MiB */

KP_API size_t kp_scalar_bytes(void);
KP_API size_t kp_encryption_key_bytes(void);
KP_API size_t kp_envelope_overhead(void);
KP_API size_t kp_context_file_bytes(void);
KP_API size_t kp_max_input_bytes(void);

/* ---------------------------------------------------------------- context */

typedef struct kp_ctx kp_ctx;

/** Creates a context: initializes libsodium, a randomized libsecp256k1 context, and the
 *  Stark curve group. Returns KP_OK, KP_ERR_NOMEM, KP_ERR_RANDOM or KP_ERR_INTERNAL.
 *  Out: *out, freed with kp_ctx_free. Allocates. Thread-safe. */
KP_API kp_status kp_ctx_new(kp_ctx **out);
/** Frees a context. NULL is a harmless no-op. */
KP_API void kp_ctx_free(kp_ctx *ctx);
/** Sets the function called on misuse (default: print to stderr and abort). `fn` may be NULL
 *  to restore the default. Not thread-safe: set it before sharing the context. */
KP_API void kp_ctx_set_illegal_callback(kp_ctx *ctx, void (*fn)(const char *msg, void *data), void *data);

/* ---------------------------------------------------------------- secret memory */

/** Allocates `len` bytes of locked memory with guard pages, excluded from core dumps.
 *  Returns NULL on failure. The memory is wiped by kp_secure_free. When the memory cannot be
 *  locked (the process's lock limit, RLIMIT_MEMLOCK or `ulimit -l`, is reached) the allocation
 *  still succeeds, and is counted by kp_secure_unlocked_count: check it and tell the user.
 *  Thread-safe. */
KP_API void *kp_secure_alloc(size_t len);
/** How many kp_secure_alloc allocations so far (in this process) could not be locked in memory,
 *  so that they may be written to swap: 0 if every one is locked. Thread-safe. */
KP_API size_t kp_secure_unlocked_count(void);
/** Wipes and frees memory from kp_secure_alloc. NULL is a no-op. */
KP_API void kp_secure_free(void *p);
/** Wipes `len` bytes; never optimized away. */
KP_API void kp_memzero(void *p, size_t len);
/** Constant-time comparison. Returns: 0 if equal, -1 otherwise. */
KP_API int kp_memcmp_ct(const void *a, const void *b, size_t len);

/** SHA-256 of len bytes (e.g. to name a request body in a log). Out: out (32 bytes). */
KP_API void kp_sha256(uint8_t out[32], const uint8_t *in, size_t len);
/** HMAC-SHA256 (RFC 2104), e.g. to authenticate a cluster's internal requests. Out: out (32 bytes). */
KP_API void kp_hmac_sha256(uint8_t out[32], const uint8_t *key, size_t keylen, const uint8_t *m, size_t len);
/** len bytes from the library's one randomness source (the operating system's). */
KP_API void kp_random_bytes(void *out, size_t len);

/* ---------------------------------------------------------------- reading small JSON documents */

/** Reads an object of string members with the library's strict reader (for a command's small
 *  files, e.g. a config file). keys lists the members allowed; any other member is refused
 *  (KP_ERR_FORMAT, naming it). out[i] gets a malloc'd copy of key i's decoded value, or NULL
 *  when it is absent. Returns KP_OK, parse errors, KP_ERR_FORMAT (outputs NULL on failure). */
KP_API kp_status kp_json_object_strings(const char *text, size_t len, const char *const *keys, size_t nkeys, char **out);
/** Checks a JSON document with the library's strict reader, for a face that reads JSON with
 *  another parser (keyportd with cJSON) and must refuse all that this reader refuses, so that no
 *  document means one thing to it and another to the library. Refused: more than
 *  KP_MAX_INPUT_BYTES, an empty document, bad syntax, trailing data, invalid UTF-8, control
 *  characters in strings, escapes that decode to a NUL or a lone surrogate, any escape in an
 *  object key, a key twice in one object, more than 64 members in an object, nesting deeper
 *  than 16. what names the document in the detail message ("the export request").
 *  Returns KP_OK, KP_ERR_EMPTY, KP_ERR_TOO_LARGE, KP_ERR_JSON or KP_ERR_NOMEM (detail in
 *  kp_error_detail). Does not allocate beyond the call; thread-safe. */
KP_API kp_status kp_json_check(const char *text, size_t len, const char *what);
/** The string at a path of object members, e.g. {"error", "message"}: a malloc'd decoded copy.
 *  Returns KP_OK, KP_ERR_NOT_FOUND (absent, or not a string), or parse errors. */
KP_API kp_status kp_json_string_at(char **out, const char *text, size_t len, const char *const *path, size_t depth);

/* ---------------------------------------------------------------- buffers */

/** A growable byte buffer. Invariants: `data` is NULL or holds `cap` bytes, of which `len`
 *  are used and data[len] is 0 (so text is a C string). A secure buffer lives in the secure
 *  allocator; every buffer is wiped on release and before it is moved by growth. */
typedef struct kp_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    int secure;
} kp_buf;

/** Sets up an empty buffer; `secure` non-zero puts it in the secure allocator. No allocation. */
KP_API void kp_buf_init(kp_buf *b, int secure);
/** Wipes and frees the buffer's memory and leaves it empty (and reusable). */
KP_API void kp_buf_release(kp_buf *b);
/** Empties the buffer (wiping what was in it) and keeps its memory. */
KP_API void kp_buf_reset(kp_buf *b);
/** Appends bytes. Returns KP_OK or KP_ERR_NOMEM (buffer unchanged). */
KP_API kp_status kp_buf_add(kp_buf *b, const void *p, size_t len);
/** Appends a C string (without its NUL). */
KP_API kp_status kp_buf_addstr(kp_buf *b, const char *s);
/** Appends s[0..len) as a JSON string literal: quoted, with quotes, backslashes and control
 *  characters escaped. */
KP_API kp_status kp_buf_addjstr(kp_buf *b, const char *s, size_t len);
/** Appends len bytes as standard padded base64 (constant-time), or, with url non-zero, as
 *  base64url without padding (as WebAuthn and Dfns user actions use). */
KP_API kp_status kp_buf_addb64(kp_buf *b, const uint8_t *p, size_t len, int url);
/** Decodes canonical base64 (url zero: standard padded; non-zero: base64url without padding),
 *  no white space. out holds cap bytes; *outlen gets the length. Returns KP_OK, KP_ERR_BASE64,
 *  KP_ERR_TOO_LARGE. */
KP_API kp_status kp_base64_decode(uint8_t *out, size_t cap, size_t *outlen, const char *s, size_t len, int url);
/** Appends len bytes as lower-case hex (constant-time). */
KP_API kp_status kp_buf_addhex(kp_buf *b, const uint8_t *p, size_t len);

/* ---------------------------------------------------------------- curves and schemes */

typedef enum kp_curve {
    KP_CURVE_SECP256K1 = 1,
    KP_CURVE_ED25519 = 2,
    KP_CURVE_STARK = 3
} kp_curve;

typedef enum kp_protocol {
    KP_PROTOCOL_CGGMP21 = 1,
    KP_PROTOCOL_CGGMP24 = 2,
    KP_PROTOCOL_FROST = 3,
    KP_PROTOCOL_FROST_BITCOIN = 4
} kp_protocol;

/** Wire name of a curve ("secp256k1", "ed25519", "stark"), or NULL for an unknown value. */
KP_API const char *kp_curve_name(kp_curve c);
/** Parses a wire curve name (exact, case-sensitive). Returns KP_OK or KP_ERR_CURVE. */
KP_API kp_status kp_curve_from_name(kp_curve *out, const char *name);
/** Wire name of a protocol ("CGGMP21", …), or NULL. */
KP_API const char *kp_protocol_name(kp_protocol p);
/** Parses a wire protocol name. Returns KP_OK or KP_ERR_SCHEME. */
KP_API kp_status kp_protocol_from_name(kp_protocol *out, const char *name);
/** Returns KP_OK if (protocol, curve) is supported: CGGMP21 and CGGMP24 with secp256k1 and
 *  stark, FROST with ed25519, FROST_BITCOIN with secp256k1; else KP_ERR_SCHEME, with a
 *  detail that lists the valid pairs. */
KP_API kp_status kp_scheme_check(kp_protocol p, kp_curve c);
/** A static text listing the valid pairs, e.g. for usage messages. */
KP_API const char *kp_scheme_list(void);

/** Checks that a 32-byte big-endian scalar is non-zero and below the curve's order.
 *  Constant-time in the scalar. Returns KP_OK or KP_ERR_SCALAR. */
KP_API kp_status kp_scalar_check(kp_curve c, const uint8_t scalar[32]);
/** Writes v as a 32-byte big-endian scalar (e.g. a share index 1..n). Out: out. */
KP_API void kp_scalar_from_u64(uint8_t out[32], uint64_t v);
/** A uniformly random scalar, non-zero and below the curve's order. Out: out (32 bytes). */
KP_API kp_status kp_scalar_random(uint8_t out[32], kp_curve c);
/** Computes the public key secret·G in the form publicKey has on the wire: 33-byte
 *  compressed (secp256k1, stark) or 32 bytes (ed25519).
 *  Out: pub (KP_PUBKEY_MAX_BYTES), *pub_len. Returns KP_OK, KP_ERR_SCALAR. */
KP_API kp_status kp_public_key(const kp_ctx *ctx, uint8_t *pub, size_t *pub_len, kp_curve c,
                               const uint8_t secret[32]);
/** Turns an RFC 8032 Ed25519 seed into its signing scalar (docs/wire.md §4 step 1):
 *  SHA-512, clamp, little-endian, reduce mod ℓ; written big-endian. Returns KP_OK or KP_ERR_SCALAR. */
KP_API kp_status kp_ed25519_seed_to_scalar(uint8_t scalar[32], const uint8_t seed[32]);
/** Parses a private key given as hex: up to 64 hex digits (upper or lower case), an optional
 *  "0x", surrounding white space ignored, left-padded to 32 bytes; then kp_scalar_check.
 *  Constant-time in the digits. Returns KP_OK, KP_ERR_EMPTY, KP_ERR_HEX, KP_ERR_SCALAR. */
KP_API kp_status kp_scalar_from_hex(uint8_t scalar[32], kp_curve c, const char *hex, size_t len);

/** Decodes exactly 2·outlen hex digits (either case; an optional "0x" and surrounding white space
 *  ignored) into out, e.g. an RFC 8032 seed. Constant-time in the digits.
 *  Returns KP_OK, KP_ERR_EMPTY or KP_ERR_HEX (out zeroed). */
KP_API kp_status kp_bytes_from_hex(uint8_t *out, size_t outlen, const char *hex, size_t len);

/* ---------------------------------------------------------------- encryption keys and the envelope */

/** Makes a recipient key pair for the envelope (an export context, or a signer's key):
 *  Out: secret (32 bytes), encryption_key (33-byte compressed point). */
KP_API kp_status kp_encryption_keypair(const kp_ctx *ctx, uint8_t secret[32], uint8_t encryption_key[33]);
/** The public half of a recipient secret. Returns KP_OK or KP_ERR_SCALAR. */
KP_API kp_status kp_encryption_key_from_secret(const kp_ctx *ctx, uint8_t encryption_key[33], const uint8_t secret[32]);
/** Writes base64(0x01 || key), 48 characters and a NUL, into out (49 bytes). */
KP_API kp_status kp_encryption_key_encode(char out[49], const uint8_t encryption_key[33]);
/** Parses the base64 form (docs/wire.md §1). Returns KP_OK, KP_ERR_BASE64, KP_ERR_ENCRYPTION_KEY. */
KP_API kp_status kp_encryption_key_decode(const kp_ctx *ctx, uint8_t encryption_key[33], const char *b64, size_t len);
/** A short fingerprint of an encryption key for people and logs: the first 8 bytes of
 *  SHA-256(key), as 16 hex digits and a NUL. */
KP_API kp_status kp_encryption_key_fingerprint(char out[17], const uint8_t encryption_key[33]);

/** Encrypts `m` to `encryption_key` (docs/wire.md §1). Out: ct, which must hold
 *  mlen + KP_ENVELOPE_OVERHEAD bytes. */
KP_API kp_status kp_envelope_seal(const kp_ctx *ctx, uint8_t *ct, const uint8_t encryption_key[33],
                                  const uint8_t *m, size_t mlen);
/** Decrypts `ct`. Out: m, which must hold ctlen - KP_ENVELOPE_OVERHEAD bytes.
 *  Returns KP_OK, or KP_ERR_DECRYPT for every failure (short input, bad point, bad tag). */
KP_API kp_status kp_envelope_open(const kp_ctx *ctx, uint8_t *m, const uint8_t secret[32],
                                  const uint8_t *ct, size_t ctlen);

/* ---------------------------------------------------------------- export context files */

typedef enum kp_kdf_strength {
    KP_KDF_INTERACTIVE = 1, /* Argon2id, 2 passes, 64 MiB */
    KP_KDF_MODERATE = 2,    /* Argon2id, 3 passes, 256 MiB (the default of the keyport command) */
    KP_KDF_SENSITIVE = 3    /* Argon2id, 4 passes, 1 GiB */
} kp_kdf_strength;

/** Seals an export context secret under a passphrase: Argon2id, then XChaCha20-Poly1305 with
 *  the whole header (magic, version, KDF parameters, salt, nonce) as associated data, so that
 *  no byte of the file can change unnoticed. Out: file (KP_CONTEXT_FILE_BYTES bytes).
 *  In: pass/passlen (not empty). Returns KP_OK, KP_ERR_EMPTY, KP_ERR_NOMEM, KP_ERR_SCALAR. */
KP_API kp_status kp_context_seal(const kp_ctx *ctx, uint8_t file[KP_CONTEXT_FILE_BYTES], const uint8_t secret[32],
                                 const char *pass, size_t passlen, kp_kdf_strength strength);
/** Opens a sealed context. Returns KP_OK; KP_ERR_CONTEXT (wrong size or magic), KP_ERR_VERSION,
 *  KP_ERR_KDF_PARAMS, or KP_ERR_DECRYPT (wrong passphrase or an altered file: one code for both). */
KP_API kp_status kp_context_open(const kp_ctx *ctx, uint8_t secret[32], const uint8_t *file, size_t len,
                                 const char *pass, size_t passlen);

/* ---------------------------------------------------------------- export (docs/wire.md §3) */

/** A protocol/curve pair, as supportedSchemes lists them. */
typedef struct kp_scheme {
    kp_protocol protocol;
    kp_curve curve;
} kp_scheme;

#define KP_MAX_SCHEMES 8 /* pairs in one supportedSchemes list */

/** Writes the body of POST /keys/{keyId}/export with the default supportedSchemes: the four
 *  pairs that Dfns' published client of 2025 also parses (CGGMP21 with secp256k1, CGGMP21 with
 *  stark, FROST with ed25519, FROST_BITCOIN with secp256k1; it refuses CGGMP24), and, when
 *  delete_flag is 0 or 1, "delete":false/true (delete_flag -1 leaves it out).
 *  Returns: KP_OK or KP_ERR_NOMEM. Out: appended to out. */
KP_API kp_status kp_export_request_write(kp_buf *out, const uint8_t encryption_key[33], int delete_flag);
/** The same with the exact list of pairs, in the order given (e.g. with CGGMP24, the name the
 *  current Dfns API gives ECDSA keys). In: schemes[0..n), 1 <= n <= KP_MAX_SCHEMES, each a
 *  supported pair (kp_scheme_check), none twice.
 *  Returns: KP_OK, KP_ERR_SCHEME (a pair not supported, or given twice; the detail says which),
 *  KP_ERR_TOO_MANY, KP_ERR_NOMEM. Out: appended to out; out unchanged on failure. */
KP_API kp_status kp_export_request_write_schemes(kp_buf *out, const uint8_t encryption_key[33],
                                                 const kp_scheme *schemes, size_t n, int delete_flag);

/** Signer side: seals one export share {"version":1,"index":…,"secret_share":…} to an encryption
 *  key. In: index, the share's x: a whole scalar, non-zero and below the curve's order (32 bytes,
 *  big-endian; a cluster made by a dealer uses 1..n, Dfns may use random scalars); share.
 *  Returns: KP_OK, KP_ERR_CURVE, KP_ERR_SCALAR (index or share zero or not below the order),
 *  KP_ERR_ENCRYPTION_KEY, KP_ERR_NOMEM. Out: the ciphertext (232 + 49 bytes on secp256k1)
 *  appended to out; out unchanged on failure. */
KP_API kp_status kp_export_seal_share(const kp_ctx *ctx, kp_buf *out, const uint8_t encryption_key[33],
                                      kp_curve c, const uint8_t index[32], const uint8_t share[32]);

/** One share of an export response, as written by kp_export_response_write. */
typedef struct kp_signer_share {
    const uint8_t *signer_id;  /* decoded signerId bytes */
    size_t signer_id_len;
    const uint8_t *ciphertext; /* decoded encryptedKeyShare bytes */
    size_t ciphertext_len;
} kp_signer_share;

/** Writes an export response (docs/wire.md §3) for the cluster side. pub is the wire publicKey. */
KP_API kp_status kp_export_response_write(kp_buf *out, kp_curve c, kp_protocol p, const uint8_t *pub, size_t pub_len,
                                          unsigned min_signers, const kp_signer_share *shares, size_t nshares);

typedef struct kp_export_result kp_export_result;

/** Client side, docs/wire.md §3: parses the response, decrypts every share with the context secret,
 *  recombines (robust recovery), and checks secret·G == publicKey.
 *
 *  Which shares are bad, and which signers are named (culprits):
 *  - A share that does not decode, decrypt or parse, carries another curve's tag, or a zero
 *    or out-of-range value is bad, and its signer is named.
 *  - Entries that repeat an index, a share or a signerId are competing alternatives, not an
 *    error: at most one of them can be on the polynomial.
 *  - Among the N distinct shares that opened, keyport decodes algebraically (Gao's algorithm)
 *    the polynomial whose value at 0 matches publicKey. With e shares off it and
 *    2e <= N - t + 1 (t = minSigners) the decoding is unique: no other polynomial through
 *    publicKey fits as many shares, and every share off it is named.
 *  - Beyond that bound the key is still returned when some t shares interpolate to it
 *    (publicKey proves it right), but the bad shares cannot be told apart: no one is named
 *    for being off the polynomial, and the competing groups are reported
 *    (kp_export_result_group). A signerId that also carries a good entry is never named.
 *  - Work: inside the bound O(N^3) field multiplications and no search of t-subsets; when two
 *    or more shares are off the polynomial, a search for a second polynomial through publicKey
 *    that fits t shares (at most 4096 subsets of t-1 shares; if one is found nobody is named).
 *    Beyond the bound a search of t-subsets within a budget: at most 65536 subsets, 2^22 field
 *    multiplications and 256 base multiplications (checks against publicKey), whichever comes
 *    first. keyport-bench measures under 0.7 s of one core for 64 shares at worst.
 *
 *  Returns: KP_OK; parse errors; KP_ERR_THRESHOLD; KP_ERR_WRONG_CONTEXT when no share decrypts
 *  (the response was made for another export context; the detail gives this context's
 *  encryption-key fingerprint and names no signer); KP_ERR_NOT_ENOUGH (no minSigners shares
 *  match publicKey, or the search budget ran out; the detail says which, and names the signers
 *  whose shares failed). Out: *out (free with kp_export_result_free), holding the key in secure
 *  memory; NULL on failure. Allocates. */
KP_API kp_status kp_export_recover(const kp_ctx *ctx, kp_export_result **out, const uint8_t context_secret[32],
                                   const char *response, size_t len);
KP_API void kp_export_result_free(kp_export_result *r);
KP_API kp_curve kp_export_result_curve(const kp_export_result *r);
KP_API kp_protocol kp_export_result_protocol(const kp_export_result *r);
/** The recovered private key: 32 bytes, big-endian. Out: key. */
KP_API void kp_export_result_private_key(const kp_export_result *r, uint8_t key[32]);
/** The wire publicKey. Returns its length; writes it to pub (KP_PUBKEY_MAX_BYTES). */
KP_API size_t kp_export_result_public_key(const kp_export_result *r, uint8_t pub[KP_PUBKEY_MAX_BYTES]);
KP_API unsigned kp_export_result_min_signers(const kp_export_result *r);
KP_API size_t kp_export_result_culprit_count(const kp_export_result *r);
/** The i-th culprit: its signerId as it appeared (base64, NUL-terminated) and why its share was
 *  refused (a status and a sentence). Returns NULL for i out of range. */
KP_API const char *kp_export_result_culprit(const kp_export_result *r, size_t i, kp_status *why, const char **reason);
/** Returns: 1 when the culprits are all the bad shares (the decoding was unique), 0 when the
 *  bad shares could not be told apart (see kp_export_result_group). */
KP_API int kp_export_result_unique(const kp_export_result *r);
/** Returns: the number of unresolved groups: sets of signers that keyport cannot tell apart.
 *  Beyond the unique-decoding bound, each group holds the signers whose shares lie on one
 *  polynomial through publicKey (either group may be the honest one). Entries that repeat one
 *  share form a group too (all but one of them copied it). 0 when all is resolved. */
KP_API size_t kp_export_result_group_count(const kp_export_result *r);
/** Group g: returns its size, and sets *ids to its signerIds (base64, NUL-terminated; valid until
 *  kp_export_result_free). Returns 0 (and *ids NULL) for g out of range. */
KP_API size_t kp_export_result_group(const kp_export_result *r, size_t g, const char *const **ids);
/** A sentence on what could not be resolved, for a person ("" when all is resolved). */
KP_API const char *kp_export_result_note(const kp_export_result *r);
/** Appends {"publicKey":…,"curve":…,"protocol":…,"privateKey":…,"culprits":[…],"unresolved":[[…],…]}
 *  to out, which should be secure. */
KP_API kp_status kp_export_result_json(kp_buf *out, const kp_export_result *r);

/* ---------------------------------------------------------------- import (docs/wire.md §4) */

typedef struct kp_signers kp_signers;

/** Parses a GET /signers response. cluster_id selects a cluster and may be NULL when the response
 *  holds exactly one. The signers are kept sorted by decoded signerId bytes (docs/wire.md §4 step 2).
 *  Returns KP_OK, parse errors, KP_ERR_NOT_FOUND, KP_ERR_DUPLICATE, KP_ERR_ENCRYPTION_KEY, KP_ERR_TOO_MANY. */
KP_API kp_status kp_signers_parse(const kp_ctx *ctx, kp_signers **out, const char *json, size_t len,
                                  const char *cluster_id);
KP_API void kp_signers_free(kp_signers *s);
KP_API size_t kp_signers_count(const kp_signers *s);
/** The i-th signer in sorted order: its signerId (base64, NUL-terminated); encryption_key may be NULL. */
KP_API const char *kp_signers_get(const kp_signers *s, size_t i, uint8_t encryption_key[33]);
/** One signer as the cluster lists it. */
typedef struct kp_signer_info {
    const uint8_t *signer_id; /* signerId bytes (written as base64) */
    size_t signer_id_len;
    uint8_t encryption_key[33];
} kp_signer_info;

/** Writes a GET /signers response for one cluster (the cluster side). Appends to out. */
KP_API kp_status kp_signers_write(kp_buf *out, const char *cluster_id, const kp_signer_info *signers, size_t n);

/** Client side: splits `secret` t-of-n over the curve's scalar field, one share per signer in sorted
 *  order, encrypts each import plaintext to its signer and appends the body of POST /keys/import to
 *  out. name may be NULL (no "name" field). Returns KP_OK, KP_ERR_SCHEME, KP_ERR_SCALAR, KP_ERR_THRESHOLD. */
KP_API kp_status kp_import_prepare(const kp_ctx *ctx, kp_buf *out, const kp_signers *signers, kp_curve c,
                                   kp_protocol p, unsigned min_signers, const char *name, const uint8_t secret[32]);

#define KP_KEY_NAME_MAX_BYTES 256

/** Checks a key's name as operator names are checked: at most KP_KEY_NAME_MAX_BYTES bytes of
 *  UTF-8 without control characters (C0, DEL, C1), so without ANSI escape sequences either. The
 *  empty name is allowed. name: len bytes, NUL bytes included (a NUL is a control character).
 *  Returns KP_OK or KP_ERR_FORMAT (the detail says which byte). Thread-safe. */
KP_API kp_status kp_key_name_check(const char *name, size_t len);

/** A parsed POST /keys/import body (the cluster side). */
typedef struct kp_import_request kp_import_request;
/** Parses an import request strictly: scheme, 2 ≤ minSigners ≤ n ≤ KP_MAX_SIGNERS, no duplicate
 *  signerIds, shares in sorted order. Allocates. */
KP_API kp_status kp_import_request_parse(kp_import_request **out, const char *json, size_t len);
KP_API void kp_import_request_free(kp_import_request *r);
KP_API kp_curve kp_import_request_curve(const kp_import_request *r);
KP_API kp_protocol kp_import_request_protocol(const kp_import_request *r);
KP_API unsigned kp_import_request_min_signers(const kp_import_request *r);
/** The name, or NULL when the request has none. */
KP_API const char *kp_import_request_name(const kp_import_request *r);
KP_API size_t kp_import_request_count(const kp_import_request *r);
/** The i-th share: signerId (base64, NUL-terminated) and the ciphertext bytes. */
KP_API const char *kp_import_request_share(const kp_import_request *r, size_t i, const uint8_t **ct, size_t *ct_len);

/** Signer side: opens the import share meant for the signer at 1-based position `index` among n
 *  sorted signers, with threshold t. Decrypts, parses, checks share·G == public_shares[index-1],
 *  checks that all n public shares lie on one polynomial of degree t-1, and interpolates the group
 *  public key at 0. Out: share (32 bytes), pub (KP_PUBKEY_MAX_BYTES), *pub_len.
 *  Returns KP_OK, KP_ERR_DECRYPT, parse errors, KP_ERR_CURVE_MISMATCH, KP_ERR_SHARE_MISMATCH. */
KP_API kp_status kp_import_open_share(const kp_ctx *ctx, uint8_t share[32], uint8_t *pub, size_t *pub_len,
                                      const uint8_t signer_secret[32], kp_curve c, unsigned index, unsigned n,
                                      unsigned t, const uint8_t *ct, size_t ct_len);

#define KP_PUBLIC_SHARES_DIGEST_BYTES 32

/** kp_import_open_share, and the digest of the public_shares vector the share was checked
 *  against. Each signer checks its share against the public_shares of its own plaintext only, so
 *  an importer could give every signer a share of another polynomial with the same value at 0
 *  (the same group key, no t shares that recombine). The cluster requires every signer to report
 *  the same digest before it stores anything: then all shares lie on one polynomial.
 *  Out: digest (KP_PUBLIC_SHARES_DIGEST_BYTES): SHA-256 of the ASCII text
 *  "keyport public_shares v1" and a 0 byte, kp_curve_name(c) and a 0 byte, t and n as 4-byte
 *  big-endian numbers, then public_shares[0..n) each in its compressed wire encoding
 *  (kp_public_key_bytes(c) bytes). Zeroed on failure, as share is. Other arguments, returns:
 *  as kp_import_open_share. */
KP_API kp_status kp_import_open_share_digest(const kp_ctx *ctx, uint8_t share[32], uint8_t *pub, size_t *pub_len,
                                             uint8_t digest[KP_PUBLIC_SHARES_DIGEST_BYTES],
                                             const uint8_t signer_secret[32], kp_curve c, unsigned index, unsigned n,
                                             unsigned t, const uint8_t *ct, size_t ct_len);

/* ---------------------------------------------------------------- Shamir sharing */

/** Splits a secret t-of-n: shares[i] = f(i+1) for a random polynomial of degree t-1 with
 *  f(0) = secret. Out: shares (n × 32 bytes; use secure memory). 2 ≤ t ≤ n ≤ KP_MAX_SIGNERS. */
KP_API kp_status kp_share_split(const kp_ctx *ctx, uint8_t (*shares)[32], kp_curve c, unsigned t, unsigned n,
                                const uint8_t secret[32]);
/** Interpolates f(0) from k shares. In: indices[0..k), each a whole scalar (32 bytes,
 *  big-endian), non-zero, below the curve's order and distinct; shares[0..k), each below the order.
 *  Returns: KP_OK, KP_ERR_CURVE, KP_ERR_THRESHOLD (k not in 1..KP_MAX_SIGNERS), KP_ERR_SCALAR,
 *  KP_ERR_DUPLICATE. Out: secret (zeroed on failure). */
KP_API kp_status kp_share_combine(uint8_t secret[32], kp_curve c, const uint8_t (*indices)[32],
                                  const uint8_t (*shares)[32], size_t k);

/* ---------------------------------------------------------------- operators (Know Your Key) */

/* An operator is a person who approves imports and exports. Their identity is an Ed25519 key
 * pair; the cluster only ever holds public keys. An operator file is JSON:
 * {"version":1,"type":"keyport-operator","name":…,"publicKey":<64 hex>,"sealedSecret":<base64>}
 * where sealedSecret is the 32-byte Ed25519 seed sealed under a passphrase (Argon2id +
 * XChaCha20-Poly1305, the format of kp_context_seal with its own magic). */

#define KP_OPERATOR_KEY_BYTES 32
#define KP_FINGERPRINT_LEN 19 /* "XXXX-XXXX-XXXX-XXXX" */
#define KP_NAME_MAX_BYTES 64

typedef struct kp_operator kp_operator;

/** Makes a new operator with a fresh key pair. name: 1..64 bytes of UTF-8 without control
 *  characters. Out: *out (unlocked: it can sign), and the operator file appended to file. */
KP_API kp_status kp_operator_new(const kp_ctx *ctx, kp_operator **out, kp_buf *file, const char *name,
                                 const char *pass, size_t passlen, kp_kdf_strength strength);
/** Parses an operator file: name and public key; the secret stays sealed until kp_operator_unlock. */
KP_API kp_status kp_operator_parse(kp_operator **out, const char *json, size_t len);
/** Opens the sealed secret and checks it against the public key. Returns KP_OK, KP_ERR_DECRYPT
 *  (wrong passphrase or an altered file). */
KP_API kp_status kp_operator_unlock(const kp_ctx *ctx, kp_operator *op, const char *pass, size_t passlen);
KP_API int kp_operator_is_unlocked(const kp_operator *op);
KP_API const char *kp_operator_name(const kp_operator *op);
KP_API void kp_operator_public_key(const kp_operator *op, uint8_t pk[32]);
/** Wipes and frees. NULL is a no-op. */
KP_API void kp_operator_free(kp_operator *op);
/** A fingerprint people read aloud to compare keys: the first 10 bytes of
 *  SHA-256("keyport-operator-v1" || pk) in Crockford base32, four groups of four. Out: out (20 bytes). */
KP_API kp_status kp_fingerprint(char out[KP_FINGERPRINT_LEN + 1], const uint8_t pk[32]);

/* ---------------------------------------------------------------- policies */

/* sign is the one optional action: a policy may name it, and then every signature (POST
 * /keys/{keyId}/signatures) needs that many approvals. KP_ACTION_COUNT counts the actions every
 * policy names (the quorum arrays of kp_policy_write). */
typedef enum kp_action { KP_ACTION_IMPORT = 1, KP_ACTION_EXPORT = 2, KP_ACTION_ARCHIVE = 3, KP_ACTION_SIGN = 4 } kp_action;
#define KP_ACTION_COUNT 3

/** "import", "export", "archive", "sign", or NULL. */
KP_API const char *kp_action_name(kp_action a);
KP_API kp_status kp_action_from_name(kp_action *out, const char *name);

/* A policy: an id, the operators (name and public key), and a quorum M of N for each action.
 * {"version":1,"id":…,"operators":[{"name":…,"publicKey":…}…],"quorum":{"import":M,"export":M,"archive":M}}
 * and optionally "sign":M in quorum (read by kp_policy_parse; kp_policy_write writes the three). */
typedef struct kp_policy kp_policy;

typedef struct kp_policy_member {
    const char *name;
    uint8_t public_key[32];
} kp_policy_member;

/** Checks and writes a policy. quorum[a - 1] is the quorum of action a. Refuses (KP_ERR_POLICY,
 *  with a detail) an empty or over-long id, no operators, duplicate names or keys, M < 1 or M > N. */
KP_API kp_status kp_policy_write(kp_buf *out, const char *id, const kp_policy_member *ops, size_t n,
                                 const unsigned quorum[KP_ACTION_COUNT]);
/** Parses and checks a policy (the same rules, unknown actions and fields refused). */
KP_API kp_status kp_policy_parse(kp_policy **out, const char *json, size_t len);
KP_API void kp_policy_free(kp_policy *p);
KP_API const char *kp_policy_id(const kp_policy *p);
KP_API size_t kp_policy_operator_count(const kp_policy *p);
/** The i-th operator's name (NULL past the end); pk may be NULL. */
KP_API const char *kp_policy_operator(const kp_policy *p, size_t i, uint8_t pk[32]);
/** The quorum of action a; for KP_ACTION_SIGN 0 when the policy does not name sign. */
KP_API unsigned kp_policy_quorum(const kp_policy *p, kp_action a);

/* ---------------------------------------------------------------- approvals */

/* An approval is an operator's Ed25519 signature over a statement that binds one exact request:
 * {"type":"keyport-approval","version":1,"policy":…,"action":…,"keyId":…,"request":<SHA-256 hex
 * of the request body bytes>,"nonce":<32 hex>,"time":<unix s>,"expires":<unix s>,"operator":<pk hex>}
 * (keyId absent for import). A bundle file holds several:
 * {"version":1,"approvals":[{"statement":{…},"signature":<128 hex>},…]}. A statement is verified
 * over its canonical bytes, re-made from its fields, so unknown fields are refused. */

#define KP_APPROVAL_NONCE_BYTES 16

/** Signs one approval with an unlocked operator who is in the policy, and writes the bundle:
 *  the approvals of bundle_in (may be NULL with len 0: a new bundle) and the new one, to out.
 *  key_id: required for export and archive, NULL for import. now and ttl in seconds. */
KP_API kp_status kp_approval_sign(const kp_ctx *ctx, kp_buf *out, const char *bundle_in, size_t bundle_in_len,
                                  const kp_operator *op, const kp_policy *policy, kp_action action,
                                  const char *key_id, const uint8_t *request, size_t request_len, int64_t now,
                                  int64_t ttl);

/** A record of nonces already used, so that an approval counts once (replay protection). The
 *  cluster keeps one; seen() returns 1 if the nonce was used, 0 if not, -1 on error; remember()
 *  records it until `expires` (after which the approval is refused as expired anyway), 0 or -1. */
typedef struct kp_nonce_store {
    int (*seen)(void *data, const uint8_t nonce[KP_APPROVAL_NONCE_BYTES]);
    int (*remember)(void *data, const uint8_t nonce[KP_APPROVAL_NONCE_BYTES], int64_t expires);
    void *data;
} kp_nonce_store;

typedef enum kp_verdict {
    KP_VERDICT_COUNTED = 0,
    KP_VERDICT_MALFORMED,         /* not a well-formed approval */
    KP_VERDICT_UNKNOWN_OPERATOR,  /* its key is not in the policy */
    KP_VERDICT_BAD_SIGNATURE,
    KP_VERDICT_OTHER_POLICY,
    KP_VERDICT_OTHER_REQUEST,     /* signed another request body */
    KP_VERDICT_OTHER_ACTION,
    KP_VERDICT_OTHER_KEY,
    KP_VERDICT_DUPLICATE_OPERATOR,/* this operator already counted */
    KP_VERDICT_EXPIRED,
    KP_VERDICT_NOT_YET_VALID,     /* its time is in the future */
    KP_VERDICT_REPLAYED           /* its nonce was used before */
} kp_verdict;

/** A sentence for a verdict ("signed another request"). */
KP_API const char *kp_verdict_text(kp_verdict v);

typedef struct kp_approval_report kp_approval_report;

/** Checks a bundle against the policy for one exact request. Every approval gets a verdict; the
 *  quorum is met when at least kp_policy_quorum() distinct operators count. With a nonce store,
 *  approvals whose nonce was seen are refused, and when the quorum is met the counted nonces are
 *  remembered (so a bundle is used once). Returns KP_OK when the bundle could be read, whether
 *  or not the quorum is met (see kp_approval_report_quorum_met); parse errors otherwise. */
KP_API kp_status kp_approvals_verify(const kp_ctx *ctx, kp_approval_report **out, const kp_policy *policy,
                                     kp_action action, const char *key_id, const uint8_t *request,
                                     size_t request_len, const char *bundle, size_t bundle_len, int64_t now,
                                     const kp_nonce_store *nonces);
KP_API void kp_approval_report_free(kp_approval_report *r);
KP_API int kp_approval_report_quorum_met(const kp_approval_report *r);
KP_API unsigned kp_approval_report_counted(const kp_approval_report *r);
KP_API unsigned kp_approval_report_needed(const kp_approval_report *r);
KP_API size_t kp_approval_report_count(const kp_approval_report *r);
/** The i-th approval: its verdict; the operator's name when the key is in the policy (else NULL);
 *  pk may be NULL. */
KP_API kp_verdict kp_approval_report_get(const kp_approval_report *r, size_t i, const char **name, uint8_t pk[32]);

/* ---------------------------------------------------------------- the audit log */

/* An append-only file of JSON lines, each an entry
 * {"seq":…,"time":…,"event":…,"keyId":…|null,"publicKey":…|null,"actors":[…],"details":{…},
 *  "prev":<SHA-256 hex of the previous line>,"writer":<pk hex>,"sig":<128 hex>}
 * signed (Ed25519) by the writer over the line without its "sig" member. Entry 0 is
 * "log.created" and commits to the writer's key. The hash of the last line is the head, which
 * an operator records and later checks with kp_audit_verify. Never holds a secret. */

typedef struct kp_audit_log kp_audit_log;

/** Opens the log at path for appending with an unlocked operator's key. A log that does not
 *  exist yet is created by the first append (so a refused command leaves no file). The existing
 *  chain is verified first, and must be this writer's; until then nothing is changed. A torn last
 *  line (a crash mid-write) is then moved to "<path>.torn-<n>" and cut off, keeping every
 *  complete entry; its name is written to torn_path (may be NULL; 4096 bytes) or "" if none.
 *  Returns KP_OK, KP_ERR_IO, KP_ERR_LOG, KP_ERR_WRONG_WRITER, KP_ERR_LOCKED. */
KP_API kp_status kp_audit_open(const kp_ctx *ctx, kp_audit_log **out, const char *path, const kp_operator *writer,
                               int64_t now, char *torn_path);
/** Appends one entry and fsyncs it before returning. key_id, public_key_hex and details_json may be
 *  NULL; details_json must be a JSON object. head (65 bytes, may be NULL) gets the new head. */
KP_API kp_status kp_audit_append(kp_audit_log *log, int64_t now, const char *event, const char *key_id,
                                 const char *public_key_hex, const char *const *actors, size_t nactors,
                                 const char *details_json, char head[65]);
KP_API void kp_audit_close(kp_audit_log *log);

typedef enum kp_audit_problem {
    KP_AUDIT_OK = 0,
    KP_AUDIT_EMPTY,       /* no entries */
    KP_AUDIT_CHANGED,     /* an entry no longer parses, or its signature does not verify */
    KP_AUDIT_OTHER_KEY,   /* signed by another key than the log's writer (or --writer-key) */
    KP_AUDIT_REMOVED,     /* entries are missing */
    KP_AUDIT_REORDERED,   /* entries are out of order */
    KP_AUDIT_INSERTED,    /* an entry that does not belong */
    KP_AUDIT_TRUNCATED,   /* the recorded head is not in the log */
    KP_AUDIT_TORN         /* the last line is incomplete (a crash mid-write) */
} kp_audit_problem;

typedef struct kp_audit_report {
    kp_audit_problem problem;
    size_t entries;     /* complete entries read before the problem (all, when none) */
    size_t line;        /* 1-based line of the first bad entry (0 when none) */
    int64_t seq;        /* its seq (-1 when unknown) */
    char head[65];      /* hash of the last good entry */
    char writer[65];    /* the log's writer key */
    char message[512];  /* what is wrong and where */
} kp_audit_report;

/** Verifies a whole log: every line, signature and link, seq order. writer_key (32 bytes, may be
 *  NULL) is the key the log must be written with; head (32 bytes, may be NULL) a head recorded
 *  earlier, which must be in the log. Fills *report in every case. Returns KP_OK when all is well,
 *  KP_ERR_LOG otherwise (report says what and where). */
KP_API kp_status kp_audit_verify(const kp_ctx *ctx, kp_audit_report *report, const char *text, size_t len,
                                 const uint8_t *writer_key, const uint8_t *head);

/** One entry, as kp_audit_entries hands it over (strings valid during the callback). */
typedef struct kp_audit_entry {
    int64_t seq;
    int64_t time;
    const char *event;
    const char *key_id;     /* NULL when absent */
    const char *public_key; /* NULL when absent */
    const char *const *actors;
    size_t nactors;
    const char *details;    /* the details object as compact JSON text */
    const char *line;       /* the whole line */
} kp_audit_entry;

/** Calls fn for each well-formed entry, oldest first; fn returns 0 to go on. Stops at the first
 *  line that is not an entry (use kp_audit_verify to check the log). */
KP_API kp_status kp_audit_entries(const char *text, size_t len, int (*fn)(const kp_audit_entry *e, void *data),
                                  void *data);

/* ---------------------------------------------------------------- distributed key generation (Feldman VSS) */

/* A key made by the signers together so that it never exists whole: each signer deals a random
 * polynomial of degree t-1, sends share f_d(j) to signer j (sealed to j's encryption key) and
 * publishes the commitments C_k = a_k·G. Signer j checks each share against its dealer's
 * commitments and adds them up; the group key is the sum of the dealers' C_0, and signer j's
 * public share the sum of the dealers' commitments evaluated at j. Commitments travel as the
 * concatenation of t wire public keys (compressed, pub_len bytes each). */

/** The size of one curve's wire public key (33, or 32 for ed25519); 0 for an unknown curve. */
KP_API size_t kp_public_key_bytes(kp_curve c);
/** Deals: shares[j-1] = f(j) for j = 1..n, commitments (t × public-key bytes). The constant term
 *  is random. Out: shares (secret), commitments. */
KP_API kp_status kp_vss_deal(const kp_ctx *ctx, uint8_t (*shares)[32], uint8_t *commitments, kp_curve c, unsigned t,
                             unsigned n);
/** Checks share·G == sum_k C_k·index^k. Returns KP_OK or KP_ERR_SHARE_MISMATCH. */
KP_API kp_status kp_vss_check(const kp_ctx *ctx, kp_curve c, unsigned t, const uint8_t *commitments, unsigned index,
                              const uint8_t share[32]);
/** The public value of a dealing at index (0 gives the dealer's contribution to the group key).
 *  Out: pub (public-key bytes). */
KP_API kp_status kp_vss_public(const kp_ctx *ctx, uint8_t *pub, kp_curve c, unsigned t, const uint8_t *commitments,
                               unsigned index);
/** r = a + b mod the curve order (for adding dealt shares). r may be a or b. */
KP_API kp_status kp_scalar_add(uint8_t r[32], kp_curve c, const uint8_t a[32], const uint8_t b[32]);
/** r = a + b for two wire public keys (for adding dealers' public values). Fails on the identity.
 *  r may be a or b. */
KP_API kp_status kp_public_key_add(const kp_ctx *ctx, uint8_t *r, kp_curve c, const uint8_t *a, const uint8_t *b);

/* ---------------------------------------------------------------- secrets at rest */

#define KP_AT_REST_OVERHEAD 40 /* a 24-byte nonce and a 16-byte tag */

/** Seals data at rest under a 32-byte storage key (XChaCha20-Poly1305, random nonce), binding
 *  ad (what the data is, e.g. a key id; may be NULL with adlen 0). Appends len + 40 bytes. */
KP_API kp_status kp_at_rest_seal(kp_buf *out, const uint8_t key[32], const uint8_t *ad, size_t adlen,
                                 const uint8_t *data, size_t len);
/** Opens it. Out: data (len - 40 bytes). Returns KP_OK or KP_ERR_DECRYPT. */
KP_API kp_status kp_at_rest_open(uint8_t *data, const uint8_t key[32], const uint8_t *ad, size_t adlen,
                                 const uint8_t *sealed, size_t len);

/* ---------------------------------------------------------------- user action credentials (docs/wire.md §5) */

/* A Key credential signs a user action's clientData. A credential file is JSON:
 * {"version":1,"type":"keyport-credential","credId":…,"algorithm":"Ed25519"|"ECDSA-P256",
 *  "publicKey":<hex>,"privateKey":<hex>}: Ed25519 keys are 32 bytes (the seed as private key);
 * P-256 public keys are SEC1 uncompressed (65 bytes), private keys 32 bytes. Ed25519 signatures
 * are 64 bytes; ECDSA signatures are DER over SHA-256, as WebAuthn has them. */

typedef enum kp_cred_alg { KP_CRED_ED25519 = 1, KP_CRED_P256 = 2 } kp_cred_alg;

/** "Ed25519", "ECDSA-P256", or NULL. */
KP_API const char *kp_cred_alg_name(kp_cred_alg a);
KP_API kp_status kp_cred_alg_from_name(kp_cred_alg *out, const char *name);

typedef struct kp_credential kp_credential;

/** Makes a credential with a fresh key; appends its file to file. cred_id: 1..128 bytes. */
KP_API kp_status kp_credential_new(kp_buf *file, kp_cred_alg alg, const char *cred_id);
KP_API kp_status kp_credential_parse(kp_credential **out, const char *json, size_t len);
KP_API void kp_credential_free(kp_credential *c);
KP_API const char *kp_credential_id(const kp_credential *c);
KP_API kp_cred_alg kp_credential_alg(const kp_credential *c);
/** The public key as hex (NUL-terminated) appended to out. */
KP_API kp_status kp_credential_public_hex(const kp_credential *c, kp_buf *out);
/** Signs msg; appends the signature bytes to sig. */
KP_API kp_status kp_credential_sign(const kp_credential *c, kp_buf *sig, const uint8_t *msg, size_t len);
/** Verifies a signature by the public key (hex, as in the file). Returns KP_OK or KP_ERR_SIGNATURE
 *  (or KP_ERR_HEX / KP_ERR_POINT for a bad key). */
KP_API kp_status kp_credential_verify(kp_cred_alg alg, const char *public_hex, const uint8_t *msg, size_t len,
                                      const uint8_t *sig, size_t siglen);

/* ---------------------------------------------------------------- key formats and addresses */

#include "keyport_keyfmt.h"
#include "keyport_frost.h"
#include "keyport_bbqr.h"

#ifdef __cplusplus
}
#endif
#endif
