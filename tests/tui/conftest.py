"""pytest configuration of the keyport-ceremony tests (tmux at 80x24 on a private socket).

Environment:
  KEYPORT_CEREMONY_BIN  the built app (build/tui/keyport-ceremony); required
  KEYPORT_BIN           the built keyport command (build/ceremony/keyport); required
  KEYPORTD_BIN          the built keyportd (build/server/keyportd); required
  KP_TUI_GOLDEN=update  rewrite tests/tui/golden/*.txt from the screens seen instead of comparing
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent / "e2e"))     # keyportd started as the end-to-end tests start it
sys.path.insert(2, str(HERE.parent / "python"))  # the independent Know-Your-Key reference

import kpd  # noqa: E402
from tmuxterm import Tmux  # noqa: E402


def _binary(var: str, what: str) -> str:
    path = os.environ.get(var)
    if not path:
        pytest.fail(f"{var} is not set: point it at the built {what}", pytrace=False)
    if not os.access(path, os.X_OK):
        pytest.fail(f"{var}={path!r} is not an executable file: build it first", pytrace=False)
    return str(Path(path).resolve())


@pytest.fixture(scope="session")
def app_bin() -> str:
    if shutil.which("tmux") is None:
        pytest.fail("tmux is not installed (.ci/apt-packages lists it)", pytrace=False)
    return _binary("KEYPORT_CEREMONY_BIN", "keyport-ceremony (build/tui/keyport-ceremony)")


@pytest.fixture(scope="session")
def keyport_bin() -> str:
    return _binary("KEYPORT_BIN", "keyport command (build/ceremony/keyport)")


@pytest.fixture(scope="session")
def keyportd_bin() -> str:
    return _binary("KEYPORTD_BIN", "keyportd (build/server/keyportd)")


OPERATORS = ("alice", "bob", "carol")


def passphrase(name: str) -> str:
    return f"pass phrase of {name} 7e1f"


class Team:
    """Three operators made with the command, a policy with 2-of-3 quorums, a credential."""

    def __init__(self, kp: kpd.Keyport):
        self.kp = kp
        self.dir = kp.dir
        for n in OPERATORS:
            pf = kp.write(f"{n}.pass", passphrase(n))
            kp.ok("operator", "new", "--name", n, "--out", f"{n}.kpo", "--passphrase-file", pf, "--kdf", "interactive")
            (self.dir / f"{n}.pass").unlink()
        kp.ok("policy", "new", "--id", "tui-policy", *sum((["--operator", f"{n}.kpo"] for n in OPERATORS), []),
              "--quorum", "import=2", "--quorum", "export=2", "--quorum", "archive=2", "--out", "policy.json")
        kp.ok("credential", "new", "--alg", "Ed25519", "--id", "tui-cred", "--out", "cred.json")
        entry = kp.ok("credential", "show", "cred.json").out.decode().strip().splitlines()[-1]
        (self.dir / "credentials.json").write_text("[" + entry + "]")
        self.policy = json.loads((self.dir / "policy.json").read_text())
        self.pk = {o["name"]: bytes.fromhex(o["publicKey"]) for o in self.policy["operators"]}

    def medium(self, folder: Path) -> Path:
        """A fresh folder (the removable medium) holding the operator files and the policy."""
        folder.mkdir(parents=True, exist_ok=True)
        for n in OPERATORS:
            shutil.copy(self.dir / f"{n}.kpo", folder / f"{n}.kpo")
        shutil.copy(self.dir / "policy.json", folder / "policy.json")
        return folder


@pytest.fixture(scope="session")
def team(keyport_bin, tmp_path_factory) -> Team:
    return Team(kpd.Keyport(keyport_bin, tmp_path_factory.mktemp("team")))


@pytest.fixture(scope="session")
def cluster(keyportd_bin, team, tmp_path_factory):
    c = kpd.Cluster(keyportd_bin, tmp_path_factory.mktemp("cluster") / "data",
                    ["--policy", str(team.dir / "policy.json"), "--credentials", str(team.dir / "credentials.json")],
                    signers=5).start()
    yield c
    assert c.stop() == 0, c.stderr()


@pytest.fixture
def term():
    ts: list[Tmux] = []

    def make(cols: int = 80, rows: int = 24) -> Tmux:
        t = Tmux(cols, rows)
        ts.append(t)
        return t

    yield make
    for t in ts:
        t.close()
