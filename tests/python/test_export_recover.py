"""Python writes, keyport reads: export responses built by wire_ref, recovered by
`keyport export recover` (docs/wire.md §3 and the robust recovery of docs/design.md)."""

from __future__ import annotations

import itertools
import random

import pytest

import kphelp as H
import wire_ref as W

SCHEMES = [pytest.param(p, c, id=f"{p}-{c}") for p, c in W.VALID_SCHEMES]
JSON_FIELDS = ["publicKey", "curve", "protocol", "privateKey", "culprits", "unresolved"]


def _json_result(r: H.Run) -> dict:
    assert r.rc == 0, r.describe()
    doc = W.parse_json_strict(r.out)
    assert list(doc) == JSON_FIELDS, r.describe()
    return doc


def _check_json(r: H.Run, case: H.ExportCase) -> None:
    doc = _json_result(r)
    assert doc["publicKey"] == case.public_key.hex()
    assert doc["curve"] == case.curve.name
    assert doc["protocol"] == case.protocol
    assert doc["privateKey"] == "%064x" % case.key
    assert isinstance(doc["culprits"], list)
    assert sorted(doc["culprits"]) == sorted(case.bad), \
        f"culprits {doc['culprits']} != bad shares {sorted(case.bad)}\n" + r.describe()


def _check_stderr_names_culprits(r: H.Run, case: H.ExportCase) -> None:
    for sid in case.bad:
        assert H.mentions(r.err, sid), f"stderr does not name bad signer {sid}:\n" + r.describe()
    for sid in case.good_ids:
        assert not H.mentions(r.err, sid), f"stderr names good signer {sid}:\n" + r.describe()


@pytest.mark.parametrize("protocol,curve_name", SCHEMES)
def test_recover_all_schemes(kp, export_ctx, protocol, curve_name):
    c = W.curve(curve_name)
    case = H.build_export(c, protocol, export_ctx.ek, random.Random(f"recover-{protocol}-{curve_name}"),
                          indices=[2, 5, 9, 13, 42])
    r = H.recover(kp, export_ctx, case.response)
    assert r.rc == 0, r.describe()
    assert r.out == ("%064x\n" % case.key).encode(), r.describe()
    _check_json(H.recover(kp, export_ctx, case.response, "--json"), case)


def test_recover_large_indices_and_more_shares_than_needed(kp, export_ctx):
    c = W.SECP256K1
    case = H.build_export(c, "CGGMP21", export_ctx.ek, random.Random("recover-large-idx"), n=6, t=2,
                          indices=[1, 2, 65536, 4294967295, 77, 1000003])
    _check_json(H.recover(kp, export_ctx, case.response, "--json"), case)


def test_recover_exactly_t_shares(kp, export_ctx):
    c = W.STARK
    case = H.build_export(c, "CGGMP24", export_ctx.ek, random.Random("recover-t-of-t"), n=3, t=3)
    r = H.recover(kp, export_ctx, case.response)
    assert r.rc == 0 and r.out == ("%064x\n" % case.key).encode(), r.describe()


def test_recover_ignores_unknown_plaintext_fields(kp, export_ctx):
    """docs/wire.md §2: unknown fields are ignored; such a share is good, not a culprit."""
    case = H.build_export(W.SECP256K1, "CGGMP21", export_ctx.ek, random.Random("recover-extra"),
                          extra_field_at=[0, 3])
    _check_json(H.recover(kp, export_ctx, case.response, "--json"), case)


@pytest.mark.parametrize("kind", H.BAD_KINDS)
def test_recover_one_bad_share(kp, export_ctx, kind):
    pos = H.BAD_KINDS.index(kind) % 5
    case = H.build_export(W.SECP256K1, "CGGMP21", export_ctx.ek, random.Random("one-bad-" + kind),
                          bad={pos: kind})
    r = H.recover(kp, export_ctx, case.response, "--json")
    _check_json(r, case)
    _check_stderr_names_culprits(r, case)


@pytest.mark.parametrize("pair", list(itertools.combinations(range(5), 2)), ids=lambda p: f"{p[0]}{p[1]}")
def test_recover_two_bad_shares(kp, export_ctx, pair):
    i = pair[0] * 5 + pair[1]
    kinds = {pair[0]: H.BAD_KINDS[i % len(H.BAD_KINDS)], pair[1]: H.BAD_KINDS[(i + 5) % len(H.BAD_KINDS)]}
    case = H.build_export(W.SECP256K1, "FROST_BITCOIN", export_ctx.ek,
                          random.Random(f"two-bad-{pair}"), bad=kinds)
    r = H.recover(kp, export_ctx, case.response, "--json")
    _check_json(r, case)
    _check_stderr_names_culprits(r, case)


def test_recover_two_bad_plain_output(kp, export_ctx):
    case = H.build_export(W.SECP256K1, "CGGMP21", export_ctx.ek, random.Random("two-bad-plain"),
                          bad={1: "off_poly", 4: "garbage"})
    r = H.recover(kp, export_ctx, case.response)
    assert r.rc == 0, r.describe()
    assert r.out == ("%064x\n" % case.key).encode()
    _check_stderr_names_culprits(r, case)


@pytest.mark.parametrize("protocol,curve_name,kinds", [
    ("FROST", "ed25519", {0: "curve_tag", 3: "off_poly"}),
    ("FROST", "ed25519", {1: "wrong_key", 2: "zero_share"}),
    ("CGGMP21", "stark", {2: "curve_tag", 4: "off_poly"}),
    ("CGGMP24", "stark", {0: "not_json", 1: "index_curve"}),
])
def test_recover_bad_shares_other_curves(kp, export_ctx, protocol, curve_name, kinds):
    case = H.build_export(W.curve(curve_name), protocol, export_ctx.ek,
                          random.Random(f"bad-{curve_name}-{sorted(kinds.items())}"), bad=kinds)
    r = H.recover(kp, export_ctx, case.response, "--json")
    _check_json(r, case)
    _check_stderr_names_culprits(r, case)


@pytest.mark.parametrize("curve_name,protocol", [("secp256k1", "CGGMP21"), ("stark", "CGGMP21"),
                                                 ("ed25519", "FROST")])
def test_recover_against_a_competing_polynomial(kp, export_ctx, curve_name, protocol):
    """Two bad shares chosen to lie, with one good share, on another degree-2 polynomial g.
    Then {good, bad, bad} and the three good shares are both consistent triples; only the
    polynomial that matches publicKey may win. With 2 of 5 shares off it (2e > N - t + 1) the
    decoding is not unique, so nobody is named: the good signers are reported as one group."""
    c = W.curve(curve_name)
    rng = random.Random("competing-" + curve_name)
    key = c.random_scalar(rng)
    xs = [1, 2, 3, 4, 5]
    _, f = W.shamir_split(key, 3, xs, c.order, rng)
    k2, b = c.random_scalar(rng), c.random_scalar(rng)
    a = (f[1] - k2 - b) % c.order                      # g(1) = f(1)
    g = {x: (k2 + a * x + b * x * x) % c.order for x in xs}
    assert g[1] == f[1] and g[4] != f[4] and g[5] != f[5]
    shares = {1: f[1], 2: f[2], 3: f[3], 4: g[4], 5: g[5]}
    ids = [s.sid for s in H.make_signers(rng, 5)]
    entries = [(sid, W.seal(export_ctx.ek, W.export_plaintext(c, x, shares[x]))) for sid, x in zip(ids, xs)]
    rng.shuffle(entries)
    case = H.ExportCase(c, protocol, key, c.public_key(key), 3, ids, dict(zip(ids, xs)),
                        {sid: shares[x] for sid, x in zip(ids, xs)}, bad={},
                        response=W.export_response(c, protocol, c.public_key(key), 3, entries))
    r = H.recover(kp, export_ctx, case.response, "--json")
    _check_json(r, case)
    doc = W.parse_json_strict(r.out)
    assert [sorted(g) for g in doc["unresolved"]] == [sorted(ids[:3])], r.describe()
    assert "cannot be told apart" in r.err, r.describe()


def test_recover_one_bad_of_four(kp, export_ctx):
    case = H.build_export(W.SECP256K1, "CGGMP21", export_ctx.ek, random.Random("bad-1-of-4"), n=4, t=3,
                          bad={2: "off_poly"})
    _check_json(H.recover(kp, export_ctx, case.response, "--json"), case)


def _expect_unrecoverable(kp, export_ctx, case, json_flag=False):
    args = H.recover_args(kp, export_ctx, case.response) + (["--json"] if json_flag else [])
    r = kp.fail(*args, codes=H.EXIT_RECOVER)
    for sid, kind in case.bad.items():
        if kind in ("off_poly", "g"):
            continue  # with fewer than t good shares an off-polynomial share cannot be singled out
        assert H.mentions(r.err, sid), f"stderr does not name bad signer {sid}:\n" + r.describe()
    return r


def test_recover_too_many_bad_shares(kp, export_ctx):
    case = H.build_export(W.SECP256K1, "CGGMP21", export_ctx.ek, random.Random("too-many-bad"),
                          bad={0: "off_poly", 2: "garbage", 4: "curve_tag"})
    _expect_unrecoverable(kp, export_ctx, case)


def test_recover_too_many_bad_shares_json(kp, export_ctx):
    case = H.build_export(W.ED25519, "FROST", export_ctx.ek, random.Random("too-many-bad-json"),
                          bad={1: "wrong_key", 2: "off_poly", 3: "version"})
    _expect_unrecoverable(kp, export_ctx, case, json_flag=True)


def test_recover_all_shares_bad(kp, export_ctx):
    case = H.build_export(W.STARK, "CGGMP21", export_ctx.ek, random.Random("all-bad"),
                          bad={i: k for i, k in enumerate(["garbage", "tampered", "not_json", "zero_index", "off_poly"])})
    _expect_unrecoverable(kp, export_ctx, case)


def test_recover_t_of_t_with_one_bad(kp, export_ctx):
    case = H.build_export(W.SECP256K1, "CGGMP21", export_ctx.ek, random.Random("t-of-t-bad"), n=3, t=3,
                          bad={1: "off_poly"})
    _expect_unrecoverable(kp, export_ctx, case)


def test_recover_public_key_mismatch(kp, export_ctx):
    """Consistent shares of one key, publicKey of another: never return an unchecked key."""
    c = W.SECP256K1
    rng = random.Random("pub-mismatch")
    other = c.public_key(c.random_scalar(rng))
    case = H.build_export(c, "CGGMP21", export_ctx.ek, rng, public_key=other)
    kp.fail(*H.recover_args(kp, export_ctx, case.response), codes=H.EXIT_RECOVER)
