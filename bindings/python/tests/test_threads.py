"""Threads: recoveries in 8 threads give 8 right answers, each error's detail belongs to its own
call, and the GIL is released around Argon2id, recovery and import preparation."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import pytest

import keyport
from conftest import secret_bytes


def _exports(n: int) -> list[tuple[keyport.ExportContext, bytes, bytes]]:
    out = []
    for i in range(n):
        cl = keyport.LocalCluster(5)
        curve, protocol = [("secp256k1", "CGGMP21"), ("ed25519", "FROST"), ("stark", "CGGMP24")][i % 3]
        key = keyport.random_key(curve)
        kid = cl.import_key(keyport.import_prepare(cl.signers_document(), key, protocol=protocol))
        ctx = keyport.ExportContext.new()
        out.append((ctx, cl.export_key(kid, ctx.export_request()), secret_bytes(key)))
    return out


def test_eight_threads_recover_eight_right_answers() -> None:
    jobs = _exports(8)
    barrier = threading.Barrier(8)

    def run(job: tuple[keyport.ExportContext, bytes, bytes]) -> bytes:
        ctx, resp, _want = job
        barrier.wait()
        got = b""
        for _ in range(20):
            with ctx.recover(resp) as k:
                got = secret_bytes(k)
        return got

    with ThreadPoolExecutor(8) as ex:
        results = list(ex.map(run, jobs))
    assert results == [want for _c, _r, want in jobs]


def test_each_error_detail_belongs_to_its_own_call() -> None:
    # each thread recovers a response made for another context: the detail names the
    # fingerprint of the thread's own context, never another thread's
    jobs = _exports(8)
    others = [keyport.ExportContext.new() for _ in range(8)]
    barrier = threading.Barrier(8)

    def run(i: int) -> list[str]:
        _ctx, resp, _ = jobs[i]
        barrier.wait()
        details = []
        for _ in range(25):
            try:
                others[i].recover(resp)
            except keyport.WrongContextError as e:
                details.append(e.detail)
        return details

    with ThreadPoolExecutor(8) as ex:
        results = list(ex.map(run, range(8)))
    fps = [o.fingerprint for o in others]
    for i, details in enumerate(results):
        assert len(details) == 25
        for d in details:
            assert fps[i] in d
            assert not any(fp in d for j, fp in enumerate(fps) if j != i)


def test_mixed_errors_in_parallel_keep_their_own_detail() -> None:
    # different failures at once: each message is that of its own call
    calls: list[tuple[Callable[[], object], type[keyport.KeyportError], str]] = [
        (lambda: keyport.signers(b"{\"clusters\":"), keyport.EncodingError, "JSON"),
        (lambda: keyport.parse_key(b"zz", "hex", curve="ed25519"), keyport.EncodingError, "hex"),
        (lambda: keyport.scheme_check("FROST", "stark"), keyport.InvalidKeyError, "FROST with curve stark"),
        (lambda: keyport.parse_key(b"abandon", "mnemonic", path="m"), keyport.KeyFormatError, "word"),
    ]
    barrier = threading.Barrier(8)

    def run(i: int) -> list[str]:
        fn, cls, _ = calls[i % len(calls)]
        barrier.wait()
        out = []
        for _ in range(200):
            with pytest.raises(cls) as ei:
                fn()
            out.append(ei.value.detail)
        return out

    with ThreadPoolExecutor(8) as ex:
        results = list(ex.map(run, range(8)))
    for i, details in enumerate(results):
        word = calls[i % len(calls)][2]
        assert all(word.lower() in d.lower() for d in details), (word, set(details))


def _progress_while(fn: Callable[[], object]) -> tuple[int, float]:
    """How many times the main thread ran while fn was inside its C call in another thread: the
    worker notes when the call began and ended, the main thread notes when it ran."""
    span: list[float] = []
    done = threading.Event()

    def work() -> None:
        try:
            span.append(time.perf_counter())
            fn()
            span.append(time.perf_counter())
        finally:
            done.set()

    t = threading.Thread(target=work)
    ticks: list[float] = []
    t.start()
    while not done.is_set():
        ticks.append(time.perf_counter())
        time.sleep(0.001)  # let the worker take the GIL
    t.join()
    begin, end = span
    return sum(1 for x in ticks if begin < x < end), end - begin


@pytest.mark.parametrize("what", ["argon2id", "recovery", "import"])
def test_the_gil_is_released(what: str) -> None:
    cl = keyport.LocalCluster(64)
    ctx = keyport.ExportContext.new()
    doc = cl.signers_document()
    key = keyport.random_key("secp256k1")
    resp = b""
    if what == "recovery":
        kid = cl.import_key(keyport.import_prepare(doc, key, protocol="CGGMP21", min_signers=32))
        resp = cl.export_key(kid, ctx.export_request())
    fns: dict[str, Callable[[], object]] = {
        "argon2id": lambda: ctx.seal(b"pw", keyport.Kdf.MODERATE),
        "recovery": lambda: [ctx.recover(resp) for _ in range(20)],
        "import": lambda: [keyport.import_prepare(doc, key, protocol="CGGMP21", min_signers=32) for _ in range(6)],
    }
    n, seconds = _progress_while(fns[what])
    # with the GIL held through the C call the main thread could not run during it, apart from
    # the moments between calls
    assert seconds > 0.02 and n >= 10, (n, seconds)
