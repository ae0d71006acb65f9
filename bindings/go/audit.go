package keyport

/*
#include <stdlib.h>
#include "keyport_go.h"
*/
import "C"

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"runtime"
	"time"
	"unsafe"
)

// AuditLog is an append-only, hash-chained audit log signed by an unlocked operator. It never
// holds a secret.
type AuditLog struct {
	h        *handle
	tornPath string
}

// OpenAuditLog opens the log at path for appending with writer's key (the existing chain is
// verified first and must be this writer's). A log that does not exist yet is created by the
// first Append. A torn last line is moved aside (TornPath says where). now: zero for the current time.
func OpenAuditLog(path string, writer *Operator, now time.Time) (*AuditLog, error) {
	const op = "open audit log"
	cpath, free := cstringAlways(path)
	defer free()
	var torn [4096]C.char
	var l *C.kp_audit_log
	var o C.gokp_outcome
	writer.ptr(func(w *C.kp_operator) { C.gokp_audit_open(&o, &l, cpath, w, unixOf(now), &torn[0]) })
	if err := result(op, &o); err != nil {
		return nil, err
	}
	a := &AuditLog{tornPath: C.GoString(&torn[0])}
	a.h = newHandle(a, unsafe.Pointer(l), func(p unsafe.Pointer) { C.kp_audit_close((*C.kp_audit_log)(p)) }, "audit log")
	return a, nil
}

// TornPath is where a torn last line was moved ("" if none).
func (a *AuditLog) TornPath() string { return a.tornPath }

// AuditEvent is one entry to append. KeyID, PublicKey and Details may be empty; Details is a
// JSON object.
type AuditEvent struct {
	Event     string
	KeyID     string
	PublicKey string // hex
	Actors    []string
	Details   json.RawMessage
	Time      time.Time // zero: now
}

// Append appends one entry and syncs it before returning; it returns the new head (64 hex digits).
func (a *AuditLog) Append(e AuditEvent) (string, error) {
	const op = "audit append"
	if len(e.Actors) > maxSigners {
		return "", &Error{Op: op, Code: ErrTooMany, Detail: fmt.Sprintf("%d actors: at most %d", len(e.Actors), maxSigners)}
	}
	var actors []byte
	for _, s := range e.Actors {
		if bytes.IndexByte([]byte(s), 0) >= 0 {
			return "", &Error{Op: op, Code: ErrFormat, Detail: "an actor's name has a NUL byte"}
		}
		actors = append(append(actors, s...), 0)
	}
	actors = append(actors, 0)
	ev, f1 := cstringAlways(e.Event)
	defer f1()
	kid, f2 := cstring(e.KeyID)
	defer f2()
	pub, f3 := cstring(e.PublicKey)
	defer f3()
	det, f4 := cstring(string(e.Details))
	defer f4()
	var head [65]C.char
	var o C.gokp_outcome
	a.h.with(func(p unsafe.Pointer) {
		C.gokp_audit_append(&o, (*C.kp_audit_log)(p), unixOf(e.Time), ev, kid, pub, (*C.char)(unsafe.Pointer(&actors[0])),
			C.size_t(len(e.Actors)), det, &head[0])
	})
	runtime.KeepAlive(a)
	if err := result(op, &o); err != nil {
		return "", err
	}
	return C.GoString(&head[0]), nil
}

// Close closes the log. It may be called more than once.
func (a *AuditLog) Close() error { a.h.close(); return nil }

// AuditReport is the outcome of verifying a whole log.
type AuditReport struct {
	OK      bool
	Problem int    // 0 when OK (kp_audit_problem)
	Entries int    // complete entries read before the problem
	Line    int    // 1-based line of the first bad entry (0 when none)
	Seq     int64  // its seq (-1 when unknown)
	Head    string // hash of the last good entry
	Writer  string // the log's writer key (hex)
	Message string // what is wrong and where
}

// VerifyAuditLog verifies every line, signature and link of a log. writerKey (32 bytes) and
// head (a head recorded earlier, 32 bytes) may be nil. A log that does not verify is a report
// with OK false, not an error.
func VerifyAuditLog(text, writerKey, head []byte) (*AuditReport, error) {
	const op = "verify audit log"
	if len(text) > 1<<30 || (writerKey != nil && len(writerKey) != 32) || (head != nil && len(head) != 32) {
		return nil, &Error{Op: op, Code: ErrFormat, Detail: "the writer key and the head are 32 bytes each"}
	}
	var r C.kp_audit_report
	var o C.gokp_outcome
	tp, tl := cbytes(text)
	C.gokp_audit_verify(&o, &r, tp, tl, optBytes(writerKey), optBytes(head))
	if err := result(op, &o); err != nil && Code(o.st) != ErrLog {
		return nil, err
	}
	return &AuditReport{
		OK: o.st == C.KP_OK, Problem: int(r.problem), Entries: int(r.entries), Line: int(r.line), Seq: int64(r.seq),
		Head: C.GoString(&r.head[0]), Writer: C.GoString(&r.writer[0]), Message: C.GoString(&r.message[0]),
	}, nil
}

// AuditEntry is one well-formed entry of a log.
type AuditEntry struct {
	Seq       int64           `json:"seq"`
	Time      int64           `json:"time"`
	Event     string          `json:"event"`
	KeyID     *string         `json:"keyId"`
	PublicKey *string         `json:"publicKey"`
	Actors    []string        `json:"actors"`
	Details   json.RawMessage `json:"details"`
	Prev      string          `json:"prev"`
	Writer    string          `json:"writer"`
	Line      string          `json:"-"`
}

// AuditEntries gives the well-formed entries of a log, oldest first, as libkeyport reads them
// (check the log with VerifyAuditLog).
func AuditEntries(text []byte) ([]AuditEntry, error) {
	const op = "audit entries"
	b := newBuf()
	var o C.gokp_outcome
	tp, tl := cbytes(text)
	C.gokp_audit_entries(&o, &b, tp, tl)
	lines := takeBuf(&b)
	if err := result(op, &o); err != nil {
		return nil, err
	}
	var out []AuditEntry
	for _, line := range bytes.Split(bytes.TrimSuffix(lines, []byte("\n")), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var e AuditEntry
		if err := json.Unmarshal(line, &e); err != nil {
			return nil, &Error{Op: op, Code: ErrJson, Detail: "an entry libkeyport read is not JSON: " + err.Error()}
		}
		e.Line = string(line)
		out = append(out, e)
	}
	return out, nil
}

// headBytes decodes a head as AuditLog.Append returns it.
func headBytes(h string) []byte {
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != 32 {
		return nil
	}
	return b
}
