"""Bodies made to mean one thing to keyportd and another to everyone else, and imports made to be
accepted but never recombined (issue: keyportd under attack, defects 1, 2, 3 and 11).

- A member given twice is refused with a message that names it exactly, at every endpoint that
  reads a JSON body (the reader once formatted the name from a freed tree).
- A decoded NUL in a member name or a string ("delete\\u0000", "scheme\\u0000", a NUL in
  userActionPayload) is refused: keyportd reads bodies as libkeyport's strict reader does.
- An import whose shares come from one polynomial per signer (same value at 0, so the same
  group key) is refused, and nothing is stored: every signer reports a digest of the
  public_shares it checked and the API requires them all equal. The request is made here with
  independent code (tests/python/wire_ref.py: coincurve, PyNaCl, pure-Python Stark arithmetic).
- Key names with control characters or ANSI escapes are refused, as operator names are.
"""

from __future__ import annotations

import json
import random
import subprocess

import pytest

import kpd
import wire_ref as W


@pytest.fixture(scope="module")
def ctx(module_clusters, keyport):
    client = module_clusters.client(module_clusters.new())
    signers = client.get("/signers").body
    body = keyport.import_prepare(signers, "secp256k1", "CGGMP21", kpd.KEYS["secp256k1"], tag="hostile")
    a = client.import_key(body)
    assert a.status == 200, a.describe()
    _, export_req = keyport.export_init("hostile", delete=True)
    return {"client": client, "signers": signers, "key": a.json, "export": export_req, "keyport": keyport}


@pytest.fixture
def unchanged(ctx):
    data = ctx["client"].cluster.data
    before = kpd.snapshot(data)
    yield
    assert kpd.snapshot(data) == before


def refused(answer: kpd.Answer, status: int, *words: str) -> str:
    assert answer.status == status, answer.describe()
    doc = json.loads(answer.body)
    assert list(doc) == ["error"] and doc["error"]["status"] == status, answer.body
    msg = doc["error"]["message"]
    for w in words:
        assert w.lower() in msg.lower(), f"{w!r} not in {msg!r}"
    return msg


def still_serving(ctx):
    a = ctx["client"].get("/keys")
    assert a.status == 200, a.describe()
    assert ctx["client"].cluster.proc.poll() is None, ctx["client"].cluster.stderr()


def action_init_body(payload: str = "{}", **extra) -> dict:
    doc = {"userActionPayload": payload, "userActionHttpMethod": "POST", "userActionHttpPath": "/keys",
           "userActionServerKind": "Api"}
    doc.update(extra)
    return doc


def with_member_twice(doc: dict, name: str, value) -> bytes:
    """doc's compact JSON with `name` given a second time (json.dumps cannot write that)."""
    text = kpd.compact(doc)
    assert text.startswith(b"{")
    return b"{" + json.dumps(name).encode() + b":" + json.dumps(value).encode() + b"," + text[1:]


# --------------------------------------------------------------------------- defect 1: a member twice


@pytest.mark.parametrize("name", ["userActionPayload", "userActionHttpMethod", "userActionServerKind",
                                  "a member whose name is long enough to span several heap chunks " * 3])
def test_duplicate_member_in_action_init(ctx, unchanged, name):
    doc = action_init_body()
    doc.setdefault(name, "x")
    body = with_member_twice(doc, name, "again")
    for _ in range(3):  # a read of freed memory shows as a crash (ASan) or a garbled name
        msg = refused(ctx["client"].call("POST", "/auth/action/init", body), 400, "twice")
        assert json.dumps(name[:40])[1:-1] in msg, msg
        assert msg.isprintable(), repr(msg)
    still_serving(ctx)


def test_duplicate_member_at_every_body_reader(ctx, unchanged):
    c = ctx["client"]
    key = ctx["key"]["id"]
    signed = with_member_twice({"challengeIdentifier": "ch-x", "firstFactor": {}}, "challengeIdentifier", "ch-y")
    refused(c.call("POST", "/auth/action", signed), 400, "challengeIdentifier", "twice")
    gen = with_member_twice({"scheme": "CGGMP21", "curve": "secp256k1"}, "scheme", "FROST")
    refused(c.mutate("/keys", gen, "import", None), 400, "scheme", "twice")
    exp = json.loads(ctx["export"])
    refused(c.export_key(key, with_member_twice(dict(exp, delete=True), "delete", False)), 400, "delete", "twice")
    refused(c.mutate(f"/keys/{key}/archive", b'{"a":1,"a":2}', "archive", key), 400, "twice")
    nested = kpd.compact({"encryptionKey": exp["encryptionKey"],
                          "supportedSchemes": [{"protocol": "CGGMP21", "curve": "secp256k1"}]})
    nested = nested.replace(b'{"protocol"', b'{"curve":"stark","protocol"', 1)
    refused(c.export_key(key, nested), 400, "curve", "twice")
    still_serving(ctx)
    assert c.get(f"/keys/{key}").json["status"] == "Active"


# --------------------------------------------------------------------------- defect 3: NULs and other tricks


def test_nul_in_delete_member_name_is_refused(ctx, unchanged):
    """"delete\\u0000":false is no `delete` to any other reader (so the default, archive): refused."""
    key = ctx["key"]["id"]
    exp = json.loads(ctx["export"])
    exp.pop("delete", None)
    body = kpd.compact(exp)[:-1] + b',"delete\\u0000":false}'
    assert "delete" not in json.loads(body)  # what a strict reader sees
    refused(ctx["client"].export_key(key, body), 400, "export request")
    assert ctx["client"].get(f"/keys/{key}").json["status"] == "Active"


@pytest.mark.parametrize("body", [
    b'{"scheme\\u0000x":"CGGMP21","curve":"secp256k1","name":"nul scheme"}',
    b'{"scheme":"CGGMP21","curve\\u0000":"secp256k1","curve":"secp256k1"}',
    b'{"scheme":"CGGMP21","curve":"secp256k1","name":"visible\\u0000hidden"}',
    b'{"scheme":"CGGMP21\\u0000","curve":"secp256k1"}',
    b'{"scheme":"CGGMP21","curve":"secp256k1","n\\u0061me":"escaped member name"}',
    b'{"scheme":"CGGMP21","curve":"secp256k1","name":"lone surrogate \\ud800"}',
])
def test_nul_and_escapes_in_key_generation(ctx, unchanged, body):
    refused(ctx["client"].mutate("/keys", body, "import", None), 400, "body of POST /keys")


def test_nul_cuts_no_user_action_payload(ctx, unchanged):
    """A NUL in userActionPayload would have the challenge bound to the text before it."""
    c = ctx["client"]
    body = kpd.compact(action_init_body())
    body = body.replace(b'"userActionPayload":"{}"', b'"userActionPayload":"{}\\u0000{\\"delete\\":false}"')
    refused(c.call("POST", "/auth/action/init", body), 400, "/auth/action/init")
    name = kpd.compact(action_init_body()).replace(b'"userActionHttpPath"', b'"userActionHttpPath\\u0000"')
    refused(c.call("POST", "/auth/action/init", name), 400, "/auth/action/init")


def test_depth_and_size_of_the_strict_reader(ctx, unchanged):
    """What the strict reader refuses (nesting over 16, over 64 members), keyportd refuses too."""
    c = ctx["client"]
    deep = kpd.compact(action_init_body(extra=json.loads("[" * 20 + "]" * 20)))
    refused(c.call("POST", "/auth/action/init", deep), 400, "/auth/action/init")
    wide = action_init_body()
    wide.update({f"m{i}": i for i in range(70)})
    refused(c.call("POST", "/auth/action/init", kpd.compact(wide)), 400, "/auth/action/init")
    ok = c.call("POST", "/auth/action/init", kpd.compact(action_init_body(extra=json.loads("[" * 10 + "]" * 10))))
    assert ok.status == 200, ok.describe()


# --------------------------------------------------------------------------- defect 2: one polynomial per signer


def per_signer_polynomials(signers_json: bytes, curve: str, protocol: str, secret: int, t: int = 3,
                           same_for: int = 0, seed: int = 11) -> bytes:
    """An import request where signer i's share and public_shares come from its own polynomial
    f_i with f_i(0) = secret (the first `same_for` signers share one): each signer's own check
    passes and every signer computes the same group key, but no t shares lie on one polynomial."""
    c = W.curve(curve)
    doc = json.loads(signers_json)
    signers = sorted(((s["signerId"], W.decode_encryption_key(s["encryptionKey"]))
                      for s in doc["clusters"][0]["signers"]), key=lambda s: W.unb64(s[0]))
    n = len(signers)
    rng = random.Random(seed)
    shared_poly = W.shamir_split(secret, t, range(1, n + 1), c.order, rng)[1]
    out = []
    for i, (sid, ek) in enumerate(signers):
        shares = shared_poly if i < same_for else W.shamir_split(secret, t, range(1, n + 1), c.order, rng)[1]
        pubs = [c.public_wire(shares[x]) for x in range(1, n + 1)]
        out.append((sid, W.seal(ek, W.import_plaintext(c, shares[i + 1], pubs))))
    return W.import_request(c, protocol, t, out, "per-signer polynomials").encode()


@pytest.mark.parametrize("protocol,curve,same_for", [("CGGMP21", "secp256k1", 0), ("FROST", "ed25519", 3),
                                                     ("CGGMP21", "stark", 4)])
def test_import_of_one_polynomial_per_signer_is_refused(ctx, unchanged, protocol, curve, same_for):
    secret = int(kpd.KEYS[curve], 16)
    body = per_signer_polynomials(ctx["signers"], curve, protocol, secret, same_for=same_for)
    bad = max(same_for, 1) + 1  # the first signer whose vector differs from signer 1's
    sids = [e["signerId"] for e in json.loads(body)["encryptedKeyShares"]]
    msg = refused(ctx["client"].import_key(body), 400, "nothing was stored", "public_shares", f"signer {bad}",
                  sids[bad - 1])
    assert "signer 1" in msg, msg


def test_one_polynomial_made_the_same_way_is_accepted(ctx):
    """The same independent code with one polynomial for all: accepted, and the key recovers."""
    secret = 0x1234567890ABCDEF1234567890ABCDEF1234567890ABCDEF1234567890ABCDEF
    body = per_signer_polynomials(ctx["signers"], "secp256k1", "CGGMP21", secret, same_for=5)
    a = ctx["client"].import_key(body)
    assert a.status == 200, a.describe()
    assert a.json["publicKey"] == W.curve("secp256k1").public_key(secret).hex()
    ctxfile, req = ctx["keyport"].export_init("hostile-accepted", delete=False)
    e = ctx["client"].export_key(a.json["id"], req)
    assert e.status == 200, e.describe()
    got = ctx["keyport"].export_recover(ctxfile, e.body, tag="hostile")
    assert int(got["privateKey"], 16) == secret and got["culprits"] == []


# --------------------------------------------------------------------------- defect 11: key names


BAD_NAMES = ["red \x1b[31malert\x1b[0m", "bell\x07", "new\nline", "tab\there", "del\x7f", "csi \u009b31m",
             "c1 \u0085 next line", "\x1b]0;retitled\x07"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_key_names_with_control_characters_are_refused_on_import(ctx, unchanged, name):
    body = kpd.python_import_request(ctx["signers"], "secp256k1", "CGGMP21", kpd.KEYS["secp256k1"], name=name)
    refused(ctx["client"].import_key(body), 400, "name", "control")


@pytest.mark.parametrize("name", BAD_NAMES)
def test_key_names_with_control_characters_are_refused_on_generation(ctx, unchanged, name):
    refused(ctx["client"].generate_key("CGGMP21", "secp256k1", name=name), 400, "name", "control")


def test_key_names_with_a_nul_are_refused(ctx, unchanged):
    """A NUL (\\u0000) never reaches the name check: the reader refuses it, on both routes."""
    body = kpd.python_import_request(ctx["signers"], "secp256k1", "CGGMP21", kpd.KEYS["secp256k1"], name="nul\x00after")
    refused(ctx["client"].import_key(body), 400, "NUL")
    refused(ctx["client"].generate_key("CGGMP21", "secp256k1", name="nul\x00after"), 400, "NUL")


def test_plain_unicode_key_names_are_kept(ctx):
    name = "Trésorerie – 金庫 ✓"
    a = ctx["client"].generate_key("CGGMP21", "secp256k1", name=name)
    assert a.status == 200, a.describe()
    assert a.json["name"] == name
    assert ctx["client"].get(f"/keys/{a.json['id']}").json["name"] == name


def test_keyport_import_prepare_refuses_such_names(ctx, keyport):
    sig = keyport.write("signers-hostile.json", ctx["signers"])
    key = keyport.write("key-hostile.txt", kpd.KEYS["secp256k1"])
    r = keyport.run("import", "prepare", "--signers", sig, "--curve", "secp256k1", "--protocol", "CGGMP21",
                    "--key-file", key, "--min-signers", "3", "--name", "evil\x1b[2J")
    assert r.rc != 0 and r.out == b"", r
    assert "name" in r.err and "control" in r.err, r.err


# --------------------------------------------------------------------------- the credentials file


@pytest.mark.parametrize("text,words", [
    ('[{"credId":"admin\\u0000x","algorithm":"Ed25519","publicKey":"%s"}]', ["NUL"]),
    ('[{"credId":"a","credId":"b","algorithm":"Ed25519","publicKey":"%s"}]', ["credId", "twice"]),
    ('[{"cred\\u0049d":"a","algorithm":"Ed25519","publicKey":"%s"}]', ["escape"]),
])
def test_credentials_file_is_read_by_the_strict_reader(keyportd_bin, tmp_path, cred, text, words):
    cf = tmp_path / "creds.json"
    cf.write_text(text % cred.public_hex)
    data = tmp_path / "d"
    r = subprocess.run([keyportd_bin, "--data", str(data), "--listen", "127.0.0.1:0", "--credentials", str(cf),
                        "--storage-key-file", str(tmp_path / "storage.key")], capture_output=True, timeout=60)
    assert r.returncode == 1, r
    assert not data.exists()  # a refused start makes nothing
    err = r.stderr.decode()
    assert str(cf) in err and all(w in err for w in words), err


def test_refusal_messages_carry_no_control_characters(ctx, unchanged):
    """What a request put into a refusal's message reaches terminals and logs without its escapes."""
    for scheme in ["\x1b[2J", "\u009b2J", "a\u0085b", "\x7f"]:
        a = ctx["client"].generate_key(scheme, "secp256k1")
        msg = refused(a, 400, "scheme")
        assert all(not (ord(ch) < 0x20 or 0x7f <= ord(ch) <= 0x9f) for ch in msg), repr(msg)
