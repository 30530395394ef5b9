package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/logging"
)

func TestAccessLogAndMetrics(t *testing.T) {
	var logs bytes.Buffer
	ctx := logging.WithLogger(t.Context(), slog.New(slog.NewJSONHandler(&logs, nil)))
	reg, err := New(ctx, Config{Storage: StorageConfig{Driver: "inmemory"}})
	if err != nil {
		t.Fatal(err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	mln, _ := net.Listen("tcp", "127.0.0.1:0")
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- reg.Serve(sctx, ln, mln) }()
	defer func() { stop(); <-done }()

	base := "http://" + ln.Addr().String()
	for _, p := range []string{"/v2/", "/v2/x/manifests/missing", "/v2/x/blobs/sha256:nothex"} {
		resp, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	resp, err := http.Get("http://" + mln.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`berth_registry_http_requests_total{method="GET",route="base",code="200"} 1`,
		`berth_registry_http_requests_total{method="GET",route="manifest",code="404"} 1`,
		`berth_registry_http_requests_total{method="GET",route="blob",code="400"} 1`,
		`berth_registry_http_request_duration_seconds_bucket{route="base",le="+Inf"} 1`,
		"# TYPE berth_registry_http_response_bytes_total counter",
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metrics lack %q:\n%s", want, b)
		}
	}
	for _, addr := range []string{ln.Addr().String(), mln.Addr().String()} {
		resp, err = http.Get("http://" + addr + "/debug/health")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("health on %s: %v %v", addr, resp, err)
		}
		resp.Body.Close()
	}
	var entry map[string]any
	for line := range strings.SplitSeq(logs.String(), "\n") {
		if strings.Contains(line, `"path":"/v2/x/manifests/missing"`) {
			json.Unmarshal([]byte(line), &entry)
		}
	}
	if entry["msg"] != "request" || entry["status"] != float64(404) || entry["route"] != "manifest" || entry["method"] != "GET" {
		t.Fatalf("access log entry %v in\n%s", entry, logs.String())
	}
}

func TestServeTLSAndShutdown(t *testing.T) {
	certFile, keyFile, pool := testCertificate(t, t.TempDir())
	reg, err := New(t.Context(), Config{Storage: StorageConfig{Driver: "inmemory"}, TLS: TLSConfig{CertFile: certFile, KeyFile: keyFile}})
	if err != nil {
		t.Fatal(err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- reg.Serve(ctx, ln, nil) }()
	client := tlsClient(pool)
	resp, err := client.Get("https://" + ln.Addr().String() + "/v2/")
	if err != nil || resp.StatusCode != 200 || resp.TLS == nil {
		t.Fatalf("TLS ping: %v %v", resp, err)
	}
	resp.Body.Close()
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve after shutdown: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
}

func TestGarbageCollectLock(t *testing.T) {
	root := t.TempDir()
	cfg := Config{Storage: StorageConfig{RootDir: root, NoSync: true}}
	server, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	release, err := server.lockStorage(false)
	if err != nil {
		t.Fatal(err)
	}
	gc, _ := New(t.Context(), cfg)
	if _, err := gc.GarbageCollect(t.Context(), storageGCOptions()); !errdefs.IsConflict(err) {
		t.Fatalf("GC beside a read-write registry: %v", err)
	}
	release()
	if _, err := gc.GarbageCollect(t.Context(), storageGCOptions()); err != nil {
		t.Fatalf("GC alone: %v", err)
	}
}

func TestConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.json")
	os.WriteFile(path, []byte(`{"addr":"127.0.0.1:0","storage":{"rootDir":"/x"},"uploadMaxAge":"2h","readOnly":true}`), 0o600)
	c, err := LoadConfig(path)
	if err != nil || c.Addr != "127.0.0.1:0" || time.Duration(c.UploadMaxAge) != 2*time.Hour || !c.ReadOnly || c.Validate() != nil {
		t.Fatalf("LoadConfig = %+v, %v", c, err)
	}
	os.WriteFile(path, []byte(`{"storage":{"rootdir":"/x"},"readonly":true, "typo": 1}`), 0o600)
	if _, err := LoadConfig(path); !errdefs.IsInvalidArgument(err) {
		t.Fatalf("unknown field accepted: %v", err)
	}
	bad := []Config{
		{},
		{Storage: StorageConfig{Driver: "s3"}},
		{Storage: StorageConfig{Driver: "inmemory"}, TLS: TLSConfig{CertFile: "c"}},
		{Storage: StorageConfig{Driver: "inmemory"}, Auth: AuthConfig{Htpasswd: &HtpasswdConfig{Path: "p"}, Token: &TokenConfig{}}},
		{Storage: StorageConfig{Driver: "inmemory"}, Auth: AuthConfig{Token: &TokenConfig{Service: "s", Issuer: "i"}}},
	}
	for i, c := range bad {
		if err := c.Validate(); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("bad config %d accepted: %+v", i, c)
		}
	}
}

// TestImports is the registry's dependency check (go-containerregistry's
// depcheck style): berth-registry and everything it links must stay inside
// the registry's own packages, errdefs and logging, plus an allowlist of
// third-party modules. In particular it never imports the engine.
func TestImports(t *testing.T) {
	out, err := exec.CommandContext(t.Context(), "go", "list", "-deps", "../../cmd/berth-registry").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	allowed := []string{
		"github.com/berthproject/berth/internal/registry",
		"github.com/berthproject/berth/errdefs",
		"github.com/berthproject/berth/internal/logging",
		"github.com/berthproject/berth/cmd/berth-registry",
		"github.com/opencontainers/go-digest", "github.com/opencontainers/image-spec",
		"github.com/distribution/reference", "golang.org/x/crypto/", "golang.org/x/sys/",
		"github.com/spf13/cobra", "github.com/spf13/pflag",
	}
	for _, dep := range strings.Fields(string(out)) {
		if !strings.Contains(strings.SplitN(dep, "/", 2)[0], ".") {
			continue // standard library
		}
		ok := false
		for _, a := range allowed {
			ok = ok || strings.HasPrefix(dep, a)
		}
		if !ok || strings.Contains(dep, "internal/engine") {
			t.Errorf("berth-registry depends on %s", dep)
		}
	}
}
