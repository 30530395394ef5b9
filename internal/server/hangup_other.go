//go:build !linux

package server

import "net"

// watchHangup is not available here: a hang-up shows as a write error.
func watchHangup(net.Conn, func()) (stop func()) { return func() {} }
