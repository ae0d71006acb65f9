"""The API end to end through a LocalCluster, cross-checked both ways against independent code:
pyca/cryptography (HKDF, AES-GCM, P-256), coincurve (secp256k1) and PyNaCl (Ed25519)."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import coincurve
import nacl.bindings
import nacl.signing
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

import keyport
from conftest import ORDERS, SCHEMES, b58, compact, lagrange0, open_envelope, public_of, random_scalar, seal, secret_bytes


@pytest.mark.parametrize("protocol,curve", SCHEMES)
def test_import_then_export_round_trip(protocol: str, curve: str, cluster: keyport.LocalCluster) -> None:
    key = keyport.random_key(curve)
    body = keyport.import_prepare(cluster.signers_document(), key, protocol=protocol, min_signers=3, name="k")
    assert isinstance(body, bytes)
    d = keyport.body_dict(body)
    assert (d["curve"], d["protocol"], d["minSigners"], d["name"]) == (curve, protocol, 3, "k")
    kid = cluster.import_key(body)
    assert cluster.public_key(kid) == key.public_key
    ctx = keyport.ExportContext.new()
    with ctx.recover(cluster.export_key(kid, ctx.export_request(schemes=keyport.SCHEMES))) as got:
        assert secret_bytes(got) == secret_bytes(key)
        assert got.curve == keyport.Curve(curve) and got.protocol == keyport.Protocol(protocol)
        assert isinstance(got.curve, keyport.Curve) and got.curve == curve


def test_recovery_names_a_bad_signer(cluster: keyport.LocalCluster) -> None:
    key = keyport.random_key("secp256k1")
    kid = cluster.import_key(keyport.import_prepare(cluster.signers_document(), key, protocol="CGGMP21"))
    ctx = keyport.ExportContext.new()
    resp = json.loads(cluster.export_key(kid, ctx.export_request()))
    # signer 0 sends a share off the polynomial, sealed by independent code
    bad = resp["encryptedKeyShares"][0]
    pt = compact({"version": 1, "index": {"curve": "secp256k1", "scalar": f"{1:064x}"},
                  "secret_share": {"curve": "secp256k1", "scalar": f"{12345:064x}"}})
    bad["encryptedKeyShare"] = base64.b64encode(seal(ctx.encryption_key, pt)).decode()
    with ctx.recover(resp) as got:
        assert secret_bytes(got) == secret_bytes(key)
        rep = got.report
        assert rep is not None and [c.signer_id for c in rep.culprits] == [bad["signerId"]]
        states = {s.signer_id: s.state for s in rep.signers}
        assert states[bad["signerId"]] == "bad" and list(states.values()).count("good") == 4


@pytest.mark.parametrize("curve", ["secp256k1", "ed25519"])
def test_import_shares_open_with_independent_code(curve: str, cluster: keyport.LocalCluster) -> None:
    """binding -> independent: each share decrypts with cryptography, public_shares are x_j*G by
    coincurve / PyNaCl, and any 3 shares interpolate to the key."""
    x = random_scalar(curve)
    body = keyport.import_prepare(cluster.signers_document(), x.to_bytes(32, "big").hex().encode(),
                                  curve=curve, protocol="FROST" if curve == "ed25519" else "CGGMP21")
    shares = keyport.body_dict(body)["encryptedKeyShares"]
    nodes = sorted(cluster.nodes, key=lambda s: s.signer_id)
    points = []
    for i, (node, e) in enumerate(zip(nodes, shares), start=1):
        assert e["signerId"] == node.signer_id_b64
        pt = json.loads(open_envelope(secret_bytes(node.secret), base64.b64decode(e["encryptedKeyShare"])))
        share = int(pt["secret_share"]["scalar"], 16)
        assert pt["secret_share"]["curve"] == curve
        mine = pt["public_shares"][i - 1]["point"]
        want = public_of(curve, share)
        if curve == "secp256k1":
            assert coincurve.PublicKey(bytes.fromhex(mine)).format(compressed=True) == want
        else:
            assert bytes.fromhex(mine) == want
        points.append((i, share))
    assert lagrange0(points[1:4], ORDERS[curve]) == x
    assert lagrange0(points[:3], ORDERS[curve]) == x


@pytest.mark.parametrize("curve,protocol", [("secp256k1", "CGGMP21"), ("ed25519", "FROST")])
def test_export_shares_sealed_by_independent_code_recover(curve: str, protocol: str) -> None:
    """independent -> binding: Shamir shares at random full-size indices, sealed with cryptography."""
    import random

    n = ORDERS[curve]
    x = random_scalar(curve)
    coeffs = [x, random_scalar(curve), random_scalar(curve)]
    ctx = keyport.ExportContext.new()
    entries = []
    for j in range(5):
        idx = random.randrange(1, n)
        y = sum(c * pow(idx, k, n) for k, c in enumerate(coeffs)) % n
        pt = compact({"version": 1, "index": {"curve": curve, "scalar": f"{idx:064x}"},
                      "secret_share": {"curve": curve, "scalar": f"{y:064x}"}})
        entries.append({"signerId": base64.b64encode(bytes([j]) * 8).decode(),
                        "encryptedKeyShare": base64.b64encode(seal(ctx.encryption_key, pt)).decode()})
    resp = {"publicKey": public_of(curve, x).hex(), "minSigners": 3, "curve": curve, "protocol": protocol,
            "encryptedKeyShares": entries}
    with ctx.recover_secret_key(resp) as got:
        assert int.from_bytes(secret_bytes(got), "big") == x


def test_signer_side_shares_open_with_independent_code() -> None:
    dk = coincurve.PrivateKey()
    ctx = keyport.ExportContext.from_secret(keyport.secret_key("secp256k1", dk.secret))
    assert ctx.encryption_key == dk.public_key.format(compressed=True)
    share = keyport.random_key("secp256k1")
    ct = keyport._keyport.export_seal_share(ctx.encryption_key, 7, share)
    pt = json.loads(open_envelope(dk.secret, ct))
    assert pt == {"version": 1, "index": {"curve": "secp256k1", "scalar": f"{7:064x}"},
                  "secret_share": {"curve": "secp256k1", "scalar": secret_bytes(share).hex()}}


def test_public_keys_match_coincurve_and_pynacl() -> None:
    for _ in range(20):
        with keyport.random_key("secp256k1") as k:
            assert coincurve.PrivateKey(secret_bytes(k)).public_key.format(compressed=True) == k.public_key
        seed = nacl.signing.SigningKey.generate()
        with keyport.parse_key(bytes(seed).hex().encode(), "ed25519-seed") as e:
            assert bytes(seed.verify_key) == e.public_key
            scalar = int.from_bytes(secret_bytes(e), "big")
            assert nacl.bindings.crypto_scalarmult_ed25519_base_noclamp(scalar.to_bytes(32, "little")) == e.public_key
    # and the other way: coincurve's key through the binding
    priv = coincurve.PrivateKey()
    assert keyport.secret_key("secp256k1", priv.secret).public_key == priv.public_key.format(compressed=True)


def test_context_seal_and_open(tmp_path: Path) -> None:
    ctx = keyport.ExportContext.new()
    sealed = ctx.seal(bytearray(b"passphrase"), keyport.Kdf.INTERACTIVE)
    assert len(sealed) == keyport._keyport.CONTEXT_FILE_BYTES
    again = keyport.ExportContext.open(sealed, b"passphrase")
    assert again.encryption_key == ctx.encryption_key and again.fingerprint == ctx.fingerprint
    assert again.export_request() == ctx.export_request()
    with pytest.raises(keyport.DecryptionError):
        keyport.ExportContext.open(sealed, b"Passphrase")
    altered = bytearray(sealed)
    altered[-1] ^= 1
    with pytest.raises(keyport.DecryptionError):
        keyport.ExportContext.open(altered, b"passphrase")
    with keyport.ExportContext.new() as c2:
        pass
    with pytest.raises(keyport.MisuseError):
        c2.export_request()


def test_export_request_and_dfns_aliases(cluster: keyport.LocalCluster) -> None:
    ctx = keyport.new_wallet_export_context()
    conf = ctx.get_conf()
    assert conf == json.loads(ctx.export_request())
    assert conf["encryptionKey"] == ctx.encryption_key_b64 and len(conf["supportedSchemes"]) == 4
    req = json.loads(ctx.export_request(delete=False, schemes=[("CGGMP24", "secp256k1"), ("FROST", "ed25519")]))
    assert req["delete"] is False
    assert req["supportedSchemes"] == [{"protocol": "CGGMP24", "curve": "secp256k1"},
                                       {"protocol": "FROST", "curve": "ed25519"}]
    with pytest.raises(keyport.InvalidKeyError):
        ctx.export_request(schemes=[("FROST", "secp256k1")])
    key = keyport.random_key("ed25519")
    d = keyport.split_private_key_for_signers(cluster.signers_document(), key, "ed25519", name="dfns")
    b = keyport.body_dict(keyport.import_prepare(cluster.signers_document(), key, protocol="FROST", name="dfns"))
    assert list(d) == list(b) and {k: v for k, v in d.items() if k != "encryptedKeyShares"} == \
        {k: v for k, v in b.items() if k != "encryptedKeyShares"}
    assert [e["signerId"] for e in d["encryptedKeyShares"]] == [e["signerId"] for e in b["encryptedKeyShares"]]
    kid = cluster.import_key(compact(d))
    with ctx.recover_secret_key(cluster.export_key(kid, ctx.export_request())) as got:
        assert secret_bytes(got) == secret_bytes(key)


def test_import_from_every_input_format(cluster: keyport.LocalCluster) -> None:
    doc = cluster.signers_document()
    words = b"abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
    cases: list[tuple[str, bytes, dict[str, object]]] = [
        ("hex", b"0x01", {"curve": "secp256k1"}),
        ("ed25519-seed", bytes(32).hex().encode(), {}),
        ("wif", b"KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn", {}),
        ("mnemonic", words, {"path": "m/44'/60'/0'/0/0"}),
        ("stark-mnemonic", words, {"path": "m/2645'/579218131'/211006541'/0'/0'/0"}),
        ("xprv", b"xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRB"
                 b"eJgk33yuGBxrMPHi", {"path": "m/0'"}),
        ("stark-hex", b"0x3c1e", {}),
        ("wif-testnet", b"cMahea7zqjxrtgAbB7LSGbcQUr1uX1ojuat9jZodMN87JcbXMTcA", {}),
    ]
    # Ethereum keystore (written by the binding, read back through import); Solana keypairs by PyNaCl
    with keyport.random_key("secp256k1") as k:
        cases.append(("keystore", bytes(k.to_format("keystore", passphrase=b"ks", kdf="interactive")),
                      {"passphrase": b"ks"}))
    sk = nacl.signing.SigningKey.generate()
    pair = bytes(sk) + bytes(sk.verify_key)
    cases.append(("solana-keypair", ("[" + ",".join(map(str, pair)) + "]").encode(), {}))
    cases.append(("solana-base58", b58(pair).encode(), {}))
    assert {f.name for f in keyport.key_formats() if f.in_curves} == {c[0] for c in cases}
    for fmt, text, extra in cases:
        kw: dict[str, object] = dict(extra)
        parsed = keyport.parse_key(text, fmt, **kw)  # type: ignore[arg-type]
        protocol = "FROST" if parsed.curve == "ed25519" else "CGGMP21"
        body = keyport.import_prepare(doc, bytearray(text), key_format=fmt, protocol=protocol, **kw)  # type: ignore[arg-type]
        kid = cluster.import_key(body)
        assert cluster.public_key(kid) == parsed.public_key, fmt


def test_key_formats_round_trip(tmp_path: Path) -> None:
    names = {f.name for f in keyport.key_formats()}
    assert {"hex", "wif", "mnemonic", "xprv", "keystore", "solana-keypair", "stark-hex"} <= names
    with keyport.random_key("secp256k1") as k:
        ks = k.to_format("keystore", passphrase=b"pw", kdf="interactive")
        with keyport.parse_key(ks, "keystore", passphrase=b"pw") as back:
            assert secret_bytes(back) == secret_bytes(k)
        with keyport.parse_key(k.to_format("hex"), "hex", curve="secp256k1") as back:
            assert secret_bytes(back) == secret_bytes(k)
    with pytest.raises(keyport.KeyFormatError, match="seed"):
        keyport.random_key("ed25519").to_format("ed25519-seed")


def _operators() -> tuple[list[keyport.Operator], keyport.Policy]:
    ops = []
    for name in ("alice", "bob", "carol"):
        op, file = keyport.Operator.new(name, b"pw-" + name.encode(), keyport.Kdf.INTERACTIVE)
        parsed = keyport.Operator.parse(file)
        assert parsed.public_key == op.public_key and not parsed.unlocked and op.unlocked
        parsed.unlock(b"pw-" + name.encode())
        ops.append(parsed)
    doc = keyport.policy_write("team", ops, {"import": 2, "export": 2, "archive": 3})
    return ops, keyport.Policy.parse(doc)


def test_operators_policies_and_approvals() -> None:
    ops, policy = _operators()
    assert policy.id == "team" and [n for n, _ in policy.operators] == ["alice", "bob", "carol"]
    assert policy.quorum("archive") == 3 and policy.quorum(keyport.Action.IMPORT) == 2
    assert ops[0].fingerprint == keyport.fingerprint(ops[0].public_key)
    _op, file = keyport.Operator.new("dave", b"pw", keyport.Kdf.INTERACTIVE)
    locked = keyport.Operator.parse(file)
    with pytest.raises(keyport.DecryptionError):
        locked.unlock(b"wrong")
    with pytest.raises(keyport.ApprovalError) as ei:
        keyport.approve(locked, policy, "import", b"{}")
    assert ei.value.code == 53
    request = b'{"encryptionKey":"AQ..."}'
    bundle = keyport.approve(ops[0], policy, "export", request, key_id="key-1")
    r1 = keyport.verify_approvals(policy, "export", request, bundle, key_id="key-1")
    assert (r1.quorum_met, r1.counted, r1.needed) == (False, 1, 2)
    bundle = keyport.approve(ops[1], policy, "export", request, key_id="key-1", bundle=bundle)
    used: set[bytes] = set()
    r2 = keyport.verify_approvals(policy, "export", request, bundle, key_id="key-1", used_nonces=used)
    assert r2.quorum_met and r2.counted == 2 and [v.operator for v in r2.approvals] == ["alice", "bob"]
    assert len(used) == 2
    r3 = keyport.verify_approvals(policy, "export", request, bundle, key_id="key-1", used_nonces=used)
    assert not r3.quorum_met and {v.code for v in r3.approvals} == {11}  # replayed
    r4 = keyport.verify_approvals(policy, "export", request + b" ", bundle, key_id="key-1")
    assert not r4.quorum_met and "another request" in r4.approvals[0].text
    # independent check of a signature: PyNaCl over the statement's canonical bytes
    a = json.loads(bundle)["approvals"][0]
    st = a["statement"]
    order = ["type", "version", "policy", "action", "keyId", "request", "nonce", "time", "expires", "operator"]
    raw = compact({k: st[k] for k in order if k in st})
    nacl.signing.VerifyKey(ops[0].public_key).verify(raw, bytes.fromhex(a["signature"]))
    assert st["request"] == hashlib.sha256(request).hexdigest()


def test_audit_log_append_verify_entries(tmp_path: Path) -> None:
    ops, _ = _operators()
    path = tmp_path / "audit.jsonl"
    with keyport.AuditLog.open(path, ops[0]) as log:
        h1 = log.append("key.imported", key_id="key-1", public_key="02ab", actors=["alice"],
                        details=json.dumps({"format": "hex"}))
        h2 = log.append("key.exported", key_id="key-1", actors=["alice", "bob"])
    assert log.closed and h1 != h2
    with pytest.raises(keyport.MisuseError):
        log.append("x")
    text = path.read_bytes()
    rep = keyport.verify_audit_log(text, writer_key=ops[0].public_key, head=h2)
    assert rep.ok and rep.entries == 3 and rep.head == h2 and rep.problem_name == "ok"
    entries = keyport.audit_entries(text)
    assert [e.event for e in entries] == ["log.created", "key.imported", "key.exported"]
    assert entries[1].details == {"format": "hex"} and entries[2].actors == ["alice", "bob"]
    # an independent check of the last line's signature (PyNaCl)
    line = json.loads(text.splitlines()[-1])
    sig = bytes.fromhex(line.pop("sig"))
    nacl.signing.VerifyKey(ops[0].public_key).verify(compact(line), sig)
    lines = text.splitlines(keepends=True)
    reordered = keyport.verify_audit_log(lines[0] + lines[2] + lines[1])
    assert not reordered.ok and reordered.problem_name in ("reordered", "removed", "changed")
    other = keyport.verify_audit_log(text, writer_key=ops[1].public_key)
    assert not other.ok and other.problem_name == "other-key"
    with pytest.raises(keyport.AuditLogError) as ei:
        keyport.AuditLog.open(path, ops[1])
    assert ei.value.code == 62


def test_credentials_sign_as_independent_code_verifies() -> None:
    for alg in ("Ed25519", "ECDSA-P256"):
        file = keyport.Credential.new("cred-1", alg)
        assert isinstance(file, bytearray)
        cred = keyport.Credential.parse(file)
        keyport.wipe(file)
        assert cred.cred_id == "cred-1" and cred.algorithm == alg
        sig = cred.sign(b"client data")
        pub = bytes.fromhex(cred.public_key_hex)
        if alg == "Ed25519":
            nacl.signing.VerifyKey(pub).verify(b"client data", sig)
        else:
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), pub).verify(
                sig, b"client data", ec.ECDSA(hashes.SHA256()))
        keyport._keyport.credential_verify(alg, cred.public_key_hex, b"client data", sig)
        with pytest.raises(keyport.ApprovalError):
            keyport._keyport.credential_verify(alg, cred.public_key_hex, b"client datA", sig)


def test_signers_and_encryption_keys(cluster: keyport.LocalCluster) -> None:
    s = keyport.signers(cluster.signers_document())
    assert [x.signer_id for x in s] == sorted((n.signer_id_b64 for n in cluster.nodes),
                                              key=lambda b: base64.b64decode(b))
    assert {x.encryption_key for x in s} == {n.encryption_key for n in cluster.nodes}
    ek = s[0].encryption_key
    assert keyport.encryption_key_decode(keyport.encryption_key_encode(ek)) == ek
    assert keyport.encryption_key_encode(ek) == base64.b64encode(b"\x01" + ek).decode()
    with pytest.raises(keyport.InvalidKeyError):
        keyport.encryption_key_decode(base64.b64encode(b"\x02" + ek).decode())


def test_a_parsed_signer_list_serves_many_imports(cluster: keyport.LocalCluster) -> None:
    parsed = keyport.parse_signers(cluster.signers_document())
    assert parsed.count == 5
    for _ in range(3):
        key = keyport.random_key("stark")
        kid = cluster.import_key(keyport.import_prepare(parsed, key, protocol="CGGMP24"))
        assert cluster.public_key(kid) == key.public_key


def test_appends_from_threads_make_one_chain(tmp_path: Path) -> None:
    import threading

    op, _ = keyport.Operator.new("writer", b"pw", keyport.Kdf.INTERACTIVE)
    path = tmp_path / "log.jsonl"
    log = keyport.AuditLog.open(path, op)

    def run(i: int) -> None:
        for j in range(20):
            log.append("test.event", actors=[f"t{i}"], details=json.dumps({"j": j}))

    ts = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    log.close()
    rep = keyport.verify_audit_log(path.read_bytes(), writer_key=op.public_key)
    assert rep.ok and rep.entries == 81, rep.message
