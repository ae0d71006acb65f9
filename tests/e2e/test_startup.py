"""Start-up: every argument and the port are checked before anything is made; a refused start
makes nothing; the signer count comes from the data folder once it exists; a signer's folder is
locked. Process hygiene: no core dumps, no ptrace attach, and a word when memory locking is
limited."""

from __future__ import annotations

import json
import os
import resource
import socket
import subprocess
import time
from pathlib import Path

import pytest

import kpd


def run_kpd(binary, *args, timeout=60, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([binary, *map(str, args)], capture_output=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, **kw)


def test_restart_without_signers_uses_the_count_of_the_data_folder(clusters):
    c = clusters.new(signers=3)
    before = kpd.Client(c, None, None).get("/signers").body
    assert c.stop() == 0
    c.signers = None
    c.start()
    assert "with 3 signers" in c.stdout
    assert kpd.Client(c, None, None).get("/signers").body == before
    assert sorted(p.name for p in c.data.glob("signer-*")) == ["signer-1", "signer-2", "signer-3"]


def test_another_signer_count_is_refused_and_changes_nothing(clusters):
    c = clusters.new(signers=3)
    assert c.stop() == 0
    for n in (2, 4, 5):
        r = run_kpd(c.binary, "--data", c.data, "--listen", "127.0.0.1:0", "--signers", n, *c.key_args())
        assert r.returncode != 0 and b"listening" not in r.stdout
        assert "3 signers" in r.stderr.decode(), r.stderr.decode()
        assert sorted(p.name for p in c.data.glob("signer-*")) == ["signer-1", "signer-2", "signer-3"]
    c.signers = 3
    c.start()
    assert "with 3 signers" in c.stdout


@pytest.mark.parametrize("listen", ["127.0.0.1:notaport", "127.0.0.1", "256.1.1.1:8600", "in-use"])
def test_a_bad_listen_address_makes_nothing(keyportd_bin, tmp_path, listen):
    busy = None
    if listen == "in-use":
        busy = socket.socket()
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        listen = f"127.0.0.1:{busy.getsockname()[1]}"
    try:
        data = tmp_path / "d"
        key = tmp_path / "k"
        r = run_kpd(keyportd_bin, "--data", data, "--listen", listen, "--storage-key-file", key)
        assert r.returncode != 0 and r.stdout == b""
        assert "--listen" in r.stderr.decode(), r.stderr.decode()
        assert not data.exists(), list(data.rglob("*"))
        assert not key.exists()
    finally:
        if busy:
            busy.close()


def test_a_bad_policy_or_credentials_file_makes_nothing(keyportd_bin, tmp_path):
    pol = tmp_path / "policy.json"
    pol.write_text(json.dumps({"version": 1, "id": "p", "operators": [], "quorum": {}}))
    cf = tmp_path / "creds.json"
    cf.write_text("[{\"credId\":\"a\"")
    for args in (["--policy", pol], ["--credentials", cf], ["--policy", tmp_path / "missing.json"]):
        data = tmp_path / "d"
        r = run_kpd(keyportd_bin, "--data", data, "--listen", "127.0.0.1:0", "--storage-key-file", tmp_path / "k",
                    *args)
        assert r.returncode != 0 and b"listening" not in r.stdout
        assert not data.exists(), (args, list(data.rglob("*")))
        assert not (tmp_path / "k").exists()


def test_an_unknown_remote_signer_makes_nothing(keyportd_bin, tmp_path):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nobody listens there
    for i in range(2):
        (tmp_path / f"sec{i}").write_text("x" * 64)
    data = tmp_path / "d"
    r = run_kpd(keyportd_bin, "--data", data, "--listen", "127.0.0.1:0", "--storage-key-file", tmp_path / "k",
                "--signer-url", f"http://127.0.0.1:{port}", "--signer-secret-file", tmp_path / "sec0",
                "--signer-url", f"http://127.0.0.1:{port}", "--signer-secret-file", tmp_path / "sec1")
    assert r.returncode != 0 and b"listening" not in r.stdout
    assert "never seen" in r.stderr.decode(), r.stderr.decode()
    assert not data.exists()


def test_two_signers_on_one_folder(keyportd_bin, tmp_path):
    a = tmp_path / "secret-a"
    a.write_text("a" * 64)
    b = tmp_path / "secret-b"
    b.write_text("b" * 64)
    first = kpd.RemoteSigner(keyportd_bin, tmp_path / "one", a).start()
    try:
        for secret in (a, b):
            second = kpd.RemoteSigner(keyportd_bin, tmp_path / "one", secret)
            second.key_file = first.key_file
            with pytest.raises(AssertionError, match="did not start"):
                second.start()
            assert "another keyportd" in second.stderr_path.read_text()
    finally:
        assert first.stop() == 0


def test_a_signer_process_cannot_take_an_embedded_signers_folder(clusters, keyportd_bin, tmp_path):
    c = clusters.new()
    secret = tmp_path / "secret"
    secret.write_text("s" * 64)
    intruder = kpd.RemoteSigner(keyportd_bin, c.data / "signer-1", secret)
    intruder.key_file = c.key_file
    intruder.stderr_path = tmp_path / "intruder.stderr"
    with pytest.raises(AssertionError, match="did not start"):
        intruder.start()
    assert "another keyportd" in intruder.stderr_path.read_text()


# ---------------------------------------------------------------- process hygiene


def limits(pid: int) -> str:
    return open(f"/proc/{pid}/limits").read()


def core_limit(pid: int) -> str:
    line = next(ln for ln in limits(pid).splitlines() if ln.startswith("Max core file size"))
    return line.split()[4:6]


def as_nobody():
    os.setgid(65534)
    os.setuid(65534)


def test_no_core_dumps_and_no_ptrace(clusters, keyportd_bin, tmp_path):
    """RLIMIT_CORE is 0, and the process is not dumpable: run as an unprivileged user, its /proc
    files belong to root, so no process of that user can attach to it or read its memory."""
    c = clusters.new()
    assert core_limit(c.proc.pid) == ["0", "0"]
    # the same again as an unprivileged user (when the suite runs as root), so that the
    # ownership of /proc/PID shows whether the process is dumpable
    import shutil
    import tempfile

    # pytest's own folders are private to this user, so the unprivileged one works in /tmp
    folder = Path(tempfile.mkdtemp(prefix="keyportd-nobody-"))
    os.chmod(folder, 0o777)
    pre = as_nobody if os.getuid() == 0 else None
    secret = folder / "secret"
    secret.write_text("n" * 64)
    os.chmod(secret, 0o644)
    p = subprocess.Popen([keyportd_bin, "signer", "--data", str(folder / "sd"), "--listen", "127.0.0.1:0",
                          "--secret-file", str(secret), "--storage-key-file", str(folder / "sd.key")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=pre)
    try:
        line = p.stdout.readline().decode()
        if "listening" not in line:
            p.wait(timeout=30)
            raise AssertionError(f"keyportd signer did not start: {line!r} {p.stderr.read(2000)!r}")
        st = os.stat(f"/proc/{p.pid}/environ")
        assert st.st_uid == 0, f"/proc/{p.pid}/environ belongs to {st.st_uid}: the process is dumpable"
        assert core_limit(p.pid) == ["0", "0"]
    finally:
        p.terminate()
        p.wait(timeout=30)
        p.stdout.close()
        p.stderr.close()
        shutil.rmtree(folder, ignore_errors=True)


def test_a_word_when_memory_locking_is_limited(clusters, keyportd_bin, tmp_path):
    def low_memlock():
        resource.setrlimit(resource.RLIMIT_MEMLOCK, (64 * 1024, 64 * 1024))

    secret = tmp_path / "secret"
    secret.write_text("m" * 64)
    p = subprocess.Popen([keyportd_bin, "signer", "--data", str(tmp_path / "sd"), "--listen", "127.0.0.1:0",
                          "--secret-file", str(secret), "--storage-key-file", str(tmp_path / "sd.key")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=low_memlock)
    try:
        assert "listening" in p.stdout.readline().decode()
    finally:
        p.terminate()
        p.wait(timeout=30)
    err = p.stderr.read().decode()
    p.stdout.close()
    p.stderr.close()
    assert "memory locking is limited to 64 KiB" in err, err
