package registry

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berthproject/berth/internal/testutil"
)

// regIP is the address the registry gets inside the test's network
// namespace. dockerd treats 127.0.0.0/8 as an insecure registry (it skips
// certificate checks there, unconditionally), so the test uses a private
// address on the namespace's loopback to make dockerd verify the chain.
const regIP = "10.213.77.1"

// netns creates a network namespace with lo up and regIP on it, and
// returns the command prefix that runs a program inside it.
func netns(t *testing.T) []string {
	t.Helper()
	var b [4]byte
	rand.Read(b[:])
	name := "berth-reg-" + hex.EncodeToString(b[:])
	run := func(args ...string) {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("netns", "add", name)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	run("-n", name, "link", "set", "lo", "up")
	run("-n", name, "addr", "add", regIP+"/32", "dev", "lo")
	// nsenter enters only the network namespace; "ip netns exec" would also
	// remount /sys and hide the cgroup mounts dockerd needs.
	return []string{"nsenter", "--net=/run/netns/" + name, "--"}
}

// dockerd starts a private dockerd in the namespace and returns the
// environment that points the docker CLI at it.
func dockerd(t *testing.T, prefix []string) []string {
	t.Helper()
	bin, err := exec.LookPath("dockerd")
	if err != nil {
		t.Skip("dockerd not installed")
	}
	dir := t.TempDir()
	execRoot := filepath.Join(dir, "x") // short: containerd's socket lives below it
	os.WriteFile(filepath.Join(dir, "daemon.json"), []byte("{}"), 0o600)
	sock := filepath.Join(dir, "docker.sock")
	args := append(append([]string{}, prefix...), bin, "--data-root", filepath.Join(dir, "data"), "--exec-root", execRoot,
		"--pidfile", filepath.Join(dir, "pid"), "-H", "unix://"+sock, "--config-file", filepath.Join(dir, "daemon.json"),
		"--bridge", "none", "--iptables=false", "--ip-masq=false", "--storage-driver", "vfs", "--log-level", "warn")
	logf, _ := os.Create(filepath.Join(dir, "dockerd.log"))
	cmd := osexec(args, logf)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("dockerd log:\n%s", b)
		}
	})
	env := append(os.Environ(), "DOCKER_HOST=unix://"+sock, "DOCKER_CONFIG="+filepath.Join(dir, "cli"))
	for range 300 {
		if _, err := docker(env, "", "version"); err == nil {
			return env
		}
		time.Sleep(100 * time.Millisecond)
	}
	b, _ := os.ReadFile(logf.Name())
	t.Fatalf("dockerd did not start:\n%s", b)
	return nil
}

func osexec(argv []string, out *os.File) *exec.Cmd {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = out, out
	return cmd
}

func docker(env []string, stdin string, args ...string) (string, error) {
	cmd := exec.Command("docker", args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestDockerPushPull pushes an image with the real docker CLI (through a
// private dockerd) to berth-registry over TLS, then removes it locally and
// pulls it back, by tag and by digest: once with htpasswd basic auth, once
// with the Docker token flow against the built-in token issuer. dockerd
// must verify the registry's certificate: without the CA in certs.d the
// login fails.
func TestDockerPushPull(t *testing.T) {
	testutil.RequirePrivileged(t, testutil.NeedRoot, testutil.NeedNetNS)
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("docker CLI not installed")
	}
	if _, err := exec.LookPath("dockerd"); err != nil {
		t.Skip("dockerd not installed")
	}
	prefix := netns(t)
	dir := t.TempDir()
	certFile, keyFile, _ := testCertificate(t, dir)
	ca, _ := os.ReadFile(filepath.Join(dir, "ca.crt"))
	users := writeHtpasswd(t, map[string]string{"alice": "wonderland"})
	env := dockerd(t, prefix)
	image := testutil.BusyboxTar(t)
	auths := map[string]AuthConfig{
		"htpasswd": {Htpasswd: &HtpasswdConfig{Path: users}},
		"token":    {Token: &TokenConfig{Service: "berth-e2e", Issuer: "berth-e2e", Issue: &IssueConfig{Htpasswd: users}}},
	}
	for name, auth := range auths {
		t.Run(name, func(t *testing.T) {
			cfg := Config{
				Storage: StorageConfig{RootDir: t.TempDir()},
				TLS:     TLSConfig{CertFile: certFile, KeyFile: keyFile},
				Auth:    auth,
			}
			_, addr := startChild(t, cfg, regIP+":0", prefix...)
			dockerRoundTrip(t, env, addr, image, ca)
		})
	}
}

// dockerRoundTrip logs in (first untrusted, then with the CA in certs.d),
// pushes, removes and pulls an image.
func dockerRoundTrip(t *testing.T, env []string, addr, image string, ca []byte) {
	must := func(stdin string, args ...string) string {
		t.Helper()
		out, err := docker(env, stdin, args...)
		if err != nil {
			t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	ref := addr + "/e2e/busybox:v1"
	must("", "import", image, ref)
	if out, err := docker(env, "wonderland", "login", addr, "-u", "alice", "--password-stdin"); err == nil ||
		!strings.Contains(out, "certificate signed by unknown authority") {
		t.Fatalf("login without trusting the CA: %v\n%s", err, out)
	}
	certsDir := filepath.Join("/etc/docker/certs.d", addr)
	if _, err := os.Stat(filepath.Dir(certsDir)); os.IsNotExist(err) {
		t.Cleanup(func() { os.Remove(filepath.Dir(certsDir)) }) // runs last: only if empty
	}
	if err := os.MkdirAll(certsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(certsDir) })
	os.WriteFile(filepath.Join(certsDir, "ca.crt"), ca, 0o644)

	if out, err := docker(env, "", "push", ref); err == nil {
		t.Fatalf("push without login succeeded:\n%s", out)
	}
	if out, err := docker(env, "wrong", "login", addr, "-u", "alice", "--password-stdin"); err == nil {
		t.Fatalf("login with a wrong password succeeded:\n%s", out)
	}
	must("wonderland", "login", addr, "-u", "alice", "--password-stdin")
	out := must("", "push", ref)
	m := regexp.MustCompile(`v1: digest: (sha256:[0-9a-f]{64}) size: \d+`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("push output has no digest:\n%s", out)
	}
	must("", "rmi", ref)
	if out, err := docker(env, "", "image", "inspect", ref); err == nil {
		t.Fatalf("image still present after rmi:\n%s", out)
	}
	must("", "pull", ref)
	if got := strings.TrimSpace(must("", "image", "inspect", "--format", "{{index .RepoDigests 0}}", ref)); got != addr+"/e2e/busybox@"+m[1] {
		t.Fatalf("pulled %s, pushed %s", got, m[1])
	}
	must("", "pull", addr+"/e2e/busybox@"+m[1])
	must("", "logout", addr)
	t.Logf("docker push/pull over verified TLS: %s@%s", ref, m[1])
}
