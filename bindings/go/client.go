package keyport

/*
#include <stdlib.h>
#include "keyport_go.h"
*/
import "C"

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"runtime"
	"unsafe"
)

// Client is a client of a Dfns-compatible API (keyportd, or a Dfns cluster), over libkeyport's
// libcurl client. Every call takes a context.Context: when it is done first, the call returns
// ctx.Err() at once and the request, already sent, is left to finish in the background (its
// answer dropped).
type Client struct {
	h    *handle
	cred *Credential // kept alive: libkeyport holds it by reference
}

// NewClient makes a client for baseURL (e.g. "http://127.0.0.1:8600") with a bearer token;
// credential (may be nil) signs user actions.
func NewClient(baseURL, token string, credential *Credential) (*Client, error) {
	u, f1 := cstringAlways(baseURL)
	defer f1()
	tk, f2 := cstringAlways(token)
	defer f2()
	var p *C.kp_client
	var o C.gokp_outcome
	C.gokp_client_new(&o, &p, u, tk)
	if err := result("new client", &o); err != nil {
		return nil, err
	}
	c := &Client{cred: credential}
	c.h = newHandle(c, unsafe.Pointer(p), func(p unsafe.Pointer) { C.kp_client_free((*C.kp_client)(p)) }, "client")
	if credential != nil {
		c.h.with(func(h unsafe.Pointer) {
			credential.ptr(func(cp *C.kp_credential) { C.kp_client_set_credential((*C.kp_client)(h), cp) })
		})
	}
	return c, nil
}

// APIError is an HTTP answer other than 2xx: its status and body.
type APIError struct {
	Status int
	Body   []byte
}

func (e *APIError) Error() string {
	var m struct {
		Error   any    `json:"error"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(e.Body, &m)
	msg := m.Message
	if msg == "" && m.Error != nil {
		msg = fmt.Sprint(m.Error)
	}
	return fmt.Sprintf("keyport: the API answered %d: %s", e.Status, msg)
}

// CallOptions are the optional parts of a request.
type CallOptions struct {
	UserAction bool   // obtain and send a user action for exactly this request (needs a credential)
	Approvals  []byte // an approval bundle, sent as X-Keyport-Approvals
}

// Do sends one request and returns the HTTP status and body, whatever the status. An error
// is the transport's (ErrIo), a user action's signing, or ctx's.
func (c *Client) Do(ctx context.Context, method, path string, body []byte, opt *CallOptions) (int, []byte, error) {
	const op = "api call"
	var co CallOptions
	if opt != nil {
		co = *opt
	}
	if len(body) > maxInputBytes {
		return 0, nil, tooLarge(op, "the request body")
	}
	if err := ctx.Err(); err != nil {
		return 0, nil, err
	}
	type answer struct {
		status int
		body   []byte
		err    error
	}
	done := make(chan answer, 1)
	// C copies of everything, so that the call may outlive this function when ctx ends first
	m, p := C.CString(method), C.CString(path)
	var ab *C.char
	if co.Approvals != nil {
		ab = C.CString(base64.StdEncoding.EncodeToString(co.Approvals))
	}
	cbody := C.CBytes(append(body, 0))
	ua := 0
	if co.UserAction {
		ua = 1
	}
	go func() {
		defer func() {
			C.free(unsafe.Pointer(m))
			C.free(unsafe.Pointer(p))
			C.free(unsafe.Pointer(ab))
			C.free(cbody)
		}()
		resp := newBuf()
		var status C.long
		var o C.gokp_outcome
		c.h.with(func(h unsafe.Pointer) {
			C.gokp_client_call(&o, (*C.kp_client)(h), &resp, &status, m, p, (*C.uint8_t)(cbody), C.size_t(len(body)), C.int(ua), ab)
		})
		runtime.KeepAlive(c)
		out := takeBuf(&resp)
		if err := result(op, &o); err != nil {
			done <- answer{err: err}
			return
		}
		done <- answer{status: int(status), body: out}
	}()
	select {
	case a := <-done:
		return a.status, a.body, a.err
	case <-ctx.Done():
		return 0, nil, ctx.Err()
	}
}

// call is Do for a JSON API: a non-2xx answer is an *APIError.
func (c *Client) call(ctx context.Context, method, path string, body []byte, opt *CallOptions) ([]byte, error) {
	status, out, err := c.Do(ctx, method, path, body, opt)
	if err != nil {
		return nil, err
	}
	if status < 200 || status > 299 {
		return nil, &APIError{Status: status, Body: out}
	}
	return out, nil
}

// Signers is GET /signers: the document ParseSigners reads.
func (c *Client) Signers(ctx context.Context) ([]byte, error) {
	return c.call(ctx, "GET", "/signers", nil, nil)
}

// ImportKey sends POST /keys/import (a user action) with a body from PrepareImport and the
// approvals; it returns the key object.
func (c *Client) ImportKey(ctx context.Context, body, approvals []byte) ([]byte, error) {
	return c.call(ctx, "POST", "/keys/import", body, &CallOptions{UserAction: true, Approvals: approvals})
}

// ExportKey sends POST /keys/{keyID}/export (a user action) with ExportContext.ExportRequest and
// the approvals; it returns the exact response bytes that ExportContext.Recover reads.
func (c *Client) ExportKey(ctx context.Context, keyID string, body, approvals []byte) ([]byte, error) {
	return c.call(ctx, "POST", "/keys/"+url.PathEscape(keyID)+"/export", body, &CallOptions{UserAction: true, Approvals: approvals})
}

// ArchiveKey sends POST /keys/{keyID}/archive (a user action) with the approvals; it returns
// the key object.
func (c *Client) ArchiveKey(ctx context.Context, keyID string, approvals []byte) ([]byte, error) {
	return c.call(ctx, "POST", "/keys/"+url.PathEscape(keyID)+"/archive", []byte("{}"), &CallOptions{UserAction: true, Approvals: approvals})
}

// GenerateKey sends POST /keys (distributed key generation, a user action); the key object.
func (c *Client) GenerateKey(ctx context.Context, body, approvals []byte) ([]byte, error) {
	return c.call(ctx, "POST", "/keys", body, &CallOptions{UserAction: true, Approvals: approvals})
}

// SignMessage sends POST /keys/{keyID}/signatures with a Message body (a user action): threshold
// FROST among the cluster's signers, for a FROST ed25519 key. approvals may be nil when the
// cluster's policy names no sign quorum. It returns the signature object; its
// signature.encoded is "0x" and the hex of the 64-byte Ed25519 signature. ECDSA keys are refused
// with 501 and archived keys with 409 (an *APIError).
func (c *Client) SignMessage(ctx context.Context, keyID string, message, approvals []byte) ([]byte, error) {
	return c.sign(ctx, keyID, "Message", "message", message, approvals)
}

// SignHash is SignMessage with a Hash body: the 32 bytes a FROST_BITCOIN key signs (BIP-340).
func (c *Client) SignHash(ctx context.Context, keyID string, hash, approvals []byte) ([]byte, error) {
	if len(hash) != 32 {
		return nil, &Error{Op: "SignHash", Code: ErrFormat, Detail: fmt.Sprintf("a hash to sign is 32 bytes, not %d", len(hash))}
	}
	return c.sign(ctx, keyID, "Hash", "hash", hash, approvals)
}

func (c *Client) sign(ctx context.Context, keyID, kind, field string, data, approvals []byte) ([]byte, error) {
	body := []byte(`{"kind":"` + kind + `","` + field + `":"0x` + hex.EncodeToString(data) + `"}`)
	return c.call(ctx, "POST", "/keys/"+url.PathEscape(keyID)+"/signatures", body, &CallOptions{UserAction: true, Approvals: approvals})
}

// Signatures is GET /keys/{keyID}/signatures: {"items":[signature objects]}, oldest first.
func (c *Client) Signatures(ctx context.Context, keyID string) ([]byte, error) {
	return c.call(ctx, "GET", "/keys/"+url.PathEscape(keyID)+"/signatures", nil, nil)
}

// Keys is GET /keys.
func (c *Client) Keys(ctx context.Context) ([]byte, error) {
	return c.call(ctx, "GET", "/keys", nil, nil)
}

// Key is GET /keys/{keyID}.
func (c *Client) Key(ctx context.Context, keyID string) ([]byte, error) {
	return c.call(ctx, "GET", "/keys/"+url.PathEscape(keyID), nil, nil)
}

// AuditLog is GET /audit/raw: the cluster's log file as it is, for VerifyAuditLog.
func (c *Client) AuditLog(ctx context.Context) ([]byte, error) {
	return c.call(ctx, "GET", "/audit/raw", nil, nil)
}

// Close frees the client (after any call still running). It may be called more than once.
func (c *Client) Close() error { c.h.close(); return nil }
