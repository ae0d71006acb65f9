"""keyport-ceremony end to end in tmux at 80x24: an import from a mnemonic, an export in two
visits with 3 operators and 2-of-3 quorums against an embedded keyportd (the online steps by the
`keyport` command), the approval of an archive; enrolment, a policy and an audit log check; the
command and the app agreeing on one ceremony; the terminal after signals, resizes and TERM=linux.

Every file the app writes is checked with the command and with independent code: the BIP-39 /
BIP-44 key and address by bip-utils, approvals and the audit log by the PyNaCl reference of
tests/python/test_kyk_reference.py. After every run, no passphrase, mnemonic or private key is in
the pane or its scrollback."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from bip_utils import Bip39SeedGenerator, Bip44, Bip44Changes, Bip44Coins

import test_kyk_reference as R
from app import App, golden
from conftest import OPERATORS, passphrase

# the BIP-39 test vector of trezor/python-mnemonic (entropy 7f7f…7f), used with no BIP-39 passphrase
MNEMONIC = "legal winner thank year wave sausage worth useful legal winner thank yellow"
CONTEXT_PASS = "context passphrase 41c9"


def eth_key(mnemonic: str) -> tuple[str, str]:
    seed = Bip39SeedGenerator(mnemonic).Generate()
    k = Bip44.FromSeed(seed, Bip44Coins.ETHEREUM).Purpose().Coin().Account(0).Change(Bip44Changes.CHAIN_EXT).AddressIndex(0)
    return k.PrivateKey().Raw().ToHex(), k.PublicKey().ToAddress()


def secrets(*extra: str) -> list[str]:
    return [passphrase(n) for n in OPERATORS] + [MNEMONIC, CONTEXT_PASS, *extra] + \
        [" ".join(MNEMONIC.split()[i:i + 3]) for i in range(0, 12, 3)] + ["sausage"]


def assert_clean(app: App, *extra: str) -> None:
    everything = app.t.everything()
    for s in secrets(*extra):
        assert s not in everything, f"{s!r} reached the pane or its scrollback"


def api(team, cluster) -> list[str]:
    return ["--url", cluster.url, "--token-file", str(cluster.data / "token"), "--credential", str(team.dir / "cred.json")]


def check_bundle(team, path: Path, request: Path, action: str, key_id: str | None, who: list[str]) -> None:
    """The approvals verified independently: signatures (PyNaCl), fields, the request's hash."""
    doc = json.loads(path.read_bytes())
    assert [a["statement"]["operator"] for a in doc["approvals"]] == [team.pk[w].hex() for w in who]
    for a in doc["approvals"]:
        s = a["statement"]
        assert R.verify_approval(a), s
        assert s["policy"] == "tui-policy" and s["action"] == action and s.get("keyId") == key_id
        assert s["request"] == hashlib.sha256(request.read_bytes()).hexdigest()
        assert abs(s["time"] - time.time()) < 600 and s["expires"] > time.time()


def check_log(team, path: Path, events: list[str]) -> list[dict]:
    entries = R.check_log(path.read_bytes(), team.pk["alice"], "alice")
    assert [e["event"] for e in entries] == events
    return entries


def approve_by_command(team, folder: Path, secrets_dir: Path, who: str, action: str, key_id: str | None, request: Path,
                       bundle: Path, *extra) -> None:
    pf = secrets_dir / f"{who}.pass"
    pf.write_text(passphrase(who))
    args = ["approve", "--operator", folder / f"{who}.kpo", "--passphrase-file", pf, "--policy", folder / "policy.json",
            "--action", action, "--request", request, "--bundle", bundle, *extra]
    team.kp.ok(*args, *(["--key-id", key_id] if key_id else []))


def start_approve(t, app_bin: str, folder: Path, request: str, action: int, key_id: str | None) -> App:
    """The approve ceremony up to the custodian: the medium, policy, request, action, key id, no bundle."""
    app = App(t, app_bin, folder)
    app.preflight()
    app.choose("approve")
    app.answer("Folder to read from")
    app.answer("Policy file:")
    app.answer("Request file to approve:", request)
    app.pick("What the request does:", action)
    if key_id is not None:
        app.answer("Key id:", key_id)
    app.answer("Approvals file to add to")
    return app


def import_by_command(team, cluster, folder: Path, secrets_dir: Path) -> str:
    """A key imported with the command alone (prepare, two approvals, api import); its id."""
    kp = team.kp
    sig = folder / "cmd-signers.json"
    sig.write_bytes(kp.ok("api", "signers", *api(team, cluster)).out)
    keyf = secrets_dir / "cmd.key"
    keyf.write_text("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
    req = folder / "cmd-import.json"
    req.write_bytes(kp.ok("import", "prepare", "--signers", sig, "--curve", "secp256k1", "--protocol", "CGGMP21",
                          "--key-file", keyf).out)
    bundle = folder / "cmd-import.approvals.json"
    for w in ("alice", "bob"):
        approve_by_command(team, folder, secrets_dir, w, "import", None, req, bundle)
    return json.loads(kp.ok("api", "import", "--request", req, "--approvals", bundle, *api(team, cluster)).out)["id"]


def test_import_export_archive_with_three_operators(team, cluster, term, app_bin, keyport_bin, tmp_path):
    kp = team.kp
    m = team.medium(tmp_path / "medium")
    (m / "signers.json").write_bytes(kp.ok("api", "signers", *api(team, cluster)).out)
    want_key, want_address = eth_key(MNEMONIC)

    # ---- import, from a mnemonic typed word by word
    app = App(term(), app_bin, m)
    golden(app.t, "preflight")
    app.preflight()
    golden(app.t, "menu")
    app.choose("import")
    golden(app.t, "import-folder")
    app.answer("Folder to read from")
    app.answer("Signers file")
    golden(app.t, "import-scheme")
    app.pick("Protocol and curve", 0)
    app.pick("Where the key comes from", 0)
    app.wait("Type each word")
    golden(app.t, "import-mnemonic")
    for i, w in enumerate(MNEMONIC.split()):
        app.t.type(w[:4], enter=False)  # four letters name a BIP-39 word: Tab completes it
        app.t.keys("Tab")
        app.wait("completed")
        app.t.keys("Enter")
        app.wait(f"words taken: {i + 1} ")
    s = app.t.screen()
    assert "word 13: (not shown)" in s and "legal" not in s
    app.t.keys("Enter")
    app.answer("Derivation path:")
    s = app.wait("Compare the key")
    golden(app.t, "import-addresses")
    assert want_address in s, s
    app.t.keys("Enter")
    app.answer("Policy file:")
    app.answer("Custodian's operator file")
    app.answer("Custodian's passphrase:", passphrase("alice"))
    app.approve("alice", passphrase("alice"), goldens="import")
    app.approve("bob", passphrase("bob"))
    s = app.write(goldens="import")
    golden(app.t, "import-done")
    req, bundle = m / "import.request.json", m / "import.approvals.json"
    for f in (req, bundle, m / "audit.log"):
        assert hashlib.sha256(f.read_bytes()).hexdigest()[:16] in s, f
    app.quit()
    assert_clean(app, want_key)
    kp.ok("approvals", "verify", "--policy", m / "policy.json", "--action", "import", "--request", req, "--bundle", bundle)
    check_bundle(team, bundle, req, "import", None, ["alice", "bob"])
    entries = check_log(team, m / "audit.log", ["log.created", "import.prepared", "approval.recorded", "approval.recorded"])
    assert entries[1]["details"]["addresses"]["ethereum"] == want_address
    assert entries[1]["details"]["keyFormat"] == "mnemonic" and entries[1]["details"]["path"] == "m/44'/60'/0'/0/0"
    key = json.loads(kp.ok("api", "import", "--request", req, "--approvals", bundle, *api(team, cluster)).out)
    key_id = key["id"]

    # ---- export, visit 1: the context, its request, 2 of 3 approvals (alice is away)
    m1 = team.medium(tmp_path / "visit1")
    app = App(term(), app_bin, m1)
    app.preflight()
    app.choose("export1")
    app.answer("Folder to read from")
    app.answer("Policy file:")
    app.answer("Key id:", key_id)
    app.answer("Custodian's operator file")
    app.answer("Custodian's passphrase:", passphrase("alice"))
    app.t.wait_for("Passphrase for the export context:")
    golden(app.t, "export1-context-passphrase")
    app.secret_twice("Passphrase for the export context:", CONTEXT_PASS)
    app.skip("alice")
    app.approve("bob", passphrase("bob"), goldens="export1")
    app.t.wait_for("approvals 1 of 2")
    app.approve("carol", passphrase("carol"))
    app.write()
    app.quit()
    assert_clean(app, want_key)
    ctx, req, bundle = (m1 / f"export-{key_id}.{x}" for x in ("context", "request.json", "approvals.json"))
    check_bundle(team, bundle, req, "export", key_id, ["bob", "carol"])
    check_log(team, m1 / "audit.log", ["log.created", "export.requested", "approval.recorded", "approval.recorded"])
    # the context opens independently with its passphrase (Argon2id + XChaCha20-Poly1305, PyNaCl)
    assert len(R.open_sealed(ctx.read_bytes(), CONTEXT_PASS.encode(), b"KPXC")) == 32
    m2 = tmp_path / "visit2"
    m2.mkdir()
    for f in (ctx, m1 / "alice.kpo"):
        (m2 / f.name).write_bytes(f.read_bytes())
    kp.ok("api", "export", "--key-id", key_id, "--request", req, "--approvals", bundle, "--out",
          m2 / "export-response.json", *api(team, cluster))

    # ---- export, visit 2: the response opened, the key written as hex
    app = App(term(), app_bin, m2)
    app.preflight()
    app.choose("export2")
    app.answer("Folder to read from")
    app.answer("Export context file", ctx.name)
    app.answer("Export response file")
    app.answer("Custodian's operator file", "alice.kpo")  # no policy at visit 2: no default
    app.answer("Custodian's passphrase:", passphrase("alice"))
    app.answer("Passphrase of the export context:", CONTEXT_PASS)
    s = app.wait("opened, on the polynomial")
    golden(app.t, "export2-shares")
    app.t.keys("Enter")
    s = app.wait("Compare the key")
    assert want_address in s
    golden(app.t, "export2-addresses")
    app.t.keys("Enter")
    app.t.wait_for("Format to write the key in:")
    golden(app.t, "export2-format")
    app.pick("Format to write the key in:", 1)  # hex
    app.answer("File to write the key to:")
    app.t.wait_for("Enter writes these files")
    golden(app.t, "export2-write")
    app.t.keys("Enter")
    # the private key is drawn only when asked twice, and hides itself
    app.t.wait_for("Show the private key on the screen?")
    golden(app.t, "export2-reveal")
    app.t.keys("Down", "Enter")
    app.t.wait_for("Really show the private key?")
    assert want_key not in app.t.screen()
    app.t.keys("Down", "Enter")
    app.t.wait_for(want_key, 5)
    app.t.wait_gone(want_key, 12)
    app.t.wait_for("The ceremony is done")
    golden(app.t, "export2-done")
    app.quit()
    assert (m2 / "key.hex.txt").read_text().strip() == want_key
    assert_clean(app, want_key)
    check_log(team, m2 / "audit.log", ["log.created", "key.exported"])

    # ---- approve an archive prepared elsewhere (of a second key: the export deleted the first)
    ma = team.medium(tmp_path / "archive")
    key_id = import_by_command(team, cluster, ma, tmp_path)
    (ma / "archive.json").write_bytes(b"{}")
    app = start_approve(term(), app_bin, ma, "archive.json", 2, key_id)
    app.answer("Custodian's operator file")
    app.answer("Custodian's passphrase:", passphrase("alice"))
    app.approve("alice", passphrase("alice"))
    app.approve("bob", passphrase("bob"))
    app.write()
    app.quit()
    assert_clean(app, want_key)
    bundle = ma / "archive.approvals.json"
    check_bundle(team, bundle, ma / "archive.json", "archive", key_id, ["alice", "bob"])
    kp.ok("approvals", "verify", "--policy", ma / "policy.json", "--action", "archive", "--key-id", key_id,
          "--request", ma / "archive.json", "--bundle", bundle)
    kp.ok("api", "archive", key_id, "--approvals", bundle, *api(team, cluster))
    keys = json.loads(kp.ok("api", "keys", *api(team, cluster)).out)
    assert any(k["id"] == key_id and k.get("status") in ("Archived", "archived") for k in keys.get("items", keys)), keys


def test_enrol_policy_and_log_check(team, term, app_bin, tmp_path):
    kp = team.kp
    m = team.medium(tmp_path / "m")
    app = App(term(), app_bin, m)
    app.preflight()
    # enrol dave: the passphrase twice (a mismatch first), the fingerprint read aloud
    app.choose("enrol")
    app.answer("Folder to read from")
    app.answer("Operator's name:", "dave")
    app.t.wait_for("Passphrase for the operator file:")
    golden(app.t, "enrol-passphrase")
    app.t.type("dave's passphrase 1")
    app.t.wait_for("Repeat the passphrase:")
    app.t.type("something else")
    app.t.wait_for("the two passphrases differ")
    app.secret_twice("Passphrase for the operator file:", "dave's passphrase 2")
    s = app.wait("read your fingerprint aloud")
    golden(app.t, "enrol-fingerprint")
    app.t.keys("Enter")
    app.write()
    golden(app.t, "enrol-done")
    app.t.keys("Enter")
    doc = json.loads((m / "dave.kpo").read_text())
    pk = bytes.fromhex(doc["publicKey"])
    assert R.fingerprint(pk) in s and doc["name"] == "dave"
    # the operator file opens independently with the second passphrase only
    seed = R.open_sealed(__import__("base64").b64decode(doc["sealedSecret"]), b"dave's passphrase 2", b"KPOP")
    import nacl.signing
    assert bytes(nacl.signing.SigningKey(seed).verify_key) == pk
    assert "fingerprint: " + R.fingerprint(pk) in kp.ok("operator", "show", m / "dave.kpo").out.decode()

    # a policy of alice, bob and dave
    app.t.wait_for("Which ceremony?")
    app.choose("policy")
    app.answer("Folder to read from")
    app.answer("Policy id:", "team-2")
    app.answer("Operator files", "alice.kpo bob.kpo dave.kpo")
    app.t.wait_for("Quorums:")
    golden(app.t, "policy-quorum")
    app.t.type("import=2 export=3 archive=1")
    s = app.wait("quorum: import 2 of 3, export 3 of 3, archive 1 of 3")
    golden(app.t, "policy-review")
    app.t.keys("Enter")
    app.write()
    app.t.keys("Enter")
    p = json.loads((m / "policy-team-2.json").read_text())
    assert p["id"] == "team-2" and p["quorum"] == {"import": 2, "export": 3, "archive": 1}
    assert [(o["name"], o["publicKey"]) for o in p["operators"]] == \
        [("alice", team.pk["alice"].hex()), ("bob", team.pk["bob"].hex()), ("dave", pk.hex())]
    assert R.fingerprint(pk) in s
    kp.ok("policy", "check", m / "policy-team-2.json")

    # an audit log written by the command, checked by the app; then a copy with one byte changed
    req = m / "req.json"
    req.write_bytes(b'{"hello":"world"}')
    for w in ("alice", "bob"):
        approve_by_command(team, m, tmp_path, w, "import", None, req, m / "b.json", "--audit", m / "cmd.log",
                           "--audit-key", m / "alice.kpo", "--audit-passphrase-file", tmp_path / "alice.pass")
    lines = (m / "cmd.log").read_bytes().split(b"\n")
    lines[1] = lines[1].replace(b'"approval.recorded"', b'"approval.recordeD"')
    (m / "bad.log").write_bytes(b"\n".join(lines))
    for log, want in (("cmd.log", "ok: 3 entries, every signature and link verifies"),
                      ("bad.log", "first bad entry: line 2 (seq 1)")):
        app.t.wait_for("Which ceremony?")
        app.choose("verify")
        app.answer("Folder to read from")
        app.answer("Audit log file:", log)
        app.answer("Writer key", team.pk["alice"].hex())
        app.wait(want)
        golden(app.t, "verify-" + log.split(".")[0])
        app.t.keys("Enter")
        app.wait("The ceremony is done")
        app.t.keys("Enter")
    app.t.wait_for("Which ceremony?")
    app.t.keys("C-c")
    app.t.wait_for("Quit keyport-ceremony?")
    golden(app.t, "quit")
    app.t.type("y", enter=False)
    assert app.exit_code() == 0
    assert_clean(app, "dave's passphrase 1", "dave's passphrase 2")


def test_command_and_app_give_the_same_ceremony(team, cluster, term, app_bin, tmp_path):
    """One import request approved by alice and bob twice: with `keyport approve --audit` and with
    the app. Both bundles verify the same way (command and reference), both logs verify and hold
    the same events, and the cluster takes the app's bundle."""
    kp = team.kp
    mc, ma = team.medium(tmp_path / "cmd"), team.medium(tmp_path / "app")
    sig = tmp_path / "signers.json"
    sig.write_bytes(kp.ok("api", "signers", *api(team, cluster)).out)
    keyf = tmp_path / "k.hex"
    keyf.write_text("0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9")
    body = kp.ok("import", "prepare", "--signers", sig, "--curve", "ed25519", "--protocol", "FROST", "--key-file", keyf).out
    for m in (mc, ma):
        (m / "req.json").write_bytes(body)
    for w in ("alice", "bob"):
        approve_by_command(team, mc, tmp_path, w, "import", None, mc / "req.json", mc / "req.approvals.json",
                           "--audit", mc / "audit.log", "--audit-key", mc / "alice.kpo",
                           "--audit-passphrase-file", tmp_path / "alice.pass")
    app = start_approve(term(), app_bin, ma, "req.json", 0, None)
    app.answer("Custodian's operator file")
    app.answer("Custodian's passphrase:", passphrase("alice"))
    app.approve("alice", passphrase("alice"), goldens="approve")
    app.approve("bob", passphrase("bob"))
    app.write()
    app.quit()
    assert_clean(app)
    verdicts = []
    for m in (mc, ma):
        r = kp.ok("approvals", "verify", "--policy", m / "policy.json", "--action", "import", "--request", m / "req.json",
                  "--bundle", m / "req.approvals.json", "--json")
        verdicts.append(json.loads(r.out))
        check_bundle(team, m / "req.approvals.json", m / "req.json", "import", None, ["alice", "bob"])
        kp.ok("audit", "verify", m / "audit.log", "--writer-key", team.pk["alice"].hex())
    assert verdicts[0] == verdicts[1] and verdicts[0]["approved"] is True
    logs = [check_log(team, m / "audit.log", ["log.created", "approval.recorded", "approval.recorded"]) for m in (mc, ma)]
    assert [(e["event"], e["keyId"], e["actors"], e["details"]) for e in logs[0]] == \
        [(e["event"], e["keyId"], e["actors"], e["details"]) for e in logs[1]]
    kp.ok("api", "import", "--request", ma / "req.json", "--approvals", ma / "req.approvals.json", *api(team, cluster))


def _app_pid(pane_pid: int) -> int:
    kids = Path(f"/proc/{pane_pid}/task/{pane_pid}/children").read_text().split()
    for k in kids:
        if "keyport-ceremony" in Path(f"/proc/{k}/cmdline").read_bytes().decode(errors="replace"):
            return int(k)
        for g in Path(f"/proc/{k}/task/{k}/children").read_text().split():
            if "keyport-ceremony" in Path(f"/proc/{g}/cmdline").read_bytes().decode(errors="replace"):
                return int(g)
    raise AssertionError("keyport-ceremony is not running in the pane")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_mid_ceremony_wipes_restores_and_leaves_nothing(team, term, app_bin, tmp_path, sig):
    m = team.medium(tmp_path / "m")
    before = sorted(p.name for p in m.iterdir())
    app = App(term(), app_bin, m)
    app.preflight()
    app.choose("export1")
    app.answer("Folder to read from")
    app.answer("Policy file:")
    app.answer("Key id:", "key-abc")
    app.answer("Custodian's operator file")
    app.answer("Custodian's passphrase:", passphrase("alice"))
    app.secret_twice("Passphrase for the export context:", CONTEXT_PASS)
    app.approve("alice", passphrase("alice"))
    app.t.wait_for("bob, press Enter")
    assert app.t.alternate_on()
    os.kill(_app_pid(app.t.pane_pid()), sig)
    assert app.exit_code() == 128 + sig
    stty = (m / ".stty").read_text()
    assert " echo " in f" {stty} " and " icanon " in f" {stty} ", stty
    assert not app.t.alternate_on()
    assert sorted(p.name for p in m.iterdir() if not p.name.startswith(".")) == before
    assert_clean(app)


def test_resize_too_small_then_larger(term, app_bin, tmp_path):
    t = term()
    app = App(t, app_bin, tmp_path)
    t.resize(70, 20)
    s = t.wait_for("the terminal is too small")
    assert "it is 70 x 20; make it at least 80 x 24" in s
    t.keys("Enter")  # ignored while too small
    t.resize(100, 30)
    s = t.wait_for("terminal      100 x 30")
    assert len(s.splitlines()) == 30 and "too small" not in s  # re-laid at the new size
    app.preflight()
    app.t.keys("C-c")
    app.t.wait_for("Quit keyport-ceremony?")
    app.t.type("y", enter=False)
    assert app.exit_code() == 0


def test_linux_console_ends_erased(term, app_bin, tmp_path):
    t = term()
    app = App(t, app_bin, tmp_path, term="linux")
    app.preflight()
    t.keys("C-c")
    t.wait_for("Quit keyport-ceremony?")
    t.type("y", enter=False)
    assert app.exit_code() == 0
    time.sleep(0.3)
    assert t.screen().strip() == "", t.screen()


def test_refuses_without_a_terminal(app_bin, tmp_path):
    r = subprocess.run([app_bin], stdin=subprocess.DEVNULL, capture_output=True, cwd=tmp_path, timeout=10)
    assert r.returncode == 2 and b"must be a terminal" in r.stderr
    assert list(tmp_path.iterdir()) == []
