package keyport

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"testing"
)

// The benchmarks time import preparation and export recovery (t = 3, n = 5, as keyport-bench)
// in CPU time of the calling thread (the machine may be shared: wall time would measure the
// other processes). With KEYPORT_BENCH naming keyport-bench, its C figures for the same calls
// are measured in the same run, and each benchmark reports x-C: Go CPU time per call over C's
// (the issue asks for at most 1.1).

var cFigures = struct {
	sync.Mutex
	rates map[string]map[string]float64 // curve -> op -> calls per CPU second
}{rates: map[string]map[string]float64{}}

func cRate(b *testing.B, curve Curve, op string) float64 {
	bench := os.Getenv("KEYPORT_BENCH")
	if bench == "" {
		return 0
	}
	cFigures.Lock()
	defer cFigures.Unlock()
	if r, ok := cFigures.rates[curve.String()]; ok {
		return r[op]
	}
	out, err := exec.Command(bench, "--curve", curve.String(), "--seconds", "0.4").Output()
	if err != nil {
		b.Fatalf("%s: %v", bench, err)
	}
	rates := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var d struct {
			Op       string  `json:"op"`
			Curve    string  `json:"curve"`
			PerS     float64 `json:"per_s"`
			CPUShare float64 `json:"cpu_share"`
		}
		if json.Unmarshal(sc.Bytes(), &d) == nil && d.Curve == curve.String() && d.CPUShare > 0 &&
			(d.Op == "import_prepare" || d.Op == "export_recover") {
			rates[d.Op] = d.PerS / d.CPUShare
		}
	}
	cFigures.rates[curve.String()] = rates
	return rates[op]
}

func threadCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		panic(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// cpuLoop runs fn in b.Loop on one locked thread and reports cpu-ns/op and x-C.
func cpuLoop(b *testing.B, curve Curve, op string, fn func()) {
	c := cRate(b, curve, op)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for range 3 {
		fn()
	}
	b.ResetTimer()
	start, n := threadCPU(), 0
	for b.Loop() {
		fn()
		n++
	}
	perOp := float64(threadCPU()-start) / float64(n)
	b.ReportMetric(perOp, "cpu-ns/op")
	if c > 0 {
		b.ReportMetric(perOp*c/1e9, "x-C")
	}
}

func BenchmarkPrepareImport(b *testing.B) {
	lc := newLocalCluster(b, 5)
	for _, curve := range []Curve{Secp256k1, Ed25519, Stark} {
		b.Run(curve.String(), func(b *testing.B) {
			key, _ := RandomKey(curve)
			defer key.Close()
			opt := &ImportOptions{MinSigners: 3}
			cpuLoop(b, curve, "import_prepare", func() {
				if _, err := PrepareImport(lc.signers, key, opt); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

func BenchmarkRecover(b *testing.B) {
	lc := newLocalCluster(b, 5)
	for _, curve := range []Curve{Secp256k1, Ed25519, Stark} {
		b.Run(curve.String(), func(b *testing.B) {
			key, _ := RandomKey(curve)
			defer key.Close()
			body, _ := PrepareImport(lc.signers, key, &ImportOptions{MinSigners: 3})
			sk := lc.importKey(b, body)
			ctx, _ := NewExportContext()
			defer ctx.Close()
			resp := sk.exportKey(b, ctx.EncryptionKey(), nil)
			cpuLoop(b, curve, "export_recover", func() {
				k, err := ctx.Recover(resp)
				if err != nil {
					b.Fatal(err)
				}
				k.Close()
			})
		})
	}
}
