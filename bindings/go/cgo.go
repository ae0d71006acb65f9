// Package keyport is a Go binding over libkeyport, for services that move private keys into and
// out of threshold (MPC) signing clusters: export contexts and robust recovery with the signer
// table, import preparation from every key format, the signer side, operators, policies,
// approvals, the audit log, key formats and addresses, and the cluster client (a
// context.Context on every network call).
//
// Errors are *Error values with the operation, a Code (one per status of libkeyport's table,
// usable with errors.Is) and the detail of the call itself. Secrets stay in libkeyport's secure
// memory behind handles whose Close wipes them; a cleanup wipes a handle dropped unclosed.
// Build with -tags keyport_static to link libkeyport.a instead of libkeyport.so.
package keyport

/*
#include <stdlib.h>
#include <string.h>
#include "keyport_go.h"
*/
import "C"

import (
	"sync"
	"unsafe"
)

func init() {
	var o C.gokp_outcome
	C.gokp_init(&o)
	if o.st != C.KP_OK {
		panic("keyport: libkeyport could not start: " + C.GoString(&o.detail[0]))
	}
}

// result turns an outcome into nil or an *Error for operation op; misuse panics.
func result(op string, o *C.gokp_outcome) error {
	if o.st == C.KP_OK {
		return nil
	}
	detail := C.GoString(&o.detail[0])
	if Code(o.st) == ErrMisuse {
		panic("keyport: " + op + ": misuse of libkeyport: " + detail)
	}
	return &Error{Op: op, Code: Code(o.st), Detail: detail}
}

// cbytes gives C a pointer to b for the duration of a call (cgo pins it). Empty input is a
// pointer to a C byte, never NULL: libkeyport refuses NULL inputs as misuse.
func cbytes(b []byte) (*C.uint8_t, C.size_t) {
	if len(b) == 0 {
		return emptyC, 0
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0])), C.size_t(len(b))
}

// optBytes is cbytes for an optional input: nil (absent) is NULL.
func optBytes(b []byte) *C.uint8_t {
	if b == nil {
		return nil
	}
	p, _ := cbytes(b)
	return p
}

var emptyC = (*C.uint8_t)(C.calloc(1, 1))

// statusRows reads the status table compiled from keyport_status.h (KP_STATUS_TABLE).
func statusRows() []statusRow {
	n := int(C.gokp_status_count())
	rows := make([]statusRow, n)
	for i := range rows {
		r := C.gokp_status_at(C.size_t(i))
		rows[i] = statusRow{Code(r.num), C.GoString(r.name), C.GoString(r.text)}
	}
	return rows
}

func parseKey(op string, format KeyFormat, want Curve, path string, passphrase []byte, in []byte) (*SecretKey, error) {
	if len(in) > maxInputBytes {
		return nil, tooLarge(op, "the key's text")
	}
	k := newSecretKey()
	var o C.gokp_outcome
	var curve C.kp_curve
	var cpath *C.char
	if path != "" {
		cpath = C.CString(path)
		defer C.free(unsafe.Pointer(cpath))
	}
	pp, pl := cbytes(passphrase)
	ip, il := cbytes(in)
	C.gokp_key_parse(&o, &curve, (*C.uint8_t)(k.p), C.int(format), C.int(want), cpath, pp, pl, ip, il)
	if err := result(op, &o); err != nil {
		k.Close()
		return nil, err
	}
	k.curve = Curve(curve)
	return k, nil
}

func secureAlloc(n int) unsafe.Pointer {
	p := C.kp_secure_alloc(C.size_t(n))
	if p == nil {
		panic("keyport: out of secure memory")
	}
	return p
}

// Secret slots: 32-byte scalars in pages from kp_secure_alloc (locked, guard pages around
// each page), 128 to a page. A slot is wiped with kp_memzero when it is given back, so a page
// holds nothing but live keys; pages are kept for reuse. One kp_secure_alloc (an mmap, an
// mprotect and an mlock) per key would cost about as much as a tenth of a recovery.
const slotPage = 4096

var slots struct {
	sync.Mutex
	free []unsafe.Pointer
}

func secretSlot() unsafe.Pointer {
	slots.Lock()
	defer slots.Unlock()
	if len(slots.free) == 0 {
		page := secureAlloc(slotPage)
		for off := slotPage - scalarBytes; off >= 0; off -= scalarBytes {
			slots.free = append(slots.free, unsafe.Add(page, off))
		}
	}
	p := slots.free[len(slots.free)-1]
	slots.free = slots.free[:len(slots.free)-1]
	return p
}

// wipeSlot wipes a slot and gives it back.
func wipeSlot(p unsafe.Pointer) {
	C.kp_memzero(p, scalarBytes)
	slots.Lock()
	slots.free = append(slots.free, p)
	slots.Unlock()
}

func copyOut(dst []byte, p unsafe.Pointer, n int) {
	C.memcpy(unsafe.Pointer(&dst[0]), p, C.size_t(n))
}

func publicKey(op string, c Curve, secret unsafe.Pointer) ([]byte, error) {
	var buf [C.KP_PUBKEY_MAX_BYTES]C.uint8_t
	var n C.size_t
	var o C.gokp_outcome
	C.gokp_public_key(&o, &buf[0], &n, C.int(c), (*C.uint8_t)(secret))
	if err := result(op, &o); err != nil {
		return nil, err
	}
	return C.GoBytes(unsafe.Pointer(&buf[0]), C.int(n)), nil
}

const maxInputBytes = C.KP_MAX_INPUT_BYTES
const scalarBytes = C.KP_SCALAR_BYTES

// cstring gives C a NUL-terminated copy of s (nil for ""), freed by the returned function.
func cstring(s string) (*C.char, func()) {
	if s == "" {
		return nil, func() {}
	}
	p := C.CString(s)
	return p, func() { C.free(unsafe.Pointer(p)) }
}

// cstringAlways is cstring for a required string: "" is passed as "" (the library judges it).
func cstringAlways(s string) (*C.char, func()) {
	p := C.CString(s)
	return p, func() { C.free(unsafe.Pointer(p)) }
}

// takeBuf copies a (non-secure) kp_buf's bytes into Go memory and releases the buffer.
func takeBuf(b *C.kp_buf) []byte {
	out := C.GoBytes(unsafe.Pointer(b.data), C.int(b.len))
	C.kp_buf_release(b)
	return out
}

func newBuf() C.kp_buf {
	var b C.kp_buf
	C.kp_buf_init(&b, 0)
	return b
}

// joined lays byte strings one after another for a C call, with their lengths.
func joined(parts [][]byte) ([]byte, []C.size_t) {
	var all []byte
	lens := make([]C.size_t, len(parts))
	for i, p := range parts {
		all = append(all, p...)
		lens[i] = C.size_t(len(p))
	}
	if len(all) == 0 {
		all = []byte{0}
	}
	return all, lens
}

const (
	encryptionKeyBytes = 33
	contextFileBytes   = C.KP_CONTEXT_FILE_BYTES
	maxSigners         = C.KP_MAX_SIGNERS
	pubkeyMaxBytes     = C.KP_PUBKEY_MAX_BYTES
	digestBytes        = C.KP_PUBLIC_SHARES_DIGEST_BYTES
)

// testMisuse calls libkeyport against its contract (for the tests): it panics.
func testMisuse() {
	var o C.gokp_outcome
	C.gokp_test_misuse(&o)
	result("misuse test", &o)
}
