package keyport

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"
)

func newOperators(t *testing.T, names ...string) ([]*Operator, [][]byte) {
	t.Helper()
	var ops []*Operator
	var files [][]byte
	for _, n := range names {
		op, file, err := NewOperator(n, []byte("pass-"+n), KDFInteractive)
		if err != nil {
			t.Fatal(err)
		}
		ops = append(ops, op)
		files = append(files, file)
	}
	return ops, files
}

func TestOperatorFileUnlocks(t *testing.T) {
	ops, files := newOperators(t, "alice")
	defer ops[0].Close()
	if !ops[0].Unlocked() || ops[0].Name() != "alice" || len(ops[0].Fingerprint()) != 19 {
		t.Fatalf("%v", ops[0])
	}
	back, err := ParseOperator(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	if back.Unlocked() || !bytes.Equal(back.PublicKey(), ops[0].PublicKey()) {
		t.Fatal("the parsed operator is unlocked or has another key")
	}
	if err := back.Unlock([]byte("wrong")); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("a wrong passphrase: %v", err)
	}
	if err := back.Unlock([]byte("pass-alice")); err != nil || !back.Unlocked() {
		t.Fatalf("unlock: %v", err)
	}
	if s := fmt.Sprintf("%v", back); !strings.Contains(s, "alice") || strings.Contains(s, "sealed") {
		t.Fatal(s)
	}
	if _, _, err := NewOperator("", []byte("x"), KDFInteractive); err == nil {
		t.Fatal("an operator without a name was made")
	}
}

func TestPolicyAndApprovals(t *testing.T) {
	ops, _ := newOperators(t, "alice", "bob", "carol")
	var members []PolicyMember
	for _, op := range ops {
		defer op.Close()
		members = append(members, PolicyMember{op.Name(), op.PublicKey()})
	}
	doc, err := WritePolicy("treasury", members, map[Action]int{ActionImport: 2, ActionExport: 2, ActionArchive: 3})
	if err != nil {
		t.Fatal(err)
	}
	pol, err := ParsePolicy(doc)
	if err != nil {
		t.Fatal(err)
	}
	defer pol.Close()
	if pol.ID() != "treasury" || pol.Quorum(ActionArchive) != 3 || len(pol.Operators()) != 3 || pol.Operators()[1].Name != "bob" {
		t.Fatalf("policy %s", pol.Text())
	}
	if _, err := WritePolicy("p", members, map[Action]int{ActionImport: 4, ActionExport: 1, ActionArchive: 1}); !errors.Is(err, ErrPolicy) {
		t.Fatalf("a quorum above N: %v", err)
	}

	request := []byte(`{"keyId":"k1"}`)
	now := time.Unix(1_800_000_000, 0)
	bundle, err := SignApproval(ops[0], pol, ActionExport, request, &ApprovalOptions{KeyID: "k1", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := VerifyApprovals(pol, ActionExport, request, bundle, "k1", now)
	if err != nil || rep.QuorumMet || rep.Counted != 1 || rep.Needed != 2 {
		t.Fatalf("one approval: %+v %v", rep, err)
	}
	bundle, err = SignApproval(ops[1], pol, ActionExport, request, &ApprovalOptions{KeyID: "k1", Bundle: bundle, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	rep, err = VerifyApprovals(pol, ActionExport, request, bundle, "k1", now)
	if err != nil || !rep.QuorumMet || rep.Counted != 2 || rep.Approvals[1].Operator != "bob" {
		t.Fatalf("two approvals: %+v %v", rep, err)
	}
	// another request body, another key, expired: nothing counts
	for _, c := range []struct {
		req   string
		key   string
		at    time.Time
		words string
	}{{`{"keyId":"k2"}`, "k1", now, "request"}, {string(request), "k2", now, "key"}, {string(request), "k1", now.Add(time.Hour), "expired"}} {
		rep, err = VerifyApprovals(pol, ActionExport, []byte(c.req), bundle, c.key, c.at)
		if err != nil || rep.QuorumMet || rep.Counted != 0 || !strings.Contains(rep.Approvals[0].Verdict, c.words) {
			t.Fatalf("%s: %+v %v", c.words, rep, err)
		}
	}
	// the signature is an Ed25519 signature by the operator's key (crypto/ed25519)
	var b struct {
		Approvals []struct {
			Statement json.RawMessage `json:"statement"`
			Signature string          `json:"signature"`
		} `json:"approvals"`
	}
	if err := json.Unmarshal(bundle, &b); err != nil || len(b.Approvals) != 2 {
		t.Fatalf("%s", bundle)
	}
	var st struct {
		Request string `json:"request"`
	}
	json.Unmarshal(b.Approvals[0].Statement, &st)
	sum := sha256.Sum256(request)
	if st.Request != hex.EncodeToString(sum[:]) {
		t.Fatalf("the statement binds %s, not SHA-256 of the request", st.Request)
	}
}

func credentialKeys(t *testing.T, file []byte) (pub, priv []byte) {
	var f struct{ PublicKey, PrivateKey string }
	if err := json.Unmarshal(file, &f); err != nil {
		t.Fatal(err)
	}
	pub, _ = hex.DecodeString(f.PublicKey)
	priv, _ = hex.DecodeString(f.PrivateKey)
	return
}

func TestCredentialsAgainstTheStandardLibrary(t *testing.T) {
	msg := []byte(`{"challenge":"abc"}`)

	file, err := NewCredentialFile("cred-ed", CredentialEd25519)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseCredential(file)
	if err != nil {
		t.Fatal(err)
	}
	pub, seed := credentialKeys(t, file)
	clear(file)
	sig, err := c.Sign(msg)
	if err != nil || !ed25519.Verify(ed25519.PublicKey(pub), msg, sig) || !bytes.Equal(c.PublicKey(), pub) {
		t.Fatalf("crypto/ed25519 does not verify the credential's signature: %v", err)
	}
	if !bytes.Equal(ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey), pub) {
		t.Fatal("the file's public key is not its seed's")
	}
	if err := VerifyCredentialSignature(CredentialEd25519, pub, msg, sig); err != nil {
		t.Fatal(err)
	}
	sig[0] ^= 1
	if err := VerifyCredentialSignature(CredentialEd25519, pub, msg, sig); !errors.Is(err, ErrSignature) {
		t.Fatalf("a bad signature: %v", err)
	}
	c.Close()

	file, err = NewCredentialFile("cred-p256", CredentialP256)
	if err != nil {
		t.Fatal(err)
	}
	c, err = ParseCredential(file)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pub, priv := credentialKeys(t, file)
	clear(file)
	// crypto/ecdh P-256: the private key's public key is the file's (SEC1 uncompressed)
	ek, err := ecdh.P256().NewPrivateKey(priv)
	if err != nil || !bytes.Equal(ek.PublicKey().Bytes(), pub) || c.Algorithm() != CredentialP256 {
		t.Fatalf("crypto/ecdh: %v", err)
	}
	sig, err = c.Sign(msg)
	if err != nil {
		t.Fatal(err)
	}
	x, y := elliptic.Unmarshal(elliptic.P256(), pub) //nolint:staticcheck // the SEC1 point for crypto/ecdsa
	pk := &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).Set(x), Y: y}
	h := sha256.Sum256(msg)
	if !ecdsa.VerifyASN1(pk, h[:], sig) {
		t.Fatal("crypto/ecdsa does not verify the credential's DER signature")
	}
	if s := fmt.Sprintf("%v", c); strings.Contains(s, hex.EncodeToString(priv)) || !strings.Contains(s, "cred-p256") {
		t.Fatal(s)
	}
}
