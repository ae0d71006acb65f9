"""The exception hierarchy: every status code maps to one class, and every class is reached by a
real call where one can reach it (the others through the C module's raising path)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import keyport
from keyport import _keyport

TABLE = _keyport.status_table()


def test_every_status_code_maps_to_one_class() -> None:
    codes = [code for _name, code, _msg in TABLE]
    assert len(codes) == len(set(codes)) and 0 in codes
    for name, code, msg in TABLE:
        assert keyport.status_name(code) == name and keyport.strerror(code) == msg
        assert keyport.Status[name.removeprefix("KP_")] == code
        if code == 0:
            continue
        cls = keyport.error_class(code)
        assert issubclass(cls, keyport.KeyportError)
        # raised through the C module's one raising path, with code, name and detail
        with pytest.raises(cls) as ei:
            _keyport._raise_status(code, f"detail of {name}")
        assert type(ei.value) is cls
        assert (ei.value.code, ei.value.name, ei.value.detail) == (code, name, f"detail of {name}")
        assert name in str(ei.value)


def test_the_status_enum_is_the_table() -> None:
    assert [(f"KP_{s.name}", int(s)) for s in keyport.Status] == [(n, c) for n, c, _ in TABLE]


def test_the_status_table_is_the_header_table() -> None:
    header = Path(__file__).resolve().parents[1] / "subprojects" / "libkeyport" / "libcore" / "include" / "keyport_status.h"
    rows = re.findall(r"X\((KP_\w+),\s+(\d+),", header.read_text())
    assert [(n, int(c)) for n, c in rows] == [(n, c) for n, c, _ in TABLE]


def test_families_and_natural_bases() -> None:
    E = keyport
    assert issubclass(E.EncodingError, ValueError) and issubclass(E.InvalidKeyError, ValueError)
    assert issubclass(E.KeyFormatError, ValueError) and issubclass(E.SharingError, ValueError)
    assert issubclass(E.KeyportIOError, OSError) and issubclass(E.KeyportMemoryError, MemoryError)
    assert issubclass(E.RecoveryError, E.SharingError)
    assert issubclass(E.WrongContextError, E.RecoveryError) and issubclass(E.WrongContextError, E.DecryptionError)
    assert issubclass(E.ApiError, E.KeyportError)
    for code, cls in {1: E.MisuseError, 2: E.KeyportMemoryError, 3: E.InternalError, 10: E.EncodingError,
                      22: E.InvalidKeyError, 30: E.DecryptionError, 33: E.WrongContextError, 40: E.SharingError,
                      42: E.RecoveryError, 50: E.ApprovalError, 60: E.AuditLogError, 61: E.KeyportIOError,
                      62: E.AuditLogError, 75: E.KeyFormatError}.items():
        assert E.error_class(code) is cls


def test_classes_reached_by_real_calls(tmp_path: Path, cluster: keyport.LocalCluster) -> None:
    E = keyport
    with pytest.raises(E.EncodingError) as ei:
        E.signers(b"{not json")
    assert ei.value.code == 12 and ei.value.detail
    with pytest.raises(E.InvalidKeyError) as e2:
        E.secret_key("secp256k1", bytes(32))
    assert e2.value.code == 22
    with pytest.raises(E.InvalidKeyError):
        E.scheme_check("FROST", "secp256k1")
    ctx = E.ExportContext.new()
    sealed = ctx.seal(b"right", E.Kdf.INTERACTIVE)
    with pytest.raises(E.DecryptionError) as e3:
        E.ExportContext.open(sealed, b"wrong")
    assert e3.value.code == 30
    with pytest.raises(E.DecryptionError) as e4:
        E.ExportContext.open(sealed[:-1], b"right")
    assert e4.value.code == 31
    with pytest.raises(E.SharingError) as e5:
        E.import_prepare(cluster.signers_document(), b"01", protocol="CGGMP21", min_signers=9)
    assert e5.value.code == 40
    with pytest.raises(E.KeyFormatError) as e6:
        E.parse_key(b"abandon abandon", "mnemonic", path="m/0")
    assert e6.value.code == 73
    with pytest.raises(E.KeyFormatError):
        E.key_write_check("xprv", "secp256k1")
    op, _file = E.Operator.new("alice", b"pw", E.Kdf.INTERACTIVE)
    with pytest.raises(E.ApprovalError) as e7:
        E.Policy.parse(b'{"version":1,"id":"p","operators":[],"quorum":{"import":1,"export":1,"archive":1}}')
    assert e7.value.code == 51
    with pytest.raises(E.KeyportIOError) as e8:
        E.AuditLog.open(tmp_path, op)  # a folder, not a file
    assert e8.value.code == 61 and isinstance(e8.value, OSError)
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"not a log\n")
    with pytest.raises(E.AuditLogError):
        E.AuditLog.open(bad, op)
    with pytest.raises(E.MisuseError):
        _keyport._test_misuse()


def test_misuse_never_aborts_and_is_counted() -> None:
    before = _keyport._test_misuse_count()
    for _ in range(3):
        with pytest.raises(keyport.MisuseError) as ei:
            _keyport._test_misuse()
        assert ei.value.code == 1 and "contract" in ei.value.detail
    assert _keyport._test_misuse_count() == before + 3
    k = keyport.random_key("ed25519")
    k.wipe()
    with pytest.raises(keyport.MisuseError):
        k.copy_into(bytearray(32))
    with pytest.raises(keyport.MisuseError):
        with k:
            pass


def test_recovery_error_carries_the_signer_table(cluster: keyport.LocalCluster) -> None:
    body = keyport.import_prepare(cluster.signers_document(), keyport.random_key("secp256k1"), protocol="CGGMP21")
    kid = cluster.import_key(body)
    ctx, other = keyport.ExportContext.new(), keyport.ExportContext.new()
    resp = json.loads(cluster.export_key(kid, ctx.export_request()))
    # two shares sealed to another context: 3 open, 2 are bad; then only 2 left that open
    sids = [e["signerId"] for e in resp["encryptedKeyShares"]]
    foreign = json.loads(cluster.export_key(kid, other.export_request()))["encryptedKeyShares"]
    for i in (0, 1, 2):
        resp["encryptedKeyShares"][i] = foreign[i]
    with pytest.raises(keyport.RecoveryError) as ei:
        ctx.recover(resp)
    e = ei.value
    assert e.code == 42 and type(e) is keyport.RecoveryError
    states = {s.signer_id: s for s in e.signers}
    assert set(states) == set(sids)
    assert [states[s].state for s in sids] == ["bad", "bad", "bad", "opened", "opened"]
    assert states[sids[0]].code == 30 and "decrypt" in states[sids[0]].reason
    with pytest.raises(keyport.WrongContextError) as ew:
        other.recover(cluster.export_key(kid, ctx.export_request()))
    assert ew.value.code == 33 and other.fingerprint in ew.value.detail
    assert {s.state for s in ew.value.signers} == {"bad"}
