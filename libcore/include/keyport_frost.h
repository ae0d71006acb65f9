/*
 * keyport_frost.h: threshold Schnorr signing, FROST(Ed25519, SHA-512) and FROST(secp256k1, SHA-256)
 * (RFC 9591 §6.1, §6.5).
 *
 * The primitives of the two rounds, one signer or the coordinator at a time: nonce generation
 * (hedged, RFC 9591 §4.1 nonce_generate), commitments, binding factors, the group commitment,
 * the challenge, a signer's signature share, the check of a share against the signer's public
 * share, aggregation and the final check. Identifiers are small integers (1..65535) encoded as
 * scalars; scalars and points are 32-byte little-endian (RFC 8032 encodings).
 * Nonces and shares are secret: the caller keeps them in kp_secure_alloc memory.
 */
#ifndef KEYPORT_FROST_H
#define KEYPORT_FROST_H

#include <stddef.h>
#include <stdint.h>

#include "keyport_status.h"

typedef struct kp_ctx kp_ctx;

#ifndef KP_API
#if defined(KP_BUILDING_LIBRARY)
#define KP_API __attribute__((visibility("default")))
#else
#define KP_API
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** One signer's round-one commitment: its identifier and the hiding and binding nonce commitments. */
typedef struct kp_frost_commitment {
    uint16_t id;
    uint8_t hiding[32];
    uint8_t binding[32];
} kp_frost_commitment;

/** nonce = H3(random || secret) (RFC 9591 §4.1). random is 32 bytes from the caller's RNG (NULL:
 *  drawn here); secret is the signer's 32-byte share. */
KP_API kp_status kp_frost_ed25519_nonce(uint8_t nonce[32], const uint8_t *random, const uint8_t secret[32]);

/** The public commitment nonce*G of a nonce. */
KP_API kp_status kp_frost_ed25519_commit(uint8_t commitment[32], const uint8_t nonce[32]);

/** The binding factor of signer id over the sorted commitment list (RFC 9591 §4.4). */
KP_API kp_status kp_frost_ed25519_binding_factor(uint8_t rho[32], uint16_t id, const uint8_t group_pk[32],
                                                 const kp_frost_commitment *list, size_t n,
                                                 const uint8_t *msg, size_t msg_len);

/** R, the group commitment (RFC 9591 §4.5), and the challenge c = H2(R || PK || msg). */
KP_API kp_status kp_frost_ed25519_group_commitment(uint8_t r[32], uint8_t challenge[32], const uint8_t group_pk[32],
                                                   const kp_frost_commitment *list, size_t n,
                                                   const uint8_t *msg, size_t msg_len);

/** Signer id's share z = d + e*rho + lambda*s*c (RFC 9591 §5.2); constant time in the secrets. */
KP_API kp_status kp_frost_ed25519_sign_share(uint8_t z[32], uint16_t id, const uint8_t hiding_nonce[32],
                                             const uint8_t binding_nonce[32], const uint8_t share[32],
                                             const uint8_t group_pk[32], const kp_frost_commitment *list,
                                             size_t n, const uint8_t *msg, size_t msg_len);

/** Checks z*G == D + rho*E + c*lambda*public_share (RFC 9591 §5.4). KP_ERR_SHARE_MISMATCH when it is not. */
KP_API kp_status kp_frost_ed25519_verify_share(const uint8_t z[32], uint16_t id, const uint8_t public_share[32],
                                               const uint8_t group_pk[32], const kp_frost_commitment *list,
                                               size_t n, const uint8_t *msg, size_t msg_len);

/** sig = R || sum(z) (RFC 9591 §5.3), checked as an RFC 8032 signature under group_pk (KP_ERR_SIGNATURE when it does not verify). */
KP_API kp_status kp_frost_ed25519_aggregate(uint8_t sig[64], const uint8_t (*z)[32], const uint8_t group_pk[32],
                                            const kp_frost_commitment *list, size_t n,
                                            const uint8_t *msg, size_t msg_len);

/* ---------------------------------------------------------------- FROST(secp256k1, SHA-256) */
/* RFC 9591 §6.5: points are 33-byte compressed SEC1, scalars and identifiers 32-byte big-endian.
 * The signature is R (33 bytes) || z (32 bytes). ctx is a library context (kp_ctx_new). */

/** The most signers in one signing (both suites). */
#define KP_FROST_MAX 64

/** One signer's round-one commitment on secp256k1. */
typedef struct kp_frost_secp_commitment {
    uint16_t id;
    uint8_t hiding[33];
    uint8_t binding[33];
} kp_frost_secp_commitment;

KP_API kp_status kp_frost_secp256k1_nonce(const kp_ctx *ctx, uint8_t nonce[32], const uint8_t *random,
                                          const uint8_t secret[32]);
KP_API kp_status kp_frost_secp256k1_commit(const kp_ctx *ctx, uint8_t commitment[33], const uint8_t nonce[32]);
KP_API kp_status kp_frost_secp256k1_binding_factor(const kp_ctx *ctx, uint8_t rho[32], uint16_t id,
                                                   const uint8_t group_pk[33], const kp_frost_secp_commitment *list,
                                                   size_t n, const uint8_t *msg, size_t msg_len);
KP_API kp_status kp_frost_secp256k1_sign_share(const kp_ctx *ctx, uint8_t z[32], uint16_t id,
                                               const uint8_t hiding_nonce[32], const uint8_t binding_nonce[32],
                                               const uint8_t share[32], const uint8_t group_pk[33],
                                               const kp_frost_secp_commitment *list, size_t n,
                                               const uint8_t *msg, size_t msg_len);
KP_API kp_status kp_frost_secp256k1_verify_share(const kp_ctx *ctx, const uint8_t z[32], uint16_t id,
                                                 const uint8_t public_share[33], const uint8_t group_pk[33],
                                                 const kp_frost_secp_commitment *list, size_t n,
                                                 const uint8_t *msg, size_t msg_len);
KP_API kp_status kp_frost_secp256k1_aggregate(const kp_ctx *ctx, uint8_t sig[65], const uint8_t (*z)[32],
                                              const uint8_t group_pk[33], const kp_frost_secp_commitment *list,
                                              size_t n, const uint8_t *msg, size_t msg_len);

/* FROST over secp256k1 with BIP-340 output (FROST_BITCOIN keys): the same rounds, with BIP-340's
 * tagged challenge over x-only R and key; a signer negates its nonces when R has odd Y and its
 * share when the key has odd Y. group_pk is the 33-byte compressed key (its parity matters);
 * the signature is the 64-byte BIP-340 signature R.x || z, checked before it is returned. */
KP_API kp_status kp_frost_bip340_sign_share(const kp_ctx *ctx, uint8_t z[32], uint16_t id,
                                            const uint8_t hiding_nonce[32], const uint8_t binding_nonce[32],
                                            const uint8_t share[32], const uint8_t group_pk[33],
                                            const kp_frost_secp_commitment *list, size_t n,
                                            const uint8_t *msg, size_t msg_len);
KP_API kp_status kp_frost_bip340_verify_share(const kp_ctx *ctx, const uint8_t z[32], uint16_t id,
                                              const uint8_t public_share[33], const uint8_t group_pk[33],
                                              const kp_frost_secp_commitment *list, size_t n,
                                              const uint8_t *msg, size_t msg_len);
KP_API kp_status kp_frost_bip340_aggregate(const kp_ctx *ctx, uint8_t sig[64], const uint8_t (*z)[32],
                                           const uint8_t group_pk[33], const kp_frost_secp_commitment *list,
                                           size_t n, const uint8_t *msg, size_t msg_len);

#ifdef __cplusplus
}
#endif
#endif
