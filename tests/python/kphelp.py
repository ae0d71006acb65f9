"""Helpers for the keyport cross-check tests: running the CLI and building test data.

Everything cryptographic comes from wire_ref (the independent reference); this module only
arranges it into signer sets, export responses and CLI calls.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import wire_ref as W

# Exit codes of the keyport command.
EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_INPUT = 3
EXIT_DECRYPT = 4
EXIT_RECOVER = 5
EXIT_IO = 6

MAX_INPUT_BYTES = 1 << 20
PASSPHRASE = b"correct horse battery staple"
CMD_TIMEOUT = 60


@dataclass
class Run:
    args: list[str]
    rc: int
    out: bytes
    err: str

    def describe(self) -> str:
        return (f"keyport {' '.join(self.args)}\n  exit {self.rc}\n  stdout {self.out[:400]!r}"
                f"\n  stderr {self.err[:2000]!r}")


def _listing(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


class Keyport:
    """Runs the keyport binary with a working directory that holds the test's files."""

    def __init__(self, binary: str, workdir: Path):
        self.binary = binary
        self.dir = Path(workdir)

    def path(self, name: str) -> Path:
        return self.dir / name

    def write(self, name: str, data: bytes | str) -> Path:
        p = self.dir / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return p

    def run(self, *args, stdin: bytes | None = None) -> Run:
        argv = [str(a) for a in args]
        try:
            cp = subprocess.run([self.binary, *argv], cwd=self.dir, input=stdin if stdin is not None else b"",
                                capture_output=True, timeout=CMD_TIMEOUT)
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(f"keyport {' '.join(argv)} ran for more than {CMD_TIMEOUT} s") from exc
        return Run(argv, cp.returncode, cp.stdout, cp.stderr.decode("utf-8", "replace"))

    def ok(self, *args, stdin: bytes | None = None) -> Run:
        r = self.run(*args, stdin=stdin)
        assert r.rc == 0, "keyport failed:\n" + r.describe()
        return r

    def fail(self, *args, codes: Sequence[int] | int | None = None, stdin: bytes | None = None,
             must_not_exist: Sequence[Path | str] = ()) -> Run:
        """Runs a command that must fail cleanly: exit in 1..127 (and in `codes` when given),
        nothing on stdout, a message on stderr, and no file left behind in the work folder."""
        before = _listing(self.dir)
        r = self.run(*args, stdin=stdin)
        d = r.describe()
        assert r.rc != 0, "keyport should have failed:\n" + d
        assert 1 <= r.rc <= 127, "keyport died from a signal or an out-of-range exit code:\n" + d
        if codes is not None:
            codes = [codes] if isinstance(codes, int) else list(codes)
            assert r.rc in codes, f"exit code should be one of {codes}:\n" + d
        assert r.out == b"", "a failing keyport must print nothing on stdout:\n" + d
        assert r.err.strip(), "a failing keyport must say why on stderr:\n" + d
        new = _listing(self.dir) - before
        assert not new, f"keyport left files behind: {sorted(new)}\n" + d
        for p in must_not_exist:
            assert not Path(self.dir, p).exists(), f"{p} must not exist after a failure:\n" + d
        return r


# --------------------------------------------------------------------------- export context

@dataclass
class ExportContext:
    """An export context made by `keyport export init` (the session fixture)."""
    context: Path
    passfile: Path
    ek: bytes
    request: bytes


def export_init(kp: Keyport, name: str = "ctx.kpx", passphrase: bytes = PASSPHRASE,
                extra: Sequence[str] = ()) -> ExportContext:
    passfile = kp.write(name + ".pass", passphrase)
    ctx = kp.path(name)
    r = kp.ok("export", "init", "--context", ctx, "--passphrase-file", passfile, "--kdf", "interactive", *extra)
    body = W.parse_json_strict(r.out)
    ek = W.decode_encryption_key(body["encryptionKey"])
    return ExportContext(ctx, passfile, ek, r.out)


# --------------------------------------------------------------------------- signers

@dataclass
class Signer:
    sid: str            # signerId as base64
    raw: bytes          # decoded signerId
    recipient: W.Recipient

    @property
    def ek_b64(self) -> str:
        return self.recipient.ek_b64


# First bytes chosen so that the base64 strings ('/', '+', 'A', 'P', 'f', ...) sort differently
# in ASCII from the decoded bytes (0xfc, 0xf8, 0x00, 0x3e, 0x7f): a keyport that sorts by the
# base64 text instead of the bytes gets the order wrong.
_FIRST_BYTES = [0xFC, 0x00, 0x7F, 0xF8, 0x3E, 0xC1, 0x5A, 0x9B]


def make_signers(rng: random.Random, n: int, id_len: int = 16) -> list[Signer]:
    """n signers with distinct ids whose 4-character prefix and suffix are distinct too
    (so that a message abbreviating ids still names one signer)."""
    out: list[Signer] = []
    seen: set[str] = set()
    i = 0
    while len(out) < n:
        first = _FIRST_BYTES[i % len(_FIRST_BYTES)] if i < len(_FIRST_BYTES) else rng.randrange(256)
        raw = bytes([first]) + rng.randbytes(id_len - 1)
        sid = W.b64(raw)
        i += 1
        if sid[:4] in seen or sid[-4:] in seen or sid in seen:
            continue
        seen.update({sid[:4], sid[-4:], sid})
        out.append(Signer(sid, raw, W.Recipient.random(rng)))
    return out


def signers_json(signers: Sequence[Signer], cluster: str = "c1") -> str:
    return W.signers_response([(cluster, [(s.sid, s.ek_b64) for s in signers])])


def mentions(text: str, sid: str) -> bool:
    """Whether a message names signer `sid`, in full or abbreviated as 'abcd…wxyz'."""
    if sid in text:
        return True
    pat = re.escape(sid[:4]) + r"(?:…|\.\.\.)" + re.escape(sid[-4:])
    return re.search(pat, text) is not None


# --------------------------------------------------------------------------- export responses

BAD_KINDS = (
    "garbage",        # random bytes of the right length: does not decrypt
    "truncated",      # shorter than the envelope overhead
    "wrong_key",      # sealed to another encryption key
    "tampered",       # one ciphertext byte flipped: tag fails
    "not_json",       # decrypts, but is not JSON
    "curve_tag",      # secret_share tagged with another curve
    "index_curve",    # index tagged with another curve
    "off_poly",       # share + 1: parses, but is off the polynomial
    "zero_share",     # secret_share is zero
    "zero_index",     # index is zero
    "version",        # version 2
    "no_share",       # secret_share missing
)


def _other_curve(c: W.Curve) -> W.Curve:
    return W.STARK if c is W.SECP256K1 else W.SECP256K1


def bad_share_ciphertext(kind: str, c: W.Curve, ek: bytes, index: int, share: int,
                         rng: random.Random) -> bytes:
    good_pt = W.export_plaintext(c, index, share)
    if kind == "garbage":
        return rng.randbytes(len(good_pt) + W.ENVELOPE_OVERHEAD)
    if kind == "truncated":
        return W.seal(ek, good_pt)[:40]
    if kind == "wrong_key":
        return W.seal(W.Recipient.random(rng).ek, good_pt)
    if kind == "tampered":
        ct = bytearray(W.seal(ek, good_pt))
        ct[5] ^= 0x01
        return bytes(ct)
    if kind == "not_json":
        return W.seal(ek, b"this is not JSON at all, sorry")
    if kind == "curve_tag":
        o = _other_curve(c)
        pt = ('{"version":1,"index":%s,"secret_share":%s}'
              % (W.scalar_json(c, index), W.scalar_json(o, share % o.order))).encode()
        return W.seal(ek, pt)
    if kind == "index_curve":
        o = _other_curve(c)
        pt = ('{"version":1,"index":%s,"secret_share":%s}'
              % (W.scalar_json(o, index), W.scalar_json(c, share))).encode()
        return W.seal(ek, pt)
    if kind == "off_poly":
        return W.seal(ek, W.export_plaintext(c, index, (share + 1) % c.order or 1))
    if kind == "zero_share":
        return W.seal(ek, W.export_plaintext(c, index, 0))
    if kind == "zero_index":
        return W.seal(ek, W.export_plaintext(c, 0, share))
    if kind == "version":
        return W.seal(ek, good_pt.replace(b'"version":1', b'"version":2', 1))
    if kind == "no_share":
        return W.seal(ek, ('{"version":1,"index":%s}' % W.scalar_json(c, index)).encode())
    raise ValueError(kind)


@dataclass
class ExportCase:
    curve: W.Curve
    protocol: str
    key: int
    public_key: bytes
    t: int
    signer_ids: list[str]
    indices: dict[str, int]
    shares: dict[str, int]
    bad: dict[str, str] = field(default_factory=dict)   # signerId -> kind
    response: str = ""

    @property
    def good_ids(self) -> list[str]:
        return [s for s in self.signer_ids if s not in self.bad]


def build_export(c: W.Curve, protocol: str, ek: bytes, rng: random.Random, *, n: int = 5, t: int = 3,
                 key: int | None = None, indices: Sequence[int] | None = None,
                 bad: dict[int, str] | None = None, shuffle: bool = True,
                 extra_field_at: Sequence[int] = (), public_key: bytes | None = None) -> ExportCase:
    """An export response as a Dfns cluster would send it (docs/wire.md §3), with the shares at the
    positions in `bad` (0-based, before shuffling) spoiled as named."""
    key = c.random_scalar(rng) if key is None else key
    indices = list(range(1, n + 1)) if indices is None else list(indices)
    assert len(indices) == n
    _, share_at = W.shamir_split(key, t, indices, c.order, rng)
    ids = [s.sid for s in make_signers(rng, n)]
    case = ExportCase(c, protocol, key, public_key or c.public_key(key), t, ids,
                      dict(zip(ids, indices)), {sid: share_at[x] for sid, x in zip(ids, indices)})
    entries = []
    for pos, sid in enumerate(ids):
        x, s = case.indices[sid], case.shares[sid]
        if bad and pos in bad:
            case.bad[sid] = bad[pos]
            ct = bad_share_ciphertext(bad[pos], c, ek, x, s, rng)
        else:
            pt = W.export_plaintext(c, x, s)
            if pos in extra_field_at:
                # docs/wire.md §2: unknown fields are ignored.
                pt = pt[:-1] + b',"chain_code":null,"extra":{"a":[1,2]}}'
            ct = W.seal(ek, pt)
            if c is W.SECP256K1 and pos not in extra_field_at:
                assert len(ct) == 281  # docs/wire.md §2 size
        entries.append((sid, ct))
    if shuffle:
        rng.shuffle(entries)
    case.response = W.export_response(c, protocol, case.public_key, t, entries)
    return case


def recover(kp: Keyport, ctx: ExportContext, response: str | bytes, *extra: str,
            name: str = "resp.json") -> Run:
    resp = kp.write(name, response if isinstance(response, bytes) else response + "\n")
    return kp.run("export", "recover", "--context", ctx.context, "--passphrase-file", ctx.passfile,
                  "--response", resp, *extra)


def recover_args(kp: Keyport, ctx: ExportContext, response: str | bytes, name: str = "resp.json") -> list:
    resp = kp.write(name, response if isinstance(response, bytes) else response + "\n")
    return ["export", "recover", "--context", ctx.context, "--passphrase-file", ctx.passfile,
            "--response", resp]


# --------------------------------------------------------------------------- import

@dataclass
class ImportResult:
    body: dict
    raw: bytes
    signers_sorted: list[Signer]
    ciphertexts: list[bytes]
    plaintexts: list[bytes]


def import_prepare(kp: Keyport, signers: Sequence[Signer], c: W.Curve, protocol: str, key_text: str | bytes,
                   *extra: str, signers_doc: str | None = None) -> ImportResult:
    sj = kp.write("signers.json", (signers_doc or signers_json(signers)) + "\n")
    kf = kp.write("key.txt", key_text)
    r = kp.ok("import", "prepare", "--signers", sj, "--curve", c.name, "--protocol", protocol,
              "--key-file", kf, *extra)
    return read_import(r.out, signers, c)


def read_import(out: bytes, signers: Sequence[Signer], c: W.Curve) -> ImportResult:
    body = W.parse_json_strict(out)
    by_id = {s.sid: s for s in signers}
    entries = body["encryptedKeyShares"]
    sorted_signers = [by_id[e["signerId"]] for e in entries]
    cts = [W.unb64(e["encryptedKeyShare"]) for e in entries]
    pts = [s.recipient.open(ct) for s, ct in zip(sorted_signers, cts)]
    return ImportResult(body, out, sorted_signers, cts, pts)


def env_path(name: str) -> str | None:
    v = os.environ.get(name)
    return v if v else None


def check_import(res: ImportResult, c: W.Curve, protocol: str, key: int, t: int,
                 signers: Sequence[Signer], name: str | None = None) -> list[int]:
    """Checks a POST /keys/import body against docs/wire.md §2 and §4; returns the shares in sorted order."""
    import itertools

    body = res.body
    want_keys = (["name"] if name is not None else []) + ["curve", "protocol", "minSigners", "encryptedKeyShares"]
    assert list(body) == want_keys, f"import body fields {list(body)}, want {want_keys}"
    if name is not None:
        assert body["name"] == name
    assert body["curve"] == c.name and body["protocol"] == protocol
    assert body["minSigners"] == t and type(body["minSigners"]) is int
    n = len(signers)
    ids = [e["signerId"] for e in body["encryptedKeyShares"]]
    assert all(list(e) == ["signerId", "encryptedKeyShare"] for e in body["encryptedKeyShares"])
    assert ids == W.sort_signer_ids(s.sid for s in signers), "shares must be sorted by decoded signerId bytes"
    assert len(res.ciphertexts) == n

    shares, pubsets = [], []
    for s, ct, pt in zip(res.signers_sorted, res.ciphertexts, res.plaintexts):
        share, pubs = W.parse_import_plaintext(c, pt)
        assert W.import_plaintext(c, share, pubs) == pt, \
            f"plaintext for {s.sid} is not in the exact docs/wire.md §2 form:\n{pt!r}"
        assert len(ct) == len(pt) + W.ENVELOPE_OVERHEAD
        assert len(pubs) == n
        shares.append(share)
        pubsets.append(pubs)
    if c is W.SECP256K1 and n == 5:
        assert all(len(pt) == 959 for pt in res.plaintexts)
        assert all(len(ct) == 1008 for ct in res.ciphertexts)
    ephemerals = {ct[-33:] for ct in res.ciphertexts}
    assert len(ephemerals) == n, "every share must use a fresh ephemeral key"

    pubs = pubsets[0]
    assert all(p == pubs for p in pubsets), "all signers must receive the same public_shares"
    for j, share in enumerate(shares):
        assert c.public_wire(share) == pubs[j], f"public_shares[{j}] != x_{j + 1}·G"

    pts = [(i + 1, s) for i, s in enumerate(shares)]
    for sub in itertools.combinations(pts, t):
        assert W.interpolate_at_zero(sub, c.order) == key, f"shares {[x for x, _ in sub]} do not give the key"
    for sub in itertools.combinations(pts, t - 1):
        assert W.interpolate_at_zero(sub, c.order) != key, "t-1 shares must not give the key"
    for x, y in pts[t:]:
        assert W.interpolate_at(pts[:t], x, c.order) == y, f"share {x} is off the degree {t - 1} polynomial"

    group = W.interpolate_points_at_zero(c, [(i + 1, c.from_wire(p)) for i, p in enumerate(pubs[:t])])
    assert c.pub(group) == c.public_key(key)
    return shares
