"""Refusals are logged at a bounded rate (API.md): whoever can reach the port cannot grow the
cluster's log without bound, and the refusals not logged are counted in the next one logged."""

from __future__ import annotations

import time

import kpd


def test_denials_are_logged_at_a_bounded_rate_and_counted(clusters, keyport):
    c = clusters.client(clusters.new())
    start = time.time()
    for _ in range(30):
        assert c.call("GET", "/keys", token="wrong-token").status == 401
    assert time.time() - start < 9, "the burst must fit in one 10-second window for this test"
    denied = [e for e in kpd.audit_entries(c.audit_raw()) if e["event"] == "request.denied"]
    assert len(denied) == 20
    assert all("suppressed" not in e["details"] for e in denied)
    time.sleep(max(0.0, 10.5 - (time.time() - start)))
    assert c.call("GET", "/keys", token="wrong-token").status == 401
    denied = [e for e in kpd.audit_entries(c.audit_raw()) if e["event"] == "request.denied"]
    assert len(denied) == 21
    assert denied[-1]["details"]["suppressed"] == 10
    assert keyport.audit_verify(c.audit_raw()).rc == 0
