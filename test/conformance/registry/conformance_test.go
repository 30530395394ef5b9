package registry_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berthproject/berth/internal/registry"
	"golang.org/x/crypto/bcrypt"
)

// The pinned suites (the versions of the shared distribution-conformance recipe):
// the 2026 v2 suite and the classic ginkgo suite with its four workflows.
const (
	v2Suite      = "github.com/opencontainers/distribution-spec/conformance@v0.0.0-20260831232431-97274622c111"
	classicSuite = "github.com/opencontainers/distribution-spec/conformance@v0.0.0-20231101194043-f2182352d4cc"
)

// suites builds both conformance suites from the module proxy once per
// version and caches the binaries in the user cache directory.
func suites(t *testing.T) (v2, classic string) {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "berth", "distribution-conformance", "v20260831-c20231101")
	v2, classic = filepath.Join(dir, "conformance"), filepath.Join(dir, "conformance-classic.test")
	if _, err := os.Stat(v2); err == nil {
		if _, err := os.Stat(classic); err == nil {
			return v2, classic
		}
	}
	work := t.TempDir()
	env := append(os.Environ(), "GOTOOLCHAIN=local", "GOWORK=off", "GOFLAGS=-mod=mod",
		"GONOSUMDB=github.com/opencontainers/distribution-spec", "GOBIN="+work)
	run := func(args ...string) {
		cmd := exec.CommandContext(t.Context(), "go", args...)
		cmd.Dir, cmd.Env = work, env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("install", v2Suite)
	run("mod", "init", "conformancebuild")
	run("get", "-t", classicSuite)
	run("test", "-c", "-o", filepath.Join(work, "conformance-classic.test"), "github.com/opencontainers/distribution-spec/conformance")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"conformance", "conformance-classic.test"} {
		if err := os.Rename(filepath.Join(work, f), filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	return v2, classic
}

// serve starts berth-registry with filesystem storage on 127.0.0.1:<free
// port> and returns its address.
func serve(t *testing.T, cfg registry.Config) string {
	t.Helper()
	cfg.Storage.RootDir = t.TempDir()
	cfg.Log.NoAccessLog = true
	reg, err := registry.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- reg.Serve(ctx, ln, nil) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return ln.Addr().String()
}

var v2Count = regexp.MustCompile(`(?m)^\s+(Pass|FAIL|Skip|Disabled|Error|Total)\.+:\s+(\d+)`)

// runV2 runs the v2 suite and returns its counts and output.
func runV2(t *testing.T, bin, addr string, extra ...string) (map[string]int, string) {
	t.Helper()
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	cmd := exec.CommandContext(t.Context(), bin)
	cmd.Dir = t.TempDir()
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + cmd.Dir, "OCI_REGISTRY=" + addr, "OCI_TLS=disabled",
		"OCI_REPO1=conformance/r" + run + "-a", "OCI_REPO2=conformance/r" + run + "-b", "OCI_RESULTS_DIR=" + cmd.Dir + "/results"}, extra...)
	out, _ := cmd.CombinedOutput()
	counts := map[string]int{}
	for _, m := range v2Count.FindAllStringSubmatch(string(out), -1) {
		counts[m[1]], _ = strconv.Atoi(m[2])
	}
	if counts["Total"] == 0 {
		t.Fatalf("v2 suite printed no summary:\n%s", out)
	}
	return counts, string(out)
}

func summary(c map[string]int) string {
	return fmt.Sprintf("Pass=%d FAIL=%d Error=%d Skip=%d Disabled=%d Total=%d",
		c["Pass"], c["FAIL"], c["Error"], c["Skip"], c["Disabled"], c["Total"])
}

// apiStatus extracts the suite's "API conformance" table.
func apiStatus(out string) map[string]string {
	st := map[string]string{}
	_, table, _ := strings.Cut(out, "API conformance:")
	table, _, _ = strings.Cut(table, "\n\n")
	for line := range strings.SplitSeq(table, "\n") {
		name, val, ok := strings.Cut(line, ":")
		if ok {
			st[strings.Trim(strings.TrimSpace(name), ".")] = strings.TrimSpace(val)
		}
	}
	return st
}

// TestRegistryConformance runs the OCI distribution-spec conformance
// suites against berth-registry: the v2 suite (spec 1.1 defaults, sha512
// included; the "dev" profile that also tests upload cancel, tag parameters
// and digest headers; and 1.1 over TLS with htpasswd auth) and the classic
// suite's four workflows, one by one and all at once. Every failure fails
// the test; the summary lines are logged (go test -v shows them).
func TestRegistryConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the conformance suites from the module proxy")
	}
	v2, classic := suites(t)
	addr := serve(t, registry.Config{})

	counts, out := runV2(t, v2, addr)
	t.Logf("v2 suite (OCI_VERSION=1.1, sha512 on): %s", summary(counts))
	api := apiStatus(out)
	for name, st := range api {
		optional := name == "Blob upload cancel" || name == "Manifest put with tag params"
		if (optional && st != "Disabled") || (!optional && st != "Pass") {
			t.Errorf("v2 1.1 API %q: %s", name, st)
		}
	}
	if counts["FAIL"]+counts["Error"]+counts["Skip"] != 0 || counts["Disabled"] != 2 || len(api) < 20 {
		t.Errorf("v2 suite 1.1: %s\n%s", summary(counts), out)
	}

	counts, out = runV2(t, v2, addr, "OCI_VERSION=dev")
	t.Logf("v2 suite (OCI_VERSION=dev: + upload cancel, tag params, digest headers): %s", summary(counts))
	if counts["FAIL"]+counts["Error"]+counts["Skip"]+counts["Disabled"] != 0 {
		t.Errorf("v2 suite dev: %s\n%s", summary(counts), out)
	}

	tlsCfg := secured(t)
	tlsAddr := serve(t, tlsCfg)
	counts, out = runV2(t, v2, tlsAddr, "OCI_TLS=enabled", "SSL_CERT_FILE="+tlsCfg.TLS.CertFile,
		"OCI_USERNAME=conformance", "OCI_PASSWORD=s3cret")
	t.Logf("v2 suite (1.1 over TLS with htpasswd basic auth): %s", summary(counts))
	if counts["FAIL"]+counts["Error"]+counts["Skip"] != 0 {
		t.Errorf("v2 suite TLS+auth: %s\n%s", summary(counts), out)
	}

	runClassic(t, classic, addr)
}

var classicCount = regexp.MustCompile(`(\d+) Passed \| (\d+) Failed`)

func runClassic(t *testing.T, bin, addr string) {
	workflows := []struct {
		name, vars string
		want       int
	}{
		{"pull", "OCI_TEST_PULL", 24},
		{"push", "OCI_TEST_PUSH", 26},
		{"content discovery", "OCI_TEST_CONTENT_DISCOVERY", 14},
		{"content management", "OCI_TEST_CONTENT_MANAGEMENT", 10},
		{"all four workflows", "OCI_TEST_PULL OCI_TEST_PUSH OCI_TEST_CONTENT_DISCOVERY OCI_TEST_CONTENT_MANAGEMENT", 74},
	}
	for i, w := range workflows {
		dir := t.TempDir()
		ns := fmt.Sprintf("conformance/c%d-%d", time.Now().UnixNano(), i)
		env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "OCI_ROOT_URL=http://" + addr, "OCI_NAMESPACE=" + ns,
			"OCI_CROSSMOUNT_NAMESPACE=" + ns + "-x", "OCI_HIDE_SKIPPED_WORKFLOWS=1", "OCI_REPORT_DIR=none"}
		for _, v := range strings.Fields(w.vars) {
			env = append(env, v+"=1")
		}
		cmd := exec.CommandContext(t.Context(), bin)
		cmd.Dir, cmd.Env = dir, env
		out, _ := cmd.CombinedOutput()
		plain := regexp.MustCompile("\x1b\\[[0-9;]*m").ReplaceAllString(string(out), "")
		m := classicCount.FindAllStringSubmatch(plain, -1)
		if len(m) == 0 {
			t.Errorf("classic %s: no summary\n%s", w.name, plain)
			continue
		}
		passed, _ := strconv.Atoi(m[len(m)-1][1])
		failed, _ := strconv.Atoi(m[len(m)-1][2])
		t.Logf("classic suite, %s: %d Passed | %d Failed (of %d)", w.name, passed, failed, w.want)
		if passed != w.want || failed != 0 {
			t.Errorf("classic %s: %d passed, %d failed\n%s", w.name, passed, failed, plain)
		}
	}
}

// secured is a registry configuration with TLS (a self-signed certificate
// for 127.0.0.1, which the suite trusts through SSL_CERT_FILE) and an
// htpasswd user conformance/s3cret.
func secured(t *testing.T) registry.Config {
	dir := t.TempDir()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	hash, _ := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	files := map[string][]byte{
		"cert.pem": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		"key.pem":  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}),
		"htpasswd": []byte("conformance:" + string(hash) + "\n"),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return registry.Config{
		TLS:  registry.TLSConfig{CertFile: filepath.Join(dir, "cert.pem"), KeyFile: filepath.Join(dir, "key.pem")},
		Auth: registry.AuthConfig{Htpasswd: &registry.HtpasswdConfig{Path: filepath.Join(dir, "htpasswd")}},
	}
}
