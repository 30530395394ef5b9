package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// call is one request the fake daemon saw (path without the /vX.Y prefix).
type call struct {
	Method, Path, Query, Body string
}

// daemon is an httptest server answering API routes ("GET /containers/json")
// from handlers, recording every request.
type daemon struct {
	*httptest.Server
	mu     sync.Mutex
	calls  []call
	routes map[string]http.HandlerFunc
}

func newDaemon(t *testing.T, routes map[string]http.HandlerFunc) *daemon {
	t.Helper()
	d := &daemon{routes: routes}
	d.Server = httptest.NewServer(http.HandlerFunc(d.serve))
	t.Cleanup(d.Close)
	return d
}

func (d *daemon) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	path := r.URL.Path
	if strings.HasPrefix(path, "/v1.") {
		path = path[strings.Index(path[1:], "/")+1:]
	}
	d.mu.Lock()
	d.calls = append(d.calls, call{r.Method, path, r.URL.RawQuery, string(body)})
	d.mu.Unlock()
	w.Header().Set("API-Version", "1.45")
	if path == "/_ping" {
		return
	}
	if h, ok := d.routes[r.Method+" "+path]; ok {
		h(w, r)
		return
	}
	replyJSON(w, http.StatusNotFound, map[string]string{"message": "page not found"})
}

// paths lists "METHOD /path" of the calls after the version ping.
func (d *daemon) paths() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for _, c := range d.calls {
		if c.Path != "/_ping" {
			out = append(out, c.Method+" "+c.Path)
		}
	}
	return out
}

func (d *daemon) find(method, path string) (call, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := len(d.calls) - 1; i >= 0; i-- {
		if c := d.calls[i]; c.Method == method && c.Path == path {
			return c, true
		}
	}
	return call{}, false
}

func (d *daemon) host() string { return "tcp://" + d.Listener.Addr().String() }

func replyJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func jsonRoute(v any) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { replyJSON(w, 200, v) }
}

func errRoute(status int, msg string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { replyJSON(w, status, map[string]string{"message": msg}) }
}

// result is what one CLI run printed and returned.
type result struct {
	stdout, stderr string
	code           int
}

// runCLI runs berth against host with stdin and returns its output.
func runCLI(t *testing.T, host, stdin string, args ...string) result {
	t.Helper()
	t.Setenv("DOCKER_HOST", "")
	t.Setenv("DOCKER_API_VERSION", "")
	var out, errOut bytes.Buffer
	code := Main(append([]string{"-H", host}, args...), strings.NewReader(stdin), &out, &errOut)
	return result{out.String(), errOut.String(), code}
}

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s mismatch:\n--- got ---\n%s\n--- want ---\n%s", name, got, want)
	}
}
