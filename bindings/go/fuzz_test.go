package keyport

import (
	"errors"
	"testing"
)

// FuzzParseKey drives every input format's parser with arbitrary text: each call either gives a
// key on a curve or a typed *Error, never a panic or a misuse.
func FuzzParseKey(f *testing.F) {
	f.Add(uint8(FormatHex), uint8(Secp256k1), []byte("01"))
	f.Add(uint8(FormatWIF), uint8(0), []byte("KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn"))
	f.Add(uint8(FormatEd25519Seed), uint8(0), []byte("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
	f.Add(uint8(FormatSolanaKeypair), uint8(0), []byte("[1,2,3]"))
	f.Add(uint8(FormatKeystore), uint8(0), []byte(`{"version":3}`))
	f.Add(uint8(FormatXprv), uint8(0), []byte("xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi"))
	f.Fuzz(func(t *testing.T, format, curve uint8, text []byte) {
		fm := KeyFormat(format%13 + 1)
		if fm == 7 || fm == 13 { // public only / output only
			fm = FormatHex
		}
		opt := &ParseKeyOptions{Curve: Curve(curve % 4)}
		if fm == FormatMnemonic || fm == FormatStarkMnemonic {
			return // PBKDF2 per call: too slow for a fuzz run; the C fuzz targets cover it
		}
		if fm == FormatKeystore && len(text) > 4096 {
			return
		}
		k, err := ParseKey(fm, text, opt)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code == ErrMisuse {
				t.Fatalf("%v", err)
			}
			return
		}
		if _, err := k.PublicKey(); err != nil {
			t.Fatalf("a parsed key has no public key: %v", err)
		}
		k.Close()
	})
}
