package keyport

import (
	"encoding/hex"
	"strings"
	"testing"
)

// testdata/python-binding.json was made by the Python binding (testdata/gen_python_fixture.py):
// the Go binding must read the same keys, give the same public keys and addresses, and recover
// the Python binding's export responses and open its import shares.
type pythonFixture struct {
	Keys []struct {
		Format    string     `json:"format"`
		Text      string     `json:"text"`
		Scalar    string     `json:"scalar"`
		PublicKey string     `json:"public_key"`
		Hex       string     `json:"hex"`
		Curve     *string    `json:"curve"`
		Path      *string    `json:"path"`
		GotCurve  string     `json:"got_curve"`
		Addresses [][]string `json:"addresses"`
	} `json:"keys"`
	Exports []struct {
		Curve         string            `json:"curve"`
		PrivateKey    string            `json:"private_key"`
		PublicKey     string            `json:"public_key"`
		DecryptionKey string            `json:"decryption_key"`
		Response      string            `json:"response"`
		ImportRequest string            `json:"import_request"`
		SignerSecrets map[string]string `json:"signer_secrets"`
	} `json:"exports"`
}

func formatByName(t *testing.T, name string) KeyFormat {
	for _, f := range KeyFormats() {
		if f.Name == name {
			return f.Format
		}
	}
	t.Fatalf("no key format %q", name)
	return 0
}

func TestAgainstThePythonBindingsOutput(t *testing.T) {
	var f pythonFixture
	readJSON(t, "python-binding.json", &f)
	for _, k := range f.Keys {
		opt := &ParseKeyOptions{}
		if k.Curve != nil {
			opt.Curve = curveByName[*k.Curve]
		}
		if k.Path != nil {
			opt.Path = *k.Path
		}
		key, err := ParseKey(formatByName(t, k.Format), []byte(k.Text), opt)
		if err != nil {
			t.Fatalf("%s %s: %v", k.Format, k.Text, err)
		}
		pub, _ := key.PublicKey()
		if hex.EncodeToString(scalarOf(t, key)) != k.Scalar || hex.EncodeToString(pub) != k.PublicKey || key.Curve().String() != k.GotCurve {
			t.Fatalf("%s %s: another key than Python's", k.Format, k.Text)
		}
		text, err := key.WriteKey(FormatHex, nil, 0)
		if err != nil || strings.TrimSpace(string(text)) != k.Hex {
			t.Fatalf("%s: hex %q %v", k.Format, text, err)
		}
		addrs, err := Addresses(key.Curve(), pub, 0)
		if err != nil || len(addrs) != len(k.Addresses) {
			t.Fatalf("%s: %+v %v", k.Format, addrs, err)
		}
		for i, a := range addrs {
			if a.Kind != k.Addresses[i][0] || a.Text != k.Addresses[i][1] {
				t.Fatalf("%s: %+v, Python %v", k.Format, a, k.Addresses[i])
			}
		}
		key.Close()
	}
	for _, e := range f.Exports {
		dk := hexKey(t, Secp256k1, e.DecryptionKey)
		ctx, err := ExportContextFromKey(dk)
		dk.Close()
		if err != nil {
			t.Fatal(err)
		}
		got, err := ctx.Recover([]byte(e.Response))
		if err != nil {
			t.Fatalf("%s: %v", e.Curve, err)
		}
		if hex.EncodeToString(scalarOf(t, got)) != e.PrivateKey {
			t.Fatalf("%s: recovered another key than Python shared", e.Curve)
		}
		got.Close()
		ctx.Close()
		req, err := ParseImportRequest([]byte(e.ImportRequest))
		if err != nil {
			t.Fatal(err)
		}
		openEveryShare(t, e.Curve+": Python's import request", req, e.SignerSecrets, e.PublicKey)
	}
}
