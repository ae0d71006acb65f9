package keyport

/*
#include <stdlib.h>
#include "keyport_go.h"
*/
import "C"

import (
	"encoding/hex"
	"fmt"
	"runtime"
	"time"
	"unsafe"
)

// Operator is a person who approves imports and exports (Know Your Key): a name and an Ed25519
// key pair whose secret stays sealed in the operator file until Unlock, and then in
// libkeyport's secure memory until Close.
type Operator struct{ h *handle }

func newOperator(p *C.kp_operator) *Operator {
	op := &Operator{}
	op.h = newHandle(op, unsafe.Pointer(p), func(p unsafe.Pointer) { C.kp_operator_free((*C.kp_operator)(p)) }, "operator")
	return op
}

func (op *Operator) ptr(fn func(p *C.kp_operator)) {
	op.h.with(func(p unsafe.Pointer) { fn((*C.kp_operator)(p)) })
	runtime.KeepAlive(op)
}

// NewOperator makes an operator with a fresh key pair (unlocked) and its file, sealed under
// the passphrase.
func NewOperator(name string, passphrase []byte, kdf KDF) (*Operator, []byte, error) {
	const op = "new operator"
	if len(passphrase) > maxInputBytes {
		return nil, nil, tooLarge(op, "the passphrase")
	}
	if kdf == 0 {
		kdf = KDFModerate
	}
	cname, free := cstringAlways(name)
	defer free()
	var p *C.kp_operator
	b := newBuf()
	var o C.gokp_outcome
	pp, pl := cbytes(passphrase)
	C.gokp_operator_new(&o, &p, &b, cname, pp, pl, C.int(kdf))
	file := takeBuf(&b)
	if err := result(op, &o); err != nil {
		return nil, nil, err
	}
	return newOperator(p), file, nil
}

// ParseOperator reads an operator file: the name and public key; the secret stays sealed.
func ParseOperator(file []byte) (*Operator, error) {
	const op = "parse operator"
	if len(file) > maxInputBytes {
		return nil, tooLarge(op, "the operator file")
	}
	var p *C.kp_operator
	var o C.gokp_outcome
	fp, fl := cbytes(file)
	C.gokp_operator_parse(&o, &p, fp, fl)
	if err := result(op, &o); err != nil {
		return nil, err
	}
	return newOperator(p), nil
}

// Unlock opens the sealed secret (ErrDecrypt: a wrong passphrase or an altered file).
func (op *Operator) Unlock(passphrase []byte) error {
	if len(passphrase) > maxInputBytes {
		return tooLarge("unlock operator", "the passphrase")
	}
	var o C.gokp_outcome
	pp, pl := cbytes(passphrase)
	op.ptr(func(p *C.kp_operator) { C.gokp_operator_unlock(&o, p, pp, pl) })
	return result("unlock operator", &o)
}

// Unlocked says whether the operator can sign.
func (op *Operator) Unlocked() (u bool) {
	op.ptr(func(p *C.kp_operator) { u = C.kp_operator_is_unlocked(p) != 0 })
	return
}

// Name is the operator's name.
func (op *Operator) Name() (n string) {
	op.ptr(func(p *C.kp_operator) { n = C.GoString(C.kp_operator_name(p)) })
	return
}

// PublicKey is the operator's Ed25519 public key (32 bytes).
func (op *Operator) PublicKey() []byte {
	pk := make([]byte, 32)
	op.ptr(func(p *C.kp_operator) { C.kp_operator_public_key(p, (*C.uint8_t)(unsafe.Pointer(&pk[0]))) })
	return pk
}

// Fingerprint is the operator's key as people read it aloud ("XXXX-XXXX-XXXX-XXXX").
func (op *Operator) Fingerprint() string { return Fingerprint(op.PublicKey()) }

// Close wipes and frees the operator. It may be called more than once.
func (op *Operator) Close() error { op.h.close(); return nil }

// Format prints the operator's name and fingerprint, never its secret.
func (op *Operator) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, "<keyport.Operator %q %s>", op.Name(), op.Fingerprint())
}

// Fingerprint is an operator key's fingerprint: the first 10 bytes of
// SHA-256("keyport-operator-v1" || pk) in Crockford base32, four groups of four.
func Fingerprint(pk []byte) string {
	if len(pk) != 32 {
		return ""
	}
	var out [C.KP_FINGERPRINT_LEN + 1]C.char
	C.kp_fingerprint(&out[0], (*C.uint8_t)(unsafe.Pointer(&pk[0])))
	return C.GoString(&out[0])
}

// Action is what a policy's quorum approves.
type Action int

const (
	ActionImport  Action = 1
	ActionExport  Action = 2
	ActionArchive Action = 3
)

func (a Action) String() string {
	if n := C.kp_action_name(C.kp_action(a)); n != nil {
		return C.GoString(n)
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// PolicyMember is one operator of a policy.
type PolicyMember struct {
	Name      string
	PublicKey []byte // 32 bytes
}

// Policy is a parsed policy: an id, the operators, and a quorum per action.
type Policy struct {
	h    *handle
	text []byte
}

func (pol *Policy) ptr(fn func(p *C.kp_policy)) {
	pol.h.with(func(p unsafe.Pointer) { fn((*C.kp_policy)(p)) })
	runtime.KeepAlive(pol)
}

// WritePolicy checks and writes a policy document; quorum maps each action to its M.
func WritePolicy(id string, members []PolicyMember, quorum map[Action]int) ([]byte, error) {
	const op = "write policy"
	if len(members) == 0 || len(members) > maxSigners {
		return nil, &Error{Op: op, Code: ErrPolicy, Detail: fmt.Sprintf("%d operators: give 1 to %d", len(members), maxSigners)}
	}
	var names []byte
	pks := make([]byte, 0, 32*len(members))
	for i, m := range members {
		if len(m.PublicKey) != 32 {
			return nil, &Error{Op: op, Code: ErrPolicy, Detail: fmt.Sprintf("operator %d's public key has %d bytes, not 32", i+1, len(m.PublicKey))}
		}
		for j := 0; j < len(m.Name); j++ {
			if m.Name[j] == 0 {
				return nil, &Error{Op: op, Code: ErrPolicy, Detail: fmt.Sprintf("operator %d's name has a NUL byte", i+1)}
			}
		}
		names = append(append(names, m.Name...), 0)
		pks = append(pks, m.PublicKey...)
	}
	var q [3]C.uint
	for a, m := range quorum {
		if a < ActionImport || a > ActionArchive || m < 0 || m > maxSigners {
			return nil, &Error{Op: op, Code: ErrPolicy, Detail: fmt.Sprintf("quorum %d for %v", m, a)}
		}
		q[a-1] = C.uint(m)
	}
	cid, free := cstringAlways(id)
	defer free()
	b := newBuf()
	var o C.gokp_outcome
	C.gokp_policy_write(&o, &b, cid, (*C.char)(unsafe.Pointer(&names[0])), (*C.uint8_t)(unsafe.Pointer(&pks[0])), C.size_t(len(members)), &q[0])
	out := takeBuf(&b)
	if err := result(op, &o); err != nil {
		return nil, err
	}
	return out, nil
}

// ParsePolicy parses and checks a policy document.
func ParsePolicy(doc []byte) (*Policy, error) {
	const op = "parse policy"
	if len(doc) > maxInputBytes {
		return nil, tooLarge(op, "the policy")
	}
	var p *C.kp_policy
	var o C.gokp_outcome
	dp, dl := cbytes(doc)
	C.gokp_policy_parse(&o, &p, dp, dl)
	if err := result(op, &o); err != nil {
		return nil, err
	}
	pol := &Policy{text: append([]byte(nil), doc...)}
	pol.h = newHandle(pol, unsafe.Pointer(p), func(p unsafe.Pointer) { C.kp_policy_free((*C.kp_policy)(p)) }, "policy")
	return pol, nil
}

// ID is the policy's id.
func (pol *Policy) ID() (id string) {
	pol.ptr(func(p *C.kp_policy) { id = C.GoString(C.kp_policy_id(p)) })
	return
}

// Text is the policy document as parsed.
func (pol *Policy) Text() []byte { return append([]byte(nil), pol.text...) }

// Quorum is the number of distinct operators an action needs.
func (pol *Policy) Quorum(a Action) (m int) {
	pol.ptr(func(p *C.kp_policy) { m = int(C.kp_policy_quorum(p, C.kp_action(a))) })
	return
}

// Operators lists the policy's operators.
func (pol *Policy) Operators() (out []PolicyMember) {
	pol.ptr(func(p *C.kp_policy) {
		for i := C.size_t(0); i < C.kp_policy_operator_count(p); i++ {
			pk := make([]byte, 32)
			n := C.kp_policy_operator(p, i, (*C.uint8_t)(unsafe.Pointer(&pk[0])))
			out = append(out, PolicyMember{C.GoString(n), pk})
		}
	})
	return
}

// Close frees the policy. It may be called more than once.
func (pol *Policy) Close() error { pol.h.close(); return nil }

// ApprovalOptions are the optional parts of an approval.
type ApprovalOptions struct {
	KeyID  string        // required for export and archive, "" for import
	Bundle []byte        // an existing bundle to add to (nil: a new bundle)
	Now    time.Time     // zero: the current time
	TTL    time.Duration // zero: 10 minutes
}

func unixOf(t time.Time) C.int64_t {
	if t.IsZero() {
		t = time.Now()
	}
	return C.int64_t(t.Unix())
}

// SignApproval signs, with an unlocked operator of the policy, an approval of one exact request
// body, and returns the bundle with it.
func SignApproval(operator *Operator, policy *Policy, action Action, request []byte, opt *ApprovalOptions) ([]byte, error) {
	const op = "sign approval"
	var ao ApprovalOptions
	if opt != nil {
		ao = *opt
	}
	if len(request) > maxInputBytes || len(ao.Bundle) > maxInputBytes {
		return nil, tooLarge(op, "the request or bundle")
	}
	if ao.TTL == 0 {
		ao.TTL = 10 * time.Minute
	}
	kid, free := cstring(ao.KeyID)
	defer free()
	b := newBuf()
	var o C.gokp_outcome
	bp, bl := cbytes(ao.Bundle)
	rp, rl := cbytes(request)
	operator.ptr(func(opp *C.kp_operator) {
		policy.ptr(func(pp *C.kp_policy) {
			C.gokp_approval_sign(&o, &b, bp, bl, opp, pp, C.int(action), kid, rp, rl, unixOf(ao.Now), C.int64_t(ao.TTL/time.Second))
		})
	})
	out := takeBuf(&b)
	if err := result(op, &o); err != nil {
		return nil, err
	}
	return out, nil
}

// ApprovalVerdict is one approval of a bundle as the verification judged it.
type ApprovalVerdict struct {
	Counted   bool
	Verdict   string // the library's sentence ("counted", "signed another request", ...)
	Operator  string // the operator's name when the key is in the policy
	PublicKey []byte
}

// ApprovalReport is the outcome of checking a bundle against a policy for one request.
type ApprovalReport struct {
	QuorumMet bool
	Counted   int
	Needed    int
	Approvals []ApprovalVerdict
}

// VerifyApprovals checks a bundle against the policy for one exact request body. keyID: ""
// for import. now: zero for the current time.
func VerifyApprovals(policy *Policy, action Action, request, bundle []byte, keyID string, now time.Time) (*ApprovalReport, error) {
	const op = "verify approvals"
	if len(request) > maxInputBytes || len(bundle) > maxInputBytes {
		return nil, tooLarge(op, "the request or bundle")
	}
	kid, free := cstring(keyID)
	defer free()
	var r *C.kp_approval_report
	var o C.gokp_outcome
	bp, bl := cbytes(bundle)
	rp, rl := cbytes(request)
	policy.ptr(func(pp *C.kp_policy) {
		C.gokp_approvals_verify(&o, &r, pp, C.int(action), kid, rp, rl, bp, bl, unixOf(now))
	})
	if err := result(op, &o); err != nil {
		return nil, err
	}
	defer C.kp_approval_report_free(r)
	rep := &ApprovalReport{
		QuorumMet: C.kp_approval_report_quorum_met(r) != 0,
		Counted:   int(C.kp_approval_report_counted(r)),
		Needed:    int(C.kp_approval_report_needed(r)),
	}
	for i := C.size_t(0); i < C.kp_approval_report_count(r); i++ {
		var name *C.char
		pk := make([]byte, 32)
		v := C.kp_approval_report_get(r, i, &name, (*C.uint8_t)(unsafe.Pointer(&pk[0])))
		av := ApprovalVerdict{Counted: v == C.KP_VERDICT_COUNTED, Verdict: C.GoString(C.kp_verdict_text(v)), PublicKey: pk}
		if name != nil {
			av.Operator = C.GoString(name)
		}
		rep.Approvals = append(rep.Approvals, av)
	}
	return rep, nil
}

// CredentialAlgorithm is a user action credential's algorithm.
type CredentialAlgorithm int

const (
	CredentialEd25519 CredentialAlgorithm = 1
	CredentialP256    CredentialAlgorithm = 2 // ECDSA P-256, DER signatures over SHA-256
)

func (a CredentialAlgorithm) String() string {
	if n := C.kp_cred_alg_name(C.kp_cred_alg(a)); n != nil {
		return C.GoString(n)
	}
	return fmt.Sprintf("CredentialAlgorithm(%d)", int(a))
}

// Credential signs user actions (docs/wire.md §5); its private key stays in libkeyport.
type Credential struct{ h *handle }

func (c *Credential) ptr(fn func(p *C.kp_credential)) {
	c.h.with(func(p unsafe.Pointer) { fn((*C.kp_credential)(p)) })
	runtime.KeepAlive(c)
}

// NewCredentialFile makes a credential with a fresh key and returns its file, which holds the
// private key: the caller wipes it with clear once it is stored.
func NewCredentialFile(credID string, alg CredentialAlgorithm) ([]byte, error) {
	cid, free := cstringAlways(credID)
	defer free()
	var b C.kp_buf
	C.kp_buf_init(&b, 1)
	defer C.kp_buf_release(&b)
	var o C.gokp_outcome
	C.gokp_credential_new(&o, &b, C.int(alg), cid)
	if err := result("new credential", &o); err != nil {
		return nil, err
	}
	out := make([]byte, int(b.len))
	copy(out, unsafe.Slice((*byte)(unsafe.Pointer(b.data)), int(b.len)))
	return out, nil
}

// ParseCredential reads a credential file.
func ParseCredential(file []byte) (*Credential, error) {
	const op = "parse credential"
	if len(file) > maxInputBytes {
		return nil, tooLarge(op, "the credential file")
	}
	var p *C.kp_credential
	var o C.gokp_outcome
	fp, fl := cbytes(file)
	C.gokp_credential_parse(&o, &p, fp, fl)
	if err := result(op, &o); err != nil {
		return nil, err
	}
	c := &Credential{}
	c.h = newHandle(c, unsafe.Pointer(p), func(p unsafe.Pointer) { C.kp_credential_free((*C.kp_credential)(p)) }, "credential")
	return c, nil
}

// ID is the credential's id.
func (c *Credential) ID() (id string) {
	c.ptr(func(p *C.kp_credential) { id = C.GoString(C.kp_credential_id(p)) })
	return
}

// Algorithm is the credential's algorithm.
func (c *Credential) Algorithm() (a CredentialAlgorithm) {
	c.ptr(func(p *C.kp_credential) { a = CredentialAlgorithm(C.kp_credential_alg(p)) })
	return
}

// PublicKey is the credential's public key (32 bytes Ed25519, or 65 bytes SEC1 P-256).
func (c *Credential) PublicKey() []byte {
	var out []byte
	c.ptr(func(p *C.kp_credential) {
		b := newBuf()
		if C.kp_credential_public_hex(p, &b) == C.KP_OK {
			out, _ = hex.DecodeString(string(takeBuf(&b)))
		} else {
			C.kp_buf_release(&b)
		}
	})
	return out
}

// Sign signs a message (Ed25519, or DER ECDSA over SHA-256 for P-256).
func (c *Credential) Sign(msg []byte) ([]byte, error) {
	if len(msg) > maxInputBytes {
		return nil, tooLarge("credential sign", "the message")
	}
	b := newBuf()
	var o C.gokp_outcome
	mp, ml := cbytes(msg)
	c.ptr(func(p *C.kp_credential) { C.gokp_credential_sign(&o, &b, p, mp, ml) })
	out := takeBuf(&b)
	if err := result("credential sign", &o); err != nil {
		return nil, err
	}
	return out, nil
}

// Close wipes and frees the credential. It may be called more than once.
func (c *Credential) Close() error { c.h.close(); return nil }

// Format prints the credential's id and algorithm, never its key.
func (c *Credential) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, "<keyport.Credential %q %v>", c.ID(), c.Algorithm())
}

// VerifyCredentialSignature verifies a user action signature by a public key (ErrSignature
// when it does not verify).
func VerifyCredentialSignature(alg CredentialAlgorithm, publicKey, msg, sig []byte) error {
	const op = "credential verify"
	if len(msg) > maxInputBytes || len(sig) > maxInputBytes || len(publicKey) > 65 {
		return &Error{Op: op, Code: ErrTooLarge, Detail: "the key, message or signature is too large"}
	}
	pub, free := cstring(hex.EncodeToString(publicKey))
	defer free()
	var o C.gokp_outcome
	mp, ml := cbytes(msg)
	sp, sl := cbytes(sig)
	C.gokp_credential_verify(&o, C.int(alg), pub, mp, ml, sp, sl)
	return result(op, &o)
}
