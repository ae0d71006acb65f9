"""Every refusal of the API: the right status, a message that says what and where, nothing stored,
and 401/403 in the audit log as request.denied (API.md "Errors", "Authentication and authorization")."""

from __future__ import annotations

import base64
import json

import pytest

import kpd


@pytest.fixture(scope="module")
def ctx(module_clusters, keyport):
    """The shared cluster with one Active key per curve, and an export request."""
    client = module_clusters.client(module_clusters.new())
    signers = client.get("/signers").body
    keys = {}
    for protocol, curve in kpd.SCHEMES:
        body = keyport.import_prepare(signers, curve, protocol, kpd.KEYS[curve], tag=f"ref-{curve}")
        a = client.import_key(body)
        assert a.status == 200, a.describe()
        keys[curve] = a.json
    _, export_req = keyport.export_init("refusals")
    return {"client": client, "signers": signers, "keys": keys, "export": export_req, "keyport": keyport}


def refused(ctx, answer: kpd.Answer, status: int, *words: str, denied: bool | None = None):
    """Checks a refusal: status, the error body, the words of its message, and that nothing changed."""
    assert answer.status == status, answer.describe()
    doc = json.loads(answer.body)
    assert list(doc) == ["error"] and list(doc["error"]) == ["status", "message"], answer.body
    assert doc["error"]["status"] == status
    msg = doc["error"]["message"]
    for w in words:
        assert w.lower() in msg.lower(), f"{w!r} not in {msg!r}"
    return msg


@pytest.fixture
def unchanged(ctx):
    """Asserts that a test's refusals stored nothing (keys, journal, nonces, signer rows)."""
    data = ctx["client"].cluster.data
    before = kpd.snapshot(data)
    yield
    assert kpd.snapshot(data) == before


def last_denied(ctx) -> dict:
    entries = kpd.audit_entries(ctx["client"].audit_raw())
    denied = [e for e in entries if e["event"] == "request.denied"]
    assert denied, "no request.denied in the log"
    return denied[-1]


# --------------------------------------------------------------------------- the bearer token


@pytest.mark.parametrize("path", ["/signers", "/keys", "/keys/import", "/audit/raw", "/nowhere"])
@pytest.mark.parametrize("token,why", [(False, "missing"), ("wrong-token-of-some-length", "not this cluster")])
def test_bearer_token_required(ctx, unchanged, path, token, why):
    c = ctx["client"]
    a = c.call("POST" if path == "/keys/import" else "GET", path, b"{}" if path == "/keys/import" else None,
               token=token)
    refused(ctx, a, 401, why)
    d = last_denied(ctx)
    assert d["actors"] == ["api"] and d["details"]["status"] == 401 and d["details"]["path"] == path


def test_authorization_must_be_bearer(ctx, unchanged):
    a = ctx["client"].call("GET", "/keys", headers={"Authorization": "Basic " + base64.b64encode(b"a:b").decode()},
                           token=None)
    refused(ctx, a, 401, "Bearer")


# --------------------------------------------------------------------------- user actions


def test_no_user_action(ctx, unchanged):
    body = ctx["keyport"].import_prepare(ctx["signers"], "secp256k1", "CGGMP21", kpd.KEYS["secp256k1"], tag="noua")
    refused(ctx, ctx["client"].import_key(body, user_action=None), 401, "X-DFNS-USERACTION")
    assert last_denied(ctx)["details"]["path"] == "/keys/import"


def test_user_action_for_another_body(ctx, unchanged):
    c = ctx["client"]
    body = ctx["keyport"].import_prepare(ctx["signers"], "secp256k1", "CGGMP21", kpd.KEYS["secp256k1"], tag="ua2")
    token = c.user_action("POST", "/keys/import", body + b" ")
    refused(ctx, c.import_key(body, user_action=token), 401, "another body")


def test_user_action_for_another_path(ctx, unchanged):
    c = ctx["client"]
    key = ctx["keys"]["secp256k1"]["id"]
    token = c.user_action("POST", f"/keys/{key}/archive", ctx["export"])
    refused(ctx, c.export_key(key, ctx["export"], user_action=token), 401, "archive")


def test_user_action_is_single_use(ctx, unchanged):
    c = ctx["client"]
    key = ctx["keys"]["stark"]["id"]
    body = b'{"unused":1}'
    token = c.user_action("POST", f"/keys/{key}/archive", body)
    refused(ctx, c.archive_key(key, user_action=token, headers={}), 401, "another body")
    # spent by that attempt, whatever its outcome
    refused(ctx, c.call("POST", f"/keys/{key}/archive", body, {"X-DFNS-USERACTION": token}), 401, "unknown or was used")


def test_user_action_bad_signature_and_unknown_credential(ctx, unchanged):
    c = ctx["client"]
    init = c.call("POST", "/auth/action/init", kpd.compact({
        "userActionPayload": "{}", "userActionHttpMethod": "POST", "userActionHttpPath": "/keys/x/archive",
        "userActionServerKind": "Api"})).json
    client_data = kpd.compact({"type": "key.get", "challenge": init["challenge"]})
    stranger = kpd.Credential(c.cred.cred_id)  # the same id, another key
    a = c.call("POST", "/auth/action", kpd.compact({
        "challengeIdentifier": init["challengeIdentifier"],
        "firstFactor": {"kind": "Key", "credentialAssertion": {
            "credId": c.cred.cred_id, "clientData": kpd.b64url(client_data),
            "signature": kpd.b64url(stranger.sign(client_data))}}}))
    refused(ctx, a, 401, "does not verify")
    # the challenge was spent
    a = c.call("POST", "/auth/action", kpd.compact({
        "challengeIdentifier": init["challengeIdentifier"],
        "firstFactor": {"kind": "Key", "credentialAssertion": {
            "credId": c.cred.cred_id, "clientData": kpd.b64url(client_data),
            "signature": kpd.b64url(c.cred.sign(client_data))}}}))
    refused(ctx, a, 401, "unknown, used or expired")
    init = c.call("POST", "/auth/action/init", kpd.compact({
        "userActionPayload": "{}", "userActionHttpMethod": "POST", "userActionHttpPath": "/keys/x/archive"})).json
    client_data = kpd.compact({"type": "key.get", "challenge": init["challenge"]})
    a = c.call("POST", "/auth/action", kpd.compact({
        "challengeIdentifier": init["challengeIdentifier"],
        "firstFactor": {"kind": "Key", "credentialAssertion": {
            "credId": "nobody", "clientData": kpd.b64url(client_data),
            "signature": kpd.b64url(c.cred.sign(client_data))}}}))
    refused(ctx, a, 401, "not registered")


def test_user_action_signed_over_another_challenge(ctx, unchanged):
    c = ctx["client"]
    init = c.call("POST", "/auth/action/init", kpd.compact({
        "userActionPayload": "{}", "userActionHttpMethod": "POST", "userActionHttpPath": "/keys/x/archive"})).json
    other = ("B" if init["challenge"][0] == "A" else "A") + init["challenge"][1:]
    client_data = kpd.compact({"type": "key.get", "challenge": other})
    a = c.call("POST", "/auth/action", kpd.compact({
        "challengeIdentifier": init["challengeIdentifier"],
        "firstFactor": {"kind": "Key", "credentialAssertion": {
            "credId": c.cred.cred_id, "clientData": kpd.b64url(client_data),
            "signature": kpd.b64url(c.cred.sign(client_data))}}}))
    refused(ctx, a, 401, "clientData")


def test_p256_credential_works(ctx, cred_p256):
    """ECDSA P-256 (DER over SHA-256, signed by the cryptography package) is accepted too."""
    c = ctx["client"]
    key = ctx["keys"]["stark"]["id"]
    token = c.user_action("POST", f"/keys/{key}", b"", cred=cred_p256)
    assert token.startswith("ua-")


# --------------------------------------------------------------------------- approvals


def test_no_approvals(ctx, unchanged):
    body = ctx["keyport"].import_prepare(ctx["signers"], "secp256k1", "CGGMP21", kpd.KEYS["secp256k1"], tag="noap")
    refused(ctx, ctx["client"].import_key(body, approvers=None), 403, "X-Keyport-Approvals", "missing")
    d = last_denied(ctx)
    assert d["details"]["status"] == 403 and d["details"]["path"] == "/keys/import"


def test_quorum_not_met_says_who_counted_and_why_not(ctx, unchanged):
    c = ctx["client"]
    key = ctx["keys"]["secp256k1"]["id"]
    body = ctx["export"]
    bundle = kpd.compact({"version": 1, "approvals": [
        c.team.approval("alice", "export", key, body),
        c.team.approval("bob", "export", key, body + b"x"),
        c.team.approval("carol", "export", ctx["keys"]["stark"]["id"], body),
    ]})
    msg = refused(ctx, c.export_key(key, body, bundle=bundle), 403, "2 needed, 1 counted", "operator alice",
                  "counted", "operator bob", "another request", "operator carol", "another key")
    assert "quorum" in last_denied(ctx)["details"]["reason"]
    assert msg


def test_approval_for_another_request(ctx, unchanged):
    c = ctx["client"]
    body = ctx["keyport"].import_prepare(ctx["signers"], "ed25519", "FROST", kpd.KEYS["ed25519"], tag="other")
    bundle = c.team.bundle("import", None, body + b"\n")
    refused(ctx, c.import_key(body, bundle=bundle), 403, "another request")


def test_approval_for_another_action(ctx, unchanged):
    c = ctx["client"]
    key = ctx["keys"]["ed25519"]["id"]
    bundle = c.team.bundle("archive", key, ctx["export"])
    refused(ctx, c.export_key(key, ctx["export"], bundle=bundle), 403, "quorum")


def test_approvals_not_base64(ctx, unchanged):
    c = ctx["client"]
    key = ctx["keys"]["ed25519"]["id"]
    h = {"X-DFNS-USERACTION": c.user_action("POST", f"/keys/{key}/archive", b"{}"), "X-Keyport-Approvals": "%%%"}
    refused(ctx, c.call("POST", f"/keys/{key}/archive", b"{}", h), 403, "base64")


def test_replayed_bundle(ctx):
    """A bundle counts once: the same import with the same approvals is refused the second time."""
    c = ctx["client"]
    body = ctx["keyport"].import_prepare(ctx["signers"], "secp256k1", "CGGMP21", "77" * 32, tag="replay")
    bundle = c.team.bundle("import", None, body)
    a = c.import_key(body, bundle=bundle)
    assert a.status == 200, a.describe()
    before = kpd.snapshot(c.cluster.data)
    refused(ctx, c.import_key(body, bundle=bundle), 403, "already used")
    assert kpd.snapshot(c.cluster.data) == before


def test_a_refused_request_leaves_its_approvals_usable(ctx):
    """Approvals are spent only by a request that succeeds."""
    c = ctx["client"]
    body = ctx["keyport"].import_prepare(ctx["signers"], "secp256k1", "CGGMP21", "78" * 32, tag="reuse")
    bundle = c.team.bundle("import", None, body)
    refused(ctx, c.import_key(body, bundle=bundle, user_action=None), 401, "X-DFNS-USERACTION")
    a = c.import_key(body, bundle=bundle)
    assert a.status == 200, a.describe()


def test_no_policy_configured(clusters, keyport):
    c = clusters.client(clusters.new(policy=False))
    assert "no --policy" in c.cluster.stdout
    body = keyport.import_prepare(c.get("/signers").body, "secp256k1", "CGGMP21", kpd.KEYS["secp256k1"], tag="nopol")
    a = c.import_key(body)
    assert a.status == 403 and "no approval policy" in a.message, a.describe()
    assert c.keys() == []


def test_no_credentials_configured(clusters):
    c = clusters.client(clusters.new(credentials=False))
    a = c.call("POST", "/auth/action/init", kpd.compact({
        "userActionPayload": "{}", "userActionHttpMethod": "POST", "userActionHttpPath": "/keys/import"}))
    assert a.status == 401 and "no credentials" in a.message, a.describe()


# --------------------------------------------------------------------------- 404, 400, 409, 413


@pytest.mark.parametrize("op", ["export", "archive", "get"])
def test_unknown_key(ctx, unchanged, op):
    c = ctx["client"]
    kid = "key-00000000000000000000000000"
    if op == "export":
        a = c.export_key(kid, ctx["export"])
    elif op == "archive":
        a = c.archive_key(kid)
    else:
        a = c.get(f"/keys/{kid}")
    refused(ctx, a, 404, f"no key {kid}")


@pytest.mark.parametrize("path", ["/nowhere", "/keys/x/y", "/keys/import/z", "/signers/1"])
def test_unknown_path(ctx, path):
    a = ctx["client"].get(path)
    assert a.status == 404, a.describe()


def test_wrong_method(ctx):
    a = ctx["client"].call("DELETE", "/keys")
    assert a.status == 405 and "use POST" in a.message


@pytest.mark.parametrize("body,words", [
    (b"{", ["import request", "JSON"]),
    (b'{"curve":"secp256k1"', ["import request"]),
    (b"[]", ["import request"]),
    (b"", ["import request"]),
    (b'{"name":"x","name":"y","curve":"secp256k1","protocol":"CGGMP21","minSigners":3,"encryptedKeyShares":[]}',
     ["import request"]),
])
def test_malformed_import(ctx, unchanged, body, words):
    refused(ctx, ctx["client"].import_key(body), 400, *words)


@pytest.mark.parametrize("body,words", [
    (b"{not json", ["export request", "JSON"]),
    (b'{"encryptionKey":"AQ==","supportedSchemes":[]}', ["encryptionKey"]),
    (b'{"encryptionKey":"' + base64.b64encode(b"\x01\x05" + b"\x02" * 32) + b'","supportedSchemes":[]}', ["encryptionKey"]),
    (b'{"encryptionKey":"' + base64.b64encode(b"\x02\x02" + b"\x02" * 32) + b'","supportedSchemes":[]}', ["encryptionKey"]),
    (b'{"encryptionKey":"' + base64.b64encode(b"\x01" + b"\x02" * 40) + b'","supportedSchemes":[]}', ["encryptionKey"]),
    (b'{"supportedSchemes":[]}', ["encryptionKey", "missing"]),
    (b'{"encryptionKey":"AQPdMvFwvVOVGx1hMk+qUiU9SyM3w4bvRReOUt/hu/1ZAQ==","delete":"yes",'
     b'"supportedSchemes":[{"protocol":"CGGMP21","curve":"secp256k1"}]}', ["delete"]),
    (b'{"encryptionKey":"AQPdMvFwvVOVGx1hMk+qUiU9SyM3w4bvRReOUt/hu/1ZAQ==",'
     b'"supportedSchemes":[{"protocol":"FROST","curve":"ed25519"}]}', ["supportedSchemes", "CGGMP21 with secp256k1"]),
])
def test_malformed_export(ctx, unchanged, body, words):
    key = ctx["keys"]["secp256k1"]["id"]
    refused(ctx, ctx["client"].export_key(key, body), 400, *words)


def test_archive_body_must_be_empty_object(ctx, unchanged):
    c = ctx["client"]
    key = ctx["keys"]["secp256k1"]["id"]
    body = b'{"please":true}'
    refused(ctx, c.mutate(f"/keys/{key}/archive", body, "archive", key), 400, "must be {}")


def _import_doc(ctx, tag, curve="secp256k1", protocol="CGGMP21") -> dict:
    body = ctx["keyport"].import_prepare(ctx["signers"], curve, protocol, kpd.KEYS[curve], tag=tag)
    return json.loads(body)


@pytest.mark.parametrize("protocol,curve", [("FROST", "secp256k1"), ("CGGMP21", "ed25519"), ("FROST_BITCOIN", "stark"),
                                            ("FROST", "stark"), ("SCHNORR", "secp256k1"), ("CGGMP21", "p256")])
def test_protocol_not_fitting_the_curve(ctx, unchanged, protocol, curve):
    doc = _import_doc(ctx, "scheme")
    doc["protocol"], doc["curve"] = protocol, curve
    refused(ctx, ctx["client"].import_key(kpd.compact(doc)), 400, "import request")


def test_share_not_matching_public_shares(ctx, unchanged):
    """Signer 2's secret_share is off the polynomial of public_shares: it refuses, nothing is stored."""
    body = kpd.python_import_request(ctx["signers"], "secp256k1", "CGGMP21", kpd.KEYS["secp256k1"], tamper=1)
    sid = json.loads(body)["encryptedKeyShares"][1]["signerId"]
    msg = refused(ctx, ctx["client"].import_key(body), 400, "signer 2", sid, "nothing was stored")
    assert "public" in msg.lower()


def test_the_reference_import_is_accepted(ctx):
    """The same request without the tampering is accepted: the refusal above was for the share."""
    body = kpd.python_import_request(ctx["signers"], "ed25519", "FROST", "05" * 32)
    a = ctx["client"].import_key(body)
    assert a.status == 200, a.describe()
    assert a.json["name"] == "python key"


def test_shares_of_two_keys_mixed(ctx, unchanged):
    """Each share is fine on its own but they come from two keys: the signers disagree."""
    one = _import_doc(ctx, "mix1")
    two = json.loads(ctx["keyport"].import_prepare(ctx["signers"], "secp256k1", "CGGMP21", "66" * 32, tag="mix2"))
    one["encryptedKeyShares"][4] = two["encryptedKeyShares"][4]
    refused(ctx, ctx["client"].import_key(kpd.compact(one)), 400, "signer 5")


def test_duplicate_signers(ctx, unchanged):
    doc = _import_doc(ctx, "dup")
    doc["encryptedKeyShares"][2] = doc["encryptedKeyShares"][1]
    refused(ctx, ctx["client"].import_key(kpd.compact(doc)), 400, "import request")


def test_signer_not_of_this_cluster(ctx, unchanged):
    doc = _import_doc(ctx, "stranger")
    doc["encryptedKeyShares"][0]["signerId"] = base64.b64encode(b"\x00" * 16).decode()
    refused(ctx, ctx["client"].import_key(kpd.compact(doc)), 400, "encryptedKeyShares[0]", "not this cluster's signer")


def test_too_few_shares(ctx, unchanged):
    doc = _import_doc(ctx, "few")
    del doc["encryptedKeyShares"][4]
    refused(ctx, ctx["client"].import_key(kpd.compact(doc)), 400, "4 encryptedKeyShares", "5 signers")


@pytest.mark.parametrize("t", [1, 6, 0])
def test_bad_threshold(ctx, unchanged, t):
    doc = _import_doc(ctx, f"t{t}")
    doc["minSigners"] = t
    refused(ctx, ctx["client"].import_key(kpd.compact(doc)), 400, "import request")


@pytest.mark.parametrize("cut", [1, 40, "grow"])
def test_bad_ciphertext_sizes(ctx, unchanged, cut):
    doc = _import_doc(ctx, f"size{cut}")
    ct = base64.b64decode(doc["encryptedKeyShares"][3]["encryptedKeyShare"])
    ct = ct + b"\x00" * 16 if cut == "grow" else ct[:-cut] if cut != 40 else ct[:40]
    doc["encryptedKeyShares"][3]["encryptedKeyShare"] = base64.b64encode(ct).decode()
    refused(ctx, ctx["client"].import_key(kpd.compact(doc)), 400)


def test_bad_base64(ctx, unchanged):
    doc = _import_doc(ctx, "b64")
    doc["encryptedKeyShares"][0]["encryptedKeyShare"] = "***"
    refused(ctx, ctx["client"].import_key(kpd.compact(doc)), 400, "import request")


def test_body_over_one_mib(ctx, unchanged):
    c = ctx["client"]
    body = b'{"pad":"' + b"x" * (1 << 20) + b'"}'
    a = c.call("POST", "/keys/import", body, {"X-DFNS-USERACTION": "ua-x"})
    refused(ctx, a, 413, "1 MiB")
    # exactly 1 MiB is read (and refused for what it is, not its size)
    body = b'{"pad":"' + b"x" * ((1 << 20) - 10) + b'"}'
    assert len(body) == 1 << 20
    a = c.call("POST", "/keys/import", body)
    refused(ctx, a, 401, "X-DFNS-USERACTION")


def test_the_log_verifies_after_all_refusals(ctx):
    raw = ctx["client"].audit_raw()
    r = ctx["keyport"].audit_verify(raw)
    assert r.rc == 0, r.err
    denied = [e for e in kpd.audit_entries(raw) if e["event"] == "request.denied"]
    assert len(denied) >= 20
    assert {e["details"]["status"] for e in denied} == {401, 403}


def test_a_large_approvals_header(ctx):
    """A bundle of 60 approvals (a header of some 38 kB) is read whole: 2 count, the rest are
    refused one by one, and the import goes through."""
    c = ctx["client"]
    body = ctx["keyport"].import_prepare(ctx["signers"], "secp256k1", "CGGMP21", "79" * 32, tag="large")
    approvals = [c.team.approval("alice", "import", None, body), c.team.approval("bob", "import", None, body)]
    approvals += [c.team.approval("carol", "import", None, body + b"%d" % i) for i in range(58)]
    bundle = kpd.compact({"version": 1, "approvals": approvals})
    assert len(kpd.approvals_header(bundle)) > 32 * 1024
    a = c.import_key(body, bundle=bundle)
    assert a.status == 200, a.describe()
