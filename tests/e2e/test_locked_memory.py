"""keyportd says once when secrets could not be locked in memory.

With a lock limit of 0 (RLIMIT_MEMLOCK, `ulimit -l 0`) no secure buffer can be locked: the
daemon still answers, and its stderr carries exactly one warning naming the lock limit, however
many requests follow. As root the daemon drops to an unprivileged user first, since CAP_IPC_LOCK
ignores the limit."""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request


def test_daemon_warns_once_about_unlockable_memory(keyportd_bin):
    # a folder the unprivileged user can write (pytest's tmp_path is root's alone)
    top = tempfile.mkdtemp(prefix="keyport-lock-")
    os.chmod(top, 0o777)
    data = os.path.join(top, "data")

    def pre():
        resource.setrlimit(resource.RLIMIT_MEMLOCK, (0, 0))
        if os.geteuid() == 0:
            os.setgid(65534)
            os.setuid(65534)

    # the storage key lives outside the data folder (keyportd refuses one inside it)
    key = os.path.join(top, "storage.key")
    proc = subprocess.Popen([keyportd_bin, "--data", str(data), "--storage-key-file", key, "--signers", "3",
                             "--listen", "127.0.0.1:0"],
                            preexec_fn=pre, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        m, seen = None, []
        while m is None and len(seen) < 20:
            line = proc.stdout.readline()
            if not line:
                break
            seen.append(line)
            m = re.match(r"keyportd: listening on (http://\S+) with", line)
        assert m, "".join(seen)
        for _ in range(3):
            try:
                urllib.request.urlopen(m.group(1) + "/signers", timeout=10).read()
            except urllib.error.HTTPError:
                pass  # refused without a token: still a request the daemon answered
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
        shutil.rmtree(top, ignore_errors=True)
    warnings = [l for l in err.splitlines() if "could not be locked in memory" in l]
    assert len(warnings) == 1, err
    assert "ulimit -l" in warnings[0]
