"""Import a key on each curve, export it, recover it offline, and compare (API.md, docs/wire.md §3-§4)."""

from __future__ import annotations

import base64
import hashlib
import json
import time

import pytest

import kpd
import wire_ref as W

KEY_FIELDS = ["id", "name", "curve", "protocol", "publicKey", "minSigners", "status", "imported", "exported",
              "dateCreated", "dateExported", "dateArchived"]


def wait_status(client: kpd.Client, key_id: str, status: str, timeout: float = 5.0) -> dict:
    """The archive of an export is written once the answer was sent: poll for it briefly."""
    deadline = time.time() + timeout
    while True:
        k = client.get(f"/keys/{key_id}").json
        if k["status"] == status or time.time() > deadline:
            return k
        time.sleep(0.02)


def check_key_object(k: dict, curve: str, protocol: str, pub: bytes, imported: bool = True):
    assert list(k) == KEY_FIELDS, f"key object fields {list(k)}"
    assert k["id"].startswith("key-") and len(k["id"]) == 4 + 26
    assert k["curve"] == curve and k["protocol"] == protocol
    assert k["publicKey"] == pub.hex()
    assert k["minSigners"] == 3
    assert k["imported"] is imported
    assert k["dateCreated"].endswith("Z")


def test_signers_list_is_sorted_by_decoded_id(shared):
    a = shared.get("/signers")
    assert a.status == 200, a.describe()
    doc = W.parse_json_strict(a.body)
    [cluster] = doc["clusters"]
    ids = [s["signerId"] for s in cluster["signers"]]
    assert len(ids) == 5
    assert [base64.b64decode(i) for i in ids] == sorted(base64.b64decode(i) for i in ids)
    for s in cluster["signers"]:
        assert list(s) == ["signerId", "encryptionKey"]
        # base64 of 0x01 || 0x02/0x03 || x: "AQ" and then I..L (0x02) or M..P (0x03)
        assert len(s["encryptionKey"]) == 48 and s["encryptionKey"][:2] == "AQ" and s["encryptionKey"][2] in "IJKLMNOP"
        W.decode_encryption_key(s["encryptionKey"])


@pytest.mark.parametrize("protocol,curve", kpd.SCHEMES)
def test_import_export_recover(shared, keyport, export_ctx, protocol, curve):
    signers = shared.get("/signers").body
    body = keyport.import_prepare(signers, curve, protocol, kpd.KEYS[curve], name=f"{curve} key", tag=curve)
    a = shared.import_key(body)
    assert a.status == 200, a.describe()
    k = a.json
    c = W.curve(curve)
    pub = c.public_key(int(kpd.KEYS[curve], 16))
    check_key_object(k, curve, protocol, pub)
    assert k["name"] == f"{curve} key" and k["status"] == "Active" and k["exported"] is False
    assert k["dateExported"] is None and k["dateArchived"] is None
    assert shared.get(f"/keys/{k['id']}").json == k
    assert k in shared.keys()

    ctx, request = export_ctx
    e = shared.export_key(k["id"], request)
    assert e.status == 200, e.describe()
    resp = W.parse_json_strict(e.body)
    assert list(resp) == ["publicKey", "minSigners", "curve", "protocol", "encryptedKeyShares"]
    assert resp["publicKey"] == pub.hex() and resp["minSigners"] == 3
    assert resp["curve"] == curve and resp["protocol"] == protocol
    assert sorted(s["signerId"] for s in resp["encryptedKeyShares"]) == sorted(
        s["signerId"] for s in json.loads(signers)["clusters"][0]["signers"])
    got = keyport.export_recover(ctx, e.body, tag=curve)
    assert got["privateKey"] == kpd.KEYS[curve]
    assert got["culprits"] == []

    # delete defaults to true: archived once the answer went out, and never exported again
    k2 = wait_status(shared, k["id"], "Archived")
    assert k2["status"] == "Archived" and k2["exported"] is True
    assert k2["dateExported"] and k2["dateArchived"]
    again = shared.export_key(k["id"], request)
    assert again.status == 409, again.describe()
    assert "archived" in again.message
    again = shared.archive_key(k["id"])
    assert again.status == 409, again.describe()

    # the log names the key's events, who approved them, and the exact requests they approved
    mine = [e for e in kpd.audit_entries(shared.audit_raw()) if e.get("keyId") == k["id"]]
    assert [e["event"] for e in mine] == ["key.imported", "key.exported", "key.archived"]
    assert mine[0]["details"]["request"] == hashlib.sha256(body).hexdigest()
    assert mine[0]["details"]["credential"] == shared.cred.cred_id
    assert mine[1]["details"]["request"] == hashlib.sha256(request).hexdigest()
    assert mine[1]["details"]["delete"] is True
    assert all(e["actors"] == ["alice", "bob"] for e in mine)
    assert all(e["publicKey"] == pub.hex() for e in mine)


@pytest.mark.parametrize("curve", ["secp256k1", "stark"])
def test_cggmp24_keys_export(shared, keyport, curve):
    """Issue 7.6: a CGGMP24 key exports, with a request that lists CGGMP24 (--schemes) and with the
    default one that Dfns' published client parses (CGGMP21 only: the same shares)."""
    signers = shared.get("/signers").body
    for n, schemes in enumerate(["CGGMP24/" + curve, None]):
        tag = f"c24-{curve}-{n}"
        body = keyport.import_prepare(signers, curve, "CGGMP24", kpd.KEYS[curve], name=tag, tag=tag)
        a = shared.import_key(body)
        assert a.status == 200, a.describe()
        assert a.json["protocol"] == "CGGMP24"
        ctx, request = keyport.export_init(tag, delete=False, schemes=schemes)
        listed = [(s["protocol"], s["curve"]) for s in json.loads(request)["supportedSchemes"]]
        assert (("CGGMP24", curve) in listed) == (schemes is not None)
        e = shared.export_key(a.json["id"], request)
        assert e.status == 200, e.describe()
        assert W.parse_json_strict(e.body)["protocol"] == "CGGMP24"
        got = keyport.export_recover(ctx, e.body, tag=tag)
        assert got["privateKey"] == kpd.KEYS[curve] and got["protocol"] == "CGGMP24" and got["culprits"] == []
    # a request that lists neither name for the curve is still refused
    body = keyport.import_prepare(signers, curve, "CGGMP24", kpd.KEYS[curve], name="c24-none", tag=f"c24-none-{curve}")
    k = shared.import_key(body).json
    ctx, request = keyport.export_init(f"c24-none-{curve}", delete=False, schemes="FROST/ed25519")
    e = shared.export_key(k["id"], request)
    assert e.status == 400 and "supportedSchemes" in e.message, e.describe()


def test_export_without_delete_keeps_the_key_active(shared, keyport):
    signers = shared.get("/signers").body
    body = keyport.import_prepare(signers, "secp256k1", "FROST_BITCOIN", kpd.KEYS["secp256k1"], tag="nodelete")
    k = shared.import_key(body).json
    ctx, request = keyport.export_init("nodelete", delete=False)
    assert b'"delete":false' in request
    for _ in range(2):
        e = shared.export_key(k["id"], request)
        assert e.status == 200, e.describe()
        assert keyport.export_recover(ctx, e.body, tag="nodelete")["privateKey"] == kpd.KEYS["secp256k1"]
    time.sleep(0.1)
    k2 = shared.get(f"/keys/{k['id']}").json
    assert k2["status"] == "Active" and k2["exported"] is True and k2["dateArchived"] is None
    a = shared.archive_key(k["id"])
    assert a.status == 200, a.describe()
    assert a.json["status"] == "Archived" and a.json["dateArchived"]
    assert shared.export_key(k["id"], request).status == 409


def test_audit_log_verifies_and_records_each_event(shared, keyport):
    raw = shared.audit_raw()
    r = keyport.audit_verify(raw)
    assert r.rc == 0, r.err
    entries = kpd.audit_entries(raw)
    events = [e["event"] for e in entries]
    assert events[0] == "log.created"
    for ev in ("key.imported", "key.exported", "key.archived"):
        assert ev in events
    imported = [e for e in entries if e["event"] == "key.imported"]
    for e in imported:
        assert e["actors"] == ["alice", "bob"]
        assert e["details"]["origin"] == "api" and e["details"]["approvers"] == ["alice", "bob"]
        assert e["publicKey"]
    exported = [e for e in entries if e["event"] == "key.exported"]
    for e in exported:
        assert len(e["details"]["recipient"]) == 16
    # GET /audit gives the same entries, and filters by key
    doc = shared.get("/audit").json
    assert doc["entries"] == entries
    kid = imported[0]["keyId"]
    only = shared.get(f"/audit?keyId={kid}").json["entries"]
    assert only and all(e["keyId"] == kid for e in only)
    assert [e["event"] for e in only][:2] == ["key.imported", "key.exported"]
