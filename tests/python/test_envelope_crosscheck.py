"""keyport writes, Python reads: `keyport import prepare` checked share by share with wire_ref.

Each test makes signers with Python key pairs, has keyport split and encrypt a key to them,
then decrypts every share with Python and checks it against docs/wire.md §1, §2 and §4.
"""

from __future__ import annotations

import random

import pytest

import kphelp as H
import wire_ref as W

SCHEMES = [pytest.param(p, c, id=f"{p}-{c}") for p, c in W.VALID_SCHEMES]


def _shuffled(rng, signers):
    out = list(signers)
    rng.shuffle(out)
    if [s.sid for s in out] == W.sort_signer_ids(s.sid for s in out):
        out.reverse()
    return out


@pytest.mark.parametrize("protocol,curve_name", SCHEMES)
def test_import_prepare_all_schemes(kp, protocol, curve_name):
    c = W.curve(curve_name)
    rng = random.Random(f"import-{protocol}-{curve_name}")
    signers = H.make_signers(rng, 5)
    key = c.random_scalar(rng)
    res = H.import_prepare(kp, _shuffled(rng, signers), c, protocol, W.scalar_hex(key) + "\n")
    H.check_import(res, c, protocol, key, 3, signers)


def test_import_body_exact_bytes(kp):
    """The body is compact JSON, fields in docs/wire.md §4 order, then a newline."""
    c = W.SECP256K1
    rng = random.Random("import-exact")
    signers = H.make_signers(rng, 5)
    key = c.random_scalar(rng)
    res = H.import_prepare(kp, _shuffled(rng, signers), c, "CGGMP24", W.scalar_hex(key),
                           "--name", "treasury-cold-1")
    H.check_import(res, c, "CGGMP24", key, 3, signers, name="treasury-cold-1")
    ids = [s.sid for s in res.signers_sorted]
    want = W.import_request(c, "CGGMP24", 3, list(zip(ids, res.ciphertexts)), name="treasury-cold-1")
    assert res.raw == (want + "\n").encode("ascii")


def test_import_without_name_has_no_name_field(kp):
    c = W.SECP256K1
    rng = random.Random("import-noname")
    signers = H.make_signers(rng, 5)
    key = c.random_scalar(rng)
    res = H.import_prepare(kp, signers, c, "CGGMP21", W.scalar_hex(key))
    assert "name" not in res.body
    ids = [s.sid for s in res.signers_sorted]
    assert res.raw == (W.import_request(c, "CGGMP21", 3, list(zip(ids, res.ciphertexts))) + "\n").encode()


def test_import_name_is_escaped(kp):
    c = W.ED25519
    rng = random.Random("import-name-escape")
    signers = H.make_signers(rng, 5)
    key = c.random_scalar(rng)
    name = 'a "quoted" \\ name/with ü and €'
    res = H.import_prepare(kp, signers, c, "FROST", W.scalar_hex(key), "--name", name)
    H.check_import(res, c, "FROST", key, 3, signers, name=name)
    # control characters (a tab, an ANSI escape) are refused in key names, as in operator names
    for bad in ("tab\there", "\x1b[31mred", "csi \u009b2J"):
        with pytest.raises(AssertionError, match="control characters"):
            H.import_prepare(kp, signers, c, "FROST", W.scalar_hex(key), "--name", bad)


def test_import_fresh_polynomial_each_run(kp):
    c = W.SECP256K1
    rng = random.Random("import-fresh")
    signers = H.make_signers(rng, 5)
    key = c.random_scalar(rng)
    a = H.check_import(H.import_prepare(kp, signers, c, "CGGMP21", W.scalar_hex(key)), c, "CGGMP21", key, 3, signers)
    b = H.check_import(H.import_prepare(kp, signers, c, "CGGMP21", W.scalar_hex(key)), c, "CGGMP21", key, 3, signers)
    assert all(x != y for x, y in zip(a, b)), "two splits of one key must use different random polynomials"


def test_import_key_from_stdin(kp):
    c = W.STARK
    rng = random.Random("import-stdin")
    signers = H.make_signers(rng, 5)
    key = c.random_scalar(rng)
    sj = kp.write("signers.json", H.signers_json(signers))
    r = kp.ok("import", "prepare", "--signers", sj, "--curve", "stark", "--protocol", "CGGMP21",
              "--key-file", "-", stdin=(W.scalar_hex(key) + "\n").encode())
    H.check_import(H.read_import(r.out, signers, c), c, "CGGMP21", key, 3, signers)


@pytest.mark.parametrize("text,key", [
    pytest.param("0x%s\n", None, id="0x-prefix"),
    pytest.param("  %s  \n", None, id="whitespace"),
    pytest.param("UPPER", None, id="upper-case"),
    pytest.param("00000000000000000000000000000000000000000000000000000000000000ab", 0xAB, id="small"),
    pytest.param("1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c", 0x1F2E3D4C5B6A79881F2E3D4C5B6A79881F2E3D4C,
                 id="short-left-padded"),
])
def test_import_hex_key_forms(kp, text, key):
    """keyport.h kp_scalar_from_hex: optional 0x, either case, white space, left-padding."""
    c = W.SECP256K1
    rng = random.Random("hexforms-" + text)
    signers = H.make_signers(rng, 5)
    if key is None:
        key = c.random_scalar(rng)
        hx = W.scalar_hex(key)
        text = hx.upper() if text == "UPPER" else text % hx
    res = H.import_prepare(kp, signers, c, "CGGMP21", text)
    H.check_import(res, c, "CGGMP21", key, 3, signers)


@pytest.mark.parametrize("curve_name,protocol,t,n", [
    ("ed25519", "FROST", 2, 2),
    ("stark", "CGGMP24", 5, 5),
    ("secp256k1", "FROST_BITCOIN", 4, 7),
    ("secp256k1", "CGGMP21", 2, 3),
])
def test_import_thresholds(kp, curve_name, protocol, t, n):
    c = W.curve(curve_name)
    rng = random.Random(f"thresholds-{curve_name}-{t}-{n}")
    signers = H.make_signers(rng, n)
    key = c.random_scalar(rng)
    res = H.import_prepare(kp, signers, c, protocol, W.scalar_hex(key), "--min-signers", str(t))
    H.check_import(res, c, protocol, key, t, signers)


def test_import_max_signers(kp):
    """KP_MAX_SIGNERS = 64 is accepted."""
    c = W.SECP256K1
    rng = random.Random("import-64")
    signers = H.make_signers(rng, 64)
    key = c.random_scalar(rng)
    res = H.import_prepare(kp, signers, c, "CGGMP21", W.scalar_hex(key))
    ids = [e["signerId"] for e in res.body["encryptedKeyShares"]]
    assert ids == W.sort_signer_ids(s.sid for s in signers)
    shares = []
    for i, pt in enumerate(res.plaintexts):
        share, pubs = W.parse_import_plaintext(c, pt)
        assert W.import_plaintext(c, share, pubs) == pt
        assert len(pubs) == 64 and pubs[i] == c.public_wire(share)
        shares.append((i + 1, share))
    assert W.interpolate_at_zero(shares[-3:], c.order) == key
    assert W.interpolate_at_zero(shares[10:13], c.order) == key


def test_import_sorts_ids_of_different_lengths(kp):
    """Sorting is by decoded bytes, lexicographic, a prefix before its extensions."""
    c = W.SECP256K1
    rng = random.Random("import-lengths")
    raws = [b"\x01\x02\x03", b"\x01\x02", b"\xff", b"\x01\x02\x03\x04\x05\x06", b"\x00\xff\xff\xff"]
    signers = [H.Signer(W.b64(r), r, W.Recipient.random(rng)) for r in raws]
    key = c.random_scalar(rng)
    res = H.import_prepare(kp, signers, c, "CGGMP21", W.scalar_hex(key))
    assert [s.raw for s in res.signers_sorted] == sorted(raws)
    H.check_import(res, c, "CGGMP21", key, 3, signers)


def test_import_selects_cluster(kp):
    c = W.ED25519
    rng = random.Random("import-cluster")
    first, second = H.make_signers(rng, 4), H.make_signers(rng, 5)
    doc = W.signers_response([("c1", [(s.sid, s.ek_b64) for s in first]),
                              ("c2", [(s.sid, s.ek_b64) for s in second])])
    key = c.random_scalar(rng)
    res = H.import_prepare(kp, second, c, "FROST", W.scalar_hex(key), "--cluster", "c2", signers_doc=doc)
    H.check_import(res, c, "FROST", key, 3, second)


def test_frost_bitcoin_key_is_not_negated(kp):
    """docs/wire.md splits the scalar as given; an odd-y key must come back unchanged (no BIP-340
    even-y normalisation is described for import)."""
    c = W.SECP256K1
    rng = random.Random("frost-bitcoin-odd")
    key = c.random_scalar(rng)
    while c.public_key(key)[0] != 3:
        key = c.random_scalar(rng)
    signers = H.make_signers(rng, 5)
    res = H.import_prepare(kp, signers, c, "FROST_BITCOIN", W.scalar_hex(key))
    H.check_import(res, c, "FROST_BITCOIN", key, 3, signers)


@pytest.mark.parametrize("curve_name", ["secp256k1", "ed25519", "stark"])
def test_import_largest_key(kp, curve_name):
    """order - 1 is the largest valid key."""
    c = W.curve(curve_name)
    protocol = {"secp256k1": "CGGMP21", "ed25519": "FROST", "stark": "CGGMP21"}[curve_name]
    signers = H.make_signers(random.Random("largest-" + curve_name), 5)
    res = H.import_prepare(kp, signers, c, protocol, W.scalar_hex(c.order - 1))
    H.check_import(res, c, protocol, c.order - 1, 3, signers)
