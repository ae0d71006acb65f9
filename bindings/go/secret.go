package keyport

import (
	"fmt"
	"runtime"
	"sync"
	"unsafe"
)

// Curve is an elliptic curve of libkeyport.
type Curve int

const (
	Secp256k1 Curve = 1
	Ed25519   Curve = 2
	Stark     Curve = 3
)

func (c Curve) String() string {
	switch c {
	case Secp256k1:
		return "secp256k1"
	case Ed25519:
		return "ed25519"
	case Stark:
		return "stark"
	}
	return fmt.Sprintf("Curve(%d)", int(c))
}

// KeyFormat is a key's text format (keyport_keyfmt.h).
type KeyFormat int

const (
	FormatHex           KeyFormat = 1
	FormatEd25519Seed   KeyFormat = 2
	FormatWIF           KeyFormat = 3
	FormatWIFTestnet    KeyFormat = 4
	FormatMnemonic      KeyFormat = 5
	FormatXprv          KeyFormat = 6
	FormatKeystore      KeyFormat = 8
	FormatSolanaKeypair KeyFormat = 9
	FormatSolanaBase58  KeyFormat = 10
	FormatStarkHex      KeyFormat = 11
	FormatStarkMnemonic KeyFormat = 12
)

// SecretKey is a private key (a 32-byte big-endian scalar) held in libkeyport's secure memory.
// Close wipes it; a cleanup wipes it if the key is dropped unclosed.
type SecretKey struct {
	mu      sync.Mutex
	p       unsafe.Pointer // kp_secure_alloc'd, 32 bytes; nil once closed
	curve   Curve
	proto   Protocol        // a recovered key's protocol, else 0
	report  *RecoveryReport // a recovered key's signer table, else nil
	cleanup runtime.Cleanup
}

// Protocol is a recovered key's protocol (0 for a key that was not recovered).
func (k *SecretKey) Protocol() Protocol { return k.proto }

// Report is a recovered key's signer table (nil for a key that was not recovered).
func (k *SecretKey) Report() *RecoveryReport { return k.report }

func newSecretKey() *SecretKey {
	k := &SecretKey{p: secretSlot()}
	p := k.p
	k.cleanup = runtime.AddCleanup(k, wipeSlot, p)
	return k
}

// ParseKeyOptions are what a key's text needs beside itself.
type ParseKeyOptions struct {
	Curve      Curve  // 0: the format's default
	Path       string // derivation path (mnemonic, xprv)
	Passphrase []byte // BIP-39 or keystore passphrase; not kept
}

// ParseKey reads a private key in one of the input formats into secure memory.
func ParseKey(format KeyFormat, text []byte, opt *ParseKeyOptions) (*SecretKey, error) {
	var o ParseKeyOptions
	if opt != nil {
		o = *opt
	}
	return parseKey("parse key", format, o.Curve, o.Path, o.Passphrase, text)
}

// Curve is the key's curve.
func (k *SecretKey) Curve() Curve { return k.curve }

func (k *SecretKey) use(op string) unsafe.Pointer {
	if k.p == nil {
		panic("keyport: " + op + ": the key was wiped: it can no longer be used")
	}
	return k.p
}

// PublicKey is the key's public key in its wire form (33 bytes compressed, 32 for ed25519).
func (k *SecretKey) PublicKey() ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	pub, err := publicKey("public key", k.curve, k.use("public key"))
	runtime.KeepAlive(k)
	return pub, err
}

// CopyTo copies the 32-byte scalar into dst, a slice the caller owns and wipes with clear.
func (k *SecretKey) CopyTo(dst []byte) error {
	if len(dst) != scalarBytes {
		return &Error{Op: "copy key", Code: ErrFormat, Detail: fmt.Sprintf("the destination has %d bytes, not 32", len(dst))}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	copyOut(dst, k.use("copy key"), scalarBytes)
	runtime.KeepAlive(k)
	return nil
}

// Close wipes and frees the key. It may be called more than once.
func (k *SecretKey) Close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.p != nil {
		k.cleanup.Stop()
		wipeSlot(k.p)
		k.p = nil
	}
	return nil
}

// Format prints <sensitive> for every verb: a key never reaches a log by formatting.
func (k *SecretKey) Format(f fmt.State, verb rune) { fmt.Fprint(f, "<sensitive>") }

// String is <sensitive>.
func (k *SecretKey) String() string { return "<sensitive>" }

// GoString is <sensitive>.
func (k *SecretKey) GoString() string { return "<sensitive>" }
