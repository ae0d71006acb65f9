"""pytest configuration of the keyportd end-to-end tests.

Environment:
  KEYPORTD_BIN  the built keyportd (build/server/keyportd); required
  KEYPORT_BIN   the built keyport command (build/ceremony/keyport); required

Each cluster runs on a free loopback port (keyportd --listen 127.0.0.1:0 prints the one it got)
in a DATA folder under pytest's tmp_path, and is stopped after its test or module.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
# the independent wire-format reference of the cross-check suite (read, never changed here)
sys.path.insert(1, str(HERE.parent / "python"))

import kpd  # noqa: E402


def _binary(var: str, what: str) -> str:
    path = os.environ.get(var)
    if not path:
        pytest.fail(f"{var} is not set: point it at the built {what}", pytrace=False)
    p = Path(path)
    if not p.is_file() or not os.access(p, os.X_OK):
        pytest.fail(f"{var}={path!r} is not an executable file: build it first", pytrace=False)
    return str(p.resolve())


@pytest.fixture(scope="session")
def keyportd_bin() -> str:
    return _binary("KEYPORTD_BIN", "keyportd (build/server/keyportd)")


@pytest.fixture(scope="session")
def keyport_bin() -> str:
    return _binary("KEYPORT_BIN", "keyport command (build/ceremony/keyport)")


@pytest.fixture(scope="session")
def team(tmp_path_factory) -> kpd.Team:
    return kpd.Team.make(tmp_path_factory.mktemp("team"))


@pytest.fixture(scope="session")
def cred() -> kpd.Credential:
    return kpd.Credential("e2e-ed25519")


@pytest.fixture(scope="session")
def cred_p256() -> kpd.Credential:
    return kpd.Credential("e2e-p256", "ECDSA-P256")


@pytest.fixture(scope="session")
def creds_file(tmp_path_factory, cred, cred_p256) -> Path:
    p = tmp_path_factory.mktemp("creds") / "credentials.json"
    p.write_text(json.dumps([cred.entry(), cred_p256.entry()]))
    return p


@pytest.fixture(scope="session")
def keyport(keyport_bin, tmp_path_factory) -> kpd.Keyport:
    return kpd.Keyport(keyport_bin, tmp_path_factory.mktemp("keyport"))


@pytest.fixture(scope="session")
def export_ctx(keyport) -> tuple[Path, bytes]:
    """One export context for the session (Argon2id is the slow part of `keyport export init`)."""
    return keyport.export_init("session-ctx")


class Clusters:
    """Starts clusters for one test or module and stops every one of them at the end."""

    def __init__(self, binary: str, folder: Path, team: kpd.Team, creds: Path, cred: kpd.Credential):
        self.binary = binary
        self.folder = folder
        self.team = team
        self.creds = creds
        self.cred = cred
        self.started: list[kpd.Cluster] = []
        self.count = 0

    def new(self, args=(), signers: int | None = 5, policy: bool = True, credentials: bool = True,
            env: dict | None = None, data: Path | None = None, start: bool = True,
            key_file: Path | None | bool = True) -> kpd.Cluster:
        self.count += 1
        data = data or self.folder / f"data-{self.count}"
        extra = list(args)
        if policy:
            extra += ["--policy", str(self.team.policy_path)]
        if credentials:
            extra += ["--credentials", str(self.creds)]
        c = kpd.Cluster(self.binary, data, extra, env=env, signers=signers, key_file=key_file)
        self.started.append(c)
        return c.start() if start else c

    def client(self, c: kpd.Cluster) -> kpd.Client:
        return kpd.Client(c, self.cred, self.team)

    def close(self):
        for c in self.started:
            if c.proc is not None:
                rc = c.stop()
                assert rc == 0, f"keyportd exited {rc} on SIGTERM:\n{c.stderr()}"


@pytest.fixture
def clusters(keyportd_bin, tmp_path, team, creds_file, cred):
    cs = Clusters(keyportd_bin, tmp_path, team, creds_file, cred)
    yield cs
    cs.close()


@pytest.fixture(scope="module")
def module_clusters(keyportd_bin, tmp_path_factory, team, creds_file, cred):
    cs = Clusters(keyportd_bin, tmp_path_factory.mktemp("cluster"), team, creds_file, cred)
    yield cs
    cs.close()


@pytest.fixture(scope="module")
def shared(module_clusters) -> kpd.Client:
    """One 5-signer cluster shared by the tests of a module."""
    return module_clusters.client(module_clusters.new())
