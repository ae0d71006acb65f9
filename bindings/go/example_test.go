package keyport_test

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	keyport "github.com/keyport/keyport/bindings/go"
)

// A key read from its text into secure memory, its public key, and a copy into a slice the
// caller owns and wipes.
func ExampleParseKey() {
	k, err := keyport.ParseKey(keyport.FormatWIF, []byte("KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn"), nil)
	if err != nil {
		panic(err)
	}
	defer k.Close()
	pub, _ := k.PublicKey()
	scalar := make([]byte, 32)
	defer clear(scalar)
	k.CopyTo(scalar)
	fmt.Println(k.Curve(), hex.EncodeToString(pub))
	fmt.Printf("%v\n", k)
	// Output:
	// secp256k1 0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798
	// <sensitive>
}

// A failure is an *Error with the operation, the status and the call's own detail.
func ExampleError() {
	_, err := keyport.ParseKey(keyport.FormatHex, []byte("0g"), &keyport.ParseKeyOptions{Curve: keyport.Secp256k1})
	var e *keyport.Error
	if errors.As(err, &e) && errors.Is(err, keyport.ErrHex) {
		fmt.Println(e.Op, "|", e.Code.Name(), "|", e.Detail)
	}
	// Output:
	// parse key | KP_ERR_HEX | the key is not hex (expected up to 64 digits 0-9, a-f)
}

// The public key and addresses of a key read from a BIP-39 mnemonic, without the private key
// leaving libkeyport.
func ExampleAddresses() {
	mnemonic := []byte("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about")
	curve, pub, err := keyport.ParsePublicKey(keyport.FormatMnemonic, mnemonic, &keyport.ParseKeyOptions{Curve: keyport.Secp256k1, Path: "m/84'/0'/0'/0/0"})
	if err != nil {
		panic(err)
	}
	addrs, _ := keyport.Addresses(curve, pub, 0)
	for _, a := range addrs {
		if a.Kind == "bitcoin-p2wpkh" {
			fmt.Println(a.Text)
		}
	}
	// Output:
	// bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu
}

// Import preparation for a cluster's GET /signers document: the key is split 3-of-5 and each
// share encrypted to its signer; the body goes to POST /keys/import.
func ExamplePrepareImport() {
	var ids, eks [][]byte
	for i := 1; i <= 5; i++ { // a cluster's five signers (normally: Client.Signers)
		s, ek, _ := keyport.NewEncryptionKeypair()
		defer s.Close()
		ids, eks = append(ids, []byte{byte(i)}), append(eks, ek)
	}
	doc, _ := keyport.WriteSigners("cluster-1", ids, eks)

	signers, err := keyport.ParseSigners(doc, "")
	if err != nil {
		panic(err)
	}
	defer signers.Close()
	key, _ := keyport.ParseKey(keyport.FormatWIF, []byte("KwDiBf89QgGbjEhKnhXJuH7LrciVrZi3qYjgd9M7rFU73sVHnoWn"), nil)
	defer key.Close()
	body, err := keyport.PrepareImport(signers, key, &keyport.ImportOptions{MinSigners: 3, Name: "treasury"})
	if err != nil {
		panic(err)
	}
	req, _ := keyport.ParseImportRequest(body)
	fmt.Println(req.Curve, req.Protocol, req.MinSigners, len(req.Shares), req.Name)
	// Output:
	// secp256k1 CGGMP21 3 5 treasury
}

// Export and recovery: the export context's request goes to POST /keys/{keyId}/export, each
// signer seals its share to the context's encryption key, and Recover recombines them, with the
// signer table in the key's Report. A failure is a *RecoveryError carrying the table.
func ExampleExportContext_Recover() {
	ctx, err := keyport.NewExportContext()
	if err != nil {
		panic(err)
	}
	defer ctx.Close()
	_, _ = ctx.ExportRequest(nil) // the body of POST /keys/{keyId}/export

	// the cluster side, here in process: a 2-of-3 sharing of a key, each share sealed to ctx
	key, _ := keyport.RandomKey(keyport.Ed25519)
	defer key.Close()
	var sids, eks [][]byte
	var secrets []*keyport.SecretKey
	for i := 1; i <= 3; i++ {
		s, ek, _ := keyport.NewEncryptionKeypair()
		defer s.Close()
		sids, eks, secrets = append(sids, []byte{byte(i)}), append(eks, ek), append(secrets, s)
	}
	doc, _ := keyport.WriteSigners("c", sids, eks)
	signers, _ := keyport.ParseSigners(doc, "")
	body, _ := keyport.PrepareImport(signers, key, &keyport.ImportOptions{MinSigners: 2})
	req, _ := keyport.ParseImportRequest(body)
	var shares []keyport.ExportShare
	var pub []byte
	for i, sh := range req.Shares {
		opened, _ := keyport.OpenImportShare(secrets[i], req.Curve, i+1, 3, 2, sh.Ciphertext)
		ct, _ := keyport.SealExportShare(ctx.EncryptionKey(), keyport.IndexScalar(i+1), opened.Share)
		opened.Share.Close()
		shares, pub = append(shares, keyport.ExportShare{SignerID: sids[i], Ciphertext: ct}), opened.PublicKey
	}
	response, _ := keyport.WriteExportResponse(req.Curve, req.Protocol, pub, 2, shares)

	got, err := ctx.Recover(response)
	var re *keyport.RecoveryError
	if errors.As(err, &re) {
		fmt.Println(re.Err.Code.Name(), re.Signers)
		return
	}
	defer got.Close()
	scalar := make([]byte, 32)
	defer clear(scalar)
	got.CopyTo(scalar)
	for _, s := range got.Report().Signers() {
		fmt.Println(s.SignerID, s.State)
	}
	// Output:
	// AQ== good
	// Ag== good
	// Aw== good
}

// An export context sealed under a passphrase, and opened again (a wrong passphrase is ErrDecrypt).
func ExampleOpenExportContext() {
	ctx, _ := keyport.NewExportContext()
	defer ctx.Close()
	file, _ := ctx.Seal([]byte("a long passphrase"), keyport.KDFInteractive)
	_, err := keyport.OpenExportContext(file, []byte("wrong"))
	fmt.Println(errors.Is(err, keyport.ErrDecrypt))
	back, _ := keyport.OpenExportContext(file, []byte("a long passphrase"))
	defer back.Close()
	fmt.Println(back.Fingerprint() == ctx.Fingerprint())
	// Output:
	// true
	// true
}

// Two operators of a 2-of-2 policy approve one exact export request.
func ExampleSignApproval() {
	alice, _, _ := keyport.NewOperator("alice", []byte("pw"), keyport.KDFInteractive)
	bob, _, _ := keyport.NewOperator("bob", []byte("pw"), keyport.KDFInteractive)
	defer alice.Close()
	defer bob.Close()
	doc, _ := keyport.WritePolicy("treasury", []keyport.PolicyMember{{Name: "alice", PublicKey: alice.PublicKey()}, {Name: "bob", PublicKey: bob.PublicKey()}},
		map[keyport.Action]int{keyport.ActionImport: 2, keyport.ActionExport: 2, keyport.ActionArchive: 2})
	policy, _ := keyport.ParsePolicy(doc)
	defer policy.Close()
	request := []byte(`{"encryptionKey":"..."}`)
	bundle, _ := keyport.SignApproval(alice, policy, keyport.ActionExport, request, &keyport.ApprovalOptions{KeyID: "key-1"})
	bundle, _ = keyport.SignApproval(bob, policy, keyport.ActionExport, request, &keyport.ApprovalOptions{KeyID: "key-1", Bundle: bundle})
	rep, _ := keyport.VerifyApprovals(policy, keyport.ActionExport, request, bundle, "key-1", time.Time{})
	fmt.Println(rep.QuorumMet, rep.Counted, rep.Needed)
	// Output:
	// true 2 2
}

// A cluster client: every call takes a context.Context (not run: it needs a cluster).
func ExampleClient() {
	cred, _ := keyport.ParseCredential([]byte(`{"version":1,"type":"keyport-credential","credId":"...","algorithm":"Ed25519","publicKey":"...","privateKey":"..."}`))
	c, err := keyport.NewClient("http://127.0.0.1:8600", "token", cred)
	if err != nil {
		panic(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	doc, err := c.Signers(ctx)
	var api *keyport.APIError
	if errors.As(err, &api) {
		fmt.Println("the cluster answered", api.Status)
		return
	}
	signers, _ := keyport.ParseSigners(doc, "")
	defer signers.Close()
}
