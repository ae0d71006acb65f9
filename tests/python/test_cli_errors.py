"""Bad input through the CLI.  Every failure must: exit with a code in 1..127 (the documented
one where it is unambiguous), print nothing on stdout, say why on stderr, and leave no file
behind (for `export init`, no --context file)."""

from __future__ import annotations

import json
import random

import pytest

import kphelp as H
import wire_ref as W
from kphelp import EXIT_DECRYPT, EXIT_INPUT, EXIT_IO, EXIT_RECOVER, EXIT_USAGE

USAGE_OR_INPUT = (EXIT_USAGE, EXIT_INPUT)


def _off_curve_x() -> bytes:
    p = W.SECP256K1_P
    x = 5
    while pow(x**3 + 7, (p - 1) // 2, p) == 1:
        x += 1
    return x.to_bytes(32, "big")


# =========================================================================== import prepare

class Import:
    """A valid `import prepare` call whose parts each test spoils."""

    def __init__(self, kp: H.Keyport):
        self.kp = kp
        self.rng = random.Random("cli-errors-import")
        self.signers = H.make_signers(self.rng, 5)
        self.key = W.SECP256K1.random_scalar(self.rng)

    def entries(self):
        return [{"signerId": s.sid, "encryptionKey": s.ek_b64} for s in self.signers]

    def doc(self, entries=None, cluster="c1") -> str:
        return json.dumps({"clusters": [{"clusterId": cluster, "signers": entries or self.entries()}]},
                          separators=(",", ":"))

    def args(self, signers: str | bytes | None = None, key: str | bytes | None = None,
             curve="secp256k1", protocol="CGGMP21", extra=()) -> list:
        sj = self.kp.write("signers.json", self.doc() if signers is None else signers)
        kf = self.kp.write("key.txt", W.scalar_hex(self.key) + "\n" if key is None else key)
        return ["import", "prepare", "--signers", sj, "--curve", curve, "--protocol", protocol,
                "--key-file", kf, *extra]

    def fail(self, codes=EXIT_INPUT, **kw) -> H.Run:
        return self.kp.fail(*self.args(**kw), codes=codes)


@pytest.fixture
def imp(kp):
    return Import(kp)


def test_import_baseline_is_valid(imp):
    """The unspoiled call works, so each failure below is due to its one change."""
    r = imp.kp.ok(*imp.args())
    H.check_import(H.read_import(r.out, imp.signers, W.SECP256K1), W.SECP256K1, "CGGMP21", imp.key, 3,
                   imp.signers)


@pytest.mark.parametrize("name,spoil", [
    ("malformed", lambda d: d.replace('"signers":', '"signers"', 1)),
    ("truncated", lambda d: d[: len(d) // 2]),
    ("truncated-last-byte", lambda d: d[:-1]),
    ("empty", lambda d: ""),
    ("whitespace-only", lambda d: "  \n"),
    ("not-an-object", lambda d: "[" + d + "]"),
    ("trailing-data", lambda d: d + " {}"),
    ("duplicate-key", lambda d: d[:-1] + ',"clusters":[]}'),
    ("no-clusters", lambda d: '{"clusters":[]}'),
    ("no-signers", lambda d: '{"clusters":[{"clusterId":"c1","signers":[]}]}'),
    ("raw-nul-byte", lambda d: d.replace('"c1"', '"c\x00x"')),
])
def test_import_bad_signers_json(imp, name, spoil):
    imp.fail(signers=spoil(imp.doc()))


def _ek_raw(imp, i=0):
    return imp.signers[i].recipient.ek


@pytest.mark.parametrize("name,field,value", [
    ("signerId-bad-base64", "signerId", "not*base64!"),
    ("signerId-bad-padding", "signerId", "AAAA="),
    ("encryptionKey-bad-base64", "encryptionKey", "AQ@@" + "A" * 44),
    ("encryptionKey-prefix-0", "encryptionKey", "x00"),
    ("encryptionKey-prefix-2", "encryptionKey", "x02"),
    ("encryptionKey-no-prefix", "encryptionKey", "bare"),
    ("encryptionKey-off-curve", "encryptionKey", "offcurve"),
    ("encryptionKey-uncompressed", "encryptionKey", "uncompressed"),
    ("encryptionKey-number", "encryptionKey", 12),
])
def test_import_bad_signer_entry(imp, name, field, value):
    entries = imp.entries()
    ek = _ek_raw(imp, 2)
    value = {
        "x00": W.b64(b"\x00" + ek),
        "x02": W.b64(b"\x02" + ek),
        "bare": W.b64(ek),
        "offcurve": W.b64(b"\x01\x02" + _off_curve_x()),
        "uncompressed": W.b64(b"\x01" + W.SECP256K1.from_pub(ek).format(compressed=False)),
    }.get(value, value)
    entries[2][field] = value
    imp.fail(signers=imp.doc(entries))


def test_import_duplicate_signer_ids(imp):
    entries = imp.entries()
    entries[3]["signerId"] = entries[1]["signerId"]
    imp.fail(signers=imp.doc(entries))


def test_import_too_many_signers(imp):
    signers = H.make_signers(random.Random("65"), 65)
    imp.fail(signers=H.signers_json(signers))


def test_import_two_clusters_need_cluster_option(imp):
    doc = W.signers_response([("c1", [(s.sid, s.ek_b64) for s in imp.signers[:3]]),
                              ("c2", [(s.sid, s.ek_b64) for s in imp.signers]) ])
    imp.fail(signers=doc, codes=USAGE_OR_INPUT)


def test_import_unknown_cluster(imp):
    imp.fail(extra=["--cluster", "nope"])


@pytest.mark.parametrize("name,key", [
    ("empty", ""),
    ("newline-only", "\n"),
    ("bad-hex", "zz" + "00" * 31),
    ("bad-hex-inside", "00" * 15 + "0g" + "00" * 16),
    ("65-digits", "1" + "0" * 64),
    ("66-digits", "01" * 33),
    ("zero", "00" * 32),
    ("zero-short", "0"),
    ("order", W.scalar_hex(W.SECP256K1_N)),
    ("order+1", W.scalar_hex(W.SECP256K1_N + 1)),
    ("all-ff", "ff" * 32),
    ("two-keys", W.scalar_hex(5) + "\n" + W.scalar_hex(6)),
    ("0x-only", "0x"),
])
def test_import_bad_key(imp, name, key):
    imp.fail(key=key)


@pytest.mark.parametrize("curve_name,protocol,key", [
    ("ed25519", "FROST", W.scalar_hex(W.ED25519_L)),
    ("ed25519", "FROST", W.scalar_hex(W.ED25519_L + 5)),
    ("ed25519", "FROST", "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"),  # a seed >= l as hex
    ("stark", "CGGMP21", W.scalar_hex(W.STARK_N)),
    ("stark", "CGGMP24", W.scalar_hex(2**252)),
    ("stark", "CGGMP21", "00" * 32),
    ("ed25519", "FROST", "00" * 32),
])
def test_import_key_out_of_range_per_curve(imp, curve_name, protocol, key):
    imp.fail(key=key, curve=curve_name, protocol=protocol)


def test_import_key_file_over_1mib(imp):
    imp.fail(key=W.scalar_hex(imp.key) + " " * H.MAX_INPUT_BYTES)


def test_import_signers_file_over_1mib(imp):
    doc = imp.doc()
    imp.fail(signers=doc + " " * (H.MAX_INPUT_BYTES + 1 - len(doc)))


def test_import_signers_file_of_exactly_1mib_is_accepted(imp):
    doc = imp.doc()
    padded = doc + " " * (H.MAX_INPUT_BYTES - len(doc))
    assert len(padded) == H.MAX_INPUT_BYTES
    imp.kp.ok(*imp.args(signers=padded))


@pytest.mark.parametrize("protocol,curve_name", [
    ("FROST", "secp256k1"), ("FROST", "stark"), ("FROST_BITCOIN", "stark"), ("FROST_BITCOIN", "ed25519"),
    ("CGGMP21", "ed25519"), ("CGGMP24", "ed25519"),
])
def test_import_unsupported_scheme_lists_valid_pairs(imp, protocol, curve_name):
    r = imp.fail(curve=curve_name, protocol=protocol, codes=USAGE_OR_INPUT)
    for word in ("CGGMP21", "CGGMP24", "FROST", "FROST_BITCOIN", "secp256k1", "stark", "ed25519"):
        assert word in r.err, f"the message should list the valid pairs ({word} missing):\n" + r.describe()


@pytest.mark.parametrize("curve_name,protocol", [
    ("p256", "CGGMP21"), ("Secp256k1", "CGGMP21"), ("secp256k1", "cggmp21"), ("secp256k1", "GG18"),
    ("", "CGGMP21"),
])
def test_import_unknown_curve_or_protocol(imp, curve_name, protocol):
    imp.fail(curve=curve_name, protocol=protocol, codes=USAGE_OR_INPUT)


@pytest.mark.parametrize("t", ["1", "0", "6", "-1", "abc", "", "3x", "4294967299"])
def test_import_bad_min_signers(imp, t):
    imp.fail(extra=["--min-signers", t], codes=USAGE_OR_INPUT)


def test_import_min_signers_above_two_signers(imp):
    two = H.signers_json(imp.signers[:2])
    imp.fail(signers=two, codes=USAGE_OR_INPUT)  # default minSigners 3 > n = 2


def test_import_bad_key_format(imp):
    imp.fail(extra=["--key-format", "wif-ish"], codes=USAGE_OR_INPUT)


def test_import_seed_format_needs_ed25519(imp):
    imp.fail(extra=["--key-format", "ed25519-seed"], codes=USAGE_OR_INPUT)


@pytest.mark.parametrize("seed", ["01" * 33, "01" * 16 + "zz" + "01" * 15, ""])
def test_import_bad_seed(imp, seed):
    imp.fail(key=seed, curve="ed25519", protocol="FROST", extra=["--key-format", "ed25519-seed"])


def test_import_missing_files(imp):
    args = imp.args()
    i = args.index("--signers")
    imp.kp.fail(*args[:i + 1], imp.kp.path("nope.json"), *args[i + 2:], codes=EXIT_IO)
    j = args.index("--key-file")
    imp.kp.fail(*args[:j + 1], imp.kp.path("nope.txt"), *args[j + 2:], codes=EXIT_IO)


def test_import_usage_errors(imp):
    args = imp.args()
    i = args.index("--signers")
    imp.kp.fail(*args[:i], *args[i + 2:], codes=EXIT_USAGE)                    # no --signers
    imp.kp.fail(*args, "--frobnicate", codes=EXIT_USAGE)                         # unknown option
    imp.kp.fail("import", codes=EXIT_USAGE)                                      # no sub-command
    imp.kp.fail("import", "frobnicate", codes=EXIT_USAGE)                        # unknown sub-command
    imp.kp.fail("frobnicate", codes=EXIT_USAGE)                                  # unknown command
    imp.kp.fail(codes=EXIT_USAGE)                                                # nothing at all


# =========================================================================== export init

def test_export_init_failures_leave_no_context(kp):
    good_pass = kp.write("pass.txt", H.PASSPHRASE)
    empty_pass = kp.write("empty.txt", b"")
    ctx = kp.path("ctx.kpx")

    def init(*args, codes):
        kp.fail("export", "init", *args, codes=codes, must_not_exist=[ctx])

    init("--context", ctx, "--passphrase-file", empty_pass, "--kdf", "interactive", codes=EXIT_INPUT)
    init("--context", ctx, "--passphrase-file", kp.path("missing.txt"), "--kdf", "interactive", codes=EXIT_IO)
    init("--context", ctx, "--passphrase-file", good_pass, "--kdf", "fast", codes=EXIT_USAGE)
    init("--context", ctx, "--kdf", "interactive", codes=EXIT_USAGE)
    init("--passphrase-file", good_pass, "--kdf", "interactive", codes=EXIT_USAGE)
    init("--context", ctx, "--passphrase-file", good_pass, "--kdf", "interactive", "--bogus-option",
         codes=EXIT_USAGE)
    kp.fail("export", "init", "--context", kp.path("no/such/dir/ctx.kpx"), "--passphrase-file", good_pass,
            "--kdf", "interactive", codes=EXIT_IO, must_not_exist=["no/such/dir/ctx.kpx"])


# =========================================================================== export recover

@pytest.fixture(scope="module")
def good_case(export_ctx):
    return H.build_export(W.SECP256K1, "CGGMP21", export_ctx.ek, random.Random("cli-errors-export"))


def test_recover_baseline_is_valid(kp, export_ctx, good_case):
    r = H.recover(kp, export_ctx, good_case.response)
    assert r.rc == 0 and r.out == ("%064x\n" % good_case.key).encode(), r.describe()


def test_recover_wrong_passphrase(kp, export_ctx, good_case):
    wrong = kp.write("wrong.txt", H.PASSPHRASE + b"!")
    resp = kp.write("resp.json", good_case.response)
    kp.fail("export", "recover", "--context", export_ctx.context, "--passphrase-file", wrong,
            "--response", resp, codes=EXIT_DECRYPT)


@pytest.mark.parametrize("pos", [101, 95, 80, 60, 54])
def test_recover_altered_context_tail(kp, export_ctx, good_case, pos):
    """The last 48 bytes are the sealed secret and its tag (32 + 16): any change is a decryption failure."""
    data = bytearray(export_ctx.context.read_bytes())
    data[pos] ^= 0x04
    ctx = kp.write("ctx.kpx", bytes(data))
    resp = kp.write("resp.json", good_case.response)
    kp.fail("export", "recover", "--context", ctx, "--passphrase-file", export_ctx.passfile,
            "--response", resp, codes=EXIT_DECRYPT)


@pytest.mark.parametrize("pos", [0, 3, 6, 9, 13, 20, 30, 40, 50])
def test_recover_altered_context_header(kp, export_ctx, good_case, pos):
    """Header bytes (magic, version, KDF parameters, salt, nonce) are authenticated too."""
    data = bytearray(export_ctx.context.read_bytes())
    data[pos] ^= 0x01
    ctx = kp.write("ctx.kpx", bytes(data))
    resp = kp.write("resp.json", good_case.response)
    kp.fail("export", "recover", "--context", ctx, "--passphrase-file", export_ctx.passfile,
            "--response", resp, codes=(EXIT_INPUT, EXIT_DECRYPT))


@pytest.mark.parametrize("size", [0, 1, 50, 101, 103])
def test_recover_context_wrong_size(kp, export_ctx, good_case, size):
    data = export_ctx.context.read_bytes()
    data = data[:size] if size <= len(data) else data + b"\x00" * (size - len(data))
    ctx = kp.write("ctx.kpx", data)
    resp = kp.write("resp.json", good_case.response)
    kp.fail("export", "recover", "--context", ctx, "--passphrase-file", export_ctx.passfile,
            "--response", resp, codes=(EXIT_INPUT, EXIT_DECRYPT))


def _resp(case: H.ExportCase, **changes) -> str:
    doc = json.loads(case.response)
    for k, v in changes.items():
        if v is _DELETE:
            del doc[k]
        else:
            doc[k] = v
    return json.dumps(doc, separators=(",", ":"))


_DELETE = object()


def _response_spoilers(case: H.ExportCase) -> dict[str, str | bytes]:
    r = case.response
    doc = json.loads(r)
    shares = doc["encryptedKeyShares"]
    dup = json.loads(r)
    dup["encryptedKeyShares"][3]["signerId"] = dup["encryptedKeyShares"][0]["signerId"]
    badid = json.loads(r)
    badid["encryptedKeyShares"][2]["signerId"] = "***"
    pub = bytes.fromhex(doc["publicKey"])
    return {
        "malformed": r.replace('"minSigners":', '"minSigners"', 1),
        "truncated": r[: len(r) * 2 // 3],
        "truncated-last-byte": r[:-1],
        "empty": b"",
        "not-an-object": json.dumps([doc]),
        "trailing-data": r + "x",
        "duplicate-key": r[:-1] + ',"minSigners":2}',
        "minSigners-1": _resp(case, minSigners=1),
        "minSigners-0": _resp(case, minSigners=0),
        "minSigners-negative": _resp(case, minSigners=-3),
        "minSigners-string": _resp(case, minSigners="3"),
        "minSigners-fraction": _resp(case, minSigners=2.5),
        "minSigners-missing": _resp(case, minSigners=_DELETE),
        "no-shares": _resp(case, encryptedKeyShares=[]),
        "shares-not-list": _resp(case, encryptedKeyShares={"a": 1}),
        "signerId-bad-base64": json.dumps(badid, separators=(",", ":")),
        "curve-unknown": _resp(case, curve="p256"),
        "curve-missing": _resp(case, curve=_DELETE),
        "protocol-unknown": _resp(case, protocol="GG18"),
        "scheme-mismatch": _resp(case, protocol="FROST"),
        "publicKey-bad-hex": _resp(case, publicKey="zz" + doc["publicKey"][2:]),
        "publicKey-short": _resp(case, publicKey=doc["publicKey"][:-2]),
        "publicKey-uncompressed-prefix": _resp(case, publicKey="04" + doc["publicKey"][2:]),
        "publicKey-off-curve": _resp(case, publicKey=(b"\x02" + _off_curve_x()).hex()),
        "publicKey-missing": _resp(case, publicKey=_DELETE),
        "too-many-shares": _resp(case, encryptedKeyShares=[
            {"signerId": W.b64(i.to_bytes(2, "big")), "encryptedKeyShare": shares[0]["encryptedKeyShare"]}
            for i in range(65)]),
        "over-1MiB": r + " " * (H.MAX_INPUT_BYTES + 1 - len(r)),
    }


_SPOILER_NAMES = [
    "malformed", "truncated", "truncated-last-byte", "empty", "not-an-object", "trailing-data",
    "duplicate-key", "minSigners-1", "minSigners-0", "minSigners-negative", "minSigners-string",
    "minSigners-fraction", "minSigners-missing", "no-shares", "shares-not-list",
    "signerId-bad-base64", "curve-unknown", "curve-missing", "protocol-unknown", "scheme-mismatch",
    "publicKey-bad-hex", "publicKey-short", "publicKey-uncompressed-prefix", "publicKey-off-curve",
    "publicKey-missing", "too-many-shares", "over-1MiB",
]
# Where the right code is arguable: 65 copies of one share might be refused while parsing (3)
# or only after decrypting them (5).
_SPOILER_CODES = {"too-many-shares": (EXIT_INPUT, EXIT_RECOVER)}


def test_spoiler_table_is_complete(good_case):
    assert sorted(_response_spoilers(good_case)) == sorted(_SPOILER_NAMES)


@pytest.mark.parametrize("name", _SPOILER_NAMES)
def test_recover_bad_response(kp, export_ctx, good_case, name):
    body = _response_spoilers(good_case)[name]
    kp.fail(*H.recover_args(kp, export_ctx, body), codes=_SPOILER_CODES.get(name, EXIT_INPUT))


def test_recover_min_signers_above_share_count(kp, export_ctx, good_case):
    body = _resp(good_case, minSigners=6)
    kp.fail(*H.recover_args(kp, export_ctx, body), codes=(EXIT_INPUT, EXIT_RECOVER))


def test_recover_response_of_exactly_1mib_is_accepted(kp, export_ctx, good_case):
    r = good_case.response
    body = r + " " * (H.MAX_INPUT_BYTES - len(r))
    res = H.recover(kp, export_ctx, body.encode())
    assert res.rc == 0 and res.out == ("%064x\n" % good_case.key).encode(), res.describe()


def test_recover_missing_files(kp, export_ctx, good_case):
    resp = kp.write("resp.json", good_case.response)
    kp.fail("export", "recover", "--context", kp.path("nope.kpx"), "--passphrase-file", export_ctx.passfile,
            "--response", resp, codes=EXIT_IO)
    kp.fail("export", "recover", "--context", export_ctx.context, "--passphrase-file", kp.path("nope.txt"),
            "--response", resp, codes=EXIT_IO)
    kp.fail("export", "recover", "--context", export_ctx.context, "--passphrase-file", export_ctx.passfile,
            "--response", kp.path("nope.json"), codes=EXIT_IO)


def test_recover_usage_errors(kp, export_ctx, good_case):
    resp = kp.write("resp.json", good_case.response)
    kp.fail("export", "recover", "--context", export_ctx.context, "--passphrase-file", export_ctx.passfile,
            codes=EXIT_USAGE)
    kp.fail("export", "recover", "--passphrase-file", export_ctx.passfile, "--response", resp, codes=EXIT_USAGE)
    kp.fail("export", "recover", "--context", export_ctx.context, "--passphrase-file", export_ctx.passfile,
            "--response", resp, "--bogus", codes=EXIT_USAGE)
    kp.fail("export", codes=EXIT_USAGE)
    kp.fail("export", "frobnicate", codes=EXIT_USAGE)
