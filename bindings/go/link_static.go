//go:build keyport_static

package keyport

// -tags keyport_static links libkeyport.a into the binary; its own dependencies (libsecp256k1,
// libsodium, libcrypto, libcurl, libunistring) stay shared. The binary runs without libkeyport.so.

// #cgo pkg-config: keyport libsecp256k1 libsodium libcrypto libcurl
// #cgo LDFLAGS: -Wl,--push-state,-Bstatic -lkeyport -Wl,--pop-state -Wl,--as-needed -lunistring -pthread
import "C"
