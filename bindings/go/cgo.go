// Package keyport is a Go binding over libkeyport: key formats, public keys and the library's
// typed errors, with secrets kept in libkeyport's secure memory behind handles.
package keyport

/*
#include <stdlib.h>
#include <string.h>
#include "keyport.h"
#include "keyport_keyfmt.h"

// The status and detail of one call, captured in the same C call on the same thread: the
// detail is per thread in libkeyport and a goroutine may move between threads between cgo calls.
typedef struct gokp_outcome {
    kp_status st;
    char detail[1024];
} gokp_outcome;

static void gokp_capture(gokp_outcome *o, kp_status st)
{
    o->st = st;
    o->detail[0] = 0;
    if (st != KP_OK) {
        const char *d = kp_error_detail();
        size_t n = strlen(d);
        if (n >= sizeof o->detail) n = sizeof o->detail - 1;
        memcpy(o->detail, d, n);
        o->detail[n] = 0;
    }
}

// Misuse must not abort the Go process: the call returns KP_ERR_MISUSE and Go panics after it.
static void gokp_on_illegal(const char *msg, void *data) { (void)msg; (void)data; }

static kp_ctx *gokp_ctx;

static void gokp_init(gokp_outcome *o)
{
    kp_status st = kp_ctx_new(&gokp_ctx);
    if (st == KP_OK) kp_ctx_set_illegal_callback(gokp_ctx, gokp_on_illegal, NULL);
    gokp_capture(o, st);
}

#define GOKP_STATUS_ROW(name, num, text) {num, #name, text},
typedef struct gokp_status_row { int num; const char *name; const char *text; } gokp_status_row;
static const gokp_status_row gokp_status_rows[] = { KP_STATUS_TABLE(GOKP_STATUS_ROW) };
static size_t gokp_status_count(void) { return sizeof gokp_status_rows / sizeof gokp_status_rows[0]; }
static gokp_status_row gokp_status_at(size_t i) { return gokp_status_rows[i]; }

// Reads a key into secure memory (scalar: 32 bytes from kp_secure_alloc).
static void gokp_key_parse(gokp_outcome *o, kp_curve *curve, uint8_t *scalar, int fmt, int want,
                           const char *path, const uint8_t *pass, size_t passlen,
                           const uint8_t *in, size_t len)
{
    kp_key_params p = { (kp_curve)want, path, (const char *)pass, passlen };
    gokp_capture(o, kp_key_parse(gokp_ctx, curve, scalar, (kp_key_format)fmt, &p, in, len));
}

static void gokp_public_key(gokp_outcome *o, uint8_t *pub, size_t *pub_len, int curve, const uint8_t *secret)
{
    gokp_capture(o, kp_public_key(gokp_ctx, pub, pub_len, (kp_curve)curve, secret));
}
*/
import "C"

import "unsafe"

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

// cbytes gives C a pointer to b for the duration of a call (cgo pins it); nil for empty.
func cbytes(b []byte) (*C.uint8_t, C.size_t) {
	if len(b) == 0 {
		return nil, 0
	}
	return (*C.uint8_t)(unsafe.Pointer(&b[0])), C.size_t(len(b))
}

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
		return nil, &Error{Op: op, Code: ErrTooLarge, Detail: "the key's text is larger than 1 MiB"}
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

func secureFree(p unsafe.Pointer) { C.kp_secure_free(p) }

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
