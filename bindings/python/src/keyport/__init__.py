"""keyport: move private keys into and out of threshold (MPC) signing clusters, in the Dfns v1
wire format, from Python. A typed binding over libkeyport (the C library of the keyport project).

Wire bodies (signers lists, import requests, export requests and responses, approval bundles)
are bytes: the exact bytes approvals digest. body_dict() and the Dfns-named helpers give dicts.
Private keys are SecretKey objects whose bytes stay in libkeyport's secure memory:

    with ctx.recover(response) as key:
        buf = bytearray(32)
        key.copy_into(buf)

Passphrases are bytes-like, never str: read them with keyport.getpass() or keyport.read_secret().
"""

from __future__ import annotations

import base64
import enum
import json
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Final, Iterable, Mapping, Sequence, Union

from . import _keyport
from ._errors import (
    CLASSES,
    ApprovalError,
    AuditLogError,
    DecryptionError,
    EncodingError,
    InternalError,
    InvalidKeyError,
    KeyFormatError,
    KeyportError,
    KeyportIOError,
    KeyportMemoryError,
    MisuseError,
    RecoveryError,
    SharingError,
    SignerStatus,
    WrongContextError,
    error_class,
)
from ._keyport import AuditLog, Credential, Operator, Policy, SecretKey, SignerList
from ._status import Status

__version__: Final = "0.1.0"
LIBRARY_VERSION: Final[str] = _keyport.LIBRARY_VERSION

Buffer = Union[bytes, bytearray, memoryview]
"""What every input takes: bytes, bytearray or memoryview."""
Document = Union[bytes, bytearray, memoryview, str]
"""A JSON document or request body: bytes-like, or str (UTF-8)."""


class Curve(enum.StrEnum):
    """The curves, equal to their wire names."""

    SECP256K1 = "secp256k1"
    ED25519 = "ed25519"
    STARK = "stark"


class Protocol(enum.StrEnum):
    """The protocols, equal to their wire names."""

    CGGMP21 = "CGGMP21"
    CGGMP24 = "CGGMP24"
    FROST = "FROST"
    FROST_BITCOIN = "FROST_BITCOIN"


class Kdf(enum.StrEnum):
    """Argon2id cost of a sealed export context or operator (scrypt cost of a keystore)."""

    INTERACTIVE = "interactive"
    MODERATE = "moderate"
    SENSITIVE = "sensitive"


class Action(enum.StrEnum):
    """What an approval approves."""

    IMPORT = "import"
    EXPORT = "export"
    ARCHIVE = "archive"
    SIGN = "sign"  # optional: only a policy that names it asks approvals for signatures


SCHEMES: Final[tuple[tuple[Protocol, Curve], ...]] = (
    (Protocol.CGGMP21, Curve.SECP256K1),
    (Protocol.CGGMP21, Curve.STARK),
    (Protocol.CGGMP24, Curve.SECP256K1),
    (Protocol.CGGMP24, Curve.STARK),
    (Protocol.FROST, Curve.ED25519),
    (Protocol.FROST_BITCOIN, Curve.SECP256K1),
)
"""Every supported (protocol, curve) pair."""


@dataclass(frozen=True)
class Culprit:
    """A signer whose share was provably bad, and why."""

    signer_id: str
    code: int
    reason: str


@dataclass(frozen=True)
class RecoveryReport:
    """The signer table of a recovery: each signer's state, the culprits, the groups keyport
    cannot tell apart, and a sentence on what could not be resolved."""

    signers: list[SignerStatus]
    culprits: list[Culprit]
    unresolved: list[list[str]]
    note: str
    unique: bool
    min_signers: int


@dataclass(frozen=True)
class Signer:
    """One signer of GET /signers, in sorted order: its signerId and encryption key (33 bytes)."""

    signer_id: str
    encryption_key: bytes


@dataclass(frozen=True)
class KeyFormat:
    name: str
    in_curves: list[Curve]
    out_curves: list[Curve]
    default_curve: Curve | None
    path: int
    passphrase: int
    summary: str
    refusal: str | None
    aliases: list[str]


@dataclass(frozen=True)
class Address:
    kind: str
    label: str
    text: str


@dataclass(frozen=True)
class Verdict:
    """One approval of a bundle: whether it counted (code 0) and why not."""

    code: int
    text: str
    operator: str | None
    public_key: bytes

    @property
    def counted(self) -> bool:
        return self.code == 0


@dataclass(frozen=True)
class ApprovalReport:
    quorum_met: bool
    counted: int
    needed: int
    approvals: list[Verdict]


@dataclass(frozen=True)
class AuditReport:
    """The result of verifying an audit log. problem: 0 when ok (see PROBLEMS)."""

    ok: bool
    problem: int
    entries: int
    line: int
    seq: int
    head: str
    writer: str
    message: str

    @property
    def problem_name(self) -> str:
        return AUDIT_PROBLEMS[self.problem]


AUDIT_PROBLEMS: Final[tuple[str, ...]] = (
    "ok", "empty", "changed", "other-key", "removed", "reordered", "inserted", "truncated", "torn")


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    time: int
    event: str
    key_id: str | None
    public_key: str | None
    actors: list[str]
    details: dict[str, Any]
    line: str = field(repr=False)



# ---------------------------------------------------------------- small helpers


def _doc(d: Document | Mapping[str, Any]) -> Document:
    if isinstance(d, Mapping):
        return json.dumps(d, separators=(",", ":"), ensure_ascii=False).encode()
    return d


def body_dict(body: Document) -> dict[str, Any]:
    """A wire body as a dict (camelCase keys, as on the wire)."""
    text = body if isinstance(body, str) else bytes(body).decode("utf-8")
    out = json.loads(text)
    if not isinstance(out, dict):
        raise EncodingError(12, "KP_ERR_JSON", "the body is not a JSON object")
    return out


def strerror(code: int) -> str:
    """libkeyport's sentence for a status code."""
    return _keyport.strerror(code)


def status_name(code: int) -> str | None:
    """The name of a status code (KP_ERR_...), None for a number not in the table."""
    return _keyport.status_name(code)


def wipe(buf: bytearray | memoryview) -> None:
    """Overwrites a writable buffer with zeros."""
    _keyport.wipe(buf)


def fingerprint(operator_public_key: Buffer) -> str:
    """The fingerprint of an operator's key that people read aloud (XXXX-XXXX-XXXX-XXXX)."""
    return _keyport.fingerprint(operator_public_key)


def encryption_key_encode(key: Buffer) -> str:
    """The wire form of an encryption key: base64(0x01 || 33-byte point)."""
    return _keyport.encryption_key_encode(key)


def encryption_key_decode(text: Document) -> bytes:
    return _keyport.encryption_key_decode(text)


def encryption_key_fingerprint(key: Buffer) -> str:
    return _keyport.encryption_key_fingerprint(key)


def secure_unlocked_count() -> int:
    """How many secure allocations could not be locked in memory (0: all are locked)."""
    return _keyport.secure_unlocked_count()


def getpass(prompt: str = "Passphrase: ", *, fd: int | None = None) -> bytearray:
    """Reads a passphrase from the terminal without echo, into a bytearray (never a str), without
    its final newline. fd: a terminal descriptor to use instead of /dev/tty. Wipe it when done."""
    import termios

    own = fd is None
    tty = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY) if fd is None else fd
    out = bytearray()
    try:
        old = termios.tcgetattr(tty)
        new = list(old)
        new[3] = new[3] & ~termios.ECHO
        os.write(tty, prompt.encode())
        termios.tcsetattr(tty, termios.TCSAFLUSH, new)
        try:
            while True:
                b = os.read(tty, 1)  # a one-byte bytes object: CPython's shared singletons, no copy
                if not b or b == b"\n" or b == b"\r":
                    break
                out += b
        finally:
            termios.tcsetattr(tty, termios.TCSAFLUSH, old)
            os.write(tty, b"\n")
    except BaseException:
        wipe(out)
        raise
    finally:
        if own:
            os.close(tty)
    return out


def read_secret(path: str | os.PathLike[str], *, strip_newline: bool = True) -> bytearray:
    """Reads a secret file (a passphrase, a key's text) into a bytearray with readinto, so that
    no immutable copy is made. One final newline is dropped."""
    with open(path, "rb", buffering=0) as f:
        size = os.fstat(f.fileno()).st_size
        out = bytearray(size + 1)
        n = f.readinto(out) or 0
        if n > size:
            wipe(out)
            raise KeyportIOError(61, "KP_ERR_IO", f"{os.fspath(path)}: the file grew while it was read")
    view = memoryview(out)
    end = n - 1 if strip_newline and n > 0 and out[n - 1] == 0x0A else n
    result = bytearray(view[:end])
    view.release()
    wipe(out)
    return result


# ---------------------------------------------------------------- curves, keys, formats and addresses


def secret_key(curve: Curve | str, scalar: Buffer) -> SecretKey:
    """A SecretKey from a 32-byte big-endian scalar (checked against the curve's order)."""
    return _keyport.secret_from_scalar(Curve(curve), scalar)


def random_key(curve: Curve | str) -> SecretKey:
    """A fresh random private key on a curve."""
    return _keyport.secret_random(Curve(curve))


def parse_key(text: Buffer, format: str = "hex", *, curve: Curve | str | None = None, path: str | None = None,
              passphrase: Buffer | None = None) -> SecretKey:
    """Reads a private key in any input format of key_formats() (hex, ed25519-seed, wif,
    mnemonic with path, xprv, keystore with passphrase, solana-keypair, ...). The text is bytes-like.
    Runs without the GIL (keystores use scrypt or PBKDF2)."""
    return _keyport.parse_key(text, format, None if curve is None else Curve(curve), path, passphrase)


def public_key_of(text: Buffer, format: str = "hex", *, curve: Curve | str | None = None, path: str | None = None,
                  passphrase: Buffer | None = None) -> tuple[Curve, bytes]:
    """A key's curve and public key only (every input format, and xpub)."""
    c, pub = _keyport.parse_key(text, format, None if curve is None else Curve(curve), path, passphrase, True)
    return Curve(c), pub


def key_formats() -> list[KeyFormat]:
    """The key formats libkeyport reads and writes."""
    out = []
    for name, ins, outs, default, path, passphrase, summary, refusal, aliases in _keyport.key_formats():
        out.append(KeyFormat(name, [Curve(c) for c in ins], [Curve(c) for c in outs],
                             None if default is None else Curve(default), path, passphrase, summary, refusal,
                             aliases.split(",") if aliases else []))
    return out


def key_write_check(format: str, curve: Curve | str | None = None) -> None:
    """Raises KeyFormatError, saying why, when a key cannot be written in format."""
    _keyport.key_write_check(format, None if curve is None else Curve(curve))


def addresses(curve: Curve | str, public_key: Buffer, protocol: Protocol | str | None = None) -> list[Address]:
    """The addresses of a public key to confirm it by (Ethereum, Bitcoin P2WPKH/P2TR, Solana, Stark)."""
    return [Address(*a) for a in _keyport.addresses(Curve(curve), public_key,
                                                    None if protocol is None else Protocol(protocol))]


# ---------------------------------------------------------------- import


def signers(document: Document | Mapping[str, Any], cluster_id: str | None = None) -> list[Signer]:
    """The signers of a GET /signers response, sorted by decoded signerId (as import uses them)."""
    return [Signer(i, ek) for i, ek in parse_signers(document, cluster_id).entries()]


def parse_signers(document: Document | Mapping[str, Any], cluster_id: str | None = None) -> SignerList:
    """A GET /signers response parsed once, for many import_prepare() calls to the same signers."""
    return _keyport.parse_signers(_doc(document), cluster_id)


def import_prepare(signers: SignerList | Document | Mapping[str, Any], key: SecretKey | Buffer, *, protocol: Protocol | str,
                   curve: Curve | str | None = None, min_signers: int = 3, name: str | None = None,
                   cluster_id: str | None = None, key_format: str | None = None, path: str | None = None,
                   passphrase: Buffer | None = None) -> bytes:
    """The body of POST /keys/import: the key split min_signers-of-n, one share encrypted to each
    signer of the GET /signers response (its body, or a SignerList). key: a SecretKey, or the key's
    text (bytes-like) in key_format (default hex; every input format of key_formats()). Runs
    without the GIL."""
    doc = signers if isinstance(signers, SignerList) else _doc(signers)
    return _keyport.import_prepare(doc, key, None if curve is None else Curve(curve), Protocol(protocol),
                                   min_signers, name, cluster_id, key_format, path, passphrase)


def _default_protocol(curve: Curve) -> Protocol:
    return Protocol.FROST if curve == Curve.ED25519 else Protocol.CGGMP21


def split_private_key_for_signers(signers: Document | Mapping[str, Any], private_key: SecretKey | Buffer,
                                  key_curve: Curve | str, key_scheme: Protocol | str | None = None,
                                  min_signers: int = 3, name: str | None = None, *,
                                  key_format: str | None = None) -> dict[str, Any]:
    """Dfns' splitPrivateKeyForSigners: the import request as a camelCase dict, ready for
    dfns_sdk's client.keys.import_key(body). private_key: a SecretKey, or its text (hex by
    default). import_prepare gives the same body as bytes."""
    curve = Curve(key_curve)
    protocol = Protocol(key_scheme) if key_scheme is not None else _default_protocol(curve)
    return body_dict(import_prepare(signers, private_key, protocol=protocol, curve=curve, min_signers=min_signers,
                                    name=name, key_format=key_format))


def scheme_check(protocol: Protocol | str, curve: Curve | str) -> None:
    """Raises InvalidKeyError (listing the valid pairs) unless (protocol, curve) is supported."""
    _keyport.scheme_check(Protocol(protocol), Curve(curve))


def key_name_check(name: Document) -> None:
    _keyport.key_name_check(name)


# ---------------------------------------------------------------- export


class ExportContext:
    """An export context: an ephemeral encryption key that every signer encrypts its share to.

    ExportContext.new() makes one; seal(passphrase) gives the sealed file (102 bytes);
    ExportContext.open(file, passphrase) opens it again. export_request() is the body of
    POST /keys/{keyId}/export; recover(response) recovers the key. Use it as a context manager,
    or call wipe(), to wipe the context secret."""

    __slots__ = ("_c",)

    def __init__(self, _c: _keyport._Context) -> None:
        self._c = _c

    @classmethod
    def new(cls) -> "ExportContext":
        return cls(_keyport.context_new())

    @classmethod
    def from_secret(cls, key: SecretKey) -> "ExportContext":
        """A context whose secret is a secp256k1 SecretKey, e.g. the decryption key of an export
        context made by another tool (Dfns' own)."""
        return cls(_keyport.context_from_secret(key))

    @classmethod
    def open(cls, file: Buffer, passphrase: Buffer) -> "ExportContext":
        """Opens a sealed context (Argon2id, without the GIL). DecryptionError: a wrong passphrase
        or an altered file."""
        return cls(_keyport.context_open(file, passphrase))

    def seal(self, passphrase: Buffer, kdf: Kdf | str = Kdf.MODERATE) -> bytes:
        """The sealed context file under a passphrase (bytes-like), Argon2id at kdf's cost."""
        return self._c.seal(passphrase, Kdf(kdf))

    @property
    def encryption_key(self) -> bytes:
        return self._c.encryption_key

    @property
    def encryption_key_b64(self) -> str:
        return encryption_key_encode(self._c.encryption_key)

    @property
    def fingerprint(self) -> str:
        return encryption_key_fingerprint(self._c.encryption_key)

    def export_request(self, delete: bool | None = None,
                       schemes: Sequence[tuple[Protocol | str, Curve | str]] | None = None) -> bytes:
        """The body of POST /keys/{keyId}/export. schemes: the exact supportedSchemes (default:
        the four pairs Dfns' 2025 client parses); delete: adds "delete":true/false."""
        sc = None if schemes is None else [(Protocol(p), Curve(c)) for p, c in schemes]
        return self._c.export_request(delete, sc)

    def get_conf(self) -> dict[str, Any]:
        """Dfns' getConf(): {"encryptionKey", "supportedSchemes"} as a dict."""
        return body_dict(self.export_request())

    def recover(self, response: Document | Mapping[str, Any]) -> SecretKey:
        """Recovers the key from an export response (its exact bytes, or a dict) without the
        GIL. The key's report holds the signer table. RecoveryError (with .signers) when it
        cannot be recovered; WrongContextError when the response was made for another context."""
        doc = _doc(response)
        try:
            return self._c.recover(doc)
        except RecoveryError as e:
            raise type(e)(e.code, e.name, e.detail, self._failure_table(doc)) from None

    def recover_secret_key(self, response: Document | Mapping[str, Any]) -> SecretKey:
        """Dfns' recoverSecretKey: the same as recover()."""
        return self.recover(response)

    def _failure_table(self, doc: Document) -> list[SignerStatus]:
        table = []
        for sid, ct in _shares_of(doc):
            if ct is None:
                table.append(SignerStatus(sid, "bad", 11, "its encryptedKeyShare is not base64"))
            elif self._c._opens(ct):
                table.append(SignerStatus(sid, "opened"))
            else:
                table.append(SignerStatus(sid, "bad", 30, "its share did not decrypt with this export context"))
        return table

    def wipe(self) -> None:
        self._c.wipe()

    def __enter__(self) -> "ExportContext":
        return self

    def __exit__(self, *exc: object) -> None:
        self.wipe()

    def __reduce__(self) -> Any:
        raise TypeError("an ExportContext cannot be pickled: seal() it under a passphrase")

    def __repr__(self) -> str:
        return f"<keyport.ExportContext fingerprint={self.fingerprint}>"


def new_wallet_export_context() -> ExportContext:
    """Dfns' newWalletExportContext(): an ExportContext with get_conf() and recover_secret_key()."""
    return ExportContext.new()


def _shares_of(doc: Document) -> list[tuple[str, bytes | None]]:
    try:
        d = body_dict(doc)
        entries = d.get("encryptedKeyShares", [])
    except (ValueError, UnicodeDecodeError):
        return []
    out: list[tuple[str, bytes | None]] = []
    for e in entries if isinstance(entries, list) else []:
        if not isinstance(e, dict):
            continue
        sid, ct = e.get("signerId"), e.get("encryptedKeyShare")
        raw: bytes | None
        try:
            raw = base64.b64decode(ct, validate=True) if isinstance(ct, str) else None
        except ValueError:
            raw = None
        out.append((str(sid), raw))
    return out


def _report(doc: bytes, facts: tuple[list[tuple[str, int, str]], list[list[str]], str, bool, int]) -> RecoveryReport:
    culprits_raw, groups, note, unique, t = facts
    culprits = [Culprit(*c) for c in culprits_raw]
    bad = {c.signer_id: c for c in culprits}
    grouped = {s for g in groups for s in g}
    table, seen = [], set()
    for sid, _ct in _shares_of(doc):
        if sid in seen:
            continue
        seen.add(sid)
        if sid in bad:
            table.append(SignerStatus(sid, "bad", bad[sid].code, bad[sid].reason))
        elif sid in grouped or not unique:
            table.append(SignerStatus(sid, "unresolved"))
        else:
            table.append(SignerStatus(sid, "good"))
    return RecoveryReport(table, culprits, groups, note, unique, t)


# ---------------------------------------------------------------- operators, policies, approvals


def policy_write(policy_id: str, operators: Iterable[tuple[str, Buffer] | Operator],
                 quorum: Mapping[Action | str, int]) -> bytes:
    """A policy document: operators (Operator objects or (name, public key) pairs) and a quorum
    per action, e.g. {"import": 2, "export": 2, "archive": 2}."""
    ops = [(o.name, o.public_key) if isinstance(o, Operator) else (o[0], bytes(o[1])) for o in operators]
    return Policy.write(policy_id, ops, {str(Action(a)): int(q) for a, q in quorum.items()})


def approve(operator: Operator, policy: Policy, action: Action | str, request: Document, *,
            key_id: str | None = None, bundle: Document | None = None, now: int | None = None,
            ttl: int = 600) -> bytes:
    """Makes an approval by an unlocked operator of one exact request body and returns the
    bundle: a new one, or bundle with this approval added."""
    return _keyport.approval_sign(operator, policy, Action(action), request, key_id, bundle, now, ttl)


def verify_approvals(policy: Policy, action: Action | str, request: Document, bundle: Document, *,
                     key_id: str | None = None, now: int | None = None,
                     used_nonces: set[bytes] | None = None) -> ApprovalReport:
    """Checks a bundle for one exact request. used_nonces: a set of nonces already used (replay
    protection; the counted nonces are added when the quorum is met)."""
    met, counted, needed, items = _keyport.approvals_verify(policy, Action(action), request, bundle, key_id, now,
                                                            used_nonces)
    return ApprovalReport(met, counted, needed, [Verdict(*v) for v in items])


# ---------------------------------------------------------------- the audit log


def verify_audit_log(text: Document, *, writer_key: Buffer | None = None, head: Buffer | str | None = None
                     ) -> AuditReport:
    """Verifies a whole audit log (every line, signature and link). head: a head recorded
    earlier (hex or 32 bytes) that must be in the log."""
    h = bytes.fromhex(head) if isinstance(head, str) else head
    return AuditReport(*_keyport.audit_verify(text, writer_key, h))


def audit_entries(text: Document) -> list[AuditEntry]:
    """The well-formed entries of a log, oldest first (verify it with verify_audit_log)."""
    return [AuditEntry(seq, t, ev, kid, pub, actors, json.loads(details), line)
            for seq, t, ev, kid, pub, actors, details, line in _keyport.audit_entries(text)]


_keyport._register(dict(CLASSES), {"Curve": Curve, "Protocol": Protocol, "_make_report": _report})


def now() -> int:
    return int(time.time())


from ._client import ApiError, ClusterClient  # noqa: E402
from ._signer import LocalCluster, SignerNode  # noqa: E402

__all__ = [
    "AUDIT_PROBLEMS", "Action", "Address", "ApiError", "ApprovalError", "ApprovalReport", "AuditEntry", "AuditLog",
    "AuditLogError", "AuditReport", "Buffer", "ClusterClient", "Credential", "Culprit", "Curve", "DecryptionError",
    "Document", "EncodingError", "ExportContext", "InternalError", "InvalidKeyError", "Kdf", "KeyFormat",
    "KeyFormatError", "KeyportError", "KeyportIOError", "KeyportMemoryError", "LIBRARY_VERSION", "LocalCluster",
    "MisuseError", "Operator", "Policy", "Protocol", "RecoveryError", "RecoveryReport", "SCHEMES", "SecretKey",
    "SharingError", "Signer", "SignerList", "SignerNode", "SignerStatus", "Status", "Verdict", "WrongContextError", "addresses",
    "approve", "audit_entries", "body_dict", "encryption_key_decode", "encryption_key_encode",
    "encryption_key_fingerprint", "error_class", "fingerprint", "getpass", "import_prepare", "key_formats",
    "key_name_check", "key_write_check", "new_wallet_export_context", "now", "parse_key", "parse_signers", "policy_write",
    "public_key_of", "random_key", "read_secret", "scheme_check", "secret_key", "secure_unlocked_count", "signers",
    "split_private_key_for_signers", "status_name", "strerror", "verify_approvals", "verify_audit_log", "wipe",
]

del sys
