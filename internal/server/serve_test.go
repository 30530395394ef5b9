package server

import (
	"context"
	"errors"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeShutdown checks that Serve ends streams and hijacked
// connections at once when its context ends, and returns nil.
func TestServeShutdown(t *testing.T) {
	e := newFakeEngine()
	sock := filepath.Join(t.TempDir(), "s.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{Logger: testLogger(t), Containers: e, Events: e, ShutdownTimeout: time.Minute})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, l) }()

	_, _, resp := hijackReq(t, "unix", sock, "POST", "/containers/create?name=s", `{"Image":"busybox","Cmd":["sleep"]}`, false)
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	_, _, _ = hijackReq(t, "unix", sock, "POST", "/containers/s/start", "", false)
	attach, abr, resp := hijackReq(t, "unix", sock, "POST", "/containers/s/attach?stream=1&stdout=1", "", true)
	if resp.StatusCode != 101 {
		t.Fatalf("attach: %d", resp.StatusCode)
	}
	ev, ebr, resp := hijackReq(t, "unix", sock, "GET", "/events", "", false)
	if resp.StatusCode != 200 {
		t.Fatalf("events: %d", resp.StatusCode)
	}

	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return: a stream held the shutdown")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("shutdown took %v", d)
	}
	for name, c := range map[string]struct {
		conn net.Conn
		r    io.Reader
	}{"attach": {attach, abr}, "events": {ev, ebr}} {
		_ = c.conn.SetReadDeadline(time.Now().Add(3 * time.Second))
		_, err := io.ReadAll(c.r)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Errorf("%s stream still open after shutdown", name)
		}
	}
	if _, err := net.Dial("unix", sock); err == nil {
		t.Error("listener still accepting after Serve returned")
	}
}

// TestImports keeps berthd lean: the server must not link the moby client
// (it brings OpenTelemetry) or any engine implementation.
func TestImports(t *testing.T) {
	out, err := exec.CommandContext(t.Context(), "go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, bad := range []string{"github.com/moby/moby/client", "go.opentelemetry.io/", "github.com/berthproject/berth/internal/engine",
			"github.com/berthproject/berth/client"} {
			if strings.HasPrefix(dep, bad) {
				t.Errorf("internal/server depends on %s", dep)
			}
		}
	}
}
