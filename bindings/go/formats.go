package keyport

/*
#include <stdlib.h>
#include "keyport_go.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"strings"
	"unsafe"
)

const (
	FormatXpub            KeyFormat = 7  // public only: ParsePublicKey
	FormatEd25519Expanded KeyFormat = 13 // output only: the 64-byte expanded secret
)

// KeyFormatInfo describes one key format of libkeyport's table.
type KeyFormatInfo struct {
	Format       KeyFormat
	Name         string   // as the keyport command takes it, e.g. "mnemonic"
	Aliases      []string // other names
	InCurves     []Curve  // curves it reads into (none: not an input format)
	OutCurves    []Curve  // curves it writes (none: not an output format)
	DefaultCurve Curve    // when none is asked for (0: one must be given)
	Path         int      // 2: required, 1: optional, 0: none
	Passphrase   int      // 2: required, 1: optional, 0: none
	Summary      string
	Refusal      string // when not an output format: why
}

func curvesOf(bits C.uint) []Curve {
	var out []Curve
	for _, c := range []Curve{Secp256k1, Ed25519, Stark} {
		if bits&(1<<uint(c)) != 0 {
			out = append(out, c)
		}
	}
	return out
}

// KeyFormats is libkeyport's table of key formats.
func KeyFormats() []KeyFormatInfo {
	n := int(C.kp_key_format_count())
	out := make([]KeyFormatInfo, 0, n)
	for i := 0; i < n; i++ {
		f := C.kp_key_format_get(C.size_t(i))
		info := KeyFormatInfo{
			Format: KeyFormat(f.id), Name: C.GoString(f.name),
			InCurves: curvesOf(f.in_curves), OutCurves: curvesOf(f.out_curves),
			DefaultCurve: Curve(f.default_curve), Path: int(f.path), Passphrase: int(f.passphrase),
			Summary: C.GoString(f.summary),
		}
		if f.refusal != nil {
			info.Refusal = C.GoString(f.refusal)
		}
		if f.aliases != nil {
			info.Aliases = strings.Split(C.GoString(f.aliases), ",")
		}
		out = append(out, info)
	}
	return out
}

// ParsePublicKey reads only the public key of a key's text: every input format, and FormatXpub.
func ParsePublicKey(format KeyFormat, text []byte, opt *ParseKeyOptions) (Curve, []byte, error) {
	const op = "parse public key"
	var po ParseKeyOptions
	if opt != nil {
		po = *opt
	}
	if len(text) > maxInputBytes || len(po.Passphrase) > maxInputBytes {
		return 0, nil, tooLarge(op, "the key's text or passphrase")
	}
	path, free := cstring(po.Path)
	defer free()
	var o C.gokp_outcome
	var curve C.kp_curve
	var pub [pubkeyMaxBytes]C.uint8_t
	var pl C.size_t
	pp, ppl := cbytes(po.Passphrase)
	ip, il := cbytes(text)
	C.gokp_key_public(&o, &curve, &pub[0], &pl, C.int(format), C.int(po.Curve), path, pp, ppl, ip, il)
	if err := result(op, &o); err != nil {
		return 0, nil, err
	}
	return Curve(curve), C.GoBytes(unsafe.Pointer(&pub[0]), C.int(pl)), nil
}

// CheckWritable says whether a key on curve c (0: any) can be written in format, and if not, why.
func CheckWritable(format KeyFormat, c Curve) error {
	var o C.gokp_outcome
	C.gokp_key_write_check(&o, C.int(format), C.int(c))
	return result("key write check", &o)
}

// WriteKey writes the key in an output format (a keystore needs a passphrase; kdf sets scrypt's
// cost). The text is a secret: the caller wipes it with clear when done.
func (k *SecretKey) WriteKey(format KeyFormat, passphrase []byte, kdf KDF) ([]byte, error) {
	const op = "write key"
	if len(passphrase) > maxInputBytes {
		return nil, tooLarge(op, "the passphrase")
	}
	if kdf == 0 {
		kdf = KDFModerate
	}
	var b C.kp_buf
	C.kp_buf_init(&b, 1)
	defer C.kp_buf_release(&b)
	var o C.gokp_outcome
	pp, pl := cbytes(passphrase)
	k.mu.Lock()
	C.gokp_key_write(&o, &b, C.int(format), C.int(k.curve), (*C.uint8_t)(k.use(op)), pp, pl, C.int(kdf))
	k.mu.Unlock()
	runtime.KeepAlive(k)
	if err := result(op, &o); err != nil {
		return nil, err
	}
	out := make([]byte, int(b.len))
	copy(out, unsafe.Slice((*byte)(unsafe.Pointer(b.data)), int(b.len)))
	return out, nil
}

// Address is one address of a public key, to confirm the key by.
type Address struct {
	Kind  string // "ethereum", "bitcoin-p2wpkh", "bitcoin-p2tr", "bip340-key", "solana", "stark-key"
	Label string // for people
	Text  string
}

// Addresses gives the addresses of a public key (wire form); protocol 0 gives every address of
// the curve, FROSTBitcoin the BIP-340 key and its P2TR address.
func Addresses(c Curve, publicKey []byte, p Protocol) ([]Address, error) {
	const op = "addresses"
	if len(publicKey) == 0 || len(publicKey) > pubkeyMaxBytes {
		return nil, &Error{Op: op, Code: ErrPoint, Detail: fmt.Sprintf("the public key has %d bytes, not 32 or 33", len(publicKey))}
	}
	var out [C.KP_ADDRESS_MAX]C.kp_address
	var n C.size_t
	var o C.gokp_outcome
	C.gokp_addresses(&o, &out[0], &n, C.int(c), C.int(p), (*C.uint8_t)(unsafe.Pointer(&publicKey[0])), C.size_t(len(publicKey)))
	if err := result(op, &o); err != nil {
		return nil, err
	}
	addrs := make([]Address, int(n))
	for i := range addrs {
		addrs[i] = Address{C.GoString(out[i].kind), C.GoString(out[i].label), C.GoString(&out[i].text[0])}
	}
	return addrs, nil
}

// EncodeEncryptionKey is the wire (base64) form of a 33-byte encryption key.
func EncodeEncryptionKey(ek []byte) (string, error) {
	const op = "encode encryption key"
	if len(ek) != encryptionKeyBytes {
		return "", &Error{Op: op, Code: ErrEncryptionKey, Detail: fmt.Sprintf("the encryption key has %d bytes, not 33", len(ek))}
	}
	var out [49]C.char
	var o C.gokp_outcome
	C.gokp_encryption_key_encode(&o, &out[0], (*C.uint8_t)(unsafe.Pointer(&ek[0])))
	if err := result(op, &o); err != nil {
		return "", err
	}
	return C.GoString(&out[0]), nil
}

// DecodeEncryptionKey parses the wire form of an encryption key (checked to be on the curve).
func DecodeEncryptionKey(text string) ([]byte, error) {
	const op = "decode encryption key"
	if len(text) > maxInputBytes {
		return nil, tooLarge(op, "the encryption key's text")
	}
	ek := make([]byte, encryptionKeyBytes)
	b := []byte(text)
	tp, tl := cbytes(b)
	var o C.gokp_outcome
	C.gokp_encryption_key_decode(&o, (*C.uint8_t)(unsafe.Pointer(&ek[0])), tp, tl)
	if err := result(op, &o); err != nil {
		return nil, err
	}
	return ek, nil
}
