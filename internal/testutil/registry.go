package testutil

import (
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
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// DockerRegistryBin is Debian's distribution 2.8 registry (apt-get install
// docker-registry), the reference server of the registry client's tests.
const DockerRegistryBin = "docker-registry"

// RegistryOptions configure a docker-registry started by StartRegistry.
type RegistryOptions struct {
	// Addr is host:port to listen on; the port is chosen when it is 0
	// ("127.0.0.1:0", the default).
	Addr string
	// TLS serves HTTPS with a certificate for Addr's host signed by a CA
	// made for the test (Registry.CA).
	TLS bool
	// Users enables htpasswd (bcrypt) authentication.
	Users map[string]string
	// Prefix runs the registry under a command (e.g. nsenter into a netns).
	Prefix []string
	// BerthRegistry, when set, is the path of a berth-registry binary to run
	// instead of docker-registry, with the same storage, TLS and users.
	BerthRegistry string
}

// Registry is a running docker-registry.
type Registry struct {
	t    testing.TB
	Addr string // host:port
	// Root is the storage directory (docker/registry/v2/... below it).
	Root string
	// CA is the PEM of the CA that signed the TLS certificate (TLS only).
	CA   []byte
	dir  string
	opts RegistryOptions
	cmd  *exec.Cmd
}

// StartRegistry starts docker-registry on a private storage directory and
// stops it at the end of the test. It skips t when docker-registry is not
// installed (CI installs it).
func StartRegistry(t testing.TB, opts RegistryOptions) *Registry {
	t.Helper()
	if _, err := exec.LookPath(DockerRegistryBin); err != nil && opts.BerthRegistry == "" {
		t.Skipf("%s not installed: %v", DockerRegistryBin, err)
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	host, port, err := net.SplitHostPort(opts.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if port == "0" {
		port = freePort(t)
	}
	dir := t.TempDir()
	r := &Registry{t: t, Addr: net.JoinHostPort(host, port), Root: filepath.Join(dir, "storage"), dir: dir, opts: opts}
	r.writeConfig(host)
	r.Start()
	t.Cleanup(r.Stop)
	return r
}

func freePort(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// writeConfig writes the registry's configuration, certificate and
// htpasswd file.
func (r *Registry) writeConfig(host string) {
	cfg := fmt.Sprintf("version: 0.1\nlog: {level: info, accesslog: {disabled: true}}\n"+
		"storage: {filesystem: {rootdirectory: %s}, delete: {enabled: true}}\nhttp:\n  addr: %s\n", r.Root, r.Addr)
	if r.opts.TLS {
		crt, key := r.certificate(host)
		cfg += fmt.Sprintf("  tls: {certificate: %s, key: %s}\n", crt, key)
	}
	if len(r.opts.Users) > 0 {
		var lines []string
		for u, p := range r.opts.Users {
			h, err := bcrypt.GenerateFromPassword([]byte(p), bcrypt.MinCost)
			if err != nil {
				r.t.Fatal(err)
			}
			lines = append(lines, u+":"+string(h))
		}
		pw := filepath.Join(r.dir, "htpasswd")
		r.write("htpasswd", []byte(strings.Join(lines, "\n")+"\n"))
		cfg += fmt.Sprintf("auth: {htpasswd: {realm: berth-test, path: %s}}\n", pw)
	}
	r.write("config.yml", []byte(cfg))
}

func (r *Registry) write(name string, b []byte) string {
	p := filepath.Join(r.dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		r.t.Fatal(err)
	}
	return p
}

// certificate makes a CA and a server certificate for host.
func (r *Registry) certificate(host string) (crt, key string) {
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "berth test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		r.t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	srvKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	if ip := net.ParseIP(host); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{host}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &srvKey.PublicKey, caKey)
	if err != nil {
		r.t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(srvKey)
	r.CA = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	crt = r.write("server.crt", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	key = r.write("server.key", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	return crt, key
}

// Start (re)starts the registry on its address and storage and waits
// until it listens.
func (r *Registry) Start() {
	r.t.Helper()
	logPath := filepath.Join(r.dir, "registry.log")
	logf, err := os.Create(logPath)
	if err != nil {
		r.t.Fatal(err)
	}
	defer logf.Close()
	argv := append(append([]string{}, r.opts.Prefix...), r.command()...)
	r.cmd = exec.Command(argv[0], argv[1:]...)
	r.cmd.Stdout, r.cmd.Stderr = logf, logf
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	for range 200 {
		if b, _ := os.ReadFile(logPath); strings.Contains(string(b), "listening on") || strings.Contains(string(b), "registry listening") {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	b, _ := os.ReadFile(logPath)
	r.Stop()
	r.t.Fatalf("docker-registry did not start:\n%s", b)
}

// command is the registry's command line: docker-registry with the YAML
// config, or berth-registry with the same settings as flags.
func (r *Registry) command() []string {
	if r.opts.BerthRegistry == "" {
		return []string{DockerRegistryBin, "serve", filepath.Join(r.dir, "config.yml")}
	}
	argv := []string{r.opts.BerthRegistry, "serve", "--addr", r.Addr, "--root", r.Root}
	if r.opts.TLS {
		argv = append(argv, "--tls-cert", filepath.Join(r.dir, "server.crt"), "--tls-key", filepath.Join(r.dir, "server.key"))
	}
	if len(r.opts.Users) > 0 {
		argv = append(argv, "--htpasswd", filepath.Join(r.dir, "htpasswd"))
	}
	return argv
}

// Stop kills the registry (its storage stays, for Start).
func (r *Registry) Stop() {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
	_ = r.cmd.Wait()
	r.cmd = nil
}

// BlobPath is where the registry stores the blob with hex digest hex.
func (r *Registry) BlobPath(hex string) string {
	return filepath.Join(r.Root, "docker/registry/v2/blobs/sha256", hex[:2], hex, "data")
}
