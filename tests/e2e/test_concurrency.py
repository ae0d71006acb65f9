"""500 requests at once from a thread pool, mixing GET /keys, imports and exports, against one
keyportd: no request is lost, no key is duplicated, every export recovers, the log verifies."""

from __future__ import annotations

import collections
import json
import random
import time
from concurrent.futures import ThreadPoolExecutor

import kpd
import wire_ref as W

PRE_IMPORTED = 75       # keys imported first, each then exported twice at once (delete: true)
IMPORTS = 150           # imports during the storm
LISTS = 500 - IMPORTS - 2 * PRE_IMPORTED
WORKERS = 16
TIME_LIMIT = 150        # seconds for the storm


def recover(recipient: W.Recipient, response: bytes) -> int:
    """Recovers an export response with the independent reference (docs/wire.md §3)."""
    doc = json.loads(response)
    c = W.curve(doc["curve"])
    points = []
    for s in doc["encryptedKeyShares"]:
        index, share = W.parse_export_plaintext(c, recipient.open(W.unb64(s["encryptedKeyShare"])))
        points.append((index, share))
    secret = W.interpolate_at_zero(points[: doc["minSigners"]], c.order)
    assert c.public_key(secret).hex() == doc["publicKey"]
    assert W.interpolate_at_zero(points[-doc["minSigners"]:], c.order) == secret
    return secret


def test_500_mixed_requests(clusters, keyport):
    c = clusters.client(clusters.new())
    rng = random.Random(20240501)
    signers = c.get("/signers").body
    secrets = [rng.randrange(1, W.SECP256K1_N) for _ in range(PRE_IMPORTED + IMPORTS)]
    bodies = [kpd.python_import_request(signers, "secp256k1", "CGGMP21", f"{s:064x}", name=f"storm {i}", rng=rng)
              for i, s in enumerate(secrets)]

    with ThreadPoolExecutor(WORKERS) as pool:
        pre = list(pool.map(c.import_key, bodies[:PRE_IMPORTED]))
    assert all(a.status == 200 for a in pre), [a.describe() for a in pre if a.status != 200][:3]
    pre_ids = [a.json["id"] for a in pre]

    recipient = W.Recipient.random(rng)
    export_body = W.export_request(recipient.ek, True).encode()
    tasks = ([("list", None)] * LISTS + [("import", b) for b in bodies[PRE_IMPORTED:]] +
             [("export", k) for k in pre_ids] * 2)
    rng.shuffle(tasks)
    assert len(tasks) == 500

    def run(task):
        kind, arg = task
        t0 = time.time()
        if kind == "list":
            a = c.get("/keys")
        elif kind == "import":
            a = c.import_key(arg)
        else:
            a = c.export_key(arg, export_body)
        return kind, arg, a, time.time() - t0

    start = time.time()
    with ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(run, tasks, timeout=TIME_LIMIT))
    took = time.time() - start
    assert took < TIME_LIMIT

    by_kind = collections.Counter(r[0] for r in results)
    assert by_kind == {"list": LISTS, "import": IMPORTS, "export": 2 * PRE_IMPORTED}
    for kind, arg, a, _ in results:
        if kind == "list":
            assert a.status == 200, a.describe()
            items = a.json["items"]
            ids = [k["id"] for k in items]
            assert len(ids) == len(set(ids)), "a key is listed twice"
            assert all(k["status"] in ("Active", "Archived") for k in items)
        elif kind == "import":
            assert a.status == 200, a.describe()

    # each pre-imported key: exactly one of its two exports went out, the other was refused (409)
    exports = collections.defaultdict(list)
    for kind, arg, a, _ in results:
        if kind == "export":
            exports[arg].append(a)
    wanted = {kd["id"]: s for kd, s in zip((a.json for a in pre), secrets)}
    for key_id, answers in exports.items():
        statuses = sorted(a.status for a in answers)
        assert statuses == [200, 409], [a.describe() for a in answers]
        ok = next(a for a in answers if a.status == 200)
        assert recover(recipient, ok.body) == wanted[key_id]

    # nothing lost, nothing doubled
    deadline = time.time() + 10
    while True:
        keys = c.keys()
        if sum(k["status"] == "Archived" for k in keys) == PRE_IMPORTED or time.time() > deadline:
            break
        time.sleep(0.05)
    assert len(keys) == PRE_IMPORTED + IMPORTS
    pubs = collections.Counter(k["publicKey"] for k in keys)
    assert len(pubs) == PRE_IMPORTED + IMPORTS and max(pubs.values()) == 1
    want_pubs = {W.curve("secp256k1").public_key(s).hex() for s in secrets}
    assert set(pubs) == want_pubs
    assert {k["id"] for k in keys if k["status"] == "Archived"} == set(pre_ids)
    snap = kpd.snapshot(c.cluster.data)
    assert snap["journal"] == []
    for name, (pending, held) in ((n, v) for n, v in snap.items() if n.startswith("signer-")):
        assert pending == [] and len(held) == PRE_IMPORTED + IMPORTS, name

    raw = c.audit_raw()
    r = keyport.audit_verify(raw)
    assert r.rc == 0, r.err
    events = collections.Counter(e["event"] for e in kpd.audit_entries(raw))
    assert events["key.imported"] == PRE_IMPORTED + IMPORTS
    assert events["key.exported"] == PRE_IMPORTED
    assert events["key.archived"] == PRE_IMPORTED
    assert events["request.denied"] == 0
