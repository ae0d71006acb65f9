package keyport

/*
#include <stdlib.h>
#include <string.h>
#include "keyport_go.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"unsafe"
)

// RandomKey makes a fresh private key on a curve, in secure memory.
func RandomKey(c Curve) (*SecretKey, error) {
	k := newSecretKey()
	var o C.gokp_outcome
	C.gokp_scalar_random(&o, (*C.uint8_t)(k.p), C.int(c))
	if err := result("random key", &o); err != nil {
		k.Close()
		return nil, err
	}
	k.curve = c
	return k, nil
}

// KeyFromScalar copies a 32-byte big-endian scalar into secure memory (the caller wipes its
// slice with clear).
func KeyFromScalar(c Curve, scalar []byte) (*SecretKey, error) {
	const op = "key from scalar"
	if len(scalar) != scalarBytes {
		return nil, &Error{Op: op, Code: ErrScalar, Detail: fmt.Sprintf("the scalar has %d bytes, not 32", len(scalar))}
	}
	k := newSecretKey()
	C.memcpy(k.p, unsafe.Pointer(&scalar[0]), scalarBytes)
	var o C.gokp_outcome
	C.gokp_scalar_check(&o, C.int(c), (*C.uint8_t)(k.p))
	if err := result(op, &o); err != nil {
		k.Close()
		return nil, err
	}
	k.curve = c
	return k, nil
}

// NewEncryptionKeypair makes a signer's (or a context's) envelope key pair: the secret in
// secure memory and the 33-byte encryption key.
func NewEncryptionKeypair() (*SecretKey, []byte, error) {
	k := newSecretKey()
	k.curve = Secp256k1
	ek := make([]byte, encryptionKeyBytes)
	var o C.gokp_outcome
	C.gokp_encryption_keypair(&o, (*C.uint8_t)(k.p), (*C.uint8_t)(unsafe.Pointer(&ek[0])))
	if err := result("encryption key pair", &o); err != nil {
		k.Close()
		return nil, nil, err
	}
	return k, ek, nil
}

// Signer is one signer of GET /signers: its signerId (base64 text on the wire) and its
// 33-byte encryption key.
type Signer struct {
	SignerID      string
	EncryptionKey []byte
}

// Signers is a parsed GET /signers response, kept by libkeyport in sorted order.
type Signers struct{ h *handle }

// ParseSigners parses a GET /signers response; clusterID selects a cluster ("" when the
// response holds exactly one).
func ParseSigners(doc []byte, clusterID string) (*Signers, error) {
	const op = "parse signers"
	if len(doc) > maxInputBytes {
		return nil, tooLarge(op, "the signers document")
	}
	cid, free := cstring(clusterID)
	defer free()
	var o C.gokp_outcome
	var s *C.kp_signers
	dp, dl := cbytes(doc)
	C.gokp_signers_parse(&o, &s, dp, dl, cid)
	if err := result(op, &o); err != nil {
		return nil, err
	}
	out := &Signers{}
	out.h = newHandle(out, unsafe.Pointer(s), func(p unsafe.Pointer) { C.kp_signers_free((*C.kp_signers)(p)) }, "signer list")
	return out, nil
}

// List is the signers in sorted order.
func (s *Signers) List() []Signer {
	var out []Signer
	s.h.with(func(h unsafe.Pointer) {
		p := (*C.kp_signers)(h)
		n := int(C.kp_signers_count(p))
		for i := 0; i < n; i++ {
			ek := make([]byte, encryptionKeyBytes)
			id := C.kp_signers_get(p, C.size_t(i), (*C.uint8_t)(unsafe.Pointer(&ek[0])))
			out = append(out, Signer{C.GoString(id), ek})
		}
	})
	runtime.KeepAlive(s)
	return out
}

// Close frees the list. It may be called more than once.
func (s *Signers) Close() error { s.h.close(); return nil }

// WriteSigners writes a GET /signers response for one cluster (the cluster side); signerIds
// are the raw bytes written as base64.
func WriteSigners(clusterID string, ids [][]byte, encryptionKeys [][]byte) ([]byte, error) {
	const op = "write signers"
	if len(ids) != len(encryptionKeys) || len(ids) == 0 || len(ids) > maxSigners {
		return nil, &Error{Op: op, Code: ErrThreshold, Detail: fmt.Sprintf("%d signerIds and %d encryption keys: give 1 to %d of each", len(ids), len(encryptionKeys), maxSigners)}
	}
	eks := make([]byte, 0, encryptionKeyBytes*len(ids))
	for i, ek := range encryptionKeys {
		if len(ek) != encryptionKeyBytes {
			return nil, &Error{Op: op, Code: ErrEncryptionKey, Detail: fmt.Sprintf("encryption key %d has %d bytes, not 33", i, len(ek))}
		}
		eks = append(eks, ek...)
	}
	all, lens := joined(ids)
	cid, free := cstring(clusterID)
	defer free()
	b := newBuf()
	var o C.gokp_outcome
	C.gokp_signers_write(&o, &b, cid, (*C.uint8_t)(unsafe.Pointer(&all[0])), &lens[0], (*C.uint8_t)(unsafe.Pointer(&eks[0])), C.size_t(len(ids)))
	out := takeBuf(&b)
	if err := result(op, &o); err != nil {
		return nil, err
	}
	return out, nil
}

// ImportOptions say how a key is shared.
type ImportOptions struct {
	Protocol   Protocol // 0: CGGMP21 for secp256k1 and stark, FROST for ed25519
	MinSigners int      // t; 0: 3
	Name       string   // "": no name
}

func defaultProtocol(c Curve) Protocol {
	if c == Ed25519 {
		return FROST
	}
	return CGGMP21
}

// PrepareImport splits key t-of-n over the signers, encrypts each share to its signer and
// returns the body of POST /keys/import. A key in any input format comes from ParseKey.
func PrepareImport(signers *Signers, key *SecretKey, opt *ImportOptions) ([]byte, error) {
	const op = "import prepare"
	var io ImportOptions
	if opt != nil {
		io = *opt
	}
	if io.Protocol == 0 {
		io.Protocol = defaultProtocol(key.curve)
	}
	if io.MinSigners == 0 {
		io.MinSigners = 3
	}
	if io.MinSigners < 0 || io.MinSigners > maxSigners {
		return nil, &Error{Op: op, Code: ErrThreshold, Detail: fmt.Sprintf("minSigners %d is not in 2..%d", io.MinSigners, maxSigners)}
	}
	name, free := cstring(io.Name)
	defer free()
	b := newBuf()
	var o C.gokp_outcome
	signers.h.with(func(sp unsafe.Pointer) {
		key.mu.Lock()
		C.gokp_import_prepare(&o, &b, (*C.kp_signers)(sp), C.int(key.curve), C.int(io.Protocol), C.uint(io.MinSigners), name, (*C.uint8_t)(key.use(op)))
		key.mu.Unlock()
	})
	runtime.KeepAlive(key)
	runtime.KeepAlive(signers)
	out := takeBuf(&b)
	if err := result(op, &o); err != nil {
		return nil, err
	}
	return out, nil
}

// ImportShare is one signer's entry of an import request.
type ImportShare struct {
	SignerID   string
	Ciphertext []byte
}

// ImportRequest is a parsed POST /keys/import body (the cluster side).
type ImportRequest struct {
	Curve      Curve
	Protocol   Protocol
	MinSigners int
	Name       string // "" when the request has none
	HasName    bool
	Shares     []ImportShare // in sorted signer order
}

// ParseImportRequest parses an import request strictly.
func ParseImportRequest(body []byte) (*ImportRequest, error) {
	const op = "parse import request"
	if len(body) > maxInputBytes {
		return nil, tooLarge(op, "the import request")
	}
	var o C.gokp_outcome
	var r *C.kp_import_request
	bp, bl := cbytes(body)
	C.gokp_import_request_parse(&o, &r, bp, bl)
	if err := result(op, &o); err != nil {
		return nil, err
	}
	defer C.kp_import_request_free(r)
	out := &ImportRequest{
		Curve:      Curve(C.kp_import_request_curve(r)),
		Protocol:   Protocol(C.kp_import_request_protocol(r)),
		MinSigners: int(C.kp_import_request_min_signers(r)),
	}
	if n := C.kp_import_request_name(r); n != nil {
		out.Name, out.HasName = C.GoString(n), true
	}
	for i := C.size_t(0); i < C.kp_import_request_count(r); i++ {
		var ct *C.uint8_t
		var cl C.size_t
		id := C.kp_import_request_share(r, i, &ct, &cl)
		out.Shares = append(out.Shares, ImportShare{C.GoString(id), C.GoBytes(unsafe.Pointer(ct), C.int(cl))})
	}
	return out, nil
}

// OpenedShare is what a signer holds after opening its import share.
type OpenedShare struct {
	Share     *SecretKey // the signer's share, in secure memory
	PublicKey []byte     // the group public key
	Digest    []byte     // SHA-256 of the public shares every signer must agree on
}

// OpenImportShare opens the share meant for the signer at 1-based position index among n
// sorted signers with threshold t, and checks it against the public shares.
func OpenImportShare(signerSecret *SecretKey, c Curve, index, n, t int, ciphertext []byte) (*OpenedShare, error) {
	const op = "open import share"
	if len(ciphertext) > maxInputBytes {
		return nil, tooLarge(op, "the ciphertext")
	}
	if index < 1 || n < 1 || t < 1 || index > maxSigners || n > maxSigners || t > maxSigners {
		return nil, &Error{Op: op, Code: ErrThreshold, Detail: fmt.Sprintf("index %d, n %d, t %d: each must be in 1..%d", index, n, t, maxSigners)}
	}
	share := newSecretKey()
	share.curve = c
	var pub [pubkeyMaxBytes]C.uint8_t
	var pl C.size_t
	digest := make([]byte, digestBytes)
	var o C.gokp_outcome
	cp, cl := cbytes(ciphertext)
	signerSecret.mu.Lock()
	C.gokp_import_open_share(&o, (*C.uint8_t)(share.p), &pub[0], &pl, (*C.uint8_t)(unsafe.Pointer(&digest[0])),
		(*C.uint8_t)(signerSecret.use(op)), C.int(c), C.uint(index), C.uint(n), C.uint(t), cp, cl)
	signerSecret.mu.Unlock()
	runtime.KeepAlive(signerSecret)
	if err := result(op, &o); err != nil {
		share.Close()
		return nil, err
	}
	return &OpenedShare{share, C.GoBytes(unsafe.Pointer(&pub[0]), C.int(pl)), digest}, nil
}

// SealExportShare is the signer side of an export: it seals one share, with its x (index, a
// 32-byte big-endian scalar), to the export context's encryption key.
func SealExportShare(encryptionKey []byte, index []byte, share *SecretKey) ([]byte, error) {
	const op = "seal export share"
	if len(encryptionKey) != encryptionKeyBytes {
		return nil, &Error{Op: op, Code: ErrEncryptionKey, Detail: fmt.Sprintf("the encryption key has %d bytes, not 33", len(encryptionKey))}
	}
	if len(index) != scalarBytes {
		return nil, &Error{Op: op, Code: ErrScalar, Detail: fmt.Sprintf("the index has %d bytes, not 32", len(index))}
	}
	b := newBuf()
	var o C.gokp_outcome
	share.mu.Lock()
	C.gokp_export_seal_share(&o, &b, (*C.uint8_t)(unsafe.Pointer(&encryptionKey[0])), C.int(share.curve),
		(*C.uint8_t)(unsafe.Pointer(&index[0])), (*C.uint8_t)(share.use(op)))
	share.mu.Unlock()
	runtime.KeepAlive(share)
	out := takeBuf(&b)
	if err := result(op, &o); err != nil {
		return nil, err
	}
	return out, nil
}

// IndexScalar is the 32-byte big-endian x of a dealer-made share (1..n).
func IndexScalar(i int) []byte {
	x := make([]byte, scalarBytes)
	for j := 0; j < 8; j++ {
		x[31-j] = byte(uint64(i) >> (8 * j))
	}
	return x
}

// ExportShare is one signer's entry of an export response: raw signerId bytes and the sealed share.
type ExportShare struct {
	SignerID   []byte
	Ciphertext []byte
}

// WriteExportResponse writes an export response (the cluster side).
func WriteExportResponse(c Curve, p Protocol, publicKey []byte, minSigners int, shares []ExportShare) ([]byte, error) {
	const op = "write export response"
	if len(shares) == 0 || len(shares) > maxSigners || minSigners < 0 || minSigners > maxSigners {
		return nil, &Error{Op: op, Code: ErrThreshold, Detail: fmt.Sprintf("%d shares with minSigners %d: give 1 to %d shares", len(shares), minSigners, maxSigners)}
	}
	if len(publicKey) == 0 || len(publicKey) > pubkeyMaxBytes {
		return nil, &Error{Op: op, Code: ErrPoint, Detail: fmt.Sprintf("the public key has %d bytes", len(publicKey))}
	}
	ids := make([][]byte, len(shares))
	cts := make([][]byte, len(shares))
	for i, s := range shares {
		ids[i], cts[i] = s.SignerID, s.Ciphertext
	}
	ia, il := joined(ids)
	ca, cl := joined(cts)
	b := newBuf()
	var o C.gokp_outcome
	C.gokp_export_response_write(&o, &b, C.int(c), C.int(p), (*C.uint8_t)(unsafe.Pointer(&publicKey[0])), C.size_t(len(publicKey)),
		C.uint(minSigners), (*C.uint8_t)(unsafe.Pointer(&ia[0])), &il[0], (*C.uint8_t)(unsafe.Pointer(&ca[0])), &cl[0], C.size_t(len(shares)))
	out := takeBuf(&b)
	if err := result(op, &o); err != nil {
		return nil, err
	}
	return out, nil
}
