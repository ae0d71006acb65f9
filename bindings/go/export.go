package keyport

/*
#include <stdlib.h>
#include <string.h>
#include "keyport_go.h"
*/
import "C"

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"unsafe"
)

// Protocol is a threshold signing protocol of libkeyport.
type Protocol int

const (
	CGGMP21      Protocol = 1
	CGGMP24      Protocol = 2
	FROST        Protocol = 3
	FROSTBitcoin Protocol = 4
)

func (p Protocol) String() string {
	if n := C.kp_protocol_name(C.kp_protocol(p)); n != nil {
		return C.GoString(n)
	}
	return fmt.Sprintf("Protocol(%d)", int(p))
}

// Scheme is a protocol/curve pair, as supportedSchemes lists them.
type Scheme struct {
	Protocol Protocol
	Curve    Curve
}

// KDF is the Argon2id strength of a sealed export context.
type KDF int

const (
	KDFInteractive KDF = 1 // 2 passes, 64 MiB
	KDFModerate    KDF = 2 // 3 passes, 256 MiB (the keyport command's default)
	KDFSensitive   KDF = 3 // 4 passes, 1 GiB
)

// ExportContext is the client side of an export: an encryption key pair whose secret stays in
// libkeyport's secure memory. Close wipes it.
type ExportContext struct {
	secret *SecretKey
	ek     [encryptionKeyBytes]byte
}

// NewExportContext makes a fresh export context.
func NewExportContext() (*ExportContext, error) {
	c := &ExportContext{secret: newSecretKey()}
	c.secret.curve = Secp256k1
	var o C.gokp_outcome
	C.gokp_encryption_keypair(&o, (*C.uint8_t)(c.secret.p), (*C.uint8_t)(unsafe.Pointer(&c.ek[0])))
	if err := result("new export context", &o); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// OpenExportContext opens a context sealed by Seal with its passphrase. A wrong passphrase and
// an altered file are the same error: ErrDecrypt.
func OpenExportContext(file, passphrase []byte) (*ExportContext, error) {
	const op = "open export context"
	if len(file) > maxInputBytes || len(passphrase) > maxInputBytes {
		return nil, tooLarge(op, "the context file or passphrase")
	}
	c := &ExportContext{secret: newSecretKey()}
	c.secret.curve = Secp256k1
	var o C.gokp_outcome
	fp, fl := cbytes(file)
	pp, pl := cbytes(passphrase)
	C.gokp_context_open(&o, (*C.uint8_t)(c.secret.p), fp, fl, pp, pl)
	if err := result(op, &o); err != nil {
		c.Close()
		return nil, err
	}
	C.gokp_encryption_key_from_secret(&o, (*C.uint8_t)(unsafe.Pointer(&c.ek[0])), (*C.uint8_t)(c.secret.p))
	if err := result(op, &o); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// ExportContextFromKey makes an export context whose secret is a copy of key's scalar (e.g. a
// decryption key kept elsewhere).
func ExportContextFromKey(key *SecretKey) (*ExportContext, error) {
	const op = "export context from key"
	c := &ExportContext{secret: newSecretKey()}
	c.secret.curve = Secp256k1
	key.mu.Lock()
	C.memcpy(c.secret.p, key.use(op), scalarBytes)
	key.mu.Unlock()
	runtime.KeepAlive(key)
	var o C.gokp_outcome
	C.gokp_encryption_key_from_secret(&o, (*C.uint8_t)(unsafe.Pointer(&c.ek[0])), (*C.uint8_t)(c.secret.p))
	if err := result(op, &o); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// EncryptionKey is the context's public encryption key (33 bytes).
func (c *ExportContext) EncryptionKey() []byte { return append([]byte(nil), c.ek[:]...) }

// Fingerprint is the encryption key's short fingerprint (16 hex digits).
func (c *ExportContext) Fingerprint() string { return EncryptionKeyFingerprint(c.ek[:]) }

// Seal writes the context under a passphrase (Argon2id, XChaCha20-Poly1305).
func (c *ExportContext) Seal(passphrase []byte, kdf KDF) ([]byte, error) {
	const op = "seal export context"
	if len(passphrase) > maxInputBytes {
		return nil, tooLarge(op, "the passphrase")
	}
	if kdf == 0 {
		kdf = KDFModerate
	}
	file := make([]byte, contextFileBytes)
	var o C.gokp_outcome
	pp, pl := cbytes(passphrase)
	c.secret.mu.Lock()
	C.gokp_context_seal(&o, (*C.uint8_t)(unsafe.Pointer(&file[0])), (*C.uint8_t)(c.secret.use(op)), pp, pl, C.int(kdf))
	c.secret.mu.Unlock()
	runtime.KeepAlive(c)
	if err := result(op, &o); err != nil {
		return nil, err
	}
	return file, nil
}

// ExportRequestOptions are the optional fields of an export request.
type ExportRequestOptions struct {
	Delete  *bool    // nil: no "delete" field
	Schemes []Scheme // nil: the default four pairs
}

// ExportRequest is the body of POST /keys/{keyId}/export for this context.
func (c *ExportContext) ExportRequest(opt *ExportRequestOptions) ([]byte, error) {
	var ro ExportRequestOptions
	if opt != nil {
		ro = *opt
	}
	del := -1
	if ro.Delete != nil {
		del = 0
		if *ro.Delete {
			del = 1
		}
	}
	pairs := make([]C.int, 0, 2*len(ro.Schemes)+1)
	for _, s := range ro.Schemes {
		pairs = append(pairs, C.int(s.Protocol), C.int(s.Curve))
	}
	pairs = append(pairs, 0)
	b := newBuf()
	var o C.gokp_outcome
	C.gokp_export_request(&o, &b, (*C.uint8_t)(unsafe.Pointer(&c.ek[0])), &pairs[0], C.size_t(len(ro.Schemes)), C.int(del))
	out := takeBuf(&b)
	if err := result("export request", &o); err != nil {
		return nil, err
	}
	return out, nil
}

// Culprit is a signer whose share was provably bad, and why.
type Culprit struct {
	SignerID string
	Code     Code
	Reason   string
}

// SignerState is one signer's row of a recovery's table.
type SignerState struct {
	SignerID string
	State    string // "good", "bad", "unresolved" (recovered) or "opened", "bad" (failed)
	Code     Code   // for "bad"
	Reason   string // for "bad"
}

// RecoveryReport is the signer table of a recovery: each signer's state, the culprits, the
// groups of signers keyport cannot tell apart, and a sentence on what could not be resolved.
type RecoveryReport struct {
	Culprits   []Culprit
	Unresolved [][]string
	Note       string
	Unique     bool
	MinSigners int

	once    sync.Once // the table is made from the response on the first Signers call
	doc     []byte
	grouped map[string]bool
	bad     map[string]Culprit
	signers []SignerState
}

// Signers is the table: each signer of the response once, in its order, "good", "bad" (a
// culprit, with its code and reason) or "unresolved".
func (r *RecoveryReport) Signers() []SignerState {
	r.once.Do(func() {
		seen := map[string]bool{}
		for _, s := range sharesOf(r.doc) {
			if seen[s.id] {
				continue
			}
			seen[s.id] = true
			switch cu, isBad := r.bad[s.id]; {
			case isBad:
				r.signers = append(r.signers, SignerState{s.id, "bad", cu.Code, cu.Reason})
			case r.grouped[s.id] || !r.Unique:
				r.signers = append(r.signers, SignerState{SignerID: s.id, State: "unresolved"})
			default:
				r.signers = append(r.signers, SignerState{SignerID: s.id, State: "good"})
			}
		}
		r.doc = nil
	})
	return r.signers
}

// RecoveryError is a recovery that failed (ErrNotEnough, ErrWrongContext): the *Error and the
// signer table (which shares opened with this context).
type RecoveryError struct {
	Err     *Error // Op, Code, Detail of the call
	Signers []SignerState
}

func (e *RecoveryError) Error() string { return e.Err.Error() }

// Unwrap gives the *Error (and through it the Code).
func (e *RecoveryError) Unwrap() error { return e.Err }

// Recover recovers the key from an export response: it decrypts every share, recombines
// robustly and checks the result against the response's publicKey. The key's Report holds the
// signer table. A *RecoveryError (errors.As) carries the table when the key cannot be recovered.
func (c *ExportContext) Recover(response []byte) (*SecretKey, error) {
	const op = "recover"
	if len(response) > maxInputBytes {
		return nil, tooLarge(op, "the export response")
	}
	var o C.gokp_outcome
	var res *C.kp_export_result
	rp, rl := cbytes(response)
	c.secret.mu.Lock()
	secret := (*C.uint8_t)(c.secret.use(op))
	C.gokp_export_recover(&o, &res, secret, rp, rl)
	if err := result(op, &o); err != nil {
		var table []SignerState
		if errors.Is(err, ErrNotEnough) || errors.Is(err, ErrWrongContext) {
			table = c.failureTable(secret, response)
		}
		c.secret.mu.Unlock()
		runtime.KeepAlive(c)
		if table != nil {
			return nil, &RecoveryError{Err: err.(*Error), Signers: table}
		}
		return nil, err
	}
	c.secret.mu.Unlock()
	runtime.KeepAlive(c)
	defer C.kp_export_result_free(res)
	k := newSecretKey()
	C.kp_export_result_private_key(res, (*C.uint8_t)(k.p))
	k.curve = Curve(C.kp_export_result_curve(res))
	k.proto = Protocol(C.kp_export_result_protocol(res))
	k.report = reportOf(res, response)
	return k, nil
}

type responseShare struct {
	id string
	ct []byte // nil: not base64
}

func sharesOf(response []byte) []responseShare {
	var d struct {
		Shares []struct {
			SignerID any `json:"signerId"`
			Share    any `json:"encryptedKeyShare"`
		} `json:"encryptedKeyShares"`
	}
	if json.Unmarshal(response, &d) != nil {
		return nil
	}
	out := make([]responseShare, 0, len(d.Shares))
	for _, e := range d.Shares {
		s := responseShare{id: fmt.Sprint(e.SignerID)}
		if t, ok := e.Share.(string); ok {
			s.ct, _ = base64.StdEncoding.Strict().DecodeString(t)
		}
		out = append(out, s)
	}
	return out
}

func (c *ExportContext) failureTable(secret *C.uint8_t, response []byte) []SignerState {
	table := []SignerState{}
	for _, s := range sharesOf(response) {
		switch {
		case s.ct == nil:
			table = append(table, SignerState{s.id, "bad", ErrBase64, "its encryptedKeyShare is not base64"})
		case C.gokp_opens(secret, (*C.uint8_t)(unsafe.Pointer(&s.ct[0])), C.size_t(len(s.ct))) != 0:
			table = append(table, SignerState{SignerID: s.id, State: "opened"})
		default:
			table = append(table, SignerState{s.id, "bad", ErrDecrypt, "its share did not decrypt with this export context"})
		}
	}
	return table
}

func reportOf(res *C.kp_export_result, response []byte) *RecoveryReport {
	r := &RecoveryReport{
		Note:       C.GoString(C.kp_export_result_note(res)),
		Unique:     C.kp_export_result_unique(res) != 0,
		MinSigners: int(C.kp_export_result_min_signers(res)),
	}
	bad := map[string]Culprit{}
	for i := C.size_t(0); i < C.kp_export_result_culprit_count(res); i++ {
		var why C.kp_status
		var reason *C.char
		id := C.kp_export_result_culprit(res, i, &why, &reason)
		cu := Culprit{C.GoString(id), Code(why), C.GoString(reason)}
		r.Culprits = append(r.Culprits, cu)
		bad[cu.SignerID] = cu
	}
	grouped := map[string]bool{}
	for g := C.size_t(0); g < C.kp_export_result_group_count(res); g++ {
		var ids **C.char
		n := int(C.kp_export_result_group(res, g, &ids))
		group := make([]string, n)
		for i, p := range unsafe.Slice(ids, n) {
			group[i] = C.GoString(p)
			grouped[group[i]] = true
		}
		r.Unresolved = append(r.Unresolved, group)
	}
	r.doc = append([]byte(nil), response...)
	r.grouped = grouped
	r.bad = bad
	return r
}

// Close wipes the context's secret. It may be called more than once.
func (c *ExportContext) Close() error { return c.secret.Close() }

// Format prints <sensitive> for every verb.
func (c *ExportContext) Format(f fmt.State, verb rune) { fmt.Fprint(f, "<sensitive>") }

// EncryptionKeyFingerprint is an encryption key's short fingerprint: the first 8 bytes of its
// SHA-256, as 16 hex digits.
func EncryptionKeyFingerprint(ek []byte) string {
	if len(ek) != encryptionKeyBytes {
		return ""
	}
	var out [17]C.char
	C.kp_encryption_key_fingerprint(&out[0], (*C.uint8_t)(unsafe.Pointer(&ek[0])))
	return C.GoString(&out[0])
}
