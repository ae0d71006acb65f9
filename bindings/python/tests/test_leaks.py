"""A refcount and leak check over 10,000 calls: argument references are given back, objects and
memory (Python's and libkeyport's, seen in the process's resident size) stay flat."""

from __future__ import annotations

import gc
import sys
import tracemalloc

import keyport
from keyport import _keyport


def _rss_kib() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4


def test_ten_thousand_calls_leak_nothing(cluster: keyport.LocalCluster) -> None:
    doc = cluster.signers_document()
    ctx = keyport.ExportContext.new()
    key = keyport.random_key("secp256k1")
    kid = cluster.import_key(keyport.import_prepare(doc, key, protocol="CGGMP21"))
    resp = cluster.export_key(kid, ctx.export_request())
    bad = b'{"clusters":[{"clusterId":"x","signers":[]}'
    scalar = bytearray(31) + b"\x05"
    pub = key.public_key

    def round_() -> None:
        _keyport.parse_signers(doc).entries()
        with ctx.recover(resp):
            pass
        try:
            keyport.signers(bad)
        except keyport.EncodingError:
            pass
        with keyport.secret_key("secp256k1", scalar) as k:
            k.to_format("hex")
        _keyport.addresses("secp256k1", pub)
        _keyport.encryption_key_encode(ctx.encryption_key)
        try:
            ctx.recover(b"{}")
        except keyport.KeyportError:
            pass
        _keyport.import_request_parse(_body)
        try:
            _keyport._test_misuse()
        except keyport.MisuseError:
            pass
        ctx.export_request(True, [("CGGMP21", "secp256k1")])

    _body = keyport.import_prepare(doc, key, protocol="CGGMP21")
    for _ in range(100):  # warm caches and allocator pools
        round_()
    gc.collect()
    refs = [sys.getrefcount(o) for o in (doc, resp, bad, scalar, pub, _body, ctx, key)]
    objects = len(gc.get_objects())
    rss = _rss_kib()
    tracemalloc.start()
    snap = tracemalloc.take_snapshot()
    for _ in range(1000):  # 1,000 rounds of 10 calls: 10,000 calls
        round_()
    gc.collect()
    grown = sum(s.size_diff for s in tracemalloc.take_snapshot().compare_to(snap, "filename"))
    tracemalloc.stop()
    assert [sys.getrefcount(o) for o in (doc, resp, bad, scalar, pub, _body, ctx, key)] == refs
    assert len(gc.get_objects()) - objects < 50
    assert grown < 64 * 1024, grown
    assert _rss_kib() - rss < 2 * 1024, (_rss_kib(), rss)
