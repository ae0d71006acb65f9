"""keyport operator new/show and policy new/check, checked against an independent reading of the
formats in keyport.h (PyNaCl for Ed25519, Argon2id and XChaCha20-Poly1305)."""

from __future__ import annotations

import base64
import os
import re
import stat

import nacl.exceptions
import nacl.signing
import pytest

import kphelp
import test_kyk_reference as R


@pytest.fixture(scope="module")
def opdir(keyport_bin, tmp_path_factory) -> kphelp.Keyport:
    return kphelp.Keyport(keyport_bin, tmp_path_factory.mktemp("kyk-ops"))


@pytest.fixture(scope="module")
def ops(opdir) -> dict[str, R.Operator]:
    """Three operators, made once (Argon2id is the slow part). One name holds a quote, a space and
    non-ASCII UTF-8, to check JSON escaping."""
    return {key: R.make_operator(opdir, name) for key, name in
            (("alice", "alice"), ("bob", "bob"), ("carol", 'Carol "Zoë" Ödegaard'))}


def show_fields(out: bytes) -> dict[str, str]:
    text = out.decode("utf-8")
    got = {}
    for line in text.splitlines():
        m = re.match(r"^(operator|public key|fingerprint):\s+(.*)$", line)
        assert m, f"unexpected line in operator show: {line!r}"
        got[m.group(1)] = m.group(2)
    return got


# =========================================================================== operator new


def test_operator_file_is_the_documented_json(ops):
    for op in ops.values():
        data = op.file_bytes
        assert data.endswith(b"}\n") and data.count(b"\n") == 1, data
        doc = R.loads(data)
        assert list(doc) == R.OPERATOR_FIELDS
        assert doc["version"] == 1 and doc["type"] == "keyport-operator" and doc["name"] == op.name
        assert re.fullmatch(r"[0-9a-f]{64}", doc["publicKey"])
        assert R.compact(doc) + b"\n" == data, "the operator file is not compact JSON in the documented order"
        assert op.path.read_bytes() == data


def test_operator_public_key_is_a_valid_ed25519_key(ops):
    pks = [op.pk for op in ops.values()]
    assert len(set(pks)) == len(pks), "operators must get distinct keys"
    for pk in pks:
        assert R.valid_ed25519_point(pk), f"{pk.hex()} is not a valid Ed25519 point"
        nacl.signing.VerifyKey(pk)  # PyNaCl accepts it as a key


def test_operator_file_mode_is_private(ops):
    for op in ops.values():
        assert stat.S_IMODE(os.stat(op.path).st_mode) == 0o600


def test_sealed_secret_header_is_interactive_argon2id(ops):
    salts, nonces = set(), set()
    for op in ops.values():
        blob = base64.b64decode(R.loads(op.file_bytes)["sealedSecret"], validate=True)
        h = R.sealed_header(blob)
        assert (h.magic, h.version, h.kdf) == (b"KPOP", 1, R.KDF_ARGON2ID13)
        assert (h.ops, h.mem_kib) == (R.INTERACTIVE_OPS, R.INTERACTIVE_MEM_KIB), "--kdf interactive: 2 passes, 64 MiB"
        salts.add(h.salt)
        nonces.add(h.nonce)
    assert len(salts) == len(ops) and len(nonces) == len(ops), "salts and nonces must be fresh"


def test_sealed_secret_opens_independently_to_the_public_key(ops):
    """PyNaCl Argon2id + XChaCha20-Poly1305 open the seed, and the seed's Ed25519 key is publicKey."""
    for op in ops.values():
        seed = op.seed()
        assert bytes(nacl.signing.SigningKey(seed).verify_key) == op.pk
    blob = base64.b64decode(R.loads(ops["alice"].file_bytes)["sealedSecret"])
    with pytest.raises(nacl.exceptions.CryptoError):
        R.open_sealed(blob, ops["alice"].passphrase + b"x", b"KPOP")


def test_operator_new_prints_key_and_fingerprint(ops):
    for op in ops.values():
        out = op.new_stdout
        assert op.name in out and str(op.path) in out
        assert re.search(r"^public key:\s+" + op.pk_hex + "$", out, re.M), out
        assert re.search(r"^fingerprint:\s+" + R.fingerprint(op.pk) + "$", out, re.M), out


# =========================================================================== operator show


def test_operator_show_matches_independent_fingerprint(ops, opdir):
    for op in ops.values():
        r = opdir.ok("operator", "show", op.path)
        got = show_fields(r.out)
        assert got == {"operator": op.name, "public key": op.pk_hex, "fingerprint": R.fingerprint(op.pk)}, r.describe()
        assert R.FINGERPRINT_RE.match(got["fingerprint"])


FIXED_SEEDS = [bytes(32), bytes(range(32)), b"\xff" * 32,
               bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")]  # RFC 8032 test 1


@pytest.mark.parametrize("seed", FIXED_SEEDS, ids=["zero", "counting", "ff", "rfc8032-1"])
def test_operator_show_fixed_keys(ops, kp, seed):
    """Deterministic keys: an operator file with a chosen public key (the sealed secret of another
    operator: show does not open it) shows the fingerprint computed here."""
    pk = bytes(nacl.signing.SigningKey(seed).verify_key)
    if seed == FIXED_SEEDS[3]:
        assert pk.hex() == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    doc = R.loads(ops["alice"].file_bytes)
    doc["name"], doc["publicKey"] = "fixed", pk.hex()
    f = kp.write("fixed.kpo", R.compact(doc) + b"\n")
    r = kp.ok("operator", "show", f)
    assert show_fields(r.out) == {"operator": "fixed", "public key": pk.hex(), "fingerprint": R.fingerprint(pk)}


def test_operator_show_refuses_an_invalid_public_key(ops, kp):
    bad_pk = bytes([1]) + bytes(31)  # the identity point: not a usable Ed25519 key
    assert not R.valid_ed25519_point(bad_pk)
    doc = R.loads(ops["alice"].file_bytes)
    doc["publicKey"] = bad_pk.hex()
    f = kp.write("bad.kpo", R.compact(doc))
    r = kp.fail("operator", "show", f, codes=R.EXIT_INPUT)
    assert "publicKey" in r.err


def test_operator_show_refuses_unknown_field(ops, kp):
    doc = R.loads(ops["alice"].file_bytes)
    doc["comment"] = "x"
    f = kp.write("extra.kpo", R.compact(doc))
    r = kp.fail("operator", "show", f, codes=R.EXIT_INPUT)
    assert "comment" in r.err


@pytest.mark.parametrize("name,code", [
    ("tab\there", R.EXIT_INPUT),
    ("", R.EXIT_INPUT),
    ("x" * 65, R.EXIT_INPUT),
])
def test_operator_new_refuses_bad_names(kp, name, code):
    pw = kp.write("pw", b"some passphrase")
    kp.fail("operator", "new", "--name", name, "--out", "o.kpo", "--passphrase-file", pw, "--kdf", "interactive",
            codes=code, must_not_exist=["o.kpo"])


def test_operator_new_never_overwrites(kp):
    pw = kp.write("pw", b"some passphrase")
    existing = kp.write("o.kpo", b"precious")
    kp.fail("operator", "new", "--name", "x", "--out", existing, "--passphrase-file", pw, "--kdf", "interactive",
            codes=R.EXIT_IO)
    assert existing.read_bytes() == b"precious"


def test_operator_new_usage_errors(kp):
    pw = kp.write("pw", b"some passphrase")
    kp.fail("operator", "new", "--out", "o.kpo", "--passphrase-file", pw, codes=R.EXIT_USAGE, must_not_exist=["o.kpo"])
    kp.fail("operator", "new", "--name", "x", "--out", "o.kpo", "--passphrase-file", pw, "--kdf", "weak",
            codes=R.EXIT_USAGE, must_not_exist=["o.kpo"])


# =========================================================================== policy new / check


def policy_args(ops_list, quorum: dict[str, int]) -> list:
    args = []
    for op in ops_list:
        args += ["--operator", op.path]
    for a, m in quorum.items():
        args += ["--quorum", f"{a}={m}"]
    return args


def check_summary(out: bytes, pid: str, ops_list, quorum: dict[str, int]):
    lines = out.decode("utf-8").splitlines()
    n = len(ops_list)
    assert lines[0] == f"policy {pid}: {n} operator{'s' if n != 1 else ''}", lines
    for line, op in zip(lines[1:1 + n], ops_list):
        assert op.name in line and R.fingerprint(op.pk) in line and op.pk_hex in line, line
    assert lines[1 + n] == (f"quorum: import {quorum['import']} of {n}, export {quorum['export']} of {n}, "
                            f"archive {quorum['archive']} of {n}"), lines
    assert len(lines) == n + 2


def test_policy_new_writes_exact_documented_json(ops, kp):
    pid = 'treasury "α" team'
    order = [ops["bob"], ops["carol"], ops["alice"]]  # the order given is kept
    quorum = {"import": 2, "export": 3, "archive": 1}
    r = kp.ok("policy", "new", "--id", pid, *policy_args(order, {"archive": 1, "import": 2, "export": 3}),
              "--out", "pol.json")
    want = R.policy_bytes(pid, [(op.name, op.pk) for op in order], quorum)
    got = kp.path("pol.json").read_bytes()
    assert got in (want, want + b"\n"), f"policy file\n got {got!r}\nwant {want!r}"
    check_summary(r.out, pid, order, quorum)
    # policy check reads it back and says the same
    r2 = kp.ok("policy", "check", "pol.json")
    assert r2.out == r.out


def test_policy_check_accepts_any_field_order_and_layout(ops, kp):
    """The documented JSON, pretty-printed and with members in another order, is the same policy."""
    order = [ops["alice"], ops["bob"]]
    quorum = {"import": 1, "export": 2, "archive": 2}
    doc = R.loads(R.policy_bytes("p-1", [(op.name, op.pk) for op in order], quorum))
    doc = {"quorum": {"archive": 2, "export": 2, "import": 1}, "operators": doc["operators"], "id": "p-1", "version": 1}
    import json
    kp.write("p.json", json.dumps(doc, indent=2, ensure_ascii=False))
    r = kp.ok("policy", "check", "p.json")
    check_summary(r.out, "p-1", order, quorum)


@pytest.fixture
def alice_twin(ops, kp):
    """A copy of alice's operator file under another name: the same key."""
    doc = R.loads(ops["alice"].file_bytes)
    doc["name"] = "alice-twin"
    return kp.write("twin.kpo", R.compact(doc) + b"\n")


QUORUM_OK = {"import": 1, "export": 1, "archive": 1}


@pytest.mark.parametrize("case", [
    "m_over_n", "m_zero", "m_negative", "m_not_number", "duplicate_file", "same_key",
    "unknown_action", "sign_quorum", "missing_archive", "missing_import", "no_operators", "missing_id",
])
def test_policy_new_refusals(ops, kp, alice_twin, case):
    a, b = ops["alice"], ops["bob"]
    args = {
        "m_over_n": (policy_args([a, b], {"import": 1, "export": 3, "archive": 1}), R.EXIT_INPUT, ["export", "3"]),
        "m_zero": (policy_args([a, b], {"import": 0, "export": 1, "archive": 1}), None, ["import"]),
        "m_negative": (policy_args([a, b], {"import": 1, "export": 1, "archive": -1}), R.EXIT_USAGE, ["archive"]),
        "m_not_number": (policy_args([a, b], {"import": "two", "export": 1, "archive": 1}), R.EXIT_USAGE, ["import"]),
        "duplicate_file": (policy_args([a, a], QUORUM_OK), R.EXIT_INPUT, ["alice", "twice"]),
        "same_key": (["--operator", a.path, "--operator", alice_twin] + policy_args([], QUORUM_OK), R.EXIT_INPUT,
                     ["same key"]),
        "unknown_action": (policy_args([a], {**QUORUM_OK, "delete": 1}), R.EXIT_USAGE, ["delete"]),
        # the optional sign quorum is not written by policy new (and must not overrun its table)
        "sign_quorum": (policy_args([a], {**QUORUM_OK, "sign": 1}), R.EXIT_USAGE, ["sign", "by hand"]),
        "missing_archive": (policy_args([a], {"import": 1, "export": 1}), R.EXIT_USAGE, ["archive"]),
        "missing_import": (policy_args([a], {"export": 1, "archive": 1}), R.EXIT_USAGE, ["import"]),
        "no_operators": (policy_args([], QUORUM_OK), R.EXIT_USAGE, ["--operator"]),
    }
    if case == "missing_id":
        argv, code, words = policy_args([a], QUORUM_OK) + ["--out", "p.json"], R.EXIT_USAGE, ["--id"]
    else:
        argv, code, words = args[case]
        argv = ["--id", "p"] + argv + ["--out", "p.json"]
    r = kp.fail("policy", "new", *argv, codes=code, must_not_exist=["p.json"])
    for w in words:
        assert w in r.err, f"the message should mention {w!r}:\n{r.describe()}"


def test_policy_new_never_overwrites(ops, kp):
    existing = kp.write("p.json", b"old")
    kp.fail("policy", "new", "--id", "p", *policy_args([ops["alice"]], QUORUM_OK), "--out", existing, codes=R.EXIT_IO)
    assert existing.read_bytes() == b"old"


def test_policy_new_missing_operator_file(kp):
    kp.fail("policy", "new", "--id", "p", "--operator", "nope.kpo", *policy_args([], QUORUM_OK), "--out", "p.json",
            codes=R.EXIT_IO, must_not_exist=["p.json"])


def _policy_doc(ops) -> dict:
    return R.loads(R.policy_bytes("p", [(o.name, o.pk) for o in (ops["alice"], ops["bob"], ops["carol"])],
                                  {"import": 2, "export": 2, "archive": 3}))


def _mutate(case: str, doc: dict) -> tuple[dict, str]:
    if case == "unknown_top_field":
        doc["comment"] = "hello"
        return doc, "comment"
    if case == "unknown_operator_field":
        doc["operators"][1]["role"] = "admin"
        return doc, "role"
    if case == "unknown_action":
        doc["quorum"]["delete"] = 1
        return doc, "delete"
    if case == "missing_action":
        del doc["quorum"]["archive"]
        return doc, "archive"
    if case == "m_over_n":
        doc["quorum"]["archive"] = 4
        return doc, "archive"
    if case == "m_zero":
        doc["quorum"]["import"] = 0
        return doc, "import"
    if case == "duplicate_name":
        doc["operators"][2]["name"] = doc["operators"][0]["name"]
        return doc, "twice"
    if case == "duplicate_key":
        doc["operators"][2]["publicKey"] = doc["operators"][0]["publicKey"]
        return doc, "same key"
    if case == "invalid_key":
        doc["operators"][0]["publicKey"] = (bytes([1]) + bytes(31)).hex()
        return doc, "Ed25519"
    if case == "short_key":
        doc["operators"][0]["publicKey"] = doc["operators"][0]["publicKey"][:-2]
        return doc, "publicKey"
    if case == "version_2":
        doc["version"] = 2
        return doc, "version"
    if case == "no_operators":
        doc["operators"] = []
        for a in doc["quorum"]:
            doc["quorum"][a] = 1
        return doc, "operators"
    raise ValueError(case)


@pytest.mark.parametrize("case", ["unknown_top_field", "unknown_operator_field", "unknown_action", "missing_action",
                                  "m_over_n", "m_zero", "duplicate_name", "duplicate_key", "invalid_key",
                                  "short_key", "version_2", "no_operators"])
def test_policy_check_refuses_hand_written(ops, kp, case):
    doc, word = _mutate(case, _policy_doc(ops))
    kp.write("p.json", R.compact(doc) + b"\n")
    r = kp.fail("policy", "check", "p.json", codes=R.EXIT_INPUT)
    assert word in r.err, f"the message should mention {word!r}:\n{r.describe()}"


def test_policy_check_refuses_duplicate_json_member(ops, kp):
    text = R.compact(_policy_doc(ops)).replace(b'"id":"p"', b'"id":"p","id":"q"')
    kp.write("p.json", text)
    kp.fail("policy", "check", "p.json", codes=R.EXIT_INPUT)
