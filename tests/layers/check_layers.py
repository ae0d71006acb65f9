#!/usr/bin/env python3
"""The layers and the ABI, checked on the built libraries and the source tree (./run suite_layers).

  check_layers.py SOURCE_ROOT BUILD_DIR

One way down: faces (ceremony/, server/, bindings/) -> libkeyport-client (libclient/) ->
libkeyport (libcore/) -> dependencies. Checked:

  - libkeyport.so needs no libcurl (readelf -d NEEDED) and has no undefined curl symbol;
    libkeyport.a holds no object with an undefined curl symbol; keyport-bench (an offline
    program) needs no libcurl;
  - libkeyport.so has the soname libkeyport.so.<soversion> and exports exactly
    libcore/libkeyport.symbols, whose public part is exactly the KP_API declarations of
    libcore/include/*.h;
  - libkeyport-client.so exports exactly the KP_CLIENT_API declarations of keyport_client.h and
    needs libkeyport and libcurl;
  - keyport_version.h says the project's version (libcore/VERSION);
  - no #include goes up a layer: libcore includes nothing of libclient, ceremony, server,
    bindings nor a network or storage library's header; libclient nothing of ceremony, server,
    bindings; ceremony nothing of server.

Prints one line per check ("ok ..." / "FAIL ...") and "layers: N passed, M failed"; exits 1 on
any failure. --selftest first shows that the checks catch a library that breaks them.
"""

import glob
import os
import re
import subprocess
import sys

results = []


def check(ok, what):
    results.append(bool(ok))
    print(("ok   " if ok else "FAIL ") + what)


def tool(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def needed(lib):
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", tool("readelf", "-d", lib))


def soname(lib):
    m = re.search(r"\(SONAME\)\s+Library soname: \[([^\]]+)\]", tool("readelf", "-d", lib))
    return m.group(1) if m else None


def dynsyms(lib, undefined=False):
    out = tool("nm", "-D", "--undefined-only" if undefined else "--defined-only", lib)
    return {line.split()[-1].split("@")[0] for line in out.splitlines() if line.strip()}


# what a sanitizer or the toolchain adds to a library's symbol table (the ASan build)
TOOLCHAIN = re.compile(r"^(_init|_fini|__bss_start|_edata|_end|__asan|__odr_asan|__ubsan|__sancov|__lsan)")


def exported(lib):
    return {s for s in dynsyms(lib) if not TOOLCHAIN.match(s)}


def declared(paths, macro):
    names = set()
    for p in paths:
        text = re.sub(r"/\*.*?\*/", "", open(p).read(), flags=re.S)
        for m in re.finditer(r"\b" + macro + r"\b([^;{()]*?)\(", text):
            n = re.findall(r"(kp_[a-z0-9_]+)\s*$", m.group(1))
            if n:
                names.add(n[-1])
    return names


def symbol_list(path):
    public, private, part = set(), set(), "public"
    for line in open(path):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line == "[private]":
            part = "private"
            continue
        (public if part == "public" else private).add(line)
    return public, private


def no_network(lib, label):
    net = [n for n in needed(lib) if "curl" in n]
    check(not net, f"{label} needs no libcurl (NEEDED: {', '.join(needed(lib))})")
    und = sorted(s for s in dynsyms(lib, undefined=True) if s.startswith("curl_"))
    check(not und, f"{label} has no undefined curl symbol" + (f": {und}" if und else ""))


def includes(path):
    return re.findall(r'^\s*#\s*include\s*([<"][^>"]+[>"])', open(path, errors="replace").read(), re.M)


def layer_files(src, folder):
    return [p for p in glob.glob(os.path.join(src, folder, "**", "*.[ch]"), recursive=True)] + \
        glob.glob(os.path.join(src, folder, "**", "*.inc"), recursive=True)


def headers_of(src, folder):
    return {os.path.basename(p) for p in glob.glob(os.path.join(src, folder, "**", "*.h"), recursive=True)}


def check_includes(src):
    core_h = headers_of(src, "libcore")
    client_h = headers_of(src, "libclient")
    ceremony_h = headers_of(src, "ceremony")
    server_h = headers_of(src, "server")
    above = {
        "libcore": (client_h | ceremony_h | server_h) - core_h,
        "libclient": (ceremony_h | server_h) - core_h - client_h,
        "ceremony": server_h - core_h - client_h - ceremony_h,
    }
    # the core talks to no network and no storage engine
    banned_sys = re.compile(r"^<(curl/|microhttpd|sqlite3|cjson/|sys/socket|netinet/|arpa/|netdb)")
    for layer, up in above.items():
        bad = []
        for p in layer_files(src, layer):
            for inc in includes(p):
                name = os.path.basename(inc[1:-1])
                if inc[0] == '"' and name in up:
                    bad.append(f"{os.path.relpath(p, src)}: {inc}")
                if layer == "libcore" and banned_sys.match(inc):
                    bad.append(f"{os.path.relpath(p, src)}: {inc}")
        check(not bad, f"{layer} includes nothing from a layer above it" + (f": {bad}" if bad else ""))


def main(src, build):
    core = os.path.join(build, "libcore", "libkeyport.so")
    client = os.path.join(build, "libclient", "libkeyport-client.so")
    for p in (core, client):
        if not os.path.isfile(p):
            check(False, f"{p} is built")
            return

    no_network(core, "libkeyport.so")
    archive = os.path.join(build, "libcore", "libkeyport.a")
    und = sorted({l.split()[-1] for l in tool("nm", "--undefined-only", archive).splitlines()
                  if l.split() and l.split()[-1].startswith("curl_")})
    check(not und, "libkeyport.a has no undefined curl symbol" + (f": {und}" if und else ""))
    bench = os.path.join(build, "bench", "keyport-bench")
    if os.path.isfile(bench):
        no_network(bench, "keyport-bench (offline)")

    sover = re.search(r"libkeyport_soversion\s*=\s*'(\d+)'", open(os.path.join(src, "libcore", "meson.build")).read())
    check(sover and soname(core) == f"libkeyport.so.{sover.group(1)}",
          f"libkeyport.so's soname is libkeyport.so.<soversion> ({soname(core)})")

    public, private = symbol_list(os.path.join(src, "libcore", "libkeyport.symbols"))
    decl = declared(glob.glob(os.path.join(src, "libcore", "include", "*.h")), "KP_API")
    check(public == decl, f"libkeyport.symbols lists exactly the {len(decl)} KP_API declarations"
          + (f" (not listed: {sorted(decl - public)}; listed, not declared: {sorted(public - decl)})"
             if public != decl else ""))
    exp = exported(core)
    want = public | private
    check(exp == want, f"libkeyport.so exports exactly libkeyport.symbols ({len(public)} public, {len(private)} private)"
          + (f" (exported, not listed: {sorted(exp - want)}; listed, not exported: {sorted(want - exp)})"
             if exp != want else ""))

    cdecl = declared([os.path.join(src, "libclient", "include", "keyport_client.h")], "KP_CLIENT_API")
    cexp = exported(client)
    check(cexp == cdecl and len(cdecl) > 0, f"libkeyport-client.so exports exactly keyport_client.h's {len(cdecl)} calls"
          + (f" (exported: {sorted(cexp)})" if cexp != cdecl else ""))
    cneed = needed(client)
    check(any(n.startswith("libkeyport.so") for n in cneed) and any("curl" in n for n in cneed),
          f"libkeyport-client.so needs libkeyport and libcurl ({', '.join(cneed)})")

    version = open(os.path.join(src, "libcore", "VERSION")).read().strip()
    vh = open(os.path.join(build, "libcore", "include", "keyport_version.h")).read()
    check(f'#define KP_VERSION_STRING "{version}"' in vh, f"keyport_version.h says {version} (libcore/VERSION)")

    check_includes(src)


def selftest(build):
    """The checks catch what they look for: libkeyport-client.so fails the no-network check."""
    client = os.path.join(build, "libclient", "libkeyport-client.so")
    before = len(results)
    no_network(client, "(selftest, must FAIL) libkeyport-client.so")
    caught = not all(results[before:])
    del results[before:]
    check(caught, "selftest: the no-libcurl check fails on a library that links libcurl")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--selftest"]
    if len(args) != 2:
        sys.exit(__doc__)
    if "--selftest" in sys.argv:
        selftest(args[1])
    main(args[0], args[1])
    p, f = results.count(True), results.count(False)
    print(f"layers: {p} passed, {f} failed")
    sys.exit(1 if f or not p else 0)
