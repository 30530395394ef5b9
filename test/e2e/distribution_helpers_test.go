package e2e

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berthproject/berth/internal/remote"
	"github.com/distribution/reference"
	"github.com/klauspost/compress/gzip"
	digest "github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// netns creates a network namespace with lo up (and ip on it, when not
// empty) and returns the command prefix that runs a program inside it.
// Tests that need a registry address other than loopback (dockerd and
// berthd skip TLS verification for 127.0.0.0/8) or run dockerd use one,
// so the host's network is never touched.
func netns(t *testing.T, ip string) []string {
	t.Helper()
	var b [4]byte
	rand.Read(b[:])
	name := "berth-e2e-" + hex.EncodeToString(b[:])
	run := func(args ...string) {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	run("netns", "add", name)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	run("-n", name, "link", "set", "lo", "up")
	if ip != "" {
		run("-n", name, "addr", "add", ip+"/32", "dev", "lo")
	}
	// nsenter enters only the network namespace ("ip netns exec" would
	// also remount /sys and hide the cgroup mounts the daemons need).
	return []string{"nsenter", "--net=/run/netns/" + name, "--"}
}

// dockerd is a private reference dockerd.
type dockerd struct {
	t    *testing.T
	host string // unix://...
	cfg  string // DOCKER_CONFIG of its CLI
}

// startDockerd starts dockerd under prefix (a netns) with private roots
// and no bridge or iptables, and stops it (by its PID) at the end. It
// skips the test when dockerd is not installed (CI installs docker.io).
func startDockerd(t *testing.T, prefix []string) *dockerd {
	t.Helper()
	bin, err := exec.LookPath("dockerd")
	if err != nil {
		t.Skip("dockerd not installed")
	}
	dir, err := os.MkdirTemp("", "be2e-dockerd")
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "docker.sock")
	os.WriteFile(filepath.Join(dir, "daemon.json"), []byte("{}"), 0o600)
	argv := append(append([]string{}, prefix...), bin, "--data-root", filepath.Join(dir, "data"), "--exec-root", filepath.Join(dir, "x"),
		"--pidfile", filepath.Join(dir, "pid"), "-H", "unix://"+sock, "--config-file", filepath.Join(dir, "daemon.json"),
		"--bridge", "none", "--iptables=false", "--ip-masq=false", "--log-level", "warn")
	logf, _ := os.Create(filepath.Join(dir, "dockerd.log"))
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &dockerd{t: t, host: "unix://" + sock, cfg: filepath.Join(dir, "cli")}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
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
		for _, m := range mountsUnder(dir) {
			syscall.Unmount(m, syscall.MNT_DETACH)
		}
		os.RemoveAll(dir)
	})
	for range 300 {
		if r := d.docker("", "version"); r.code == 0 {
			return d
		}
		time.Sleep(100 * time.Millisecond)
	}
	b, _ := os.ReadFile(logf.Name())
	t.Fatalf("dockerd did not start:\n%s", b)
	return nil
}

func (d *dockerd) docker(stdin string, args ...string) result {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, dockerCLI, args...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+d.host, "DOCKER_CONFIG="+d.cfg)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		d.t.Fatalf("docker %v: %v", args, err)
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

func (d *dockerd) must(args ...string) string {
	d.t.Helper()
	r := d.docker("", args...)
	if r.code != 0 {
		d.t.Fatalf("dockerd: docker %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// pushTestImage pushes a one-layer image (layer: an uncompressed tar,
// gzipped on the way) for arch to repo (host/path:tag) with the test
// process's own registry client, and returns the manifest descriptor and
// the image ID. With tag "" it is pushed by digest only.
func pushTestImage(t *testing.T, repo, tag, arch string, layer []byte) (ocispec.Descriptor, digest.Digest) {
	t.Helper()
	ctx := t.Context()
	c, err := remote.New(remote.Options{Insecure: []string{"127.0.0.0/8"}})
	if err != nil {
		t.Fatal(err)
	}
	named, err := reference.ParseNormalizedNamed(repo)
	if err != nil {
		t.Fatal(err)
	}
	eps, _ := c.Endpoints(ctx, reference.Domain(named), false)
	r, err := c.Open(ctx, eps[len(eps)-1], named, remote.Credentials{}, true)
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(layer)
	zw.Close()
	upload := func(b []byte) ocispec.Descriptor {
		d, err := r.Upload(ctx, func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }, "")
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	ld := upload(gz.Bytes())
	ld.MediaType = ocispec.MediaTypeImageLayerGzip
	cfg, _ := json.Marshal(ocispec.Image{Platform: ocispec.Platform{OS: "linux", Architecture: arch},
		Config: ocispec.ImageConfig{Cmd: []string{"sh"}},
		RootFS: ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{digest.FromBytes(layer)}}})
	cd := upload(cfg)
	cd.MediaType = ocispec.MediaTypeImageConfig
	m, _ := json.Marshal(ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		Config: cd, Layers: []ocispec.Descriptor{ld}})
	ref := tag
	if ref == "" {
		ref = digest.FromBytes(m).String()
	}
	md, err := r.PutManifest(ctx, ref, ocispec.MediaTypeImageManifest, m)
	if err != nil {
		t.Fatal(err)
	}
	return ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: md, Size: int64(len(m)),
		Platform: &ocispec.Platform{OS: "linux", Architecture: arch}}, cd.Digest
}

// pushTestIndex pushes an OCI index of manifests under tag.
func pushTestIndex(t *testing.T, repo, tag string, manifests ...ocispec.Descriptor) digest.Digest {
	t.Helper()
	c, _ := remote.New(remote.Options{Insecure: []string{"127.0.0.0/8"}})
	named, _ := reference.ParseNormalizedNamed(repo)
	eps, _ := c.Endpoints(t.Context(), reference.Domain(named), false)
	r, err := c.Open(t.Context(), eps[len(eps)-1], named, remote.Credentials{}, true)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex, Manifests: manifests})
	d, err := r.PutManifest(t.Context(), tag, ocispec.MediaTypeImageIndex, raw)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// dirEntries lists what a directory under the daemon's data root holds.
func (d *daemon) dirEntries(rel string) []string {
	entries, _ := os.ReadDir(filepath.Join(d.dataRoot, rel))
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// tarOfFile is an uncompressed layer tar holding one file.
func tarOfFile(t *testing.T, name, body string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(body)), ModTime: time.Unix(1600000000, 0)})
	tw.Write([]byte(body))
	tw.Close()
	return buf.Bytes()
}
