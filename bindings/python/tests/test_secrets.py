"""Secrets: secure memory, wiping, no bytes, no pickling, the repr, bytes-like inputs only."""

from __future__ import annotations

import copy
import os
import pickle
import pty
import threading

import pytest

import keyport
from keyport import _keyport
from conftest import secret_bytes


def test_the_key_is_wiped_on_leaving_the_with_block() -> None:
    key = keyport.secret_key("secp256k1", bytes(31) + b"\x07")
    assert _keyport._test_secret_bytes(key) == bytes(31) + b"\x07"
    with key as k:
        assert k is key and not k.wiped
        buf = bytearray(40)
        assert k.copy_into(buf) == 32 and bytes(buf[:32]) == bytes(31) + b"\x07"
    assert key.wiped
    assert _keyport._test_secret_bytes(key) == bytes(32)


def test_wipe_and_a_recovered_key(cluster: keyport.LocalCluster) -> None:
    key = keyport.random_key("ed25519")
    kid = cluster.import_key(keyport.import_prepare(cluster.signers_document(), key, protocol="FROST"))
    ctx = keyport.ExportContext.new()
    r = ctx.recover(cluster.export_key(kid, ctx.export_request()))
    assert secret_bytes(r) == secret_bytes(key)
    assert _keyport._test_secret_bytes(r) != bytes(32)
    r.wipe()
    assert _keyport._test_secret_bytes(r) == bytes(32) and r.wiped
    r.wipe()  # twice is harmless
    with pytest.raises(keyport.MisuseError):
        r.to_format("hex")


def test_the_key_has_no_bytes_and_cannot_be_pickled_or_copied() -> None:
    key = keyport.random_key("stark")
    with pytest.raises(TypeError):
        bytes(key)  # type: ignore[call-overload]
    with pytest.raises(TypeError):
        memoryview(key)  # type: ignore[arg-type]
    assert not hasattr(key, "__bytes__")
    for proto in range(pickle.HIGHEST_PROTOCOL + 1):
        with pytest.raises(TypeError):
            pickle.dumps(key, protocol=proto)
    with pytest.raises(TypeError):
        copy.copy(key)
    with pytest.raises(TypeError):
        copy.deepcopy(key)
    with pytest.raises(TypeError):
        keyport.SecretKey()
    with pytest.raises(TypeError):
        pickle.dumps(keyport.ExportContext.new())


def test_the_repr_shows_only_the_curve_and_public_key() -> None:
    key = keyport.random_key("secp256k1")
    secret = secret_bytes(key).hex()
    r = repr(key)
    assert "secp256k1" in r and key.public_key.hex() in r and secret not in r
    assert str(key) == r


def test_inputs_accept_bytes_bytearray_and_memoryview() -> None:
    raw = os.urandom(31) + b"\x01"
    for b in (raw, bytearray(raw), memoryview(raw), memoryview(bytearray(b"\0" + raw))[1:]):
        with keyport.secret_key("secp256k1", b) as k:
            assert secret_bytes(k) == raw
    ctx = keyport.ExportContext.new()
    for p in (b"pw", bytearray(b"pw"), memoryview(b"xpwx")[1:3]):
        sealed = ctx.seal(p, keyport.Kdf.INTERACTIVE)
        assert keyport.ExportContext.open(memoryview(sealed), bytearray(b"pw")).encryption_key == ctx.encryption_key


def test_passphrases_and_key_texts_are_never_str() -> None:
    ctx = keyport.ExportContext.new()
    with pytest.raises(TypeError, match="not str"):
        ctx.seal("pw")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not str"):
        keyport.parse_key("01")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not str"):
        keyport.Operator.new("alice", "pw")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        keyport.secret_key("secp256k1", "00" * 32)  # type: ignore[arg-type]


def test_to_format_gives_a_bytearray() -> None:
    with keyport.secret_key("secp256k1", bytes(31) + b"\x01") as k:
        out = k.to_format("wif")
        assert isinstance(out, bytearray)
        assert out.strip() == b"KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn"
        keyport.wipe(out)
        assert out == bytearray(len(out))


def test_getpass_reads_without_echo_into_a_bytearray() -> None:
    import termios

    master, slave = pty.openpty()
    got: list[bytearray] = []
    echo_during: list[bool] = []

    def reader() -> None:
        got.append(keyport.getpass("Pass: ", fd=slave))

    t = threading.Thread(target=reader)
    t.start()
    prompt = b""
    while not prompt.endswith(b"Pass: "):
        prompt += os.read(master, 100)
    # wait until echo is off, then type
    for _ in range(200):
        if not termios.tcgetattr(slave)[3] & termios.ECHO:
            break
        threading.Event().wait(0.01)
    echo_during.append(bool(termios.tcgetattr(slave)[3] & termios.ECHO))
    os.write(master, b"s3cret phrase\n")
    t.join(10)
    assert got == [bytearray(b"s3cret phrase")] and isinstance(got[0], bytearray)
    assert echo_during == [False]
    assert termios.tcgetattr(slave)[3] & termios.ECHO  # restored
    os.set_blocking(master, False)
    try:
        shown = os.read(master, 1000)
    except BlockingIOError:
        shown = b""
    assert b"s3cret" not in shown
    os.close(master)
    os.close(slave)


def test_read_secret(tmp_path: os.PathLike[str]) -> None:
    p = os.path.join(tmp_path, "pass.txt")
    with open(p, "wb") as f:
        f.write(b"phrase\n")
    s = keyport.read_secret(p)
    assert s == bytearray(b"phrase") and isinstance(s, bytearray)
