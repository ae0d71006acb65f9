#!/usr/bin/env python3
"""Writes testdata/python-binding.json with the Python binding (bindings/python), for the Go
tests to read back through the Go binding: keys parsed from several formats (scalar, public key,
addresses, the key written back), an import request (with its signers' secrets) and export
responses (with the context's decryption key) made by the Python binding's LocalCluster.

Run it with the Python of a venv where the keyport package is installed
(pip install ./bindings/python): python gen_python_fixture.py > python-binding.json
"""
import json

import keyport

ABANDON = "abandon " * 11 + "about"
KEYS = [
    ("hex", "01", "secp256k1", None),
    ("hex", "03" + "b1" * 31, "stark", None),
    ("wif", "L1aW4aubDFB7yfras2S1mN3bqg9nwySY8nkoLmJebSLD5BWv3ENZ", None, None),
    ("mnemonic", ABANDON, "secp256k1", "m/44'/60'/0'/0/0"),
    ("mnemonic", ABANDON, "ed25519", "m/44'/501'/0'/0'"),
    ("stark-mnemonic", ABANDON, None, "m/2645'/579218131'/211006541'/1225279458'/0'/0"),
    ("ed25519-seed", "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", None, None),
]


def scalar_of(k: keyport.SecretKey) -> str:
    b = bytearray(32)
    k.copy_into(b)
    out = bytes(b).hex()
    keyport.wipe(b)
    return out


def main() -> None:
    out: dict = {"provenance": f"made by bindings/go/testdata/gen_python_fixture.py with the Python binding "
                               f"(keyport {keyport.LIBRARY_VERSION})", "keys": [], "exports": []}
    for fmt, text, curve, path in KEYS:
        k = keyport.parse_key(text.encode(), fmt, curve=curve, path=path)
        out["keys"].append({
            "format": fmt, "text": text, "curve": curve, "path": path, "got_curve": str(k.curve),
            "scalar": scalar_of(k), "public_key": k.public_key.hex(),
            "addresses": [[a.kind, a.text] for a in keyport.addresses(k.curve, k.public_key)],
            "hex": bytes(k.to_format("hex")).decode().strip(),
        })
    cluster = keyport.LocalCluster(5)
    for curve in ("secp256k1", "ed25519", "stark"):
        key = keyport.random_key(curve)
        body = keyport.import_prepare(cluster.signers_document(), key, protocol=keyport._default_protocol(keyport.Curve(curve)))
        kid = cluster.import_key(body)
        dk = keyport.random_key("secp256k1")
        ctx = keyport.ExportContext.from_secret(dk)
        resp = cluster.export_key(kid, ctx.export_request())
        out["exports"].append({
            "curve": curve, "private_key": scalar_of(key), "public_key": key.public_key.hex(),
            "decryption_key": scalar_of(dk), "response": resp.decode(), "import_request": body.decode(),
            "signer_secrets": {n.signer_id_b64: scalar_of(n.secret) for n in cluster.nodes},
        })
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
