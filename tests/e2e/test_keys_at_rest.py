"""Keys are not kept beside their locks: a copy of a DATA folder (a backup, a snapshot) opens no
share and no audit key. The storage key comes from a key file on another path, or from a
passphrase through Argon2id (API.md "Keys from outside the data folder")."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess

import nacl.bindings
import pytest

import kpd


def sealed_shares(data) -> list[tuple[str, bytes, bytes]]:
    """(signer folder, key id, sealed share) of every committed share of an embedded cluster."""
    out = []
    for d in sorted(data.glob("signer-*")):
        con = sqlite3.connect(f"file:{d / 'signer.db'}?mode=ro", uri=True)
        try:
            for key_id, sealed in con.execute("SELECT key_id, sealed FROM shares"):
                out.append((d.name, key_id, bytes(sealed)))
        finally:
            con.close()
    return out


def opens(key: bytes, key_id: str, sealed: bytes) -> bool:
    """kp_at_rest_open, independently: XChaCha20-Poly1305, nonce first, ad = key id (PyNaCl)."""
    try:
        nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(sealed[24:], key_id.encode(), sealed[:24], key)
        return True
    except Exception:  # noqa: BLE001 - any failure to open is what is wanted
        return False


def candidate_keys(folder, recursive: bool = True) -> set[bytes]:
    """Every 32-byte string found in the folder's files: raw at any offset, and hex-decoded."""
    keys = set()
    for p in (folder.rglob("*") if recursive else folder.iterdir()):
        if not p.is_file():
            continue
        raw = p.read_bytes()
        for i in range(0, max(0, len(raw) - 31)):
            keys.add(raw[i:i + 32])
        text = raw.decode("latin-1")
        for i in range(0, max(0, len(text) - 63)):
            chunk = text[i:i + 64]
            try:
                keys.add(bytes.fromhex(chunk))
            except ValueError:
                pass
    return keys


def test_a_copied_data_folder_opens_nothing(clusters, keyport, export_ctx, tmp_path):
    c = clusters.client(clusters.new())
    key_file = c.cluster.key_file
    assert key_file is not None and c.cluster.data not in key_file.parents
    signers = c.get("/signers").body
    body = keyport.import_prepare(signers, "secp256k1", "CGGMP21", kpd.KEYS["secp256k1"], tag="copy")
    a = c.import_key(body)
    assert a.status == 200, a.describe()
    assert c.cluster.stop() == 0

    copy = tmp_path / "backup-of-data"
    shutil.copytree(c.cluster.data, copy)
    shares = sealed_shares(copy)
    assert len(shares) == 5
    top = candidate_keys(copy, recursive=False)
    for folder, key_id, sealed in shares:
        # the sealed share as a signer stores it: with no key of the folder does it open
        keys = top | candidate_keys(copy / folder)
        assert not any(opens(k, key_id, sealed) for k in keys), f"{folder}: a share opens with a key from the copy"

    # the cluster's audit identity does not unlock with any file of the copy as its passphrase
    op = copy / "cluster.kpo"
    assert op.exists()
    req = keyport.write("copy-req.json", b"{}")
    for p in sorted(copy.rglob("*")):
        if p.is_file() and 0 < p.stat().st_size <= 1024 and p.name != "cluster.kpo":
            r = keyport.run("approve", "--operator", op, "--passphrase-file", p, "--policy", clusters.team.policy_path,
                            "--action", "archive", "--key-id", "key-x", "--request", req,
                            "--bundle", keyport.dir / "copy-bundle.json")
            assert r.rc == 4, f"{p.name} unlocks the cluster's audit key: {r.err}"

    # the copy does not start without the key, nor with another one
    other = tmp_path / "another.key"
    other.write_text(os.urandom(32).hex() + "\n")
    for args, words in ((["--storage-key-file", str(other)], "does not open"), ([], "--storage-key-file")):
        cmd = [c.cluster.binary, "--data", str(copy), "--listen", "127.0.0.1:0", *args]
        r = subprocess.run(cmd, capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
        assert r.returncode != 0 and b"listening" not in r.stdout, r
        assert words in r.stderr.decode(), r.stderr.decode()

    # the owner, with the key, still has everything
    c.cluster.start()
    ctx, request = export_ctx
    e = c.export_key(a.json["id"], request)
    assert e.status == 200, e.describe()
    assert keyport.export_recover(ctx, e.body, tag="copy")["privateKey"] == kpd.KEYS["secp256k1"]


def test_a_key_file_inside_the_data_folder_is_refused(keyportd_bin, tmp_path):
    data = tmp_path / "d"
    data.mkdir()
    r = subprocess.run([keyportd_bin, "--data", str(data), "--listen", "127.0.0.1:0",
                        "--storage-key-file", str(data / "storage.key")], capture_output=True, timeout=60)
    assert r.returncode == 2, r
    assert "outside" in r.stderr.decode()
    assert not (data / "storage.key").exists() and list(data.iterdir()) == []


def test_a_passphrase_through_argon2id(clusters, keyport, tmp_path):
    """--storage-passphrase-file: the storage key is sealed under the passphrase (Argon2id); a
    wrong passphrase opens nothing, and the right one opens everything after a restart."""
    pf = tmp_path / "storage.pass"
    pf.write_text("a long storage passphrase\n")
    c = clusters.client(clusters.new(args=["--storage-passphrase-file", str(pf), "--kdf", "interactive"], key_file=False))
    signers = c.get("/signers").body
    body = keyport.import_prepare(signers, "ed25519", "FROST", kpd.KEYS["ed25519"], tag="pass")
    a = c.import_key(body)
    assert a.status == 200, a.describe()
    assert c.cluster.stop() == 0
    assert not list(c.cluster.data.rglob("storage.key"))
    wrong = tmp_path / "wrong.pass"
    wrong.write_text("another passphrase\n")
    r = subprocess.run([c.cluster.binary, "--data", str(c.cluster.data), "--listen", "127.0.0.1:0",
                        "--storage-passphrase-file", str(wrong)], capture_output=True, timeout=60)
    assert r.returncode != 0 and b"listening" not in r.stdout
    assert "wrong passphrase" in r.stderr.decode(), r.stderr.decode()
    c.cluster.start()
    assert [k["id"] for k in c.keys()] == [a.json["id"]]


@pytest.mark.parametrize("missing", ["key file", "passphrase"])
def test_a_signer_needs_its_key_from_outside(keyportd_bin, tmp_path, missing):
    secret = tmp_path / "secret"
    secret.write_text("s" * 64)
    args = [keyportd_bin, "signer", "--data", str(tmp_path / "sd"), "--listen", "127.0.0.1:0", "--secret-file",
            str(secret)]
    r = subprocess.run(args, capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    assert r.returncode == 2, r
    assert "--storage-key-file" in r.stderr.decode()
    assert not (tmp_path / "sd").exists()


def listening(p: subprocess.Popen, timeout: float = 120) -> bool:
    """Whether the process prints its "listening" line within timeout (it is killed if not)."""
    import threading

    got = []

    def read():
        for _ in range(8):
            line = p.stdout.readline()
            if not line or b"listening on" in line:
                got.append(bool(line))
                return
        got.append(False)

    t = threading.Thread(target=read, daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():
        p.kill()
        t.join(10)
    return bool(got and got[0])


def test_a_passphrase_asked_on_the_terminal(keyportd_bin, tmp_path):
    """Without a key option, on a terminal, keyportd asks for the storage passphrase (twice on the
    first start); the key is sealed under what was typed."""
    import fcntl
    import pty
    import select
    import termios
    import time

    master, slave = pty.openpty()

    def controlling_terminal():
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    data = tmp_path / "d"
    p = subprocess.Popen([keyportd_bin, "--data", str(data), "--listen", "127.0.0.1:0", "--kdf", "interactive"],
                         stdin=slave, stdout=subprocess.PIPE, stderr=slave, preexec_fn=controlling_terminal)
    os.close(slave)
    seen = b""

    def wait_for(words: bytes, timeout: float = 30) -> bool:
        nonlocal seen
        deadline = time.time() + timeout
        while words not in seen and time.time() < deadline:
            r, _, _ = select.select([master], [], [], 0.2)
            if r:
                try:
                    seen += os.read(master, 4096)
                except OSError:
                    break
        return words in seen

    def answer(prompt: bytes, then: bytes):
        # the prompt turns echo off with TCSAFLUSH, which drops what was typed before: type again
        # until the next prompt shows
        assert wait_for(prompt), seen
        for _ in range(20):
            time.sleep(0.3)
            os.write(master, b"typed at the terminal\n")
            if wait_for(then, timeout=3):
                return
        raise AssertionError(seen)

    try:
        answer(b"New storage passphrase: ", b"Repeat the passphrase: ")
        answer(b"Repeat the passphrase: ", b"Repeat the passphrase: \r\n")
        assert listening(p), seen
        assert b"typed at the terminal" not in seen, "the passphrase was echoed"
    finally:
        p.kill()
        p.wait(timeout=90)
        p.stdout.close()
        os.close(master)
    assert (data / "storage.kpx").exists()
    pf = tmp_path / "pass"
    pf.write_text("typed at the terminal\n")
    r = subprocess.Popen([keyportd_bin, "--data", str(data), "--listen", "127.0.0.1:0", "--storage-passphrase-file",
                          str(pf)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        assert listening(r)
    finally:
        r.kill()
        r.wait(timeout=90)
        r.stdout.close()
        r.stderr.close()


def test_a_data_folder_with_keys_in_the_clear_is_sealed_at_start(clusters, keyport, export_ctx):
    """A folder as an older keyportd left it (storage.key, encryption.key and cluster.pass in the
    clear): the next start seals them under the key from outside and removes the clear copies,
    and every key still exports."""
    c = clusters.client(clusters.new())
    body = keyport.import_prepare(c.get("/signers").body, "stark", "CGGMP21", kpd.KEYS["stark"], tag="clear")
    a = c.import_key(body)
    assert a.status == 200, a.describe()
    assert c.cluster.stop() == 0
    k = bytes.fromhex(c.cluster.key_file.read_text().strip())
    data = c.cluster.data
    sealed_files = [data / "cluster.pass.sealed"] + [d / n for d in data.glob("signer-*")
                                                     for n in ("encryption.key.sealed", "storage.key.sealed")]
    for f in sealed_files:
        name = f.name[:-len(".sealed")]
        raw = f.read_bytes()
        clear = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(raw[24:], name.encode(), raw[:24], k)
        (f.parent / name).write_bytes(clear)
        f.unlink()
    c.cluster.start()
    for f in sealed_files:
        assert f.exists() and not (f.parent / f.name[:-len(".sealed")]).exists(), f
    assert "is now sealed in" in c.cluster.stderr()
    ctx, request = export_ctx
    e = c.export_key(a.json["id"], request)
    assert e.status == 200, e.describe()
    assert keyport.export_recover(ctx, e.body, tag="clear")["privateKey"] == kpd.KEYS["stark"]
    assert keyport.audit_verify(c.audit_raw()).rc == 0
