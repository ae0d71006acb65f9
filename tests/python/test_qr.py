"""keyport qr show | join: the hand-off across the air gap by QR (BBQr frames).

Independent of libkeyport: the frames are checked and joined by the BBQr decoder below, written
from the specification (github.com/coinkite/BBQr, BBQr.md) with base64.b32decode and zlib (the
'Z' stream must inflate with the spec's 2^10 window); frames made here by an independent splitter
are joined by `keyport qr join`; and the QR codes `keyport qr show` draws are rendered to images
with Pillow and read back by zbarimg (zbar-tools), from --once output and from a tmux pane at 80x24.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import time
import zlib
from pathlib import Path

import pytest
from PIL import Image

B36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is not installed (.ci/apt-packages lists it)", pytrace=False)
    return path


# ------------------------------------------------------------------ an independent BBQr

def inflate_window10(raw: bytes) -> bytes:
    """Raw deflate with wbits=-10, in small output steps so that every back-reference has to
    come from the 2^10 window (a whole-output buffer would let zlib reach further)."""
    d = zlib.decompressobj(wbits=-10)
    out = bytearray()
    buf = raw
    while True:
        out += d.decompress(buf, 64)
        buf = d.unconsumed_tail
        if d.eof or (not buf and not d.unconsumed_tail):
            out += d.flush()
            break
    assert d.eof, "the deflate stream does not end"
    assert d.unused_data == b"", "bytes after the deflate stream"
    return bytes(out)


def ref_join(frames: list[str]) -> tuple[str, bytes]:
    """Joins BBQr frames per the spec; asserts every rule it states."""
    parts: dict[int, str] = {}
    head = None
    for f in frames:
        assert re.fullmatch(r"[0-9A-Z $%*+\-./:]+", f), f"not QR alphanumeric: {f[:20]}"
        assert f.startswith("B$") and len(f) > 8
        enc, ftype, count, idx = f[2], f[3], int(f[4:6], 36), int(f[6:8], 36)
        assert enc in "H2Z"
        if head is None:
            head = (enc, ftype, count)
        assert (enc, ftype, count) == head, "frames of one file share encoding, type and count"
        assert 0 <= idx < count
        assert parts.get(idx, f[8:]) == f[8:]
        parts[idx] = f[8:]
    assert head is not None
    enc, ftype, count = head
    assert sorted(parts) == list(range(count)), "frames missing"
    lens = [len(parts[i]) for i in range(count)]
    assert all(n == lens[0] for n in lens[:-1]) and lens[-1] <= lens[0], "equal frames but the runt"
    for n in lens[:-1]:
        assert n % (2 if enc == "H" else 8) == 0, "each frame decodes to whole bytes"
    data = "".join(parts[i] for i in range(count))
    if enc == "H":
        return ftype, bytes.fromhex(data)
    raw = base64.b32decode(data + "=" * (-len(data) % 8))
    return ftype, (inflate_window10(raw) if enc == "Z" else raw)


def ref_split(data: bytes, ftype: str, enc: str, room: int) -> list[str]:
    """Splits per the spec (room: data characters a frame, a multiple of 8)."""
    if enc == "Z":
        c = zlib.compressobj(9, zlib.DEFLATED, -10)
        raw = c.compress(data) + c.flush()
    else:
        raw = data
    text = raw.hex().upper() if enc == "H" else base64.b32encode(raw).decode().rstrip("=")
    chunks = [text[i:i + room] for i in range(0, len(text), room)]
    n = len(chunks)
    return [f"B${enc}{ftype}{B36[n // 36]}{B36[n % 36]}{B36[i // 36]}{B36[i % 36]}{c}" for i, c in enumerate(chunks)]


def sha16(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


# ------------------------------------------------------------------ running keyport

def run(kp_bin: str, args: list[str], cwd: Path, stdin: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run([kp_bin, *args], cwd=cwd, input=stdin, capture_output=True, timeout=120)


def show_text(kp_bin: str, path: Path, *extra: str) -> list[str]:
    r = run(kp_bin, ["qr", "show", str(path), "--text", *extra], path.parent)
    assert r.returncode == 0, r.stderr.decode()
    return r.stdout.decode().split()


PAYLOADS = {
    "one-byte.bin": bytes([0x9C]),  # not UTF-8 on its own
    "random.bin": random.Random(7).randbytes(5000),
    "request.json": (json.dumps({"approvals": [{"operator": f"op-{i}", "signature": "A" * 40} for i in range(40)],
                                 "version": 1}, indent=2) + "\n").encode(),
    "notes.txt": ("Schlüsselübergabe — keyport\n" * 30).encode(),
    # repeats 1500 bytes apart: a compressor with a window over 2^10 would reach them
    "far-repeats.bin": random.Random(3).randbytes(1500) * 8,
}


@pytest.mark.parametrize("name", sorted(PAYLOADS))
def test_show_text_frames_decode_with_an_independent_joiner(keyport_bin, tmp_path, name):
    data = PAYLOADS[name]
    f = tmp_path / name
    f.write_bytes(data)
    frames = show_text(keyport_bin, f)
    ftype, got = ref_join(frames)
    assert got == data
    assert ftype == {"json": "J", "txt": "U", "bin": "B"}[name.rsplit(".", 1)[1]]
    for fr in frames:
        assert len(fr) <= 154, "version 5 (80x24) holds 154 characters"
    if name in ("request.json", "notes.txt", "far-repeats.bin"):
        assert frames[0][2] == "Z", "compressible data goes out compressed"
    if name == "random.bin":
        assert frames[0][2] == "2", "incompressible data goes out as plain base32"
    for enc in ("H", "2", "Z"):
        ftype2, got2 = ref_join(show_text(keyport_bin, f, "--encoding", enc, "--version", "12"))
        assert got2 == data and ftype2 == ftype


@pytest.mark.parametrize("enc", ["H", "2", "Z"])
def test_join_reads_independent_frames_in_any_order(keyport_bin, tmp_path, enc):
    data = PAYLOADS["request.json"] + random.Random(1).randbytes(700)
    frames = ref_split(data, "J", enc, 96)
    assert len(frames) > 5
    lines = frames + frames[:3]
    random.Random(enc).shuffle(lines)
    # zbarimg's own format ("QR-Code:" before the text), blank lines and CRs, as scanners leave them
    text = "".join(("QR-Code:" + l if i % 2 else l) + ("\r\n" if i % 3 == 0 else "\n\n") for i, l in enumerate(lines))
    r = run(keyport_bin, ["qr", "join", "joined.json"], tmp_path, text.encode())
    assert r.returncode == 0, r.stderr.decode()
    out = tmp_path / "joined.json"
    assert out.read_bytes() == data
    assert sha16(data) in r.stdout.decode()
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    # to standard output when no file is named
    r = run(keyport_bin, ["qr", "join"], tmp_path, text.encode())
    assert r.returncode == 0 and r.stdout == data
    assert sha16(data) in r.stderr.decode()


def test_coinkite_real_scan_joins_like_the_independent_joiner(keyport_bin, tmp_path):
    frames = (Path(__file__).resolve().parent.parent / "vectors" / "bbqr-real-scan.coinkite.txt").read_text().split()
    assert len(frames) == 8
    ftype, want = ref_join(frames)
    assert ftype == "U" and b"Zlib compressed" in want and b"PSBT" in want
    lines = frames[3:] + frames + frames[:5]  # as the scan has them: repeated, from the middle
    r = run(keyport_bin, ["qr", "join", "scan.txt"], tmp_path, "\n".join(lines).encode())
    assert r.returncode == 0, r.stderr.decode()
    assert (tmp_path / "scan.txt").read_bytes() == want
    assert sha16(want) in r.stdout.decode()


def test_join_names_missing_frames_and_writes_nothing(keyport_bin, tmp_path):
    data = random.Random(2).randbytes(2000)
    frames = ref_split(data, "B", "2", 96)
    keep = [f for i, f in enumerate(frames) if i not in (2, 7)]
    r = run(keyport_bin, ["qr", "join", "out.bin"], tmp_path, "\n".join(keep).encode())
    assert r.returncode == 3
    err = r.stderr.decode()
    assert f"2 of {len(frames)} frames missing: 3 8" in err, err
    assert not (tmp_path / "out.bin").exists()
    assert list(tmp_path.iterdir()) == [], "no temporary file left behind"


def test_join_refuses_conflicts_bad_lines_and_existing_files(keyport_bin, tmp_path):
    data = random.Random(4).randbytes(1000)
    other = bytearray(data)
    other[10] ^= 1
    a, b = ref_split(data, "B", "2", 96), ref_split(bytes(other), "B", "2", 96)
    # two files mixed up: a frame with the same place and other data
    r = run(keyport_bin, ["qr", "join", "out.bin"], tmp_path, "\n".join(a + [b[0]]).encode())
    assert r.returncode == 3
    assert "other data" in r.stderr.decode()
    assert not (tmp_path / "out.bin").exists()
    # lines that are not frames are named and skipped; the file still joins
    junk = ["hello", "B$QB0100AAAA", "B$2B0100MY=", "scanned 3 barcode symbols from 1 images"]
    r = run(keyport_bin, ["qr", "join", "out.bin"], tmp_path, "\n".join(junk[:3] + a).encode())
    assert r.returncode == 0, r.stderr.decode()
    err = r.stderr.decode()
    assert "line 1:" in err and "line 2:" in err and "encoding" in err and "line 3:" in err
    assert (tmp_path / "out.bin").read_bytes() == data
    # never over an existing file
    (tmp_path / "keep.bin").write_bytes(b"precious")
    r = run(keyport_bin, ["qr", "join", "keep.bin"], tmp_path, "\n".join(a).encode())
    assert r.returncode == 6
    assert (tmp_path / "keep.bin").read_bytes() == b"precious"
    # nothing at all
    r = run(keyport_bin, ["qr", "join", "none.bin"], tmp_path, b"\n\n")
    assert r.returncode == 3 and "no BBQr frame" in r.stderr.decode()


def test_usage_errors_and_help(keyport_bin, tmp_path):
    f = tmp_path / "x.json"
    f.write_text("{}")
    for args in (["qr"], ["qr", "draw"], ["qr", "show"], ["qr", "show", str(f), "--version", "41"],
                 ["qr", "show", str(f), "--encoding", "B"], ["qr", "show", str(f), "--type", "jj"],
                 ["qr", "show", str(f), "--once", "--text"], ["qr", "join", "a", "b"]):
        r = run(keyport_bin, args, tmp_path)
        assert r.returncode == 2, args
        assert r.stderr.startswith(b"keyport: "), args
    for sub in ("show", "join"):
        r = run(keyport_bin, ["qr", sub, "--help"], tmp_path)
        assert r.returncode == 0 and b"Exit codes" in r.stdout
    r = run(keyport_bin, ["qr", "show", str(tmp_path / "absent")], tmp_path)
    assert r.returncode == 6
    (tmp_path / "empty").write_bytes(b"")
    r = run(keyport_bin, ["qr", "show", str(tmp_path / "empty")], tmp_path)
    assert r.returncode == 3


# ------------------------------------------------------------------ drawn codes back through zbarimg

INK = {"█": (1, 1), "▀": (1, 0), "▄": (0, 1), " ": (0, 0)}


def render(lines: list[str], scale: int = 4) -> Image.Image:
    """The pixels a dark-background terminal shows for these lines: foreground light."""
    w = max(len(l) for l in lines)
    img = Image.new("L", ((w + 4) * scale, (2 * len(lines) + 4) * scale), 0)
    px = img.load()
    for r, line in enumerate(lines):
        for c, ch in enumerate(line):
            top, bottom = INK[ch]
            for k, on in enumerate((top, bottom)):
                if on:
                    for dy in range(scale):
                        for dx in range(scale):
                            px[(c + 2) * scale + dx, (2 * r + k + 2) * scale + dy] = 255
    return img


def zbar(images: list[Path]) -> list[str]:
    r = subprocess.run([need("zbarimg"), "--raw", "-q", *map(str, images)], capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr.decode()
    return [l for l in r.stdout.decode().splitlines() if l]


def blocks(out: str) -> list[tuple[int, int, list[str]]]:
    """The drawn codes in keyport qr show output, with their counter lines."""
    found, cur = [], []
    for line in out.splitlines():
        m = re.match(r"frame (\d+) of (\d+) ", line)
        if m:
            found.append((int(m[1]), int(m[2]), list(cur)))
            cur = []
        elif line and set(line) <= set(INK):
            cur.append(line)
        else:
            cur = []
    return found


def test_show_once_codes_scan_back_to_the_exact_file(keyport_bin, tmp_path):
    need("zbarimg")
    data = PAYLOADS["request.json"] + random.Random(9).randbytes(600)
    f = tmp_path / "bundle.json"
    f.write_bytes(data)
    r = run(keyport_bin, ["qr", "show", str(f), "--once"], tmp_path)
    assert r.returncode == 0, r.stderr.decode()
    out = r.stdout.decode()
    assert sha16(data) in out
    codes = blocks(out)
    n = codes[0][1]
    assert [c[0] for c in codes] == list(range(1, n + 1))
    images = []
    for i, (_, _, lines) in enumerate(codes):
        assert len(lines) <= 22 and max(len(l) for l in lines) <= 80, "fits 80x24 with its counter"
        p = tmp_path / f"frame-{i}.png"
        render(lines).save(p)
        images.append(p)
    scanned = zbar(images)
    assert len(scanned) == n
    assert sorted(scanned) == sorted(show_text(keyport_bin, f))
    assert ref_join(scanned) == ("J", data)
    random.Random(5).shuffle(scanned)
    j = run(keyport_bin, ["qr", "join", "back.json"], tmp_path, "\n".join(scanned).encode())
    assert j.returncode == 0, j.stderr.decode()
    assert (tmp_path / "back.json").read_bytes() == data


class Pane:
    """A command in a tmux pane at 80x24 on a private socket (tmux -L), for the drawn codes."""

    def __init__(self, name: str, command: str, cwd: Path):
        self.tmux = [need("tmux"), "-L", f"{name}-{os.getpid()}", "-f", "/dev/null"]
        self.env = dict(os.environ, TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8")
        self.run("new-session", "-d", "-x", "80", "-y", "24", "-s", "qr", command, cwd=cwd)

    def run(self, *args: str, cwd: Path | None = None) -> str:
        return subprocess.run(self.tmux + list(args), capture_output=True, check=True, env=self.env,
                              cwd=cwd).stdout.decode()

    def text(self) -> str:
        return self.run("capture-pane", "-p", "-J", "-t", "qr")

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "qr", *keys)

    def get(self, fmt: str) -> str:
        return self.run("display-message", "-p", "-t", "qr", fmt).strip()

    def wait_for(self, pred, what: str) -> str:
        for _ in range(100):
            s = self.text()
            if pred(s):
                return s
            time.sleep(0.1)
        pytest.fail(f"the tmux pane never showed {what}:\n{self.text()}")

    def __enter__(self) -> "Pane":
        return self

    def __exit__(self, *exc) -> None:
        subprocess.run(self.tmux + ["kill-server"], env=self.env, capture_output=True)


def counter(s: str) -> int:
    m = re.search(r"frame (\d+) of", s)
    return int(m[1]) if m else 0


def test_show_in_tmux_at_80x24_scans_back_and_restores_the_terminal(keyport_bin, tmp_path):
    need("zbarimg")
    data = (json.dumps({"request": "export", "keyId": "key-01", "pad": random.Random(11).randbytes(400).hex()})
            + "\n").encode()
    f = tmp_path / "req.json"
    f.write_bytes(data)
    with Pane("kpqr", f"{keyport_bin} qr show {f} --interval 200; echo EXIT=$?; sleep 30", tmp_path) as p:
        p.wait_for(lambda s: "frame " in s, "a frame counter")
        p.keys(" ")
        s = p.wait_for(lambda s: "PAUSED" in s, "the pause")
        n = int(re.search(r"frame \d+ of (\d+)", s)[1])
        assert n >= 2
        seen: dict[int, str] = {}
        for _ in range(2 * n):
            s = p.text()
            idx = counter(s)
            lines = [l for l in s.splitlines() if l and set(l) <= set(INK) and l.strip()]
            img = tmp_path / f"pane-{idx}.png"
            render(lines).save(img)
            got = zbar([img])
            assert len(got) == 1
            seen[idx] = got[0]
            if len(seen) == n:
                break
            p.keys("n")
            p.wait_for(lambda s, i=idx: counter(s) not in (0, i), "the next frame")
        assert sorted(seen) == list(range(1, n + 1))
        assert ref_join(list(seen.values())) == ("J", data)
        j = run(keyport_bin, ["qr", "join", "from-pane.json"], tmp_path, "\n".join(seen.values()).encode())
        assert j.returncode == 0 and (tmp_path / "from-pane.json").read_bytes() == data
        # too small a terminal: said, not a cut-off code; back at 80x24 the code is drawn again
        p.run("resize-window", "-t", "qr", "-x", "60", "-y", "20")
        s = p.wait_for(lambda s: "terminal too small" in s, "the too-small message")
        assert "█" not in s
        p.run("resize-window", "-t", "qr", "-x", "80", "-y", "24")
        p.wait_for(lambda s: "frame " in s and "█" in s, "the code again")
        # q quits: the alternate screen is left and the pane shows the shell's line again
        p.keys("q")
        s = p.wait_for(lambda s: "EXIT=" in s, "the exit")
        assert "EXIT=0" in s
        assert "█" not in s, "the codes were drawn on the alternate screen only"
        assert p.get("#{alternate_on}") == "0"


def test_show_sigterm_restores_the_terminal(keyport_bin, tmp_path):
    f = tmp_path / "x.json"
    f.write_bytes(b'{"a": "' + b"b" * 2000 + b'"}')
    # the shell prints the exit status and the terminal modes once keyport is gone
    with Pane("kpqr-term", f"{keyport_bin} qr show {f}; echo EXIT=$?; stty -a; sleep 30", tmp_path) as p:
        p.wait_for(lambda s: "frame " in s, "a frame")
        # keyport is the child of the pane's shell (and only that one is signalled)
        pids = subprocess.run(["pgrep", "-P", p.get("#{pane_pid}"), "-x", "keyport"], capture_output=True).stdout.split()
        assert len(pids) == 1, pids
        os.kill(int(pids[0]), 15)
        s = p.wait_for(lambda s: "EXIT=" in s and "icanon" in s, "the end on SIGTERM")
        assert "EXIT=0" in s
        assert re.search(r"(?<![-\w])icanon", s) and re.search(r"(?<![-\w])echo(?![\w])", s), s
        assert p.get("#{alternate_on}") == "0"
        assert "█" not in s


def test_join_on_a_terminal_shows_what_is_missing_and_stops_at_the_last_frame(keyport_bin, tmp_path):
    data = random.Random(12).randbytes(300)
    frames = ref_split(data, "B", "2", 96)
    assert len(frames) == 5
    # a keyboard-wedge scanner types each frame and Enter; no end of input comes
    with Pane("kpqr-join", f"{keyport_bin} qr join in.bin; echo EXIT=$?; sleep 30", tmp_path) as p:
        p.wait_for(lambda s: True, "the shell")
        for i in (3, 0, 3):
            p.keys(frames[i], "Enter")
        s = p.wait_for(lambda s: "2 of 5 frames read" in s, "the progress")
        assert "missing: 2 3 5" in s
        for i in (4, 1, 2):
            p.keys(frames[i], "Enter")
        s = p.wait_for(lambda s: "EXIT=" in s, "the end of the join")
        assert "EXIT=0" in s and sha16(data) in s
    assert (tmp_path / "in.bin").read_bytes() == data
