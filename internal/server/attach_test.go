package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
)

// newUnixServer serves a Server over a fresh fakeEngine on a unix socket,
// as berthd does; the httptest.Server's URL is unusable, use the socket.
func newUnixServer(t *testing.T) (*fakeEngine, string) {
	t.Helper()
	e := newFakeEngine()
	sock := filepath.Join(t.TempDir(), "berth.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{Logger: testLogger(t), Version: "0.0.0-test", System: e, Events: e, Containers: e, Images: e})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return e, sock
}

// hijackReq sends a raw request on a new connection and returns the
// connection, a reader positioned after the response head, and the head.
func hijackReq(t *testing.T, network, addr, method, path, body string, upgrade bool) (net.Conn, *bufio.Reader, *http.Response) {
	t.Helper()
	conn, err := net.Dial(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: docker\r\n", method, path)
	if upgrade {
		b.WriteString("Connection: Upgrade\r\nUpgrade: tcp\r\n")
	}
	if body != "" {
		fmt.Fprintf(&b, "Content-Type: application/json\r\nContent-Length: %d\r\n", len(body))
	}
	b.WriteString("\r\n" + body)
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	return conn, br, resp
}

func closeWrite(t *testing.T, c net.Conn) {
	t.Helper()
	if err := c.(interface{ CloseWrite() error }).CloseWrite(); err != nil {
		t.Fatal(err)
	}
}

func readAllTimeout(t *testing.T, c net.Conn, r io.Reader) []byte {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read stream: %v (got %q)", err, b)
	}
	return b
}

func TestAttachMultiplexedWithHalfClose(t *testing.T) {
	e, ts := newTestServer(t)
	id := create(t, ts, "a", false, "cat")
	addr := strings.TrimPrefix(ts.URL, "http://")
	conn, br, resp := hijackReq(t, "tcp", addr, "POST", "/v1.50/containers/a/attach?stream=1&stdin=1&stdout=1&stderr=1", "", true)
	if resp.StatusCode != 101 || resp.Header.Get("Content-Type") != "application/vnd.docker.multiplexed-stream" ||
		resp.Header.Get("Upgrade") != "tcp" || resp.Header.Get("Api-Version") == "" {
		t.Fatalf("attach head: %d %v", resp.StatusCode, resp.Header)
	}
	r, body := call(t, ts, "POST", "/containers/"+id+"/start", nil)
	wantStatus(t, r, body, 204, "")
	if _, err := io.WriteString(conn, "hello\nworld\n"); err != nil {
		t.Fatal(err)
	}
	closeWrite(t, conn) // stdin ends: cat exits, the stream ends
	raw := readAllTimeout(t, conn, br)
	var out, errb bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, &errb, bytes.NewReader(raw)); err != nil {
		t.Fatalf("demux %q: %v", raw, err)
	}
	if out.String() != "hello\nworld\n" || errb.Len() != 0 {
		t.Errorf("stdout %q stderr %q", out.String(), errb.String())
	}
	waitState(t, e, id, container.StateExited)
}

func TestAttachOldClientAndErrors(t *testing.T) {
	_, ts := newTestServer(t)
	create(t, ts, "o", false, "echo", "old")
	addr := strings.TrimPrefix(ts.URL, "http://")
	conn, br, resp := hijackReq(t, "tcp", addr, "POST", "/v1.24/containers/o/attach?stream=1&stdout=1&logs=1", "", false)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vnd.docker.raw-stream" {
		t.Fatalf("old attach head: %d %v", resp.StatusCode, resp.Header)
	}
	call(t, ts, "POST", "/containers/o/start", nil)
	raw := readAllTimeout(t, conn, br)
	var out bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, io.Discard, bytes.NewReader(raw)); err != nil || out.String() != "old\n" {
		t.Errorf("old client stream %q: %v", raw, err)
	}

	r, body := call(t, ts, "POST", "/containers/nope/attach?stream=1&stdout=1", nil)
	wantStatus(t, r, body, 404, "No such container: nope")
	r, body = call(t, ts, "POST", "/containers/o/attach?stream=1&detachKeys=ctrl-", nil)
	wantStatus(t, r, body, 400, "Invalid detach keys (ctrl-) provided")
}

func TestAttachTTYDetachKeys(t *testing.T) {
	e, ts := newTestServer(t)
	e.attachDone = make(chan error, 1)
	id := create(t, ts, "tty", true, "cat")
	call(t, ts, "POST", "/containers/"+id+"/start", nil)
	addr := strings.TrimPrefix(ts.URL, "http://")
	conn, br, resp := hijackReq(t, "tcp", addr, "POST", "/containers/tty/attach?stream=1&stdin=1&stdout=1&detachKeys=ctrl-x,y", "", true)
	if resp.StatusCode != 101 || resp.Header.Get("Content-Type") != "application/vnd.docker.raw-stream" {
		t.Fatalf("tty attach head: %d %v", resp.StatusCode, resp.Header)
	}
	if _, err := io.WriteString(conn, "abc"); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 3)
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(br, got); err != nil || string(got) != "abc" {
		t.Fatalf("raw echo %q: %v", got, err)
	}
	if _, err := conn.Write([]byte{0x18, 'y'}); err != nil { // ctrl-x, y
		t.Fatal(err)
	}
	rest := readAllTimeout(t, conn, br)
	if len(rest) != 0 {
		t.Errorf("after detach: %q", rest)
	}
	select {
	case <-e.attachDone:
	case <-time.After(5 * time.Second):
		t.Fatal("attach did not end on detach")
	}
	waitState(t, e, id, container.StateRunning) // detaching leaves it running
}

func TestAttachNoticesHangup(t *testing.T) {
	e, sock := newUnixServer(t)
	e.attachDone = make(chan error, 1)
	mk := `{"Image":"busybox","Cmd":["sleep"]}`
	if _, _, resp := hijackReq(t, "unix", sock, "POST", "/containers/create?name=s", mk, false); resp.StatusCode != 201 {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	if _, _, resp := hijackReq(t, "unix", sock, "POST", "/containers/s/start", "", false); resp.StatusCode != 204 {
		t.Fatalf("start: %d", resp.StatusCode)
	}
	conn3, _, resp := hijackReq(t, "unix", sock, "POST", "/containers/s/attach?stream=1&stdout=1", "", true)
	if resp.StatusCode != 101 {
		t.Fatalf("attach: %d", resp.StatusCode)
	}
	select {
	case <-e.attachDone:
		t.Fatal("attach ended before the client left")
	case <-time.After(50 * time.Millisecond):
	}
	conn3.Close() // the client goes away; no output is ever written
	select {
	case <-e.attachDone:
	case <-time.After(5 * time.Second):
		t.Fatal("attach did not notice the client hung up")
	}
}

func TestExec(t *testing.T) {
	e, ts := newTestServer(t)
	id := create(t, ts, "x", false, "sleep")
	r, body := call(t, ts, "POST", "/containers/x/exec", map[string]any{"Cmd": []string{"cat"}})
	wantStatus(t, r, body, 409, "is not running")
	call(t, ts, "POST", "/containers/"+id+"/start", nil)
	r, body = call(t, ts, "POST", "/containers/x/exec", map[string]any{"Cmd": []string{}})
	wantStatus(t, r, body, 400, "No exec command specified")
	r, body = call(t, ts, "POST", "/containers/x/exec", `{"Cmd":`)
	wantStatus(t, r, body, 400, "invalid JSON")
	r, body = call(t, ts, "POST", "/containers/x/exec", map[string]any{"Cmd": []string{"cat"}, "DetachKeys": "ctrl-"})
	wantStatus(t, r, body, 400, "Invalid detach keys")

	r, body = call(t, ts, "POST", "/containers/x/exec", map[string]any{"Cmd": []string{"cat"}, "AttachStdin": true, "AttachStdout": true})
	wantStatus(t, r, body, 201, "")
	var created struct{ Id string }
	if err := json.Unmarshal(body, &created); err != nil || created.Id == "" {
		t.Fatalf("exec create %s", body)
	}
	addr := strings.TrimPrefix(ts.URL, "http://")
	conn, br, resp := hijackReq(t, "tcp", addr, "POST", "/v1.50/exec/"+created.Id+"/start", `{"Detach":false,"Tty":false}`, true)
	if resp.StatusCode != 101 || resp.Header.Get("Content-Type") != "application/vnd.docker.multiplexed-stream" {
		t.Fatalf("exec start head: %d %v", resp.StatusCode, resp.Header)
	}
	_, _ = io.WriteString(conn, "from exec\n")
	closeWrite(t, conn)
	raw := readAllTimeout(t, conn, br)
	var out bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, io.Discard, bytes.NewReader(raw)); err != nil || out.String() != "from exec\n" {
		t.Errorf("exec stream %q: %v", raw, err)
	}
	r, body = call(t, ts, "GET", "/exec/"+created.Id+"/json", nil)
	wantStatus(t, r, body, 200, "")
	if !bytes.Contains(body, []byte(`"ExitCode":0`)) || !bytes.Contains(body, []byte(`"Running":false`)) {
		t.Errorf("exec inspect %s", body)
	}

	// A second start fails after the hijack: the error is written in-band.
	conn, br, resp = hijackReq(t, "tcp", addr, "POST", "/exec/"+created.Id+"/start", `{}`, true)
	if resp.StatusCode != 101 {
		t.Fatalf("second start head %d", resp.StatusCode)
	}
	raw = readAllTimeout(t, conn, br)
	out.Reset()
	_, _ = stdcopy.StdCopy(&out, io.Discard, bytes.NewReader(raw))
	if !strings.Contains(out.String(), "has already been started") {
		t.Errorf("second start stream %q", out.String())
	}

	r, body = call(t, ts, "POST", "/containers/x/exec", map[string]any{"Cmd": []string{"echo", "bg"}})
	wantStatus(t, r, body, 201, "")
	_ = json.Unmarshal(body, &created)
	r, body = call(t, ts, "POST", "/exec/"+created.Id+"/start", map[string]any{"Detach": true})
	wantStatus(t, r, body, 200, "")
	if len(body) != 0 {
		t.Errorf("detached start body %q", body)
	}

	r, body = call(t, ts, "POST", "/exec/nope/start", `{}`)
	wantStatus(t, r, body, 404, "No such exec instance: nope")
	r, body = call(t, ts, "GET", "/exec/nope/json", nil)
	wantStatus(t, r, body, 404, "No such exec instance: nope")
	r, body = call(t, ts, "POST", "/exec/nope/resize?h=1&w=2", nil)
	wantStatus(t, r, body, 404, "No such exec instance: nope")
	r, body = call(t, ts, "POST", "/exec/"+created.Id+"/resize?h=1", nil)
	wantStatus(t, r, body, 400, "invalid resize width")
	_ = e
}

// TestAttachSurvivesStdinHalfClose: the client closing its side of stdin
// must not end the attach while the container still runs (net/http cancels
// a hijacked request's context when its own reader sees that EOF).
func TestAttachSurvivesStdinHalfClose(t *testing.T) {
	e, sock := newUnixServer(t)
	e.attachDone = make(chan error, 1)
	if _, _, resp := hijackReq(t, "unix", sock, "POST", "/containers/create?name=h", `{"Image":"busybox","Cmd":["sleep"]}`, false); resp.StatusCode != 201 {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	if _, _, resp := hijackReq(t, "unix", sock, "POST", "/containers/h/start", "", false); resp.StatusCode != 204 {
		t.Fatalf("start: %d", resp.StatusCode)
	}
	conn, br, resp := hijackReq(t, "unix", sock, "POST", "/containers/h/attach?stream=1&stdin=1&stdout=1", "", true)
	if resp.StatusCode != 101 {
		t.Fatalf("attach: %d", resp.StatusCode)
	}
	closeWrite(t, conn)
	select {
	case err := <-e.attachDone:
		t.Fatalf("attach ended on stdin half-close: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	if _, _, resp := hijackReq(t, "unix", sock, "POST", "/containers/h/kill", "", false); resp.StatusCode != 204 {
		t.Fatalf("kill: %d", resp.StatusCode)
	}
	select {
	case <-e.attachDone:
	case <-time.After(5 * time.Second):
		t.Fatal("attach did not end when the container exited")
	}
	if rest := readAllTimeout(t, conn, br); len(rest) != 0 {
		t.Errorf("unexpected output %q", rest)
	}
}
