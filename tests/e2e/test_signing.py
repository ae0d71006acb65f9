"""POST /keys/{keyId}/signatures: threshold FROST in the cluster (server/API.md "Signing").

Every signature is verified here with code independent of keyport: PyNaCl for Ed25519, and
BIP-340 verification written below from the BIP's own reference (bip-0340/reference.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from pathlib import Path

import nacl.exceptions
import nacl.signing
import pytest

import kpd
from test_signer_down import start_remote

VECTORS = Path(__file__).resolve().parent.parent / "vectors"

# --------------------------------------------------------------------------- BIP-340 (from the BIP)

P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
     0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)


def _add(p1, p2):
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    if p1[0] == p2[0] and p1[1] != p2[1]:
        return None
    if p1 == p2:
        lam = (3 * p1[0] * p1[0] * pow(2 * p1[1], P - 2, P)) % P
    else:
        lam = ((p2[1] - p1[1]) * pow(p2[0] - p1[0], P - 2, P)) % P
    x3 = (lam * lam - p1[0] - p2[0]) % P
    return x3, (lam * (p1[0] - x3) - p1[1]) % P


def _mul(p, n):
    r = None
    for i in range(256):
        if (n >> i) & 1:
            r = _add(r, p)
        p = _add(p, p)
    return r


def _tagged(tag: str, msg: bytes) -> bytes:
    t = hashlib.sha256(tag.encode()).digest()
    return hashlib.sha256(t + t + msg).digest()


def _lift_x(x: int):
    if x >= P:
        return None
    y_sq = (pow(x, 3, P) + 7) % P
    y = pow(y_sq, (P + 1) // 4, P)
    if pow(y, 2, P) != y_sq:
        return None
    return x, y if y & 1 == 0 else P - y


def bip340_verify(pubkey: bytes, msg: bytes, sig: bytes) -> bool:
    """schnorr_verify of BIP-340's reference code."""
    if len(pubkey) != 32 or len(sig) != 64:
        return False
    pt = _lift_x(int.from_bytes(pubkey, "big"))
    r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
    if pt is None or r >= P or s >= N:
        return False
    e = int.from_bytes(_tagged("BIP0340/challenge", sig[:32] + pubkey + msg), "big") % N
    R = _add(_mul(G, s), _mul(pt, N - e))
    return R is not None and R[1] % 2 == 0 and R[0] == r


def test_bip340_verify_matches_the_bip_vectors():
    """The verification above accepts and refuses as the BIP's own vectors say."""
    import csv

    with open(VECTORS / "bip340-schnorr-test-vectors.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) >= 15
    for row in rows:
        if len(bytes.fromhex(row["message"])) != 32:
            continue
        got = bip340_verify(bytes.fromhex(row["public key"]), bytes.fromhex(row["message"]),
                            bytes.fromhex(row["signature"]))
        assert got == (row["verification result"] == "TRUE"), row["index"]


# --------------------------------------------------------------------------- helpers


def ed25519_scalar_hex(seed: bytes) -> str:
    """docs/wire.md §4 step 1: an RFC 8032 seed's signing scalar, big-endian hex."""
    h = bytearray(hashlib.sha512(seed).digest()[:32])
    h[0] &= 0xF8
    h[31] &= 0x7F
    h[31] |= 0x40
    ell = 2**252 + 27742317777372353535851937790883648493
    return (int.from_bytes(h, "little") % ell).to_bytes(32, "big").hex()


def import_key(c: kpd.Client, curve: str, protocol: str, secret_hex: str, seed: int = 7) -> dict:
    import random

    body = kpd.python_import_request(c.get("/signers").body, curve, protocol, secret_hex, t=3,
                                     rng=random.Random(seed))
    a = c.import_key(body)
    assert a.status == 200, a.describe()
    return a.json


def sign(c: kpd.Client, key_id: str, body: dict | bytes) -> kpd.Answer:
    raw = body if isinstance(body, bytes) else kpd.compact(body)
    return c.mutate(f"/keys/{key_id}/signatures", raw, "sign", key_id, approvers=None)


def sig_bytes(a: kpd.Answer) -> bytes:
    assert a.status == 200, a.describe()
    s = a.json
    assert s["status"] == "Signed"
    enc = bytes.fromhex(s["signature"]["encoded"][2:])
    assert s["signature"]["r"] == "0x" + enc[:32].hex() and s["signature"]["s"] == "0x" + enc[32:].hex()
    return enc


def seed_vectors():
    return json.loads((VECTORS / "ed25519-rfc8032-7.1.json").read_text())["vectors"]


def signer_rows(data: Path) -> dict:
    out = {}
    for d in sorted(data.glob("signer-*")) if (data / "signer-1").exists() else []:
        con = sqlite3.connect(f"file:{d / 'signer.db'}?mode=ro", uri=True, timeout=10)
        try:
            out[d.name] = con.execute("SELECT hex(commitment), signing_id, state, sealed IS NULL FROM sign_nonces").fetchall()
        finally:
            con.close()
    return out


# --------------------------------------------------------------------------- tests


def test_imported_rfc8032_seed_signs_and_pynacl_verifies(shared):
    v = seed_vectors()[1]
    seed = bytes.fromhex(v["secret_key"])
    vk = nacl.signing.SigningKey(seed).verify_key
    k = import_key(shared, "ed25519", "FROST", ed25519_scalar_hex(seed))
    # the seed's public key: an imported Solana key keeps its address
    assert k["publicKey"] == v["public_key"] == vk.encode().hex()
    for msg in [bytes.fromhex(v["message"]), b"", os.urandom(1000)]:
        body = {"kind": "Message", "message": "0x" + msg.hex()}
        a = sign(shared, k["id"], body)
        sig = sig_bytes(a)
        vk.verify(msg, sig)  # raises when it does not verify
        with pytest.raises(nacl.exceptions.BadSignatureError):
            vk.verify(msg + b"x", sig)
        assert a.json["keyId"] == k["id"] and a.json["requestBody"] == body
        assert len(a.json["signers"]) == 3
    listed = shared.get(f"/keys/{k['id']}/signatures")
    assert listed.status == 200 and len(listed.json["items"]) == 3
    one = shared.get(f"/keys/{k['id']}/signatures/{a.json['id']}")
    assert one.status == 200 and one.json == a.json
    assert shared.get(f"/keys/{k['id']}/signatures/sig-nope").status == 404


def test_frost_bitcoin_key_signs_bip340(shared):
    k = import_key(shared, "secp256k1", "FROST_BITCOIN", kpd.KEYS["secp256k1"])
    xonly = bytes.fromhex(k["publicKey"])[1:]
    for _ in range(4):  # both parities of R turn up
        h = os.urandom(32)
        sig = sig_bytes(sign(shared, k["id"], {"kind": "Hash", "hash": "0x" + h.hex()}))
        assert bip340_verify(xonly, h, sig)
        assert not bip340_verify(xonly, bytes(32), sig)


def test_odd_y_key_signs_bip340(shared):
    """A key whose point has odd Y: the signers negate their shares (BIP-340 x-only keys)."""
    for i in range(1, 40):
        secret = (0x1234567 * i).to_bytes(32, "big")
        pub = _mul(G, int.from_bytes(secret, "big"))
        if pub[1] & 1:
            break
    k = import_key(shared, "secp256k1", "FROST_BITCOIN", secret.hex())
    assert k["publicKey"].startswith("03")
    h = hashlib.sha256(b"odd").digest()
    assert bip340_verify(bytes.fromhex(k["publicKey"])[1:], h, sig_bytes(sign(shared, k["id"], {"kind": "Hash", "hash": "0x" + h.hex()})))


@pytest.mark.parametrize("protocol,curve", [("FROST", "ed25519"), ("FROST_BITCOIN", "secp256k1")])
def test_generated_key_signs(shared, protocol, curve):
    a = shared.generate_key(protocol, curve)
    assert a.status == 200, a.describe()
    k = a.json
    msg = hashlib.sha256(b"dkg").digest()
    body = ({"kind": "Hash", "hash": "0x" + msg.hex()} if curve == "secp256k1"
            else {"kind": "Message", "message": "0x" + msg.hex()})
    sig = sig_bytes(sign(shared, k["id"], body))
    if curve == "ed25519":
        nacl.signing.VerifyKey(bytes.fromhex(k["publicKey"])).verify(msg, sig)
    else:
        assert bip340_verify(bytes.fromhex(k["publicKey"])[1:], msg, sig)


def test_ecdsa_keys_get_501(shared):
    k = import_key(shared, "secp256k1", "CGGMP21", kpd.KEYS["secp256k1"])
    a = sign(shared, k["id"], {"kind": "Hash", "hash": "0x" + "11" * 32})
    assert a.status == 501, a.describe()
    assert "ECDSA" in a.message and "not implemented" in a.message and "FROST" in a.message


@pytest.mark.parametrize("body,words", [
    ({"kind": "Hash", "hash": "0x" + "11" * 32}, ["kind", "Message"]),
    ({"kind": "Message", "message": "11"}, ["0x"]),
    ({"kind": "Message", "message": "0xzz"}, ["hex"]),
    ({"kind": "Message"}, ["message"]),
    ({"kind": "Message", "message": "0x00", "extra": 1}, ["extra"]),
])
def test_bad_sign_requests(shared, body, words):
    v = seed_vectors()[0]
    k = import_key(shared, "ed25519", "FROST", ed25519_scalar_hex(bytes.fromhex(v["secret_key"])), seed=11)
    a = sign(shared, k["id"], body)
    assert a.status == 400, a.describe()
    for w in words:
        assert w in a.message, a.message


def test_sign_needs_a_user_action(shared):
    k = import_key(shared, "secp256k1", "FROST_BITCOIN", kpd.KEYS["secp256k1"], seed=12)
    body = kpd.compact({"kind": "Hash", "hash": "0x" + "22" * 32})
    a = shared.mutate(f"/keys/{k['id']}/signatures", body, "sign", k["id"], approvers=None, user_action=None)
    assert a.status == 401, a.describe()


def test_archived_key_refuses_and_the_log_says_so(shared, keyport):
    k = import_key(shared, "ed25519", "FROST", ed25519_scalar_hex(os.urandom(32)), seed=13)
    assert shared.archive_key(k["id"]).status == 200
    a = sign(shared, k["id"], {"kind": "Message", "message": "0x00"})
    assert a.status == 409, a.describe()
    assert "archived" in a.message
    raw = shared.audit_raw()
    assert keyport.audit_verify(raw).rc == 0
    refused = [e for e in kpd.audit_entries(raw) if e["event"] == "key.sign_refused" and e.get("keyId") == k["id"]]
    assert refused and "archived" in refused[-1]["details"]["reason"]


def test_every_signature_is_an_audit_event(shared, keyport):
    k = import_key(shared, "ed25519", "FROST", ed25519_scalar_hex(os.urandom(32)), seed=14)
    msg = b"audited"
    a = sign(shared, k["id"], {"kind": "Message", "message": "0x" + msg.hex()})
    sig_bytes(a)
    raw = shared.audit_raw()
    assert keyport.audit_verify(raw).rc == 0
    ev = [e for e in kpd.audit_entries(raw) if e["event"] == "key.signed" and e["details"]["signature"] == a.json["id"]]
    assert len(ev) == 1
    d = ev[0]["details"]
    assert d["digest"] == hashlib.sha256(msg).hexdigest() and d["signers"] == a.json["signers"]
    assert d["credential"] == shared.cred.cred_id


def test_bad_share_is_named_and_the_signature_completes(clusters, keyport):
    c = clusters.client(clusters.new(env={"KEYPORTD_TEST_BAD_SHARE": "2"}))
    signers = sorted(c.get("/signers").json["clusters"][0]["signers"],
                     key=lambda s: __import__("base64").b64decode(s["signerId"]))
    bad = signers[1]["signerId"]
    seed = os.urandom(32)
    k = import_key(c, "ed25519", "FROST", ed25519_scalar_hex(seed), seed=15)
    msg = b"one signer lies"
    a = sign(c, k["id"], {"kind": "Message", "message": "0x" + msg.hex()})
    nacl.signing.SigningKey(seed).verify_key.verify(msg, sig_bytes(a))
    assert bad not in a.json["signers"] and len(a.json["signers"]) == 3
    ev = [e for e in kpd.audit_entries(c.audit_raw()) if e["event"] == "key.signed"]
    assert bad in ev[-1]["details"]["culprits"] and "does not verify" in ev[-1]["details"]["culprits"]
    assert bad in c.cluster.stderr()
    # and BIP-340 the same
    kb = import_key(c, "secp256k1", "FROST_BITCOIN", kpd.KEYS["secp256k1"], seed=16)
    h = os.urandom(32)
    a = sign(c, kb["id"], {"kind": "Hash", "hash": "0x" + h.hex()})
    assert bip340_verify(bytes.fromhex(kb["publicKey"])[1:], h, sig_bytes(a))
    assert bad not in a.json["signers"]


def test_crash_between_rounds_never_reuses_a_nonce(clusters):
    c = clusters.client(clusters.new())
    seed = os.urandom(32)
    vk = nacl.signing.SigningKey(seed).verify_key
    k = import_key(c, "ed25519", "FROST", ed25519_scalar_hex(seed), seed=17)
    msg = b"same message every time"
    body = {"kind": "Message", "message": "0x" + msg.hex()}
    rs = [sig_bytes(sign(c, k["id"], body))[:32] for _ in range(2)]
    # keyportd dies (SIGKILL) after the signers committed to their nonces, before round two
    c.cluster.stop()
    c.cluster.start(env={"KEYPORTD_CRASH_AT": "sign-between-rounds"})
    path = f"/keys/{k['id']}/signatures"
    raw = kpd.compact(body)
    ua = c.user_action("POST", path, raw)
    try:
        kpd.http(c.cluster.url, "POST", path, raw, {"Authorization": "Bearer " + c.token, "X-DFNS-USERACTION": ua},
                 timeout=20)
    except Exception:  # noqa: BLE001 - the connection dies with the process
        pass
    assert c.cluster.wait_dead() != 0
    issued_before = signer_rows(c.cluster.data)
    assert any(st == "issued" for rows in issued_before.values() for _, _, st, _ in rows)
    c.cluster.start()
    # the restarted signers discarded those commitments, and wiped their nonces
    after = signer_rows(c.cluster.data)
    assert all(st in ("spent", "discarded") and wiped for rows in after.values() for _, _, st, wiped in rows), after
    for _ in range(3):
        sig = sig_bytes(sign(c, k["id"], body))
        vk.verify(msg, sig)
        rs.append(sig[:32])
    # every R of every signature is distinct, and no commitment was spent twice (it is the key)
    assert len(set(rs)) == len(rs)
    for rows in signer_rows(c.cluster.data).values():
        coms = [h for h, _, _, _ in rows]
        assert len(coms) == len(set(coms))


# --------------------------------------------------------------------------- remote signers


def _signer_call(s: kpd.RemoteSigner, op: str, body: dict) -> kpd.Answer:
    raw = kpd.compact(body)
    secret = s.secret_file.read_text().strip().encode()
    auth = kpd.signer_auth(secret, int(time.time()), "POST", f"/signer/{op}", raw)
    return kpd.http(s.url, "POST", f"/signer/{op}", raw, {"X-Keyport-Signer-Auth": auth})


def test_remote_signers_t_of_n_replay_and_kill(clusters, keyportd_bin, tmp_path):
    c, sg = start_remote(clusters, keyportd_bin, tmp_path)
    try:
        seed = os.urandom(32)
        vk = nacl.signing.SigningKey(seed).verify_key
        k = import_key(c, "ed25519", "FROST", ed25519_scalar_hex(seed), seed=18)
        # any 3 of 5: two signers down
        sg[0].stop()
        sg[3].stop()
        msg = b"two are down"
        a = sign(c, k["id"], {"kind": "Message", "message": "0x" + msg.hex()})
        vk.verify(msg, sig_bytes(a))
        sg[0].start()
        sg[3].start()

        # round two replayed to a signer: refused, so one commitment gets one answer
        infos = [_signer_call(s, "info", {}).json["signerId"] for s in sg]
        order = sorted(range(5), key=lambda i: __import__("base64").b64decode(infos[i]))
        first, second = sg[order[0]], sg[order[1]]
        coms = []
        for s in (first, second):
            r = _signer_call(s, "sign-commit", {"keyId": k["id"], "signingId": "sig-replay-0"})
            assert r.status == 200, r.describe()
            coms.append({"id": r.json["id"], "hiding": r.json["hiding"], "binding": r.json["binding"]})
        coms.sort(key=lambda x: x["id"])
        round2 = {"keyId": k["id"], "signingId": "sig-replay-0", "message": msg.hex(), "commitments": coms}
        assert _signer_call(first, "sign-share", round2).status == 200
        again = _signer_call(first, "sign-share", round2)
        assert again.status == 409 and "used once" in again.message, again.describe()
        # the same signingId cannot commit again either
        assert _signer_call(first, "sign-commit", {"keyId": k["id"], "signingId": "sig-replay-0"}).status == 409

        # kill -9 between the rounds: the restarted signer discarded its commitments
        r = _signer_call(second, "sign-commit", {"keyId": k["id"], "signingId": "sig-killed-0"})
        assert r.status == 200
        coms2 = sorted([coms[0] if coms[0]["id"] != r.json["id"] else coms[1],
                        {"id": r.json["id"], "hiding": r.json["hiding"], "binding": r.json["binding"]}],
                       key=lambda x: x["id"])
        second.proc.kill()
        second.proc.wait()
        second.proc.stdout.close()
        second.proc = None
        second.start()
        late = _signer_call(second, "sign-share", {"keyId": k["id"], "signingId": "sig-killed-0",
                                                   "message": msg.hex(), "commitments": coms2})
        assert late.status == 409, late.describe()
        # and the cluster still signs
        vk.verify(msg, sig_bytes(sign(c, k["id"], {"kind": "Message", "message": "0x" + msg.hex()})))
    finally:
        c.cluster.stop()
        for s in sg:
            s.stop()


# --------------------------------------------------------------------------- keyport api sign


def test_keyport_api_sign(clusters, keyport, cred, tmp_path):
    made = keyport.ok("credential", "new", "--alg", "Ed25519", "--id", "cli-signer", "--out", tmp_path / "cli.cred")
    entry = json.loads(made.out.decode().strip().splitlines()[-1])
    creds = tmp_path / "creds.json"
    creds.write_text(json.dumps([cred.entry(), entry]))
    c = clusters.client(clusters.new(args=["--credentials", str(creds)], credentials=False))
    conn = ["--url", c.cluster.url, "--token-file", c.cluster.data / "token", "--credential", tmp_path / "cli.cred"]
    seed = os.urandom(32)
    vk = nacl.signing.SigningKey(seed).verify_key
    k = import_key(c, "ed25519", "FROST", ed25519_scalar_hex(seed), seed=21)
    msg = b"signed from the command line"
    for how in (["--message", "0x" + msg.hex().upper()], ["--message-file", keyport.write("msg.bin", msg)]):
        r = keyport.ok("api", "sign", "--key-id", k["id"], *how, *conn)
        s = json.loads(r.out)
        vk.verify(msg, bytes.fromhex(s["signature"]["encoded"][2:]))
    kb = import_key(c, "secp256k1", "FROST_BITCOIN", kpd.KEYS["secp256k1"], seed=22)
    h = hashlib.sha256(msg).digest()
    s = json.loads(keyport.ok("api", "sign", "--key-id", kb["id"], "--hash", h.hex(), *conn).out)
    assert bip340_verify(bytes.fromhex(kb["publicKey"])[1:], h, bytes.fromhex(s["signature"]["encoded"][2:]))
    listed = json.loads(keyport.ok("api", "signatures", kb["id"], *conn).out)
    assert [x["id"] for x in listed["items"]] == [s["id"]]
    # documented exit codes: 2 usage, 3 invalid input, 9 refused by the cluster
    assert keyport.run("api", "sign", "--key-id", k["id"], *conn).rc == 2
    assert keyport.run("api", "sign", "--key-id", k["id"], "--message", "00", "--hash", "00" * 32, *conn).rc == 2
    bad = keyport.run("api", "sign", "--key-id", k["id"], "--message", "0xabc", *conn)
    assert bad.rc == 3 and "--message" in bad.err
    assert keyport.run("api", "sign", "--key-id", kb["id"], "--hash", "00" * 31, *conn).rc == 3
    wrong = keyport.run("api", "sign", "--key-id", k["id"], "--hash", h.hex(), *conn)
    assert wrong.rc == 9 and "Message" in wrong.err, wrong.err
    ecdsa = import_key(c, "secp256k1", "CGGMP21", kpd.KEYS["secp256k1"], seed=23)
    r = keyport.run("api", "sign", "--key-id", ecdsa["id"], "--hash", h.hex(), *conn)
    assert r.rc == 9 and "501" in r.err and "not implemented" in r.err, r.err


def test_a_policy_that_names_sign_needs_approvals(clusters, cred, tmp_path, keyport):
    (tmp_path / "signteam").mkdir()
    team = kpd.Team.make(tmp_path / "signteam", quorum={"import": 2, "export": 2, "archive": 2, "sign": 2},
                         policy_id="sign-policy")
    cl = clusters.new(args=["--policy", str(team.policy_path)], policy=False)
    c = kpd.Client(cl, cred, team)
    seed = os.urandom(32)
    k = import_key(c, "ed25519", "FROST", ed25519_scalar_hex(seed), seed=31)
    msg = b"approved by two"
    body = kpd.compact({"kind": "Message", "message": "0x" + msg.hex()})
    path = f"/keys/{k['id']}/signatures"
    none = c.mutate(path, body, "sign", k["id"], approvers=None)
    assert none.status == 403 and "X-Keyport-Approvals" in none.message, none.describe()
    one = c.mutate(path, body, "sign", k["id"], approvers=("alice",))
    assert one.status == 403 and "quorum" in one.message, one.describe()
    other_key = c.mutate(path, body, "sign", k["id"], bundle=team.bundle("sign", "key-other", body))
    assert other_key.status == 403, other_key.describe()
    bundle = team.bundle("sign", k["id"], body)
    a = c.mutate(path, body, "sign", k["id"], bundle=bundle)
    nacl.signing.SigningKey(seed).verify_key.verify(msg, sig_bytes(a))
    # a bundle is used once
    again = c.mutate(path, body, "sign", k["id"], bundle=bundle)
    assert again.status == 403, again.describe()
    raw = c.audit_raw()
    assert keyport.audit_verify(raw).rc == 0
    ev = [e for e in kpd.audit_entries(raw) if e["event"] == "key.signed"]
    assert ev[-1]["actors"] == ["alice", "bob"] and ev[-1]["details"]["approvers"] == ["alice", "bob"]
    assert [e for e in kpd.audit_entries(raw) if e["event"] == "request.denied"]


def test_public_shares_are_fixed_when_the_key_is_made(shared):
    """Each signer's public share is recorded at import and key generation (import: the vector
    the signers checked their shares against; generation: from the dealers' commitments), before
    any signature, and the group key is their Lagrange combination."""
    seed = os.urandom(32)
    k = import_key(shared, "ed25519", "FROST", ed25519_scalar_hex(seed), seed=41)
    g = shared.generate_key("FROST_BITCOIN", "secp256k1").json
    con = sqlite3.connect(f"file:{shared.cluster.data / 'api.db'}?mode=ro", uri=True, timeout=10)
    try:
        rows = {kid: con.execute("SELECT position, point FROM public_shares WHERE key_id = ? ORDER BY position",
                                 (kid,)).fetchall() for kid in (k["id"], g["id"])}
    finally:
        con.close()
    assert [p for p, _ in rows[k["id"]]] == list(range(5)) and [p for p, _ in rows[g["id"]]] == list(range(5))
    # secp256k1: lambda_1 Y_1 + lambda_2 Y_2 + lambda_3 Y_3 == the group key (points 1, 2, 3)
    import coincurve

    pts = [coincurve.PublicKey(bytes(pt)) for _, pt in rows[g["id"]][:3]]
    lams = [3, N - 3, 1]  # Lagrange at 0 for x = 1, 2, 3: 3, -3, 1
    combo = coincurve.PublicKey.combine_keys([p.multiply(lam.to_bytes(32, "big")) for p, lam in zip(pts, lams)])
    assert combo.format(compressed=True).hex() == g["publicKey"]
