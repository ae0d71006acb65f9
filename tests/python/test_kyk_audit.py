"""The audit log (--audit on the offline commands, keyport audit verify/show), checked
independently: every line's Ed25519 signature (PyNaCl), the SHA-256 chain, seq, entry 0, the
event details recomputed from the commands' inputs, and the absence of secrets. Then tampered
copies, torn writes, and what an audited command does when the log cannot be used."""

from __future__ import annotations

import base64
import random
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import nacl.signing
import pytest

import kphelp
import test_kyk_reference as R
import wire_ref as W

POLICY_ID = "audit-team"


@dataclass
class Env:
    kp: kphelp.Keyport
    alice: R.Operator      # the log's writer
    bob: R.Operator
    policy: Path
    log: bytes             # the base log, 7 entries
    lines: list[bytes]
    t0: int
    t1: int
    ek: bytes              # the export context's encryption key
    ctx_file: bytes
    ctx_pass: bytes
    import_key: int
    import_out: bytes
    signers: list[kphelp.Signer]
    export_case: kphelp.ExportCase
    export_out: bytes
    approve_req: bytes

    def audit_args(self, log: Path | str, who: R.Operator | None = None, passfile: Path | None = None) -> list:
        who = who or self.alice
        return ["--audit", log, "--audit-key", who.path, "--audit-passphrase-file", passfile or who.passfile]


EVENTS = ["log.created", "export.requested", "import.prepared", "approval.recorded", "approval.recorded",
          "approval.recorded", "key.exported"]


@pytest.fixture(scope="module")
def env(keyport_bin, tmp_path_factory) -> Env:
    kp = kphelp.Keyport(keyport_bin, tmp_path_factory.mktemp("kyk-audit"))
    alice = R.make_operator(kp, "alice")
    bob = R.make_operator(kp, "bob")
    kp.ok("policy", "new", "--id", POLICY_ID, "--operator", alice.path, "--operator", bob.path,
          "--quorum", "import=1", "--quorum", "export=2", "--quorum", "archive=2", "--out", "policy.json")
    pol = kp.path("policy.json")
    log = kp.path("base.log")
    aud = ["--audit", log, "--audit-key", alice.path, "--audit-passphrase-file", alice.passfile]
    rng = random.Random(20240607)
    t0 = int(time.time())

    # 1. export init
    ctx_pass = b"context pass phrase 7f3a"
    cp = kp.write("ctx.pass", ctx_pass)
    r = kp.ok("export", "init", "--context", "ctx.kpx", "--passphrase-file", cp, "--kdf", "interactive", *aud)
    ek = W.decode_encryption_key(W.parse_json_strict(r.out)["encryptionKey"])
    # 2. import prepare
    signers = kphelp.make_signers(rng, 4)
    key = W.SECP256K1.random_scalar(rng)
    kp.write("signers.json", kphelp.signers_json(signers) + "\n")
    kp.write("key.txt", W.scalar_hex(key) + "\n")
    r = kp.ok("import", "prepare", "--signers", "signers.json", "--curve", "secp256k1", "--protocol", "CGGMP21",
              "--key-file", "key.txt", "--min-signers", "3", *aud)
    import_out = r.out
    # 3. bob approves the import of exactly that body (recorded by alice's log)
    kp.write("import-req.json", import_out)
    kp.ok("approve", "--operator", bob.path, "--passphrase-file", bob.passfile, "--policy", pol, "--action", "import",
          "--request", "import-req.json", "--bundle", "import-bundle.json", *aud)
    # 4, 5. approvals of exports of two keys
    approve_req = b'{"encryptionKey":"AQ...","delete":false}\n'
    kp.write("export-req.json", approve_req)
    kp.ok("approve", "--operator", bob.path, "--passphrase-file", bob.passfile, "--policy", pol, "--action", "export",
          "--key-id", "key-A", "--request", "export-req.json", "--bundle", "a.json", *aud)
    kp.ok("approve", "--operator", alice.path, "--passphrase-file", alice.passfile, "--policy", pol,
          "--action", "export", "--key-id", "key-B", "--request", "export-req.json", "--bundle", "b.json", *aud)
    # 6. export recover (prints a private key; the log must not hold it)
    case = kphelp.build_export(W.SECP256K1, "CGGMP21", ek, rng, n=4, t=2)
    kp.write("resp.json", case.response + "\n")
    r = kp.ok("export", "recover", "--context", "ctx.kpx", "--passphrase-file", cp, "--response", "resp.json", *aud)
    assert r.out.decode().strip() == W.scalar_hex(case.key)
    t1 = int(time.time())
    data = log.read_bytes()
    return Env(kp, alice, bob, pol, data, R.log_lines(data), t0, t1, ek, kp.path("ctx.kpx").read_bytes(), ctx_pass,
               key, import_out, signers, case, r.out, approve_req)


def copy_log(kp: kphelp.Keyport, env: Env, lines: list[bytes] | None = None, tail: bytes = b"",
             name: str = "audit.log") -> Path:
    data = env.log if lines is None else b"".join(l + b"\n" for l in lines)
    return kp.write(name, data + tail)


def verify_json(kp: kphelp.Keyport, log: Path, *extra) -> tuple[int, dict]:
    r = kp.run("audit", "verify", log, "--json", *extra)
    doc = R.loads(r.out)
    assert list(doc) == ["ok", "entries", "head", "writer", "problem", "line", "seq", "message"], doc
    assert doc["ok"] is (r.rc == 0), r.describe()
    return r.rc, doc


# =========================================================================== the log, verified in Python


def test_every_line_verifies_independently(env):
    entries = R.check_log(env.log, env.alice.pk, "alice")
    assert [e["event"] for e in entries] == EVENTS
    for e in entries:
        assert env.t0 - 2 <= e["time"] <= env.t1 + 2
    assert entries[0]["prev"] == "0" * 64


def test_events_record_what_happened(env):
    e = R.check_log(env.log, env.alice.pk)
    fp = R.encryption_key_fingerprint(env.ek)
    assert (e[1]["keyId"], e[1]["publicKey"], e[1]["actors"]) == (None, None, ["alice"])
    assert e[1]["details"] == {"recipient": fp, "delete": True}

    body = env.import_out
    assert body.endswith(b"\n")
    ids = [s["signerId"] for s in W.parse_json_strict(body)["encryptedKeyShares"]]
    assert ids == W.sort_signer_ids(s.sid for s in env.signers)
    assert e[2]["publicKey"] == W.SECP256K1.public_key(env.import_key).hex()
    # the key's origin and the addresses the operators confirmed (issue 11): EIP-55, P2WPKH and
    # P2TR of the public key, checked against bip-utils in test_key_formats.py
    from bip_utils import EthAddrEncoder, P2TRAddrEncoder, P2WPKHAddrEncoder

    pub = W.SECP256K1.public_key(env.import_key)
    addresses = e[2]["details"]["addresses"]
    assert addresses == {"ethereum": EthAddrEncoder.EncodeKey(pub),
                         "bitcoin-p2wpkh": P2WPKHAddrEncoder.EncodeKey(pub, hrp="bc"),
                         "bitcoin-p2tr": P2TRAddrEncoder.EncodeKey(pub, hrp="bc")}
    assert e[2]["details"] == {"curve": "secp256k1", "protocol": "CGGMP21", "minSigners": 3,
                               "request": R.sha256_hex(body), "signers": ids, "keyFormat": "hex",
                               "addresses": addresses}
    # the prepared request and the approval of it name the same bytes: the file as written
    assert e[2]["details"]["request"] == e[3]["details"]["request"]

    assert (e[3]["keyId"], e[3]["actors"]) == (None, ["bob"])
    assert e[3]["details"] == {"action": "import", "policy": POLICY_ID, "request": R.sha256_hex(body),
                               "operator": "bob"}
    # the approval the log records is the one in the bundle
    bundle = R.loads(env.kp.path("import-bundle.json").read_bytes())["approvals"]
    assert bundle[0]["statement"]["request"] == e[3]["details"]["request"] and R.verify_approval(bundle[0])

    assert (e[4]["keyId"], e[4]["actors"], e[4]["details"]["operator"]) == ("key-A", ["bob"], "bob")
    assert (e[5]["keyId"], e[5]["actors"], e[5]["details"]["operator"]) == ("key-B", ["alice"], "alice")
    for x in (e[4], e[5]):
        assert x["details"]["action"] == "export" and x["details"]["request"] == R.sha256_hex(env.approve_req)

    assert e[6]["publicKey"] == env.export_case.public_key.hex()
    assert e[6]["details"] == {"curve": "secp256k1", "protocol": "CGGMP21", "recipient": fp, "culprits": []}


def _forms(secret: bytes) -> list[bytes]:
    h = secret.hex().encode()
    return [secret, h, h.upper(), base64.b64encode(secret), base64.b64encode(secret).rstrip(b"="),
            base64.urlsafe_b64encode(secret).rstrip(b"=")]


def test_no_secret_in_the_log(env):
    log = env.log
    seed = env.alice.seed()
    ctx_secret = R.open_sealed(env.ctx_file, env.ctx_pass, b"KPXC")
    secrets = {
        "alice's seed": seed,
        "bob's seed": env.bob.seed(),
        "the export context file": env.ctx_file,
        "the export context's secret": ctx_secret,
        "the sealed part of the context file": env.ctx_file[R.SEALED_HDR:],
        "the imported private key": env.import_key.to_bytes(32, "big"),
        "the exported private key": env.export_case.key.to_bytes(32, "big"),
    }
    for what, s in secrets.items():
        for form in _forms(s):
            assert form not in log, f"{what} appears in the audit log"
            # also any 16-byte window of its hex (a truncated copy)
        h = s.hex().encode()
        for i in range(0, len(h) - 32, 8):
            assert h[i:i + 32] not in log, f"part of {what} appears in the audit log"
    sk64 = bytes(nacl.signing.SigningKey(seed)._signing_key)  # seed || public key
    assert sk64[32:] == env.alice.pk
    for form in _forms(sk64):
        assert form not in log, "alice's 64-byte secret key appears in the audit log"
    for what, p in {"alice's passphrase": env.alice.passphrase, "bob's passphrase": env.bob.passphrase,
                    "the context passphrase": env.ctx_pass}.items():
        assert p not in log and p.hex().encode() not in log and base64.b64encode(p) not in log, f"{what} is in the log"
    assert W.scalar_hex(env.export_case.key).encode() in env.export_out  # (the check can fail: the key exists)


def test_verify_reports_count_writer_and_head(env, kp):
    log = copy_log(kp, env)
    rc, doc = verify_json(kp, log)
    assert rc == 0
    assert doc == {"ok": True, "entries": 7, "head": R.sha256_hex(env.lines[-1]), "writer": env.alice.pk_hex,
                   "problem": "ok", "line": 0, "seq": -1, "message": ""}
    r = kp.ok("audit", "verify", log)
    assert r.out.decode().splitlines() == ["ok: 7 entries, every signature and link verifies",
                                           f"writer: {env.alice.pk_hex}", f"head:   {R.sha256_hex(env.lines[-1])}"]
    kp.ok("audit", "verify", log, "--writer-key", env.alice.pk_hex)
    for i in (0, 3, 6):  # any head recorded earlier is in the log
        kp.ok("audit", "verify", log, "--head", R.sha256_hex(env.lines[i]))


def test_verify_with_another_writer_key(env, kp):
    log = copy_log(kp, env)
    rc, doc = verify_json(kp, log, "--writer-key", env.bob.pk_hex)
    assert rc == R.EXIT_LOG and (doc["problem"], doc["line"]) == ("other_key", 1)
    assert env.alice.pk_hex in doc["message"]


def test_an_entry_made_in_python_with_the_writers_key_is_accepted(env, kp):
    """keyport accepts an entry built here from the documented format: the signed bytes agree."""
    sk = env.alice.signing_key()
    line = R.make_entry(sk, 7, int(time.time()), "test.note", "key-Z", None, ["alice"], {"n": 1},
                        R.sha256(env.lines[-1]))
    log = copy_log(kp, env, env.lines + [line])
    rc, doc = verify_json(kp, log)
    assert rc == 0 and doc["entries"] == 8 and doc["head"] == R.sha256_hex(line), doc


# =========================================================================== audit show


def test_show_json_is_the_entries(env, kp):
    log = copy_log(kp, env)
    r = kp.ok("audit", "show", log, "--json")
    arr = R.loads(r.out)
    assert isinstance(arr, list) and arr == [R.loads(l) for l in env.lines]
    r = kp.ok("audit", "show", log, "--json", "--key", "key-A")
    assert R.loads(r.out) == [R.loads(env.lines[4])]
    r = kp.ok("audit", "show", log, "--json", "--key", "key-B")
    assert R.loads(r.out) == [R.loads(env.lines[5])]
    r = kp.ok("audit", "show", log, "--json", "--key", "no-such-key")
    assert R.loads(r.out) == []


def test_show_key_lists_only_that_key(env, kp):
    log = copy_log(kp, env)
    rows = kp.ok("audit", "show", log).out.decode().splitlines()
    assert len(rows) == 1 + 7 and "SEQ" in rows[0] and "EVENT" in rows[0]
    for row, ev in zip(rows[1:], EVENTS):
        assert ev in row
    rows = kp.ok("audit", "show", log, "--key", "key-A").out.decode().splitlines()
    assert len(rows) == 2, rows
    assert rows[1].split()[0] == "4" and "key-A" in rows[1] and "approval.recorded" in rows[1] and "bob" in rows[1]
    assert "key-B" not in "\n".join(rows)


# =========================================================================== tampering


def _flip_in_value(line: bytes, field: str, nth: int = 0) -> bytes:
    """Changes one byte inside the value of member `field`, keeping the JSON valid."""
    key = b'"' + field.encode() + b'":'
    i = line.index(key) + len(key)
    if line[i:i + 1] == b"[":
        i += 1
    if line[i:i + 1] == b"{":
        i = line.index(b":", i) + 1
    if line[i:i + 1] == b'"':
        i += 1
    i += nth
    c = line[i:i + 1]
    if c.isdigit():
        new = b"7" if c != b"7" else b"3"
    elif c in b"abcdef":
        new = b"1"
    elif c.isalpha():
        new = b"x" if c != b"x" else b"y"
    else:
        raise AssertionError(f"cannot flip {c!r} in {field}")
    out = line[:i] + new + line[i + 1:]
    assert len(out) == len(line) and out != line
    R.loads(out)  # still JSON
    return out


def _last_digit(line: bytes, field: str) -> bytes:
    key = b'"' + field.encode() + b'":'
    i = line.index(key) + len(key)
    j = i
    while line[j:j + 1].isdigit():
        j += 1
    c = line[j - 1:j]
    return line[:j - 1] + (b"7" if c != b"7" else b"3") + line[j:]


def check_problem(kp: kphelp.Keyport, log: Path, problem: str, line: int, *extra, words=()):
    rc, doc = verify_json(kp, log, *extra)
    assert rc == R.EXIT_LOG, doc
    assert (doc["problem"], doc["line"]) == (problem, line), \
        f"want {problem} at line {line}; keyport says {doc['problem']} at line {doc['line']}: {doc['message']}"
    assert doc["message"], doc
    for w in words:
        assert w in doc["message"], doc
    r = kp.run("audit", "verify", log, *extra)
    assert r.rc == R.EXIT_LOG and r.out == b"", r.describe()
    assert doc["message"] in r.err, r.describe()
    return doc


# line 5 is "approval.recorded" for key-A, actor bob
CHANGED_FIELDS = [
    (5, "seq", lambda l: l.replace(b'"seq":4,', b'"seq":9,')),
    (5, "time", lambda l: _last_digit(l, "time")),
    (5, "event", lambda l: _flip_in_value(l, "event", 3)),
    (5, "keyId", lambda l: l.replace(b'"keyId":"key-A"', b'"keyId":"key-B"')),
    (5, "actors", lambda l: _flip_in_value(l, "actors", 1)),
    (5, "details", lambda l: _flip_in_value(l, "details", 2)),
    (5, "prev", lambda l: _flip_in_value(l, "prev", 10)),
    (5, "writer", lambda l: _flip_in_value(l, "writer", 20)),
    (5, "sig", lambda l: _flip_in_value(l, "sig", 30)),
    (7, "publicKey", lambda l: _flip_in_value(l, "publicKey", 12)),
    (1, "details.writerKey", lambda l: _flip_in_value(l, "details", 8)),
    (1, "sig", lambda l: _flip_in_value(l, "sig", 100)),
    (1, "time", lambda l: _last_digit(l, "time")),
    (1, "seq", lambda l: l.replace(b'"seq":0,', b'"seq":7,')),
    (3, "not-json", lambda l: l[:40] + b"\x00" + l[41:]),
]


@pytest.mark.parametrize("lineno,field,change", CHANGED_FIELDS, ids=[f"line{n}-{f}" for n, f, _ in CHANGED_FIELDS])
def test_changed_byte_is_found(env, kp, lineno, field, change):
    lines = list(env.lines)
    lines[lineno - 1] = change(lines[lineno - 1])
    assert lines[lineno - 1] != env.lines[lineno - 1]
    log = copy_log(kp, env, lines)
    doc = check_problem(kp, log, "changed", lineno, words=[f"line {lineno}"])
    assert doc["entries"] == lineno - 1
    if lineno > 1:
        assert doc["head"] == R.sha256_hex(env.lines[lineno - 2])


@pytest.mark.parametrize("removed,at", [([3], 4), ([2, 3, 4], 3), ([0], 1), ([0, 1], 1)],
                         ids=["line4", "lines3-5", "line1", "lines1-2"])
def test_removed_lines_are_found(env, kp, removed, at):
    lines = [l for i, l in enumerate(env.lines) if i not in removed]
    log = copy_log(kp, env, lines)
    doc = check_problem(kp, log, "removed", at)
    assert doc["seq"] == max(removed) + 1


@pytest.mark.parametrize("a,b", [(3, 4), (6, 7), (2, 5), (1, 2)], ids=["3-4", "6-7", "2-5", "1-2"])
def test_swapped_lines_are_found(env, kp, a, b):
    lines = list(env.lines)
    lines[a - 1], lines[b - 1] = lines[b - 1], lines[a - 1]
    log = copy_log(kp, env, lines)
    check_problem(kp, log, "reordered", a, words=[f"line {a}"])


@pytest.mark.parametrize("dup,pos", [(4, 5), (7, 8), (1, 8), (1, 2)], ids=["4-after-4", "7-at-end", "1-at-end", "1-after-1"])
def test_duplicated_line_is_found(env, kp, dup, pos):
    lines = list(env.lines)
    lines.insert(pos - 1, env.lines[dup - 1])
    log = copy_log(kp, env, lines)
    check_problem(kp, log, "inserted", pos, words=[f"line {pos}"])


def test_truncation_is_found_with_a_recorded_head(env, kp):
    full = copy_log(kp, env, name="full.log")
    _, doc = verify_json(kp, full)
    head = doc["head"]
    assert head == R.sha256_hex(env.lines[-1])
    kp.ok("audit", "verify", full, "--head", head)
    for keep in (6, 3, 1):
        log = copy_log(kp, env, env.lines[:keep], name=f"cut{keep}.log")
        kp.ok("audit", "verify", log)  # without the head, a shorter log looks fine
        d = check_problem(kp, log, "truncated", keep, "--head", head, words=[head])
        assert d["entries"] == keep


def test_entry_signed_by_a_fresh_key_is_other_key(env, kp):
    fresh = nacl.signing.SigningKey.generate()
    line = R.make_entry(fresh, 7, int(time.time()), "key.exported", None, None, ["mallory"], {},
                        R.sha256(env.lines[-1]))
    log = copy_log(kp, env, env.lines + [line])
    doc = check_problem(kp, log, "other_key", 8, words=["line 8", bytes(fresh.verify_key).hex()])
    assert doc["entries"] == 7


def test_entry_claiming_the_writer_but_signed_by_another_key_is_changed(env, kp):
    fresh = nacl.signing.SigningKey.generate()
    line = R.make_entry(fresh, 7, int(time.time()), "key.exported", None, None, ["mallory"], {},
                        R.sha256(env.lines[-1]), writer=env.alice.pk)
    log = copy_log(kp, env, env.lines + [line])
    check_problem(kp, log, "changed", 8, words=["line 8"])


def test_a_whole_log_by_another_writer(env, kp):
    fresh = nacl.signing.SigningKey.generate()
    pk = bytes(fresh.verify_key)
    l0 = R.make_entry(fresh, 0, int(time.time()), "log.created", None, None, ["m"], {"writerKey": pk.hex()}, bytes(32))
    log = copy_log(kp, env, [l0])
    R.check_log(log.read_bytes(), pk)
    kp.ok("audit", "verify", log)
    check_problem(kp, log, "other_key", 1, "--writer-key", env.alice.pk_hex)


def test_replaced_entry_signed_by_the_writer_breaks_the_chain(env, kp):
    """Even with the writer's key (opened here from its file), a replaced entry shows: the next
    line no longer links to it."""
    sk = env.alice.signing_key()
    old = R.loads(env.lines[3])
    new = R.make_entry(sk, 3, old["time"], old["event"], old["keyId"], old["publicKey"], old["actors"],
                       {**old["details"], "operator": "alice"}, bytes.fromhex(old["prev"]))
    lines = list(env.lines)
    lines[3] = new
    log = copy_log(kp, env, lines)
    check_problem(kp, log, "inserted", 5, words=["line 5"])
    # and one appended with a wrong prev
    bad = R.make_entry(sk, 7, int(time.time()), "test.note", None, None, ["alice"], {}, R.sha256(env.lines[2]))
    log = copy_log(kp, env, env.lines + [bad], name="b.log")
    check_problem(kp, log, "inserted", 8, words=["line 8"])


def test_empty_log_does_not_verify(env, kp):
    log = kp.write("empty.log", b"")
    rc, doc = verify_json(kp, log)
    assert rc == R.EXIT_LOG and doc["problem"] == "empty"


# =========================================================================== torn writes


def test_torn_write_is_found_then_set_aside(env, kp):
    partial = env.lines[4][:57]  # a crash mid-write: no newline
    log = copy_log(kp, env, tail=partial)
    check_problem(kp, log, "torn", 8, words=["line 8"])

    # the next audited command keeps every complete entry and sets the partial bytes aside
    req = kp.write("req.json", b"{\"request\":\"C\"}\n")
    r = kp.ok("approve", "--operator", env.bob.path, "--passphrase-file", env.bob.passfile, "--policy", env.policy,
              "--action", "export", "--key-id", "key-C", "--request", req, "--bundle", "c.json",
              *env.audit_args(log))
    side = Path(str(log) + ".torn-1")
    assert side.is_file(), r.describe()
    assert side.read_bytes() == partial
    assert str(side) in r.err or side.name in r.err, r.describe()
    data = log.read_bytes()
    assert data.startswith(env.log)
    entries = R.check_log(data, env.alice.pk, "alice")
    assert len(entries) == 8 and entries[7]["keyId"] == "key-C" and entries[7]["prev"] == R.sha256_hex(env.lines[-1])
    rc, doc = verify_json(kp, log)
    assert rc == 0 and doc["entries"] == 8

    # a second torn write goes to the next side file; the first is kept
    partial2 = b'{"seq":8,"ti'
    with open(log, "ab") as f:
        f.write(partial2)
    check_problem(kp, log, "torn", 9)
    kp.ok("approve", "--operator", env.bob.path, "--passphrase-file", env.bob.passfile, "--policy", env.policy,
          "--action", "export", "--key-id", "key-D", "--request", req, "--bundle", "d.json", *env.audit_args(log))
    assert Path(str(log) + ".torn-2").read_bytes() == partial2
    assert side.read_bytes() == partial
    entries = R.check_log(log.read_bytes(), env.alice.pk)
    assert [e["keyId"] for e in entries[7:]] == ["key-C", "key-D"]


# =========================================================================== failure hygiene


def _export_init(env: Env, kp: kphelp.Keyport, log: Path, who: R.Operator | None = None, passfile=None, codes=None):
    cp = kp.write("ctx.pass", b"another context pass")
    return kp.fail("export", "init", "--context", "new.kpx", "--passphrase-file", cp, "--kdf", "interactive",
                   *env.audit_args(log, who, passfile), codes=codes, must_not_exist=["new.kpx"])


def _changed(env: Env) -> list[bytes]:
    lines = list(env.lines)
    lines[3] = _flip_in_value(lines[3], "details", 2)
    return lines


def test_log_of_another_writer_export_init_does_nothing(env, kp):
    log = copy_log(kp, env)
    r = _export_init(env, kp, log, who=env.bob, codes=R.EXIT_LOG)
    assert env.alice.pk_hex in r.err or "another key" in r.err
    assert log.read_bytes() == env.log


def test_log_that_does_not_verify_export_init_does_nothing(env, kp):
    log = copy_log(kp, env, _changed(env))
    before = log.read_bytes()
    r = _export_init(env, kp, log, codes=R.EXIT_LOG)
    assert "line 4" in r.err
    assert log.read_bytes() == before


def test_log_of_another_writer_with_a_torn_tail_is_left_alone(env, kp):
    """bob is not the writer: his command must fail without touching alice's log (no torn-tail
    repair, no side file)."""
    log = copy_log(kp, env, tail=b'{"seq":7,"time":1')
    before = log.read_bytes()
    _export_init(env, kp, log, who=env.bob, codes=R.EXIT_LOG)
    assert log.read_bytes() == before, "the log was changed by a command that refused to use it"


def test_log_that_does_not_verify_with_a_torn_tail_is_left_alone(env, kp):
    log = copy_log(kp, env, _changed(env), tail=b'{"seq":7,"time":1')
    before = log.read_bytes()
    _export_init(env, kp, log, codes=R.EXIT_LOG)
    assert log.read_bytes() == before, "the log was changed by a command that refused to use it"


def test_bad_log_import_prepare_and_approve_and_recover_do_nothing(env, kp):
    log = copy_log(kp, env, _changed(env))
    before = log.read_bytes()
    kp.write("signers.json", kphelp.signers_json(env.signers) + "\n")
    kp.write("key.txt", W.scalar_hex(env.import_key))
    kp.fail("import", "prepare", "--signers", "signers.json", "--curve", "secp256k1", "--protocol", "CGGMP21",
            "--key-file", "key.txt", *env.audit_args(log), codes=R.EXIT_LOG)
    req = kp.write("req.json", b"{\"r\":1}\n")
    kp.fail("approve", "--operator", env.bob.path, "--passphrase-file", env.bob.passfile, "--policy", env.policy,
            "--action", "import", "--request", req, "--bundle", "x.json", *env.audit_args(log), codes=R.EXIT_LOG,
            must_not_exist=["x.json"])
    shutil.copy(env.kp.path("ctx.kpx"), kp.path("ctx.kpx"))
    kp.write("resp.json", env.export_case.response + "\n")
    cp = kp.write("ctxp", env.ctx_pass)
    kp.fail("export", "recover", "--context", "ctx.kpx", "--passphrase-file", cp, "--response", "resp.json",
            *env.audit_args(log), codes=R.EXIT_LOG)  # and no private key on stdout (kp.fail checks)
    assert log.read_bytes() == before


def test_wrong_audit_passphrase_does_nothing(env, kp):
    log = copy_log(kp, env)
    bad = kp.write("bad.pass", b"not alice's passphrase")
    _export_init(env, kp, log, passfile=bad, codes=R.EXIT_DECRYPT)
    assert log.read_bytes() == env.log


def test_audit_options_go_together(env, kp):
    log = copy_log(kp, env)
    cp = kp.write("ctx.pass", b"another context pass")
    kp.fail("export", "init", "--context", "new.kpx", "--passphrase-file", cp, "--audit", log, codes=R.EXIT_USAGE,
            must_not_exist=["new.kpx"])
    kp.fail("export", "init", "--context", "new.kpx", "--passphrase-file", cp, "--audit-key", env.alice.path,
            codes=R.EXIT_USAGE, must_not_exist=["new.kpx"])
    assert log.read_bytes() == env.log


def test_audit_verify_usage(env, kp):
    log = copy_log(kp, env)
    kp.fail("audit", "verify", log, "--head", "abc", codes=R.EXIT_USAGE)
    kp.fail("audit", "verify", log, "--key", "k", codes=R.EXIT_USAGE)
    kp.fail("audit", "show", log, "--writer-key", env.alice.pk_hex, codes=R.EXIT_USAGE)
    kp.fail("audit", "verify", "missing.log", codes=R.EXIT_IO)


def test_approval_event_with_a_long_escaped_policy_id(tmp_path):
    """Regression: approve's audit details were copied into a fixed 512-byte buffer, so a policy
    id that escapes to more than that (here 100 control characters, 600 bytes) was cut and the
    append failed. The event must hold the whole id."""
    import json
    import os
    import subprocess
    kp = os.environ["KEYPORT_BIN"]

    def run(*args):
        r = subprocess.run([kp, *args], cwd=tmp_path, capture_output=True)
        assert r.returncode == 0, r.stderr.decode()
        return r

    (tmp_path / "p").write_bytes(b"pass")
    run("operator", "new", "--name", "op", "--out", "op.kpo", "--passphrase-file", "p", "--kdf", "interactive")
    pid = "\x01" * 100
    run("policy", "new", "--id", pid, "--operator", "op.kpo", "--quorum", "import=1", "--quorum", "export=1",
        "--quorum", "archive=1", "--out", "policy.json")
    (tmp_path / "req.json").write_bytes(b"{}")
    run("approve", "--operator", "op.kpo", "--passphrase-file", "p", "--policy", "policy.json", "--action", "import",
        "--request", "req.json", "--bundle", "b.json", "--audit", "log.jsonl", "--audit-key", "op.kpo",
        "--audit-passphrase-file", "p")
    events = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert events[-1]["event"] == "approval.recorded" and events[-1]["details"]["policy"] == pid
    run("audit", "verify", "log.jsonl")
