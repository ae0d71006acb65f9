"""Ed25519 RFC 8032 seeds (docs/wire.md §4 step 1): `--key-format ed25519-seed` must import the
signing scalar SHA-512/clamp/reduce of the seed, whose public key is the RFC 8032 public key."""

from __future__ import annotations

import random

import pytest
from nacl import bindings as sodium

import kphelp as H
import wire_ref as W

# RFC 8032 §7.1 TEST 1, 2, 3 and 1024: (seed, public key).  Source: D. J. Bernstein's sign.input
# (cited by RFC 8032 §7.1), lines 1, 2, 3 and 1024, as bundled in github.com/pyca/pynacl
# @ 25d715e19c9b8472a00e18e68ca0e7369826e666, tests/data/ed25519.
RFC8032 = [
    ("TEST1", "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"),
    ("TEST2", "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"),
    ("TEST3", "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025"),
    ("TEST1024", "f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5",
     "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e"),
]


def _import_seed(kp, seed_hex: str, rng) -> tuple[int, bytes]:
    """Imports a seed; returns (the scalar the shares recombine to, the group public key)."""
    c = W.ED25519
    signers = H.make_signers(rng, 5)
    want = W.ed25519_seed_to_scalar(bytes.fromhex(seed_hex))
    res = H.import_prepare(kp, signers, c, "FROST", seed_hex + "\n", "--key-format", "ed25519-seed")
    shares = H.check_import(res, c, "FROST", want, 3, signers)
    _share, pubs = W.parse_import_plaintext(c, res.plaintexts[0])
    group = W.interpolate_points_at_zero(c, [(i + 1, p) for i, p in enumerate(pubs[2:5], start=2)])
    key = W.interpolate_at_zero([(1, shares[0]), (2, shares[1]), (4, shares[3])], c.order)
    return key, c.pub(group)


@pytest.mark.parametrize("name,seed,pub", RFC8032, ids=[v[0] for v in RFC8032])
def test_seed_import_matches_rfc8032(kp, name, seed, pub):
    key, group = _import_seed(kp, seed, random.Random("seed-" + name))
    assert key == W.ed25519_seed_to_scalar(bytes.fromhex(seed))
    assert group.hex() == pub
    assert group == sodium.crypto_sign_seed_keypair(bytes.fromhex(seed))[0]


def test_seed_import_random_seeds_match_nacl(kp):
    rng = random.Random("seed-random")
    for _ in range(2):
        seed = rng.randbytes(32)
        key, group = _import_seed(kp, seed.hex(), rng)
        assert group == sodium.crypto_sign_seed_keypair(seed)[0]
        # The scalar is the RFC 8032 expanded secret's first half, reduced mod l.
        expanded = sodium.crypto_sign_seed_keypair(seed)[1]
        assert W.ED25519.public_key(key) == expanded[32:]


def test_seed_is_not_taken_as_a_scalar(kp):
    """A seed below l, imported as a seed, must not give the same key as the same hex taken
    as a scalar."""
    rng = random.Random("seed-vs-hex")
    seed = b"\x01" + rng.randbytes(31)
    key, group = _import_seed(kp, seed.hex(), rng)
    assert key != int.from_bytes(seed, "big")
    assert group == sodium.crypto_sign_seed_keypair(seed)[0]


def test_export_gives_the_scalar_of_a_seed(kp, export_ctx):
    """docs/wire.md §3: an exported ed25519 key is the scalar, never the seed."""
    seed = bytes.fromhex(RFC8032[0][1])
    scalar = W.ed25519_seed_to_scalar(seed)
    pk = sodium.crypto_sign_seed_keypair(seed)[0]
    case = H.build_export(W.ED25519, "FROST", export_ctx.ek, random.Random("export-seed"), key=scalar,
                          public_key=pk)
    assert case.public_key == W.ED25519.public_key(scalar)
    r = H.recover(kp, export_ctx, case.response)
    assert r.rc == 0, r.describe()
    assert r.out == ("%064x\n" % scalar).encode()
    assert seed.hex().encode() not in r.out
