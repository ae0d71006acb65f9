"""Driving keyport-ceremony in a tmux pane, and the golden screen dumps."""

from __future__ import annotations

import difflib
import os
import re
import time
from pathlib import Path

from tmuxterm import Tmux

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden"

MENU = ["export1", "export2", "import", "approve", "enrol", "policy", "verify"]


def mask(screen: str, extra: dict[str, str] | None = None) -> str:
    """What differs from run to run, replaced: the clock, the network line, fingerprints, digests,
    hex strings, sizes, key ids."""
    for k, v in (extra or {}).items():
        screen = screen.replace(k, v)
    screen = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", "YYYY-MM-DD HH:MM:SS UTC", screen)
    screen = re.sub(r"(?m)^(\s*)(WARNING: network interfaces are up:.*|network       no interface.*)$", r"\1<network>", screen)
    screen = re.sub(r"(?m)^\s*an air-gapped machine has none; take them down first\.\s*$", "", screen)
    screen = re.sub(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b", "XXXX-XXXX-XXXX-XXXX", screen)
    screen = re.sub(r"\b[0-9A-F]{4} [0-9A-F]{4} [0-9A-F]{4} [0-9A-F]{4}\b", "HHHH HHHH HHHH HHHH", screen)
    screen = re.sub(r"\b[0-9a-f]{16,}\b", lambda m: "h" * len(m.group(0)), screen)
    screen = re.sub(r"\(\d+ bytes\)", "(N bytes)", screen)
    screen = re.sub(r"\bkey-[0-9a-z]{26}\b", "key-" + "k" * 26, screen)
    return "\n".join(line.rstrip() for line in screen.splitlines()).rstrip("\n") + "\n"


def golden(t: Tmux, name: str, extra: dict[str, str] | None = None) -> None:
    """Compares the screen, masked, with tests/tui/golden/NAME.txt (KP_TUI_GOLDEN=update writes it)."""
    assert (t.cols, t.rows) == (80, 24), "golden dumps are taken at 80x24"
    got = mask(t.screen(), extra)
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("KP_TUI_GOLDEN") == "update":
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(got)
        return
    assert path.exists(), f"{path.name}: no golden dump; make them with KP_TUI_GOLDEN=update and the environment of suite_tui in ./run, then python -m pytest tests/tui"
    want = path.read_text()
    if got != want:
        diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True), "golden", "screen"))
        raise AssertionError(f"the screen {name} changed (KP_TUI_GOLDEN=update to accept it):\n{diff}")


class App:
    def __init__(self, t: Tmux, binary: str, folder: Path, term: str = "xterm-256color"):
        self.t = t
        self.folder = folder
        # after the app: the terminal's modes, for the tests of what is restored
        t.start([binary, "--kdf", "interactive"], folder, term=term, after="stty -a > .stty 2>&1;")
        t.wait_for("Enter if the clock is right")

    def preflight(self) -> None:
        self.t.keys("Enter")
        self.t.wait_for("Which ceremony?")

    def choose(self, ceremony: str) -> None:
        self.t.type(str(MENU.index(ceremony) + 1), enter=False)
        self.t.keys("Enter")
        self.t.wait_for("Folder to read from")

    def wait(self, text: str, timeout: float = 30) -> str:
        return self.t.wait_for(text, timeout)

    def answer(self, prompt: str, text: str = "") -> None:
        """Waits for prompt, types text (Enter alone takes the default)."""
        self.t.wait_for(prompt)
        self.t.type(text)
        self.t.wait_gone(prompt) if prompt not in ("Repeat the passphrase:",) else None

    def secret_twice(self, prompt: str, secret: str) -> None:
        self.t.wait_for(prompt)
        self.t.type(secret)
        self.t.wait_for("Repeat the passphrase:")
        self.t.type(secret)
        self.t.wait_gone("Repeat the passphrase:")

    def pick(self, prompt: str, index: int) -> None:
        self.t.wait_for(prompt)
        for _ in range(index):
            self.t.keys("Down")
        self.t.keys("Enter")
        self.t.wait_gone(prompt)

    def approve(self, name: str, passphrase: str, goldens: str | None = None) -> None:
        """One operator's turn: the baton, the operator file, the passphrase, typing approve."""
        self.t.wait_for(f"{name}, press Enter")
        if goldens:
            golden(self.t, goldens + "-baton")
        self.t.keys("Enter")
        self.answer("Your operator file:")
        self.t.wait_for("Your operator passphrase:")
        self.t.type(passphrase)
        s = self.t.wait_for("Type approve to approve:")
        assert f"operator      {name}" in s
        if goldens:
            golden(self.t, goldens + "-approve")
        self.t.type("approve")
        self.t.wait_gone(f"operator      {name}")

    def skip(self, name: str) -> None:
        self.t.wait_for(f"{name}, press Enter")
        self.t.type("s", enter=False)
        self.t.wait_gone(f"{name}, press Enter")

    def write(self, goldens: str | None = None) -> str:
        self.t.wait_for("Enter writes these files")
        if goldens:
            golden(self.t, goldens + "-write")
        self.t.keys("Enter")
        return self.t.wait_for("The ceremony is done")

    def quit(self) -> None:
        self.t.keys("Enter")
        self.t.wait_for("Which ceremony?")
        self.t.keys("C-c")
        self.t.wait_for("Quit keyport-ceremony?")
        self.t.type("y", enter=False)
        self.exit_code()

    def exit_code(self, timeout: float = 20) -> int:
        f = self.folder / ".exit"
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if f.exists() and f.read_text().strip():
                time.sleep(0.2)  # stty -a runs after it
                return int(f.read_text().strip()[len("[exit "):-1])
            time.sleep(0.05)
        raise AssertionError(f"keyport-ceremony did not exit; the screen:\n{self.t.screen()}")
