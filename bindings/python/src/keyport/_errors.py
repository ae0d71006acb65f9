"""The exception hierarchy, made from libkeyport's status table (keyport_status.h).

One class per family (the tens digit of the code), and three more specific classes:
MisuseError (code 1), WrongContextError (33) and RecoveryError (42), which carries the signer
table of the failed recovery. Every code of the table maps to exactly one class (CLASSES).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from . import _keyport
from ._status import Status


class KeyportError(Exception):
    """A libkeyport call failed. code: the status number; name: its name (KP_ERR_...);
    detail: what was wrong and where, for a person to read (never a secret)."""

    code: int
    name: str
    detail: str

    def __init__(self, code: int, name: str, detail: str, *rest: object) -> None:
        super().__init__(code, name, detail, *rest)
        self.code = code
        self.name = name
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.detail} ({self.name})"


class MisuseError(KeyportError):
    """libkeyport or the binding was called against its contract (a wiped key, a closed log, a
    NULL where none is allowed). The interpreter is never aborted."""


class InternalError(KeyportError):
    """Randomness or a cryptographic library failed (family 0)."""


class KeyportMemoryError(KeyportError, MemoryError):
    """Out of memory (KP_ERR_NOMEM)."""


class EncodingError(KeyportError, ValueError):
    """Malformed hex, base64 or JSON, a missing or bad field, a wrong version (family 1)."""


class InvalidKeyError(KeyportError, ValueError):
    """An unknown curve or scheme, a bad scalar or point, an invalid encryption key (family 2)."""


class DecryptionError(KeyportError):
    """Decryption failed: the wrong key or passphrase, or altered data (one error for both), or
    a file that is not an export context (family 3)."""


class SharingError(KeyportError, ValueError):
    """A threshold out of range, duplicate or too many signers, an unknown cluster (family 4)."""


@dataclass(frozen=True)
class SignerStatus:
    """One signer of an export response, as recovery saw it.

    state: "good" (its share opened and lies on the key's polynomial), "opened" (it opened, but
    recovery failed as a whole), "bad" (provably bad; code and reason say why), or "unresolved"
    (in a group keyport cannot tell apart from another)."""

    signer_id: str
    state: str
    code: int = 0
    reason: str = ""


class RecoveryError(SharingError):
    """The key could not be recovered (KP_ERR_NOT_ENOUGH). signers: the signer table."""

    signers: list[SignerStatus]

    def __init__(self, code: int, name: str, detail: str, signers: list[SignerStatus] | None = None) -> None:
        super().__init__(code, name, detail)
        self.signers = list(signers or [])


class WrongContextError(RecoveryError, DecryptionError):
    """No share opens with this export context: the response was made for another one."""


class ApprovalError(KeyportError):
    """A signature, policy or operator error (family 5)."""


class AuditLogError(KeyportError):
    """The audit log does not verify, or belongs to another writer (family 6)."""


class KeyportIOError(KeyportError, OSError):
    """A file could not be read, written or synced (KP_ERR_IO); also a cluster that gave no answer."""

    def __init__(self, code: int, name: str, detail: str, *rest: object) -> None:
        KeyportError.__init__(self, code, name, detail, *rest)


class KeyFormatError(KeyportError, ValueError):
    """A key format's text is malformed, mistyped, or not for this key or curve (family 7)."""


FAMILIES: Final[dict[int, type[KeyportError]]] = {
    0: InternalError,
    1: EncodingError,
    2: InvalidKeyError,
    3: DecryptionError,
    4: SharingError,
    5: ApprovalError,
    6: AuditLogError,
    7: KeyFormatError,
}

SPECIFIC: Final[dict[int, type[KeyportError]]] = {
    1: MisuseError,
    2: KeyportMemoryError,
    33: WrongContextError,
    42: RecoveryError,
    61: KeyportIOError,
}



def _build() -> dict[int, type[KeyportError]]:
    out: dict[int, type[KeyportError]] = {}
    for code in Status:
        if code == 0:
            continue
        out[int(code)] = SPECIFIC.get(code) or FAMILIES.get(code // 10, KeyportError)
    return out


CLASSES: Final[dict[int, type[KeyportError]]] = _build()


def error_class(code: int) -> type[KeyportError]:
    """The exception class of a status code."""
    return CLASSES.get(code, KeyportError)
