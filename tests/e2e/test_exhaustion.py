"""Resources an attacker can hold: connections (with or without a token) and user action
challenges (with a token). Loopback only, bounded in sockets and in time."""

from __future__ import annotations

import http.client
import resource
import select
import socket
import time
from urllib.parse import urlsplit

import kpd

FLOOD = 2000


def host_port(c: kpd.Cluster) -> tuple[str, int]:
    u = urlsplit(c.url)
    return u.hostname, u.port


def get_from(c: kpd.Cluster, source: str, path: str = "/keys", timeout: float = 5) -> int:
    """GET path with the token from a socket bound to source (another loopback address)."""
    host, port = host_port(c)
    conn = http.client.HTTPConnection(host, port, timeout=timeout, source_address=(source, 0))
    try:
        conn.request("GET", path, headers={"Authorization": "Bearer " + c.token})
        r = conn.getresponse()
        r.read()
        return r.status
    finally:
        conn.close()


def open_flood(host: str, port: int, n: int, budget: float = 8.0) -> list[socket.socket]:
    """n connections from 127.0.0.1, non-blocking; half send nothing, half a request cut short."""
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex((host, port))
        socks.append(s)
    deadline = time.time() + budget
    poll = select.poll()
    pending = {}
    for s in socks:
        poll.register(s, select.POLLOUT)
        pending[s.fileno()] = s
    while pending and time.time() < deadline:
        for fd, _ in poll.poll(500):
            poll.unregister(fd)
            pending.pop(fd, None)
    pending = set(pending.values())
    for i, s in enumerate(socks):
        if i % 2 and s not in pending:
            try:
                s.send(b"POST /keys/import HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\nX-Half: ")
            except OSError:
                pass
    return socks


def test_idle_connections_from_one_address_do_not_lock_out_another(clusters):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < FLOOD + 200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, FLOOD + 500), hard))
    c = clusters.new()
    host, port = host_port(c)
    socks = open_flood(host, port, FLOOD)
    try:
        time.sleep(0.5)
        # another address is still served, at once, again and again
        for _ in range(5):
            assert get_from(c, "127.0.0.2") == 200
        # and the flooding address itself gets no more than its share, without stopping the server
        assert c.proc.poll() is None
    finally:
        for s in socks:
            s.close()
    # once the flood is gone, the first address is served again
    deadline = time.time() + 15
    while True:
        try:
            assert get_from(c, "127.0.0.1") == 200
            break
        except (OSError, http.client.HTTPException):
            if time.time() > deadline:
                raise
            time.sleep(0.2)


def test_a_request_trickled_byte_by_byte_is_cut_off(clusters):
    """A client that sends its headers one byte a second keeps no connection for long: the
    headers have a deadline of their own, not only an idle timeout."""
    c = clusters.new()
    host, port = host_port(c)
    s = socket.create_connection((host, port), timeout=2)
    line = b"GET /keys HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200
    start = time.time()
    closed = False
    try:
        for b in line:
            try:
                s.send(bytes([b]))
            except OSError:
                closed = True
                break
            try:
                s.settimeout(1)
                got = s.recv(1024)
                if got == b"" or got.startswith(b"HTTP/1.1 408"):
                    closed = True
                    break
            except socket.timeout:
                pass
            if time.time() - start > 45:
                break
    finally:
        s.close()
    assert closed, "a request whose headers trickle in was kept open for 45 s"


def sign_only(client: kpd.Client, cred: kpd.Credential) -> kpd.Answer:
    """A user action signed and never used: init, then sign."""
    init = client.call("POST", "/auth/action/init", kpd.compact({
        "userActionPayload": "{}", "userActionHttpMethod": "POST", "userActionHttpPath": "/keys/key-x/archive",
        "userActionServerKind": "Api"}))
    assert init.status == 200, init.describe()
    ch = init.json
    cd = kpd.compact({"type": "key.get", "challenge": ch["challenge"]})
    return client.call("POST", "/auth/action", kpd.compact({
        "challengeIdentifier": ch["challengeIdentifier"],
        "firstFactor": {"kind": "Key", "credentialAssertion": {
            "credId": cred.cred_id, "clientData": kpd.b64url(cd), "signature": kpd.b64url(cred.sign(cd))}}}))


def test_a_challenge_flood_locks_out_no_one(clusters, keyport, cred, cred_p256):
    """4,200 challenges asked for and never answered: every credential still signs user actions,
    and a key operation goes through."""
    client = clusters.client(clusters.new())
    host, port = host_port(client.cluster)
    body = kpd.compact({"userActionPayload": "{}", "userActionHttpMethod": "POST",
                        "userActionHttpPath": "/keys/import", "userActionServerKind": "Api"})
    conn = http.client.HTTPConnection(host, port, timeout=30)
    statuses = {}
    for _ in range(4200):
        conn.request("POST", "/auth/action/init", body,
                     {"Authorization": "Bearer " + client.token, "Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        statuses[r.status] = statuses.get(r.status, 0) + 1
    conn.close()
    print("challenge flood:", statuses)
    # the flood asked for no credential; whoever signs next is not refused because of it
    for c in (cred, cred_p256):
        a = sign_only(client, c)
        assert a.status == 200, a.describe()
    signers = client.get("/signers").body
    req = keyport.import_prepare(signers, "secp256k1", "CGGMP21", kpd.KEYS["secp256k1"], tag="flood")
    a = client.import_key(req)
    assert a.status == 200, a.describe()


def test_unused_user_actions_are_bounded_per_credential(clusters, cred, cred_p256):
    """One credential that signs user actions and never uses them runs out of its own allowance;
    another credential is not affected."""
    client = clusters.client(clusters.new())
    refused = None
    for i in range(600):
        a = sign_only(client, cred)
        if a.status != 200:
            refused = (i, a)
            break
    assert refused is not None, "600 unused user actions of one credential were all issued"
    i, a = refused
    assert a.status == 429, a.describe()
    assert cred.cred_id in a.message
    print(f"credential {cred.cred_id}: refused after {i} unused user actions")
    b = sign_only(client, cred_p256)
    assert b.status == 200, b.describe()
