"""The signer side, for a test cluster in one process: signers that open their import shares
(checking them against the public shares, and agreeing on their digest) and answer exports by
sealing their shares to the export context's encryption key. Wire bodies in and out are bytes."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field

from . import _keyport
from ._errors import SharingError
from ._keyport import SecretKey


@dataclass
class _Held:
    share: SecretKey
    index: int


@dataclass
class SignerNode:
    """One signer: its signerId (bytes), its encryption secret, and the shares it holds."""

    signer_id: bytes
    secret: SecretKey
    shares: dict[str, _Held] = field(default_factory=dict)

    @classmethod
    def new(cls, signer_id: bytes | None = None) -> "SignerNode":
        return cls(signer_id if signer_id is not None else os.urandom(16), _keyport.encryption_keypair())

    @property
    def encryption_key(self) -> bytes:
        return self.secret.public_key

    @property
    def signer_id_b64(self) -> str:
        return base64.b64encode(self.signer_id).decode()

    def open_import_share(self, key_id: str, curve: str, index: int, n: int, t: int, ciphertext: bytes
                          ) -> tuple[bytes, bytes]:
        """Opens and checks the share meant for this signer at 1-based sorted position index.
        Returns (group public key, public-shares digest); keeps the share under key_id."""
        share, pub, digest = _keyport.import_open_share(self.secret, curve, index, n, t, ciphertext)
        self.shares[key_id] = _Held(share, index)
        return pub, digest

    def seal_export_share(self, key_id: str, encryption_key: bytes) -> bytes:
        held = self.shares[key_id]
        return _keyport.export_seal_share(encryption_key, held.index, held.share)

    def wipe(self) -> None:
        self.secret.wipe()
        for h in self.shares.values():
            h.share.wipe()


@dataclass
class _Key:
    curve: str
    protocol: str
    min_signers: int
    public_key: bytes


class LocalCluster:
    """n signers in this process, speaking the wire bodies of GET /signers, POST /keys/import and
    POST /keys/{keyId}/export (without HTTP, users or approvals)."""

    def __init__(self, n: int = 5, cluster_id: str = "local-cluster") -> None:
        self.cluster_id = cluster_id
        self.nodes = [SignerNode.new() for _ in range(n)]
        self.keys: dict[str, _Key] = {}

    def signers_document(self) -> bytes:
        return _keyport.signers_write(self.cluster_id, [(s.signer_id, s.encryption_key) for s in self.nodes])

    def _sorted(self) -> list[SignerNode]:
        return sorted(self.nodes, key=lambda s: s.signer_id)

    def import_key(self, body: bytes | bytearray | memoryview | str) -> str:
        """Every signer opens its share; all must agree on the public key and the digest. Returns a key id."""
        req = _keyport.import_request_parse(body)
        nodes = self._sorted()
        n, t = len(nodes), req["min_signers"]
        if len(req["shares"]) != n:
            raise SharingError(41, "KP_ERR_DUPLICATE", f"the import request has {len(req['shares'])} shares for {n} signers")
        key_id = "key-" + os.urandom(10).hex()
        seen: set[tuple[bytes, bytes]] = set()
        for i, (node, (sid, ct)) in enumerate(zip(nodes, req["shares"]), start=1):
            if sid != node.signer_id_b64:
                raise SharingError(45, "KP_ERR_NOT_FOUND", f"share {i} is for signer {sid}, not {node.signer_id_b64}")
            seen.add(node.open_import_share(key_id, req["curve"], i, n, t, ct))
        if len(seen) != 1:
            raise SharingError(43, "KP_ERR_SHARE_MISMATCH", "the signers' shares do not lie on one polynomial")
        pub = next(iter(seen))[0]
        self.keys[key_id] = _Key(req["curve"], req["protocol"], t, pub)
        return key_id

    def export_key(self, key_id: str, request: bytes | bytearray | memoryview | str,
                   signers: list[int] | None = None) -> bytes:
        """The export response: the shares of the signers at the given sorted positions (all by default)."""
        import json

        k = self.keys[key_id]
        text = request if isinstance(request, str) else bytes(request).decode()
        ek = _keyport.encryption_key_decode(json.loads(text)["encryptionKey"])
        nodes = self._sorted()
        which = range(len(nodes)) if signers is None else signers
        shares = [(nodes[i].signer_id, nodes[i].seal_export_share(key_id, ek)) for i in which]
        return _keyport.export_response_write(k.curve, k.protocol, k.public_key, k.min_signers, shares)

    def public_key(self, key_id: str) -> bytes:
        return self.keys[key_id].public_key
