"""Signers that are down: an export answers with the shares of those up when at least minSigners
answer; archiving is recorded on every signer and completed on the others when they return.
Embedded signers: decided work that could not commit is retried without a restart."""

from __future__ import annotations

import os
import sqlite3
import time

import kpd


def start_remote(clusters, keyportd_bin, tmp_path, n=5, env=None):
    sg, args = [], []
    for i in range(n):
        secret = tmp_path / f"secret-{i}"
        secret.write_text(os.urandom(32).hex())
        sg.append(kpd.RemoteSigner(keyportd_bin, tmp_path / f"rs-{i}", secret).start())
        args += ["--signer-url", sg[i].url, "--signer-secret-file", str(secret)]
    c = clusters.client(clusters.new(args=args, signers=None, env=env))
    return c, sg


def signer_export(s: kpd.RemoteSigner, key_id: str, ek_b64: str) -> kpd.Answer:
    """Asks one signer process for its share directly, as the API would (signer authentication)."""
    body = kpd.compact({"keyId": key_id, "encryptionKey": ek_b64})
    secret = s.secret_file.read_text().strip().encode()
    auth = kpd.signer_auth(secret, int(time.time()), "POST", "/signer/export", body)
    return kpd.http(s.url, "POST", "/signer/export", body, {"X-Keyport-Signer-Auth": auth})


def wait_for(cond, timeout=20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(0.2)
    return cond()


def test_export_with_one_signer_down(clusters, keyportd_bin, tmp_path, keyport, export_ctx):
    c, sg = start_remote(clusters, keyportd_bin, tmp_path)
    try:
        signers = c.get("/signers").json["clusters"][0]["signers"]
        body = keyport.import_prepare(c.get("/signers").body, "secp256k1", "CGGMP21", kpd.KEYS["secp256k1"],
                                      min_signers=3, tag="down1")
        a = c.import_key(body)
        assert a.status == 200, a.describe()
        key_id = a.json["id"]
        # which process is which listed signer
        ids = {}
        for s in sg:
            info = kpd.http(s.url, "POST", "/signer/info", b"{}", {"X-Keyport-Signer-Auth": kpd.signer_auth(
                s.secret_file.read_text().strip().encode(), int(time.time()), "POST", "/signer/info", b"{}")})
            ids[info.json["signerId"]] = s
        down = sg[2]
        down_id = next(k for k, v in ids.items() if v is down)
        assert down.stop() == 0

        ctx, request = export_ctx
        e = c.export_key(key_id, request)
        assert e.status == 200, e.describe()
        shares = e.json["encryptedKeyShares"]
        assert len(shares) == 4
        assert down_id not in [s["signerId"] for s in shares]
        assert {s["signerId"] for s in shares} == {s["signerId"] for s in signers} - {down_id}
        missing = {k.lower(): v for k, v in e.headers.items()}.get("x-keyport-missing-signers", "")
        assert down_id in missing, e.headers
        assert keyport.export_recover(ctx, e.body, tag="down1")["privateKey"] == kpd.KEYS["secp256k1"]

        # archived (delete is the default): at the API, and on every signer that is up
        assert wait_for(lambda: c.get(f"/keys/{key_id}").json["status"] == "Archived")
        ek = kpd.json.loads(request)["encryptionKey"]
        for sid, s in ids.items():
            if s is not down:
                r = signer_export(s, key_id, ek)
                assert r.status == 409, f"signer {sid} still hands out the share of an archived key: {r.describe()}"
        entries = kpd.audit_entries(c.audit_raw())
        exported = [x for x in entries if x["event"] == "key.exported" and x.get("keyId") == key_id]
        assert exported and down_id in kpd.json.dumps(exported[-1])

        # the signer that was down learns of the archive once it is back, without an API restart
        down.start()
        assert wait_for(lambda: signer_export(down, key_id, ek).status == 409), \
            signer_export(down, key_id, ek).describe()
        assert kpd.snapshot(c.cluster.data)["journal"] == []
        assert keyport.audit_verify(c.audit_raw()).rc == 0
    finally:
        c.cluster.stop()
        for s in sg:
            s.stop()


def test_export_with_fewer_than_min_signers_up_is_refused(clusters, keyportd_bin, tmp_path, keyport, export_ctx):
    c, sg = start_remote(clusters, keyportd_bin, tmp_path, n=4)
    try:
        body = keyport.import_prepare(c.get("/signers").body, "secp256k1", "CGGMP21", kpd.KEYS["secp256k1"],
                                      min_signers=3, tag="down2")
        a = c.import_key(body)
        assert a.status == 200, a.describe()
        assert sg[0].stop() == 0 and sg[1].stop() == 0
        ctx, request = export_ctx
        e = c.export_key(a.json["id"], request)
        assert e.status == 503, e.describe()
        assert "2 of 4 signers answered" in e.message and "3 are needed" in e.message, e.message
        assert c.get(f"/keys/{a.json['id']}").json["status"] == "Active"
        # once they are back, the same key exports (fresh approvals) and recovers
        sg[0].start()
        sg[1].start()
        e = c.export_key(a.json["id"], request)
        assert e.status == 200, e.describe()
        assert keyport.export_recover(ctx, e.body, tag="down2")["privateKey"] == kpd.KEYS["secp256k1"]
    finally:
        c.cluster.stop()
        for s in sg:
            s.stop()


def test_embedded_decided_import_is_retried_without_a_restart(clusters, keyport, export_ctx):
    """An embedded cluster whose import was decided but could not commit on one signer (its
    database unwritable for a while: a full disk, here a lock held by the test) commits it as soon
    as that signer can write again, without a restart."""
    c = clusters.client(clusters.new(env={"KEYPORTD_CRASH_AT": "import-after-decision"}))
    body = keyport.import_prepare(c.get("/signers").body, "secp256k1", "CGGMP21", kpd.KEYS["secp256k1"],
                                  tag="embedded-retry")
    try:
        c.import_key(body)
    except (ConnectionError, OSError):
        pass
    assert c.cluster.wait_dead() == -9
    # signer-3 cannot write: the restart's own recovery cannot commit there
    blocker = sqlite3.connect(str(c.cluster.data / "signer-3" / "signer.db"), isolation_level=None, timeout=30)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        c.cluster.start(env={"KEYPORTD_CRASH_AT": ""})
        assert "wait for signers that do not answer" in c.cluster.stderr()
        assert c.keys() == []
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert wait_for(lambda: len(c.keys()) == 1, timeout=60), c.cluster.stderr()
    [k] = c.keys()
    assert k["status"] == "Active"
    ctx, request = export_ctx
    e = c.export_key(k["id"], request)
    assert e.status == 200, e.describe()
    assert keyport.export_recover(ctx, e.body, tag="embedded-retry")["privateKey"] == kpd.KEYS["secp256k1"]
    assert keyport.audit_verify(c.audit_raw()).rc == 0
