"""Key formats in and out, and addresses, against independent libraries from PyPI:
bip-utils (BIP-39, BIP-32, SLIP-10, BIP-44/84/86 and their addresses), eth-keyfile and eth-account
(keystore v3, EIP-55), coincurve and PyNaCl (keys, RFC 8032 signatures), base58 and bech32 (the
reference segwit codec). Both ways: what they write, keyport reads; what keyport writes, they read;
and the addresses agree. Then the CLI round trip mnemonic -> import prepare -> shares (wire_ref as
the cluster) -> export recover -> keystore/WIF/expanded -> the independent library, and the bad
inputs with their messages and exit codes."""

from __future__ import annotations

import hashlib
import json
import random
import unicodedata

import base58
import bech32
import coincurve
import eth_keyfile
import pytest
from bip_utils import (Bip32Secp256k1, Bip39MnemonicGenerator, Bip39SeedGenerator, Bip39WordsNum, Bip44, Bip44Changes,
                       Bip44Coins, Bip84, Bip84Coins, Bip86, Bip86Coins, P2TRAddrEncoder, P2WPKHAddrEncoder)
from eth_account import Account
from nacl import bindings as sodium
from nacl.signing import VerifyKey

import kphelp as H
import wire_ref as W

ED_L = W.ED25519_L


def show(kp, fmt, key_text, *extra, name="key.txt"):
    f = kp.write(name, key_text)
    r = kp.ok("key", "show", "--format", fmt, "--key-file", f, "--json", *extra)
    assert r.out.count(b"\n") == 1
    return json.loads(r.out)


def mnemonic(words=12) -> str:
    n = {12: Bip39WordsNum.WORDS_NUM_12, 15: Bip39WordsNum.WORDS_NUM_15, 18: Bip39WordsNum.WORDS_NUM_18,
         21: Bip39WordsNum.WORDS_NUM_21, 24: Bip39WordsNum.WORDS_NUM_24}[words]
    return str(Bip39MnemonicGenerator().FromWordsNumber(n))


def acct(ctx, index: int):
    return ctx.Purpose().Coin().Account(0).Change(Bip44Changes.CHAIN_EXT).AddressIndex(index)


# --------------------------------------------------------------------------- they write, keyport reads

@pytest.mark.parametrize("words", [12, 15, 18, 21, 24])
def test_mnemonics_match_bip_utils(kp, words):
    m = mnemonic(words)
    seed = Bip39SeedGenerator(m).Generate()
    i = random.randrange(0, 5)
    eth = acct(Bip44.FromSeed(seed, Bip44Coins.ETHEREUM), i)
    doc = show(kp, "mnemonic", m + "\n", "--path", f"m/44'/60'/0'/0/{i}")
    assert doc["curve"] == "secp256k1"
    assert doc["publicKey"] == eth.PublicKey().RawCompressed().ToHex()
    assert doc["addresses"]["ethereum"] == eth.PublicKey().ToAddress()
    b84 = acct(Bip84.FromSeed(seed, Bip84Coins.BITCOIN), i)
    doc = show(kp, "mnemonic", m, "--path", f"m/84'/0'/0'/0/{i}")
    assert doc["addresses"]["bitcoin-p2wpkh"] == b84.PublicKey().ToAddress()
    b86 = acct(Bip86.FromSeed(seed, Bip86Coins.BITCOIN), i)
    doc = show(kp, "mnemonic", m, "--path", f"m/86'/0'/0'/0/{i}")
    assert doc["addresses"]["bitcoin-p2tr"] == b86.PublicKey().ToAddress()
    sol = Bip44.FromSeed(seed, Bip44Coins.SOLANA).Purpose().Coin().Account(i).Change(Bip44Changes.CHAIN_EXT)
    doc = show(kp, "mnemonic", m, "--path", f"m/44'/501'/{i}'/0'", "--curve", "ed25519")
    assert doc["curve"] == "ed25519"
    assert doc["addresses"]["solana"] == sol.PublicKey().ToAddress()


def test_mnemonic_passphrase_nfkd(kp):
    m = mnemonic(24)
    for pw in ["TREZOR", "caf\u00e9 \u2126 \uff21", "p\u00e4ssw\u00f6rd"]:
        seed = Bip39SeedGenerator(m).Generate(pw)
        want = acct(Bip44.FromSeed(seed, Bip44Coins.ETHEREUM), 0).PublicKey().ToAddress()
        for form in ("NFC", "NFD"):
            pf = kp.write("bip39.pass", unicodedata.normalize(form, pw) + "\n")
            doc = show(kp, "mnemonic", m, "--path", "m/44'/60'/0'/0/0", "--key-passphrase-file", pf)
            assert doc["addresses"]["ethereum"] == want, (pw, form)


def test_xprv_xpub_and_paths(kp):
    rng = random.Random("xprv")
    for _ in range(3):
        root = Bip32Secp256k1.FromSeed(rng.randbytes(32))
        path = f"m/{rng.randrange(2**31)}'/{rng.randrange(100)}/{rng.randrange(100)}"
        child = root.DerivePath(path)
        want = child.PublicKey().RawCompressed().ToHex()
        assert show(kp, "xprv", root.PrivateKey().ToExtended(), "--path", path)["publicKey"] == want
        assert show(kp, "xprv", child.PrivateKey().ToExtended())["publicKey"] == want
        # public derivation from the hardened parent's xpub along the non-hardened steps
        parent = root.DerivePath(path.rsplit("/", 2)[0])
        rest = "/".join(path.split("/")[2:])
        assert show(kp, "xpub", parent.PublicKey().ToExtended(), "--path", rest)["publicKey"] == want
        assert show(kp, "xprv", parent.PrivateKey().ToExtended(), "--path", "M/" + rest)["publicKey"] == want


def test_wif_and_eth_addresses_match(kp):
    rng = random.Random("wif")
    for compressed, net in [(True, b"\x80"), (False, b"\x80"), (True, b"\xef")]:
        k = rng.randbytes(32)
        pk = coincurve.PrivateKey(k)
        wif = base58.b58encode_check(net + k + (b"\x01" if compressed else b"")).decode()
        doc = show(kp, "wif" if net == b"\x80" else "wif-testnet", wif)
        pub = pk.public_key.format(compressed=True)
        assert doc["publicKey"] == pub.hex()
        assert doc["addresses"]["ethereum"] == Account.from_key(k).address
        assert doc["addresses"]["bitcoin-p2wpkh"] == P2WPKHAddrEncoder.EncodeKey(pub, hrp="bc")
        assert doc["addresses"]["bitcoin-p2tr"] == P2TRAddrEncoder.EncodeKey(pub, hrp="bc")
        ver, prog = bech32.decode("bc", doc["addresses"]["bitcoin-p2wpkh"])
        assert ver == 0 and len(prog) == 20


@pytest.mark.parametrize("kdf", ["scrypt", "pbkdf2"])
def test_keystores_written_by_eth_keyfile(kp, kdf):
    k = random.Random("ks-" + kdf).randbytes(32)
    ks = eth_keyfile.create_keyfile_json(k, b"hunter2 \xc3\xa9", kdf=kdf, iterations=4096 if kdf == "scrypt" else 10000)
    pf = kp.write("ks.pass", "hunter2 \u00e9\n")
    doc = show(kp, "keystore", json.dumps(ks), "--key-passphrase-file", pf)
    assert doc["addresses"]["ethereum"] == Account.from_key(k).address


def test_solana_keypairs_from_nacl(kp):
    rng = random.Random("solana")
    seed = rng.randbytes(32)
    pk, sk = sodium.crypto_sign_seed_keypair(seed)
    want = base58.b58encode(pk).decode()
    assert show(kp, "solana-keypair", json.dumps(list(sk)))["addresses"]["solana"] == want
    assert show(kp, "solana-base58", base58.b58encode(sk).decode())["addresses"]["solana"] == want
    assert show(kp, "ed25519-seed", seed.hex())["addresses"]["solana"] == want


def test_stark_key_matches_reference(kp):
    k = W.STARK.random_scalar(random.Random("stark"))
    doc = show(kp, "stark-hex", "%064x" % k)
    x = W.stark_mul(k, W.STARK_G)[0]
    assert doc["addresses"]["stark-key"] == "0x%064x" % x


def test_frost_bitcoin_shows_xonly_and_p2tr(kp):
    k = random.Random("frost-btc").randbytes(32)
    pub = coincurve.PrivateKey(k).public_key.format(compressed=True)
    doc = show(kp, "hex", k.hex(), "--curve", "secp256k1", "--protocol", "FROST_BITCOIN")
    assert set(doc["addresses"]) == {"bip340-key", "bitcoin-p2tr"}
    assert doc["addresses"]["bip340-key"] == pub[1:].hex()
    assert doc["addresses"]["bitcoin-p2tr"] == P2TRAddrEncoder.EncodeKey(pub, hrp="bc")


def test_key_formats_lists_every_format(kp):
    r = kp.ok("key", "formats", "--json")
    names = [f["name"] for f in json.loads(r.out)]
    for n in ["hex", "ed25519-seed", "wif", "mnemonic", "xprv", "keystore", "solana-keypair", "solana-base58",
              "stark-hex", "stark-mnemonic", "ed25519-expanded"]:
        assert n in names
    text = kp.ok("key", "formats").out.decode()
    assert "not written" in text and "chain code" in text


# --------------------------------------------------------------------------- import prepare shows addresses

def _import(kp, rng, c, protocol, fmt, key_text, *extra):
    signers = H.make_signers(rng, 5)
    sj = kp.write("signers.json", H.signers_json(signers) + "\n")
    kf = kp.write("key.txt", key_text)
    r = kp.ok("import", "prepare", "--signers", sj, "--curve", c.name, "--protocol", protocol, "--key-file", kf,
              "--key-format", fmt, *extra)
    res = H.read_import(r.out, signers, c)
    shares = [W.parse_import_plaintext(c, pt)[0] for pt in res.plaintexts]
    key = W.interpolate_at_zero([(i + 1, s) for i, s in enumerate(shares[:3])], c.order)
    return key, r


def test_import_prepare_from_a_mnemonic_shows_its_addresses(kp):
    m = mnemonic(12)
    seed = Bip39SeedGenerator(m).Generate()
    eth = acct(Bip44.FromSeed(seed, Bip44Coins.ETHEREUM), 3)
    key, r = _import(kp, random.Random("imp-m"), W.SECP256K1, "CGGMP21", "mnemonic", m, "--path", "m/44'/60'/0'/0/3")
    assert key == int(eth.PrivateKey().Raw().ToHex(), 16)
    assert eth.PublicKey().ToAddress() in r.err
    assert eth.PublicKey().RawCompressed().ToHex() in r.err
    words = m.split()
    assert all(" ".join(words[i:i + 2]) not in r.err for i in range(11))  # nothing of the mnemonic on stderr


def test_import_prepare_refusals_are_clean(kp):
    rng = random.Random("imp-bad")
    signers = H.make_signers(rng, 5)
    sj = kp.write("signers.json", H.signers_json(signers) + "\n")
    m = mnemonic(12).split()

    def bad(fmt, text, *extra, code=H.EXIT_INPUT, curve="secp256k1", protocol="CGGMP21", want=()):
        kf = kp.write("bad.key", text)
        r = kp.fail("import", "prepare", "--signers", sj, "--curve", curve, "--protocol", protocol, "--key-file", kf,
                    "--key-format", fmt, *extra, codes=code)
        for w in want:
            assert w in r.err, r.describe()
        return r

    # a wrong checksum word names the last position; a typo names its position and the nearest word
    r = None
    for cand in ("abandon", "ability", "able", "about", "above"):
        try:
            r = bad("mnemonic", " ".join(m[:-1] + [cand]), "--path", "m/0", want=("word 12 of 12", "checksum"))
            break
        except AssertionError:
            continue  # that word happened to carry a valid checksum
    assert r is not None
    typo = list(m)
    typo[4] = typo[4][:-1] + ("q" if typo[4][-1] != "q" else "x") + "zz"
    bad("mnemonic", " ".join(typo), "--path", "m/0", want=("word 5 of 12", "nearest"))
    # paths: a non-hardened step on SLIP-10, a bad step, a hardened step on an xpub (key show)
    good = str(Bip39MnemonicGenerator().FromWordsNumber(Bip39WordsNum.WORDS_NUM_12))
    bad("mnemonic", good, "--path", "m/44'/501'/0'/0", curve="ed25519", protocol="FROST", want=("step 4", "hardened"))
    bad("mnemonic", good, "--path", "m/44'/abc", want=("step 2",))
    xpub = Bip32Secp256k1.FromSeed(rng.randbytes(32)).PublicKey().ToExtended()
    kf = kp.write("xpub.txt", xpub)
    r = kp.fail("key", "show", "--format", "xpub", "--key-file", kf, "--path", "0/1'", codes=H.EXIT_INPUT)
    assert "step 2" in r.err and "hardened" in r.err
    # public derivation written as M/...: from a mnemonic too, and never into an import
    kf = kp.write("good.txt", good)
    r = kp.fail("key", "show", "--format", "mnemonic", "--key-file", kf, "--path", "M/44'/60'", codes=H.EXIT_INPUT)
    assert "step 1" in r.err and "public derivation" in r.err
    bad("mnemonic", good, "--path", "M/0/1", want=("public derivation",))
    # keystores: wrong passphrase and altered MAC exit 4
    k = rng.randbytes(32)
    ks = eth_keyfile.create_keyfile_json(k, b"right", kdf="scrypt", iterations=1024)
    pf = kp.write("ks.pass", "wrong\n")
    bad("keystore", json.dumps(ks), "--key-passphrase-file", pf, code=H.EXIT_DECRYPT, want=("passphrase",))
    ks["crypto"]["mac"] = ("0" if ks["crypto"]["mac"][0] != "0" else "1") + ks["crypto"]["mac"][1:]
    pf = kp.write("ks.pass", "right\n")
    bad("keystore", json.dumps(ks), "--key-passphrase-file", pf, code=H.EXIT_DECRYPT)
    # a WIF with a bad checksum
    wif = base58.b58encode_check(b"\x80" + k + b"\x01")
    raw = base58.b58decode(wif)
    bad("wif", base58.b58encode(raw[:-1] + bytes([raw[-1] ^ 1])).decode(), want=("checksum",))
    # a Solana keypair whose halves disagree
    pk, sk = sodium.crypto_sign_seed_keypair(rng.randbytes(32))
    other = bytes(sk[:32]) + bytes([sk[32] ^ 1]) + bytes(sk[33:])
    bad("solana-keypair", json.dumps(list(other)), curve="ed25519", protocol="FROST", want=("disagree",))
    bad("solana-base58", base58.b58encode(other).decode(), curve="ed25519", protocol="FROST", want=("disagree",))
    # a format for another curve, an output-only format, an unknown format: usage errors
    bad("wif", base58.b58encode_check(b"\x80" + k + b"\x01").decode(), curve="ed25519", protocol="FROST",
        code=H.EXIT_USAGE)
    bad("ed25519-expanded", "00", curve="ed25519", protocol="FROST", code=H.EXIT_USAGE)
    bad("pem", "00", code=H.EXIT_USAGE, want=("keystore",))


# --------------------------------------------------------------------------- keyport writes, they read

def _recover(kp, export_ctx, c, protocol, key, *extra, rng=None):
    case = H.build_export(c, protocol, export_ctx.ek, rng or random.Random("rt"), key=key)
    return H.recover(kp, export_ctx, case.response, *extra)


def test_round_trip_mnemonic_to_keystore(kp, export_ctx):
    """mnemonic -> import prepare -> the shares (the cluster) -> export recover -> keystore -> eth-keyfile."""
    m = mnemonic(24)
    seed = Bip39SeedGenerator(m).Generate()
    eth = acct(Bip44.FromSeed(seed, Bip44Coins.ETHEREUM), 0)
    key, _ = _import(kp, random.Random("rt-ks"), W.SECP256K1, "CGGMP21", "mnemonic", m, "--path", "m/44'/60'/0'/0/0")
    pf = kp.write("out.pass", "keystore passphrase\n")
    out = kp.path("key.json")
    r = _recover(kp, export_ctx, W.SECP256K1, "CGGMP21", key, "--out-format", "keystore", "--out", out,
                 "--key-passphrase-file", pf, "--kdf", "interactive")
    assert r.rc == 0, r.describe()
    assert r.out == b""
    assert eth.PublicKey().ToAddress() in r.err  # the addresses on stderr
    ks = json.loads(out.read_text())
    priv = eth_keyfile.decode_keyfile_json(ks, b"keystore passphrase")
    assert Account.from_key(priv).address == eth.PublicKey().ToAddress()
    assert Account.decrypt(ks, "keystore passphrase") == priv
    assert (out.stat().st_mode & 0o777) == 0o600
    # never over an existing file
    before = out.read_bytes()
    r = _recover(kp, export_ctx, W.SECP256K1, "CGGMP21", key, "--out-format", "keystore", "--out", out,
                 "--key-passphrase-file", pf)
    assert r.rc == H.EXIT_IO and r.out == b"" and "exists" in r.err, r.describe()
    assert out.read_bytes() == before


def test_round_trip_wif_and_hex(kp, export_ctx):
    k = W.SECP256K1.random_scalar(random.Random("rt-wif"))
    r = _recover(kp, export_ctx, W.SECP256K1, "CGGMP21", k, "--out-format", "wif")
    assert r.rc == 0, r.describe()
    raw = base58.b58decode_check(r.out.strip())
    assert raw == b"\x80" + k.to_bytes(32, "big") + b"\x01"
    r = _recover(kp, export_ctx, W.SECP256K1, "FROST_BITCOIN", k, "--out-format", "wif-testnet")
    assert base58.b58decode_check(r.out.strip())[0] == 0xEF
    pub = coincurve.PrivateKey(k.to_bytes(32, "big")).public_key.format()
    assert P2TRAddrEncoder.EncodeKey(pub, hrp="bc") in r.err
    r = _recover(kp, export_ctx, W.STARK, "CGGMP21", 12345, "--out-format", "stark-hex")
    assert r.out == b"%064x\n" % 12345


def test_round_trip_ed25519_expanded_signs_as_rfc8032(kp, export_ctx):
    seed = random.Random("rt-ed").randbytes(32)
    pk, sk = sodium.crypto_sign_seed_keypair(seed)
    key, _ = _import(kp, random.Random("rt-ed-imp"), W.ED25519, "FROST", "solana-keypair", json.dumps(list(sk)))
    r = _recover(kp, export_ctx, W.ED25519, "FROST", key, "--out-format", "ed25519-expanded")
    assert r.rc == 0, r.describe()
    e = bytes.fromhex(r.out.decode().strip())
    assert len(e) == 64
    assert base58.b58encode(pk).decode() in r.err
    a = int.from_bytes(e[:32], "little")
    A = sodium.crypto_scalarmult_ed25519_base_noclamp(e[:32])
    assert A == pk
    for msg in [b"", b"keyport", bytes(range(200))]:
        # RFC 8032 §5.1.6 with the expanded secret (scalar, prefix)
        rr = int.from_bytes(hashlib.sha512(e[32:] + msg).digest(), "little") % ED_L
        R = sodium.crypto_scalarmult_ed25519_base_noclamp(rr.to_bytes(32, "little"))
        h = int.from_bytes(hashlib.sha512(R + A + msg).digest(), "little") % ED_L
        S = (rr + h * a) % ED_L
        VerifyKey(pk).verify(msg, R + S.to_bytes(32, "little"))


@pytest.mark.parametrize("fmt,reason", [("ed25519-seed", "seed"), ("solana-keypair", "seed"),
                                        ("solana-base58", "seed"), ("xprv", "chain code"), ("mnemonic", "scalar")])
def test_export_refuses_formats_it_cannot_make(kp, export_ctx, fmt, reason):
    case = H.build_export(W.ED25519, "FROST", export_ctx.ek, random.Random("refuse"))
    r = kp.fail(*H.recover_args(kp, export_ctx, case.response), "--out-format", fmt, "--out", "k.out",
                codes=H.EXIT_USAGE, must_not_exist=["k.out"])
    assert reason in r.err


def test_export_wif_of_an_ed25519_key_is_refused_after_recovery(kp, export_ctx):
    case = H.build_export(W.ED25519, "FROST", export_ctx.ek, random.Random("refuse-wif"))
    r = kp.fail(*H.recover_args(kp, export_ctx, case.response), "--out-format", "wif", "--out", "k.out",
                codes=H.EXIT_INPUT, must_not_exist=["k.out"])
    assert "secp256k1" in r.err


def test_import_audit_event_holds_format_path_and_addresses(kp):
    m = mnemonic(12)
    seed = Bip39SeedGenerator(m).Generate()
    b84 = acct(Bip84.FromSeed(seed, Bip84Coins.BITCOIN), 0)
    pf = kp.write("op.pass", "operator pass\n")
    kp.ok("operator", "new", "--name", "carol", "--out", "carol.kpo", "--passphrase-file", pf, "--kdf", "interactive")
    key, r = _import(kp, random.Random("audit"), W.SECP256K1, "CGGMP21", "mnemonic", m, "--path", "m/84'/0'/0'/0/0",
                     "--audit", "log.jsonl", "--audit-key", "carol.kpo", "--audit-passphrase-file", pf)
    [_, entry] = [json.loads(line) for line in kp.path("log.jsonl").read_text().splitlines()]
    assert entry["event"] == "import.prepared"
    d = entry["details"]
    assert d["keyFormat"] == "mnemonic" and d["path"] == "m/84'/0'/0'/0/0"
    assert d["addresses"]["bitcoin-p2wpkh"] == b84.PublicKey().ToAddress()
    assert entry["publicKey"] == b84.PublicKey().RawCompressed().ToHex()
    text = kp.path("log.jsonl").read_text()
    words = m.split()
    assert all(" ".join(words[i:i + 2]) not in text for i in range(11))  # no part of the mnemonic in the log
    kp.ok("audit", "verify", "log.jsonl")


def test_mnemonic_from_standard_input_and_usage_errors(kp):
    m = mnemonic(12)
    seed = Bip39SeedGenerator(m).Generate()
    want = acct(Bip44.FromSeed(seed, Bip44Coins.ETHEREUM), 0).PublicKey().ToAddress()
    r = kp.ok("key", "show", "--format", "mnemonic", "--key-file", "-", "--path", "m/44'/60'/0'/0/0",
              stdin=(m + "\n").encode())
    assert want in r.out.decode()
    kf = kp.write("m.txt", m)
    kp.fail("key", "show", "--format", "mnemonic", "--key-file", kf, codes=H.EXIT_USAGE)  # no path
    kp.fail("key", "show", "--format", "hex", "--key-file", kf, codes=H.EXIT_USAGE)  # no curve
    kp.fail("key", "show", "--format", "wif", "--key-file", kf, "--path", "m/0", codes=H.EXIT_USAGE)
    kp.fail("key", "show", "--format", "wif", "--key-file", kf, "--curve", "stark", codes=H.EXIT_USAGE)
    kp.fail("key", "show", "--key-file", kf, codes=H.EXIT_USAGE)  # no format
    kp.fail("key", "frobnicate", codes=H.EXIT_USAGE)


def test_export_hex_to_a_file(kp, export_ctx):
    k = W.SECP256K1.random_scalar(random.Random("hex-out"))
    out = kp.path("k.hex")
    r = _recover(kp, export_ctx, W.SECP256K1, "CGGMP21", k, "--out", out)
    assert r.rc == 0 and r.out == b"", r.describe()
    assert out.read_text() == "%064x\n" % k
    assert Account.from_key(k.to_bytes(32, "big")).address in r.err
