"""POST /keys: native keys made by Feldman VSS among the signers (API.md), exported and recovered."""

from __future__ import annotations

import pytest

import kpd
import wire_ref as W


@pytest.mark.parametrize("protocol,curve", kpd.SCHEMES + [("FROST_BITCOIN", "secp256k1")])
def test_generate_export_recover(shared, keyport, export_ctx, protocol, curve):
    a = shared.generate_key(protocol, curve, name=f"native {curve}")
    assert a.status == 200, a.describe()
    k = a.json
    assert k["imported"] is False and k["status"] == "Active" and k["minSigners"] == 3
    assert k["curve"] == curve and k["protocol"] == protocol and k["name"] == f"native {curve}"
    assert len(bytes.fromhex(k["publicKey"])) == W.curve(curve).pub_len
    ctx, request = export_ctx
    e = shared.export_key(k["id"], request)
    assert e.status == 200, e.describe()
    got = keyport.export_recover(ctx, e.body, tag=f"gen-{curve}")
    assert got["culprits"] == []
    # the recovered key is the one whose public key the cluster announced (checked here again)
    assert W.curve(curve).public_key(int(got["privateKey"], 16)).hex() == k["publicKey"]


def test_two_generated_keys_differ(shared):
    a = shared.generate_key("CGGMP21", "secp256k1").json
    b = shared.generate_key("CGGMP21", "secp256k1").json
    assert a["publicKey"] != b["publicKey"] and a["id"] != b["id"]


def test_key_created_is_in_the_log(shared, keyport):
    raw = shared.audit_raw()
    assert keyport.audit_verify(raw).rc == 0
    created = [e for e in kpd.audit_entries(raw) if e["event"] == "key.created"]
    assert created
    for e in created:
        d = e["details"]
        assert d["signers"] == 5 and d["t"] == 3 and d["scheme"] in ("CGGMP21", "FROST", "FROST_BITCOIN")
        assert e["actors"] == ["alice", "bob"]


@pytest.mark.parametrize("body,words", [
    (b'{"scheme":"FROST","curve":"secp256k1"}', ["scheme"]),
    (b'{"scheme":"CGGMP21","curve":"curve25519"}', ["curve"]),
    (b'{"curve":"secp256k1"}', ["scheme", "missing"]),
    (b'{"scheme":"CGGMP21","curve":"secp256k1","name":5}', ["name"]),
    (b'{"scheme":"CGGMP21"', ["JSON"]),
])
def test_bad_generate_requests(shared, body, words):
    before = kpd.snapshot(shared.cluster.data)
    a = shared.mutate("/keys", body, "import")
    assert a.status == 400, a.describe()
    for w in words:
        assert w in a.message, a.message
    assert kpd.snapshot(shared.cluster.data) == before


def test_two_signers_make_two_of_two(clusters, keyport):
    c = clusters.client(clusters.new(signers=2))
    a = c.generate_key("FROST", "ed25519")
    assert a.status == 200, a.describe()
    assert a.json["minSigners"] == 2
    ctx, request = keyport.export_init("two")
    e = c.export_key(a.json["id"], request)
    assert e.status == 200, e.describe()
    got = keyport.export_recover(ctx, e.body, tag="two")
    assert W.curve("ed25519").public_key(int(got["privateKey"], 16)).hex() == a.json["publicKey"]
