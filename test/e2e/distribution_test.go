package e2e

import (
	"archive/tar"
	"crypto/rand"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berthproject/berth/internal/testutil"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestDistributionTLSAuth is acceptance point 1 of issue 6: the real docker
// CLI logs in, pushes, removes, pulls and runs an image through berthd
// against Debian's docker-registry serving TLS (a CA made by the test,
// trusted through /etc/docker/certs.d/<host:port>/ca.crt) with htpasswd.
// The registry and berthd share a network namespace where the registry has
// a non-loopback address, so the certificate is really verified; a wrong
// password is a clear 401.
func TestDistributionTLSAuth(t *testing.T) {
	testutil.RequirePrivileged(t, testutil.NeedRoot, testutil.NeedNetNS)
	const ip = "10.213.78.1"
	prefix := netns(t, ip)
	reg := testutil.StartRegistry(t, testutil.RegistryOptions{Addr: ip + ":5000", TLS: true,
		Users: map[string]string{"alice": "wonderland"}, Prefix: prefix})
	d := startDaemonIn(t, prefix)
	d.importBusybox()
	ref := reg.Addr + "/e2e/busybox:v1"
	d.mustDocker("tag", "busybox", ref)

	r := d.run(dockerCLI, []byte("wonderland"), "login", reg.Addr, "-u", "alice", "--password-stdin")
	if r.code == 0 || !strings.Contains(r.stderr, "certificate signed by unknown authority") {
		t.Fatalf("login with an untrusted CA: %+v", r)
	}
	certs := filepath.Join("/etc/docker/certs.d", reg.Addr)
	if _, err := os.Stat("/etc/docker/certs.d"); os.IsNotExist(err) {
		t.Cleanup(func() { os.Remove("/etc/docker/certs.d") }) // runs last: only when empty
	}
	if err := os.MkdirAll(certs, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(certs) })
	if err := os.WriteFile(filepath.Join(certs, "ca.crt"), reg.CA, 0o644); err != nil {
		t.Fatal(err)
	}

	if r := d.docker("push", ref); r.code == 0 || !strings.Contains(r.stderr, "no basic auth credentials") {
		t.Fatalf("push without login: %+v", r)
	}
	r = d.run(dockerCLI, []byte("nope"), "login", reg.Addr, "-u", "alice", "--password-stdin")
	if want := "Error response from daemon: login attempt to https://" + reg.Addr + "/v2/ failed with status: 401 Unauthorized"; r.code != 1 || !strings.Contains(r.stderr, want) {
		t.Fatalf("wrong password: %+v", r)
	}
	if out := d.runStdin([]byte("wonderland"), "login", reg.Addr, "-u", "alice", "--password-stdin"); !strings.Contains(out, "Login Succeeded") {
		t.Fatalf("login: %s", out)
	}
	out := d.mustDocker("push", ref)
	m := regexp.MustCompile(`v1: digest: (sha256:[0-9a-f]{64}) size: \d+`).FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "Pushed") {
		t.Fatalf("push output:\n%s", out)
	}
	d.mustDocker("rmi", ref)
	if r := d.docker("image", "inspect", ref); r.code == 0 {
		t.Fatalf("image still there after rmi")
	}
	out = d.mustDocker("pull", ref)
	if !strings.Contains(out, "Pull complete") || !strings.Contains(out, "Status: Downloaded newer image for "+ref) {
		t.Fatalf("pull output:\n%s", out)
	}
	if got := strings.TrimSpace(d.mustDocker("image", "inspect", "-f", "{{index .RepoDigests 0}}", ref)); got != reg.Addr+"/e2e/busybox@"+m[1] {
		t.Fatalf("pulled %s, pushed %s", got, m[1])
	}
	if out := d.mustDocker("run", "--rm", ref, "echo", "pulled and running"); out != "pulled and running\n" {
		t.Fatalf("run: %q", out)
	}
	// berth reads the credentials docker login stored.
	d.mustDocker("rmi", ref)
	if r := d.berth("pull", ref); r.code != 0 || !strings.Contains(r.stdout, "Downloaded newer image") {
		t.Fatalf("berth pull with docker's credentials: %+v", r)
	}
	d.mustDocker("logout", reg.Addr)
	if r := d.berth("pull", reg.Addr+"/e2e/busybox:nope"); r.code == 0 || !strings.Contains(r.stderr, "no basic auth credentials") {
		t.Fatalf("pull after logout: %+v", r)
	}
	if r := d.run(filepath.Join(binDir, "berth"), []byte("wonderland"), "login", reg.Addr, "-u", "alice", "--password-stdin"); r.code != 0 {
		t.Fatalf("berth login: %+v", r)
	}
	if r := d.docker("pull", ref); r.code != 0 {
		t.Fatalf("docker pull with berth's credentials: %+v", r)
	}
}

// TestDistributionMultiPlatform is acceptance point 2: an index with amd64
// and arm64 images; a pull picks amd64, --platform linux/arm64 gets arm64.
func TestDistributionMultiPlatform(t *testing.T) {
	testutil.RequirePrivileged(t, testutil.NeedRoot)
	reg := testutil.StartRegistry(t, testutil.RegistryOptions{})
	busybox, err := os.ReadFile(busyboxTar)
	if err != nil {
		t.Fatal(err)
	}
	repo := reg.Addr + "/e2e/multi"
	amd, amdID := pushTestImage(t, repo, "", "amd64", busybox)
	arm, armID := pushTestImage(t, repo, "", "arm64", tarOfFile(t, "arch", "arm64\n"))
	idx := pushTestIndex(t, repo, "latest", amd, arm)
	d := startDaemon(t)
	out := d.mustDocker("pull", repo)
	if !strings.Contains(out, "Digest: "+idx.String()) {
		t.Fatalf("pull output:\n%s", out)
	}
	if got := strings.TrimSpace(d.mustDocker("image", "inspect", "-f", "{{.Id}} {{.Architecture}}", repo)); got != amdID.String()+" amd64" {
		t.Fatalf("default pull got %s, want %s amd64", got, amdID)
	}
	if out := d.mustDocker("run", "--rm", repo, "uname", "-m"); out != "x86_64\n" {
		t.Fatalf("run: %q", out)
	}
	d.mustDocker("pull", "--platform", "linux/arm64", repo)
	if got := strings.TrimSpace(d.mustDocker("image", "inspect", "-f", "{{.Id}} {{.Architecture}}", repo)); got != armID.String()+" arm64" {
		t.Fatalf("arm64 pull got %s, want %s arm64", got, armID)
	}
	if r := d.docker("pull", "--platform", "linux/s390x", repo); r.code == 0 || !strings.Contains(r.stderr, "no matching manifest for linux/s390x") {
		t.Fatalf("s390x: %+v", r)
	}
}

// TestDistributionMirror is acceptance point 3: with --registry-mirror, `docker
// pull busybox` is served by the mirror and listed as busybox:latest.
func TestDistributionMirror(t *testing.T) {
	testutil.RequirePrivileged(t, testutil.NeedRoot)
	mirror := testutil.StartRegistry(t, testutil.RegistryOptions{})
	busybox, err := os.ReadFile(busyboxTar)
	if err != nil {
		t.Fatal(err)
	}
	_, id := pushTestImage(t, mirror.Addr+"/library/busybox", "latest", "amd64", busybox)
	d := startDaemon(t, "--registry-mirror", "http://"+mirror.Addr)
	out := d.mustDocker("pull", "busybox")
	if !strings.Contains(out, "latest: Pulling from library/busybox") || !strings.HasSuffix(out, "docker.io/library/busybox:latest\n") {
		t.Fatalf("pull output:\n%s", out)
	}
	if got := d.mustDocker("images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"); got != "busybox:latest "+id.Encoded()[:12]+"\n" {
		t.Fatalf("images: %q", got)
	}
	if out := d.mustDocker("info", "--format", "{{json .RegistryConfig.Mirrors}}"); !strings.Contains(out, mirror.Addr) {
		t.Errorf("info mirrors: %s", out)
	}
}

// TestDistributionPullFailures is acceptance point 4: a blob served with a
// wrong digest fails the pull with a digest mismatch and leaves no image,
// blob, ingest or snapshot; a registry killed in the middle of a pull
// gives a clean error, and the pull succeeds once it is back.
func TestDistributionPullFailures(t *testing.T) {
	testutil.RequirePrivileged(t, testutil.NeedRoot)
	reg := testutil.StartRegistry(t, testutil.RegistryOptions{})
	repo := reg.Addr + "/e2e/bad"
	noise := make([]byte, 8<<20)
	rand.Read(noise)
	desc, _ := pushTestImage(t, repo, "v1", "amd64", tarOfFile(t, "big", string(noise)))
	layer := manifestLayer(t, reg, desc.Digest.Encoded())
	d := startDaemon(t)
	before := d.storeState()
	blob := reg.BlobPath(layer)
	b, _ := os.ReadFile(blob)
	good := slices.Clone(b)
	b[len(b)/2] ^= 0xff
	os.WriteFile(blob, b, 0o644)
	r := d.docker("pull", repo+":v1")
	if r.code == 0 || !strings.Contains(r.stderr, "digest mismatch") || !strings.Contains(r.stderr, layer) {
		t.Fatalf("corrupt blob: %+v", r)
	}
	if after := d.storeState(); after != before {
		t.Fatalf("left behind after a failed pull:\nbefore %s\nafter  %s", before, after)
	}
	os.WriteFile(blob, good, 0o644)

	// Kill the registry while the layer streams through a slow proxy.
	proxy := testutil.SlowProxy(t, reg.Addr, 2<<20)
	var once sync.Once
	killed := make(chan struct{})
	go func() {
		time.Sleep(700 * time.Millisecond)
		once.Do(func() { reg.Stop(); close(killed) })
	}()
	r = d.docker("pull", proxy+"/e2e/bad:v1")
	<-killed
	if r.code == 0 || strings.Contains(r.stderr, "digest mismatch") {
		t.Fatalf("pull with the registry killed: %+v", r)
	}
	t.Logf("pull with the registry killed: %s", strings.TrimSpace(r.stderr))
	if after := d.storeState(); after != before {
		t.Fatalf("left behind after a killed pull:\nbefore %s\nafter  %s", before, after)
	}
	reg.Start()
	if out := d.mustDocker("pull", proxy+"/e2e/bad:v1"); !strings.Contains(out, "Downloaded newer image") {
		t.Fatalf("pull after the registry came back:\n%s", out)
	}
}

// storeState summarises the daemon's blobs, ingests, snapshots and images.
func (d *daemon) storeState() string {
	raw, _ := json.Marshal(map[string]any{
		"blobs": d.dirEntries("content/blobs/sha256"), "ingest": d.dirEntries("content/ingest"),
		"snapshots": d.dirEntries("snapshots/snapshots"), "images": d.mustDocker("images", "-aq"),
	})
	return string(raw)
}

// manifestLayer returns the hex digest of the first layer of a manifest
// stored in the registry.
func manifestLayer(t *testing.T, reg *testutil.Registry, manifest string) string {
	t.Helper()
	raw, err := os.ReadFile(reg.BlobPath(manifest))
	if err != nil {
		t.Fatal(err)
	}
	var m struct{ Layers []struct{ Digest string } }
	json.Unmarshal(raw, &m)
	return strings.TrimPrefix(m.Layers[0].Digest, "sha256:")
}

// TestDistributionDockerdInterop is acceptance point 5: an image pushed by
// berthd and pulled by dockerd has the same image ID, and the other way
// round. Both daemons and the registry share a network namespace.
func TestDistributionDockerdInterop(t *testing.T) {
	testutil.RequirePrivileged(t, testutil.NeedRoot, testutil.NeedNetNS)
	prefix := netns(t, "")
	reg := testutil.StartRegistry(t, testutil.RegistryOptions{Addr: "127.0.0.1:5000", Prefix: prefix})
	dd := startDockerd(t, prefix)
	d := startDaemonIn(t, prefix)

	fromBerth := reg.Addr + "/interop/from-berth:v1"
	berthID := strings.TrimSpace(d.mustDocker("import", "-c", `CMD ["sh"]`, busyboxTar, fromBerth))
	d.mustDocker("push", fromBerth)
	dd.must("pull", fromBerth)
	if got := strings.TrimSpace(dd.must("image", "inspect", "-f", "{{.Id}}", fromBerth)); got != berthID {
		t.Fatalf("dockerd pulled %s, berthd pushed %s", got, berthID)
	}
	if out := dd.must("run", "--rm", "--network", "none", fromBerth, "echo", "ok"); out != "ok\n" {
		t.Errorf("dockerd run: %q", out)
	}

	fromDocker := reg.Addr + "/interop/from-docker:v1"
	dockerID := strings.TrimSpace(dd.must("import", "-c", `CMD ["sh"]`, busyboxTar, fromDocker))
	dd.must("push", fromDocker)
	d.mustDocker("pull", fromDocker)
	if got := strings.TrimSpace(d.mustDocker("image", "inspect", "-f", "{{.Id}}", fromDocker)); got != dockerID {
		t.Fatalf("berthd pulled %s, dockerd pushed %s", got, dockerID)
	}
	if out := d.mustDocker("run", "--rm", fromDocker, "echo", "ok"); out != "ok\n" {
		t.Errorf("berthd run: %q", out)
	}
	// dockerd's save loads into berthd with the same ID, and back.
	tar := filepath.Join(t.TempDir(), "from-docker.tar")
	dd.must("save", "-o", tar, fromDocker)
	d.mustDocker("rmi", fromDocker)
	d.mustDocker("load", "-i", tar)
	if got := strings.TrimSpace(d.mustDocker("image", "inspect", "-f", "{{.Id}}", fromDocker)); got != dockerID {
		t.Fatalf("berthd loaded %s from dockerd's save of %s", got, dockerID)
	}
	// berthd's saves (an imported image; a pulled one, stored gzipped) are
	// valid OCI layouts that dockerd loads with the same IDs.
	for ref, id := range map[string]string{fromBerth: berthID, fromDocker: dockerID} {
		tar := filepath.Join(t.TempDir(), "save.tar")
		d.mustDocker("pull", fromDocker)
		d.mustDocker("save", "-o", tar, ref)
		checkOCILayout(t, tar)
		dd.must("rmi", ref)
		dd.must("load", "-i", tar)
		if got := strings.TrimSpace(dd.must("image", "inspect", "-f", "{{.Id}}", ref)); got != id {
			t.Fatalf("dockerd loaded %s from berthd's save of %s", got, id)
		}
	}
}

// checkOCILayout checks that every descriptor reachable from index.json
// names a blob of the archive with that size and digest.
func checkOCILayout(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	files := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		files[h.Name] = b
	}
	var check func(d ocispec.Descriptor)
	check = func(d ocispec.Descriptor) {
		b, ok := files["blobs/sha256/"+d.Digest.Encoded()]
		if !ok || int64(len(b)) != d.Size || digest.FromBytes(b) != d.Digest {
			t.Fatalf("%s: blob %s (%d bytes) missing or wrong (have %v, %d bytes)", path, d.Digest, d.Size, ok, len(b))
		}
		if d.MediaType == ocispec.MediaTypeImageManifest {
			var m ocispec.Manifest
			json.Unmarshal(b, &m)
			for _, c := range append([]ocispec.Descriptor{m.Config}, m.Layers...) {
				check(c)
			}
		}
	}
	var idx ocispec.Index
	if err := json.Unmarshal(files["index.json"], &idx); err != nil || len(idx.Manifests) == 0 || files["oci-layout"] == nil {
		t.Fatalf("%s: index.json %s: %v", path, files["index.json"], err)
	}
	for _, m := range idx.Manifests {
		check(m)
	}
}
