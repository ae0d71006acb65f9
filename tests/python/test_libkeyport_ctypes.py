"""libkeyport through ctypes (needs KEYPORT_LIB): the signer-side calls against wire_ref.

- Python seals an import plaintext to a signer key; kp_import_open_share opens it and returns
  the share and the group public key, and refuses altered or inconsistent data.
- kp_export_seal_share's output decrypts with Python to the exact docs/wire.md §2 plaintext.
"""

from __future__ import annotations

import ctypes
import random
from ctypes import POINTER, byref, c_char_p, c_int, c_size_t, c_uint, c_uint8, c_uint32, c_void_p

import pytest

import wire_ref as W

KP_OK = 0
KP_ERR_MISUSE = 1
KP_ERR_CURVE_MISMATCH = 24
KP_ERR_DECRYPT = 30
KP_ERR_SHARE_MISMATCH = 43
CURVE_IDS = {"secp256k1": 1, "ed25519": 2, "stark": 3}
ALL_CURVES = [pytest.param(c, id=c.name) for c in (W.SECP256K1, W.ED25519, W.STARK)]

Bytes32 = c_uint8 * 32
Bytes33 = c_uint8 * 33


class KpBuf(ctypes.Structure):
    _fields_ = [("data", POINTER(c_uint8)), ("len", c_size_t), ("cap", c_size_t), ("secure", c_int)]


ILLEGAL_CB = ctypes.CFUNCTYPE(None, c_char_p, c_void_p)

# Functions used only by the small cross-checks, declared on first use so that a missing one
# fails only the test that needs it.
OTHER_FUNCS = {
    "kp_envelope_seal": ([c_void_p, POINTER(c_uint8), POINTER(c_uint8), POINTER(c_uint8), c_size_t], c_int),
    "kp_envelope_open": ([c_void_p, POINTER(c_uint8), POINTER(c_uint8), POINTER(c_uint8), c_size_t], c_int),
    "kp_ed25519_seed_to_scalar": ([POINTER(c_uint8), POINTER(c_uint8)], c_int),
    "kp_public_key": ([c_void_p, POINTER(c_uint8), POINTER(c_size_t), c_int, POINTER(c_uint8)], c_int),
    "kp_encryption_key_encode": ([POINTER(ctypes.c_char), POINTER(c_uint8)], c_int),
}


class Lib:
    def __init__(self, path: str):
        so = ctypes.CDLL(path)
        self.so = so
        so.kp_ctx_new.argtypes = [POINTER(c_void_p)]
        so.kp_ctx_new.restype = c_int
        so.kp_ctx_free.argtypes = [c_void_p]
        so.kp_ctx_free.restype = None
        so.kp_ctx_set_illegal_callback.argtypes = [c_void_p, ILLEGAL_CB, c_void_p]
        so.kp_ctx_set_illegal_callback.restype = None
        so.kp_error_detail.argtypes = []
        so.kp_error_detail.restype = c_char_p
        so.kp_buf_init.argtypes = [POINTER(KpBuf), c_int]
        so.kp_buf_init.restype = None
        so.kp_buf_release.argtypes = [POINTER(KpBuf)]
        so.kp_buf_release.restype = None
        so.kp_import_open_share.argtypes = [c_void_p, POINTER(c_uint8), POINTER(c_uint8), POINTER(c_size_t),
                                            POINTER(c_uint8), c_int, c_uint, c_uint, c_uint,
                                            POINTER(c_uint8), c_size_t]
        so.kp_import_open_share.restype = c_int
        so.kp_export_seal_share.argtypes = [c_void_p, POINTER(KpBuf), POINTER(c_uint8), c_int, POINTER(c_uint8),
                                            POINTER(c_uint8)]
        so.kp_export_seal_share.restype = c_int
        self.misuse: list[str] = []
        # Report misuse instead of aborting the test process.
        self._cb = ILLEGAL_CB(lambda msg, _data: self.misuse.append((msg or b"").decode("utf-8", "replace")))
        self.ctx = c_void_p()
        st = so.kp_ctx_new(byref(self.ctx))
        assert st == KP_OK and self.ctx.value, f"kp_ctx_new failed: {st}"
        so.kp_ctx_set_illegal_callback(self.ctx, self._cb, None)

    def func(self, name: str):
        f = getattr(self.so, name)
        f.argtypes, f.restype = OTHER_FUNCS[name]
        return f

    def close(self):
        self.so.kp_ctx_free(self.ctx)

    def detail(self) -> str:
        return (self.so.kp_error_detail() or b"").decode("utf-8", "replace")

    def import_open_share(self, secret: int, c: W.Curve, index: int, n: int, t: int, ct: bytes):
        share = Bytes32(*([0xAA] * 32))
        pub = (c_uint8 * 65)(*([0xAA] * 65))
        pub_len = c_size_t(12345)
        ctbuf = (c_uint8 * max(len(ct), 1)).from_buffer_copy(ct or b"\0")
        st = self.so.kp_import_open_share(self.ctx, share, pub, byref(pub_len), Bytes32(*secret.to_bytes(32, "big")),
                                          CURVE_IDS[c.name], index, n, t, ctbuf, len(ct))
        return st, bytes(share), bytes(pub), pub_len.value

    def export_seal_share(self, ek: bytes, c: W.Curve, index: int, share: int) -> bytes:
        buf = KpBuf()
        self.so.kp_buf_init(byref(buf), 0)
        try:
            st = self.so.kp_export_seal_share(self.ctx, byref(buf), Bytes33(*ek), CURVE_IDS[c.name],
                                              Bytes32(*index.to_bytes(32, "big")), Bytes32(*share.to_bytes(32, "big")))
            assert st == KP_OK, f"kp_export_seal_share: {st} {self.detail()}"
            return ctypes.string_at(buf.data, buf.len)
        finally:
            self.so.kp_buf_release(byref(buf))


@pytest.fixture(scope="module")
def lib(keyport_lib_path):
    L = Lib(keyport_lib_path)
    yield L
    L.close()


@pytest.fixture(autouse=True)
def _no_misuse(request):
    yield
    if "lib" in request.fixturenames:
        L = request.getfixturevalue("lib")
        assert not L.misuse, f"libkeyport reported misuse: {L.misuse}"
        L.misuse.clear()


# --------------------------------------------------------------------------- import, signer side

class ImportSetup:
    def __init__(self, c: W.Curve, seed: str, n: int = 5, t: int = 3):
        rng = random.Random(seed)
        self.c, self.n, self.t, self.rng = c, n, t, rng
        self.key = c.random_scalar(rng)
        self.recipients = [W.Recipient.random(rng) for _ in range(n)]
        _, self.shares = W.shamir_split(self.key, t, range(1, n + 1), c.order, rng)
        self.pubs = [c.public_wire(self.shares[i]) for i in range(1, n + 1)]

    def plaintext(self, i: int) -> bytes:
        return W.import_plaintext(self.c, self.shares[i], self.pubs)

    def ct(self, i: int, pt: bytes | None = None) -> bytes:
        return self.recipients[i - 1].seal(self.plaintext(i) if pt is None else pt)


@pytest.mark.parametrize("c", ALL_CURVES)
def test_import_open_share_every_signer(lib, c):
    s = ImportSetup(c, "ctypes-open-" + c.name)
    for i in range(1, s.n + 1):
        st, share, pub, pub_len = lib.import_open_share(s.recipients[i - 1].secret, c, i, s.n, s.t, s.ct(i))
        assert st == KP_OK, f"signer {i}: status {st}: {lib.detail()}"
        assert int.from_bytes(share, "big") == s.shares[i]
        assert pub_len == c.pub_len
        assert pub[:pub_len] == c.public_key(s.key)


def _digest_ref(c: W.Curve, t: int, n: int, shares: dict) -> bytes:
    """keyport.h kp_import_open_share_digest, from its documentation, with hashlib: the public
    shares in their compressed form (c.public_key), not the plaintext's wire form."""
    import hashlib
    m = b"keyport public_shares v1\0" + c.name.encode() + b"\0" + t.to_bytes(4, "big") + n.to_bytes(4, "big")
    return hashlib.sha256(m + b"".join(c.public_key(shares[x]) for x in range(1, n + 1))).digest()


@pytest.mark.parametrize("c", ALL_CURVES)
def test_import_open_share_digest_of_public_shares(lib, c):
    """Every signer of one polynomial reports one digest (checked against hashlib); signers given
    a polynomial each, with the same value at 0, report the same group key but other digests."""
    f = lib.so.kp_import_open_share_digest
    f.argtypes = [c_void_p, POINTER(c_uint8), POINTER(c_uint8), POINTER(c_size_t), POINTER(c_uint8),
                  POINTER(c_uint8), c_int, c_uint, c_uint, c_uint, POINTER(c_uint8), c_size_t]
    f.restype = c_int

    def open_digest(s, i, pt):
        ct = s.recipients[i - 1].seal(pt)
        share, pub, digest, pub_len = Bytes32(), (c_uint8 * 65)(), Bytes32(*([0xAA] * 32)), c_size_t()
        st = f(lib.ctx, share, pub, byref(pub_len), digest, Bytes32(*s.recipients[i - 1].secret.to_bytes(32, "big")),
               CURVE_IDS[c.name], i, s.n, s.t, (c_uint8 * len(ct)).from_buffer_copy(ct), len(ct))
        assert st == KP_OK, f"signer {i}: status {st}: {lib.detail()}"
        return bytes(pub)[:pub_len.value], bytes(digest)

    s = ImportSetup(c, "ctypes-digest-" + c.name)
    want = _digest_ref(c, s.t, s.n, s.shares)
    for i in range(1, s.n + 1):
        pub, digest = open_digest(s, i, s.plaintext(i))
        assert digest == want and pub == c.public_key(s.key)
    seen = set()
    for i in range(1, s.n + 1):
        _, mine = W.shamir_split(s.key, s.t, range(1, s.n + 1), c.order, s.rng)
        pubs = [c.public_wire(mine[x]) for x in range(1, s.n + 1)]
        pub, digest = open_digest(s, i, W.import_plaintext(c, mine[i], pubs))
        assert pub == c.public_key(s.key), "the same value at 0: the same group key"
        assert digest == _digest_ref(c, s.t, s.n, mine) and digest != want and digest not in seen
        seen.add(digest)


def _expect_refused(lib, s: ImportSetup, i: int, ct: bytes, want: int | None, c=None, index=None, n=None, t=None):
    st, share, pub, pub_len = lib.import_open_share(s.recipients[i - 1].secret, c or s.c, index or i,
                                                    n or s.n, t or s.t, ct)
    assert st != KP_OK, "kp_import_open_share accepted bad data"
    assert st != KP_ERR_MISUSE
    if want is not None:
        assert st == want, f"status {st}, want {want}: {lib.detail()}"
    assert share == b"\x00" * 32, "the share output must be zeroed on failure"
    assert lib.detail(), "a failure must leave a detail message"


@pytest.mark.parametrize("c", ALL_CURVES)
def test_import_open_share_refuses(lib, c):
    s = ImportSetup(c, "ctypes-refuse-" + c.name)
    i = 2
    good = s.ct(i)
    # Altered ciphertext, tag, ephemeral point; another recipient's key.
    for pos in (0, len(good) - 40, len(good) - 1):
        bad = bytearray(good)
        bad[pos] ^= 0x02
        _expect_refused(lib, s, i, bytes(bad), KP_ERR_DECRYPT)
    _expect_refused(lib, s, i, s.recipients[0].seal(s.plaintext(i)), KP_ERR_DECRYPT)
    _expect_refused(lib, s, i, good[:48], KP_ERR_DECRYPT)
    # Opened at the wrong position: share·G != public_shares[index-1].
    _expect_refused(lib, s, i, good, KP_ERR_SHARE_MISMATCH, index=3)
    # A share that does not match its public share.
    off = W.import_plaintext(c, (s.shares[i] + 1) % c.order, s.pubs)
    _expect_refused(lib, s, i, s.ct(i, off), KP_ERR_SHARE_MISMATCH)
    # Another signer's public share replaced: the n points are not on one degree t-1 polynomial.
    pubs = list(s.pubs)
    pubs[4] = c.public_wire(c.random_scalar(s.rng))
    _expect_refused(lib, s, i, s.ct(i, W.import_plaintext(c, s.shares[i], pubs)), KP_ERR_SHARE_MISMATCH)
    # Wrong threshold: the public shares are of degree 2, not 1.
    _expect_refused(lib, s, i, good, KP_ERR_SHARE_MISMATCH, t=2)
    # Tagged with another curve.
    other = W.STARK if c is not W.STARK else W.SECP256K1
    _expect_refused(lib, s, i, good, KP_ERR_CURVE_MISMATCH, c=other)
    # n disagrees with the number of public shares; version 2; not JSON.
    _expect_refused(lib, s, i, good, None, n=4)
    _expect_refused(lib, s, i, s.ct(i, s.plaintext(i).replace(b'"version":1', b'"version":2')), None)
    _expect_refused(lib, s, i, s.ct(i, b"[1,2,3]"), None)


def test_import_open_share_ignores_unknown_fields(lib):
    c = W.SECP256K1
    s = ImportSetup(c, "ctypes-unknown-fields")
    pt = s.plaintext(1)[:-1] + b',"chain_code":"00","future":{"x":[1]}}'
    st, share, pub, pub_len = lib.import_open_share(s.recipients[0].secret, c, 1, s.n, s.t, s.ct(1, pt))
    assert st == KP_OK, lib.detail()
    assert int.from_bytes(share, "big") == s.shares[1]


# --------------------------------------------------------------------------- export, signer side

@pytest.mark.parametrize("c", ALL_CURVES)
def test_export_seal_share_opens_in_python(lib, c):
    rng = random.Random("ctypes-seal-" + c.name)
    r = W.Recipient.random(rng)
    eph = set()
    # whole-scalar indices (docs/wire.md §2): small, >= 2^32, and random full-size ones
    for index in (1, 7, 2**32 - 1, 2**32, c.random_scalar(rng), c.order - 1):
        share = c.random_scalar(rng)
        ct = lib.export_seal_share(r.ek, c, index, share)
        want = W.export_plaintext(c, index, share)
        assert len(ct) == len(want) + 49
        if c is W.SECP256K1:
            assert len(ct) == 281
        assert r.open(ct) == want
        eph.add(ct[-33:])
    assert len(eph) == 6, "a fresh ephemeral key per share"


# --------------------------------------------------------------------------- small cross-checks

def test_envelope_both_ways(lib):
    rng = random.Random("ctypes-envelope")
    r = W.Recipient.random(rng)
    m = rng.randbytes(100)
    ct = (c_uint8 * (len(m) + 49))()
    assert lib.func("kp_envelope_seal")(lib.ctx, ct, Bytes33(*r.ek), (c_uint8 * len(m))(*m), len(m)) == KP_OK
    assert r.open(bytes(ct)) == m
    ct2 = r.seal(m)
    out = (c_uint8 * len(m))()
    sec = Bytes32(*r.secret.to_bytes(32, "big"))
    assert lib.func("kp_envelope_open")(lib.ctx, out, sec, (c_uint8 * len(ct2)).from_buffer_copy(ct2), len(ct2)) == KP_OK
    assert bytes(out) == m
    bad = bytearray(ct2)
    bad[3] ^= 1
    assert lib.func("kp_envelope_open")(lib.ctx, out, sec, (c_uint8 * len(bad)).from_buffer_copy(bad),
                                   len(bad)) == KP_ERR_DECRYPT


def test_seed_to_scalar_and_public_keys(lib):
    rng = random.Random("ctypes-small")
    for _ in range(3):
        seed = rng.randbytes(32)
        out = Bytes32()
        assert lib.func("kp_ed25519_seed_to_scalar")(out, Bytes32(*seed)) == KP_OK
        assert int.from_bytes(bytes(out), "big") == W.ed25519_seed_to_scalar(seed)
    for c in (W.SECP256K1, W.ED25519, W.STARK):
        k = c.random_scalar(rng)
        pub = (c_uint8 * 65)()
        n = c_size_t()
        assert lib.func("kp_public_key")(lib.ctx, pub, byref(n), CURVE_IDS[c.name], Bytes32(*k.to_bytes(32, "big"))) == KP_OK
        assert bytes(pub)[:n.value] == c.public_key(k)
    r = W.Recipient.random(rng)
    text = (ctypes.c_char * 49)()
    assert lib.func("kp_encryption_key_encode")(text, Bytes33(*r.ek)) == KP_OK
    assert text.value.decode() == r.ek_b64
