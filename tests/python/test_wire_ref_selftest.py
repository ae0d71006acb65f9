"""Self-tests of the reference implementation (wire_ref): no keyport needed.

If these fail, the cross-check tests cannot be trusted either.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import random

import coincurve
import pytest
from nacl import bindings as sodium

import wire_ref as W

ALL_CURVES = [W.SECP256K1, W.ED25519, W.STARK]


# --------------------------------------------------------------------------- stark curve

def test_stark_constants_match_decimal_source():
    assert W.STARK_P == W.STARK_P_DEC
    assert W.STARK_BETA == W.STARK_BETA_DEC
    assert W.STARK_N == W.STARK_N_DEC
    assert W.STARK_GX == W.STARK_GX_DEC
    assert W.STARK_GY == W.STARK_GY_DEC
    assert W.STARK_P == 2**251 + 17 * 2**192 + 1


def test_stark_generator_on_curve_and_has_order_n():
    assert W.stark_on_curve(W.STARK_G)
    assert W.stark_mul(W.STARK_N, W.STARK_G) is None
    assert W.stark_mul(W.STARK_N - 1, W.STARK_G) == W.stark_neg(W.STARK_G)
    assert W.stark_mul(W.STARK_N + 1, W.STARK_G) == W.STARK_G
    assert W.stark_mul(2, W.STARK_G) == W.stark_add(W.STARK_G, W.STARK_G)
    assert W.stark_on_curve(W.stark_mul(12345, W.STARK_G))


def test_stark_public_key_vectors():
    # github.com/starkware-libs/crypto-cpp @ 78e3ed8dc7a0901fe6d62f4e99becc6e7936adfd,
    # src/starkware/crypto/ecdsa_test.cc line 12 (ECDSA.PublicKeyFromPrivate).
    P = W.STARK.base_mul(0x3C1E9550E66958296D11B60F8E8E7A7AD990D07FA65D5F7652C4A6C87D4E3CC)
    assert P == (0x77A3B314DB07C45076D11F62B6F9E748A39790441823307743CF00D6597EA43,
                 0x54D7BEEC5EC728223671C627557EFC5C9A6508425DC6C900B7741BF60AFEC06)
    # same commit, src/starkware/crypto/ffi/crypto_lib_test.go line 26 (x only).
    assert W.STARK.base_mul(0x12)[0] == 0x019661066E96A8B9F06A1D136881EE924DFB6A885239CAA5FD3F87A54C6B25C4
    # github.com/starkware-libs/starkex-for-spot-trading @ 607f0b4ce507e1d95cd018d206a2797f6ba4aab4,
    # .../signature/src/config/keys_precomputed.json: key 0x2.
    assert W.STARK.base_mul(2)[0] == 0x759CA09377679ECD535A81E83039658BF40959283187C654C5416F439403CF5


def test_stark_compressed_round_trip():
    rng = random.Random("stark-compress")
    parities = set()
    for _ in range(6):
        k = W.STARK.random_scalar(rng)
        P = W.STARK.base_mul(k)
        pub = W.STARK.pub(P)
        assert len(pub) == 33 and pub[0] == 2 + (P[1] & 1)
        parities.add(pub[0])
        assert W.STARK.from_pub(pub) == P
        wire = W.STARK.wire(P)
        assert len(wire) == 65 and wire[0] == 4
        assert W.STARK.from_wire(wire) == P
    assert parities == {2, 3}
    bad = bytearray(W.STARK.wire(W.STARK_G))
    bad[-1] ^= 1
    with pytest.raises(W.WireError):
        W.STARK.from_wire(bytes(bad))


# --------------------------------------------------------------------------- group laws, all curves

@pytest.mark.parametrize("c", ALL_CURVES, ids=str)
def test_group_laws(c):
    rng = random.Random("laws-" + c.name)
    a, b = c.random_scalar(rng), c.random_scalar(rng)
    A, B = c.base_mul(a), c.base_mul(b)
    assert c.wire(c.add(A, B)) == c.public_wire((a + b) % c.order)
    assert c.wire(c.mul(A, b)) == c.public_wire(a * b % c.order)
    assert c.wire(c.base_mul(c.order - 1)) != c.wire(c.base_mul(1))
    assert len(c.public_key(a)) == c.pub_len
    assert len(c.public_wire(a)) == c.wire_point_len
    assert c.wire(c.from_wire(c.public_wire(a))) == c.public_wire(a)
    assert c.pub(c.from_pub(c.public_key(a))) == c.public_key(a)
    with pytest.raises(W.WireError):
        c.base_mul(0)
    with pytest.raises(W.WireError):
        c.base_mul(c.order)


def test_secp256k1_generator():
    G = W.SECP256K1.public_wire(1)
    assert G.hex() == ("0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
                       "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8")


def test_ed25519_basepoint_and_le_be():
    assert W.ED25519.public_key(1).hex() == "5866666666666666666666666666666666666666666666666666666666666666"
    # A scalar above 2^128 whose byte order matters.
    k = int("0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", 16)
    assert W.ED25519.public_key(k) == sodium.crypto_scalarmult_ed25519_base_noclamp(k.to_bytes(32, "little"))
    assert W.ED25519.public_key(k) != sodium.crypto_scalarmult_ed25519_base_noclamp(k.to_bytes(32, "big"))
    with pytest.raises(W.WireError):
        W.ED25519.from_wire(W.ED25519_IDENTITY)


# --------------------------------------------------------------------------- ed25519 seed

RFC8032_TEST1_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_TEST1_PUB = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")


def test_ed25519_seed_rule_matches_rfc8032_and_nacl():
    # RFC 8032 §7.1 TEST 1 (D. J. Bernstein's sign.input line 1, as in pyca/pynacl
    # @ 25d715e19c9b8472a00e18e68ca0e7369826e666 tests/data/ed25519).
    s = W.ed25519_seed_to_scalar(RFC8032_TEST1_SEED)
    assert 0 < s < W.ED25519_L
    assert W.ED25519.public_key(s) == RFC8032_TEST1_PUB
    rng = random.Random("seed-rule")
    for _ in range(5):
        seed = rng.randbytes(32)
        pk, _sk = sodium.crypto_sign_seed_keypair(seed)
        assert W.ED25519.public_key(W.ed25519_seed_to_scalar(seed)) == pk


def test_ed25519_seed_rule_reduces_mod_l():
    # The clamped value is >= 2^254 > l, so the reduction always changes it.
    seed = RFC8032_TEST1_SEED
    h = bytearray(hashlib.sha512(seed).digest()[:32])
    h[0] &= 0xF8
    h[31] &= 0x7F
    h[31] |= 0x40
    unreduced = int.from_bytes(h, "little")
    assert unreduced >= W.ED25519_L
    assert W.ed25519_seed_to_scalar(seed) == unreduced % W.ED25519_L


# --------------------------------------------------------------------------- envelope

def _hkdf_by_hand(ikm: bytes) -> bytes:
    prk = hmac.new(b"DFNS_KEY_IMPORT", ikm, hashlib.sha256).digest()
    return hmac.new(prk, b"ENCRYPTION_KEY" + b"\x01", hashlib.sha256).digest()


def test_envelope_round_trip_and_layout():
    rng = random.Random("envelope")
    r = W.Recipient.random(rng)
    m = b'{"hello":"world"}'
    e = W.SECP256K1.random_scalar(rng)
    ct = W.seal(r.ek, m, ephemeral=e)
    assert len(ct) == len(m) + 49
    E = ct[-33:]
    assert E == W.SECP256K1.public_key(e)
    assert r.open(ct) == m
    # ECDH both ways, IKM = compressed S with its prefix byte, HKDF checked by hand.
    S = coincurve.PublicKey(r.ek).multiply(e.to_bytes(32, "big")).format(compressed=True)
    assert S == coincurve.PublicKey(E).multiply(r.secret.to_bytes(32, "big")).format(compressed=True)
    assert W.envelope_key(S) == _hkdf_by_hand(S)
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    assert AESGCM(_hkdf_by_hand(S)).decrypt(b"\0" * 12, ct[:-33], b"") == m
    # Fresh ephemeral key each time.
    assert W.seal(r.ek, m)[-33:] != W.seal(r.ek, m)[-33:]


def test_envelope_refuses_bad_input():
    rng = random.Random("envelope-bad")
    r, other = W.Recipient.random(rng), W.Recipient.random(rng)
    ct = r.seal(b"secret")
    with pytest.raises(W.EnvelopeError):
        other.open(ct)
    for i in (0, len(ct) - 40, len(ct) - 34, len(ct) - 1):
        bad = bytearray(ct)
        bad[i] ^= 0x80
        with pytest.raises(W.EnvelopeError):
            r.open(bytes(bad))
    with pytest.raises(W.EnvelopeError):
        r.open(ct[:48])
    assert r.open(W.seal(r.ek, b"")) == b""


def test_wire_sizes():
    rng = random.Random("sizes")
    c = W.SECP256K1
    pt = W.export_plaintext(c, 1, c.random_scalar(rng))
    assert len(pt) == 232
    assert len(W.seal(W.Recipient.random(rng).ek, pt)) == 281
    pubs = [c.public_wire(c.random_scalar(rng)) for _ in range(5)]
    ipt = W.import_plaintext(c, c.random_scalar(rng), pubs)
    assert len(ipt) == 959
    assert len(W.seal(W.Recipient.random(rng).ek, ipt)) == 1008


def test_encryption_key_b64():
    rng = random.Random("ekb64")
    prefixes = set()
    for _ in range(40):
        r = W.Recipient.random(rng)
        s = r.ek_b64
        # The third character carries the prefix and the top two
        # bits of x: 0x01 0x02 gives AQI..AQL, 0x01 0x03 gives AQM..AQP.
        assert len(s) == 48 and s[:2] == "AQ" and s[2] in ("IJKL" if r.ek[0] == 2 else "MNOP")
        prefixes.add(s[:3])
        assert W.decode_encryption_key(s) == r.ek
    assert {"AQI", "AQM"} <= prefixes and not prefixes <= {"AQI", "AQM"}
    r = W.Recipient.random(rng)
    with pytest.raises(W.WireError):
        W.decode_encryption_key(W.b64(b"\x02" + r.ek))
    with pytest.raises(W.WireError):
        W.decode_encryption_key(W.b64(b"\x01" + r.ek[:-1]))
    with pytest.raises(W.WireError):
        W.decode_encryption_key(W.b64(b"\x01\x02" + off_curve_x()))


def off_curve_x() -> bytes:
    """A 32-byte x for which x^3 + 7 is not a square mod p (no secp256k1 point)."""
    p = W.SECP256K1_P
    x = 5
    while pow(x**3 + 7, (p - 1) // 2, p) == 1:
        x += 1
    return x.to_bytes(32, "big")


# --------------------------------------------------------------------------- Shamir

@pytest.mark.parametrize("c", ALL_CURVES, ids=str)
def test_shamir_any_t_shares(c):
    rng = random.Random("shamir-" + c.name)
    key = c.random_scalar(rng)
    xs = [1, 2, 3, 4, 5]
    coeffs, shares = W.shamir_split(key, 3, xs, c.order, rng)
    assert len(coeffs) == 3 and coeffs[0] == key
    for sub in itertools.combinations(xs, 3):
        assert W.interpolate_at_zero([(x, shares[x]) for x in sub], c.order) == key
    for sub in itertools.combinations(xs, 2):
        assert W.interpolate_at_zero([(x, shares[x]) for x in sub], c.order) != key
    pts = [(x, c.base_mul(shares[x])) for x in (1, 3, 5)]
    assert c.wire(W.interpolate_points_at_zero(c, pts)) == c.public_wire(key)


# --------------------------------------------------------------------------- plaintexts

@pytest.mark.parametrize("c", ALL_CURVES, ids=str)
def test_plaintext_writers_and_readers(c):
    rng = random.Random("pt-" + c.name)
    share = c.random_scalar(rng)
    pt = W.export_plaintext(c, 7, share)
    assert pt.startswith(b'{"version":1,"index":{"curve":"%s","scalar":"' % c.name.encode())
    assert b" " not in pt and pt == pt.lower()
    assert list(json.loads(pt)) == ["version", "index", "secret_share"]
    assert W.parse_export_plaintext(c, pt) == (7, share)
    pubs = [c.public_wire(c.random_scalar(rng)) for _ in range(3)]
    ipt = W.import_plaintext(c, share, pubs)
    assert list(json.loads(ipt)) == ["version", "secret_share", "public_shares"]
    assert W.parse_import_plaintext(c, ipt) == (share, pubs)
    assert W.import_plaintext(c, *W.parse_import_plaintext(c, ipt)) == ipt
    # Unknown fields are ignored by a reader.
    assert W.parse_export_plaintext(c, pt[:-1] + b',"x":1}') == (7, share)
    for bad in (pt.replace(b'"version":1', b'"version":2'),
                W.export_plaintext(c, 0, share),
                W.export_plaintext(c, 7, 0),
                pt.replace(c.name.encode(), b"other", 1),
                pt.replace(b'"scalar":"', b'"scalar":"0', 1)):
        with pytest.raises(W.WireError):
            W.parse_export_plaintext(c, bad)


def test_export_request_form():
    ek = W.Recipient(1).ek
    schemes = ('[{"protocol":"CGGMP21","curve":"secp256k1"},{"protocol":"CGGMP21","curve":"stark"},'
               '{"protocol":"FROST","curve":"ed25519"},{"protocol":"FROST_BITCOIN","curve":"secp256k1"}]')
    assert W.export_request(ek) == '{"encryptionKey":"%s","supportedSchemes":%s}' % (W.encryption_key_b64(ek), schemes)
    assert W.export_request(ek, delete=False).endswith(schemes + ',"delete":false}')


def test_sort_signer_ids_by_bytes():
    ids = [W.b64(b) for b in (b"\xfc\x00", b"\x00\x01", b"\xf8\x00", b"\x00", b"\x3e\xff")]
    assert W.sort_signer_ids(ids) == [W.b64(b) for b in (b"\x00", b"\x00\x01", b"\x3e\xff", b"\xf8\x00", b"\xfc\x00")]
    assert sorted(ids) != W.sort_signer_ids(ids)
