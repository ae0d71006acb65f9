"""keyport approve / approvals verify, checked independently: every signature is verified with
PyNaCl over canonical statement bytes re-made here from keyport.h's documented format, and
approvals made entirely in Python (with the operators' seeds opened independently from their
files) are fed to keyport."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import nacl.signing
import pytest

import kphelp
import test_kyk_reference as R

POLICY_ID = "kyk-team"
QUORUM = {"import": 2, "export": 2, "archive": 3}
KEY = "key-01HXYZ"


@dataclass
class Team:
    kp: kphelp.Keyport
    ops: dict[str, R.Operator]
    policy: Path
    outsider: R.Operator  # a real operator who is not in the policy


@pytest.fixture(scope="module")
def team(keyport_bin, tmp_path_factory) -> Team:
    kp = kphelp.Keyport(keyport_bin, tmp_path_factory.mktemp("kyk-approvals"))
    ops = {n: R.make_operator(kp, n) for n in ("alice", "bob", "carol")}
    dave = R.make_operator(kp, "dave")
    args = []
    for op in ops.values():
        args += ["--operator", op.path]
    for a, m in QUORUM.items():
        args += ["--quorum", f"{a}={m}"]
    kp.ok("policy", "new", "--id", POLICY_ID, *args, "--out", "policy.json")
    return Team(kp, ops, kp.path("policy.json"), dave)


def request_bytes(tag: str = "") -> bytes:
    """A request body: any bytes; the approval binds their SHA-256."""
    return R.compact({"encryptionKey": os.urandom(33).hex(), "tag": tag}) + b"\n"


def approve(kp: kphelp.Keyport, team: Team, who: str, action: str, key_id: str | None, request: Path,
            bundle: str | Path = "bundle.json", *extra, ok: bool = True) -> kphelp.Run:
    op = team.ops[who] if who in team.ops else team.outsider
    args = ["approve", "--operator", op.path, "--passphrase-file", op.passfile, "--policy", team.policy,
            "--action", action, "--request", request, "--bundle", bundle, *extra]
    if key_id is not None:
        args += ["--key-id", key_id]
    return kp.ok(*args) if ok else kp.run(*args)


def verify(kp: kphelp.Keyport, team: Team, action: str, key_id: str | None, request: Path,
           bundle: str | Path = "bundle.json", *extra, policy: Path | None = None) -> kphelp.Run:
    args = ["approvals", "verify", "--policy", policy or team.policy, "--action", action, "--request", request,
            "--bundle", bundle, *extra]
    if key_id is not None:
        args += ["--key-id", key_id]
    return kp.run(*args)


def verify_json(kp, team, action, key_id, request, bundle="bundle.json", **kw) -> tuple[int, dict]:
    r = verify(kp, team, action, key_id, request, bundle, "--json", **kw)
    assert r.rc in (0, 7), r.describe()
    doc = R.loads(r.out)
    assert list(doc) == ["approved", "counted", "needed", "approvals"], doc
    assert doc["approved"] is (r.rc == 0)
    for a in doc["approvals"]:
        assert list(a) == ["operator", "publicKey", "counted", "verdict", "reason"], a
        assert a["counted"] is (a["verdict"] == "counted")
    assert doc["counted"] == sum(a["counted"] for a in doc["approvals"])
    return r.rc, doc


def read_bundle(path: Path) -> list[dict]:
    doc = R.loads(path.read_bytes())
    assert list(doc) == ["version", "approvals"] and doc["version"] == 1, doc
    for e in doc["approvals"]:
        assert list(e) == ["statement", "signature"], e
    return doc["approvals"]


def check_approval(entry: dict, team: Team, who: str, action: str, key_id: str | None, request: bytes,
                   t0: int, t1: int, ttl: int = 24 * 3600):
    s = entry["statement"]
    want_fields = [f for f in R.STATEMENT_FIELDS if key_id is not None or f != "keyId"]
    assert list(s) == want_fields, f"statement fields {list(s)}"
    assert s["type"] == "keyport-approval" and s["version"] == 1
    assert s["policy"] == POLICY_ID and s["action"] == action
    if key_id is not None:
        assert s["keyId"] == key_id
    assert s["request"] == R.sha256_hex(request), "request must be the SHA-256 of the request file bytes"
    assert re.fullmatch(r"[0-9a-f]{32}", s["nonce"])
    assert s["operator"] == team.ops[who].pk_hex
    assert t0 - 2 <= s["time"] <= t1 + 2, (t0, s["time"], t1)
    assert s["expires"] - s["time"] == ttl
    assert re.fullmatch(r"[0-9a-f]{128}", entry["signature"])
    assert R.verify_approval(entry), "the signature does not verify (PyNaCl) over the canonical statement bytes"


@pytest.fixture(scope="module")
def approved(team) -> tuple[Path, Path, bytes]:
    """alice and bob approve the export of KEY for one request: (request file, bundle, request bytes)."""
    kp = team.kp
    req = request_bytes("module")
    rq = kp.write("approved-req.json", req)
    approve(kp, team, "alice", "export", KEY, rq, "approved-bundle.json")
    approve(kp, team, "bob", "export", KEY, rq, "approved-bundle.json")
    return rq, kp.path("approved-bundle.json"), req


@pytest.fixture
def copy_approved(kp, approved):
    rq, bundle, req = approved
    shutil.copy(rq, kp.path("req.json"))
    shutil.copy(bundle, kp.path("bundle.json"))
    return kp.path("req.json"), kp.path("bundle.json"), req


# =========================================================================== approve


def test_approve_bundle_verifies_independently(team, kp):
    req = request_bytes("a")
    rq = kp.write("req.json", req)
    t0 = int(time.time())
    r = approve(kp, team, "alice", "export", KEY, rq)
    assert "alice" in r.out.decode()
    first = read_bundle(kp.path("bundle.json"))
    assert len(first) == 1
    approve(kp, team, "bob", "export", KEY, rq)
    t1 = int(time.time())
    entries = read_bundle(kp.path("bundle.json"))
    assert len(entries) == 2
    assert entries[0] == first[0], "adding an approval must keep the earlier ones as they were"
    check_approval(entries[0], team, "alice", "export", KEY, req, t0, t1)
    check_approval(entries[1], team, "bob", "export", KEY, req, t0, t1)
    assert entries[0]["statement"]["nonce"] != entries[1]["statement"]["nonce"]
    # the bundle holds the statements in their canonical form
    text = kp.path("bundle.json").read_bytes()
    for e in entries:
        assert R.canonical(e["statement"]) in text
    # a changed statement no longer verifies (the reference check can fail)
    forged = json.loads(json.dumps(entries[0]))
    forged["statement"]["expires"] += 1
    assert not R.verify_approval(forged)

    v = verify(kp, team, "export", KEY, rq)
    assert v.rc == 0, v.describe()
    out = v.out.decode()
    assert out.splitlines()[0] == f"approved: 2 of the 2 approvals needed count for export of key {KEY} under policy {POLICY_ID}"
    for i, who in enumerate(("alice", "bob")):
        op = team.ops[who]
        assert re.search(rf"approval {i + 1} by {who} \({R.fingerprint(op.pk)}\): counts", out), out


def test_import_approval_has_no_key_id(team, kp):
    req = request_bytes("imp")
    rq = kp.write("req.json", req)
    t0 = int(time.time())
    approve(kp, team, "carol", "import", None, rq, "bundle.json", "--expires-in", "90m")
    approve(kp, team, "alice", "import", None, rq)
    t1 = int(time.time())
    entries = read_bundle(kp.path("bundle.json"))
    assert "keyId" not in entries[0]["statement"]
    check_approval(entries[0], team, "carol", "import", None, req, t0, t1, ttl=90 * 60)
    check_approval(entries[1], team, "alice", "import", None, req, t0, t1)
    assert verify(kp, team, "import", None, rq).rc == 0
    rc, doc = verify_json(kp, team, "import", None, rq)
    assert rc == 0 and doc["counted"] == 2 and doc["needed"] == 2


def test_archive_needs_all_three(team, kp):
    rq = kp.write("req.json", request_bytes("arch"))
    for who in ("alice", "bob"):
        approve(kp, team, who, "archive", KEY, rq)
    rc, doc = verify_json(kp, team, "archive", KEY, rq)
    assert rc == R.EXIT_NOT_APPROVED and (doc["counted"], doc["needed"]) == (2, 3)
    approve(kp, team, "carol", "archive", KEY, rq)
    rc, doc = verify_json(kp, team, "archive", KEY, rq)
    assert rc == 0 and (doc["counted"], doc["needed"]) == (3, 3)
    for e in read_bundle(kp.path("bundle.json")):
        assert R.verify_approval(e)


@pytest.mark.parametrize("action,key_id", [("import", KEY), ("export", None), ("archive", None), ("delete", KEY)])
def test_approve_key_id_rules_are_usage_errors(team, kp, action, key_id):
    rq = kp.write("req.json", request_bytes())
    op = team.ops["alice"]
    args = ["approve", "--operator", op.path, "--passphrase-file", op.passfile, "--policy", team.policy,
            "--action", action, "--request", rq, "--bundle", "bundle.json"]
    if key_id:
        args += ["--key-id", key_id]
    kp.fail(*args, codes=R.EXIT_USAGE, must_not_exist=["bundle.json"])


def test_approve_wrong_passphrase_writes_nothing(team, kp):
    rq = kp.write("req.json", request_bytes())
    bad = kp.write("bad.pass", b"not the passphrase")
    op = team.ops["alice"]
    kp.fail("approve", "--operator", op.path, "--passphrase-file", bad, "--policy", team.policy, "--action", "import",
            "--request", rq, "--bundle", "bundle.json", codes=R.EXIT_DECRYPT, must_not_exist=["bundle.json"])


def test_approve_by_operator_outside_policy_is_refused(team, kp, copy_approved):
    rq, bundle, _ = copy_approved
    before = bundle.read_bytes()
    r = kp.run("approve", "--operator", team.outsider.path, "--passphrase-file", team.outsider.passfile,
               "--policy", team.policy, "--action", "export", "--key-id", KEY, "--request", rq, "--bundle", bundle)
    assert r.rc == R.EXIT_INPUT, r.describe()
    assert r.out == b"" and "not in policy" in r.err
    assert bundle.read_bytes() == before


def test_approve_refuses_to_extend_a_bundle_with_a_malformed_approval(team, kp, copy_approved):
    rq, bundle, _ = copy_approved
    doc = R.loads(bundle.read_bytes())
    doc["approvals"][0]["statement"]["comment"] = "x"
    bundle.write_bytes(R.compact(doc))
    before = bundle.read_bytes()
    r = approve(kp, team, "carol", "export", KEY, rq, bundle, ok=False)
    assert r.rc == R.EXIT_INPUT and r.out == b"" and r.err, r.describe()
    assert bundle.read_bytes() == before


@pytest.mark.parametrize("value", ["0", "-5s", "1d", "91d", "2160h1", "abc", "2161h"])
def test_approve_expires_in_bad_values(team, kp, value):
    rq = kp.write("req.json", request_bytes())
    op = team.ops["alice"]
    kp.fail("approve", "--operator", op.path, "--passphrase-file", op.passfile, "--policy", team.policy,
            "--action", "import", "--request", rq, "--bundle", "bundle.json", "--expires-in", value,
            codes=R.EXIT_USAGE, must_not_exist=["bundle.json"])


# =========================================================================== approvals verify: refusals


def test_quorum_not_met_names_who_counts_and_why_others_do_not(team, kp):
    rq = kp.write("req.json", request_bytes("nq"))
    approve(kp, team, "alice", "export", KEY, rq)
    approve(kp, team, "alice", "export", KEY, rq)  # the same operator again
    entries = read_bundle(kp.path("bundle.json"))
    # an outsider's correct-looking approval, signed with a fresh key
    stranger = nacl.signing.SigningKey.generate()
    s0 = entries[0]["statement"]
    st = R.statement(POLICY_ID, "export", KEY, R.sha256(rq.read_bytes()), os.urandom(16), s0["time"], s0["expires"],
                     bytes(stranger.verify_key))
    entries.append(R.sign_approval(stranger, st))
    assert R.verify_approval(entries[-1])
    kp.write("bundle.json", R.bundle_bytes(entries))

    r = verify(kp, team, "export", KEY, rq)
    assert r.rc == R.EXIT_NOT_APPROVED, r.describe()
    lines = r.out.decode().splitlines()
    assert lines[0] == f"NOT approved: 1 of the 2 approvals needed count for export of key {KEY} under policy {POLICY_ID}"
    fa = R.fingerprint(team.ops["alice"].pk)
    assert lines[1] == f"  approval 1 by alice ({fa}): counts"
    assert lines[2] == f"  approval 2 by alice ({fa}): is a second approval by the same operator"
    assert lines[3] == (f"  approval 3 by an unknown key ({R.fingerprint(bytes(stranger.verify_key))}): "
                        f"is signed by an operator who is not in the policy")

    rc, doc = verify_json(kp, team, "export", KEY, rq)
    assert rc == R.EXIT_NOT_APPROVED
    assert (doc["approved"], doc["counted"], doc["needed"]) == (False, 1, 2)
    assert [(a["operator"], a["publicKey"], a["verdict"]) for a in doc["approvals"]] == [
        ("alice", team.ops["alice"].pk_hex, "counted"),
        ("alice", team.ops["alice"].pk_hex, "duplicate_operator"),
        (None, bytes(stranger.verify_key).hex(), "unknown_operator"),
    ]
    assert doc["approvals"][2]["reason"] == "is signed by an operator who is not in the policy"


def _flip_hex(s: str, i: int) -> str:
    return s[:i] + ("1" if s[i] != "1" else "2") + s[i + 1:]


@pytest.mark.parametrize("case,verdict,reason", [
    ("changed_request", "other_request", "approves another request"),
    ("other_key_id", "other_key", "approves another key"),
    ("other_action", "other_action", "approves another action"),
    ("export_as_import", "other_action", "approves another action"),
])
def test_every_approval_refused_for_another_request(team, kp, copy_approved, case, verdict, reason):
    rq, bundle, req = copy_approved
    action, key_id = "export", KEY
    if case == "changed_request":
        b = bytearray(req)
        b[len(b) // 2] ^= 0x01
        rq.write_bytes(bytes(b))
    elif case == "other_key_id":
        key_id = KEY + "x"
    elif case == "other_action":
        action = "archive"
    elif case == "export_as_import":
        action, key_id = "import", None
    r = verify(kp, team, action, key_id, rq)
    assert r.rc == R.EXIT_NOT_APPROVED, r.describe()
    out = r.out.decode()
    assert out.startswith("NOT approved: 0 of the"), out
    assert out.count(reason) == 2 and "alice" in out and "bob" in out, out
    rc, doc = verify_json(kp, team, action, key_id, rq)
    assert [a["verdict"] for a in doc["approvals"]] == [verdict, verdict]
    assert [a["operator"] for a in doc["approvals"]] == ["alice", "bob"]
    # and the unchanged request still passes
    if case == "changed_request":
        rq.write_bytes(req)
        assert verify(kp, team, "export", KEY, rq).rc == 0


def test_bad_signature_one_hex_digit(team, kp, copy_approved):
    rq, bundle, _ = copy_approved
    entries = read_bundle(bundle)
    entries[1]["signature"] = _flip_hex(entries[1]["signature"], 77)
    assert not R.verify_approval(entries[1])
    kp.write("bundle.json", R.bundle_bytes(entries))
    r = verify(kp, team, "export", KEY, rq)
    assert r.rc == R.EXIT_NOT_APPROVED, r.describe()
    assert re.search(r"approval 2 by bob \([0-9A-Z-]+\): has a signature that does not verify", r.out.decode())
    rc, doc = verify_json(kp, team, "export", KEY, rq)
    assert [a["verdict"] for a in doc["approvals"]] == ["counted", "bad_signature"]


@pytest.mark.parametrize("field_name", ["nonce", "time", "operator_other_member"])
def test_changed_statement_field_breaks_signature(team, kp, copy_approved, field_name):
    """A statement changed after signing: the re-made canonical bytes no longer match the signature."""
    rq, bundle, _ = copy_approved
    entries = read_bundle(bundle)
    s = entries[1]["statement"]
    if field_name == "nonce":
        s["nonce"] = _flip_hex(s["nonce"], 5)
    elif field_name == "time":
        s["time"] -= 1
    else:  # bob's approval claimed for carol (a member): carol never signed it
        s["operator"] = team.ops["carol"].pk_hex
    assert not R.verify_approval(entries[1])
    kp.write("bundle.json", R.bundle_bytes(entries))
    rc, doc = verify_json(kp, team, "export", KEY, rq)
    assert rc == R.EXIT_NOT_APPROVED
    assert [a["verdict"] for a in doc["approvals"]] == ["counted", "bad_signature"]


def test_forged_approval_by_fresh_key_is_not_in_the_policy(team, kp, copy_approved):
    rq, bundle, req = copy_approved
    entries = read_bundle(bundle)
    fresh = nacl.signing.SigningKey.generate()
    s = dict(entries[1]["statement"])
    s["operator"] = bytes(fresh.verify_key).hex()
    s["nonce"] = os.urandom(16).hex()
    entries[1] = R.sign_approval(fresh, s)
    assert R.verify_approval(entries[1])
    kp.write("bundle.json", R.bundle_bytes(entries))
    r = verify(kp, team, "export", KEY, rq)
    assert r.rc == R.EXIT_NOT_APPROVED, r.describe()
    assert "approval 2 by an unknown key" in r.out.decode() and "not in the policy" in r.out.decode()
    rc, doc = verify_json(kp, team, "export", KEY, rq)
    assert doc["approvals"][1] == {"operator": None, "publicKey": bytes(fresh.verify_key).hex(), "counted": False,
                                   "verdict": "unknown_operator",
                                   "reason": "is signed by an operator who is not in the policy"}


def test_real_operator_outside_the_policy_does_not_count(team, kp, copy_approved):
    """dave is a real operator (his seed opened from his file) but not in the policy."""
    rq, bundle, req = copy_approved
    entries = read_bundle(bundle)
    dave = team.outsider
    s = dict(entries[1]["statement"])
    s["operator"], s["nonce"] = dave.pk_hex, os.urandom(16).hex()
    entries[1] = R.sign_approval(dave.signing_key(), s)
    kp.write("bundle.json", R.bundle_bytes(entries))
    rc, doc = verify_json(kp, team, "export", KEY, rq)
    assert rc == R.EXIT_NOT_APPROVED
    assert [(a["operator"], a["verdict"]) for a in doc["approvals"]] == [("alice", "counted"), (None, "unknown_operator")]


def test_same_operator_twice_counts_once(team, kp, copy_approved):
    rq, bundle, _ = copy_approved
    approve(kp, team, "bob", "export", KEY, rq, bundle)
    entries = read_bundle(bundle)
    assert len(entries) == 3 and all(R.verify_approval(e) for e in entries)
    rc, doc = verify_json(kp, team, "export", KEY, rq)
    assert rc == 0 and doc["counted"] == 2
    assert [a["verdict"] for a in doc["approvals"]] == ["counted", "counted", "duplicate_operator"]
    assert doc["approvals"][2]["operator"] == "bob"


def test_expired_after_expires_in(team, kp):
    rq = kp.write("req.json", request_bytes("exp"))
    t0 = int(time.time())
    approve(kp, team, "alice", "export", KEY, rq, "bundle.json", "--expires-in", "1s")
    approve(kp, team, "bob", "export", KEY, rq, "bundle.json", "--expires-in", "1s")
    t1 = int(time.time())
    entries = read_bundle(kp.path("bundle.json"))
    check_approval(entries[0], team, "alice", "export", KEY, rq.read_bytes(), t0, t1, ttl=1)
    time.sleep(2.1)
    r = verify(kp, team, "export", KEY, rq)
    assert r.rc == R.EXIT_NOT_APPROVED, r.describe()
    assert r.out.decode().count("has expired") == 2
    rc, doc = verify_json(kp, team, "export", KEY, rq)
    assert [a["verdict"] for a in doc["approvals"]] == ["expired", "expired"]


# =========================================================================== approvals made in Python


def _py_approval(team: Team, who: str, action: str, key_id: str | None, req: bytes, *, t: int | None = None,
                 ttl: int = 3600, nonce: bytes | None = None, policy: str = POLICY_ID) -> dict:
    op = team.ops[who]
    t = int(time.time()) if t is None else t
    s = R.statement(policy, action, key_id, R.sha256(req), nonce or os.urandom(16), t, t + ttl, op.pk)
    return R.sign_approval(op.signing_key(), s)


def test_bundle_made_independently_is_approved(team, kp):
    """Statements built and signed in Python from the documented format are accepted: keyport's
    canonical bytes are the documented ones."""
    req = request_bytes("py")
    rq = kp.write("req.json", req)
    kp.write("bundle.json", R.bundle_bytes([_py_approval(team, "carol", "export", KEY, req),
                                            _py_approval(team, "bob", "export", KEY, req)]))
    r = verify(kp, team, "export", KEY, rq)
    assert r.rc == 0, r.describe()
    kp.write("bundle.json", R.bundle_bytes([_py_approval(team, "carol", "import", None, req),
                                            _py_approval(team, "alice", "import", None, req)]))
    assert verify(kp, team, "import", None, rq).rc == 0


@pytest.mark.parametrize("case,verdict", [
    ("future", "not_yet_valid"),
    ("slightly_ahead", "counted"),      # within the allowed clock skew
    ("past_expired", "expired"),
    ("past_valid", "counted"),
    ("replayed_nonce", "replayed"),
    ("other_policy", "other_policy"),
    ("key_id_on_import", "other_key"),
    ("unknown_field", "malformed"),
    ("expires_before_time", "malformed"),
    ("non_canonical_bytes", "bad_signature"),
])
def test_python_made_approval_verdicts(team, kp, case, verdict):
    req = request_bytes(case)
    rq = kp.write("req.json", req)
    now = int(time.time())
    action, key_id = "export", KEY
    first = _py_approval(team, "alice", action, key_id, req)
    if case == "future":
        second = _py_approval(team, "bob", action, key_id, req, t=now + 3600)
    elif case == "slightly_ahead":
        second = _py_approval(team, "bob", action, key_id, req, t=now + 60)
    elif case == "past_expired":
        second = _py_approval(team, "bob", action, key_id, req, t=now - 7200, ttl=3600)
    elif case == "past_valid":
        second = _py_approval(team, "bob", action, key_id, req, t=now - 7200, ttl=3 * 3600)
    elif case == "replayed_nonce":
        second = _py_approval(team, "bob", action, key_id, req, nonce=bytes.fromhex(first["statement"]["nonce"]))
    elif case == "other_policy":
        second = _py_approval(team, "bob", action, key_id, req, policy=POLICY_ID + "-old")
    elif case == "key_id_on_import":
        action, key_id = "import", None
        first = _py_approval(team, "alice", "import", None, req)
        s = R.statement(POLICY_ID, "import", KEY, R.sha256(req), os.urandom(16), now, now + 60, team.ops["bob"].pk)
        second = R.sign_approval(team.ops["bob"].signing_key(), s)
    elif case == "unknown_field":
        s = R.statement(POLICY_ID, action, key_id, R.sha256(req), os.urandom(16), now, now + 60, team.ops["bob"].pk)
        raw = R.canonical(s)[:-1] + b',"comment":"x"}'
        s["comment"] = "x"
        second = {"statement": s, "signature": team.ops["bob"].signing_key().sign(raw).signature.hex()}
    elif case == "expires_before_time":
        s = R.statement(POLICY_ID, action, key_id, R.sha256(req), os.urandom(16), now, now, team.ops["bob"].pk)
        second = R.sign_approval(team.ops["bob"].signing_key(), s)
    elif case == "non_canonical_bytes":
        s = R.statement(POLICY_ID, action, key_id, R.sha256(req), os.urandom(16), now, now + 60, team.ops["bob"].pk)
        raw = json.dumps(s).encode()  # with spaces: not the canonical bytes
        assert raw != R.canonical(s)
        second = R.sign_approval(team.ops["bob"].signing_key(), s, raw=raw)
    else:
        raise ValueError(case)
    kp.write("bundle.json", R.bundle_bytes([first, second]))
    rc, doc = verify_json(kp, team, action, key_id, rq)
    assert [a["verdict"] for a in doc["approvals"]] == ["counted", verdict], doc
    assert rc == (0 if verdict == "counted" else R.EXIT_NOT_APPROVED)


# =========================================================================== approvals verify: input errors


def test_verify_input_errors(team, kp, copy_approved):
    rq, bundle, _ = copy_approved
    base = ["approvals", "verify", "--policy", team.policy, "--action", "export", "--key-id", KEY, "--request", rq]
    kp.fail(*base, "--bundle", "missing.json", codes=R.EXIT_IO)
    kp.write("junk.json", b"{not json")
    kp.fail(*base, "--bundle", "junk.json", codes=R.EXIT_INPUT)
    kp.write("extra.json", R.compact({"version": 1, "approvals": [], "note": 1}))
    kp.fail(*base, "--bundle", "extra.json", codes=R.EXIT_INPUT)
    kp.write("v2.json", R.compact({"version": 2, "approvals": []}))
    kp.fail(*base, "--bundle", "v2.json", codes=R.EXIT_INPUT)
    kp.fail("approvals", "verify", "--policy", team.policy, "--action", "export", "--request", rq, "--bundle", bundle,
            codes=R.EXIT_USAGE)
    kp.fail(*base, "--bundle", bundle, "--frobnicate", codes=R.EXIT_USAGE)


def test_empty_bundle_is_not_approved(team, kp):
    rq = kp.write("req.json", request_bytes())
    kp.write("bundle.json", R.bundle_bytes([]))
    rc, doc = verify_json(kp, team, "export", KEY, rq)
    assert rc == R.EXIT_NOT_APPROVED and doc == {"approved": False, "counted": 0, "needed": 2, "approvals": []}


@pytest.mark.parametrize("body", [b"", b"   \n", b"not json", b"[1,2]", b"42", b"{\"a\":", b"\xff\xfe{}"])
def test_approve_refuses_an_empty_or_unparsable_request(team, kp, body):
    """An approval signs the request's digest: signing SHA-256 of nothing, or of bytes that are no
    request body, would be an approval of nothing the operator could have read."""
    rq = kp.write("req.json", body)
    op = team.ops["alice"]
    r = kp.fail("approve", "--operator", op.path, "--passphrase-file", op.passfile, "--policy", team.policy,
                "--action", "import", "--request", rq, "--bundle", "bundle.json",
                codes=R.EXIT_INPUT, must_not_exist=["bundle.json"])
    assert "req.json" in r.err, r.describe()
