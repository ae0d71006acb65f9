"""A terminal for the keyport-ceremony tests: one tmux server on a private socket (tmux -L NAME,
a name unique to the test run), one window of a given size, keys sent and the pane captured."""

from __future__ import annotations

import os
import shlex
import subprocess
import time
import uuid
from pathlib import Path

DEFAULT_TIMEOUT = 30.0


class Tmux:
    def __init__(self, cols: int = 80, rows: int = 24):
        self.sock = f"kpc-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.cols, self.rows = cols, rows
        self.started = False

    def tmux(self, *args: str, check: bool = True) -> str:
        env = {k: v for k, v in os.environ.items() if k not in ("LINES", "COLUMNS", "TMUX", "TMUX_PANE")}
        r = subprocess.run(["tmux", "-L", self.sock, "-f", "/dev/null", *args], capture_output=True, text=True,
                           timeout=30, env=env)
        if check and r.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)}: {r.stderr}")
        return r.stdout

    def start(self, argv: list[str], cwd: Path, env: dict | None = None, term: str = "xterm-256color",
              after: str = "") -> None:
        """Runs argv in the pane under TERM=term; then the shell command `after` (e.g. stty -a > FILE),
        and the pane stays open so that what is left on it can be captured."""
        e = {"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TERM": term, **(env or {})}
        envs = " ".join(f"{k}={shlex.quote(v)}" for k, v in e.items())
        cmd = f"env {envs} {' '.join(shlex.quote(a) for a in argv)}; echo \"[exit $?]\" > {shlex.quote(str(cwd))}/.exit; " \
              f"{after} sleep 600"
        self.tmux("new-session", "-d", "-x", str(self.cols), "-y", str(self.rows), "-c", str(cwd), "sh", "-c", cmd)
        self.tmux("set-option", "-g", "history-limit", "5000")
        self.started = True

    def close(self) -> None:
        if self.started:
            self.tmux("kill-server", check=False)
            self.started = False

    def keys(self, *names: str) -> None:
        """tmux key names: Enter, Escape, Tab, Up, Down, BSpace, C-c, F1."""
        for n in names:
            self.tmux("send-keys", "-t", "0", n)

    def type(self, text: str, enter: bool = True) -> None:
        self.tmux("send-keys", "-t", "0", "-l", text)
        if enter:
            self.keys("Enter")

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "0")

    def everything(self) -> str:
        """The pane with its whole scrollback, and the alternate screen's."""
        return self.tmux("capture-pane", "-p", "-S", "-", "-t", "0") + self.tmux("capture-pane", "-p", "-a", "-S", "-",
                                                                                  "-t", "0", check=False)

    def alternate_on(self) -> bool:
        return self.tmux("display-message", "-p", "-t", "0", "#{alternate_on}").strip() == "1"

    def pane_pid(self) -> int:
        return int(self.tmux("display-message", "-p", "-t", "0", "#{pane_pid}").strip())

    def resize(self, cols: int, rows: int) -> None:
        self.tmux("resize-window", "-t", "0", "-x", str(cols), "-y", str(rows))

    def wait_for(self, text: str, timeout: float = DEFAULT_TIMEOUT) -> str:
        end = time.monotonic() + timeout
        s = ""
        while time.monotonic() < end:
            s = self.screen()
            if text in s:
                return s
            time.sleep(0.05)
        raise AssertionError(f"{text!r} did not appear on the screen in {timeout}s; it shows:\n{s}")

    def wait_gone(self, text: str, timeout: float = DEFAULT_TIMEOUT) -> str:
        end = time.monotonic() + timeout
        s = ""
        while time.monotonic() < end:
            s = self.screen()
            if text not in s:
                return s
            time.sleep(0.05)
        raise AssertionError(f"{text!r} stayed on the screen for {timeout}s:\n{s}")
