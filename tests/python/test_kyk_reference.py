"""Independent reference code for the Know Your Key tests (operators, approvals, the audit log),
and self-tests of it.

Everything here is written from the formats documented in libcore/include/keyport.h (and the
sealed-secret layout in libcore/src/context.c), with PyNaCl for Ed25519, Argon2id and
XChaCha20-Poly1305. Nothing here calls keyport: the other test_kyk_* modules compare keyport's
files and output to what this code computes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import nacl.bindings
import nacl.exceptions
import nacl.pwhash.argon2id
import nacl.signing
import pytest

import kphelp

# --------------------------------------------------------------------------- exit codes

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_INPUT = 3
EXIT_DECRYPT = 4
EXIT_IO = 6
EXIT_NOT_APPROVED = 7
EXIT_LOG = 8

# --------------------------------------------------------------------------- JSON


class DupKey(ValueError):
    pass


def _no_dup(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise DupKey(f"duplicate JSON key in {keys}")
    return dict(pairs)


def loads(data: bytes | str):
    """json.loads that keeps key order and refuses duplicate keys."""
    return json.loads(data, object_pairs_hook=_no_dup)


def compact(obj) -> bytes:
    """Compact JSON (no spaces), UTF-8 kept as is (keyport escapes only quotes, backslashes and
    control characters)."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- fingerprints

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
FINGERPRINT_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")


def crockford32(data: bytes) -> str:
    """Crockford base32, 5 bits at a time, most significant bit first (len(data)*8 % 5 == 0)."""
    assert len(data) * 8 % 5 == 0
    n = int.from_bytes(data, "big")
    nchars = len(data) * 8 // 5
    return "".join(CROCKFORD[(n >> (5 * (nchars - 1 - i))) & 31] for i in range(nchars))


def fingerprint(pk: bytes) -> str:
    """keyport.h kp_fingerprint: first 10 bytes of SHA-256("keyport-operator-v1" || pk), Crockford
    base32, four groups of four joined by '-'."""
    s = crockford32(sha256(b"keyport-operator-v1" + pk)[:10])
    return "-".join(s[i:i + 4] for i in range(0, 16, 4))


def encryption_key_fingerprint(ek: bytes) -> str:
    """keyport.h kp_encryption_key_fingerprint: first 8 bytes of SHA-256(key) as 16 hex digits."""
    return sha256(ek)[:8].hex()


# --------------------------------------------------------------------------- sealed secrets

SEALED_BYTES = 102
SEALED_HDR = 54
KDF_ARGON2ID13 = 2
INTERACTIVE_OPS = 2
INTERACTIVE_MEM_KIB = 64 * 1024


@dataclass
class SealedHeader:
    magic: bytes
    version: int
    kdf: int
    ops: int
    mem_kib: int
    salt: bytes
    nonce: bytes


def sealed_header(blob: bytes) -> SealedHeader:
    assert len(blob) == SEALED_BYTES, f"a sealed secret is {SEALED_BYTES} bytes, not {len(blob)}"
    return SealedHeader(blob[:4], blob[4], blob[5], int.from_bytes(blob[6:10], "big"),
                        int.from_bytes(blob[10:14], "big"), blob[14:30], blob[30:54])


def open_sealed(blob: bytes, passphrase: bytes, magic: bytes) -> bytes:
    """Opens a 102-byte sealed secret: magic | 1 | 2 (Argon2id v1.3) | ops u32 BE | mem KiB u32 BE |
    salt 16 | nonce 24 | XChaCha20-Poly1305(secret 32) with the 54-byte header as associated data.
    Raises nacl.exceptions.CryptoError on a wrong passphrase."""
    h = sealed_header(blob)
    assert h.magic == magic and h.version == 1 and h.kdf == KDF_ARGON2ID13, h
    key = nacl.pwhash.argon2id.kdf(32, passphrase, h.salt, opslimit=h.ops, memlimit=h.mem_kib * 1024)
    secret = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(blob[SEALED_HDR:], blob[:SEALED_HDR], h.nonce, key)
    assert len(secret) == 32
    return secret


def seal(secret: bytes, passphrase: bytes, magic: bytes, ops: int = INTERACTIVE_OPS,
         mem_kib: int = INTERACTIVE_MEM_KIB) -> bytes:
    """The inverse of open_sealed (for the self-test)."""
    hdr = magic + bytes([1, KDF_ARGON2ID13]) + ops.to_bytes(4, "big") + mem_kib.to_bytes(4, "big") \
        + os.urandom(16) + os.urandom(24)
    key = nacl.pwhash.argon2id.kdf(32, passphrase, hdr[14:30], opslimit=ops, memlimit=mem_kib * 1024)
    return hdr + nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(secret, hdr, hdr[30:54], key)


def valid_ed25519_point(pk: bytes) -> bool:
    return len(pk) == 32 and bool(nacl.bindings.crypto_core_ed25519_is_valid_point(pk))


# --------------------------------------------------------------------------- operators

OPERATOR_FIELDS = ["version", "type", "name", "publicKey", "sealedSecret"]


@dataclass
class Operator:
    name: str
    path: Path
    passfile: Path
    passphrase: bytes
    pk: bytes
    file_bytes: bytes
    new_stdout: str
    _seed: bytes | None = field(default=None, repr=False)

    @property
    def pk_hex(self) -> str:
        return self.pk.hex()

    def seed(self) -> bytes:
        """The operator's Ed25519 seed, opened independently from the operator file."""
        if self._seed is None:
            doc = loads(self.file_bytes)
            self._seed = open_sealed(base64.b64decode(doc["sealedSecret"], validate=True), self.passphrase, b"KPOP")
        return self._seed

    def signing_key(self) -> nacl.signing.SigningKey:
        sk = nacl.signing.SigningKey(self.seed())
        assert bytes(sk.verify_key) == self.pk, "the sealed seed does not belong to publicKey"
        return sk


def make_operator(kp: kphelp.Keyport, name: str, passphrase: bytes | None = None) -> Operator:
    passphrase = passphrase if passphrase is not None else f"pass phrase of {name}".encode()
    passfile = kp.write(f"{name}.pass", passphrase)
    out = kp.path(f"{name}.kpo")
    r = kp.ok("operator", "new", "--name", name, "--out", out, "--passphrase-file", passfile, "--kdf", "interactive")
    data = out.read_bytes()
    doc = loads(data)
    return Operator(name, out, passfile, passphrase, bytes.fromhex(doc["publicKey"]), data, r.out.decode())


# --------------------------------------------------------------------------- policies

def policy_bytes(pid: str, ops: list[tuple[str, bytes]], quorum: dict[str, int]) -> bytes:
    """keyport.h: {"version":1,"id":…,"operators":[{"name":…,"publicKey":…}…],
    "quorum":{"import":M,"export":M,"archive":M}} (compact)."""
    return compact({"version": 1, "id": pid,
                    "operators": [{"name": n, "publicKey": pk.hex()} for n, pk in ops],
                    "quorum": {"import": quorum["import"], "export": quorum["export"], "archive": quorum["archive"]}})


# --------------------------------------------------------------------------- approvals

STATEMENT_FIELDS = ["type", "version", "policy", "action", "keyId", "request", "nonce", "time", "expires", "operator"]


def statement(policy: str, action: str, key_id: str | None, request_hash: bytes, nonce: bytes, time: int,
              expires: int, operator_pk: bytes) -> dict:
    """An approval statement's fields in the documented order (keyId absent for import)."""
    s = {"type": "keyport-approval", "version": 1, "policy": policy, "action": action}
    if key_id is not None:
        s["keyId"] = key_id
    s.update({"request": request_hash.hex(), "nonce": nonce.hex(), "time": time, "expires": expires,
              "operator": operator_pk.hex()})
    return s


def canonical(stmt: dict) -> bytes:
    """The canonical bytes of a statement, re-made from its fields in the documented order."""
    unknown = set(stmt) - set(STATEMENT_FIELDS)
    assert not unknown, f"unknown statement fields {unknown}"
    return compact({k: stmt[k] for k in STATEMENT_FIELDS if k in stmt})


def sign_approval(sk: nacl.signing.SigningKey, stmt: dict, raw: bytes | None = None) -> dict:
    """{"statement":…,"signature":<128 hex>} signed over canonical(stmt) (or over `raw`)."""
    msg = canonical(stmt) if raw is None else raw
    return {"statement": stmt, "signature": sk.sign(msg).signature.hex()}


def bundle_bytes(approvals: list[dict]) -> bytes:
    return compact({"version": 1, "approvals": approvals}) + b"\n"


def verify_approval(entry: dict) -> bool:
    """Verifies one bundle entry with PyNaCl over the re-made canonical bytes."""
    stmt = entry["statement"]
    try:
        nacl.signing.VerifyKey(bytes.fromhex(stmt["operator"])).verify(canonical(stmt),
                                                                        bytes.fromhex(entry["signature"]))
        return True
    except nacl.exceptions.BadSignatureError:
        return False


# --------------------------------------------------------------------------- the audit log

ENTRY_FIELDS = ["seq", "time", "event", "keyId", "publicKey", "actors", "details", "prev", "writer", "sig"]
SIG_SUFFIX = 8 + 128 + 2  # ,"sig":"<128 hex>"}


def log_lines(data: bytes) -> list[bytes]:
    assert data.endswith(b"\n"), "a complete log ends with a newline"
    return data[:-1].split(b"\n")


def signed_part(line: bytes) -> bytes:
    """The bytes the writer signs: the line without its final ,"sig":"…" member."""
    assert re.fullmatch(rb',"sig":"[0-9a-f]{128}"\}', line[-SIG_SUFFIX:]), line[-SIG_SUFFIX:]
    return line[:-SIG_SUFFIX] + b"}"


def make_entry(sk: nacl.signing.SigningKey, seq: int, time: int, event: str, key_id, public_key, actors,
               details: dict, prev: bytes, writer: bytes | None = None) -> bytes:
    """One log line as the documented format has it, signed by sk (writer defaults to sk's key)."""
    writer = bytes(sk.verify_key) if writer is None else writer
    body = compact({"seq": seq, "time": time, "event": event, "keyId": key_id, "publicKey": public_key,
                    "actors": actors, "details": details, "prev": prev.hex(), "writer": writer.hex()})
    sig = sk.sign(body).signature
    return body[:-1] + b',"sig":"' + sig.hex().encode() + b'"}'


def check_log(data: bytes, writer_pk: bytes, writer_name: str | None = None) -> list[dict]:
    """Verifies a whole log independently; returns the parsed entries."""
    lines = log_lines(data)
    entries = []
    prev = bytes(32)
    vk = nacl.signing.VerifyKey(writer_pk)
    for i, line in enumerate(lines):
        e = loads(line)
        assert list(e) == ENTRY_FIELDS, f"line {i + 1}: fields {list(e)}"
        assert e["seq"] == i, f"line {i + 1} holds seq {e['seq']}"
        assert e["prev"] == prev.hex(), f"line {i + 1}: prev is not the SHA-256 of line {i}"
        assert e["writer"] == writer_pk.hex(), f"line {i + 1}: writer {e['writer']}"
        assert line.endswith(b',"sig":"' + e["sig"].encode() + b'"}')
        vk.verify(signed_part(line), bytes.fromhex(e["sig"]))  # raises BadSignatureError
        assert compact(e) == line, f"line {i + 1} is not compact JSON in the documented form"
        assert isinstance(e["time"], int) and isinstance(e["actors"], list) and isinstance(e["details"], dict)
        entries.append(e)
        prev = sha256(line)
    assert entries, "the log is empty"
    e0 = entries[0]
    assert e0["event"] == "log.created" and e0["details"] == {"writerKey": writer_pk.hex()}
    assert e0["keyId"] is None and e0["publicKey"] is None
    if writer_name is not None:
        assert e0["actors"] == [writer_name]
    return entries


# =========================================================================== self-tests

def test_crockford_known_answers():
    assert crockford32(bytes(10)) == "0" * 16
    assert crockford32(b"\xff" * 10) == "Z" * 16
    # 0x08 0x42 ... : 00001 00001 00001 00001 ... -> "1111..."
    assert crockford32(bytes.fromhex("0842108421") * 2) == "1" * 16
    # the alphabet in order: 0..31 packed 5 bits each
    n = 0
    for v in range(16):
        n = (n << 5) | v
    assert crockford32(n.to_bytes(10, "big")) == CROCKFORD[:16]
    n = 0
    for v in range(16, 32):
        n = (n << 5) | v
    assert crockford32(n.to_bytes(10, "big")) == CROCKFORD[16:]
    assert not set("ILOU") & set(CROCKFORD)


def test_fingerprint_format_and_input():
    pk = bytes(nacl.signing.SigningKey(bytes(range(32))).verify_key)
    fp = fingerprint(pk)
    assert FINGERPRINT_RE.match(fp) and len(fp) == 19
    h = hashlib.sha256(b"keyport-operator-v1" + pk).digest()
    bits = "".join(f"{b:08b}" for b in h[:10])
    assert fp.replace("-", "") == "".join(CROCKFORD[int(bits[i:i + 5], 2)] for i in range(0, 80, 5))
    assert fingerprint(pk[:-1] + bytes([pk[-1] ^ 1])) != fp


def test_sealed_round_trip_and_wrong_passphrase():
    secret = os.urandom(32)
    blob = seal(secret, b"pw", b"KPOP", ops=1, mem_kib=8 * 1024)
    assert len(blob) == SEALED_BYTES
    assert open_sealed(blob, b"pw", b"KPOP") == secret
    with pytest.raises(nacl.exceptions.CryptoError):
        open_sealed(blob, b"pX", b"KPOP")
    bad = bytearray(blob)
    bad[SEALED_HDR + 3] ^= 1  # the ciphertext
    with pytest.raises(nacl.exceptions.CryptoError):
        open_sealed(bytes(bad), b"pw", b"KPOP")


def test_statement_canonical_form():
    s = statement("p", "import", None, bytes(32), bytes(16), 5, 6, bytes(32))
    assert "keyId" not in s
    assert canonical(s) == (b'{"type":"keyport-approval","version":1,"policy":"p","action":"import","request":"'
                            + b"0" * 64 + b'","nonce":"' + b"0" * 32 + b'","time":5,"expires":6,"operator":"'
                            + b"0" * 64 + b'"}')
    s = statement("p", "export", "k", bytes(32), bytes(16), 5, 6, bytes(32))
    assert list(s) == STATEMENT_FIELDS
    shuffled = dict(reversed(list(s.items())))
    assert canonical(shuffled) == canonical(s)


def test_log_reference_signs_and_checks():
    sk = nacl.signing.SigningKey(bytes(range(1, 33)))
    pk = bytes(sk.verify_key)
    l0 = make_entry(sk, 0, 100, "log.created", None, None, ["w"], {"writerKey": pk.hex()}, bytes(32))
    l1 = make_entry(sk, 1, 101, "x.y", "k", None, ["w"], {"a": 1}, sha256(l0))
    assert len(l0) - len(signed_part(l0)) == SIG_SUFFIX - 1 == 137
    entries = check_log(l0 + b"\n" + l1 + b"\n", pk, "w")
    assert [e["seq"] for e in entries] == [0, 1]
    bad = l1.replace(b'"a":1', b'"a":2')
    with pytest.raises(nacl.exceptions.BadSignatureError):
        check_log(l0 + b"\n" + bad + b"\n", pk)
