package server

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/berthproject/berth/api"
)

var (
	_ ContainerBackend = (*fakeEngine)(nil)
	_ ImageBackend     = (*fakeEngine)(nil)
	_ SystemBackend    = (*fakeEngine)(nil)
	_ EventsBackend    = (*fakeEngine)(nil)
)

// testLogger discards logs unless -v, where Debug access logs help.
func testLogger(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// newTestServer serves a Server over a fresh fakeEngine on a TCP test server.
func newTestServer(t *testing.T) (*fakeEngine, *httptest.Server) {
	t.Helper()
	e := newFakeEngine()
	s := New(Options{Logger: testLogger(t), Version: "0.0.0-test", System: e, Events: e, Containers: e, Images: e})
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return e, ts
}

// call sends one request and returns the response with its body read.
func call(t *testing.T, ts *httptest.Server, method, path string, body any, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, ct = strings.NewReader(b), "application/json"
	case []byte:
		rd, ct = bytes.NewReader(b), "application/x-tar"
	default:
		j, _ := json.Marshal(b)
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequestWithContext(t.Context(), method, ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, out
}

// wantStatus checks the status and, for errors, dockerd's JSON body.
func wantStatus(t *testing.T, resp *http.Response, body []byte, status int, msg string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d; body %s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, status, body)
	}
	if msg == "" {
		return
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("error Content-Type %q", ct)
	}
	var e struct{ Message string }
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	if !strings.Contains(e.Message, msg) {
		t.Errorf("message %q, want it to contain %q", e.Message, msg)
	}
}

func TestVersionPrefix(t *testing.T) {
	_, ts := newTestServer(t)
	tests := []struct {
		path   string
		status int
		msg    string
	}{
		{"/version", 200, ""},
		{"/v1.24/version", 200, ""},
		{"/v1.50/version", 200, ""},
		{"/v" + api.MaxVersion + "/version", 200, ""},
		{"/v1.23/version", 400, "client version 1.23 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version"},
		{"/v1.12/containers/json", 400, "client version 1.12 is too old"},
		{"/v1.57/version", 400, "client version 1.57 is too new. Maximum supported API version is " + api.MaxVersion},
		{"/v1.50/nope", 404, "page not found"},
		{"/vabc/version", 404, "page not found"},
		{"/nope", 404, "page not found"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, body := call(t, ts, "GET", tt.path, nil)
			if tt.status == 400 && strings.Contains(tt.msg, "too old") {
				// plain text, as dockerd answers clients it no longer supports
				if resp.StatusCode != 400 || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" ||
					!strings.HasPrefix(string(body), tt.msg) {
					t.Errorf("too old: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
				}
				return
			}
			wantStatus(t, resp, body, tt.status, tt.msg)
		})
	}
}

func TestVersionReachesHandlers(t *testing.T) {
	_, ts := newTestServer(t)
	// Image list reports Containers -1 before API 1.51.
	for v, want := range map[string]float64{"1.50": -1, "1.51": 0} {
		resp, body := call(t, ts, "GET", "/v"+v+"/images/json", nil)
		wantStatus(t, resp, body, 200, "")
		var list []map[string]any
		if err := json.Unmarshal(body, &list); err != nil || len(list) != 1 {
			t.Fatalf("list %s: %v", body, err)
		}
		if got := list[0]["Containers"]; got != want {
			t.Errorf("v%s: Containers = %v, want %v", v, got, want)
		}
	}
}

func TestPing(t *testing.T) {
	_, ts := newTestServer(t)
	for _, method := range []string{"GET", "HEAD"} {
		for _, path := range []string{"/_ping", "/v1.50/_ping"} {
			resp, body := call(t, ts, method, path, nil)
			wantStatus(t, resp, body, 200, "")
			want := "OK"
			if method == "HEAD" {
				want = ""
			}
			if string(body) != want {
				t.Errorf("%s %s body %q", method, path, body)
			}
			h := resp.Header
			for k, v := range map[string]string{
				"Api-Version": api.MaxVersion, "Min-Api-Version": api.MinVersion, "Ostype": "linux",
				"Docker-Experimental": "false", "Server": "Docker/0.0.0-test (linux)", "Swarm": "inactive",
				"Cache-Control": "no-cache, no-store, must-revalidate", "Pragma": "no-cache",
				"Content-Type": "text/plain; charset=utf-8",
			} {
				if got := h.Get(k); got != v {
					t.Errorf("%s %s: header %s = %q, want %q", method, path, k, got, v)
				}
			}
		}
	}
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	_, ts := newTestServer(t)
	for _, tt := range []struct{ method, path string }{
		{"GET", "/containers/abc/nope"},
		{"POST", "/version"},
		{"PUT", "/containers/json"},
		{"GET", "/images/busybox/nope"},
		{"POST", "/images/busybox/nope"},
	} {
		resp, body := call(t, ts, tt.method, tt.path, nil)
		wantStatus(t, resp, body, 404, "page not found")
		if string(body) != `{"message":"page not found"}`+"\n" {
			t.Errorf("%s %s: body %q", tt.method, tt.path, body)
		}
	}
	resp, body := call(t, ts, "GET", "/plugins", nil)
	wantStatus(t, resp, body, 501, "plugins are not supported")
	for _, p := range []string{"POST /v1.50/build", "PUT /containers/x/archive", "HEAD /containers/x/archive", "POST /networks/create", "POST /commit"} {
		m, path, _ := strings.Cut(p, " ")
		resp, body = call(t, ts, m, path, nil)
		if resp.StatusCode != 501 {
			t.Errorf("%s: %d %s", p, resp.StatusCode, body)
		}
	}
	resp, _ = call(t, ts, "OPTIONS", "/containers/json", nil)
	if resp.StatusCode != 200 {
		t.Errorf("OPTIONS: %d", resp.StatusCode)
	}
}

func TestPanicRecovery(t *testing.T) {
	e, ts := newTestServer(t)
	e.panics["SystemInfo"] = true
	resp, body := call(t, ts, "GET", "/info", nil)
	wantStatus(t, resp, body, 500, "internal server error: fake panic in SystemInfo")
	if resp.Header.Get("Api-Version") == "" {
		t.Error("headers missing on the panic response")
	}
	e.panics["SystemInfo"] = false
	resp, body = call(t, ts, "GET", "/info", nil)
	wantStatus(t, resp, body, 200, "")
}

func TestSystemEndpoints(t *testing.T) {
	_, ts := newTestServer(t)
	resp, body := call(t, ts, "GET", "/version", nil)
	wantStatus(t, resp, body, 200, "")
	var v map[string]any
	_ = json.Unmarshal(body, &v)
	if v["ApiVersion"] != api.MaxVersion || v["MinAPIVersion"] != api.MinVersion || v["Version"] != "0.0.0-test" {
		t.Errorf("version %s", body)
	}

	// /info: Runtimes' status only from API 1.44, BridgeNfIptables before 1.50.
	resp, body = call(t, ts, "GET", "/v1.43/info", nil)
	wantStatus(t, resp, body, 200, "")
	if bytes.Contains(body, []byte(`"status"`)) || !bytes.Contains(body, []byte(`"BridgeNfIptables":false`)) ||
		!bytes.Contains(body, []byte(`"LocalNodeState":"inactive"`)) {
		t.Errorf("v1.43 info: %s", body)
	}
	resp, body = call(t, ts, "GET", "/info", nil)
	wantStatus(t, resp, body, 200, "")
	if !bytes.Contains(body, []byte(`"status":{"a":"b"}`)) || bytes.Contains(body, []byte("BridgeNfIptables")) {
		t.Errorf("info: %s", body)
	}

	resp, body = call(t, ts, "GET", "/v1.50/system/df", nil)
	wantStatus(t, resp, body, 200, "")
	if !strings.HasPrefix(string(body), `{"LayersSize":4096,"Images":[{"Containers":0,"Created":0,"Id":"sha256:bbb`) {
		t.Errorf("v1.50 df: %s", body)
	}
	resp, body = call(t, ts, "GET", "/system/df?verbose=1", nil)
	wantStatus(t, resp, body, 200, "")
	if !strings.HasPrefix(string(body), `{"ImageUsage":{"Items":[{`) || bytes.Contains(body, []byte("LayersSize")) {
		t.Errorf("df verbose: %s", body)
	}
	resp, body = call(t, ts, "GET", "/system/df?type=bogus", nil)
	wantStatus(t, resp, body, 400, "unknown object type: bogus")
}

func TestNetworksVolumesWithoutBackends(t *testing.T) {
	_, ts := newTestServer(t)
	resp, body := call(t, ts, "GET", "/v1.50/networks", nil)
	wantStatus(t, resp, body, 200, "")
	if string(body) != "[]\n" {
		t.Errorf("networks: %q", body)
	}
	resp, body = call(t, ts, "GET", "/volumes", nil)
	wantStatus(t, resp, body, 200, "")
	if string(body) != `{"Volumes":[],"Warnings":[]}`+"\n" {
		t.Errorf("volumes: %q", body)
	}
	resp, body = call(t, ts, "GET", `/networks?filters={"bogus":{"x":true}}`, nil)
	wantStatus(t, resp, body, 400, "invalid filter 'bogus'")
}

func TestMissingBackends(t *testing.T) {
	ts := httptest.NewServer(New(Options{Logger: testLogger(t)}))
	defer ts.Close()
	for _, p := range []string{"/info", "/containers/json", "/images/json", "/events"} {
		resp, body := call(t, ts, "GET", p, nil)
		wantStatus(t, resp, body, 501, "backend is not available")
	}
	resp, body := call(t, ts, "GET", "/version", nil)
	wantStatus(t, resp, body, 200, "")
}
