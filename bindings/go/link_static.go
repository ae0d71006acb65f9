//go:build keyport_static

package keyport

// -tags keyport_static links libkeyport.a and libkeyport-client.a into the binary; their own
// dependencies (libsecp256k1, libsodium, libcrypto, libcurl, zlib, libunistring) stay shared. The
// binary runs without libkeyport.so.

// #cgo pkg-config: keyport-client keyport libsecp256k1 libsodium libcrypto libcurl zlib
// #cgo LDFLAGS: -Wl,--push-state,-Bstatic -lkeyport-client -lkeyport -Wl,--pop-state -Wl,--as-needed -lunistring -pthread
import "C"
