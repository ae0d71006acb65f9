"""keyport api and keyport credential, against a stub cluster written here.

The stub (http.server on 127.0.0.1, a free port, in a thread) speaks server/API.md: it checks the
bearer token, runs both user action steps (docs/wire.md §5) and verifies each user action signature
independently, with PyNaCl for Ed25519 and cryptography for ECDSA P-256 over SHA-256 (DER), binds
the userAction token to the exact method, path and body, checks the approvals header against the
bundle file, and returns canned answers. The real keyportd is tested by tests/e2e.
"""

from __future__ import annotations

import base64
import json
import os
import random
import secrets
import socket
import subprocess
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import nacl.exceptions
import nacl.signing
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

import kphelp
import test_kyk_reference as R

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_INPUT = 3
EXIT_IO = 6
EXIT_REFUSED = 9  # the cluster refused the request (cmd_api.c)

TOKEN = "tok-" + "ab" * 16
KEY_ID = "key-01hv3x7k2m9q4r8t6w5y0z1a2b"


def b64url_decode_nopad(s: str) -> bytes:
    """docs/wire.md §5's clientData and signature: base64url without padding, refused otherwise."""
    if "=" in s or "+" in s or "/" in s:
        raise ValueError(f"not unpadded base64url: {s!r}")
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def verify_assertion(alg: str, public_hex: str, msg: bytes, sig: bytes) -> bool:
    pub = bytes.fromhex(public_hex)
    if alg == "Ed25519":
        try:
            nacl.signing.VerifyKey(pub).verify(msg, sig)
            return True
        except nacl.exceptions.BadSignatureError:
            return False
    assert alg == "ECDSA-P256", alg
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), pub)
    try:
        key.verify(sig, msg, ec.ECDSA(hashes.SHA256()))  # sig is DER
        return True
    except InvalidSignature:
        return False


# --------------------------------------------------------------------------- the stub cluster

@dataclass
class Seen:
    method: str
    path: str
    headers: dict
    body: bytes


@dataclass
class Stub:
    token: str = TOKEN
    credentials: dict = field(default_factory=dict)  # credId -> (algorithm, public hex)
    approvals: bytes | None = None                   # the bundle file the approvals header must carry
    answers: dict = field(default_factory=dict)      # (method, path) -> (status, body bytes, content type)
    seen: list = field(default_factory=list)         # every request, in order
    actions: list = field(default_factory=list)      # user actions granted: (method, path, payload)
    errors: list = field(default_factory=list)       # what the stub refused, and why
    challenges: dict = field(default_factory=dict)   # challengeIdentifier -> (challenge, method, path, payload)
    tokens: dict = field(default_factory=dict)       # userAction -> (method, path, payload)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, method: str, path: str, body, status: int = 200, ctype: str = "application/json"):
        if not isinstance(body, bytes):
            body = json.dumps(body, separators=(",", ":")).encode()
        self.answers[(method, path)] = (status, body, ctype)

    def requests(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]


def error_body(status: int, message: str) -> bytes:
    return json.dumps({"error": {"status": status, "message": message}}).encode()


MUTATING_SUFFIXES = ("/export", "/archive")


def is_mutating(method: str, path: str) -> bool:
    return method == "POST" and (path in ("/keys", "/keys/import") or
                                 (path.startswith("/keys/") and path.endswith(MUTATING_SUFFIXES)))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    stub: Stub  # set on the subclass made per server

    def log_message(self, *args):  # keep pytest output clean
        pass

    def send(self, status: int, body: bytes, ctype: str = "application/json"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def refuse(self, status: int, message: str):
        self.stub.errors.append((self.path, status, message))
        self.send(status, error_body(status, message))

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def handle_any(self, method: str):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n) if n else b""
        st = self.stub
        with st.lock:
            st.seen.append(Seen(method, self.path, dict(self.headers.items()), body))
            if self.headers.get("Authorization") != f"Bearer {st.token}":
                return self.refuse(401, "missing or wrong bearer token")
            if method == "POST" and self.headers.get("Content-Type") != "application/json":
                return self.refuse(400, "Content-Type must be application/json")
            if method == "POST" and self.path == "/auth/action/init":
                return self.init(body)
            if method == "POST" and self.path == "/auth/action":
                return self.action(body)
            if is_mutating(method, self.path):
                ua = self.headers.get("X-DFNS-USERACTION")
                bound = st.tokens.pop(ua, None) if ua else None  # single use
                if bound is None:
                    return self.refuse(401, "missing, unknown or replayed user action")
                if bound != (method, self.path, body.decode("utf-8")):
                    return self.refuse(401, "the user action was given for another method, path or body")
                hdr = self.headers.get("X-Keyport-Approvals")
                if hdr is None:
                    return self.refuse(403, "no approvals (X-Keyport-Approvals)")
                if st.approvals is not None and base64.b64decode(hdr, validate=True) != st.approvals:
                    return self.refuse(403, "the approvals are not the bundle the test expects")
                if base64.b64encode(base64.b64decode(hdr, validate=True)).decode() != hdr:
                    return self.refuse(403, "the approvals header is not canonical padded base64")
            ans = st.answers.get((method, self.path))
            if ans is None:
                return self.refuse(404, f"no such path: {self.path}")
            self.send(*ans)

    def init(self, body: bytes):
        req = json.loads(body)
        assert list(req) == ["userActionPayload", "userActionHttpMethod", "userActionHttpPath",
                             "userActionServerKind"], req
        if req["userActionServerKind"] != "Api":
            return self.refuse(400, "userActionServerKind must be Api")
        challenge = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
        ident = "ch-" + secrets.token_hex(8)
        self.stub.challenges[ident] = (challenge, req["userActionHttpMethod"], req["userActionHttpPath"],
                                       req["userActionPayload"])
        allow = [{"type": "public-key", "id": cid} for cid in self.stub.credentials]
        self.send(200, json.dumps({"challenge": challenge, "challengeIdentifier": ident,
                                   "allowCredentials": {"key": allow}, "externalAuthenticationUrl": ""}).encode())

    def action(self, body: bytes):
        req = json.loads(body)
        assert list(req) == ["challengeIdentifier", "firstFactor"], req
        ff = req["firstFactor"]
        assert list(ff) == ["kind", "credentialAssertion"] and ff["kind"] == "Key", ff
        ca = ff["credentialAssertion"]
        assert list(ca) == ["credId", "clientData", "signature"], ca
        pending = self.stub.challenges.pop(req["challengeIdentifier"], None)
        if pending is None:
            return self.refuse(401, "unknown or used challengeIdentifier")
        challenge, method, path, payload = pending
        cred = self.stub.credentials.get(ca["credId"])
        if cred is None:
            return self.refuse(401, f"unknown credential {ca['credId']}")
        client_data = b64url_decode_nopad(ca["clientData"])
        want = json.dumps({"type": "key.get", "challenge": challenge}, separators=(",", ":")).encode()
        if client_data != want:
            return self.refuse(401, f"clientData is {client_data!r}, not {want!r}")
        if not verify_assertion(cred[0], cred[1], client_data, b64url_decode_nopad(ca["signature"])):
            return self.refuse(401, "the credential's signature does not verify")
        token = "ua-" + secrets.token_hex(16)
        self.stub.tokens[token] = (method, path, payload)
        self.stub.actions.append((method, path, payload))
        self.send(200, json.dumps({"userAction": token}).encode())


@pytest.fixture
def stub():
    st = Stub()
    handler = type("StubHandler", (Handler,), {"stub": st})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    st.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield st
    server.shutdown()
    server.server_close()


# --------------------------------------------------------------------------- helpers

@dataclass
class Client:
    kp: kphelp.Keyport
    stub: Stub
    cred: Path
    conn: list

    def run(self, *args, env: dict | None = None) -> kphelp.Run:
        if env is None:
            return self.kp.run("api", *args, *self.conn)
        cp = subprocess.run([self.kp.binary, "api", *map(str, args), *map(str, self.conn)], cwd=self.kp.dir,
                            capture_output=True, timeout=kphelp.CMD_TIMEOUT, env=env)
        return kphelp.Run(list(map(str, args)), cp.returncode, cp.stdout, cp.stderr.decode("utf-8", "replace"))

    def ok(self, *args) -> kphelp.Run:
        r = self.run(*args)
        assert r.rc == EXIT_OK, r.describe() + f"\n  stub refused: {self.stub.errors}"
        return r

    def fail(self, *args, codes) -> kphelp.Run:
        before = sorted(p.name for p in self.kp.dir.iterdir())
        r = self.run(*args)
        assert r.rc == codes, f"exit code should be {codes}:\n" + r.describe()
        assert r.out == b"", "a failing keyport api must print nothing on stdout:\n" + r.describe()
        assert r.err.startswith("keyport: "), r.describe()
        assert sorted(p.name for p in self.kp.dir.iterdir()) == before, "a failure left a file behind"
        return r


def new_credential(kp: kphelp.Keyport, alg: str, cred_id: str, name: str | None = None) -> tuple[Path, dict]:
    out = kp.path(name or f"{cred_id}.cred")
    kp.ok("credential", "new", "--alg", alg, "--id", cred_id, "--out", out)
    r = kp.ok("credential", "show", out)
    line = json.loads(r.out.decode().strip().splitlines()[-1])
    return out, line


@pytest.fixture(params=["Ed25519", "ECDSA-P256"])
def client(request, kp, stub) -> Client:
    cred, line = new_credential(kp, request.param, f"cred-{request.param.lower()}")
    stub.credentials[line["credId"]] = (line["algorithm"], line["publicKey"])
    kp.write("token", TOKEN + "\n")
    return Client(kp, stub, cred, ["--url", stub.url, "--token-file", "token", "--credential", cred])


# A request body with what JSON escaping must get right: quotes, a backslash, a tab, non-ASCII,
# and the final newline that `keyport import prepare` and `keyport export init` print.
REQUEST = ('{"name":"caf\u00e9 \\"\u00fcber\\" \\\\ x","curve":"secp256k1","protocol":"CGGMP21","minSigners":3,'
           '"encryptedKeyShares":[{"signerId":"AAEC","encryptedKeyShare":"AwQF"}],"note":"\u2603\\t"}\n').encode()
BUNDLE = b'{"version":1,"type":"keyport-approvals","approvals":["not checked by the stub"]}\n'


# --------------------------------------------------------------------------- credentials

@pytest.mark.parametrize("alg,publen", [("Ed25519", 32), ("ECDSA-P256", 65)])
def test_credential_new_and_show(kp, alg, publen):
    path, line = new_credential(kp, alg, "ops/alice@example", "alice.cred")
    assert list(line) == ["credId", "algorithm", "publicKey"]
    assert line["credId"] == "ops/alice@example" and line["algorithm"] == alg
    assert len(bytes.fromhex(line["publicKey"])) == publen
    assert path.stat().st_mode & 0o777 == 0o600
    doc = json.loads(path.read_bytes())
    assert doc["type"] == "keyport-credential" and doc["publicKey"] == line["publicKey"]
    # the private key signs for the public key that show prints
    r = kp.ok("credential", "show", path)
    text = r.out.decode()
    assert f"public key: {line['publicKey']}" in text and f"algorithm:  {alg}" in text
    kp.fail("credential", "new", "--alg", alg, "--id", "x", "--out", path, codes=EXIT_IO)
    kp.fail("credential", "new", "--alg", "RSA", "--id", "x", "--out", "y.cred", codes=EXIT_USAGE, must_not_exist=["y.cred"])
    kp.fail("credential", "new", "--alg", alg, "--id", "", "--out", "y.cred", codes=EXIT_INPUT, must_not_exist=["y.cred"])
    kp.write("bad.cred", b'{"version":1}')
    r = kp.fail("credential", "show", "bad.cred", codes=EXIT_INPUT)
    assert "bad.cred" in r.err


# --------------------------------------------------------------------------- reads

def test_signers_keys_key_audit(client):
    st = client.stub
    signers = {"clusters": [{"clusterId": "c1", "signers": [{"signerId": "AAE=", "encryptionKey": "AQI="}]}]}
    st.answer("GET", "/signers", signers)
    st.answer("GET", "/keys", {"items": []})
    st.answer("GET", f"/keys/{KEY_ID}", {"id": KEY_ID, "status": "Active"})
    st.answer("GET", "/audit", {"entries": [1]})
    st.answer("GET", f"/audit?keyId={KEY_ID}", {"entries": [2]})
    raw = b'{"seq":1}\n{"seq":2}'  # printed as it is: no newline added
    st.answer("GET", "/audit/raw", raw, ctype="application/x-ndjson")

    assert json.loads(client.ok("signers").out) == signers
    assert client.ok("signers").out.endswith(b"}\n")
    assert json.loads(client.ok("keys").out) == {"items": []}
    assert json.loads(client.ok("key", KEY_ID).out)["id"] == KEY_ID
    assert json.loads(client.ok("audit").out) == {"entries": [1]}
    assert json.loads(client.ok("audit", "--key", KEY_ID).out) == {"entries": [2]}
    assert client.ok("audit", "--raw").out == raw
    assert not st.actions, "a read must not ask for a user action"
    for s in st.seen:
        assert s.headers["Authorization"] == f"Bearer {TOKEN}"
        assert "X-DFNS-USERACTION" not in s.headers and "X-Keyport-Approvals" not in s.headers


def test_signers_output_feeds_import_prepare(client):
    """The answer of `api signers` is the --signers file of `keyport import prepare`."""
    rng = random.Random(7)
    signers = kphelp.make_signers(rng, 3)
    doc = {"clusters": [{"clusterId": "c1", "signers": [{"signerId": s.sid, "encryptionKey": s.ek_b64}
                                                        for s in signers]}]}
    client.stub.answer("GET", "/signers", doc)
    client.kp.write("signers.json", client.ok("signers").out)
    client.kp.write("key.hex", "11" * 32)
    r = client.kp.ok("import", "prepare", "--signers", "signers.json", "--curve", "secp256k1", "--protocol", "CGGMP21",
                     "--key-file", "key.hex")
    assert len(json.loads(r.out)["encryptedKeyShares"]) == 3


# --------------------------------------------------------------------------- signed requests

def test_import_sends_the_file_byte_for_byte(client):
    st = client.stub
    client.kp.write("req.json", REQUEST)
    client.kp.write("bundle.json", BUNDLE)
    st.approvals = BUNDLE
    answer = {"id": KEY_ID, "status": "Active", "imported": True}
    st.answer("POST", "/keys/import", answer)
    r = client.ok("import", "--request", "req.json", "--approvals", "bundle.json")
    assert json.loads(r.out) == answer
    [sent] = st.requests("/keys/import")
    assert sent.body == REQUEST, "the body must be the request file, its final newline included"
    assert sent.headers["X-Keyport-Approvals"] == base64.b64encode(BUNDLE).decode()
    assert st.actions == [("POST", "/keys/import", REQUEST.decode())]
    [init] = st.requests("/auth/action/init")
    assert json.loads(init.body)["userActionPayload"].encode() == REQUEST
    assert [s.path for s in st.seen] == ["/auth/action/init", "/auth/action", "/keys/import"]


def test_export_writes_the_answer_for_export_recover(client):
    st = client.stub
    client.kp.write("req.json", b'{"encryptionKey":"AQNi","delete":true}\n')
    client.kp.write("bundle.json", BUNDLE)
    answer = b'{"publicKey":"03ab","minSigners":3,"curve":"secp256k1","protocol":"CGGMP21","encryptedKeyShares":[]}'
    st.answer("POST", f"/keys/{KEY_ID}/export", answer)
    r = client.ok("export", "--key-id", KEY_ID, "--request", "req.json", "--approvals", "bundle.json", "--out", "resp.json")
    assert b"resp.json" in r.out
    assert client.kp.path("resp.json").read_bytes() == answer
    [sent] = st.requests(f"/keys/{KEY_ID}/export")
    assert sent.body == b'{"encryptionKey":"AQNi","delete":true}\n'
    assert st.actions == [("POST", f"/keys/{KEY_ID}/export", sent.body.decode())]
    # --out exists: refused before anything is sent (the export may archive the key)
    n = len(st.seen)
    r = client.fail("export", "--key-id", KEY_ID, "--request", "req.json", "--approvals", "bundle.json", "--out", "resp.json",
                    codes=EXIT_IO)
    assert "resp.json" in r.err and "already exists" in r.err
    assert len(st.seen) == n


def test_export_real_response_recovers(client):
    """--out holds exactly what `keyport export recover --response` reads."""
    kp = client.kp
    ctx = kphelp.export_init(kp)
    case = kphelp.build_export(kphelp.W.SECP256K1, "CGGMP21", ctx.ek, random.Random(11))
    kp.write("req.json", ctx.request)
    kp.write("bundle.json", BUNDLE)
    client.stub.answer("POST", f"/keys/{KEY_ID}/export", case.response.encode())
    client.ok("export", "--key-id", KEY_ID, "--request", "req.json", "--approvals", "bundle.json", "--out", "resp.json")
    [sent] = client.stub.requests(f"/keys/{KEY_ID}/export")
    assert sent.body == ctx.request
    r = kp.ok("export", "recover", "--context", ctx.context, "--passphrase-file", ctx.passfile, "--response", "resp.json")
    assert f"{case.key:064x}".encode() in r.out


def test_archive_sends_two_bytes(client):
    st = client.stub
    client.kp.write("bundle.json", BUNDLE)
    st.answer("POST", f"/keys/{KEY_ID}/archive", {"id": KEY_ID, "status": "Archived"})
    assert client.kp.ok("api", "archive", KEY_ID, "--print-request").out == b"{}"
    r = client.ok("archive", KEY_ID, "--approvals", "bundle.json")
    assert json.loads(r.out)["status"] == "Archived"
    [sent] = st.requests(f"/keys/{KEY_ID}/archive")
    assert sent.body == b"{}"
    assert st.actions == [("POST", f"/keys/{KEY_ID}/archive", "{}")]


def test_keygen_body(client):
    st = client.stub
    client.kp.write("bundle.json", BUNDLE)
    st.answer("POST", "/keys", {"id": KEY_ID, "status": "Active"})
    args = ["--scheme", "FROST", "--curve", "ed25519", "--name", 'treasury "hot" \u00e9']
    printed = client.kp.ok("api", "keygen", *args, "--print-request").out
    assert json.loads(printed) == {"scheme": "FROST", "curve": "ed25519", "name": 'treasury "hot" \u00e9'}
    assert list(json.loads(printed)) == ["scheme", "curve", "name"]
    client.ok("keygen", *args, "--approvals", "bundle.json")
    [sent] = st.requests("/keys")
    assert sent.body == printed, "--print-request must print exactly the bytes sent"
    client.fail("keygen", "--scheme", "FROST", "--curve", "secp256k1", "--name", "x", "--approvals", "bundle.json",
                codes=EXIT_INPUT)


def test_every_request_gets_a_fresh_user_action(client):
    st = client.stub
    client.kp.write("bundle.json", BUNDLE)
    st.answer("POST", f"/keys/{KEY_ID}/archive", {"id": KEY_ID})
    client.ok("archive", KEY_ID, "--approvals", "bundle.json")
    client.ok("archive", KEY_ID, "--approvals", "bundle.json")
    assert len(st.actions) == 2 and not st.tokens, "each userAction is used once"


# --------------------------------------------------------------------------- refusals and failures

def test_refused_request_exits_9_with_the_server_message(client):
    st = client.stub
    client.kp.write("req.json", REQUEST)
    client.kp.write("bundle.json", BUNDLE)
    st.answer("POST", "/keys/import", error_body(403, "quorum not met: 1 of 2 approvals counted (bob: bad_signature)"),
              status=403)
    r = client.fail("import", "--request", "req.json", "--approvals", "bundle.json", codes=EXIT_REFUSED)
    assert "HTTP 403" in r.err and "quorum not met: 1 of 2 approvals counted (bob: bad_signature)" in r.err
    assert f"POST {st.url}/keys/import" in r.err

    r = client.fail("key", "key-nothere", codes=EXIT_REFUSED)
    assert "HTTP 404" in r.err and "no such path: /keys/key-nothere" in r.err


def test_error_message_is_sanitized_and_non_json_bodies_shown(client):
    st = client.stub
    st.answer("GET", "/keys", error_body(500, "bad\u001b[31m thing\nhere"), status=500)
    r = client.fail("keys", codes=EXIT_REFUSED)
    assert "\x1b" not in r.err and "bad?[31m thing?here" in r.err
    st.answer("GET", "/keys", b"<html>502 Bad Gateway</html>", status=502, ctype="text/html")
    r = client.fail("keys", codes=EXIT_REFUSED)
    assert "HTTP 502" in r.err and "502 Bad Gateway" in r.err


def test_wrong_token_exits_9(client):
    client.kp.write("token", "not-the-token\n")
    r = client.fail("signers", codes=EXIT_REFUSED)
    assert "HTTP 401" in r.err and "missing or wrong bearer token" in r.err


def test_unknown_credential_is_refused(client):
    """The cluster lists other credentials: keyport says so without signing."""
    st = client.stub
    client.kp.write("req.json", REQUEST)
    client.kp.write("bundle.json", BUNDLE)
    st.answer("POST", "/keys/import", {})
    cred_id = json.loads(client.cred.read_bytes())["credId"]
    st.credentials = {"someone-else": st.credentials[cred_id]}
    r = client.fail("import", "--request", "req.json", "--approvals", "bundle.json", codes=EXIT_REFUSED)
    assert cred_id in r.err and "allowCredentials" in r.err
    assert not st.requests("/auth/action") and not st.requests("/keys/import")


def test_bad_signature_is_refused(client, kp):
    """The stub's verifier works: a credential registered with another public key is refused at
    POST /auth/action, and keyport exits 9 with the cluster's message."""
    st = client.stub
    other, line = new_credential(kp, "Ed25519", "other", "other.cred")
    cred_id = json.loads(client.cred.read_bytes())["credId"]
    alg = st.credentials[cred_id][0]
    if alg == "Ed25519":
        st.credentials[cred_id] = (alg, line["publicKey"])
    else:
        _, l2 = new_credential(kp, "ECDSA-P256", "other2", "other2.cred")
        st.credentials[cred_id] = (alg, l2["publicKey"])
    client.kp.write("bundle.json", BUNDLE)
    st.answer("POST", f"/keys/{KEY_ID}/archive", {})
    r = client.fail("archive", KEY_ID, "--approvals", "bundle.json", codes=EXIT_REFUSED)
    assert "/auth/action" in r.err and "signature does not verify" in r.err
    assert not st.requests(f"/keys/{KEY_ID}/archive")


def test_no_answer_exits_6(kp, tmp_path):
    with socket.socket() as s:  # a port that nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    kp.write("token", TOKEN)
    r = kp.fail("api", "keys", "--url", f"http://127.0.0.1:{port}", "--token-file", "token", codes=EXIT_IO)
    assert f"http://127.0.0.1:{port}/keys" in r.err and "no answer" in r.err


def test_proxy_environment_is_ignored(client):
    """libkeyport never reads the environment: http_proxy must not divert the request."""
    client.stub.answer("GET", "/keys", {"items": []})
    env = dict(os.environ, http_proxy="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9",
               ALL_PROXY="http://127.0.0.1:9", no_proxy="", NO_PROXY="")
    r = client.run("keys", env=env)
    assert r.rc == 0, r.describe()


def test_oversized_answer(client):
    client.stub.answer("GET", "/keys", b" " * ((16 << 20) + 1))
    r = client.fail("keys", codes=EXIT_INPUT)
    assert "larger than" in r.err


# --------------------------------------------------------------------------- usage and config

def test_usage_errors(kp, stub):
    kp.write("token", TOKEN)
    kp.write("req.json", REQUEST)
    kp.write("bundle.json", BUNDLE)
    conn = ["--url", stub.url, "--token-file", "token"]
    cases = [
        (["import", "--request", "req.json", "--approvals", "bundle.json", *conn], "--credential"),
        (["import", "--request", "req.json", *conn], "--approvals"),
        (["export", "--request", "req.json", "--approvals", "bundle.json", "--out", "o", *conn], "--key-id"),
        (["keys", "--key", KEY_ID, *conn], "--key does not go"),
        (["audit", "--key", KEY_ID, "--raw", *conn], "--raw"),
        (["key", *conn], "KEYID"),
        (["key", "key/../x", *conn], "a key id holds only"),
        (["archive", KEY_ID, "extra", "--approvals", "bundle.json", *conn], "KEYID"),
        (["keys", "--url", stub.url], "--token-file"),
        (["keys", "--token-file", "token"], "--url"),
        (["nothing"], "unknown subcommand"),
        (["keys", "--bogus", *conn], "--bogus"),
    ]
    for args, needle in cases:
        r = kp.fail("api", *args, codes=EXIT_USAGE)
        assert needle in r.err, r.describe()
    assert not stub.seen, "a usage error must send nothing"
    assert kp.ok("api", "--help").out.startswith(b"usage: keyport api")
    kp.fail("api", "keys", "--url", "ftp://x", "--token-file", "token", codes=EXIT_INPUT)
    kp.write("empty", b"\n")
    kp.fail("api", "keys", "--url", stub.url, "--token-file", "empty", codes=EXIT_INPUT)
    kp.fail("api", "keys", "--url", stub.url, "--token-file", "missing", codes=EXIT_IO)


def test_config_file(client):
    st = client.stub
    st.answer("GET", "/keys", {"items": []})
    st.answer(
        "POST", f"/keys/{KEY_ID}/archive", {"id": KEY_ID})
    d = client.kp.path("conf")
    d.mkdir()
    (d / "token").write_text(TOKEN + "\n")
    os.link(client.cred, d / "me.cred")
    client.kp.write("bundle.json", BUNDLE)
    client.kp.write("conf/api.json", json.dumps({"url": st.url, "tokenFile": "token", "credential": "me.cred"}))
    kp = client.kp
    assert json.loads(kp.ok("api", "keys", "--config", "conf/api.json").out) == {"items": []}
    kp.ok("api", "archive", KEY_ID, "--approvals", "bundle.json", "--config", "conf/api.json")
    # the command line wins over the file
    kp.write("conf/bad.json", json.dumps({"url": "http://127.0.0.1:9", "tokenFile": "token"}))
    kp.ok("api", "keys", "--config", "conf/bad.json", "--url", st.url)
    # the config file is read by libkeyport's strict reader, whose messages these are
    for text, needle in [('{"url":1}', "must be a string"), ('{"url":""}', "non-empty string"),
                         ('{"uri":"x"}', "unknown member"), ('{"url":"a","url":"b"}', "duplicate key"),
                         ('{"url":"a"} x', "trailing data"), ("[]", "must be a JSON object")]:
        kp.write("conf/x.json", text)
        r = kp.fail("api", "keys", "--config", "conf/x.json", codes=EXIT_INPUT)
        assert "conf/x.json" in r.err and needle in r.err, r.describe()


# --------------------------------------------------------------------------- with real approvals

@pytest.fixture
def team(kp):
    ops = [R.make_operator(kp, n) for n in ("alice", "bob")]
    args = []
    for op in ops:
        args += ["--operator", op.path]
    kp.ok("policy", "new", "--id", "team", *args, "--quorum", "import=2", "--quorum", "export=2", "--quorum", "archive=2",
          "--out", "policy.json")
    return ops


@pytest.mark.parametrize("action", ["import", "archive"])
def test_approvals_cover_the_bytes_sent(client, team, action):
    """What the operators approved (keyport approve --request FILE) is exactly what the cluster
    receives: the bundle the stub got verifies against the body the stub got."""
    kp, st = client.kp, client.stub
    if action == "import":
        kp.write("req.json", REQUEST)
        key_args, path, api_args = [], "/keys/import", ["import", "--request", "req.json"]
    else:
        kp.write("req.json", b"{}")  # printf '{}' > archive.json, as api --help says
        key_args, path, api_args = ["--key-id", KEY_ID], f"/keys/{KEY_ID}/archive", ["archive", KEY_ID]
    for op in team:
        kp.ok("approve", "--operator", op.path, "--passphrase-file", op.passfile, "--policy", "policy.json",
              "--action", action, *key_args, "--request", "req.json", "--bundle", "bundle.json")
    st.approvals = kp.path("bundle.json").read_bytes()
    st.answer("POST", path, {"ok": True})
    client.ok(*api_args, "--approvals", "bundle.json")
    [sent] = st.requests(path)
    kp.write("sent-body", sent.body)
    kp.write("sent-bundle", base64.b64decode(sent.headers["X-Keyport-Approvals"]))
    kp.ok("approvals", "verify", "--policy", "policy.json", "--action", action, *key_args, "--request", "sent-body",
          "--bundle", "sent-bundle")
