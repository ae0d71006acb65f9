"""The key formats through a real cluster: a mnemonic (made by bip-utils) -> keyport import prepare
--key-format mnemonic --path -> keyportd -> export -> keyport export recover --out-format keystore ->
eth-keyfile reads it back -> the same address bip-utils derives; and the same for a Solana key
(SLIP-10) written out as the expanded secret, which signs and verifies with PyNaCl."""

from __future__ import annotations

import hashlib
import json

import base58
import eth_keyfile
from bip_utils import Bip39MnemonicGenerator, Bip39SeedGenerator, Bip39WordsNum, Bip44, Bip44Changes, Bip44Coins
from eth_account import Account
from nacl import bindings as sodium
from nacl.signing import VerifyKey

import wire_ref as W


def _import_export(shared, keyport, export_ctx, curve, protocol, mnemonic, path, out_format, tag, *extra):
    signers = shared.get("/signers").body
    sig = keyport.write(f"signers-{tag}.json", signers)
    mf = keyport.write(f"mnemonic-{tag}.txt", mnemonic + "\n")
    r = keyport.ok("import", "prepare", "--signers", sig, "--curve", curve, "--protocol", protocol, "--key-file", mf,
                   "--key-format", "mnemonic", "--path", path, "--name", f"fmt-{tag}")
    a = shared.import_key(r.out.strip())
    assert a.status == 200, a.describe()
    ctx, request = export_ctx
    e = shared.export_key(a.json["id"], request)
    assert e.status == 200, e.describe()
    rf = keyport.write(f"response-{tag}.json", e.body)
    pf = keyport.dir / (ctx.stem + ".pass")
    out = keyport.dir / f"out-{tag}"
    rec = keyport.ok("export", "recover", "--context", ctx, "--passphrase-file", pf, "--response", rf,
                     "--out-format", out_format, "--out", out, *extra)
    assert rec.out == b""
    return r.err, rec.err, out


def test_mnemonic_through_the_cluster_to_a_keystore(shared, keyport, export_ctx):
    m = str(Bip39MnemonicGenerator().FromWordsNumber(Bip39WordsNum.WORDS_NUM_12))
    eth = (Bip44.FromSeed(Bip39SeedGenerator(m).Generate(), Bip44Coins.ETHEREUM).Purpose().Coin().Account(0)
           .Change(Bip44Changes.CHAIN_EXT).AddressIndex(1))
    want = eth.PublicKey().ToAddress()
    kpass = keyport.write("keystore.pass", "cluster round trip\n")
    import_err, export_err, out = _import_export(shared, keyport, export_ctx, "secp256k1", "CGGMP21", m,
                                                 "m/44'/60'/0'/0/1", "keystore", "eth", "--key-passphrase-file", kpass,
                                                 "--kdf", "interactive")
    assert want in import_err and want in export_err
    priv = eth_keyfile.decode_keyfile_json(json.loads(out.read_text()), b"cluster round trip")
    assert Account.from_key(priv).address == want


def test_solana_mnemonic_through_the_cluster_signs_as_rfc8032(shared, keyport, export_ctx):
    m = str(Bip39MnemonicGenerator().FromWordsNumber(Bip39WordsNum.WORDS_NUM_24))
    sol = (Bip44.FromSeed(Bip39SeedGenerator(m).Generate(), Bip44Coins.SOLANA).Purpose().Coin().Account(0)
           .Change(Bip44Changes.CHAIN_EXT))
    want = sol.PublicKey().ToAddress()
    import_err, export_err, out = _import_export(shared, keyport, export_ctx, "ed25519", "FROST", m,
                                                 "m/44'/501'/0'/0'", "ed25519-expanded", "sol")
    assert want in import_err and want in export_err
    e = bytes.fromhex(out.read_text().strip())
    pk = base58.b58decode(want)
    A = sodium.crypto_scalarmult_ed25519_base_noclamp(e[:32])
    assert A == pk
    msg = b"a Solana transaction"
    r = int.from_bytes(hashlib.sha512(e[32:] + msg).digest(), "little") % W.ED25519_L
    R = sodium.crypto_scalarmult_ed25519_base_noclamp(r.to_bytes(32, "little"))
    h = int.from_bytes(hashlib.sha512(R + A + msg).digest(), "little") % W.ED25519_L
    S = (r + h * int.from_bytes(e[:32], "little")) % W.ED25519_L
    VerifyKey(pk).verify(msg, R + S.to_bytes(32, "little"))
