"""Export recovery checked against independent code (issue 7).

- The Dfns-generated vectors (tests/vectors/dfns-trusted-dealer.generated.json, made with Dfns'
  own crates): all 36 export responses through `keyport export recover`, from a context file
  that Python seals around the vector's decryption key (PyNaCl Argon2id + XChaCha20-Poly1305);
  all 20 import cases through `keyport import prepare` for the vector's signers, opened with the
  vector's signer secrets by pyca/cryptography and coincurve, and recombined in pure Python.
- Random responses with bad shares, made and judged in pure Python (wire_ref): keyport's culprits
  are always a subset of the truly bad signers, the key is right whenever t good shares exist,
  and within the unique-decoding bound every bad signer is named.
- The wrong export context, --schemes, and large or random indices through the command.
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import nacl.bindings
import nacl.pwhash
import pytest

import kphelp as H
import wire_ref as W

VECTORS = Path(__file__).resolve().parent.parent / "vectors" / "dfns-trusted-dealer.generated.json"
EXIT_RECOVER, EXIT_WRONG_CONTEXT = 5, 10


def _vectors() -> dict:
    return json.loads(VECTORS.read_text())


def seal_context(secret: int, passphrase: bytes, rng: random.Random) -> bytes:
    """An export context file (libcore/src/context.c layout), sealed independently: magic KPXC,
    version 1, KDF 2 (Argon2id v1.3), opslimit and memlimit (KiB) big-endian, salt, nonce, then
    XChaCha20-Poly1305 of the 32-byte secret with the 54-byte header as associated data."""
    ops, mem_kib = 1, 8 * 1024
    salt, nonce = rng.randbytes(16), rng.randbytes(24)
    hdr = b"KPXC" + bytes([1, 2]) + ops.to_bytes(4, "big") + mem_kib.to_bytes(4, "big") + salt + nonce
    key = nacl.pwhash.argon2id.kdf(32, passphrase, salt, opslimit=ops, memlimit=mem_kib * 1024)
    return hdr + nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(secret.to_bytes(32, "big"), hdr, nonce, key)


def _context_for(kp: H.Keyport, secret: int, name: str) -> H.ExportContext:
    ctx = kp.write(name + ".kpx", seal_context(secret, H.PASSPHRASE, random.Random(name)))
    passfile = kp.write(name + ".pass", H.PASSPHRASE)
    return H.ExportContext(ctx, passfile, W.Recipient(secret).ek, b"")


def _recover_json(kp: H.Keyport, ctx: H.ExportContext, response: str) -> tuple[H.Run, dict | None]:
    r = H.recover(kp, ctx, response, "--json")
    return r, (W.parse_json_strict(r.out) if r.rc == 0 else None)


# --------------------------------------------------------------------------- Dfns' vectors

EXPORT_CASES = _vectors()["export"]
IMPORT_CASES = _vectors()["import"]


def test_vector_counts():
    assert len(EXPORT_CASES) == 36 and len(IMPORT_CASES) == 20


@pytest.mark.parametrize("case", EXPORT_CASES, ids=[c["id"] for c in EXPORT_CASES])
def test_dfns_export_response_recovers_through_the_cli(kp, case):
    dk = int(case["decryptionKey"], 16)
    ctx = _context_for(kp, dk, "dfns")
    # the context Python sealed holds the vector's key: its encryption key is the vector's
    assert W.encryption_key_b64(W.Recipient(dk).ek) == case["encryptionKey"]
    response = W.compact(case["response"])
    r, doc = _recover_json(kp, ctx, response)
    assert r.rc == 0, r.describe()
    assert doc["privateKey"] == case["privateKey"], r.describe()
    assert doc["publicKey"] == case["publicKey"]
    assert doc["culprits"] == [] and doc["unresolved"] == [], r.describe()
    assert r.err == "", r.describe()
    # and the indices really are what the case says: Python opens every share itself
    c = W.curve(case["curve"])
    xs = []
    for e in case["response"]["encryptedKeyShares"]:
        x, y = W.parse_export_plaintext(c, W.open_envelope(dk, W.unb64(e["encryptedKeyShare"])))
        xs.append(x)
    assert sorted(xs) == sorted(int(h, 16) for h in case["shareIndices"])


@pytest.mark.parametrize("case", IMPORT_CASES, ids=[c["id"] for c in IMPORT_CASES])
def test_dfns_import_signers_through_the_cli(kp, case):
    """keyport prepares an import for Dfns' signers; the vector's signer secrets open every share
    (pyca/cryptography, coincurve), and the shares recombine to the key in pure Python."""
    c = W.curve(case["curve"])
    sj = kp.write("signers.json", W.compact(case["signers"]) + "\n")
    kf = kp.write("key.txt", case["privateKey"] + "\n")
    r = kp.ok("import", "prepare", "--signers", sj, "--curve", c.name, "--protocol", case["protocol"],
              "--key-file", kf, "--min-signers", str(case["minSigners"]))
    body = W.parse_json_strict(r.out)
    ids = [e["signerId"] for e in body["encryptedKeyShares"]]
    assert ids == W.sort_signer_ids(ids)
    assert sorted(ids) == sorted(case["signerSecrets"])
    shares = []
    for e in body["encryptedKeyShares"]:
        pt = W.open_envelope(int(case["signerSecrets"][e["signerId"]], 16), W.unb64(e["encryptedKeyShare"]))
        share, pubs = W.parse_import_plaintext(c, pt)
        shares.append(share)
    t = case["minSigners"]
    pts = list(enumerate(shares, start=1))
    assert W.interpolate_at_zero(pts[:t], c.order) == int(case["privateKey"], 16)
    assert W.interpolate_at_zero(pts[-t:], c.order) == int(case["privateKey"], 16)
    assert c.public_key(int(case["privateKey"], 16)).hex() == case["publicKey"]
    # Dfns' own request for the same signers opens the same way
    for e in case["request"]["encryptedKeyShares"]:
        pt = W.open_envelope(int(case["signerSecrets"][e["signerId"]], 16), W.unb64(e["encryptedKeyShare"]))
        W.parse_import_plaintext(c, pt)


# --------------------------------------------------------------------------- random responses

KINDS = ["good", "random", "dup_share", "dup_index", "dup_id", "wrong_key", "curve_tag"]


@pytest.mark.parametrize("curve_name", ["secp256k1", "ed25519", "stark"])
def test_random_responses_culprits_are_truly_bad(kp, export_ctx, curve_name):
    c = W.curve(curve_name)
    protocol = "FROST" if c is W.ED25519 else "CGGMP21"
    rng = random.Random("crosscheck-" + curve_name)
    checked_unique = 0
    for round_ in range(40 if c is not W.STARK else 20):
        n = rng.randint(2, 9)
        t = rng.randint(2, n)
        key = c.random_scalar(rng)
        r0 = rng.random()
        if r0 < 0.3:
            xs = rng.sample(range(1, 2 ** 40), n)
        elif r0 < 0.6:
            xs = [c.random_scalar(rng) for _ in range(n)]
        else:
            xs = list(range(1, n + 1))
        _, share_at = W.shamir_split(key, t, xs, c.order, rng)
        ids = [s.sid for s in H.make_signers(rng, n)]
        kinds = [rng.choice(KINDS[1:]) if rng.random() < 0.4 else "good" for _ in range(n)]
        entries = []
        for i in range(n):
            j = (i + 1) % n
            x, y, label, kind = xs[i], share_at[xs[i]], ids[i], kinds[i]
            if kind == "random":
                y = c.random_scalar(rng)
            elif kind == "dup_share":
                x, y = xs[j], share_at[xs[j]]
            elif kind == "dup_index":
                x = xs[j]
            elif kind == "dup_id":
                label, y = ids[j], c.random_scalar(rng)
            if kind == "wrong_key":
                ct = W.seal(W.Recipient.random(rng).ek, W.export_plaintext(c, x, y))
            elif kind == "curve_tag":
                ct = H.bad_share_ciphertext("curve_tag", c, export_ctx.ek, x, y, rng)
            else:
                ct = W.seal(export_ctx.ek, W.export_plaintext(c, x, y))
            opened = kind not in ("wrong_key", "curve_tag")
            on = opened and W.interpolate_at([(xx, share_at[xx]) for xx in xs[:t]], x, c.order) == y
            entries.append(dict(label=label, opened=opened, x=x, y=y, on=on, kind=kind, ct=ct))
        rng.shuffle(entries)
        response = W.export_response(c, protocol, c.public_key(key), t, [(e["label"], e["ct"]) for e in entries])
        # the truth, in pure Python
        pts = {(e["x"], e["y"]) for e in entries if e["opened"]}
        off = {(x, y) for (x, y) in pts if W.interpolate_at([(xx, share_at[xx]) for xx in xs[:t]], x, c.order) != y}
        good_x = {x for (x, y) in pts if (x, y) not in off}
        unique = len(pts) >= t and 2 * len(off) <= len(pts) - t + 1
        honest = {e["label"] for e in entries if e["kind"] == "good"}
        labels = {e["label"] for e in entries}
        provable = {l for l in labels if all(not e["on"] for e in entries if e["label"] == l)}
        unopened = {l for l in labels if all(not e["opened"] for e in entries if e["label"] == l)}

        r, doc = _recover_json(kp, export_ctx, response)
        what = f"round {round_}: {n} shares, t={t}, kinds {kinds}\n" + r.describe()
        if len(good_x) >= t:
            assert r.rc == 0, what
        if r.rc != 0:
            assert r.rc in (EXIT_RECOVER, EXIT_WRONG_CONTEXT) and r.out == b"", what
            continue
        assert doc["privateKey"] == "%064x" % key, what
        culprits = set(doc["culprits"])
        if len(good_x) >= t:
            assert not culprits & honest, "an honest signer is named: " + what
            assert culprits <= labels - honest, what
            if unique:
                assert culprits == provable, f"within the bound: named {culprits}, provably bad {provable}: " + what
                checked_unique += 1
            else:
                assert culprits == unopened, f"beyond the bound: named {culprits}, unopened {unopened}: " + what
                assert doc["unresolved"], what
    assert checked_unique > 0


# --------------------------------------------------------------------------- the command

def test_wrong_context_exit_code_and_fingerprint(kp, export_ctx):
    case = H.build_export(W.SECP256K1, "CGGMP21", export_ctx.ek, random.Random("wrong-ctx"))
    other = H.export_init(kp, "other.kpx")
    r = kp.fail(*H.recover_args(kp, other, case.response), codes=EXIT_WRONG_CONTEXT)
    fp = hashlib.sha256(other.ek).digest()[:8].hex()  # keyport.h: kp_encryption_key_fingerprint
    assert fp in r.err, r.describe()
    for sid in case.signer_ids:
        assert not H.mentions(r.err, sid), "a signer is named for the wrong context:\n" + r.describe()


def test_random_and_large_indices_through_the_cli(kp, export_ctx):
    rng = random.Random("big-idx")
    for c in (W.SECP256K1, W.ED25519, W.STARK):
        xs = [c.random_scalar(rng) for _ in range(5)]
        case = H.build_export(c, "FROST" if c is W.ED25519 else "CGGMP24", export_ctx.ek, rng, indices=xs)
        r, doc = _recover_json(kp, export_ctx, case.response)
        assert r.rc == 0 and doc["privateKey"] == "%064x" % case.key and doc["culprits"] == [], r.describe()
    # one index >= 2^32 among small ones, and its holder spoils nothing
    case = H.build_export(W.SECP256K1, "CGGMP21", export_ctx.ek, rng, indices=[1, 2, 3, 4, 2 ** 32])
    r, doc = _recover_json(kp, export_ctx, case.response)
    assert r.rc == 0 and doc["culprits"] == [], r.describe()


def test_duplicate_index_does_not_block_recovery(kp, export_ctx):
    """Issue 7.2: a 3-of-5 where a fifth signer repeats signer 1's index still recovers from the
    four good shares, and names the one off the polynomial."""
    rng = random.Random("dup-idx")
    c = W.SECP256K1
    key = c.random_scalar(rng)
    xs = [1, 2, 3, 4]
    _, share_at = W.shamir_split(key, 3, xs, c.order, rng)
    ids = [s.sid for s in H.make_signers(rng, 5)]
    entries = [(ids[i], W.seal(export_ctx.ek, W.export_plaintext(c, xs[i], share_at[xs[i]]))) for i in range(4)]
    entries.append((ids[4], W.seal(export_ctx.ek, W.export_plaintext(c, 3, c.random_scalar(rng)))))
    r, doc = _recover_json(kp, export_ctx, W.export_response(c, "CGGMP21", c.public_key(key), 3, entries))
    assert r.rc == 0, r.describe()
    assert doc["privateKey"] == "%064x" % key and doc["culprits"] == [ids[4]], r.describe()


def _schemes(out: bytes) -> list[tuple[str, str]]:
    return [(s["protocol"], s["curve"]) for s in W.parse_json_strict(out)["supportedSchemes"]]


def test_export_init_schemes_option(kp):
    pf = kp.write("p.txt", H.PASSPHRASE)
    base = ["export", "init", "--passphrase-file", pf, "--kdf", "interactive"]
    r = kp.ok(*base, "--context", kp.path("a.kpx"))
    assert _schemes(r.out) == list(W.EXPORT_SUPPORTED_SCHEMES), "the default is what Dfns' 2025 client parses"
    r = kp.ok(*base, "--context", kp.path("b.kpx"), "--schemes", "all")
    assert sorted(_schemes(r.out)) == sorted(W.VALID_SCHEMES)
    r = kp.ok(*base, "--context", kp.path("c.kpx"), "--schemes", "CGGMP24/secp256k1,FROST/ed25519")
    assert _schemes(r.out) == [("CGGMP24", "secp256k1"), ("FROST", "ed25519")]
    r = kp.ok(*base, "--context", kp.path("d.kpx"), "--schemes", "dfns-2025")
    assert _schemes(r.out) == list(W.EXPORT_SUPPORTED_SCHEMES)
    for bad in ["", "CGGMP24", "FROST/secp256k1", "CGGMP21/secp256k1,CGGMP21/secp256k1", "GG18/secp256k1",
                "CGGMP24/stark,", ",".join(["CGGMP21/secp256k1"] * 9)]:
        name = "bad-%d.kpx" % len(bad)
        kp.fail(*base, "--context", kp.path(name), "--schemes", bad, codes=2)
        assert not kp.path(name).exists(), f"--schemes {bad!r} left a context file"
