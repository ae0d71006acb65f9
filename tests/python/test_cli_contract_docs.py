"""The documents the project cites are in the repository (docs/), and every citation points there."""
import pathlib
import re
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
OLD = re.compile(r"\b(DESIGN|WIRE|STYLE)\.md\b|\.\./shared")


def tracked_files():
    out = subprocess.run(["git", "-C", str(ROOT), "ls-files"], capture_output=True, text=True, check=True).stdout
    return [ROOT / f for f in out.splitlines() if (ROOT / f).is_file()]


def test_docs_exist():
    for name in ("design.md", "wire.md", "style.md"):
        assert (ROOT / "docs" / name).stat().st_size > 1000, name


def test_no_reference_outside_the_repository():
    bad = []
    for f in tracked_files():
        try:
            text = f.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for n, line in enumerate(text.splitlines(), 1):
            if OLD.search(line):
                bad.append(f"{f.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not bad, "references to documents outside the repository:\n" + "\n".join(bad)


def test_every_wire_section_cited_exists():
    wire = (ROOT / "docs" / "wire.md").read_text(encoding="utf-8")
    sections = set(re.findall(r"^## §(\d+)", wire, re.M))
    cited = set()
    for f in tracked_files():
        try:
            cited |= set(re.findall(r"docs/wire\.md (?:§|'s )?§?(\d+)", f.read_text(encoding="utf-8")))
        except UnicodeDecodeError:
            continue
    assert cited and cited <= sections, f"cited {sorted(cited)}, present {sorted(sections)}"
