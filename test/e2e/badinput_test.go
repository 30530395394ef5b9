package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Acceptance 6: bad input answers like dockerd, and a panic is contained.
func TestBadInputAnswers(t *testing.T) {
	t.Setenv("BERTH_TEST_PANIC_ROUTE", "1")
	d := startDaemon(t)
	d.importBusybox()
	d.mustDocker("run", "-d", "--name", "busy", "busybox", "sleep", "1000")
	hc := d.httpClient()
	call := func(method, path, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, "http://berth"+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var msg struct{ Message string }
		if err := json.Unmarshal(b, &msg); err != nil || msg.Message == "" {
			t.Errorf("%s %s: body %q is not {\"message\": ...}", method, path, b)
		}
		return resp.StatusCode, msg.Message
	}
	for _, tc := range []struct {
		method, path, body string
		status             int
		msg                string
	}{
		{"POST", "/v1.50/containers/create", `{"Image": "busybox",`, 400, ""},
		{"POST", "/v1.50/containers/create", `{"Image": "nope:latest"}`, 404, "No such image: nope:latest"},
		{"GET", "/v1.50/containers/nope/json", "", 404, "No such container: nope"},
		{"POST", "/v1.50/containers/create?name=busy", `{"Image": "busybox"}`, 409, `The container name "/busy" is already in use`},
		{"DELETE", "/v1.50/containers/busy", "", 409, "container is running"},
		{"POST", "/v1.50/images/busybox/tag?repo=Not%20Valid", "", 400, "invalid reference format"},
		{"POST", "/v1.50/containers/create", `{"Image": "Upper"}`, 400, "invalid reference format"},
		{"GET", "/_berth/panic", "", 500, ""},
	} {
		status, msg := call(tc.method, tc.path, tc.body)
		if status != tc.status || !strings.Contains(msg, tc.msg) {
			t.Errorf("%s %s %s: %d %q, want %d containing %q", tc.method, tc.path, tc.body, status, msg, tc.status, tc.msg)
		}
	}
	// Still serving after the panic.
	if out := d.mustDocker("ps", "--format", "{{.Names}}"); out != "busy\n" {
		t.Fatalf("ps after the panic: %q", out)
	}
	if !strings.Contains(d.logs(), "panic") {
		t.Error("the panic was not logged")
	}
}
