"""pytest configuration for the keyport cross-check suite.

Environment:
  KEYPORT_BIN  the built `keyport` executable (required by every test that runs the command:
               they fail, not skip, when it is missing);
  KEYPORT_LIB  the built libkeyport shared library (optional: the ctypes tests skip without it).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import kphelp


def _keyport_bin() -> str:
    path = os.environ.get("KEYPORT_BIN")
    if not path:
        pytest.fail("KEYPORT_BIN is not set: point it at the built keyport executable "
                    "(e.g. KEYPORT_BIN=build/ceremony/keyport pytest tests/python)", pytrace=False)
    p = Path(path)
    if not p.is_file():
        pytest.fail(f"KEYPORT_BIN={path!r} is not a file: build keyport first", pytrace=False)
    if not os.access(p, os.X_OK):
        pytest.fail(f"KEYPORT_BIN={path!r} is not executable", pytrace=False)
    return str(p.resolve())


@pytest.fixture(scope="session")
def keyport_bin() -> str:
    return _keyport_bin()


@pytest.fixture
def kp(keyport_bin, tmp_path) -> kphelp.Keyport:
    """A keyport runner whose working folder is this test's tmp_path."""
    work = tmp_path / "work"
    work.mkdir()
    return kphelp.Keyport(keyport_bin, work)


@pytest.fixture(scope="session")
def export_ctx(keyport_bin, tmp_path_factory) -> kphelp.ExportContext:
    """One export context for the whole session (Argon2id is the slow part of export)."""
    work = tmp_path_factory.mktemp("export-ctx")
    return kphelp.export_init(kphelp.Keyport(keyport_bin, work))


@pytest.fixture(scope="session")
def keyport_lib_path() -> str:
    path = os.environ.get("KEYPORT_LIB")
    if not path:
        pytest.skip("KEYPORT_LIB is not set (ctypes tests of libkeyport skipped)")
    if not Path(path).is_file():
        pytest.fail(f"KEYPORT_LIB={path!r} is not a file", pytrace=False)
    return str(Path(path).resolve())
