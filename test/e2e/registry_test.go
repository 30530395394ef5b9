package e2e

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// berthd --registry-addr serves the embedded OCI registry (issue 5).
func TestEmbeddedRegistry(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	startDaemon(t, "--registry-addr", addr)
	for path, want := range map[string]string{"/v2/": "{}", "/v2/_catalog": `"repositories":[]`} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), want) {
			t.Errorf("GET %s: %d %s", path, resp.StatusCode, b)
		}
	}
}
