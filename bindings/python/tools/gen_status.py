#!/usr/bin/env python3
"""Writes keyport/_status.py from libkeyport's status table (keyport_status.h): the Status enum,
so that the codes are defined in the header and nowhere else. Usage: gen_status.py HEADER OUT"""

import re
import sys

header, out = sys.argv[1], sys.argv[2]
rows = re.findall(r'X\((KP_\w+),\s*(\d+),\s*"((?:[^"\\]|\\.)*)"\)', open(header, encoding="utf-8").read())
if not rows or rows[0][:2] != ("KP_OK", "0"):
    sys.exit(f"gen_status.py: no status table found in {header}")
lines = [
    '"""libkeyport\'s status codes, generated from keyport_status.h by tools/gen_status.py. Do not edit."""',
    "",
    "import enum",
    "",
    "",
    "class Status(enum.IntEnum):",
    '    """libkeyport\'s status codes, e.g. Status.ERR_SCALAR == 22."""',
    "",
]
lines += [f"    {name.removeprefix('KP_')} = {num}" for name, num, _ in rows]
lines += ["", "", "MESSAGES: dict[int, str] = {"]
lines += [f"    {num}: {msg!r}," for _name, num, msg in rows]
lines += ["}", ""]
with open(out, "w", encoding="utf-8") as f:
    f.write("\n".join(lines))
