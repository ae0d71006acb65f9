package keyport

import "fmt"

// Code is a libkeyport status (keyport_status.h). Every status of the table is a Code.
//go:generate python3 gen_codes.py

// Code is a libkeyport status.
type Code int

type statusRow struct {
	code Code
	name string
	text string
}

var statusTable = statusRows()

// Codes lists every status of libkeyport's table other than success.
func Codes() []Code {
	var out []Code
	for _, r := range statusTable {
		if r.code != 0 {
			out = append(out, r.code)
		}
	}
	return out
}

func (c Code) row() (statusRow, bool) {
	for _, r := range statusTable {
		if r.code == c {
			return r, true
		}
	}
	return statusRow{}, false
}

// Name is the status's name in the header, e.g. "KP_ERR_DECRYPT".
func (c Code) Name() string {
	if r, ok := c.row(); ok {
		return r.name
	}
	return fmt.Sprintf("KP_STATUS_%d", int(c))
}

// String is the library's message for the status.
func (c Code) String() string {
	if r, ok := c.row(); ok {
		return r.text
	}
	return fmt.Sprintf("unknown libkeyport status %d", int(c))
}

// Error makes a Code usable as an errors.Is target: errors.Is(err, keyport.ErrDecrypt).
func (c Code) Error() string { return c.String() }

// Error is a failed libkeyport call: the operation, the status and the detail of that call.
type Error struct {
	Op     string
	Code   Code
	Detail string
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return "keyport: " + e.Op + ": " + e.Code.String()
	}
	return "keyport: " + e.Op + ": " + e.Code.String() + ": " + e.Detail
}

// Is reports whether target is this error's Code.
func (e *Error) Is(target error) bool {
	c, ok := target.(Code)
	return ok && c == e.Code
}

// Unwrap gives the Code.
func (e *Error) Unwrap() error { return e.Code }

// tooLarge is the error of an input over libkeyport's limit, refused before the call.
func tooLarge(op, what string) *Error {
	return &Error{Op: op, Code: ErrTooLarge, Detail: what + " is larger than 1 MiB, libkeyport's limit for one input"}
}
