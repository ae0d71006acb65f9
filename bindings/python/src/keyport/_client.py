"""The cluster client: a Dfns-compatible API (keyportd, or a Dfns cluster) over libkeyport's
libcurl client, with user action signing (docs/wire.md §5) and operator approvals."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from . import _keyport
from ._errors import KeyportError
from ._keyport import Credential

Body = bytes | bytearray | memoryview | str


class ApiError(KeyportError):
    """The cluster answered with an HTTP error. code: the HTTP status (400..599, apart from
    libkeyport's 0..99); detail: the cluster's message; body: the whole answer."""

    body: bytes

    def __init__(self, code: int, name: str, detail: str, body: bytes = b"") -> None:
        super().__init__(code, name, detail, body)
        self.body = body

    @property
    def status(self) -> int:
        return self.code


def _message(body: bytes) -> str:
    try:
        m = json.loads(body)["error"]["message"]
        return m if isinstance(m, str) else body[:500].decode("utf-8", "replace")
    except (ValueError, KeyError, TypeError):
        return body[:500].decode("utf-8", "replace")


class ClusterClient:
    """A client of one cluster: ClusterClient(base_url, token, credential=Credential.parse(file)).

    Request and response wire bodies are bytes; key objects and lists are dicts. Mutating calls
    (import, export, archive, generate) sign a user action with the credential and send the
    approval bundle. Every call runs without the GIL; a client makes one call at a time."""

    def __init__(self, base_url: str, token: str, credential: Credential | None = None) -> None:
        self.base_url = base_url
        self._c = _keyport.client_new(base_url, token, credential)

    def request(self, method: str, path: str, body: Body | None = None, *, user_action: bool = False,
                approvals: Body | None = None) -> bytes:
        """One request; the answer's body. ApiError on an HTTP error, KeyportIOError when no answer came."""
        status, answer = self._c.call(method, path, body, user_action, approvals)
        if not 200 <= status < 300:
            raise ApiError(int(status), f"HTTP {status}", f"{method} {path}: {_message(answer)}", answer)
        return answer

    def _json(self, method: str, path: str, body: Body | None = None, **kw: Any) -> dict[str, Any]:
        out = json.loads(self.request(method, path, body, **kw))
        assert isinstance(out, dict)
        return out

    def signers(self) -> bytes:
        """GET /signers: the exact body import_prepare() takes."""
        return self.request("GET", "/signers")

    def import_key(self, body: Body, approvals: Body) -> dict[str, Any]:
        """POST /keys/import with a body from import_prepare(); the key object."""
        return self._json("POST", "/keys/import", body, user_action=True, approvals=approvals)

    def export_key(self, key_id: str, body: Body, approvals: Body) -> bytes:
        """POST /keys/{keyId}/export with ExportContext.export_request(); the exact response bytes
        that ExportContext.recover() takes."""
        return self.request("POST", f"/keys/{quote(key_id, safe='')}/export", body, user_action=True,
                            approvals=approvals)

    def archive_key(self, key_id: str, approvals: Body) -> dict[str, Any]:
        """POST /keys/{keyId}/archive (body {}); the key object."""
        return self._json("POST", f"/keys/{quote(key_id, safe='')}/archive", b"{}", user_action=True,
                          approvals=approvals)

    def generate_key(self, body: Body, approvals: Body) -> dict[str, Any]:
        """POST /keys (distributed key generation); the key object."""
        return self._json("POST", "/keys", body, user_action=True, approvals=approvals)

    def sign(self, key_id: str, *, message: Body | None = None, hash: Body | None = None) -> dict[str, Any]:
        """POST /keys/{keyId}/signatures (server/API.md "Signing"): threshold FROST in the cluster,
        signed with a user action. message: the bytes a FROST ed25519 key signs; hash: the 32 bytes
        a FROST_BITCOIN key signs (BIP-340). One of the two. The signature object; its
        signature["encoded"] is "0x" and the hex of the 64-byte signature. ECDSA keys: ApiError 501;
        archived keys: ApiError 409."""
        if (message is None) == (hash is None):
            raise ValueError("sign: give message= (FROST ed25519 keys) or hash= (FROST_BITCOIN keys), not both")
        data = message if message is not None else hash
        assert data is not None
        raw = data.encode() if isinstance(data, str) else bytes(data)
        if hash is not None and len(raw) != 32:
            raise ValueError(f"sign: hash must be 32 bytes, not {len(raw)}")
        body = {"kind": "Message", "message": "0x" + raw.hex()} if message is not None else \
            {"kind": "Hash", "hash": "0x" + raw.hex()}
        return self._json("POST", f"/keys/{quote(key_id, safe='')}/signatures",
                          json.dumps(body, separators=(",", ":")), user_action=True)

    def signatures(self, key_id: str) -> list[dict[str, Any]]:
        """GET /keys/{keyId}/signatures: the key's signature objects, oldest first."""
        items = self._json("GET", f"/keys/{quote(key_id, safe='')}/signatures")["items"]
        assert isinstance(items, list)
        return items

    def keys(self) -> list[dict[str, Any]]:
        items = self._json("GET", "/keys")["items"]
        assert isinstance(items, list)
        return items

    def key(self, key_id: str) -> dict[str, Any]:
        return self._json("GET", f"/keys/{quote(key_id, safe='')}")

    def audit(self, key_id: str | None = None) -> list[dict[str, Any]]:
        """GET /audit: the entries as dicts."""
        path = "/audit" if key_id is None else f"/audit?keyId={quote(key_id, safe='')}"
        entries = self._json("GET", path)["entries"]
        assert isinstance(entries, list)
        return entries

    def audit_raw(self) -> bytes:
        """GET /audit/raw: the log file as it is, for verify_audit_log()."""
        return self.request("GET", "/audit/raw")

    def __repr__(self) -> str:
        return f"<keyport.ClusterClient {self.base_url}>"
