/*
 * address.c: the addresses operators confirm a key by, from its public key only:
 * Ethereum (EIP-55), Bitcoin P2WPKH (BIP-141/173) and P2TR (BIP-341 key path with no script
 * tree, as BIP-86; the tweak by libsecp256k1's extrakeys module), the BIP-340 x-only key,
 * Solana (base58 of the ed25519 key) and the Stark public key (x).
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <sodium.h>

#include "curve.h"
#include "keyfmt.h"

static kp_status secp_parse_pub(const kp_ctx *ctx, secp256k1_pubkey *pk, const uint8_t *pub, size_t len)
{
    int form_ok = (len == 33 && (pub[0] == 2 || pub[0] == 3)) || (len == 65 && pub[0] == 4);
    if (!form_ok || !secp256k1_ec_pubkey_parse(ctx->secp, pk, pub, len))
        return kp_fail(KP_ERR_POINT, "not a valid secp256k1 public key");
    return KP_OK;
}

kp_status kp_eth_address(const kp_ctx *ctx, char out[43], const uint8_t *pub, size_t pub_len)
{
    KP_ARG_CHECK(ctx, ctx != NULL && out != NULL && pub != NULL);
    secp256k1_pubkey pk;
    uint8_t full[65], h[32];
    size_t len = 65;
    char hex[41];
    out[0] = 0;
    kp_status st = secp_parse_pub(ctx, &pk, pub, pub_len);
    if (st != KP_OK) return st;
    secp256k1_ec_pubkey_serialize(ctx->secp, full, &len, &pk, SECP256K1_EC_UNCOMPRESSED);
    kp_keccak256(h, full + 1, 64); /* the address: the last 20 bytes of Keccak-256(x || y) */
    kp_hex_encode(hex, h + 12, 20);
    kp_keccak256(h, (const uint8_t *)hex, 40); /* EIP-55: upper-case a letter where its hash nibble is >= 8 */
    out[0] = '0';
    out[1] = 'x';
    for (int i = 0; i < 40; i++) {
        int nib = (h[i / 2] >> (i % 2 ? 0 : 4)) & 15;
        char c = hex[i];
        out[2 + i] = (c >= 'a' && c <= 'f' && nib >= 8) ? (char)(c - 'a' + 'A') : c;
    }
    out[42] = 0;
    return KP_OK;
}

static kp_status hash160(uint8_t out[20], const uint8_t *in, size_t len)
{
    uint8_t h[32];
    unsigned int n = 0;
    crypto_hash_sha256(h, in, len);
    if (EVP_Digest(h, 32, out, &n, EVP_ripemd160(), NULL) != 1 || n != 20)
        return kp_fail(KP_ERR_INTERNAL, "OpenSSL has no RIPEMD-160");
    return KP_OK;
}

static kp_status put(kp_address *a, const char *kind, const char *label, const kp_buf *b)
{
    if (b->len + 1 > sizeof a->text) return kp_fail(KP_ERR_INTERNAL, "address too long");
    a->kind = kind;
    a->label = label;
    memcpy(a->text, b->data, b->len);
    a->text[b->len] = 0;
    return KP_OK;
}

/* P2TR output key of internal key pk (BIP-341 taproot_output_script with no script tree, BIP-86):
 * Q = P + int(hashTapTweak(x(P)))·G, with P taken with even y. Out: internal x (32), output x (32). */
static kp_status taproot(const kp_ctx *ctx, uint8_t internal[32], uint8_t output[32], const secp256k1_pubkey *pk)
{
    secp256k1_xonly_pubkey xp, xq;
    secp256k1_pubkey q;
    uint8_t t[32];
    int parity;
    if (!secp256k1_xonly_pubkey_from_pubkey(ctx->secp, &xp, &parity, pk) ||
        !secp256k1_xonly_pubkey_serialize(ctx->secp, internal, &xp) ||
        !secp256k1_tagged_sha256(ctx->secp, t, (const unsigned char *)"TapTweak", 8, internal, 32) ||
        !secp256k1_xonly_pubkey_tweak_add(ctx->secp, &q, &xp, t) ||
        !secp256k1_xonly_pubkey_from_pubkey(ctx->secp, &xq, &parity, &q) ||
        !secp256k1_xonly_pubkey_serialize(ctx->secp, output, &xq))
        return kp_fail(KP_ERR_POINT, "the taproot tweak of this key fails (BIP-341)");
    return KP_OK;
}

kp_status kp_addresses(const kp_ctx *ctx, kp_address out[KP_ADDRESS_MAX], size_t *n, kp_curve c, int protocol,
                       const uint8_t *pub, size_t pub_len)
{
    KP_ARG_CHECK(ctx, ctx != NULL && out != NULL && n != NULL && pub != NULL);
    kp_buf b;
    kp_status st = KP_OK;
    size_t k = 0;
    *n = 0;
    memset(out, 0, KP_ADDRESS_MAX * sizeof *out);
    kp_buf_init(&b, 0);
    if (c == KP_CURVE_SECP256K1) {
        secp256k1_pubkey pk;
        uint8_t comp[33], h[20], internal[32], output[32];
        size_t len = 33;
        char eth[43];
        if ((st = secp_parse_pub(ctx, &pk, pub, pub_len)) != KP_OK) goto done;
        secp256k1_ec_pubkey_serialize(ctx->secp, comp, &len, &pk, SECP256K1_EC_COMPRESSED);
        if ((st = taproot(ctx, internal, output, &pk)) != KP_OK) goto done;
        if (protocol != KP_PROTOCOL_FROST_BITCOIN) {
            /* ECDSA keys (CGGMP): Ethereum and Bitcoin's segwit v0 address; P2TR below. */
            if ((st = kp_eth_address(ctx, eth, pub, pub_len)) != KP_OK) goto done;
            kp_buf_reset(&b);
            if ((st = kp_buf_addstr(&b, eth)) != KP_OK || (st = put(&out[k++], "ethereum", "Ethereum (EIP-55)", &b)) != KP_OK)
                goto done;
            kp_buf_reset(&b);
            if ((st = hash160(h, comp, 33)) != KP_OK || (st = kp_segwit_address(&b, "bc", 0, h, 20)) != KP_OK ||
                (st = put(&out[k++], "bitcoin-p2wpkh", "Bitcoin P2WPKH (bech32)", &b)) != KP_OK)
                goto done;
        }
        if (protocol == KP_PROTOCOL_FROST_BITCOIN || protocol == 0) {
            kp_buf_reset(&b);
            if ((st = kp_buf_addhex(&b, internal, 32)) != KP_OK ||
                (st = put(&out[k++], "bip340-key", "BIP-340 x-only key", &b)) != KP_OK)
                goto done;
        }
        kp_buf_reset(&b);
        if ((st = kp_segwit_address(&b, "bc", 1, output, 32)) != KP_OK ||
            (st = put(&out[k++], "bitcoin-p2tr", "Bitcoin P2TR (bech32m, BIP-86 key path)", &b)) != KP_OK)
            goto done;
    } else if (c == KP_CURVE_ED25519) {
        kp_point p;
        if ((st = kp_curve_ops_of(c)->parse(ctx, &p, pub, pub_len)) != KP_OK) goto done;
        kp_buf_reset(&b);
        if ((st = kp_base58_encode(&b, pub, 32)) != KP_OK || (st = put(&out[k++], "solana", "Solana (base58)", &b)) != KP_OK)
            goto done;
    } else if (c == KP_CURVE_STARK) {
        kp_point p;
        if ((st = kp_curve_ops_of(c)->parse(ctx, &p, pub, pub_len)) != KP_OK) goto done;
        kp_buf_reset(&b);
        if ((st = kp_buf_addstr(&b, "0x")) != KP_OK || (st = kp_buf_addhex(&b, p.raw, 32)) != KP_OK ||
            (st = put(&out[k++], "stark-key", "Stark public key (x)", &b)) != KP_OK)
            goto done;
    } else {
        st = kp_fail(KP_ERR_CURVE, "unknown curve %d", (int)c);
    }
done:
    kp_buf_release(&b);
    if (st != KP_OK) {
        memset(out, 0, KP_ADDRESS_MAX * sizeof *out);
        k = 0;
    }
    *n = k;
    return st;
}
