package keyport

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// keyportd runs the built keyportd (KEYPORTD_BIN; run_tests.sh sets it) with 5 signers, a
// policy of three operators (2 of 3 for each action) and one credential. The test fails
// without it.
type daemon struct {
	cmd    *exec.Cmd
	url    string
	token  string
	ops    []*Operator
	policy *Policy
	cred   *Credential
}

func startKeyportd(t *testing.T) *daemon {
	t.Helper()
	bin := os.Getenv("KEYPORTD_BIN")
	if bin == "" {
		t.Fatal("KEYPORTD_BIN is not set: point it at the built keyportd (build/server/keyportd)")
	}
	dir := t.TempDir()
	ops, _ := newOperators(t, "alice", "bob", "carol")
	var members []PolicyMember
	for _, op := range ops {
		members = append(members, PolicyMember{op.Name(), op.PublicKey()})
	}
	doc, err := WritePolicy("go-cluster", members, map[Action]int{ActionImport: 2, ActionExport: 2, ActionArchive: 2})
	if err != nil {
		t.Fatal(err)
	}
	policy, _ := ParsePolicy(doc)
	file, err := NewCredentialFile("go-cred", CredentialEd25519)
	if err != nil {
		t.Fatal(err)
	}
	cred, err := ParseCredential(file)
	clear(file)
	if err != nil {
		t.Fatal(err)
	}
	creds, _ := json.Marshal([]map[string]string{{"credId": cred.ID(), "algorithm": cred.Algorithm().String(), "publicKey": hex.EncodeToString(cred.PublicKey())}})
	must(t, os.WriteFile(filepath.Join(dir, "credentials.json"), creds, 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "policy.json"), doc, 0o600))
	cmd := exec.Command(bin, "--data", filepath.Join(dir, "data"), "--listen", "127.0.0.1:0", "--signers", "5",
		"--storage-key-file", filepath.Join(dir, "storage.key"), "--policy", filepath.Join(dir, "policy.json"),
		"--credentials", filepath.Join(dir, "credentials.json"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, _ := cmd.StdoutPipe()
	must(t, cmd.Start())
	d := &daemon{cmd: cmd, ops: ops, policy: policy, cred: cred}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Errorf("keyportd exited: %v: %s", err, stderr.String())
		}
	})
	re := regexp.MustCompile(`keyportd: listening on (http://\S+) with`)
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			d.url = m[1]
			break
		}
	}
	go func() {
		for sc.Scan() {
		}
	}()
	if d.url == "" {
		t.Fatalf("keyportd did not start: %s", stderr.String())
	}
	tok, err := os.ReadFile(filepath.Join(dir, "data", "token"))
	must(t, err)
	d.token = strings.TrimSpace(string(tok))
	return d
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (d *daemon) bundle(t *testing.T, a Action, body []byte, keyID string) []byte {
	t.Helper()
	b, err := SignApproval(d.ops[0], d.policy, a, body, &ApprovalOptions{KeyID: keyID})
	must(t, err)
	b, err = SignApproval(d.ops[1], d.policy, a, body, &ApprovalOptions{KeyID: keyID, Bundle: b})
	must(t, err)
	return b
}

func TestClusterImportExportArchiveAndAudit(t *testing.T) {
	d := startKeyportd(t)
	c, err := NewClient(d.url, d.token, d.cred)
	must(t, err)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	doc, err := c.Signers(ctx)
	must(t, err)
	signers, err := ParseSigners(doc, "")
	must(t, err)
	if len(signers.List()) != 5 {
		t.Fatalf("%s", doc)
	}
	for _, s := range []Scheme{{CGGMP21, Secp256k1}, {FROST, Ed25519}, {CGGMP24, Stark}} {
		key, _ := RandomKey(s.Curve)
		body, err := PrepareImport(signers, key, &ImportOptions{Protocol: s.Protocol, Name: "go " + s.Curve.String()})
		must(t, err)
		ans, err := c.ImportKey(ctx, body, d.bundle(t, ActionImport, body, ""))
		must(t, err)
		var k struct{ ID, PublicKey, Status, Curve string }
		json.Unmarshal(ans, &k)
		pub, _ := key.PublicKey()
		if k.PublicKey != hex.EncodeToString(pub) || k.Status != "Active" || k.Curve != s.Curve.String() {
			t.Fatalf("%s", ans)
		}
		ec, _ := NewExportContext()
		req, err := ec.ExportRequest(&ExportRequestOptions{Schemes: []Scheme{s}})
		must(t, err)
		resp, err := c.ExportKey(ctx, k.ID, req, d.bundle(t, ActionExport, req, k.ID))
		must(t, err)
		got, err := ec.Recover(resp)
		must(t, err)
		if !bytes.Equal(scalarOf(t, got), scalarOf(t, key)) {
			t.Fatalf("%v: the cluster gave back another key", s)
		}
		_, err = c.ExportKey(ctx, k.ID, req, d.bundle(t, ActionExport, req, k.ID))
		var ae *APIError
		if !errors.As(err, &ae) || ae.Status != 409 {
			t.Fatalf("a second export of an exported key: %v", err)
		}
		got.Close()
		ec.Close()
		key.Close()
	}
	// no approvals: 403; then archive with them; the audit log verifies and names it all
	key, _ := RandomKey(Secp256k1)
	defer key.Close()
	body, _ := PrepareImport(signers, key, nil)
	_, err = c.ImportKey(ctx, body, []byte(`{"version":1,"approvals":[]}`))
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 403 {
		t.Fatalf("an import without approvals: %v", err)
	}
	ans, err := c.ImportKey(ctx, body, d.bundle(t, ActionImport, body, ""))
	must(t, err)
	var k struct{ ID, Status string }
	json.Unmarshal(ans, &k)
	ans, err = c.ArchiveKey(ctx, k.ID, d.bundle(t, ActionArchive, []byte("{}"), k.ID))
	must(t, err)
	if !strings.Contains(string(ans), `"Archived"`) {
		t.Fatalf("%s", ans)
	}
	raw, err := c.AuditLog(ctx)
	must(t, err)
	rep, err := VerifyAuditLog(raw, nil, nil)
	if err != nil || !rep.OK {
		t.Fatalf("the cluster's audit log: %+v %v", rep, err)
	}
	entries, err := AuditEntries(raw)
	must(t, err)
	events := map[string]bool{}
	for _, e := range entries {
		events[e.Event] = true
	}
	for _, want := range []string{"key.imported", "key.archived", "request.denied"} {
		if !events[want] {
			t.Errorf("no %s in the audit log", want)
		}
	}
}

// A server that accepts and never answers: the call returns when the context ends, at once.
func TestClientCallEndsWithItsContext(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer l.Close()
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
		}
	}()
	c, err := NewClient("http://"+l.Addr().String(), "token", nil)
	must(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err = c.Do(ctx, "GET", "/signers", nil, nil)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("%v after %v", err, time.Since(start))
	}
	done, stop := context.WithCancel(context.Background())
	stop()
	if _, _, err := c.Do(done, "GET", "/signers", nil, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled context: %v", err)
	}
}

// Nothing listens: an *Error with ErrIo and the transport's reason.
func TestClientNoAnswerIsErrIo(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	c, err := NewClient("http://"+addr, "token", nil)
	must(t, err)
	defer c.Close()
	_, _, err = c.Do(context.Background(), "GET", "/signers", nil, nil)
	var e *Error
	if !errors.Is(err, ErrIo) || !errors.As(err, &e) || e.Detail == "" {
		t.Fatalf("%v", err)
	}
	t.Log(fmt.Sprint(err))
}

// The binding's own audit log: append, verify against the writer and a recorded head,
// entries; an altered line is found.
func TestAuditLogAppendVerify(t *testing.T) {
	ops, _ := newOperators(t, "writer")
	defer ops[0].Close()
	path := filepath.Join(t.TempDir(), "audit.log")
	log, err := OpenAuditLog(path, ops[0], time.Time{})
	must(t, err)
	h1, err := log.Append(AuditEvent{Event: "key.imported", KeyID: "k1", Actors: []string{"alice", "bob"}, Details: json.RawMessage(`{"n":5}`)})
	must(t, err)
	_, err = log.Append(AuditEvent{Event: "key.exported", KeyID: "k1"})
	must(t, err)
	log.Close()
	log.Close()
	text, _ := os.ReadFile(path)
	rep, err := VerifyAuditLog(text, ops[0].PublicKey(), headBytes(h1))
	if err != nil || !rep.OK || rep.Entries != 3 {
		t.Fatalf("%+v %v", rep, err)
	}
	entries, err := AuditEntries(text)
	if err != nil || len(entries) != 3 || entries[1].Event != "key.imported" || *entries[1].KeyID != "k1" || entries[1].Actors[1] != "bob" {
		t.Fatalf("%+v %v", entries, err)
	}
	bad := bytes.Replace(text, []byte(`"k1"`), []byte(`"k2"`), 1)
	rep, err = VerifyAuditLog(bad, nil, nil)
	if err != nil || rep.OK || rep.Line != 2 || rep.Message == "" {
		t.Fatalf("an altered entry: %+v %v", rep, err)
	}
}

// Threshold signing through the binding: a FROST ed25519 key imported from a known seed signs a
// message in the cluster, and Go's crypto/ed25519 verifies the signature under the seed's own
// public key; a BIP-340 hash of the wrong length is refused before any call; the signature is
// listed; an ECDSA key is refused with 501.
func TestClusterSignsWithFROST(t *testing.T) {
	d := startKeyportd(t)
	c, err := NewClient(d.url, d.token, d.cred)
	must(t, err)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	doc, err := c.Signers(ctx)
	must(t, err)
	signers, err := ParseSigners(doc, "")
	must(t, err)
	seed := bytes.Repeat([]byte{0x5a}, 32)
	key, err := ParseKey(FormatEd25519Seed, []byte(hex.EncodeToString(seed)), nil)
	must(t, err)
	defer key.Close()
	body, err := PrepareImport(signers, key, &ImportOptions{Protocol: FROST})
	must(t, err)
	ans, err := c.ImportKey(ctx, body, d.bundle(t, ActionImport, body, ""))
	must(t, err)
	var k struct{ ID string }
	must(t, json.Unmarshal(ans, &k))
	msg := []byte("keyport: signed by a quorum of signers, never by one key")
	ans, err = c.SignMessage(ctx, k.ID, msg, nil)
	must(t, err)
	var sig struct {
		ID        string
		Status    string
		Signature struct{ Encoded string }
	}
	must(t, json.Unmarshal(ans, &sig))
	raw, err := hex.DecodeString(strings.TrimPrefix(sig.Signature.Encoded, "0x"))
	if err != nil || sig.Status != "Signed" || len(raw) != 64 {
		t.Fatalf("%s", ans)
	}
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	if !ed25519.Verify(pub, msg, raw) {
		t.Fatalf("crypto/ed25519 does not verify the cluster's signature: %s", ans)
	}
	if ed25519.Verify(pub, append(msg, '!'), raw) {
		t.Fatal("the signature verifies another message")
	}
	list, err := c.Signatures(ctx, k.ID)
	must(t, err)
	if !strings.Contains(string(list), sig.ID) {
		t.Fatalf("the signature %s is not listed: %s", sig.ID, list)
	}
	if _, err := c.SignHash(ctx, k.ID, []byte("short"), nil); !errors.Is(err, ErrFormat) {
		t.Fatalf("a 5-byte hash: %v", err)
	}
	ecdsa, _ := RandomKey(Secp256k1)
	defer ecdsa.Close()
	body, _ = PrepareImport(signers, ecdsa, nil)
	ans, err = c.ImportKey(ctx, body, d.bundle(t, ActionImport, body, ""))
	must(t, err)
	must(t, json.Unmarshal(ans, &k))
	_, err = c.SignHash(ctx, k.ID, bytes.Repeat([]byte{1}, 32), nil)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 501 {
		t.Fatalf("signing with a CGGMP21 key: %v", err)
	}
}
