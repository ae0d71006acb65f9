"""The installed package: one abi3 extension that exports PyInit__keyport and no kp_* symbol, the
type information files, and the version."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import keyport
from keyport import _keyport


def test_the_extension_is_abi3_and_exports_only_its_init() -> None:
    so = Path(_keyport.__file__)
    assert so.name == "_keyport.abi3.so", so.name
    nm = shutil.which("nm")
    assert nm is not None, "nm (binutils) is needed for this test"
    out = subprocess.run([nm, "-D", "--defined-only", str(so)], capture_output=True, text=True, check=True).stdout
    names = [line.split()[-1] for line in out.splitlines() if line.strip()]
    assert names == ["PyInit__keyport"], names
    assert not any(n.startswith("kp_") for n in names)
    undefined = subprocess.run([nm, "-D", "--undefined-only", str(so)], capture_output=True, text=True,
                               check=True).stdout
    assert "kp_" not in undefined  # libkeyport is linked in, not looked up


def test_type_information_is_installed() -> None:
    here = Path(keyport.__file__).parent
    assert (here / "py.typed").is_file()
    assert (here / "_keyport.pyi").is_file()


def test_versions() -> None:
    assert keyport.__version__ == keyport.LIBRARY_VERSION
    root = Path(__file__).resolve().parents[1] / "meson.build"
    assert f"version : '{keyport.__version__}'" in root.read_text()
