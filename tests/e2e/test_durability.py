"""Durability: restarts keep keys; kill -9 at each point of API.md's test hook (KEYPORTD_CRASH_AT),
then a restart: no half-imported key, no archived-but-unanswered export, and the log verifies."""

from __future__ import annotations

import json
import time

import pytest

import kpd
import wire_ref as W


def verify_log(client: kpd.Client, keyport: kpd.Keyport) -> list[dict]:
    raw = client.audit_raw()
    r = keyport.audit_verify(raw)
    assert r.rc == 0, f"the audit log does not verify: {r.err}"
    return kpd.audit_entries(raw)


def signer_rows(data, key_id: str) -> tuple[int, int]:
    """(signers with a pending row, signers with a committed share) for key_id."""
    s = kpd.snapshot(data)
    pending = sum(1 for k, v in s.items() if k.startswith("signer-") and (key_id,) in v[0])
    held = sum(1 for k, v in s.items() if k.startswith("signer-") and (key_id,) in v[1])
    return pending, held


def crash(client: kpd.Client, fn) -> None:
    """Runs a request that makes the server kill itself; the answer, if any, is ignored."""
    try:
        fn()
    except (ConnectionError, OSError, AssertionError) as exc:  # the connection dies with the server
        _ = exc
    rc = client.cluster.wait_dead()
    assert rc == -9, f"keyportd should have been killed by SIGKILL, exit {rc}\n{client.cluster.stderr()}"


def test_restart_keeps_keys_and_signers(clusters, keyport, export_ctx):
    c = clusters.client(clusters.new())
    signers = c.get("/signers").body
    ids = []
    for protocol, curve in kpd.SCHEMES:
        body = keyport.import_prepare(signers, curve, protocol, kpd.KEYS[curve], tag=f"restart-{curve}")
        ids.append(c.import_key(body).json["id"])
    ids.append(c.generate_key("FROST", "ed25519").json["id"])
    before = c.keys()
    token = c.token
    assert c.cluster.stop() == 0
    c.cluster.start()
    assert c.get("/signers").body == signers
    assert c.keys() == before
    assert c.token == token
    ctx, request = export_ctx
    for i, (protocol, curve) in enumerate(kpd.SCHEMES):
        e = c.export_key(ids[i], request)
        assert e.status == 200, e.describe()
        assert keyport.export_recover(ctx, e.body, tag=f"restart-{curve}")["privateKey"] == kpd.KEYS[curve]
    verify_log(c, keyport)


def test_second_keyportd_on_the_same_data_is_refused(clusters):
    c = clusters.new()
    other = kpd.Cluster(c.binary, c.data, c.args, signers=5)
    with pytest.raises(AssertionError, match="did not start"):
        other.start()
    assert "another keyportd" in other.stderr()


def test_signers_count_must_match_the_data(clusters):
    c = clusters.new(signers=5)
    assert c.stop() == 0
    fewer = kpd.Cluster(c.binary, c.data, c.args, signers=4, key_file=c.key_file)
    with pytest.raises(AssertionError, match="did not start"):
        fewer.start()
    assert "this cluster has 5 signers" in fewer.stderr()


@pytest.mark.parametrize("point,committed", [
    ("import-after-prepare", False),
    ("import-after-decision", True),
    ("import-after-first-commit", True),
])
def test_crash_during_import(clusters, keyport, export_ctx, point, committed):
    c = clusters.client(clusters.new(env={"KEYPORTD_CRASH_AT": point}))
    signers = c.get("/signers").body
    body = keyport.import_prepare(signers, "secp256k1", "CGGMP21", kpd.KEYS["secp256k1"], tag=point)
    crash(c, lambda: c.import_key(body))
    journal = kpd.snapshot(c.cluster.data)["journal"]
    assert len(journal) == 1 and journal[0][1] == ("committing" if committed else "preparing")

    c.cluster.start(env={"KEYPORTD_CRASH_AT": ""})
    snap = kpd.snapshot(c.cluster.data)
    assert snap["journal"] == []
    key_id = journal[0][0]
    keys = c.keys()
    if not committed:
        assert keys == [] and snap["keys"] == []
        assert signer_rows(c.cluster.data, key_id) == (0, 0)
        assert c.get(f"/keys/{key_id}").status == 404
        # the approvals were not spent: the same request goes through now
        a = c.import_key(body)
        assert a.status == 200, a.describe()
        key_id = a.json["id"]
    else:
        assert [k["id"] for k in keys] == [key_id] and keys[0]["status"] == "Active"
        assert signer_rows(c.cluster.data, key_id) == (0, 5)
    entries = verify_log(c, keyport)
    assert [e["keyId"] for e in entries if e["event"] == "key.imported"] == [key_id]
    ctx, request = export_ctx
    e = c.export_key(key_id, request)
    assert e.status == 200, e.describe()
    assert keyport.export_recover(ctx, e.body, tag=point)["privateKey"] == kpd.KEYS["secp256k1"]


@pytest.mark.parametrize("point,committed", [("keygen-after-prepare", False), ("keygen-after-decision", True)])
def test_crash_during_keygen(clusters, keyport, export_ctx, point, committed):
    c = clusters.client(clusters.new(env={"KEYPORTD_CRASH_AT": point}))
    crash(c, lambda: c.generate_key("CGGMP21", "stark"))
    c.cluster.start(env={"KEYPORTD_CRASH_AT": ""})
    snap = kpd.snapshot(c.cluster.data)
    assert snap["journal"] == []
    keys = c.keys()
    entries = verify_log(c, keyport)
    created = [e for e in entries if e["event"] == "key.created"]
    if not committed:
        assert keys == [] and snap["keys"] == [] and created == []
        for name, rows in snap.items():
            if name.startswith("signer-"):
                assert rows == ([], []), f"{name} keeps rows of an aborted key generation: {rows}"
        return
    [k] = keys
    assert k["status"] == "Active" and [e["keyId"] for e in created] == [k["id"]]
    assert signer_rows(c.cluster.data, k["id"]) == (0, 5)
    ctx, request = export_ctx
    e = c.export_key(k["id"], request)
    got = keyport.export_recover(ctx, e.body, tag=point)
    assert W.curve("stark").public_key(int(got["privateKey"], 16)).hex() == k["publicKey"]


@pytest.mark.parametrize("point", ["export-before-answer", "export-after-answer"])
def test_crash_during_export(clusters, keyport, export_ctx, point):
    c = clusters.client(clusters.new())
    body = keyport.import_prepare(c.get("/signers").body, "ed25519", "FROST", kpd.KEYS["ed25519"], tag=point)
    key_id = c.import_key(body).json["id"]
    assert c.cluster.stop() == 0
    c.cluster.start(env={"KEYPORTD_CRASH_AT": point})
    ctx, request = export_ctx
    got = []

    def export():
        a = c.export_key(key_id, request)
        got.append(a)

    crash(c, export)
    if point == "export-before-answer":
        assert got == [] or got[0].status != 200, "no answer may leave before the crash point"
    elif got and got[0].status == 200:
        # the answer went out whole before the crash: it recovers the key
        assert keyport.export_recover(ctx, got[0].body, tag=point)["privateKey"] == kpd.KEYS["ed25519"]

    c.cluster.start(env={"KEYPORTD_CRASH_AT": ""})
    [k] = c.keys()
    # never archived unless the answer was recorded as complete
    assert k["status"] == "Active" and k["dateArchived"] is None
    entries = verify_log(c, keyport)
    assert "key.archived" not in [e["event"] for e in entries]
    # and it can be exported now, which archives it
    e = c.export_key(key_id, request)
    assert e.status == 200, e.describe()
    assert keyport.export_recover(ctx, e.body, tag=point + "-2")["privateKey"] == kpd.KEYS["ed25519"]
    deadline = time.time() + 5
    while c.get(f"/keys/{key_id}").json["status"] != "Archived" and time.time() < deadline:
        time.sleep(0.02)
    assert c.get(f"/keys/{key_id}").json["status"] == "Archived"
    entries = verify_log(c, keyport)
    assert [e["event"] for e in entries if e.get("keyId") == key_id][-1] == "key.archived"


def test_torn_audit_line_is_set_aside(clusters, keyport):
    """A crash in the middle of a log write leaves a torn last line: the restart sets it aside and
    the log verifies."""
    c = clusters.client(clusters.new())
    c.call("GET", "/keys", token="not-the-token-but-long-enough")  # a request.denied entry
    assert c.cluster.stop() == 0
    log = c.cluster.data / "audit.jsonl"
    whole = log.read_bytes()
    log.write_bytes(whole + b'{"seq":2,"time":17000')
    c.cluster.start()
    raw = c.audit_raw()
    assert raw.startswith(whole)
    assert [e["event"] for e in kpd.audit_entries(raw[len(whole):])] == ["cluster.started"]
    assert "torn" in c.cluster.stderr()
    verify_log(c, keyport)
    assert list(c.cluster.data.glob("audit.jsonl.torn-*"))
