package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berthproject/berth/api"
	"github.com/berthproject/berth/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
)

// recorded is one request the fake daemon saw.
type recorded struct {
	Method, Path, Query, Body string
}

// fakeDaemon is an httptest server speaking just enough of the API.
type fakeDaemon struct {
	*httptest.Server
	apiVersion string
	mu         sync.Mutex
	reqs       []recorded
	handler    func(w http.ResponseWriter, r *http.Request)
}

func newFakeDaemon(t *testing.T, handler func(w http.ResponseWriter, r *http.Request)) *fakeDaemon {
	t.Helper()
	d := &fakeDaemon{apiVersion: "1.41", handler: handler}
	d.Server = httptest.NewServer(http.HandlerFunc(d.serve))
	t.Cleanup(d.Close)
	return d
}

func (d *fakeDaemon) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	d.mu.Lock()
	d.reqs = append(d.reqs, recorded{r.Method, r.URL.Path, r.URL.RawQuery, string(body)})
	d.mu.Unlock()
	w.Header().Set("API-Version", d.apiVersion)
	if r.URL.Path == "/_ping" {
		_, _ = io.WriteString(w, "OK")
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if d.handler != nil {
		d.handler(w, r)
	}
}

func (d *fakeDaemon) requests() []recorded {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]recorded(nil), d.reqs...)
}

func (d *fakeDaemon) client(t *testing.T, opts ...Option) *Client {
	t.Helper()
	c, err := New("tcp://"+d.Listener.Addr().String(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func TestErrorMapping(t *testing.T) {
	tests := []struct {
		status int
		kind   error
	}{
		{http.StatusNotModified, errdefs.ErrNotModified},
		{http.StatusBadRequest, errdefs.ErrInvalidArgument},
		{http.StatusUnauthorized, errdefs.ErrUnauthorized},
		{http.StatusForbidden, errdefs.ErrPermissionDenied},
		{http.StatusNotFound, errdefs.ErrNotFound},
		{http.StatusConflict, errdefs.ErrConflict},
		{http.StatusInternalServerError, errdefs.ErrInternal},
		{http.StatusNotImplemented, errdefs.ErrNotImplemented},
		{http.StatusServiceUnavailable, errdefs.ErrUnavailable},
		{http.StatusTeapot, errdefs.ErrInvalidArgument},
		{http.StatusBadGateway, errdefs.ErrInternal},
	}
	for _, tc := range tests {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			d := newFakeDaemon(t, func(w http.ResponseWriter, _ *http.Request) {
				writeJSON(w, tc.status, map[string]string{"message": "boom"})
			})
			err := d.client(t).ContainerStart(t.Context(), "x")
			if !errors.Is(err, tc.kind) {
				t.Fatalf("status %d: got %v, want kind %v", tc.status, err, tc.kind)
			}
			var e *Error
			if !errors.As(err, &e) || e.StatusCode != tc.status {
				t.Fatalf("status %d: not an *Error with the status: %#v", tc.status, err)
			}
			if tc.status != http.StatusNotModified && err.Error() != "Error response from daemon: boom" {
				t.Errorf("message = %q", err.Error())
			}
		})
	}
}

func TestErrorPlainTextBody(t *testing.T) {
	d := newFakeDaemon(t, func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "page not found", http.StatusNotFound)
	})
	err := d.client(t).ContainerStart(t.Context(), "x")
	if !errdefs.IsNotFound(err) || err.Error() != "Error response from daemon: page not found" {
		t.Fatalf("got %v", err)
	}
}

func TestConnectError(t *testing.T) {
	c, err := New("unix://" + filepath.Join(t.TempDir(), "nope.sock"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ServerVersion(t.Context())
	if !errdefs.IsUnavailable(err) || !IsConnectError(err) {
		t.Fatalf("got %v, want a ConnectError of kind unavailable", err)
	}
	if !strings.HasPrefix(err.Error(), "Cannot connect to the Berth daemon at unix://") {
		t.Errorf("message = %q", err.Error())
	}
}

func TestNegotiation(t *testing.T) {
	tests := []struct {
		name, server, pinned, want string
		wantPing                   bool
	}{
		{"older daemon", "1.41", "", "1.41", true},
		{"newer daemon", "1.99", "", api.MaxVersion, true},
		{"silent daemon", "", "", api.MaxVersion, true},
		{"pinned", "1.41", "1.44", "1.44", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := newFakeDaemon(t, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, map[string]string{}) })
			d.apiVersion = tc.server
			c := d.client(t, WithVersion(tc.pinned))
			if _, err := c.ServerVersion(t.Context()); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Info(t.Context()); err != nil {
				t.Fatal(err)
			}
			reqs := d.requests()
			pings := 0
			for _, r := range reqs {
				if r.Path == "/_ping" {
					pings++
				}
			}
			if tc.wantPing && pings != 1 || !tc.wantPing && pings != 0 {
				t.Errorf("pings = %d, want ping %v (once)", pings, tc.wantPing)
			}
			last := reqs[len(reqs)-1]
			if last.Path != "/v"+tc.want+"/info" {
				t.Errorf("path = %q, want version %s", last.Path, tc.want)
			}
		})
	}
}

func TestRequests(t *testing.T) {
	timeout := 3
	tests := []struct {
		name string
		call func(ctx context.Context, c *Client) error
		want recorded
	}{
		{"create", func(ctx context.Context, c *Client) error {
			_, err := c.ContainerCreate(ctx, container.CreateRequest{Config: &container.Config{Image: "busybox"},
				HostConfig: &container.HostConfig{CapAdd: []string{"net_admin", "CAP_CHOWN", "NET_ADMIN"}}}, "web", "")
			return err
		}, recorded{"POST", "/containers/create", "name=web", `"CapAdd":["CAP_CHOWN","CAP_NET_ADMIN"]`}},
		{"list", func(ctx context.Context, c *Client) error {
			_, err := c.ContainerList(ctx, ContainerListOptions{All: true, Limit: 2, Size: true, Filters: Filters{"name": {"web"}}})
			return err
		}, recorded{"GET", "/containers/json", "all=1&filters=%7B%22name%22%3A%7B%22web%22%3Atrue%7D%7D&limit=2&size=1", ""}},
		{"start", func(ctx context.Context, c *Client) error { return c.ContainerStart(ctx, "abc") },
			recorded{"POST", "/containers/abc/start", "", ""}},
		{"stop", func(ctx context.Context, c *Client) error {
			return c.ContainerStop(ctx, "abc", StopOptions{Signal: "SIGINT", Timeout: &timeout})
		}, recorded{"POST", "/containers/abc/stop", "t=3", ""}}, // signal needs API 1.42
		{"kill", func(ctx context.Context, c *Client) error { return c.ContainerKill(ctx, "abc", "HUP") },
			recorded{"POST", "/containers/abc/kill", "signal=HUP", ""}},
		{"remove", func(ctx context.Context, c *Client) error {
			return c.ContainerRemove(ctx, "abc", RemoveOptions{Force: true, RemoveVolumes: true})
		}, recorded{"DELETE", "/containers/abc", "force=1&v=1", ""}},
		{"rename", func(ctx context.Context, c *Client) error { return c.ContainerRename(ctx, "abc", "new") },
			recorded{"POST", "/containers/abc/rename", "name=new", ""}},
		{"resize", func(ctx context.Context, c *Client) error { return c.ContainerResize(ctx, "abc", 24, 80) },
			recorded{"POST", "/containers/abc/resize", "h=24&w=80", ""}},
		{"top", func(ctx context.Context, c *Client) error {
			_, err := c.ContainerTop(ctx, "abc", []string{"-o", "pid"})
			return err
		},
			recorded{"GET", "/containers/abc/top", "ps_args=-o+pid", ""}},
		{"logs", func(ctx context.Context, c *Client) error {
			rc, err := c.ContainerLogs(ctx, "abc", LogsOptions{Stdout: true, Tail: "5", Since: "10"})
			if err == nil {
				rc.Close()
			}
			return err
		}, recorded{"GET", "/containers/abc/logs", "since=10&stdout=1&tail=5", ""}},
		{"prune", func(ctx context.Context, c *Client) error { _, err := c.ContainersPrune(ctx, nil); return err },
			recorded{"POST", "/containers/prune", "", ""}},
		{"exec create", func(ctx context.Context, c *Client) error {
			_, err := c.ExecCreate(ctx, "abc", container.ExecCreateRequest{Cmd: []string{"ls"}})
			return err
		}, recorded{"POST", "/containers/abc/exec", "", `"Cmd":["ls"]`}},
		{"exec start detached", func(ctx context.Context, c *Client) error {
			return c.ExecStart(ctx, "e1", container.ExecStartRequest{Detach: true})
		}, recorded{"POST", "/exec/e1/start", "", `"Detach":true`}},
		{"images", func(ctx context.Context, c *Client) error {
			_, err := c.ImageList(ctx, ImageListOptions{All: true})
			return err
		},
			recorded{"GET", "/images/json", "all=1", ""}},
		{"rmi", func(ctx context.Context, c *Client) error {
			_, err := c.ImageRemove(ctx, "busybox", ImageRemoveOptions{Force: true, NoPrune: true})
			return err
		}, recorded{"DELETE", "/images/busybox", "force=1&noprune=1", ""}},
		{"tag", func(ctx context.Context, c *Client) error { return c.ImageTag(ctx, "busybox", "example.com/x/bb") },
			recorded{"POST", "/images/busybox/tag", "repo=example.com%2Fx%2Fbb&tag=latest", ""}},
		{"import", func(ctx context.Context, c *Client) error {
			rc, err := c.ImageImport(ctx, strings.NewReader("TAR"), "-", "bb:1", ImportOptions{Changes: []string{`CMD ["sh"]`}, Message: "m"})
			if err == nil {
				rc.Close()
			}
			return err
		}, recorded{"POST", "/images/create", "changes=CMD+%5B%22sh%22%5D&fromSrc=-&message=m&repo=bb&tag=1", "TAR"}},
		{"save", func(ctx context.Context, c *Client) error {
			rc, err := c.ImageSave(ctx, []string{"a", "b"})
			if err == nil {
				rc.Close()
			}
			return err
		}, recorded{"GET", "/images/get", "names=a&names=b", ""}},
		{"load", func(ctx context.Context, c *Client) error {
			r, err := c.ImageLoad(ctx, strings.NewReader("TAR"), true)
			if err == nil {
				r.Body.Close()
			}
			return err
		}, recorded{"POST", "/images/load", "quiet=1", "TAR"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := newFakeDaemon(t, func(w http.ResponseWriter, r *http.Request) {
				switch {
				case strings.HasSuffix(r.URL.Path, "/json") && r.Method == http.MethodGet, strings.HasSuffix(r.URL.Path, "/busybox"):
					writeJSON(w, 200, []any{})
				default:
					writeJSON(w, 200, map[string]any{})
				}
			})
			if err := tc.call(t.Context(), d.client(t)); err != nil {
				t.Fatal(err)
			}
			reqs := d.requests()
			got := reqs[len(reqs)-1]
			got.Path = strings.TrimPrefix(got.Path, "/v1.41")
			if got.Method != tc.want.Method || got.Path != tc.want.Path || got.Query != tc.want.Query || !strings.Contains(got.Body, tc.want.Body) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestStopSignalNeedsAPI142(t *testing.T) {
	d := newFakeDaemon(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) })
	d.apiVersion = "1.44"
	if err := d.client(t).ContainerStop(t.Context(), "abc", StopOptions{Signal: "SIGINT"}); err != nil {
		t.Fatal(err)
	}
	reqs := d.requests()
	if q := reqs[len(reqs)-1].Query; q != "signal=SIGINT" {
		t.Errorf("query = %q", q)
	}
}

func TestParseHost(t *testing.T) {
	tests := []struct{ in, network, addr string }{
		{"unix:///run/berth/berth.sock", "unix", "/run/berth/berth.sock"},
		{"/tmp/x.sock", "unix", "/tmp/x.sock"},
		{"tcp://1.2.3.4:2376", "tcp", "1.2.3.4:2376"},
		{"tcp://example.com", "tcp", "example.com:2375"},
		{"tcp://:2375", "tcp", "127.0.0.1:2375"},
		{"localhost:1234", "tcp", "localhost:1234"},
	}
	for _, tc := range tests {
		n, a, err := ParseHost(tc.in)
		if err != nil || n != tc.network || a != tc.addr {
			t.Errorf("ParseHost(%q) = %q, %q, %v", tc.in, n, a, err)
		}
	}
	for _, bad := range []string{"ssh://host", "unix://", "tcp://"} {
		if _, _, err := ParseHost(bad); !errdefs.IsInvalidArgument(err) {
			t.Errorf("ParseHost(%q): got %v, want invalid argument", bad, err)
		}
	}
}

func TestTimestamp(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct{ in, want string }{
		{"10m", "1714564200"},
		{"1714560000", "1714560000"},
		{"1714560000.5", "1714560000.5"},
		{"2024-05-01T10:00:00Z", "1714557600.000000000"},
		{"2024-05-01T10:00:00.5+02:00", "1714550400.500000000"},
		{"2024-05-01", "1714521600.000000000"},
		{"2024-05-01T10", "1714557600.000000000"},
	}
	for _, tc := range tests {
		got, err := Timestamp(tc.in, now)
		if err != nil || got != tc.want {
			t.Errorf("Timestamp(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := Timestamp("bad", now); err == nil || err.Error() != `failed to parse value as time or duration: "bad"` {
		t.Errorf("bad value: %v", err)
	}
}

func TestWaitAndEvents(t *testing.T) {
	d := newFakeDaemon(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/wait"):
			w.WriteHeader(200)
			w.(http.Flusher).Flush()
			time.Sleep(20 * time.Millisecond)
			_ = json.NewEncoder(w).Encode(container.WaitResponse{StatusCode: 7})
		case strings.HasSuffix(r.URL.Path, "/events"):
			w.WriteHeader(200)
			for _, a := range []string{"create", "start"} {
				_, _ = io.WriteString(w, `{"status":"`+a+`","Type":"container","Action":"`+a+`","Actor":{"ID":"abc"},"time":1}`+"\n")
				w.(http.Flusher).Flush()
			}
		}
	})
	c := d.client(t)
	resC, errC := c.ContainerWait(t.Context(), "abc", container.WaitConditionNextExit)
	if q := d.requests()[1].Query; q != "condition=next-exit" {
		t.Errorf("wait query = %q", q)
	}
	select {
	case res := <-resC:
		if res.StatusCode != 7 {
			t.Errorf("status = %d", res.StatusCode)
		}
	case err := <-errC:
		t.Fatal(err)
	}
	msgs, errs := c.Events(t.Context(), EventsOptions{Filters: Filters{"type": {"container"}}})
	var got []string
	for len(got) < 2 {
		select {
		case m := <-msgs:
			got = append(got, string(m.Action)+"/"+m.Status)
		case err := <-errs:
			t.Fatal(err)
		}
	}
	if strings.Join(got, ",") != "create/create,start/start" {
		t.Errorf("events = %v", got)
	}
	if err := <-errs; !errors.Is(err, io.EOF) {
		t.Errorf("end of stream: %v", err)
	}
}

// hijackServer upgrades /attach and /exec/*/start, writes multiplexed
// output and echoes what it reads back on stdout until the client half-closes.
func hijackServer(t *testing.T, status int) *fakeDaemon {
	return newFakeDaemon(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "tcp" || r.Header.Get("Connection") != "Upgrade" {
			http.Error(w, "no upgrade", 400)
			return
		}
		conn, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		if status == 101 {
			_, _ = io.WriteString(conn, "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n")
		} else {
			_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\n\r\n")
		}
		_, _ = conn.Write(frame(2, "ready\n"))
		in, _ := io.ReadAll(brw)
		_, _ = conn.Write(frame(1, string(in)))
	})
}

func TestHijack(t *testing.T) {
	for _, status := range []int{101, 200} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			d := hijackServer(t, status)
			c := d.client(t)
			resp, err := c.ContainerAttach(t.Context(), "abc", AttachOptions{Stream: true, Stdin: true, Stdout: true, Stderr: true, DetachKeys: "ctrl-x"})
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Close()
			if q, _ := url.ParseQuery(d.requests()[1].Query); q.Get("detachKeys") != "ctrl-x" || q.Get("stdin") != "1" {
				t.Errorf("attach query = %v", q)
			}
			if !resp.Multiplexed(false) || resp.Multiplexed(true) != (status == 200) {
				t.Errorf("Multiplexed: media type %q", resp.MediaType)
			}
			_, _ = io.WriteString(resp.Conn, "hello\n")
			if err := resp.CloseWrite(); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			if _, err := stdcopy.StdCopy(&stdout, &stderr, resp.Reader); err != nil {
				t.Fatal(err)
			}
			if stdout.String() != "hello\n" || stderr.String() != "ready\n" {
				t.Errorf("stdout %q stderr %q", stdout.String(), stderr.String())
			}
		})
	}
}

func TestHijackRefused(t *testing.T) {
	d := newFakeDaemon(t, func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, 409, map[string]string{"message": "container abc is not running"})
	})
	_, err := d.client(t).ExecAttach(t.Context(), "e1", container.ExecStartRequest{})
	if !errdefs.IsConflict(err) || err.Error() != "Error response from daemon: container abc is not running" {
		t.Fatalf("got %v", err)
	}
}

func TestUnixSocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "d.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("API-Version", "1.44")
		if r.URL.Path == "/v1.44/version" {
			writeJSON(w, 200, map[string]string{"Version": "x"})
		}
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	c, err := New("unix://" + sock)
	if err != nil {
		t.Fatal(err)
	}
	v, err := c.ServerVersion(t.Context())
	if err != nil || v.Version != "x" {
		t.Fatalf("version %+v, %v", v, err)
	}
}

// frame encodes one stdcopy frame (stream 1 stdout, 2 stderr).
func frame(stream byte, payload string) []byte {
	n := len(payload)
	return append([]byte{stream, 0, 0, 0, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}, payload...)
}
