"""An independent reference implementation of the Dfns v1 wire format (docs/wire.md).

Written from docs/wire.md alone, without looking at keyport's C code, so that the tests can
cross-check keyport against it byte for byte.  Nothing here is hardened: it is test code.

Building blocks:
  - curves: secp256k1 (coincurve), ed25519 (libsodium through nacl.bindings), stark
    (pure-Python affine arithmetic);
  - the ECIES share envelope (docs/wire.md §1) and the encryptionKey base64 form;
  - the plaintext JSON writers and readers (docs/wire.md §2);
  - request and response writers (docs/wire.md §3, §4);
  - Shamir sharing over each curve's order and Lagrange interpolation, on scalars and on points;
  - the RFC 8032 seed -> signing scalar rule (docs/wire.md §4 step 1).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import random
from typing import Iterable, Sequence

import coincurve
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from nacl import bindings as sodium

# --------------------------------------------------------------------------- constants

SECP256K1_P = 2**256 - 2**32 - 977
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

ED25519_L = 2**252 + 27742317777372353535851937790883648493
ED25519_IDENTITY = b"\x01" + b"\x00" * 31

# Stark curve y^2 = x^3 + ALPHA*x + BETA over GF(STARK_P), prime group order STARK_N.
# Provenance: github.com/starkware-libs/cairo-lang @ 66355d7d99f1962ff9ccba8d0dbacbce3bd79bf8,
# src/starkware/crypto/signature/pedersen_params.json (FIELD_PRIME, ALPHA, BETA, EC_ORDER and the
# generator CONSTANT_POINTS[1]), as copied into shared vectors/stark-curve-params.cairo-lang.json.
STARK_P = 0x800000000000011000000000000000000000000000000000000000000000001
STARK_ALPHA = 0x1
STARK_BETA = 0x6F21413EFBE40DE150E596D72F7A8C5609AD26C15C915C1F4CDFCB99CEE9E89
STARK_N = 0x800000000000010FFFFFFFFFFFFFFFFB781126DCAE7B2321E66A241ADC64D2F
STARK_GX = 0x1EF15C18599971B7BECED415A40F0C7DEACFD9B0D1819E03D723D8BC943CFCA
STARK_GY = 0x5668060AA49730B7BE4801DF46EC62DE53ECD11ABE43A32873000C36E8DC1F
# The decimal forms in the source, kept to check the hex above was copied right.
STARK_P_DEC = 3618502788666131213697322783095070105623107215331596699973092056135872020481
STARK_BETA_DEC = 3141592653589793238462643383279502884197169399375105820974944592307816406665
STARK_N_DEC = 3618502788666131213697322783095070105526743751716087489154079457884512865583
STARK_GX_DEC = 874739451078007766457464989774322083649278607533249481151382481072868806602
STARK_GY_DEC = 152666792071518830868575557812948353041420400780739481342941381225525861407

# docs/wire.md §1
HKDF_SALT = b"DFNS_KEY_IMPORT"
HKDF_INFO = b"ENCRYPTION_KEY"
GCM_NONCE = b"\x00" * 12
ENVELOPE_OVERHEAD = 16 + 33

# docs/wire.md §3 / §4
VALID_SCHEMES = (
    ("CGGMP21", "secp256k1"),
    ("CGGMP21", "stark"),
    ("CGGMP24", "secp256k1"),
    ("CGGMP24", "stark"),
    ("FROST", "ed25519"),
    ("FROST_BITCOIN", "secp256k1"),
)
# The supportedSchemes array keyport sends in an export request, in this order.
EXPORT_SUPPORTED_SCHEMES = (
    ("CGGMP21", "secp256k1"),
    ("CGGMP21", "stark"),
    ("FROST", "ed25519"),
    ("FROST_BITCOIN", "secp256k1"),
)


class WireError(ValueError):
    """Data that docs/wire.md says must be refused."""


# --------------------------------------------------------------------------- hex / base64

def b64(data: bytes) -> str:
    """Standard base64 with padding."""
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    """Strict standard base64 with padding (raises WireError)."""
    try:
        out = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise WireError(f"bad base64: {text!r}") from exc
    if b64(out) != text:
        raise WireError(f"non-canonical base64: {text!r}")
    return out


def scalar_hex(k: int) -> str:
    return k.to_bytes(32, "big").hex()


def unhex_lower(text: str, nbytes: int | None = None) -> bytes:
    """Lower-case hex, optionally of an exact byte length (raises WireError)."""
    if not isinstance(text, str) or text != text.lower() or len(text) % 2:
        raise WireError(f"not lower-case hex: {text!r}")
    try:
        out = bytes.fromhex(text)
    except ValueError as exc:
        raise WireError(f"not hex: {text!r}") from exc
    if nbytes is not None and len(out) != nbytes:
        raise WireError(f"hex of {len(out)} bytes, want {nbytes}")
    return out


# --------------------------------------------------------------------------- stark arithmetic

def _sqrt_mod(a: int, p: int) -> int | None:
    """A square root of a mod the odd prime p (Tonelli-Shanks), or None."""
    a %= p
    if a == 0:
        return 0
    if pow(a, (p - 1) // 2, p) != 1:
        return None
    if p % 4 == 3:
        return pow(a, (p + 1) // 4, p)
    q, s = p - 1, 0
    while q % 2 == 0:
        q //= 2
        s += 1
    z = 2
    while pow(z, (p - 1) // 2, p) != p - 1:
        z += 1
    m, c, t, r = s, pow(z, q, p), pow(a, q, p), pow(a, (q + 1) // 2, p)
    while t != 1:
        i, t2 = 0, t
        while t2 != 1:
            t2 = t2 * t2 % p
            i += 1
        b = pow(c, 1 << (m - i - 1), p)
        m, c, t, r = i, b * b % p, t * b * b % p, r * b % p
    return r


def stark_on_curve(P) -> bool:
    if P is None:
        return False
    x, y = P
    return 0 <= x < STARK_P and 0 <= y < STARK_P and (
        y * y - (x * x * x + STARK_ALPHA * x + STARK_BETA)) % STARK_P == 0


def stark_add(P, Q):
    """Affine addition; None is the point at infinity."""
    if P is None:
        return Q
    if Q is None:
        return P
    p = STARK_P
    x1, y1 = P
    x2, y2 = Q
    if x1 == x2:
        if (y1 + y2) % p == 0:
            return None
        lam = (3 * x1 * x1 + STARK_ALPHA) * pow(2 * y1, -1, p) % p
    else:
        lam = (y2 - y1) * pow(x2 - x1, -1, p) % p
    x3 = (lam * lam - x1 - x2) % p
    y3 = (lam * (x1 - x3) - y1) % p
    return (x3, y3)


def stark_neg(P):
    return None if P is None else (P[0], (-P[1]) % STARK_P)


def stark_mul(k: int, P):
    """k·P by double-and-add; k is not reduced (so that N·G can be checked)."""
    if k < 0:
        return stark_mul(-k, stark_neg(P))
    R = None
    while k:
        if k & 1:
            R = stark_add(R, P)
        P = stark_add(P, P)
        k >>= 1
    return R


STARK_G = (STARK_GX, STARK_GY)


# --------------------------------------------------------------------------- curves

class Curve:
    """One curve's scalar field and group, with the encodings docs/wire.md uses.

    Points are of a curve-specific type; compare them through wire().
    """

    name: str
    order: int
    pub_len: int          # length of the wire publicKey
    wire_point_len: int   # length of a point in the plaintext JSON

    def base_mul(self, k: int):
        raise NotImplementedError

    def mul(self, P, k: int):
        raise NotImplementedError

    def add(self, P, Q):
        raise NotImplementedError

    def wire(self, P) -> bytes:
        """The point as it appears in the plaintext JSON (docs/wire.md §2)."""
        raise NotImplementedError

    def from_wire(self, data: bytes):
        raise NotImplementedError

    def pub(self, P) -> bytes:
        """The point as a publicKey (docs/wire.md §3): compressed, or 32 bytes for ed25519."""
        raise NotImplementedError

    def from_pub(self, data: bytes):
        raise NotImplementedError

    # Convenience.
    def public_key(self, k: int) -> bytes:
        return self.pub(self.base_mul(k))

    def public_wire(self, k: int) -> bytes:
        return self.wire(self.base_mul(k))

    def random_scalar(self, rng: random.Random) -> int:
        return rng.randrange(1, self.order)

    def __repr__(self) -> str:
        return self.name


class Secp256k1(Curve):
    name = "secp256k1"
    order = SECP256K1_N
    pub_len = 33
    wire_point_len = 65

    def base_mul(self, k):
        k %= self.order
        if k == 0:
            raise WireError("zero scalar")
        return coincurve.PublicKey.from_secret(k.to_bytes(32, "big"))

    def mul(self, P, k):
        k %= self.order
        if k == 0:
            raise WireError("zero scalar")
        return P.multiply(k.to_bytes(32, "big"))

    def add(self, P, Q):
        return coincurve.PublicKey.combine_keys([P, Q])

    def wire(self, P):
        return P.format(compressed=False)

    def from_wire(self, data):
        if len(data) != 65 or data[0] != 4:
            raise WireError("secp256k1 point must be 65 bytes 04||x||y")
        try:
            return coincurve.PublicKey(bytes(data))
        except Exception as exc:  # coincurve raises ValueError or its own errors
            raise WireError("not a secp256k1 point") from exc

    def pub(self, P):
        return P.format(compressed=True)

    def from_pub(self, data):
        if len(data) != 33 or data[0] not in (2, 3):
            raise WireError("secp256k1 publicKey must be 33 bytes 02/03||x")
        try:
            return coincurve.PublicKey(bytes(data))
        except Exception as exc:
            raise WireError("not a secp256k1 point") from exc


class Ed25519(Curve):
    name = "ed25519"
    order = ED25519_L
    pub_len = 32
    wire_point_len = 32

    # libsodium takes scalars little-endian; the wire has them big-endian (docs/wire.md §2).
    def base_mul(self, k):
        k %= self.order
        if k == 0:
            raise WireError("zero scalar")
        return sodium.crypto_scalarmult_ed25519_base_noclamp(k.to_bytes(32, "little"))

    def mul(self, P, k):
        k %= self.order
        if k == 0:
            raise WireError("zero scalar")
        return sodium.crypto_scalarmult_ed25519_noclamp(k.to_bytes(32, "little"), P)

    def add(self, P, Q):
        return sodium.crypto_core_ed25519_add(P, Q)

    def wire(self, P):
        return bytes(P)

    def from_wire(self, data):
        data = bytes(data)
        if len(data) != 32 or not sodium.crypto_core_ed25519_is_valid_point(data):
            raise WireError("not a valid ed25519 point (or small order)")
        return data

    def pub(self, P):
        return bytes(P)

    def from_pub(self, data):
        return self.from_wire(data)


class Stark(Curve):
    name = "stark"
    order = STARK_N
    pub_len = 33
    wire_point_len = 65

    def base_mul(self, k):
        k %= self.order
        if k == 0:
            raise WireError("zero scalar")
        return stark_mul(k, STARK_G)

    def mul(self, P, k):
        k %= self.order
        if k == 0:
            raise WireError("zero scalar")
        return stark_mul(k, P)

    def add(self, P, Q):
        R = stark_add(P, Q)
        if R is None:
            raise WireError("sum is the point at infinity")
        return R

    def wire(self, P):
        if P is None:
            raise WireError("the point at infinity has no encoding")
        return b"\x04" + P[0].to_bytes(32, "big") + P[1].to_bytes(32, "big")

    def from_wire(self, data):
        if len(data) != 65 or data[0] != 4:
            raise WireError("stark point must be 65 bytes 04||x||y")
        P = (int.from_bytes(data[1:33], "big"), int.from_bytes(data[33:], "big"))
        if not stark_on_curve(P):
            raise WireError("not a stark curve point")
        return P

    def pub(self, P):
        if P is None:
            raise WireError("the point at infinity has no encoding")
        return bytes([2 + (P[1] & 1)]) + P[0].to_bytes(32, "big")

    def from_pub(self, data):
        if len(data) != 33 or data[0] not in (2, 3):
            raise WireError("stark publicKey must be 33 bytes 02/03||x")
        x = int.from_bytes(data[1:], "big")
        if x >= STARK_P:
            raise WireError("x not below the field prime")
        y = _sqrt_mod(x * x * x + STARK_ALPHA * x + STARK_BETA, STARK_P)
        if y is None:
            raise WireError("x is not on the stark curve")
        if (y & 1) != (data[0] & 1):
            y = STARK_P - y
        return (x, y)


SECP256K1 = Secp256k1()
ED25519 = Ed25519()
STARK = Stark()
CURVES = {c.name: c for c in (SECP256K1, ED25519, STARK)}


def curve(name: str) -> Curve:
    return CURVES[name]


# --------------------------------------------------------------------------- Shamir

def poly_eval(coeffs: Sequence[int], x: int, order: int) -> int:
    acc = 0
    for c in reversed(coeffs):
        acc = (acc * x + c) % order
    return acc


def shamir_split(secret: int, t: int, xs: Iterable[int], order: int,
                 rng: random.Random) -> tuple[list[int], dict[int, int]]:
    """A random polynomial of degree t-1 with f(0) = secret; returns (coefficients, {x: f(x)})."""
    xs = list(xs)
    if not 2 <= t <= len(xs):
        raise ValueError("need 2 <= t <= n")
    if len(set(xs)) != len(xs) or any(x % order == 0 for x in xs):
        raise ValueError("indices must be distinct and non-zero")
    while True:
        coeffs = [secret % order] + [rng.randrange(1, order) for _ in range(t - 1)]
        shares = {x: poly_eval(coeffs, x, order) for x in xs}
        if all(shares.values()):
            return coeffs, shares


def lagrange_coeffs_at_zero(xs: Sequence[int], order: int) -> list[int]:
    if len(set(x % order for x in xs)) != len(xs):
        raise ValueError("duplicate indices")
    out = []
    for i, xi in enumerate(xs):
        num, den = 1, 1
        for j, xj in enumerate(xs):
            if i != j:
                num = num * xj % order
                den = den * (xj - xi) % order
        out.append(num * pow(den, -1, order) % order)
    return out


def interpolate_at_zero(points: Sequence[tuple[int, int]], order: int) -> int:
    xs = [x for x, _ in points]
    lam = lagrange_coeffs_at_zero(xs, order)
    return sum(l * y for l, (_, y) in zip(lam, points)) % order


def interpolate_at(points: Sequence[tuple[int, int]], x: int, order: int) -> int:
    """The value at x of the polynomial of degree len(points)-1 through the points."""
    acc = 0
    for i, (xi, yi) in enumerate(points):
        num, den = 1, 1
        for j, (xj, _) in enumerate(points):
            if i != j:
                num = num * (x - xj) % order
                den = den * (xi - xj) % order
        acc = (acc + yi * num * pow(den, -1, order)) % order
    return acc


def interpolate_points_at_zero(c: Curve, points: Sequence[tuple[int, object]]):
    """Lagrange interpolation 'in the exponent': sum of lambda_i · P_i."""
    xs = [x for x, _ in points]
    lam = lagrange_coeffs_at_zero(xs, c.order)
    acc = None
    for l, (_, P) in zip(lam, points):
        term = c.mul(P, l)
        acc = term if acc is None else c.add(acc, term)
    return acc


# --------------------------------------------------------------------------- ed25519 seed

def ed25519_seed_to_scalar(seed: bytes) -> int:
    """docs/wire.md §4 step 1: SHA-512, first half, clamp, little-endian, reduce mod l."""
    if len(seed) != 32:
        raise ValueError("an RFC 8032 seed is 32 bytes")
    h = bytearray(hashlib.sha512(seed).digest()[:32])
    h[0] &= 0xF8
    h[31] &= 0x7F
    h[31] |= 0x40
    return int.from_bytes(h, "little") % ED25519_L


# --------------------------------------------------------------------------- envelope (docs/wire.md §1)

class EnvelopeError(Exception):
    pass


def _random_secp_scalar() -> int:
    while True:
        k = int.from_bytes(os.urandom(32), "big")
        if 0 < k < SECP256K1_N:
            return k


def envelope_key(shared_point_compressed: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=HKDF_SALT,
                info=HKDF_INFO).derive(shared_point_compressed)


def seal(encryption_key: bytes, message: bytes, ephemeral: int | None = None) -> bytes:
    """Encrypt(ek, m) = AES-256-GCM(k, nonce 0^12, aad '') -> ct || tag || E (33 bytes)."""
    if len(encryption_key) != 33:
        raise ValueError("encryption key must be a 33-byte compressed point")
    e = _random_secp_scalar() if ephemeral is None else ephemeral
    eb = e.to_bytes(32, "big")
    E = coincurve.PublicKey.from_secret(eb).format(compressed=True)
    S = coincurve.PublicKey(encryption_key).multiply(eb).format(compressed=True)
    ct_tag = AESGCM(envelope_key(S)).encrypt(GCM_NONCE, message, b"")
    return ct_tag + E


def open_envelope(secret: int, data: bytes) -> bytes:
    if len(data) < ENVELOPE_OVERHEAD:
        raise EnvelopeError("shorter than the envelope overhead")
    body, E = data[:-33], data[-33:]
    try:
        S = coincurve.PublicKey(E).multiply(secret.to_bytes(32, "big")).format(compressed=True)
        return AESGCM(envelope_key(S)).decrypt(GCM_NONCE, body, b"")
    except Exception as exc:
        raise EnvelopeError(str(exc) or type(exc).__name__) from exc


class Recipient:
    """An envelope key pair: dk and ek = dk·G (docs/wire.md §1 step 1)."""

    def __init__(self, secret: int):
        if not 0 < secret < SECP256K1_N:
            raise ValueError("secret out of range")
        self.secret = secret
        self.ek = SECP256K1.public_key(secret)

    @classmethod
    def random(cls, rng: random.Random) -> "Recipient":
        return cls(rng.randrange(1, SECP256K1_N))

    @property
    def ek_b64(self) -> str:
        return encryption_key_b64(self.ek)

    def seal(self, m: bytes) -> bytes:
        return seal(self.ek, m)

    def open(self, c: bytes) -> bytes:
        return open_envelope(self.secret, c)


def encryption_key_b64(ek: bytes) -> str:
    """base64(0x01 || 33-byte compressed point), 48 characters."""
    if len(ek) != 33:
        raise ValueError("encryption key must be 33 bytes")
    return b64(b"\x01" + ek)


def decode_encryption_key(text: str) -> bytes:
    raw = unb64(text)
    if len(raw) != 34 or raw[0] != 1:
        raise WireError("encryptionKey must be base64 of 0x01 || 33-byte point")
    SECP256K1.from_pub(raw[1:])
    return raw[1:]


# --------------------------------------------------------------------------- plaintexts (docs/wire.md §2)

def scalar_json(c: Curve, k: int) -> str:
    return '{"curve":"%s","scalar":"%s"}' % (c.name, scalar_hex(k))


def point_json(c: Curve, wire_bytes: bytes) -> str:
    return '{"curve":"%s","point":"%s"}' % (c.name, wire_bytes.hex())


def export_plaintext(c: Curve, index: int, share: int) -> bytes:
    return ('{"version":1,"index":%s,"secret_share":%s}'
            % (scalar_json(c, index), scalar_json(c, share))).encode("ascii")


def import_plaintext(c: Curve, share: int, public_shares_wire: Sequence[bytes]) -> bytes:
    pubs = ",".join(point_json(c, p) for p in public_shares_wire)
    return ('{"version":1,"secret_share":%s,"public_shares":[%s]}'
            % (scalar_json(c, share), pubs)).encode("ascii")


def _no_dup_object(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise WireError(f"duplicate JSON key in {keys}")
    return dict(pairs)


def _loads(data: bytes | str):
    try:
        return json.loads(data, object_pairs_hook=_no_dup_object)
    except (ValueError, UnicodeDecodeError) as exc:
        if isinstance(exc, WireError):
            raise
        raise WireError(f"malformed JSON: {exc}") from exc


def parse_scalar(c: Curve, obj, allow_zero: bool = False) -> int:
    if not isinstance(obj, dict) or not isinstance(obj.get("curve"), str):
        raise WireError("scalar must be an object with a curve")
    if obj["curve"] != c.name:
        raise WireError(f"scalar tagged {obj['curve']!r}, want {c.name!r}")
    k = int.from_bytes(unhex_lower(obj.get("scalar"), 32), "big")
    if k >= c.order or (k == 0 and not allow_zero):
        raise WireError("scalar is zero or not below the order")
    return k


def parse_point(c: Curve, obj) -> bytes:
    """Returns the wire bytes after checking they encode a non-identity point."""
    if not isinstance(obj, dict) or not isinstance(obj.get("curve"), str):
        raise WireError("point must be an object with a curve")
    if obj["curve"] != c.name:
        raise WireError(f"point tagged {obj['curve']!r}, want {c.name!r}")
    raw = unhex_lower(obj.get("point"), c.wire_point_len)
    c.from_wire(raw)
    return raw


def _check_version(doc):
    if not isinstance(doc, dict):
        raise WireError("plaintext must be a JSON object")
    if doc.get("version") != 1 or isinstance(doc.get("version"), bool):
        raise WireError("version must be 1")


def parse_export_plaintext(c: Curve, data: bytes) -> tuple[int, int]:
    doc = _loads(data)
    _check_version(doc)
    return parse_scalar(c, doc.get("index")), parse_scalar(c, doc.get("secret_share"))


def parse_import_plaintext(c: Curve, data: bytes) -> tuple[int, list[bytes]]:
    doc = _loads(data)
    _check_version(doc)
    share = parse_scalar(c, doc.get("secret_share"))
    pubs = doc.get("public_shares")
    if not isinstance(pubs, list) or not pubs:
        raise WireError("public_shares must be a non-empty list")
    return share, [parse_point(c, p) for p in pubs]


# --------------------------------------------------------------------------- requests and responses

def compact(obj) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def export_request(ek: bytes, delete: bool | None = None) -> str:
    """The body of POST /keys/{keyId}/export as keyport writes it (no trailing newline)."""
    body = {
        "encryptionKey": encryption_key_b64(ek),
        "supportedSchemes": [{"protocol": p, "curve": c} for p, c in EXPORT_SUPPORTED_SCHEMES],
    }
    if delete is not None:
        body["delete"] = delete
    return compact(body)


def export_response(c: Curve, protocol: str, public_key: bytes, min_signers: int,
                    shares: Sequence[tuple[str, bytes]]) -> str:
    """docs/wire.md §3 response; shares are (signerId base64, ciphertext bytes)."""
    return compact({
        "publicKey": public_key.hex(),
        "minSigners": min_signers,
        "curve": c.name,
        "protocol": protocol,
        "encryptedKeyShares": [{"signerId": sid, "encryptedKeyShare": b64(ct)} for sid, ct in shares],
    })


def import_request(c: Curve, protocol: str, min_signers: int, shares: Sequence[tuple[str, bytes]],
                   name: str | None = None) -> str:
    """docs/wire.md §4 POST /keys/import body, fields in the documented order."""
    body = {}
    if name is not None:
        body["name"] = name
    body.update({
        "curve": c.name,
        "protocol": protocol,
        "minSigners": min_signers,
        "encryptedKeyShares": [{"signerId": sid, "encryptedKeyShare": b64(ct)} for sid, ct in shares],
    })
    return compact(body)


def signers_response(clusters: Sequence[tuple[str, Sequence[tuple[str, str]]]]) -> str:
    """GET /signers: clusters = [(clusterId, [(signerId b64, encryptionKey b64), ...]), ...]."""
    return compact({"clusters": [
        {"clusterId": cid, "signers": [{"signerId": s, "encryptionKey": k} for s, k in signers]}
        for cid, signers in clusters]})


def parse_json_strict(data: bytes | str):
    """json.loads that refuses duplicate keys (for reading keyport's output)."""
    return _loads(data)


def sort_signer_ids(ids: Iterable[str]) -> list[str]:
    """docs/wire.md §4 step 2: ascending by decoded signerId bytes."""
    return sorted(ids, key=unb64)
