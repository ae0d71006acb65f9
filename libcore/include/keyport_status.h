/*
 * keyport_status.h: the one table of status codes.
 *
 * Each row is X(NAME, number, "message"). The table produces the kp_status enum,
 * kp_strerror() and kp_status_name(), and the bindings read it to build their
 * error tables, so a code is defined here and nowhere else.
 *
 * Families (the tens digit): 0 general and misuse, 1 encodings, 2 curves and
 * values, 3 decryption, 4 sharing and recovery, 5 operators, policies and approvals,
 * 6 the audit log and files, 7 key formats and their codecs. A number is never reused.
 */
#ifndef KEYPORT_STATUS_H
#define KEYPORT_STATUS_H

#define KP_STATUS_TABLE(X) \
    X(KP_OK,                  0, "success") \
    X(KP_ERR_MISUSE,          1, "the library was called against its contract") \
    X(KP_ERR_NOMEM,           2, "out of memory") \
    X(KP_ERR_RANDOM,          3, "the system random number generator failed") \
    X(KP_ERR_INTERNAL,        4, "internal error in a cryptographic library") \
    X(KP_ERR_HEX,            10, "malformed hex") \
    X(KP_ERR_BASE64,         11, "malformed base64") \
    X(KP_ERR_JSON,           12, "malformed JSON") \
    X(KP_ERR_TOO_LARGE,      13, "input is larger than allowed") \
    X(KP_ERR_FORMAT,         14, "a field is missing, has the wrong type or an invalid value") \
    X(KP_ERR_VERSION,        15, "unsupported format version") \
    X(KP_ERR_EMPTY,          16, "input is empty") \
    X(KP_ERR_BBQR,           17, "not a BBQr frame, or the joined frames do not decode") \
    X(KP_ERR_BBQR_MISMATCH,  18, "the BBQr frame does not belong with the frames already read") \
    X(KP_ERR_CURVE,          20, "unknown curve") \
    X(KP_ERR_SCHEME,         21, "protocol and curve do not form a supported scheme") \
    X(KP_ERR_SCALAR,         22, "scalar is zero or not below the curve order") \
    X(KP_ERR_POINT,          23, "point is not a valid encoding of a curve point other than the identity") \
    X(KP_ERR_CURVE_MISMATCH, 24, "value is tagged with another curve") \
    X(KP_ERR_ENCRYPTION_KEY, 25, "encryption key is not 0x01 followed by a valid compressed secp256k1 point") \
    X(KP_ERR_DECRYPT,        30, "decryption failed: wrong key or passphrase, or the data was altered") \
    X(KP_ERR_CONTEXT,        31, "not a keyport export context, or it is truncated") \
    X(KP_ERR_KDF_PARAMS,     32, "passphrase hashing parameters are out of the accepted range") \
    X(KP_ERR_WRONG_CONTEXT,  33, "no share opens with this export context: the response was made for another") \
    X(KP_ERR_THRESHOLD,      40, "threshold is out of range for the number of signers or shares") \
    X(KP_ERR_DUPLICATE,      41, "duplicate signer or share index") \
    X(KP_ERR_NOT_ENOUGH,     42, "not enough good shares to recover the key") \
    X(KP_ERR_SHARE_MISMATCH, 43, "share does not match the public shares or public key") \
    X(KP_ERR_TOO_MANY,       44, "too many signers or shares") \
    X(KP_ERR_NOT_FOUND,      45, "no such signer or cluster") \
    X(KP_ERR_SIGNATURE,      50, "signature does not verify") \
    X(KP_ERR_POLICY,         51, "the policy is not valid") \
    X(KP_ERR_NOT_IN_POLICY,  52, "the operator is not in the policy") \
    X(KP_ERR_LOCKED,         53, "the operator's secret key is not unlocked") \
    X(KP_ERR_LOG,            60, "the audit log does not verify") \
    X(KP_ERR_IO,             61, "a file could not be read, written or synced") \
    X(KP_ERR_WRONG_WRITER,   62, "the audit log belongs to another writer key") \
    X(KP_ERR_BASE58,         70, "malformed base58") \
    X(KP_ERR_BECH32,         71, "malformed bech32 or bech32m") \
    X(KP_ERR_CHECKSUM,       72, "checksum does not match: a character or word is mistyped") \
    X(KP_ERR_MNEMONIC,       73, "not a valid BIP-39 mnemonic") \
    X(KP_ERR_PATH,           74, "invalid derivation path") \
    X(KP_ERR_KEY_FORMAT,     75, "the key format cannot be used for this key or curve") \
    X(KP_ERR_KEYPAIR_MISMATCH, 76, "the public half does not match the secret")

#endif
