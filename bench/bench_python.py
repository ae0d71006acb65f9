#!/usr/bin/env python3
"""Import preparation and export recovery through the Python binding, beside keyport-bench's C
figures measured in the same run.

For each curve (t = 3, n = 5, as keyport-bench), in R rounds: keyport-bench --curve C gives the C
calls per second; then the same calls through the binding (keyport.import_prepare over a parsed
GET /signers list and a SecretKey; ExportContext.recover of a 5-share response, the key wiped) are timed
for the same number of seconds. Rates are per second of the calling thread's CPU time (the machine
may be shared: wall time would measure the other processes), and the best round of each side is
kept. slowdown = C rate / Python rate; the issue asks for at most 1.1.

Prints one JSON object a line, e.g.
{"op":"py_import_prepare","curve":"secp256k1","t":3,"n":5,"py_cpu_per_s":…,"c_cpu_per_s":…,"slowdown":1.03}
and a last line {"op":"py_summary","worst_slowdown":…,"within_1.1":true}. --check exits 1 when a
slowdown is above 1.1. Run it with the Python of a venv where the keyport package is installed.

Usage: bench/bench_python.py [--keyport-bench build/bench/keyport-bench] [--seconds 0.5] [--rounds 3]
                             [--curve C] [--check]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import keyport

HERE = Path(__file__).resolve().parent
T, N = 3, 5
PROTOCOL = {"secp256k1": "CGGMP21", "ed25519": "FROST", "stark": "CGGMP21"}


def c_rates(bench: str, curve: str, seconds: float) -> dict[str, float]:
    """keyport-bench's import_prepare and export_recover: calls per CPU second."""
    out = subprocess.run([bench, "--curve", curve, "--seconds", str(seconds)], capture_output=True, text=True,
                         check=True, timeout=600).stdout
    rates = {}
    for line in out.splitlines():
        d = json.loads(line)
        if d.get("op") in ("import_prepare", "export_recover") and d.get("curve") == curve:
            if (d["t"], d["n"]) != (T, N):
                raise SystemExit(f"bench_python.py: keyport-bench measured t={d['t']}, n={d['n']}, not {T} of {N}")
            rates[d["op"]] = d["per_s"] / d["cpu_share"]
    if len(rates) != 2:
        raise SystemExit(f"bench_python.py: keyport-bench gave no import_prepare/export_recover line for {curve}")
    return rates


def py_rate(fn: Callable[[], object], seconds: float) -> float:
    """Calls per CPU second of this thread, for about `seconds` of CPU time after a warm-up."""
    for _ in range(3):
        fn()
    n = 0
    start = time.thread_time()
    while True:
        fn()
        n += 1
        spent = time.thread_time() - start
        if spent >= seconds and n >= 10:
            return n / spent


def py_rates(curve: str, seconds: float) -> dict[str, float]:
    cluster = keyport.LocalCluster(N)
    signers = cluster.signers_document()
    key = keyport.random_key(curve)
    protocol = PROTOCOL[curve]
    kid = cluster.import_key(keyport.import_prepare(signers, key, protocol=protocol, min_signers=T))
    ctx = keyport.ExportContext.new()
    response = cluster.export_key(kid, ctx.export_request())
    with ctx.recover(response) as got:  # checked once before it is timed
        a, b = bytearray(32), bytearray(32)
        got.copy_into(a)
        key.copy_into(b)
        if a != b:
            raise SystemExit("bench_python.py: recovery did not give back the key")

    parsed = keyport.parse_signers(signers)  # as keyport-bench: over a parsed signers list

    def prepare() -> None:
        keyport.import_prepare(parsed, key, protocol=protocol, min_signers=T)

    def recover() -> None:
        with ctx.recover(response):
            pass

    return {"import_prepare": py_rate(prepare, seconds), "export_recover": py_rate(recover, seconds)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--keyport-bench", default=str(HERE.parent / "build" / "bench" / "keyport-bench"))
    ap.add_argument("--seconds", type=float, default=0.5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--curve", action="append", choices=sorted(PROTOCOL))
    ap.add_argument("--check", action="store_true", help="exit 1 when a slowdown is above 1.1")
    args = ap.parse_args()
    if not Path(args.keyport_bench).is_file():
        print(f"bench_python.py: {args.keyport_bench}: no such file: build keyport-bench first (./run build)",
              file=sys.stderr)
        return 2
    worst = 0.0
    for curve in args.curve or ["secp256k1", "ed25519", "stark"]:
        best_c: dict[str, float] = {}
        best_py: dict[str, float] = {}
        for _ in range(args.rounds):
            for op, r in c_rates(args.keyport_bench, curve, args.seconds).items():
                best_c[op] = max(best_c.get(op, 0.0), r)
            for op, r in py_rates(curve, args.seconds).items():
                best_py[op] = max(best_py.get(op, 0.0), r)
        for op in ("import_prepare", "export_recover"):
            slowdown = best_c[op] / best_py[op]
            worst = max(worst, slowdown)
            print(json.dumps({"op": f"py_{op}", "curve": curve, "t": T, "n": N, "rounds": args.rounds,
                              "py_cpu_per_s": round(best_py[op], 1), "c_cpu_per_s": round(best_c[op], 1),
                              "slowdown": round(slowdown, 3)}), flush=True)
    print(json.dumps({"op": "py_summary", "worst_slowdown": round(worst, 3), "within_1.1": worst <= 1.1}))
    return 1 if args.check and worst > 1.1 else 0


if __name__ == "__main__":
    sys.exit(main())
