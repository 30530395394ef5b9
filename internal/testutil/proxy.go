package testutil

import (
	"io"
	"net"
	"testing"
	"time"
)

// SlowProxy forwards TCP connections on a new loopback port to target,
// sending at most rate bytes per second towards the client, and returns
// its address: a way to catch a registry in the middle of a transfer.
// When target goes away, the proxy closes the client's connection.
func SlowProxy(t testing.TB, target string, rate int) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go forwardSlowly(c, target, rate)
		}
	}()
	return l.Addr().String()
}

func forwardSlowly(c net.Conn, target string, rate int) {
	defer c.Close()
	up, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer up.Close()
	go io.Copy(up, c)
	buf := make([]byte, max(rate/20, 1))
	for {
		n, err := up.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		if err != nil {
			return
		}
	}
}
