#!/usr/bin/env python3
"""keyportd load benchmark: imports, signatures and exports per second, with latency percentiles.

Starts an embedded keyportd (5 signers) on loopback in a temporary folder, prepares every request
body and approval bundle first (so client-side work is not timed), then runs N imports and then N
exports (one per imported key, delete: true) from a pool of C client threads. Between them, N
threshold FROST signatures with an ed25519 key and N with a FROST_BITCOIN key (BIP-340), each a
different message (POST /keys/{keyId}/signatures: a user action, the two FROST rounds among 3
signers; no approvals). Each request carries
the bearer token, a signed user action (two extra round trips, included in the latency) and an
approval bundle, as in production. Prints one JSON object a line, for example
{"op":"cluster_import","n":100,"concurrency":8,"per_s":…,"p50_ms":…,"p90_ms":…,"p99_ms":…}.
Loopback only; bounded in count and time. It asserts nothing about time.

--remote runs the 5 signers as separate `keyportd signer` processes; --signer-down (remote) stops
one of them after the imports, so that the signatures and exports are made by the 4 that are up.

Usage: bench/load.py --keyportd build/server/keyportd [--n 100] [--concurrency 8] [--quick]
                     [--remote] [--signer-down]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent / "tests" / "e2e"), str(HERE.parent / "tests" / "python")]
import kpd  # noqa: E402  (the e2e suite's client: user actions and approvals done independently)
import wire_ref as W  # noqa: E402


def percentile(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def report(op: str, n: int, conc: int, took: float, lat: list[float], failed: int, mode: str) -> None:
    print(json.dumps({"op": op, "signers": mode, "n": n, "concurrency": conc, "failed": failed,
                      "per_s": round(n / took, 1),
                      "p50_ms": round(1000 * percentile(lat, 50), 1), "p90_ms": round(1000 * percentile(lat, 90), 1),
                      "p99_ms": round(1000 * percentile(lat, 99), 1)}), flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keyportd", required=True)
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--quick", action="store_true", help="a smoke run: 10 requests of each kind")
    ap.add_argument("--remote", action="store_true", help="5 signer processes instead of embedded signers")
    ap.add_argument("--signer-down", action="store_true", help="remote, and one signer stopped before the exports")
    a = ap.parse_args()
    a.remote = a.remote or a.signer_down
    mode = "remote, 1 of 5 down" if a.signer_down else "remote" if a.remote else "embedded"
    n = 10 if a.quick else max(1, min(a.n, 2000))
    rng = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="keyport-load-") as tmp:
        folder = Path(tmp)
        (folder / "team").mkdir()
        team = kpd.Team.make(folder / "team")
        cred = kpd.Credential("load-ed25519")
        creds = folder / "credentials.json"
        creds.write_text(json.dumps([cred.entry()]))
        remote, args = [], ["--policy", str(team.policy_path), "--credentials", str(creds)]
        if a.remote:
            for i in range(5):
                secret = folder / f"signer-{i}.secret"
                secret.write_text(f"{rng.getrandbits(256):064x}\n")
                remote.append(kpd.RemoteSigner(a.keyportd, folder / f"signer-{i}", secret).start())
                args += ["--signer-url", remote[i].url, "--signer-secret-file", str(secret)]
        cluster = kpd.Cluster(a.keyportd, folder / "data", args, signers=None if a.remote else 5)
        cluster.start()
        try:
            client = kpd.Client(cluster, cred, team)
            signers = client.get("/signers").body
            bodies = [kpd.python_import_request(signers, "secp256k1", "CGGMP21", f"{rng.randrange(1, W.SECP256K1_N):064x}",
                                                name=f"load {i}", rng=rng) for i in range(n)]

            def timed(fn, arg):
                t0 = time.perf_counter()
                ans = fn(arg)
                return ans, time.perf_counter() - t0

            start = time.perf_counter()
            with ThreadPoolExecutor(a.concurrency) as pool:
                imports = list(pool.map(lambda b: timed(client.import_key, b), bodies, timeout=600))
            took = time.perf_counter() - start
            ok = [ans.json["id"] for ans, _ in imports if ans.status == 200]
            report("cluster_import", n, a.concurrency, took, [t for _, t in imports], n - len(ok), mode)
            # signatures: one key of each FROST scheme, n messages each (imported while all signers are up)
            signing = {}
            for proto, curve, secret in (("FROST", "ed25519", rng.randrange(1, W.curve("ed25519").order)),
                                         ("FROST_BITCOIN", "secp256k1", rng.randrange(1, W.SECP256K1_N))):
                k = client.import_key(kpd.python_import_request(signers, curve, proto, f"{secret:064x}", name=proto,
                                                                rng=rng))
                assert k.status == 200, k.describe()
                signing[curve] = k.json["id"]
            if a.signer_down:
                remote[2].stop()

            sign_failed = 0
            for curve, op in (("ed25519", "cluster_sign_ed25519"), ("secp256k1", "cluster_sign_bip340")):
                kid = signing[curve]
                field = ("message", "Message") if curve == "ed25519" else ("hash", "Hash")
                sbodies = [kpd.compact({"kind": field[1], field[0]: "0x" + rng.randbytes(32).hex()}) for _ in range(n)]
                path = f"/keys/{kid}/signatures"
                start = time.perf_counter()
                with ThreadPoolExecutor(a.concurrency) as pool:
                    sigs = list(pool.map(lambda b: timed(lambda x: client.mutate(path, x, "sign", kid, approvers=None), b),
                                         sbodies, timeout=600))
                took = time.perf_counter() - start
                failed = sum(1 for ans, _ in sigs if ans.status != 200)
                sign_failed += failed
                report(op, n, a.concurrency, took, [t for _, t in sigs], failed, mode)

            recipient = W.Recipient.random(rng)
            body = W.export_request(recipient.ek, True).encode()
            start = time.perf_counter()
            with ThreadPoolExecutor(a.concurrency) as pool:
                exports = list(pool.map(lambda k: timed(lambda kid: client.export_key(kid, body), k), ok, timeout=600))
            took = time.perf_counter() - start
            failed = sum(1 for ans, _ in exports if ans.status != 200)
            report("cluster_export", len(ok), a.concurrency, took, [t for _, t in exports], failed, mode)
            return 0 if failed == 0 and sign_failed == 0 and len(ok) == n else 1
        finally:
            cluster.stop()
            for s in remote:
                s.stop()


if __name__ == "__main__":
    sys.exit(main())
