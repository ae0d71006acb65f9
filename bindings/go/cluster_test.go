package keyport

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// localCluster plays the cluster and its signers in process, with the binding's signer side.
type localCluster struct {
	ids     [][]byte
	secrets []*SecretKey
	doc     []byte
	signers *Signers
}

func newLocalCluster(t testing.TB, n int) *localCluster {
	t.Helper()
	lc := &localCluster{}
	var eks [][]byte
	for i := 0; i < n; i++ {
		s, ek, err := NewEncryptionKeypair()
		if err != nil {
			t.Fatal(err)
		}
		lc.ids = append(lc.ids, []byte(fmt.Sprintf("signer-%d", i+1)))
		lc.secrets = append(lc.secrets, s)
		eks = append(eks, ek)
	}
	doc, err := WriteSigners("cluster-1", lc.ids, eks)
	if err != nil {
		t.Fatal(err)
	}
	lc.doc = doc
	if lc.signers, err = ParseSigners(doc, ""); err != nil {
		t.Fatal(err)
	}
	return lc
}

// importKey opens every signer's share of an import request, as each signer would.
type storedKey struct {
	curve  Curve
	proto  Protocol
	t      int
	pub    []byte
	ids    [][]byte
	shares []*SecretKey
}

func (lc *localCluster) importKey(t testing.TB, body []byte) *storedKey {
	t.Helper()
	req, err := ParseImportRequest(body)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]int{}
	for i, id := range lc.ids {
		byID[base64.StdEncoding.EncodeToString(id)] = i
	}
	sk := &storedKey{curve: req.Curve, proto: req.Protocol, t: req.MinSigners}
	var digest []byte
	for pos, sh := range req.Shares {
		i, ok := byID[sh.SignerID]
		if !ok {
			t.Fatalf("unknown signer %s", sh.SignerID)
		}
		opened, err := OpenImportShare(lc.secrets[i], req.Curve, pos+1, len(req.Shares), req.MinSigners, sh.Ciphertext)
		if err != nil {
			t.Fatal(err)
		}
		if digest != nil && !bytes.Equal(digest, opened.Digest) {
			t.Fatal("the signers disagree on the public shares")
		}
		digest = opened.Digest
		sk.pub = opened.PublicKey
		sk.ids = append(sk.ids, lc.ids[i])
		sk.shares = append(sk.shares, opened.Share)
	}
	return sk
}

// exportKey seals every share to the context's encryption key; tamper may change a ciphertext.
func (sk *storedKey) exportKey(t testing.TB, ek []byte, tamper func(i int, ct []byte) []byte) []byte {
	t.Helper()
	var shares []ExportShare
	for i, s := range sk.shares {
		ct, err := SealExportShare(ek, IndexScalar(i+1), s)
		if err != nil {
			t.Fatal(err)
		}
		if tamper != nil {
			ct = tamper(i, ct)
		}
		shares = append(shares, ExportShare{sk.ids[i], ct})
	}
	resp, err := WriteExportResponse(sk.curve, sk.proto, sk.pub, sk.t, shares)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// importedKey is a random key on curve c imported 3-of-5 into a fresh local cluster.
func importedKey(t testing.TB, c Curve) (*localCluster, *SecretKey, *storedKey) {
	t.Helper()
	lc := newLocalCluster(t, 5)
	key, err := RandomKey(c)
	if err != nil {
		t.Fatal(err)
	}
	body, err := PrepareImport(lc.signers, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	return lc, key, lc.importKey(t, body)
}

func scalarOf(t testing.TB, k *SecretKey) []byte {
	t.Helper()
	b := make([]byte, 32)
	if err := k.CopyTo(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestImportThenExportRoundTrip(t *testing.T) {
	lc := newLocalCluster(t, 5)
	for _, c := range []Curve{Secp256k1, Ed25519, Stark} {
		key, err := RandomKey(c)
		if err != nil {
			t.Fatal(err)
		}
		body, err := PrepareImport(lc.signers, key, &ImportOptions{MinSigners: 3, Name: "k-" + c.String()})
		if err != nil {
			t.Fatal(err)
		}
		sk := lc.importKey(t, body)
		want, _ := key.PublicKey()
		if !bytes.Equal(sk.pub, want) {
			t.Fatalf("%v: the signers' group key %x is not the key's %x", c, sk.pub, want)
		}
		ctx, err := NewExportContext()
		if err != nil {
			t.Fatal(err)
		}
		got, err := ctx.Recover(sk.exportKey(t, ctx.EncryptionKey(), nil))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(scalarOf(t, got), scalarOf(t, key)) || got.Curve() != c || got.Protocol() != defaultProtocol(c) {
			t.Fatalf("%v: recovered another key", c)
		}
		r := got.Report()
		if r == nil || len(r.Signers()) != 5 || len(r.Culprits) != 0 || !r.Unique || r.MinSigners != 3 {
			t.Fatalf("%v: report %+v", c, r)
		}
		for _, s := range r.Signers() {
			if s.State != "good" {
				t.Fatalf("%v: %+v", c, s)
			}
		}
		got.Close()
		ctx.Close()
		key.Close()
	}
}

func TestRecoveryNamesTheTamperedSigner(t *testing.T) {
	_, key, sk := importedKey(t, Secp256k1)
	defer key.Close()
	ctx, _ := NewExportContext()
	defer ctx.Close()
	// signer 2 seals a wrong share (another key's share) under the right envelope
	other, _ := RandomKey(Secp256k1)
	defer other.Close()
	bad, _ := SealExportShare(ctx.EncryptionKey(), IndexScalar(2), other)
	resp := sk.exportKey(t, ctx.EncryptionKey(), func(i int, ct []byte) []byte {
		if i == 1 {
			return bad
		}
		return ct
	})
	got, err := ctx.Recover(resp)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	r := got.Report()
	id2 := base64.StdEncoding.EncodeToString(sk.ids[1])
	if len(r.Culprits) != 1 || r.Culprits[0].SignerID != id2 || r.Signers()[1].State != "bad" || r.Signers()[0].State != "good" {
		t.Fatalf("report %+v", r)
	}
}

func TestRecoveryErrorCarriesTheSignerTable(t *testing.T) {
	_, key, sk := importedKey(t, Ed25519)
	defer key.Close()
	ctx, _ := NewExportContext()
	defer ctx.Close()
	other, _ := NewExportContext()
	defer other.Close()

	// made for another context: ErrWrongContext, every share "bad" with ErrDecrypt
	_, err := ctx.Recover(sk.exportKey(t, other.EncryptionKey(), nil))
	var re *RecoveryError
	var e *Error
	if !errors.As(err, &re) || !errors.Is(err, ErrWrongContext) || !errors.As(err, &e) || e.Op != "recover" {
		t.Fatalf("another context's response: %v", err)
	}
	if len(re.Signers) != 5 || re.Signers[0].State != "bad" || re.Signers[0].Code != ErrDecrypt {
		t.Fatalf("table %+v", re.Signers)
	}
	if !strings.Contains(e.Detail, ctx.Fingerprint()) {
		t.Fatalf("the detail %q does not name this context's fingerprint %s", e.Detail, ctx.Fingerprint())
	}

	// three of five shares for another context: not enough; two opened
	resp := sk.exportKey(t, ctx.EncryptionKey(), func(i int, ct []byte) []byte {
		if i >= 2 {
			c, _ := SealExportShare(other.EncryptionKey(), IndexScalar(i+1), sk.shares[i])
			return c
		}
		return ct
	})
	_, err = ctx.Recover(resp)
	if !errors.As(err, &re) || !errors.Is(err, ErrNotEnough) {
		t.Fatalf("two good shares of 3: %v", err)
	}
	states := []string{}
	for _, s := range re.Signers {
		states = append(states, s.State)
	}
	if strings.Join(states, ",") != "opened,opened,bad,bad,bad" {
		t.Fatalf("table %v", states)
	}
}

func TestSealedContextOpens(t *testing.T) {
	ctx, _ := NewExportContext()
	defer ctx.Close()
	file, err := ctx.Seal([]byte("correct horse"), KDFInteractive)
	if err != nil || len(file) != contextFileBytes {
		t.Fatalf("%d bytes, %v", len(file), err)
	}
	back, err := OpenExportContext(file, []byte("correct horse"))
	if err != nil || !bytes.Equal(back.EncryptionKey(), ctx.EncryptionKey()) {
		t.Fatalf("reopened: %v", err)
	}
	back.Close()
	if _, err := OpenExportContext(file, []byte("wrong")); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("a wrong passphrase: %v", err)
	}
	file[len(file)-1] ^= 1
	if _, err := OpenExportContext(file, []byte("correct horse")); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("an altered file: %v", err)
	}
	if s := fmt.Sprintf("%v %+v", ctx, ctx); s != "<sensitive> <sensitive>" {
		t.Fatal(s)
	}
}

func TestExportRequestSchemes(t *testing.T) {
	ctx, _ := NewExportContext()
	defer ctx.Close()
	del := true
	body, err := ctx.ExportRequest(&ExportRequestOptions{Delete: &del, Schemes: []Scheme{{CGGMP24, Secp256k1}}})
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		EncryptionKey    string `json:"encryptionKey"`
		SupportedSchemes []struct{ Protocol, Curve string }
		Delete           bool `json:"delete"`
	}
	if err := json.Unmarshal(body, &d); err != nil || !d.Delete || len(d.SupportedSchemes) != 1 || d.SupportedSchemes[0].Protocol != "CGGMP24" {
		t.Fatalf("%s: %v", body, err)
	}
	raw, _ := base64.StdEncoding.DecodeString(d.EncryptionKey)
	if len(raw) != 34 || !bytes.Equal(raw[1:], ctx.EncryptionKey()) {
		t.Fatalf("encryptionKey %s", d.EncryptionKey)
	}
	if _, err := ctx.ExportRequest(&ExportRequestOptions{Schemes: []Scheme{{FROST, Secp256k1}}}); !errors.Is(err, ErrScheme) {
		t.Fatalf("FROST on secp256k1: %v", err)
	}
}

// Many goroutines recover at once; each failure's detail names its own context's fingerprint.
func TestConcurrentRecoveriesKeepTheirDetails(t *testing.T) {
	_, key, sk := importedKey(t, Secp256k1)
	defer key.Close()
	want := scalarOf(t, key)
	foreign, _ := NewExportContext()
	defer foreign.Close()
	wrong := sk.exportKey(t, foreign.EncryptionKey(), nil)
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for g := 0; g < 32; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, err := NewExportContext()
			if err != nil {
				errs <- err
				return
			}
			defer ctx.Close()
			good := sk.exportKey(t, ctx.EncryptionKey(), nil)
			for j := 0; j < 5; j++ {
				_, err := ctx.Recover(wrong)
				var e *Error
				if !errors.As(err, &e) || !strings.Contains(e.Detail, ctx.Fingerprint()) {
					errs <- fmt.Errorf("context %s got %v", ctx.Fingerprint(), err)
					return
				}
				k, err := ctx.Recover(good)
				if err != nil {
					errs <- err
					return
				}
				if !bytes.Equal(scalarOf(t, k), want) {
					errs <- errors.New("another key")
				}
				k.Close()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
