#!/usr/bin/env bash
# bindings/go/run_tests.sh: the Go module (bindings/go) against the freshly built shared libkeyport:
# go vet, go test -race, go test again with GOEXPERIMENT=cgocheck2, a build and run with the
# keyport_static tag (libkeyport linked in, checked with ldd), a short native fuzz run per fuzz
# target, and the benchmarks beside keyport-bench's C figures measured in the same run. Prints a
# last line "go-binding: N passed, M failed" (N and M count Go test cases from go test -json, plus
# one per step); exits 1 if anything failed.
#
# Environment: KEYPORTD_BIN, the keyportd the cluster client tests start (default: the build's);
# GO, the go command (default: go on PATH, else /usr/local/go/bin/go; it must be at
# least the go.mod version); KEYPORT_BUILD, the meson build folder (default build/ at the
# repository root; built here with ninja); GO_FUZZ_EXECS (executions per fuzz target, default 60000);
# GO_BENCH=0 skips the benchmarks; GO_BENCH_CHECK=1 fails a benchmark over 1.1x C.
# Cost: about 2 minutes on 2 cores, most of it compiling with -race and cgocheck2.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${KEYPORT_BUILD:-$ROOT/build}
WORK=$BUILD/go-binding
FUZZ_EXECS=${GO_FUZZ_EXECS:-60000}
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "go-binding: ok: $*"; }
bad() { failed=$((failed + 1)); echo "go-binding: FAILED: $*" >&2; }
finish() {
    echo "go-binding: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit $?
}

rm -rf "$WORK" && mkdir -p "$WORK" || { bad "cannot make $WORK"; finish; }

# The toolchain: at least the version in go.mod, never one downloaded on the fly.
need=$(awk '$1 == "go" {print $2; exit}' "$HERE/go.mod")
GO=${GO:-$(command -v go || true)}
[ -n "$GO" ] || GO=/usr/local/go/bin/go
if [ ! -x "$GO" ] && ! command -v "$GO" >/dev/null 2>&1; then
    bad "no go command (not on PATH, not /usr/local/go/bin/go): the module needs Go >= $need"; finish
fi
have=$(GOTOOLCHAIN=local "$GO" env GOVERSION 2>/dev/null | sed 's/^go//')
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -1)" = "$2" ]; }
if [ -z "$have" ] || ! version_ge "$have" "$need"; then
    bad "$GO is Go ${have:-unknown}; the module needs Go >= $need"; finish
fi
ok "Go $have (go.mod asks for >= $need)"
export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=1
export GOCACHE=${GOCACHE:-$BUILD/go-cache}

# The freshly built shared library, through meson's uninstalled pkg-config file.
if [ ! -f "$BUILD/build.ninja" ]; then
    meson setup "$BUILD" -Dtests=true -Dbench=true >"$WORK/meson-setup.log" 2>&1 \
        || { cat "$WORK/meson-setup.log"; bad "meson setup $BUILD"; finish; }
fi
ninja -C "$BUILD" >"$WORK/ninja.log" 2>&1 || { cat "$WORK/ninja.log"; bad "building libkeyport"; finish; }
export PKG_CONFIG_PATH=$BUILD/meson-uninstalled${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
export LD_LIBRARY_PATH=$BUILD/libcore:$BUILD/libclient${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export KEYPORTD_BIN=${KEYPORTD_BIN:-$BUILD/server/keyportd}
[ -x "$KEYPORTD_BIN" ] || bad "no keyportd at $KEYPORTD_BIN: the cluster client tests will fail"
pkg-config --exists keyport || { bad "pkg-config finds no keyport in $BUILD/meson-uninstalled"; finish; }
cd "$HERE" || finish

# Counts the test cases of a go test -json log: $1 the log, $2 a label.
count_json() {
    local p f
    p=$(grep -ac '"Action":"pass","Package":"[^"]*","Test":' "$1")
    f=$(grep -ac '"Action":"fail","Package":"[^"]*","Test":' "$1")
    passed=$((passed + p)); failed=$((failed + f))
    echo "go-binding: $2: $p test cases passed, $f failed"
    [ "$p" -gt 0 ] || bad "$2 ran no test"
}
# Shows the failures' output of a go test -json log.
show_failures() {
    grep -a '"Output"' "$1" | sed -e 's/.*"Output":"//' -e 's/"}$//' -e 's/\\n$//' -e 's/\\t/\t/g' | tail -60
}

if "$GO" vet ./... >"$WORK/vet.txt" 2>&1; then ok "go vet ./..."; else cat "$WORK/vet.txt"; bad "go vet ./..."; fi

if "$GO" test -race -count=1 -json ./... >"$WORK/race.json" 2>"$WORK/race.err"; then :; else
    cat "$WORK/race.err"; show_failures "$WORK/race.json"; bad "go test -race ./..."
fi
count_json "$WORK/race.json" "go test -race"

if GOEXPERIMENT=cgocheck2 "$GO" test -count=1 -json ./... >"$WORK/cgocheck2.json" 2>"$WORK/cgocheck2.err"; then :; else
    cat "$WORK/cgocheck2.err"; show_failures "$WORK/cgocheck2.json"; bad "GOEXPERIMENT=cgocheck2 go test ./..."
fi
count_json "$WORK/cgocheck2.json" "GOEXPERIMENT=cgocheck2 go test"

# The keyport_static tag: libkeyport.a linked into the binary, which runs without the .so.
if "$GO" test -tags keyport_static -c -o "$WORK/keyport-static.test" . >"$WORK/static.txt" 2>&1; then
    if ldd "$WORK/keyport-static.test" | grep -q 'libkeyport\(-client\)\?\.so'; then
        ldd "$WORK/keyport-static.test"; bad "the keyport_static build still needs libkeyport.so"
    elif (cd "$HERE" && env -u LD_LIBRARY_PATH "$WORK/keyport-static.test" -test.count=1 >>"$WORK/static.txt" 2>&1); then
        ok "go test -tags keyport_static: libkeyport linked in, the tests pass without libkeyport.so"
    else
        cat "$WORK/static.txt"; bad "the keyport_static test binary"
    fi
else
    cat "$WORK/static.txt"; bad "go test -tags keyport_static -c"
fi

# A short native fuzz run per fuzz target, with a count of executions, not a duration: with a
# duration, Go 1.26's fuzz coordinator may end a run with a bare "context deadline exceeded" and
# no crasher (golang/go#75804, fixed in Go 1.27). 60,000 executions take 2 to 4 s per target here.
# A crasher is saved under testdata/fuzz/TARGET and fails the step.
for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' ./*_test.go | sed 's/^func //'); do
    if "$GO" test -run '^$' -fuzz "^$target\$" -fuzztime "${FUZZ_EXECS}x" -parallel 2 . \
            >"$WORK/fuzz-$target.txt" 2>&1; then
        ok "fuzz $target: $(grep -ao 'execs: [0-9]*' "$WORK/fuzz-$target.txt" | tail -1)"
    else
        cat "$WORK/fuzz-$target.txt"; bad "fuzz $target (a crasher is saved under testdata/fuzz/$target)"
    fi
done

# The benchmarks, beside the C figures of keyport-bench in the same run (bench_test.go): three
# rounds, the best of each kept; x-C is Go's CPU time per call over C's (the issue asks <= 1.1).
# Over 1.1 is reported; it fails the suite only with GO_BENCH_CHECK=1 (the machine is shared:
# one slow round of C or Go is noise, not a regression).
if [ "${GO_BENCH:-1}" != 0 ]; then
    if KEYPORT_BENCH=$BUILD/bench/keyport-bench "$GO" test -run '^$' -bench . -benchtime 0.5s -count 3 . \
            >"$WORK/bench.txt" 2>&1; then
        grep -a '^Benchmark' "$WORK/bench.txt"
        ok "go test -bench"
        worst=$(awk '/^Benchmark/ {for (i = 1; i < NF; i++) if ($(i+1) == "x-C") { n = $1; sub(/-[0-9]+$/, "", n); if (!(n in best) || $i < best[n]) best[n] = $i } }
                END { w = 0; for (n in best) { printf "go-binding: bench %s: %.3f x C\n", n, best[n] > "/dev/stderr"; if (best[n] > w) w = best[n] }; print w }' \
                "$WORK/bench.txt" 2>"$WORK/bench-ratios.txt")
        sort "$WORK/bench-ratios.txt"
        if [ -z "$worst" ] || [ "$worst" = 0 ]; then
            bad "the benchmarks gave no x-C figure (keyport-bench at $BUILD/bench/keyport-bench?)"
        elif awk -v w="$worst" 'BEGIN { exit !(w <= 1.1) }'; then
            ok "every benchmark within 1.1x of C (worst $worst)"
        elif [ "${GO_BENCH_CHECK:-0}" = 1 ]; then
            bad "a benchmark is $worst x C, over 1.1"
        else
            echo "go-binding: note: the worst benchmark is $worst x C, over 1.1 (not checked: GO_BENCH_CHECK=1 checks it)"
        fi
    else
        cat "$WORK/bench.txt"; bad "go test -bench"
    fi
fi
finish
