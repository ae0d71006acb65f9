//go:build !keyport_static

package keyport

// The shared libkeyport and libkeyport-client, found by pkg-config (installed by meson install, or a build folder's
// meson-uninstalled/ on PKG_CONFIG_PATH). Build with -tags keyport_static to link libkeyport.a.

// #cgo pkg-config: keyport-client keyport
import "C"
