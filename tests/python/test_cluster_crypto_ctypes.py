"""Independent checks of libkeyport's cluster-side cryptography through ctypes: user action
credentials against PyNaCl and pyca/cryptography, Feldman VSS against coincurve, and secrets at
rest (round trip, tamper, wrong binding)."""

import ctypes
import hashlib
import json
import os
import secrets
from ctypes import POINTER, c_char_p, c_int, c_size_t, c_uint, c_void_p

import coincurve
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from nacl.signing import SigningKey, VerifyKey

LIB = os.environ.get("KEYPORT_LIB")
pytestmark = pytest.mark.skipif(not LIB, reason="KEYPORT_LIB is not set")

N_SECP = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


class Buf(ctypes.Structure):
    _fields_ = [("data", POINTER(ctypes.c_uint8)), ("len", c_size_t), ("cap", c_size_t), ("secure", c_int)]

    def bytes(self):
        return ctypes.string_at(self.data, self.len) if self.len else b""


@pytest.fixture(scope="module")
def kp():
    so = ctypes.CDLL(LIB)
    so.kp_ctx_new.argtypes = [POINTER(c_void_p)]
    so.kp_error_detail.restype = c_char_p
    ctx = c_void_p()
    assert so.kp_ctx_new(ctypes.byref(ctx)) == 0
    so.ctx = ctx
    return so


def newbuf(kp):
    b = Buf()
    kp.kp_buf_init(ctypes.byref(b), 0)
    return b


def make_credential(kp, alg):
    b = newbuf(kp)
    assert kp.kp_credential_new(ctypes.byref(b), c_int(alg), b"cred-1") == 0, kp.kp_error_detail()
    text = b.bytes()
    kp.kp_buf_release(ctypes.byref(b))
    return text


@pytest.mark.parametrize("alg", [1, 2])
def test_credential_signatures_verify_independently(kp, alg):
    text = make_credential(kp, alg)
    doc = json.loads(text)
    assert doc["algorithm"] == ("Ed25519" if alg == 1 else "ECDSA-P256")
    cred = c_void_p()
    assert kp.kp_credential_parse(ctypes.byref(cred), text, c_size_t(len(text))) == 0, kp.kp_error_detail()
    msg = b'{"type":"key.get","challenge":"abc-_123"}'
    sig = newbuf(kp)
    assert kp.kp_credential_sign(cred, ctypes.byref(sig), msg, c_size_t(len(msg))) == 0
    s = sig.bytes()
    pub = bytes.fromhex(doc["publicKey"])
    if alg == 1:
        VerifyKey(pub).verify(msg, s)  # raises if wrong
        assert SigningKey(bytes.fromhex(doc["privateKey"])).verify_key.encode() == pub
    else:
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), pub)
        key.verify(s, msg, ec.ECDSA(hashes.SHA256()))  # DER over SHA-256
        with pytest.raises(InvalidSignature):
            key.verify(s, msg + b"x", ec.ECDSA(hashes.SHA256()))
    kp.kp_buf_release(ctypes.byref(sig))
    kp.kp_credential_free(cred)


def test_credential_verify_accepts_independent_signatures_and_refuses_others(kp):
    msg = b'{"type":"key.get","challenge":"zzz"}'
    sk = SigningKey.generate()
    sig = sk.sign(msg).signature
    pubhex = sk.verify_key.encode().hex().encode()
    assert kp.kp_credential_verify(c_int(1), pubhex, msg, c_size_t(len(msg)), sig, c_size_t(64)) == 0
    bad = bytes([sig[0] ^ 1]) + sig[1:]
    assert kp.kp_credential_verify(c_int(1), pubhex, msg, c_size_t(len(msg)), bad, c_size_t(64)) == 50
    p = ec.generate_private_key(ec.SECP256R1())
    der = p.sign(msg, ec.ECDSA(hashes.SHA256()))
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    pub = p.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint).hex().encode()
    assert kp.kp_credential_verify(c_int(2), pub, msg, c_size_t(len(msg)), der, c_size_t(len(der))) == 0
    assert kp.kp_credential_verify(c_int(2), pub, msg + b"!", c_size_t(len(msg) + 1), der, c_size_t(len(der))) == 50


def test_credential_file_with_mismatched_halves_is_refused(kp):
    a = json.loads(make_credential(kp, 1))
    b = json.loads(make_credential(kp, 1))
    a["publicKey"] = b["publicKey"]
    text = json.dumps(a, separators=(",", ":")).encode()
    cred = c_void_p()
    assert kp.kp_credential_parse(ctypes.byref(cred), text, c_size_t(len(text))) != 0
    assert b"does not belong" in kp.kp_error_detail()


def test_vss_dealing_checks_out_with_coincurve(kp):
    t, n = 3, 5
    shares = (ctypes.c_uint8 * (32 * n))()
    comm = (ctypes.c_uint8 * (33 * t))()
    assert kp.kp_vss_deal(kp.ctx, shares, comm, c_int(1), c_uint(t), c_uint(n)) == 0
    C = [coincurve.PublicKey(bytes(comm[33 * k:33 * k + 33])) for k in range(t)]
    for j in range(1, n + 1):
        s = bytes(shares[32 * (j - 1):32 * j])
        want = coincurve.PublicKey.combine_keys([C[k].multiply(pow(j, k, N_SECP).to_bytes(32, "big")) for k in range(t)])
        assert coincurve.PrivateKey(s).public_key.format() == want.format()
        assert kp.kp_vss_check(kp.ctx, c_int(1), c_uint(t), comm, c_uint(j), s) == 0
        wrong = ((int.from_bytes(s, "big") + 1) % N_SECP).to_bytes(32, "big")
        assert kp.kp_vss_check(kp.ctx, c_int(1), c_uint(t), comm, c_uint(j), wrong) == 43


def test_dkg_of_three_dealers_gives_a_key_whose_shares_recombine(kp):
    """Each of 3 dealers deals 2-of-3; signer j adds what it got; any 2 summed shares interpolate
    to a secret whose public key is the sum of the dealers' constant commitments."""
    t, n = 2, 3
    dealt, consts = [], []
    for _ in range(n):
        shares = (ctypes.c_uint8 * (32 * n))()
        comm = (ctypes.c_uint8 * (33 * t))()
        assert kp.kp_vss_deal(kp.ctx, shares, comm, c_int(1), c_uint(t), c_uint(n)) == 0
        dealt.append([bytes(shares[32 * j:32 * j + 32]) for j in range(n)])
        c0 = (ctypes.c_uint8 * 33)()
        assert kp.kp_vss_public(kp.ctx, c0, c_int(1), c_uint(t), comm, c_uint(0)) == 0
        consts.append(bytes(c0))
    group = (ctypes.c_uint8 * 33)(*consts[0])
    for c in consts[1:]:
        out = (ctypes.c_uint8 * 33)()
        assert kp.kp_public_key_add(kp.ctx, out, c_int(1), group, c) == 0
        group = out
    final = []
    for j in range(n):
        acc = (ctypes.c_uint8 * 32)(*dealt[0][j])
        for d in range(1, n):
            out = (ctypes.c_uint8 * 32)()
            assert kp.kp_scalar_add(out, c_int(1), acc, dealt[d][j]) == 0
            acc = out
        final.append(int.from_bytes(bytes(acc), "big"))
    # Lagrange at 0 with shares 1 and 3
    x1, x3 = 1, 3
    l1 = x3 * pow(x3 - x1, -1, N_SECP) % N_SECP
    l3 = x1 * pow(x1 - x3, -1, N_SECP) % N_SECP
    secret = (l1 * final[0] + l3 * final[2]) % N_SECP
    assert coincurve.PrivateKey(secret.to_bytes(32, "big")).public_key.format() == bytes(group)
    assert coincurve.PublicKey.combine_keys([coincurve.PublicKey(c) for c in consts]).format() == bytes(group)


def test_at_rest_round_trip_tamper_and_binding(kp):
    key = secrets.token_bytes(32)
    data = secrets.token_bytes(32)
    b = newbuf(kp)
    assert kp.kp_at_rest_seal(ctypes.byref(b), key, b"key-1", c_size_t(5), data, c_size_t(32)) == 0
    sealed = b.bytes()
    assert len(sealed) == 32 + 40
    out = (ctypes.c_uint8 * 32)()
    assert kp.kp_at_rest_open(out, key, b"key-1", c_size_t(5), sealed, c_size_t(len(sealed))) == 0
    assert bytes(out) == data
    assert kp.kp_at_rest_open(out, key, b"key-2", c_size_t(5), sealed, c_size_t(len(sealed))) == 30
    assert bytes(out) == bytes(32)
    for i in (0, 23, 24, 40, len(sealed) - 1):
        t = bytearray(sealed)
        t[i] ^= 1
        assert kp.kp_at_rest_open(out, key, b"key-1", c_size_t(5), bytes(t), c_size_t(len(t))) == 30
    kp.kp_buf_release(ctypes.byref(b))


def test_scalar_add_in_place(kp):
    """r = r + x: the output may be an input (a signer adds dealt shares into one buffer)."""
    a, b = 5, N_SECP - 2
    r = (ctypes.c_uint8 * 32)(*a.to_bytes(32, "big"))
    x = b.to_bytes(32, "big")
    assert kp.kp_scalar_add(r, c_int(1), r, x) == 0
    assert int.from_bytes(bytes(r), "big") == (a + b) % N_SECP
