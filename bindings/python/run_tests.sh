#!/usr/bin/env bash
# bindings/python/run_tests.sh: builds the keyport wheel, installs it into a fresh virtual
# environment and runs its tests there: pytest (tests/), mypy --strict over the tests, and stubtest
# over the package. Also checks that the sdist and a git URL with #subdirectory=bindings/python
# build the same package. Prints a last line "python-binding: N passed, M failed"; exits 1 if
# anything failed.
#
# Environment: KEYPORTD_BIN, the built keyportd for the cluster tests (default: built here with
# meson in $KEYPORT_BUILD, default build/ at the repository root); PYTHON (default python3).
# Cost: about 2 minutes on 2 cores, most of it building the package three times.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=${PYTHON:-python3}
BUILD=${KEYPORT_BUILD:-$ROOT/build}
WORK=$BUILD/python-binding
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "python-binding: ok: $*"; }
bad() { failed=$((failed + 1)); echo "python-binding: FAILED: $*" >&2; }
finish() {
    echo "python-binding: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit $?
}

rm -rf "$WORK" && mkdir -p "$WORK" || { bad "cannot make $WORK"; finish; }

if [ -z "${KEYPORTD_BIN:-}" ]; then
    if [ ! -f "$BUILD/build.ninja" ]; then
        meson setup "$BUILD" >"$WORK/meson-setup.log" 2>&1 || { cat "$WORK/meson-setup.log"; bad "meson setup $BUILD"; }
    fi
    if ninja -C "$BUILD" server/keyportd >"$WORK/ninja.log" 2>&1; then
        KEYPORTD_BIN=$BUILD/server/keyportd
    else
        cat "$WORK/ninja.log"; bad "building keyportd"
    fi
fi
export KEYPORTD_BIN

# The builder: pip builds the package in isolation, with meson-python and meson from PyPI.
"$PY" -m venv "$WORK/builder" && "$WORK/builder/bin/pip" install -q --disable-pip-version-check build \
    || { bad "a venv with build"; finish; }

# 1. The wheel, from the source folder as `pip install ./bindings/python` builds it.
if "$WORK/builder/bin/pip" wheel -q --disable-pip-version-check --no-deps -w "$WORK/dist" "$HERE" \
        >"$WORK/wheel.log" 2>&1; then
    WHEEL=$(ls "$WORK"/dist/keyport-*.whl)
    case "$WHEEL" in
        *-cp311-abi3-*.whl) ok "one abi3 wheel for 3.11+: $(basename "$WHEEL")" ;;
        *) bad "the wheel is not a cp311-abi3 wheel: $(basename "$WHEEL")" ;;
    esac
else
    cat "$WORK/wheel.log"; bad "building the wheel"; finish
fi

# 2. A fresh venv with the wheel and the test packages.
"$PY" -m venv "$WORK/venv" && "$WORK/venv/bin/pip" install -q --disable-pip-version-check "$WHEEL" \
    -r "$HERE/tests/requirements.txt" >"$WORK/install.log" 2>&1 || { cat "$WORK/install.log"; bad "installing the wheel"; finish; }
VPY=$WORK/venv/bin/python

# 3. pytest, from a folder where the source tree cannot shadow the installed package.
cd "$HERE" || finish
"$VPY" -m pytest -q -p no:cacheprovider tests 2>&1 | tee "$WORK/pytest.txt"
p=$({ grep -aoE '[0-9]+ passed' "$WORK/pytest.txt" || true; } | tail -1 | awk '{print $1+0}')
f=$({ grep -aoE '[0-9]+ (failed|error)' "$WORK/pytest.txt" || true; } | awk '{s+=$1} END {print s+0}')
passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
[ "${p:-0}" -gt 0 ] || bad "pytest ran no test"
"$VPY" -c 'import keyport, sys; sys.exit(0 if keyport.__file__.startswith(sys.prefix) else 1)' \
    && ok "the tests ran against the installed package" || bad "the tests did not use the installed package"

# 4. Types: mypy --strict over the tests, stubtest over the package.
if "$VPY" -m mypy --strict --cache-dir "$WORK/mypy-cache" tests >"$WORK/mypy.txt" 2>&1; then
    ok "mypy --strict tests: $(tail -1 "$WORK/mypy.txt")"
else
    cat "$WORK/mypy.txt"; bad "mypy --strict tests"
fi
if (cd "$WORK" && "$VPY" -m mypy.stubtest --mypy-config-file /dev/null keyport) >"$WORK/stubtest.txt" 2>&1; then
    ok "stubtest keyport: $(tail -1 "$WORK/stubtest.txt")"
else
    cat "$WORK/stubtest.txt"; bad "stubtest keyport"
fi

# 5. The sdist builds on its own, into a wheel with the same files.
files() { "$VPY" -c 'import sys, zipfile; print("\n".join(sorted(n for n in zipfile.ZipFile(sys.argv[1]).namelist() if ".dist-info/" not in n)))' "$1"; }
if "$WORK/builder/bin/python" -m build -q --sdist -o "$WORK/sdist" "$HERE" >"$WORK/sdist.log" 2>&1 \
    && "$WORK/builder/bin/pip" wheel -q --disable-pip-version-check --no-deps -w "$WORK/sdist-wheel" \
        "$WORK"/sdist/keyport-*.tar.gz >>"$WORK/sdist.log" 2>&1 \
    && [ "$(files "$WHEEL")" = "$(files "$WORK"/sdist-wheel/keyport-*.whl)" ]; then
    ok "the sdist builds the same wheel"
else
    cat "$WORK/sdist.log"; bad "the sdist does not build the same wheel (meson dist takes committed files only)"
fi

# 6. pip install "git+file://<clone>#subdirectory=bindings/python" (committed files).
if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
    "$PY" -m venv "$WORK/git-venv"
    if "$WORK/git-venv/bin/pip" install -q --disable-pip-version-check \
            "git+file://$ROOT@$(git -C "$ROOT" rev-parse HEAD)#subdirectory=bindings/python" >"$WORK/git.log" 2>&1 \
        && (cd "$WORK" && "$WORK/git-venv/bin/python" -c 'import keyport; k = keyport.random_key("secp256k1"); assert len(k.public_key) == 33'); then
        ok "pip install git+file://...#subdirectory=bindings/python"
    else
        cat "$WORK/git.log"; bad "pip install from a git URL"
    fi
else
    bad "$ROOT is not a git checkout: the git URL install cannot be checked"
fi
finish
