package distribution

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berthproject/berth/internal/content/local"
	"github.com/berthproject/berth/internal/image"
	"github.com/berthproject/berth/internal/remote"
	"github.com/berthproject/berth/internal/snapshot/native"
	"github.com/berthproject/berth/internal/testutil"
	"github.com/distribution/reference"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/moby/moby/api/types/jsonstream"
	digest "github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// env is a Service over a fresh image store (native snapshots) talking to
// registries on loopback (insecure, as berthd's default).
type env struct {
	t      *testing.T
	root   string
	cs     *local.Store
	images *image.Store
	client *remote.Client
	svc    *Service
}

func newEnv(t *testing.T, opts ...remote.Options) *env {
	t.Helper()
	root := t.TempDir()
	cs, err := local.Open(filepath.Join(root, "content"))
	if err != nil {
		t.Fatal(err)
	}
	sn, err := native.New(filepath.Join(root, "snapshots"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := image.New(t.Context(), filepath.Join(root, "image"), cs, sn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(); sn.Close() })
	o := remote.Options{Insecure: []string{"127.0.0.0/8"}, Backoff: 10 * time.Millisecond, MaxAttempts: 3}
	if len(opts) > 0 {
		o = opts[0]
	}
	client, err := remote.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, root: root, cs: cs, images: st, client: client,
		svc: New(st, cs, client, Options{CompressWorkers: 2})}
}

// recorder collects progress messages.
type recorder struct {
	mu   sync.Mutex
	msgs []jsonstream.Message
}

func (r *recorder) add(m jsonstream.Message) { r.mu.Lock(); r.msgs = append(r.msgs, m); r.mu.Unlock() }

// lines renders the messages without progress bars ("id: status").
func (r *recorder) lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, m := range r.msgs {
		if m.Progress != nil && (m.Progress.Total > 0 || m.Aux != nil) {
			continue
		}
		if m.ID != "" {
			out = append(out, m.ID+": "+m.Status)
		} else {
			out = append(out, m.Status)
		}
	}
	return out
}

func (e *env) pull(ref string, opts PullOptions) ([]string, error) {
	e.t.Helper()
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		e.t.Fatal(err)
	}
	var rec recorder
	_, err = e.svc.Pull(e.t.Context(), named, opts, rec.add)
	return rec.lines(), err
}

func (e *env) push(ref string, opts PushOptions) ([]string, []Pushed, error) {
	e.t.Helper()
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		e.t.Fatal(err)
	}
	var rec recorder
	pushed, err := e.svc.Push(e.t.Context(), named, opts, rec.add)
	return rec.lines(), pushed, err
}

// leftovers lists the blobs, snapshots and ingests the stores hold.
func (e *env) leftovers() []string {
	var out []string
	for _, dir := range []string{"content/blobs/sha256", "content/ingest", "snapshots/snapshots"} {
		entries, _ := os.ReadDir(filepath.Join(e.root, dir))
		for _, en := range entries {
			out = append(out, dir+"/"+en.Name())
		}
	}
	list, _ := e.images.List(e.t.Context(), image.ListOptions{All: true})
	for _, img := range list {
		out = append(out, "image "+img.ID)
	}
	return out
}

// layerTar makes an uncompressed layer tar with one file of n bytes of
// pseudo-random content (seeded by name).
func layerTar(t *testing.T, name string, n int) []byte {
	t.Helper()
	body := make([]byte, n)
	seed := uint32(len(name)) * 2654435761
	for i := range body {
		seed = seed*1664525 + 1013904223
		body[i] = byte(seed >> 24)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "data/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: time.Unix(1600000000, 0)})
	tw.WriteHeader(&tar.Header{Name: "data/" + name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(n), ModTime: time.Unix(1600000000, 0)})
	tw.Write(body)
	tw.Close()
	return buf.Bytes()
}

// compress compresses a layer ("gzip", "zstd" or "" for none) and returns
// the blob and its media type.
func compress(t *testing.T, layer []byte, how string) ([]byte, string) {
	var buf bytes.Buffer
	switch how {
	case "gzip":
		w := gzip.NewWriter(&buf)
		w.Write(layer)
		w.Close()
		return buf.Bytes(), ocispec.MediaTypeImageLayerGzip
	case "zstd":
		w, _ := zstd.NewWriter(&buf)
		w.Write(layer)
		w.Close()
		return buf.Bytes(), ocispec.MediaTypeImageLayerZstd
	}
	return layer, ocispec.MediaTypeImageLayer
}

// testImage is an image pushed to a registry by pushImage.
type testImage struct {
	manifest ocispec.Descriptor
	configID digest.Digest
	raw      []byte // manifest bytes
}

// pushImage pushes an image of layers (uncompressed tars, compressed as
// how says) for arch to repo (host/path) under tag ("" for none).
func pushImage(t *testing.T, c *remote.Client, repo, tag, arch, how string, layers ...[]byte) testImage {
	t.Helper()
	r := openRepo(t, c, repo)
	ctx := t.Context()
	var descs []ocispec.Descriptor
	var diffIDs []digest.Digest
	for _, l := range layers {
		blob, mt := compress(t, l, how)
		d, err := r.Upload(ctx, func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(blob)), nil }, "")
		if err != nil {
			t.Fatal(err)
		}
		d.MediaType = mt
		descs = append(descs, d)
		diffIDs = append(diffIDs, digest.FromBytes(l))
	}
	cfg, _ := json.Marshal(ocispec.Image{Platform: ocispec.Platform{OS: "linux", Architecture: arch},
		Config: ocispec.ImageConfig{Cmd: []string{"/bin/sh"}}, RootFS: ocispec.RootFS{Type: "layers", DiffIDs: diffIDs}})
	cd, err := r.Upload(ctx, func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(cfg)), nil }, "")
	if err != nil {
		t.Fatal(err)
	}
	cd.MediaType = ocispec.MediaTypeImageConfig
	m, _ := json.Marshal(ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest, Config: cd, Layers: descs})
	ref := tag
	if ref == "" {
		ref = digest.FromBytes(m).String()
	}
	md, err := r.PutManifest(ctx, ref, ocispec.MediaTypeImageManifest, m)
	if err != nil {
		t.Fatal(err)
	}
	return testImage{manifest: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: md, Size: int64(len(m)),
		Platform: &ocispec.Platform{OS: "linux", Architecture: arch}}, configID: cd.Digest, raw: m}
}

// pushIndex pushes an OCI index of images under tag.
func pushIndex(t *testing.T, c *remote.Client, repo, tag string, imgs ...testImage) digest.Digest {
	t.Helper()
	idx := ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex}
	for _, img := range imgs {
		idx.Manifests = append(idx.Manifests, img.manifest)
	}
	raw, _ := json.Marshal(idx)
	d, err := openRepo(t, c, repo).PutManifest(t.Context(), tag, ocispec.MediaTypeImageIndex, raw)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func openRepo(t *testing.T, c *remote.Client, repo string) *remote.Repository {
	t.Helper()
	named, err := reference.ParseNormalizedNamed(repo)
	if err != nil {
		t.Fatal(err)
	}
	eps, err := c.Endpoints(t.Context(), reference.Domain(named), false)
	if err != nil {
		t.Fatal(err)
	}
	var lastErr error
	for _, ep := range eps {
		r, err := c.Open(t.Context(), ep, named, remote.Credentials{Username: "alice", Password: "wonderland"}, true)
		if err == nil {
			return r
		}
		lastErr = err
	}
	t.Fatal(lastErr)
	return nil
}

func startRegistry(t *testing.T) *testutil.Registry {
	return testutil.StartRegistry(t, testutil.RegistryOptions{})
}

func joined(lines []string) string { return strings.Join(lines, "\n") }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
