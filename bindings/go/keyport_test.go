package keyport

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"
)

func TestEveryStatusHasCode(t *testing.T) {
	if len(statusTable) < 40 {
		t.Fatalf("the compiled status table has %d rows", len(statusTable))
	}
	for _, r := range statusTable {
		if r.code == 0 {
			continue
		}
		c, ok := codeByName[r.name]
		if !ok || c != r.code {
			t.Errorf("status %s (%d) has no sentinel Code: run go generate", r.name, r.code)
		}
		if c.Name() != r.name || c.String() == "" {
			t.Errorf("%s: Name %q, String %q", r.name, c.Name(), c.String())
		}
	}
	if len(codeByName) != len(statusTable)-1 {
		t.Errorf("%d sentinels for %d statuses", len(codeByName), len(statusTable)-1)
	}
}

func TestErrorsIsAs(t *testing.T) {
	_, err := ParseKey(FormatHex, []byte("0g"), &ParseKeyOptions{Curve: Secp256k1})
	if !errors.Is(err, ErrHex) || errors.Is(err, ErrDecrypt) {
		t.Fatalf("bad hex: %v", err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Op != "parse key" || e.Code != ErrHex || e.Detail == "" {
		t.Fatalf("errors.As: %#v", e)
	}
	_, err = ParseKey(FormatHex, []byte("01"), nil)
	if !errors.Is(err, ErrKeyFormat) || !strings.Contains(err.Error(), "say which one") {
		t.Fatalf("hex without a curve: %v", err)
	}
}

func TestRFC8032VectorsAndCryptoEd25519(t *testing.T) {
	var f struct {
		Vectors []struct {
			SecretKey string `json:"secret_key"`
			PublicKey string `json:"public_key"`
		} `json:"vectors"`
	}
	raw, err := os.ReadFile("testdata/ed25519-rfc8032-7.1.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &f); err != nil || len(f.Vectors) < 4 {
		t.Fatalf("vectors: %v", err)
	}
	for _, v := range f.Vectors {
		k, err := ParseKey(FormatEd25519Seed, []byte(v.SecretKey), nil)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := k.PublicKey()
		if err != nil || hex.EncodeToString(pub) != v.PublicKey {
			t.Fatalf("public key %x, want %s (%v)", pub, v.PublicKey, err)
		}
		seed, _ := hex.DecodeString(v.SecretKey)
		if !bytes.Equal(ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey), pub) {
			t.Fatalf("crypto/ed25519 disagrees for %s", v.SecretKey)
		}
		k.Close()
	}
}

func TestWIFVectors(t *testing.T) {
	var f struct {
		Valid []struct {
			WIF     string `json:"WIF"`
			Hex     string `json:"privateKeyHex"`
			Version int    `json:"version"`
		} `json:"valid"`
	}
	raw, err := os.ReadFile("testdata/bitcoin-wif.bitcoinjs-wif-fixtures.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &f); err != nil || len(f.Valid) == 0 {
		t.Fatalf("vectors: %v", err)
	}
	for _, v := range f.Valid {
		format := FormatWIF
		if v.Version == 239 {
			format = FormatWIFTestnet
		}
		k, err := ParseKey(format, []byte(v.WIF), nil)
		if err != nil {
			t.Fatalf("%s: %v", v.WIF, err)
		}
		got := make([]byte, 32)
		if err := k.CopyTo(got); err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(got) != v.Hex || k.Curve() != Secp256k1 {
			t.Fatalf("%s: %x on %v, want %s", v.WIF, got, k.Curve(), v.Hex)
		}
		clear(got)
		k.Close()
	}
}

func TestSecretFormatsAsSensitive(t *testing.T) {
	k, err := ParseKey(FormatHex, []byte(strings.Repeat("ab", 32)), &ParseKeyOptions{Curve: Secp256k1})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	for _, verb := range []string{"%v", "%s", "%#v", "%+v", "%x", "%q"} {
		if s := fmt.Sprintf(verb, k); s != "<sensitive>" {
			t.Errorf("%s gives %q", verb, s)
		}
	}
	if s := fmt.Sprintf("%v", struct{ K *SecretKey }{k}); strings.Contains(s, "ab") {
		t.Errorf("inside a struct: %q", s)
	}
}

func TestCloseIdempotentAndUseAfterClosePanics(t *testing.T) {
	k, err := ParseKey(FormatHex, []byte("01"), &ParseKeyOptions{Curve: Ed25519})
	if err != nil {
		t.Fatal(err)
	}
	k.Close()
	k.Close()
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "wiped") {
			t.Fatalf("use after Close: %v", r)
		}
	}()
	k.PublicKey()
}

func TestCopyToChecksLength(t *testing.T) {
	k, _ := ParseKey(FormatHex, []byte("01"), &ParseKeyOptions{Curve: Ed25519})
	defer k.Close()
	if err := k.CopyTo(make([]byte, 31)); err == nil {
		t.Fatal("a 31-byte destination was accepted")
	}
}

func TestTooLargeInputCheckedBeforeCall(t *testing.T) {
	_, err := ParseKey(FormatHex, make([]byte, maxInputBytes+1), &ParseKeyOptions{Curve: Ed25519})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("%v", err)
	}
}

// Many goroutines fail at once, each on its own input; no goroutine is locked to its thread,
// so goroutines move between threads between calls. Each error's detail must be its own call's.
func TestConcurrentDetailsBelongToTheirCall(t *testing.T) {
	const n = 64
	var wg sync.WaitGroup
	errs := make([]string, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				// a bad path step unique to this goroutine and call: the detail quotes it
				step := fmt.Sprintf("x%d_%d", i, j)
				_, err := ParseKey(FormatMnemonic, []byte(abandonAbout), &ParseKeyOptions{Curve: Secp256k1, Path: "m/44'/" + step})
				want := fmt.Sprintf("(%q)", step)
				var e *Error
				if !errors.As(err, &e) || e.Code != ErrPath || !strings.Contains(e.Detail, want) {
					errs[i] = fmt.Sprintf("goroutine %d: %v (want %s)", i, err, want)
					return
				}
			}
		}(i)
	}
	wg.Wait()
	for _, e := range errs {
		if e != "" {
			t.Error(e)
		}
	}
}

const abandonAbout = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"

func TestMisusePanicsWithTheLibrarysMessage(t *testing.T) {
	defer func() {
		r := recover()
		msg := fmt.Sprint(r)
		if r == nil || !strings.Contains(msg, "misuse") || strings.HasSuffix(msg, ": ") {
			t.Fatalf("panic %q", msg)
		}
		t.Log(msg)
	}()
	testMisuse()
}

func TestCloseWipesTheSecret(t *testing.T) {
	k, err := ParseKey(FormatHex, []byte(strings.Repeat("5a", 32)), &ParseKeyOptions{Curve: Secp256k1})
	if err != nil {
		t.Fatal(err)
	}
	mem := unsafe.Slice((*byte)(k.p), 32)
	if mem[0] != 0x5a || mem[31] != 0x5a {
		t.Fatalf("the key is not in its slot: %x", mem)
	}
	k.Close()
	if !bytes.Equal(mem, make([]byte, 32)) {
		t.Fatalf("Close left %x", mem)
	}
}

func TestCleanupWipesAnUnclosedKey(t *testing.T) {
	var mem []byte
	func() {
		k, err := ParseKey(FormatHex, []byte(strings.Repeat("a5", 32)), &ParseKeyOptions{Curve: Secp256k1})
		if err != nil {
			t.Fatal(err)
		}
		mem = unsafe.Slice((*byte)(k.p), 32)
	}()
	for i := 0; i < 50 && mem[0] == 0xa5; i++ {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if !bytes.Equal(mem, make([]byte, 32)) {
		t.Fatalf("an unreachable key was not wiped: %x", mem)
	}
}

// Empty inputs are typed errors, never a NULL pointer that libkeyport takes for misuse (the
// fuzz run found DecodeEncryptionKey("") panicking).
func TestEmptyInputsAreErrorsNotMisuse(t *testing.T) {
	checks := map[string]func() error{
		"ParseKey":            func() error { _, err := ParseKey(FormatHex, nil, &ParseKeyOptions{Curve: Ed25519}); return err },
		"DecodeEncryptionKey": func() error { _, err := DecodeEncryptionKey(""); return err },
		"ParseSigners":        func() error { _, err := ParseSigners(nil, ""); return err },
		"ParseImportRequest":  func() error { _, err := ParseImportRequest([]byte{}); return err },
		"ParseOperator":       func() error { _, err := ParseOperator(nil); return err },
		"ParsePolicy":         func() error { _, err := ParsePolicy(nil); return err },
		"ParseCredential":     func() error { _, err := ParseCredential(nil); return err },
		"OpenExportContext":   func() error { _, err := OpenExportContext(nil, nil); return err },
	}
	for name, fn := range checks {
		var e *Error
		if err := fn(); !errors.As(err, &e) || e.Code == ErrMisuse {
			t.Errorf("%s of nothing: %v", name, err)
		}
	}
}
