"""Helpers of the keyportd end-to-end tests: starting the daemon, calling its API, signing user
actions and approvals independently of keyport's C code (PyNaCl, cryptography), and running the
offline steps of the `keyport` command.

Nothing here goes beyond the loopback interface.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import nacl.signing
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives import serialization

START_TIMEOUT = 30
CMD_TIMEOUT = 60
PASSPHRASE = b"correct horse battery staple"

# (protocol, curve) of each key the suite imports and exports
SCHEMES = [("CGGMP21", "secp256k1"), ("FROST", "ed25519"), ("CGGMP21", "stark")]

# a private key per curve, below every curve's order (ed25519: a scalar, as docs/wire.md §3 has it)
KEYS = {
    "secp256k1": "1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100",
    "ed25519": "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
    "stark": "03c1e9550e66958296d11b60f8e8e7a7ad990d07fa65d5f7652c4a6c87d4e3cc",
}


def compact(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# --------------------------------------------------------------------------- HTTP


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict

    @property
    def json(self):
        return json.loads(self.body)

    @property
    def message(self) -> str:
        try:
            return self.json["error"]["message"]
        except Exception:  # noqa: BLE001 - a test helper shows whatever came
            return self.body[:500].decode("utf-8", "replace")

    def describe(self) -> str:
        return f"HTTP {self.status}: {self.body[:1500]!r}"


def http(base: str, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
         timeout: float = 60) -> Answer:
    req = urllib.request.Request(base + path, data=body, method=method, headers=headers or {})
    if body is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return Answer(r.status, r.read(), dict(r.headers))
    except urllib.error.HTTPError as e:
        return Answer(e.code, e.read(), dict(e.headers))


# --------------------------------------------------------------------------- credentials (docs/wire.md §5)


class Credential:
    """A user action credential: Ed25519 (PyNaCl) or ECDSA P-256 over SHA-256 (cryptography)."""

    def __init__(self, cred_id: str, algorithm: str = "Ed25519"):
        self.cred_id = cred_id
        self.algorithm = algorithm
        if algorithm == "Ed25519":
            self._sk = nacl.signing.SigningKey.generate()
            self.public_hex = self._sk.verify_key.encode().hex()
        else:
            self._sk = ec.generate_private_key(ec.SECP256R1())
            self.public_hex = self._sk.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint).hex()

    def entry(self) -> dict:
        return {"credId": self.cred_id, "algorithm": self.algorithm, "publicKey": self.public_hex}

    def sign(self, msg: bytes) -> bytes:
        if self.algorithm == "Ed25519":
            return self._sk.sign(msg).signature
        return self._sk.sign(msg, ec.ECDSA(hashes.SHA256()))


# --------------------------------------------------------------------------- operators and approvals


STATEMENT_FIELDS = ["type", "version", "policy", "action", "keyId", "request", "nonce", "time", "expires", "operator"]


@dataclass
class Operator:
    name: str
    sk: nacl.signing.SigningKey

    @property
    def pk(self) -> bytes:
        return self.sk.verify_key.encode()


@dataclass
class Team:
    """Operators made in Python, and their policy: approvals are signed here with PyNaCl over the
    statement bytes documented in keyport.h, independently of libkeyport."""
    policy_id: str
    ops: dict[str, Operator]
    quorum: dict[str, int]
    policy_path: Path

    @classmethod
    def make(cls, folder: Path, names: Sequence[str] = ("alice", "bob", "carol"), quorum=None,
             policy_id: str = "e2e-policy") -> "Team":
        quorum = quorum or {"import": 2, "export": 2, "archive": 2}
        ops = {n: Operator(n, nacl.signing.SigningKey.generate()) for n in names}
        doc = {"version": 1, "id": policy_id,
               "operators": [{"name": o.name, "publicKey": o.pk.hex()} for o in ops.values()],
               "quorum": quorum}
        path = Path(folder) / "policy.json"
        path.write_bytes(compact(doc))
        return cls(policy_id, ops, quorum, path)

    def statement(self, who: str, action: str, key_id: str | None, request: bytes, *, nonce: bytes | None = None,
                  t: int | None = None, ttl: int = 600, policy: str | None = None) -> dict:
        t = int(time.time()) if t is None else t
        s = {"type": "keyport-approval", "version": 1, "policy": policy or self.policy_id, "action": action}
        if key_id is not None:
            s["keyId"] = key_id
        s.update({"request": hashlib.sha256(request).hexdigest(), "nonce": (nonce or os.urandom(16)).hex(),
                  "time": t, "expires": t + ttl, "operator": self.ops[who].pk.hex()})
        return s

    def approval(self, who: str, action: str, key_id: str | None, request: bytes, **kw) -> dict:
        s = self.statement(who, action, key_id, request, **kw)
        raw = compact({k: s[k] for k in STATEMENT_FIELDS if k in s})
        return {"statement": s, "signature": self.ops[who].sk.sign(raw).signature.hex()}

    def bundle(self, action: str, key_id: str | None, request: bytes, who: Iterable[str] = ("alice", "bob"),
               **kw) -> bytes:
        return compact({"version": 1, "approvals": [self.approval(w, action, key_id, request, **kw) for w in who]})


def approvals_header(bundle: bytes) -> str:
    return base64.b64encode(bundle).decode()


# --------------------------------------------------------------------------- the daemon


class Cluster:
    """One keyportd: its DATA folder, arguments, process and URL."""

    def __init__(self, binary: str, data: Path, args: Sequence[str] = (), env: dict | None = None,
                 signers: int | None = 5, key_file: Path | None | bool = True):
        self.binary = binary
        self.data = Path(data)
        # the storage key lives outside DATA (API.md "Keys from outside the data folder"): by
        # default a key file beside the folder, made on first start; False: the test gives its own
        self.key_file = (self.data.parent / (self.data.name + ".storage-key") if key_file is True
                         else Path(key_file) if key_file else None)
        self.args = list(args)
        self.signers = signers
        self.env = env
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self.stdout = ""
        self.stderr_path = self.data.parent / (self.data.name + ".stderr")

    def command(self) -> list[str]:
        cmd = [self.binary, "--data", str(self.data), "--listen", "127.0.0.1:0", *self.key_args(), *self.args]
        if self.signers is not None:
            cmd += ["--signers", str(self.signers)]
        return cmd

    def key_args(self) -> list[str]:
        return ["--storage-key-file", str(self.key_file)] if self.key_file else []

    def start(self, env: dict | None = None) -> "Cluster":
        e = dict(os.environ)
        e.pop("KEYPORTD_CRASH_AT", None)
        e.update(self.env or {})
        e.update(env or {})
        err = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(self.command(), stdout=subprocess.PIPE, stderr=err, env=e)
        err.close()
        deadline = time.time() + START_TIMEOUT
        lines = []
        while time.time() < deadline:
            line = self.proc.stdout.readline().decode()
            if not line:
                break
            lines.append(line)
            m = re.match(r"keyportd: listening on (http://\S+) with (\d+) signers", line)
            if m:
                self.url = m.group(1)
                self.stdout = "".join(lines)
                # the rest of the start-up lines
                return self
        self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()
        self.proc = None
        raise AssertionError(f"keyportd did not start: stdout {''.join(lines)!r}\nstderr {self.stderr()}")

    def stderr(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")[-4000:]
        except FileNotFoundError:
            return ""

    def stop(self) -> int:
        """SIGTERM, and the exit code (0 when it stopped cleanly)."""
        if self.proc is None:
            return 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("keyportd did not stop within 30 s of SIGTERM")
        self.proc.stdout.close()
        self.proc = None
        return rc

    def kill(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc.stdout.close()
            self.proc = None

    def wait_dead(self, timeout: float = 30) -> int:
        rc = self.proc.wait(timeout=timeout)
        self.proc.stdout.close()
        self.proc = None
        return rc

    @property
    def token(self) -> str:
        return (self.data / "token").read_text().strip()


class Client:
    """A client of one keyportd, with a bearer token, a credential and a team of operators."""

    def __init__(self, cluster: Cluster, cred: Credential | None, team: Team | None, token: str | None = None):
        self.cluster = cluster
        self.cred = cred
        self.team = team
        self._token = token

    @property
    def token(self) -> str:
        return self._token or self.cluster.token

    def call(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
             token: str | None | bool = True) -> Answer:
        h = dict(headers or {})
        if token is True:
            h["Authorization"] = "Bearer " + self.token
        elif isinstance(token, str):
            h["Authorization"] = "Bearer " + token
        return http(self.cluster.url, method, path, body, h)

    def get(self, path: str) -> Answer:
        return self.call("GET", path)

    def user_action(self, method: str, path: str, body: bytes, cred: Credential | None = None) -> str:
        cred = cred or self.cred
        init = self.call("POST", "/auth/action/init", compact({
            "userActionPayload": body.decode("utf-8"), "userActionHttpMethod": method,
            "userActionHttpPath": path, "userActionServerKind": "Api"}))
        assert init.status == 200, init.describe()
        ch = init.json
        assert cred.cred_id in [c["id"] for c in ch["allowCredentials"]["key"]]
        client_data = compact({"type": "key.get", "challenge": ch["challenge"]})
        signed = self.call("POST", "/auth/action", compact({
            "challengeIdentifier": ch["challengeIdentifier"],
            "firstFactor": {"kind": "Key", "credentialAssertion": {
                "credId": cred.cred_id, "clientData": b64url(client_data),
                "signature": b64url(cred.sign(client_data))}}}))
        assert signed.status == 200, signed.describe()
        return signed.json["userAction"]

    def mutate(self, path: str, body: bytes, action: str, key_id: str | None = None, *,
               approvers: Iterable[str] = ("alice", "bob"), bundle: bytes | None = None,
               user_action: str | None | bool = True, headers: dict | None = None, **kw) -> Answer:
        """POST a key operation with a fresh user action and approvals (unless told otherwise)."""
        h = dict(headers or {})
        if user_action is True:
            h["X-DFNS-USERACTION"] = self.user_action("POST", path, body)
        elif isinstance(user_action, str):
            h["X-DFNS-USERACTION"] = user_action
        if bundle is None and approvers is not None and self.team is not None:
            bundle = self.team.bundle(action, key_id, body, approvers, **kw)
        if bundle is not None:
            h["X-Keyport-Approvals"] = approvals_header(bundle)
        return self.call("POST", path, body, h)

    def import_key(self, body: bytes, **kw) -> Answer:
        return self.mutate("/keys/import", body, "import", None, **kw)

    def export_key(self, key_id: str, body: bytes, **kw) -> Answer:
        return self.mutate(f"/keys/{key_id}/export", body, "export", key_id, **kw)

    def archive_key(self, key_id: str, **kw) -> Answer:
        return self.mutate(f"/keys/{key_id}/archive", b"{}", "archive", key_id, **kw)

    def generate_key(self, scheme: str, curve: str, name: str = "generated", **kw) -> Answer:
        return self.mutate("/keys", compact({"scheme": scheme, "curve": curve, "name": name}), "import", None, **kw)

    def keys(self) -> list[dict]:
        a = self.get("/keys")
        assert a.status == 200, a.describe()
        return a.json["items"]

    def audit_raw(self) -> bytes:
        a = self.get("/audit/raw")
        assert a.status == 200, a.describe()
        return a.body


# --------------------------------------------------------------------------- the keyport command


@dataclass
class Run:
    args: list
    rc: int
    out: bytes
    err: str


class Keyport:
    def __init__(self, binary: str, folder: Path):
        self.binary = binary
        self.dir = Path(folder)
        self.dir.mkdir(parents=True, exist_ok=True)

    def run(self, *args, stdin: bytes = b"") -> Run:
        argv = [str(a) for a in args]
        cp = subprocess.run([self.binary, *argv], cwd=self.dir, input=stdin, capture_output=True,
                            timeout=CMD_TIMEOUT)
        return Run(argv, cp.returncode, cp.stdout, cp.stderr.decode("utf-8", "replace"))

    def ok(self, *args, stdin: bytes = b"") -> Run:
        r = self.run(*args, stdin=stdin)
        assert r.rc == 0, f"keyport {' '.join(r.args)} failed ({r.rc}): {r.err}"
        return r

    def write(self, name: str, data: bytes | str) -> Path:
        p = self.dir / name
        p.write_bytes(data.encode() if isinstance(data, str) else data)
        return p

    def import_prepare(self, signers_json: bytes, curve: str, protocol: str, key_hex: str, name: str = "e2e key",
                       min_signers: int = 3, tag: str = "") -> bytes:
        sig = self.write(f"signers{tag}.json", signers_json)
        key = self.write(f"key{tag}.hex", key_hex)
        return self.ok("import", "prepare", "--signers", sig, "--curve", curve, "--protocol", protocol,
                       "--key-file", key, "--min-signers", min_signers, "--name", name).out.strip()

    def export_init(self, name: str = "ctx", delete: bool = True, schemes: str | None = None) -> tuple[Path, bytes]:
        pf = self.write(f"{name}.pass", PASSPHRASE)
        ctx = self.dir / f"{name}.kpx"
        extra = ([] if delete else ["--no-delete"]) + ([] if schemes is None else ["--schemes", schemes])
        r = self.ok("export", "init", "--context", ctx, "--passphrase-file", pf, "--kdf", "interactive", *extra)
        return ctx, r.out.strip()

    def export_recover(self, ctx: Path, response: bytes, tag: str = "") -> dict:
        rf = self.write(f"response{tag}.json", response)
        pf = self.dir / (ctx.stem + ".pass")
        r = self.ok("export", "recover", "--context", ctx, "--passphrase-file", pf, "--response", rf, "--json")
        return json.loads(r.out)

    def audit_verify(self, log: bytes, writer_key: str | None = None) -> Run:
        lf = self.write("audit-check.jsonl", log)
        extra = ["--writer-key", writer_key] if writer_key else []
        return self.run("audit", "verify", lf, *extra)


def audit_entries(raw: bytes) -> list[dict]:
    return [json.loads(line) for line in raw.splitlines() if line.strip()]


# --------------------------------------------------------------------------- independent import requests


def python_import_request(signers_json: bytes, curve: str, protocol: str, secret_hex: str, t: int = 3,
                          name: str | None = "python key", tamper: int | None = None, rng=None) -> bytes:
    """A docs/wire.md §4 import request made by the independent reference (tests/python/wire_ref.py).
    tamper: the 0-based sorted position whose secret_share is made off the polynomial (its
    public_shares still those of the real polynomial)."""
    import random

    import wire_ref as W

    rng = rng or random.Random(7)
    c = W.curve(curve)
    doc = json.loads(signers_json)
    signers = sorted(((s["signerId"], W.decode_encryption_key(s["encryptionKey"]))
                      for s in doc["clusters"][0]["signers"]), key=lambda s: W.unb64(s[0]))
    n = len(signers)
    _, shares = W.shamir_split(int(secret_hex, 16), t, range(1, n + 1), c.order, rng)
    pubs = [c.public_wire(shares[x]) for x in range(1, n + 1)]
    out = []
    for i, (sid, ek) in enumerate(signers):
        share = shares[i + 1]
        if tamper == i:
            share = (share + 1) % c.order
        out.append((sid, W.seal(ek, W.import_plaintext(c, share, pubs))))
    return W.import_request(c, protocol, t, out, name).encode()


def snapshot(data: Path) -> dict:
    """What the cluster has stored: rows of api.db and of each signer's database."""
    import sqlite3

    def rows(db: Path, sql: str):
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    out = {"keys": rows(data / "api.db", "SELECT id, status FROM keys ORDER BY id"),
           "journal": rows(data / "api.db", "SELECT key_id, state FROM journal"),
           "nonces": rows(data / "api.db", "SELECT count(*) FROM nonces")[0][0]}
    for d in sorted(data.glob("signer-*")):
        out[d.name] = (rows(d / "signer.db", "SELECT key_id FROM pending ORDER BY key_id"),
                       rows(d / "signer.db", "SELECT key_id FROM shares ORDER BY key_id"))
    return out


# --------------------------------------------------------------------------- remote signers


class RemoteSigner:
    """One `keyportd signer` process."""

    def __init__(self, binary: str, data: Path, secret_file: Path):
        self.binary = binary
        self.data = Path(data)
        self.secret_file = Path(secret_file)
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self.listen = "127.0.0.1:0"
        self.stderr_path = self.data.parent / (self.data.name + ".stderr")
        self.key_file = self.data.parent / (self.data.name + ".storage-key")

    def start(self) -> "RemoteSigner":
        err = open(self.stderr_path, "ab")
        env = dict(os.environ)
        env.pop("KEYPORTD_CRASH_AT", None)
        self.proc = subprocess.Popen([self.binary, "signer", "--data", str(self.data), "--listen", self.listen,
                                      "--secret-file", str(self.secret_file),
                                      "--storage-key-file", str(self.key_file)],
                                     stdout=subprocess.PIPE, stderr=err, env=env)
        err.close()
        deadline = time.time() + START_TIMEOUT
        lines = []
        while time.time() < deadline:
            line = self.proc.stdout.readline().decode()
            if not line:
                break
            lines.append(line)
            m = re.match(r"keyportd signer: listening on (http://\S+),", line)
            if m:
                self.url = m.group(1)
                # a restart keeps the port, so that the API finds it again
                self.listen = self.url[len("http://"):]
                return self
        self.proc.kill()
        self.proc.wait()
        raise AssertionError(f"keyportd signer did not start: {''.join(lines)!r} {self.stderr_path.read_text()}")

    def stop(self) -> int:
        if self.proc is None:
            return 0
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=30)
        self.proc.stdout.close()
        self.proc = None
        return rc


def signer_auth(secret: bytes, t: int, method: str, path: str, body: bytes) -> str:
    """API.md: <unix time>.<hex HMAC-SHA256(secret, time "." method " " path "\\n" body)>."""
    import hmac

    msg = f"{t}.{method} {path}\n".encode() + body
    return f"{t}." + hmac.new(secret, msg, hashlib.sha256).hexdigest()
