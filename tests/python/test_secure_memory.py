"""The keyport command says once when secrets could not be locked in memory.

Under a lock limit of 0 (RLIMIT_MEMLOCK, `ulimit -l 0`) no secure buffer can be locked: the run
still works, and stderr carries exactly one warning that names the lock limit. With the normal
limit there is no warning. As root the child drops to an unprivileged user first, since
CAP_IPC_LOCK ignores the limit."""

from __future__ import annotations

import os
import resource
import subprocess
import tempfile

BIN = os.environ.get("KEYPORT_BIN", "build/ceremony/keyport")


def _run_demo(limit: int | None):
    def pre():
        if limit is not None and limit != resource.RLIM_INFINITY:
            resource.setrlimit(resource.RLIMIT_MEMLOCK, (limit, limit))
        if os.geteuid() == 0:
            os.setgid(65534)
            os.setuid(65534)

    with tempfile.TemporaryDirectory() as d:
        os.chmod(d, 0o777)
        return subprocess.run([os.path.abspath(BIN), "demo"], preexec_fn=pre, capture_output=True, text=True,
                              cwd=d, env={"PATH": "/usr/bin:/bin", "TMPDIR": d}, timeout=300)


def test_unlockable_memory_is_reported_once():
    r = _run_demo(0)
    assert r.returncode == 0, r.stderr
    warnings = [line for line in r.stderr.splitlines() if "could not be locked in memory" in line]
    assert len(warnings) == 1, r.stderr
    assert "ulimit -l" in warnings[0]
    assert "could not be locked" not in r.stdout


def test_no_warning_when_memory_is_locked():
    # the hard limit (8 MiB by default) is far more than a demo run keeps locked at once
    r = _run_demo(resource.getrlimit(resource.RLIMIT_MEMLOCK)[1])
    assert r.returncode == 0, r.stderr
    assert "could not be locked" not in r.stderr
