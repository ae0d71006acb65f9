"""The daemon itself: start-up, files and their modes, the token, signals, secrets at rest."""

from __future__ import annotations

import json
import random
import signal
import stat
import subprocess

import pytest

import kpd
import wire_ref as W


def mode(p) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_first_start_makes_its_files_private(clusters):
    c = clusters.new()
    d = c.data
    assert "the bearer token is in " + str(d / "token") in c.stdout
    for name in ("token", "cluster.kpo", "cluster.pass.sealed", "api.db"):
        assert mode(d / name) == 0o600, name
    # the key that seals the folder's keys is outside it, made on first start
    assert mode(c.key_file) == 0o600 and len(bytes.fromhex(c.key_file.read_text().strip())) == 32
    assert not (d / "cluster.pass").exists()
    for i in range(1, 6):
        s = d / f"signer-{i}"
        assert mode(s) == 0o700
        # sealed (kp_at_rest_seal: 24-byte nonce, 16-byte tag), never in the clear
        assert not (s / "encryption.key").exists() and not (s / "storage.key").exists()
        assert mode(s / "encryption.key.sealed") == 0o600 and len((s / "encryption.key.sealed").read_bytes()) == 33 + 40
        assert mode(s / "storage.key.sealed") == 0o600 and len((s / "storage.key.sealed").read_bytes()) == 32 + 40
        assert mode(s / "signer.db") == 0o600
    assert len(c.token) >= 40
    # every signer has its own keys
    assert len({(d / f"signer-{i}" / "storage.key.sealed").read_bytes() for i in range(1, 6)}) == 5


def test_token_file(clusters, tmp_path):
    tf = tmp_path / "my-token"
    tf.write_text("a-token-chosen-by-the-operator\n")
    c = clusters.new(args=["--token-file", str(tf)])
    assert not (c.data / "token").exists()
    client = kpd.Client(c, None, None, token="a-token-chosen-by-the-operator")
    assert client.get("/keys").status == 200
    assert client.call("GET", "/keys", token="a-token-chosen-by-the-operator-").status == 401


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stops_cleanly_on_signal(clusters, sig):
    c = clusters.new()
    c.proc.send_signal(sig)
    assert c.wait_dead() == 0
    assert f"stopping on signal {int(sig)}" in c.stderr()


def test_shares_are_sealed_at_rest(clusters):
    """No signer database holds a share in the clear, as bytes or as hex (API.md: kp_at_rest_seal)."""
    c = clusters.client(clusters.new())
    signers = c.get("/signers").body
    body = kpd.python_import_request(signers, "secp256k1", "CGGMP21", kpd.KEYS["secp256k1"], rng=random.Random(5))
    assert c.import_key(body).status == 200
    # the same split again, to know the shares
    _, shares = W.shamir_split(int(kpd.KEYS["secp256k1"], 16), 3, range(1, 6), W.SECP256K1_N, random.Random(5))
    assert c.cluster.stop() == 0
    blobs = b"".join(p.read_bytes() for p in c.cluster.data.glob("signer-*/signer.db*"))
    for x, s in shares.items():
        raw = s.to_bytes(32, "big")
        assert raw not in blobs and raw.hex().encode() not in blobs, f"share {x} is in the clear"
    c.cluster.start()


@pytest.mark.parametrize("args,words", [
    (["--signers", "1"], "--signers must be a number from 2 to 64"),
    (["--signers", "65"], "--signers must be a number from 2 to 64"),
    (["--bogus", "x"], "unknown option"),
    (["--signer-url", "http://127.0.0.1:1"], "pairs"),
    (["--listen"], "needs a value"),
])
def test_bad_arguments(keyportd_bin, tmp_path, args, words):
    r = subprocess.run([keyportd_bin, "--data", str(tmp_path / "d"), "--storage-key-file", str(tmp_path / "k"), *args],
                       capture_output=True, timeout=30)
    assert r.returncode == 2, r
    assert words in r.stderr.decode()
    assert r.stdout == b""


def test_bad_policy_file_stops_the_start(keyportd_bin, tmp_path):
    pol = tmp_path / "policy.json"
    pol.write_text(json.dumps({"version": 1, "id": "p", "operators": [], "quorum": {}}))
    r = subprocess.run([keyportd_bin, "--data", str(tmp_path / "d"), "--listen", "127.0.0.1:0", "--policy", str(pol),
                        "--storage-key-file", str(tmp_path / "k")], capture_output=True, timeout=30)
    assert r.returncode == 1
    assert "--policy " + str(pol) in r.stderr.decode()


def test_bad_credentials_file_stops_the_start(keyportd_bin, tmp_path):
    cf = tmp_path / "creds.json"
    cf.write_text(json.dumps([{"credId": "a", "algorithm": "RSA", "publicKey": "00"}]))
    r = subprocess.run([keyportd_bin, "--data", str(tmp_path / "d"), "--listen", "127.0.0.1:0", "--credentials",
                        str(cf), "--storage-key-file", str(tmp_path / "k")], capture_output=True, timeout=30)
    assert r.returncode == 1
    err = r.stderr.decode()
    assert "entry 0" in err and "algorithm" in err


def test_help(keyportd_bin):
    r = subprocess.run([keyportd_bin, "--help"], capture_output=True, timeout=30)
    assert r.returncode == 0 and b"keyportd signer" in r.stdout
