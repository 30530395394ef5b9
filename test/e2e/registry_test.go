package e2e

import (
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berthproject/berth/internal/testutil"
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

// Issue 5, acceptance 2 (through berthd): the docker CLI, through berthd,
// pushes to and pulls from berth-registry over TLS with htpasswd auth. The
// registry and berthd share a private network namespace so that TLS is
// really verified (loopback registries are insecure by default).
func TestBerthRegistryThroughBerthd(t *testing.T) {
	testutil.RequirePrivileged(t, testutil.NeedRoot, testutil.NeedNetNS)
	const ip = "10.213.79.1"
	prefix := netns(t, ip)
	reg := testutil.StartRegistry(t, testutil.RegistryOptions{Addr: ip + ":5000", TLS: true,
		Users: map[string]string{"bob": "builder"}, Prefix: prefix, BerthRegistry: filepath.Join(binDir, "berth-registry")})
	d := startDaemonIn(t, prefix)
	d.importBusybox()
	ref := reg.Addr + "/e2e/busybox:v1"
	d.mustDocker("tag", "busybox", ref)
	certs := filepath.Join("/etc/docker/certs.d", reg.Addr)
	if _, err := os.Stat("/etc/docker/certs.d"); os.IsNotExist(err) {
		t.Cleanup(func() { os.Remove("/etc/docker/certs.d") })
	}
	if err := os.MkdirAll(certs, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(certs) })
	if err := os.WriteFile(filepath.Join(certs, "ca.crt"), reg.CA, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := d.run(dockerCLI, []byte("wrong"), "login", reg.Addr, "-u", "bob", "--password-stdin"); r.code == 0 || !strings.Contains(r.stderr, "401") {
		t.Fatalf("login with a wrong password: %+v", r)
	}
	if out := d.runStdin([]byte("builder"), "login", reg.Addr, "-u", "bob", "--password-stdin"); !strings.Contains(out, "Login Succeeded") {
		t.Fatalf("login: %s", out)
	}
	id := strings.TrimSpace(d.mustDocker("image", "inspect", "-f", "{{.Id}}", ref))
	if out := d.mustDocker("push", ref); !strings.Contains(out, "digest: sha256:") {
		t.Fatalf("push: %s", out)
	}
	d.mustDocker("rmi", ref)
	if out := d.mustDocker("pull", ref); !strings.Contains(out, "Downloaded newer image") {
		t.Fatalf("pull: %s", out)
	}
	if got := strings.TrimSpace(d.mustDocker("image", "inspect", "-f", "{{.Id}}", ref)); got != id {
		t.Fatalf("pulled image %s, pushed %s", got, id)
	}
	if out := d.mustDocker("run", "--rm", ref, "echo", "from berth-registry"); out != "from berth-registry\n" {
		t.Fatalf("run: %q", out)
	}
}
