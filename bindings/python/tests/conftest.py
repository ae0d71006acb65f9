"""Shared helpers of the binding's tests: the vectors, and an independent implementation of the
share envelope and plaintexts (docs/wire.md §1-2) over pyca/cryptography and coincurve, so that what the
binding writes is read, and what it reads is written, by code that is not libkeyport's."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import coincurve
import nacl.bindings
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

import keyport

VECTORS = Path(__file__).resolve().parent / "vectors"
PASS = bytearray(b"correct horse battery staple")

SECP_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
ED_L = 2**252 + 27742317777372353535851937790883648493
STARK_N = 0x0800000000000010FFFFFFFFFFFFFFFFB781126DCAE7B2321E66A241ADC64D2F
ORDERS = {"secp256k1": SECP_N, "ed25519": ED_L, "stark": STARK_N}
SCHEMES = [("CGGMP21", "secp256k1"), ("CGGMP24", "stark"), ("FROST", "ed25519"), ("FROST_BITCOIN", "secp256k1")]


def vector(name: str) -> Any:
    return json.loads((VECTORS / name).read_text())


def compact(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def _kdf(shared33: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, b"DFNS_KEY_IMPORT", b"ENCRYPTION_KEY").derive(shared33)


def seal(encryption_key: bytes, m: bytes) -> bytes:
    """docs/wire.md §1 with coincurve and cryptography."""
    e = coincurve.PrivateKey()
    shared = coincurve.PublicKey(encryption_key).multiply(e.secret).format(compressed=True)
    return AESGCM(_kdf(shared)).encrypt(bytes(12), m, None) + e.public_key.format(compressed=True)


def open_envelope(secret: bytes, ct: bytes) -> bytes:
    body, eph = ct[:-33], ct[-33:]
    shared = coincurve.PublicKey(eph).multiply(secret).format(compressed=True)
    return AESGCM(_kdf(shared)).decrypt(bytes(12), body, None)


def public_of(curve: str, scalar: int) -> bytes:
    """The wire public key, by independent code (coincurve, PyNaCl); stark is not covered here."""
    if curve == "secp256k1":
        return coincurve.PrivateKey(scalar.to_bytes(32, "big")).public_key.format(compressed=True)
    if curve == "ed25519":
        return nacl.bindings.crypto_scalarmult_ed25519_base_noclamp(scalar.to_bytes(32, "little"))
    raise ValueError(curve)


def lagrange0(points: list[tuple[int, int]], n: int) -> int:
    s = 0
    for i, (xi, yi) in enumerate(points):
        num, den = 1, 1
        for j, (xj, _) in enumerate(points):
            if i != j:
                num = num * (-xj) % n
                den = den * (xi - xj) % n
        s = (s + yi * num * pow(den, -1, n)) % n
    return s


def secret_bytes(key: keyport.SecretKey) -> bytes:
    buf = bytearray(32)
    key.copy_into(buf)
    return bytes(buf)


@pytest.fixture
def passphrase() -> bytearray:
    return bytearray(PASS)


@pytest.fixture
def cluster() -> keyport.LocalCluster:
    return keyport.LocalCluster(5)


def fast_kdf() -> keyport.Kdf:
    return keyport.Kdf.INTERACTIVE


def random_scalar(curve: str) -> int:
    return int.from_bytes(os.urandom(40), "big") % (ORDERS[curve] - 1) + 1


def b58(data: bytes) -> str:
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    n, out = int.from_bytes(data, "big"), ""
    while n:
        n, r = divmod(n, 58)
        out = alphabet[r] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out
