"""`keyport export init`: the request body (docs/wire.md §3) and the context file."""

from __future__ import annotations

import random

import kphelp as H
import wire_ref as W


def test_export_init_request_is_exact(kp):
    ctx = H.export_init(kp)
    assert ctx.request == (W.export_request(ctx.ek) + "\n").encode("ascii"), ctx.request
    assert ctx.context.stat().st_size == 102
    b64 = W.parse_json_strict(ctx.request)["encryptionKey"]
    assert len(b64) == 48 and b64[:2] == "AQ" and b64[2] in "IJKLMNOP"
    assert sorted(p.name for p in kp.dir.iterdir()) == ["ctx.kpx", "ctx.kpx.pass"], "no stray files"


def test_export_init_no_delete(kp):
    ctx = H.export_init(kp, extra=["--no-delete"])
    assert ctx.request == (W.export_request(ctx.ek, delete=False) + "\n").encode("ascii"), ctx.request
    assert ctx.request.endswith(b'"curve":"secp256k1"}],"delete":false}\n')
    assert ctx.context.stat().st_size == 102


def test_export_init_fresh_keys(kp):
    a = H.export_init(kp, name="a.kpx")
    b = H.export_init(kp, name="b.kpx")
    assert a.ek != b.ek
    assert a.context.read_bytes() != b.context.read_bytes()


def test_export_context_holds_the_matching_secret(kp, export_ctx):
    """The printed encryptionKey and the sealed context belong together: a share sealed by
    Python to that key is opened by `export recover`."""
    case = H.build_export(W.SECP256K1, "CGGMP21", export_ctx.ek, random.Random("ctx-match"))
    r = H.recover(kp, export_ctx, case.response)
    assert r.rc == 0, r.describe()
    assert r.out == ("%064x\n" % case.key).encode()
