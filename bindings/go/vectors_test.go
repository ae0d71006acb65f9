package keyport

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
)

func readJSON(t *testing.T, name string, v any) {
	t.Helper()
	raw, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func hexKey(t *testing.T, c Curve, h string) *SecretKey {
	t.Helper()
	b, err := hex.DecodeString(h)
	if err != nil {
		t.Fatal(err)
	}
	defer clear(b)
	k, err := KeyFromScalar(c, b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

type dealerVectors struct {
	Import []struct {
		ID            string            `json:"id"`
		Curve         string            `json:"curve"`
		Protocol      string            `json:"protocol"`
		MinSigners    int               `json:"minSigners"`
		PrivateKey    string            `json:"privateKey"`
		PublicKey     string            `json:"publicKey"`
		Signers       json.RawMessage   `json:"signers"`
		SignerSecrets map[string]string `json:"signerSecrets"`
		Request       json.RawMessage   `json:"request"`
	} `json:"import"`
	Export []struct {
		ID            string          `json:"id"`
		Curve         string          `json:"curve"`
		DecryptionKey string          `json:"decryptionKey"`
		EncryptionKey string          `json:"encryptionKey"`
		Response      json.RawMessage `json:"response"`
		PrivateKey    string          `json:"privateKey"`
		PublicKey     string          `json:"publicKey"`
	} `json:"export"`
}

var curveByName = map[string]Curve{"secp256k1": Secp256k1, "ed25519": Ed25519, "stark": Stark}

// Export responses made by Dfns' own Rust crates (dfns/trusted-dealer): each recovers, through
// the binding, to the key the crate shared.
func TestDfnsTrustedDealerExportVectors(t *testing.T) {
	var v dealerVectors
	readJSON(t, "dfns-trusted-dealer.generated.json", &v)
	ok := 0
	for _, e := range v.Export {
		if e.PrivateKey == "" {
			continue // a vector that must fail: covered by the C suite
		}
		dk := hexKey(t, Secp256k1, e.DecryptionKey)
		ctx, err := ExportContextFromKey(dk)
		dk.Close()
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := EncodeEncryptionKey(ctx.EncryptionKey()); got != e.EncryptionKey {
			t.Fatalf("%s: encryption key %s, want %s", e.ID, got, e.EncryptionKey)
		}
		k, err := ctx.Recover(e.Response)
		if err != nil {
			t.Fatalf("%s: %v", e.ID, err)
		}
		pub, _ := k.PublicKey()
		if hex.EncodeToString(scalarOf(t, k)) != e.PrivateKey || hex.EncodeToString(pub) != e.PublicKey || k.Curve() != curveByName[e.Curve] {
			t.Fatalf("%s: another key", e.ID)
		}
		k.Close()
		ctx.Close()
		ok++
	}
	if ok < 10 {
		t.Fatalf("only %d export vectors recovered", ok)
	}
}

// Import requests made by Dfns' crates: every signer opens its share through the binding, all
// agree on the public shares, and the group key is the vector's.
func TestDfnsTrustedDealerImportVectors(t *testing.T) {
	var v dealerVectors
	readJSON(t, "dfns-trusted-dealer.generated.json", &v)
	for _, e := range v.Import {
		req, err := ParseImportRequest(e.Request)
		if err != nil {
			t.Fatalf("%s: %v", e.ID, err)
		}
		if req.Curve != curveByName[e.Curve] || req.Protocol.String() != e.Protocol || req.MinSigners != e.MinSigners {
			t.Fatalf("%s: %+v", e.ID, req)
		}
		openEveryShare(t, e.ID, req, e.SignerSecrets, e.PublicKey)
		// and the binding's own preparation for the same signers and key opens the same way
		signers, err := ParseSigners(e.Signers, "")
		if err != nil {
			t.Fatal(err)
		}
		k := hexKey(t, req.Curve, e.PrivateKey)
		body, err := PrepareImport(signers, k, &ImportOptions{Protocol: req.Protocol, MinSigners: req.MinSigners})
		k.Close()
		signers.Close()
		if err != nil {
			t.Fatalf("%s: %v", e.ID, err)
		}
		mine, _ := ParseImportRequest(body)
		openEveryShare(t, e.ID+": the binding's request", mine, e.SignerSecrets, e.PublicKey)
	}
}

// openEveryShare opens each share of an import request with its signer's secret (hex, by
// signerId) and checks the group key each signer gets.
func openEveryShare(t *testing.T, label string, req *ImportRequest, secrets map[string]string, wantPub string) {
	t.Helper()
	var digest []byte
	for pos, sh := range req.Shares {
		sk := hexKey(t, Secp256k1, secrets[sh.SignerID])
		opened, err := OpenImportShare(sk, req.Curve, pos+1, len(req.Shares), req.MinSigners, sh.Ciphertext)
		sk.Close()
		if err != nil {
			t.Fatalf("%s, signer %d: %v", label, pos+1, err)
		}
		if hex.EncodeToString(opened.PublicKey) != wantPub || (digest != nil && !bytes.Equal(digest, opened.Digest)) {
			t.Fatalf("%s, signer %d: group key %x, want %s", label, pos+1, opened.PublicKey, wantPub)
		}
		digest = opened.Digest
		opened.Share.Close()
	}
}

// BIP-84: the mnemonic through the binding gives the BIP's WIF, public key and P2WPKH address.
func TestBIP84Vectors(t *testing.T) {
	var v struct {
		Mnemonic string `json:"mnemonic"`
		Entries  []struct {
			Path, Privkey, Pubkey, Address string
		} `json:"entries"`
	}
	readJSON(t, "bip84-test-vectors.json", &v)
	n := 0
	for _, e := range v.Entries {
		if e.Privkey == "" || e.Address == "" {
			continue
		}
		k, err := ParseKey(FormatMnemonic, []byte(v.Mnemonic), &ParseKeyOptions{Curve: Secp256k1, Path: e.Path})
		if err != nil {
			t.Fatal(err)
		}
		wif, err := k.WriteKey(FormatWIF, nil, 0)
		if err != nil || strings.TrimSpace(string(wif)) != e.Privkey {
			t.Fatalf("%s: WIF %q (%v)", e.Path, wif, err)
		}
		clear(wif)
		pub, _ := k.PublicKey()
		addrs, err := Addresses(Secp256k1, pub, 0)
		if err != nil || hex.EncodeToString(pub) != e.Pubkey {
			t.Fatalf("%s: %x %v", e.Path, pub, err)
		}
		found := false
		for _, a := range addrs {
			found = found || (a.Kind == "bitcoin-p2wpkh" && a.Text == e.Address)
		}
		if !found {
			t.Fatalf("%s: %+v, want %s", e.Path, addrs, e.Address)
		}
		_, pub2, err := ParsePublicKey(FormatMnemonic, []byte(v.Mnemonic), &ParseKeyOptions{Curve: Secp256k1, Path: e.Path})
		if err != nil || !bytes.Equal(pub, pub2) {
			t.Fatalf("%s: public only %x %v", e.Path, pub2, err)
		}
		k.Close()
		n++
	}
	if n < 2 {
		t.Fatal("no BIP-84 entry checked")
	}
}

// Solana: a keypair's address is base58 of the Ed25519 public key (solana-web3.js's tests),
// and crypto/ed25519 agrees on the public key.
func TestSolanaAddressesAndCryptoEd25519(t *testing.T) {
	var v struct {
		FromSeed []struct {
			Seed string `json:"seed_hex"`
			Want string `json:"expected_public_key_base58"`
		} `json:"keypair_from_seed"`
	}
	readJSON(t, "solana-keypair-address.solana-web3js.json", &v)
	for _, e := range v.FromSeed {
		k, err := ParseKey(FormatEd25519Seed, []byte(e.Seed), nil)
		if err != nil {
			t.Fatal(err)
		}
		pub, _ := k.PublicKey()
		seed, _ := hex.DecodeString(e.Seed)
		if !bytes.Equal(pub, ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)) {
			t.Fatal("crypto/ed25519 disagrees")
		}
		addrs, err := Addresses(Ed25519, pub, 0)
		if err != nil || len(addrs) != 1 || addrs[0].Kind != "solana" || addrs[0].Text != e.Want {
			t.Fatalf("%+v %v, want %s", addrs, err, e.Want)
		}
		k.Close()
	}
}

// The encryption key's fingerprint is the first 8 bytes of SHA-256(key), by crypto/sha256.
func TestEncryptionKeyFingerprintIsSHA256(t *testing.T) {
	ctx, _ := NewExportContext()
	defer ctx.Close()
	sum := sha256.Sum256(ctx.EncryptionKey())
	if ctx.Fingerprint() != hex.EncodeToString(sum[:8]) {
		t.Fatalf("%s, want %x", ctx.Fingerprint(), sum[:8])
	}
	text, err := EncodeEncryptionKey(ctx.EncryptionKey())
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeEncryptionKey(text)
	if err != nil || !bytes.Equal(back, ctx.EncryptionKey()) {
		t.Fatalf("%s: %v", text, err)
	}
	if _, err := DecodeEncryptionKey("AQ" + text[2:len(text)-4] + "AAA="); err == nil {
		t.Fatal("a point off the curve was accepted")
	}
}

func TestKeyFormatsTable(t *testing.T) {
	fs := KeyFormats()
	names := map[string]KeyFormatInfo{}
	for _, f := range fs {
		names[f.Name] = f
	}
	if len(fs) < 12 || names["mnemonic"].Path == 0 || len(names["hex"].OutCurves) != 3 || names["xprv"].Refusal == "" {
		t.Fatalf("%+v", fs)
	}
	if err := CheckWritable(FormatXprv, Secp256k1); !errors.Is(err, ErrKeyFormat) {
		t.Fatalf("xprv is writable: %v", err)
	}
	if err := CheckWritable(FormatWIF, Secp256k1); err != nil {
		t.Fatal(err)
	}
}
