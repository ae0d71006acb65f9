"""The cluster client against an embedded keyportd on loopback: signers, import, keys, export,
archive and the audit log, with user actions signed by the binding's credential and approvals
made by its operators.

KEYPORTD_BIN names the built keyportd (run_tests.sh sets it); the test fails without it."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Iterator

import pytest

import keyport
from conftest import secret_bytes


class Daemon:
    def __init__(self, binary: str, folder: Path, policy: Path, creds: Path) -> None:
        data = folder / "data"
        # the storage key lives outside the data folder, as keyportd requires
        self.cmd = [binary, "--data", str(data), "--listen", "127.0.0.1:0", "--signers", "5",
                    "--storage-key-file", str(folder / "storage.key"), "--policy", str(policy),
                    "--credentials", str(creds)]
        self.data = data
        self.err = folder / "keyportd.stderr"
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self) -> "Daemon":
        with open(self.err, "ab") as err:
            self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=err)
        assert self.proc.stdout is not None
        deadline = time.time() + 30
        while time.time() < deadline:
            line = self.proc.stdout.readline().decode()
            if not line:
                break
            m = re.match(r"keyportd: listening on (http://\S+) with", line)
            if m:
                self.url = m.group(1)
                return self
        self.stop()
        raise AssertionError(f"keyportd did not start: {self.err.read_text(errors='replace')[-2000:]}")

    @property
    def token(self) -> str:
        return (self.data / "token").read_text().strip()

    def stop(self) -> int:
        if self.proc is None:
            return 0
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=30)
        if self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None
        return rc


@pytest.fixture(scope="module")
def team() -> tuple[list[keyport.Operator], keyport.Policy, bytes]:
    ops = [keyport.Operator.new(n, b"pw", keyport.Kdf.INTERACTIVE)[0] for n in ("alice", "bob", "carol")]
    doc = keyport.policy_write("py-cluster", ops, {"import": 2, "export": 2, "archive": 2})
    return ops, keyport.Policy.parse(doc), doc


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, team: tuple[list[keyport.Operator], keyport.Policy, bytes]
            ) -> Iterator[tuple[keyport.ClusterClient, Daemon]]:
    binary = os.environ.get("KEYPORTD_BIN")
    if not binary or not os.access(binary, os.X_OK):
        pytest.fail(f"KEYPORTD_BIN={binary!r}: point it at the built keyportd (build/server/keyportd)", pytrace=False)
    folder = tmp_path_factory.mktemp("kpd")
    file = keyport.Credential.new("py-cred")
    cred = keyport.Credential.parse(file)
    keyport.wipe(file)
    (folder / "credentials.json").write_text(json.dumps(
        [{"credId": cred.cred_id, "algorithm": cred.algorithm, "publicKey": cred.public_key_hex}]))
    (folder / "policy.json").write_bytes(team[2])
    d = Daemon(binary, folder, folder / "policy.json", folder / "credentials.json").start()
    yield keyport.ClusterClient(d.url, d.token, cred), d
    assert d.stop() == 0


def _bundle(team: tuple[list[keyport.Operator], keyport.Policy, bytes], action: str, body: bytes,
            key_id: str | None = None) -> bytes:
    ops, policy, _ = team
    b = keyport.approve(ops[0], policy, action, body, key_id=key_id)
    return keyport.approve(ops[1], policy, action, body, key_id=key_id, bundle=b)


@pytest.mark.parametrize("protocol,curve", [("CGGMP21", "secp256k1"), ("FROST", "ed25519"), ("CGGMP24", "stark")])
def test_import_export_archive_through_the_cluster(
        protocol: str, curve: str, cluster: tuple[keyport.ClusterClient, Daemon],
        team: tuple[list[keyport.Operator], keyport.Policy, bytes]) -> None:
    client, _d = cluster
    signers = client.signers()
    assert isinstance(signers, bytes) and len(keyport.signers(signers)) == 5
    key = keyport.random_key(curve)
    body = keyport.import_prepare(signers, key, protocol=protocol, name=f"py {curve}")
    k = client.import_key(body, _bundle(team, "import", body))
    assert k["publicKey"] == key.public_key.hex() and k["status"] == "Active" and k["curve"] == curve
    assert client.key(k["id"])["id"] == k["id"]
    assert k["id"] in [x["id"] for x in client.keys()]
    ctx = keyport.ExportContext.new()
    req = ctx.export_request(schemes=keyport.SCHEMES)
    resp = client.export_key(k["id"], req, _bundle(team, "export", req, k["id"]))
    assert isinstance(resp, bytes)
    with ctx.recover(resp) as got:
        assert secret_bytes(got) == secret_bytes(key)
    assert client.key(k["id"])["status"] == "Archived"
    with pytest.raises(keyport.ApiError) as ei:
        client.export_key(k["id"], req, _bundle(team, "export", req, k["id"]))
    assert ei.value.status == 409


def test_archive_refusals_and_the_audit_log(cluster: tuple[keyport.ClusterClient, Daemon],
                                            team: tuple[list[keyport.Operator], keyport.Policy, bytes]) -> None:
    client, _d = cluster
    body = keyport.import_prepare(client.signers(), keyport.random_key("secp256k1"), protocol="CGGMP21")
    with pytest.raises(keyport.ApiError) as ei:
        client.import_key(body, b'{"version":1,"approvals":[]}')
    assert ei.value.status == 403 and ei.value.detail and b"error" in ei.value.body
    k = client.import_key(body, _bundle(team, "import", body))
    archived = client.archive_key(k["id"], _bundle(team, "archive", b"{}", k["id"]))
    assert archived["status"] == "Archived"
    raw = client.audit_raw()
    rep = keyport.verify_audit_log(raw)
    assert rep.ok, rep.message
    events = [e.event for e in keyport.audit_entries(raw)]
    assert "key.imported" in events and "key.archived" in events and "request.denied" in events
    assert [e["event"] for e in client.audit(k["id"])][-1] == "key.archived"


def test_no_answer_is_an_os_error() -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    c = keyport.ClusterClient(f"http://127.0.0.1:{port}", "token")
    with pytest.raises(keyport.KeyportIOError) as ei:
        c.signers()
    assert isinstance(ei.value, OSError) and ei.value.code == 61
    with pytest.raises(keyport.MisuseError):
        c.import_key(b"{}", b"{}")  # a user action needs a credential


def test_sign_in_the_cluster(cluster: tuple[keyport.ClusterClient, Daemon],
                             team: tuple[list[keyport.Operator], keyport.Policy, bytes]) -> None:
    """Threshold FROST signatures, verified with PyNaCl (Ed25519) and coincurve (BIP-340)."""
    import coincurve
    import nacl.signing

    client, _d = cluster
    keys = {}
    for protocol, curve in (("FROST", "ed25519"), ("FROST_BITCOIN", "secp256k1"), ("CGGMP21", "secp256k1")):
        body = keyport.import_prepare(client.signers(), keyport.random_key(curve), protocol=protocol)
        keys[protocol] = client.import_key(body, _bundle(team, "import", body))
    msg = b"signed by the binding"
    s = client.sign(keys["FROST"]["id"], message=msg)
    sig = bytes.fromhex(s["signature"]["encoded"][2:])
    nacl.signing.VerifyKey(bytes.fromhex(keys["FROST"]["publicKey"])).verify(msg, sig)
    h = os.urandom(32)
    b = client.sign(keys["FROST_BITCOIN"]["id"], hash=h)
    xonly = coincurve.PublicKeyXOnly(bytes.fromhex(keys["FROST_BITCOIN"]["publicKey"])[1:])
    assert xonly.verify(bytes.fromhex(b["signature"]["encoded"][2:]), h)
    assert [x["id"] for x in client.signatures(keys["FROST_BITCOIN"]["id"])] == [b["id"]]
    with pytest.raises(keyport.ApiError) as ei:
        client.sign(keys["CGGMP21"]["id"], hash=h)
    assert ei.value.status == 501 and "not implemented" in ei.value.detail
    with pytest.raises(ValueError):
        client.sign(keys["FROST"]["id"], message=msg, hash=h)
    client.archive_key(keys["FROST"]["id"], _bundle(team, "archive", b"{}", keys["FROST"]["id"]))
    with pytest.raises(keyport.ApiError) as ei:
        client.sign(keys["FROST"]["id"], message=msg)
    assert ei.value.status == 409


def test_sign_action_is_known() -> None:
    """Approvals for signatures (a policy may name sign) are made with Action.SIGN."""
    op = keyport.Operator.new("dora", b"pw", keyport.Kdf.INTERACTIVE)[0]
    doc = keyport.policy_write("p-sign", [op], {"import": 1, "export": 1, "archive": 1})
    policy = keyport.Policy.parse(doc)
    bundle = keyport.approve(op, policy, keyport.Action.SIGN, b"{}", key_id="key-1")
    assert b'"action":"sign"' in bundle
    with pytest.raises(ValueError):
        keyport.policy_write("p-sign", [op], {"import": 1, "export": 1, "archive": 1, "sign": 1})
