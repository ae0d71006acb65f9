package keyport

import (
	"runtime"
	"sync"
	"unsafe"
)

// handle owns one libkeyport object (a C pointer to an opaque type; C keeps no Go pointer):
// calls on it are serialized, close frees it once, and a cleanup frees it if its owner is
// dropped unclosed.
type handle struct {
	mu   sync.Mutex
	p    unsafe.Pointer
	free func(unsafe.Pointer)
	what string
}

// newHandle gives owner a handle on p; free releases (and wipes) p.
func newHandle[O any](owner *O, p unsafe.Pointer, free func(unsafe.Pointer), what string) *handle {
	h := &handle{p: p, free: free, what: what}
	runtime.AddCleanup(owner, func(h *handle) { h.close() }, h)
	return h
}

// with runs fn on the live object; a closed one panics (a misuse of the binding).
func (h *handle) with(fn func(p unsafe.Pointer)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.p == nil {
		panic("keyport: the " + h.what + " was closed: it can no longer be used")
	}
	fn(h.p)
}

func (h *handle) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.p != nil {
		h.free(h.p)
		h.p = nil
	}
}
