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

// noMisuse fails a fuzz case whose error is not a typed *Error, or is a misuse.
func noMisuse(t *testing.T, err error) {
	if err == nil {
		return
	}
	var e *Error
	if !errors.As(err, &e) || e.Code == ErrMisuse || e.Detail == "" && e.Code == 0 {
		t.Fatalf("%v", err)
	}
}

func FuzzParsePublicKey(f *testing.F) {
	f.Add(uint8(FormatXpub), []byte("xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8"))
	f.Add(uint8(FormatHex), []byte("02"))
	f.Fuzz(func(t *testing.T, format uint8, text []byte) {
		fm := KeyFormat(format%13 + 1)
		if fm == FormatMnemonic || fm == FormatStarkMnemonic || fm == FormatKeystore || fm == FormatEd25519Expanded {
			return // key stretching per call: the C fuzz targets cover them
		}
		_, _, err := ParsePublicKey(fm, text, &ParseKeyOptions{Curve: Secp256k1})
		noMisuse(t, err)
	})
}

func FuzzParseSigners(f *testing.F) {
	f.Add([]byte(`{"clusters":[{"clusterId":"c","signers":[{"signerId":"AQ==","encryptionKey":"AQJ5vmZ++dy7rFWgYpXOhwsHApv82y3OKNlZ8oFbFvgXmA=="}]}]}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		s, err := ParseSigners(doc, "")
		noMisuse(t, err)
		if err == nil {
			s.List()
			s.Close()
		}
	})
}

func FuzzParseImportRequest(f *testing.F) {
	f.Add([]byte(`{"curve":"secp256k1","protocol":"CGGMP21","minSigners":2,"encryptedKeyShares":[]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		_, err := ParseImportRequest(body)
		noMisuse(t, err)
	})
}

func FuzzRecover(f *testing.F) {
	f.Add([]byte(`{"curve":"secp256k1","protocol":"CGGMP21","publicKey":"0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798","minSigners":2,"encryptedKeyShares":[{"signerId":"AQ==","encryptedKeyShare":"AAAA"}]}`))
	ctx, err := NewExportContext()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, response []byte) {
		k, err := ctx.Recover(response)
		noMisuse(t, err)
		if err == nil {
			t.Fatal("a fuzzed response recovered a key for a fresh context")
			k.Close()
		}
	})
}

func FuzzParseDocuments(f *testing.F) {
	f.Add(uint8(0), []byte(`{"version":1,"type":"keyport-operator","name":"a","publicKey":"00","sealedSecret":"AA=="}`))
	f.Add(uint8(1), []byte(`{"version":1,"id":"p","operators":[],"quorum":{}}`))
	f.Add(uint8(2), []byte(`{"version":1,"type":"keyport-credential","credId":"c","algorithm":"Ed25519","publicKey":"00","privateKey":"00"}`))
	f.Add(uint8(3), []byte("AQJ5vmZ++dy7rFWgYpXOhwsHApv82y3OKNlZ8oFbFvgXmA=="))
	f.Add(uint8(4), []byte(`{"seq":0,"time":1,"event":"log.created"}`+"\n"))
	f.Fuzz(func(t *testing.T, which uint8, doc []byte) {
		switch which % 5 {
		case 0:
			op, err := ParseOperator(doc)
			noMisuse(t, err)
			if err == nil {
				op.Close()
			}
		case 1:
			p, err := ParsePolicy(doc)
			noMisuse(t, err)
			if err == nil {
				p.Close()
			}
		case 2:
			c, err := ParseCredential(doc)
			noMisuse(t, err)
			if err == nil {
				c.Close()
			}
		case 3:
			_, err := DecodeEncryptionKey(string(doc))
			noMisuse(t, err)
		case 4:
			_, err := VerifyAuditLog(doc, nil, nil)
			noMisuse(t, err)
			_, err = AuditEntries(doc)
			noMisuse(t, err)
		}
	})
}
