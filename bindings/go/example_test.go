package keyport_test

import (
	"encoding/hex"
	"errors"
	"fmt"

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
