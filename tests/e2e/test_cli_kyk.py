"""The offline Know-Your-Key steps of the `keyport` command against keyportd: operators made with
`keyport operator new`, a policy with `keyport policy new`, approvals with `keyport approve`, and
the cluster's log checked with `keyport audit verify --writer-key`."""

from __future__ import annotations

import json

import pytest

import kpd


@pytest.fixture(scope="module")
def cli_team(keyport_bin, tmp_path_factory):
    kp = kpd.Keyport(keyport_bin, tmp_path_factory.mktemp("cli-team"))
    ops = {}
    for name in ("dora", "emil"):
        pf = kp.write(f"{name}.pass", f"pass phrase of {name}")
        kp.ok("operator", "new", "--name", name, "--out", f"{name}.kpo", "--passphrase-file", pf, "--kdf", "interactive")
        ops[name] = (kp.dir / f"{name}.kpo", pf)
    kp.ok("policy", "new", "--id", "cli-policy", "--operator", ops["dora"][0], "--operator", ops["emil"][0],
          "--quorum", "import=2", "--quorum", "export=1", "--quorum", "archive=2", "--out", "policy.json")
    return kp, ops


def approve(kp: kpd.Keyport, ops, who, action, key_id, request: bytes, bundle: str) -> bytes:
    rq = kp.write(bundle + ".request", request)
    op, pf = ops[who]
    args = ["approve", "--operator", op, "--passphrase-file", pf, "--policy", kp.dir / "policy.json", "--action", action,
            "--request", rq, "--bundle", bundle]
    if key_id is not None:
        args += ["--key-id", key_id]
    kp.ok(*args)
    return (kp.dir / bundle).read_bytes()


def test_cli_approvals_import_export_archive(clusters, cli_team, keyport, export_ctx):
    kp, ops = cli_team
    c = clusters.client(clusters.new(policy=False, args=["--policy", str(kp.dir / "policy.json")]))
    c.team = None  # approvals come from the keyport command here
    body = keyport.import_prepare(c.get("/signers").body, "stark", "CGGMP21", kpd.KEYS["stark"], tag="cli")
    approve(kp, ops, "dora", "import", None, body, "import-bundle.json")
    one = (kp.dir / "import-bundle.json").read_bytes()
    a = c.import_key(body, bundle=one)
    assert a.status == 403 and "1 counted" in a.message, a.describe()
    both = approve(kp, ops, "emil", "import", None, body, "import-bundle.json")
    a = c.import_key(body, bundle=both)
    assert a.status == 200, a.describe()
    key = a.json

    ctx, request = export_ctx
    bundle = approve(kp, ops, "emil", "export", key["id"], request, "export-bundle.json")
    e = c.export_key(key["id"], request, bundle=bundle)
    assert e.status == 200, e.describe()
    assert keyport.export_recover(ctx, e.body, tag="cli")["privateKey"] == kpd.KEYS["stark"]

    raw = c.audit_raw()
    writer = json.loads((c.cluster.data / "cluster.kpo").read_text())["publicKey"]
    r = keyport.audit_verify(raw, writer_key=writer)
    assert r.rc == 0, r.err
    r = keyport.audit_verify(raw, writer_key="00" * 32)
    assert r.rc == 8, "the log must not verify against another writer key"
    entries = kpd.audit_entries(raw)
    imported = [e for e in entries if e["event"] == "key.imported"]
    assert imported[0]["actors"] == ["dora", "emil"] and imported[0]["keyId"] == key["id"]
    exported = [e for e in entries if e["event"] == "key.exported"]
    assert exported[0]["actors"] == ["emil"]
    shown = kp.ok("audit", "show", kp.write("shown.jsonl", raw), "--key", key["id"]).out.decode()
    assert "key.imported" in shown and "key.exported" in shown
