package distribution

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/remote"
	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestPull pulls an image with gzip, zstd and uncompressed layers,
// checks the image, its references and dockerd's progress lines, then
// pulls it again (up to date).
func TestPull(t *testing.T) {
	reg := startRegistry(t)
	e := newEnv(t)
	base, mid, top := layerTar(t, "base", 200<<10), layerTar(t, "mid", 10<<10), layerTar(t, "top", 1000)
	img := pushImage(t, e.client, reg.Addr+"/test/app", "v1", "amd64", "gzip", base)
	img2 := pushImage(t, e.client, reg.Addr+"/test/app", "v2", "amd64", "zstd", base, mid, top)

	lines, err := e.pull(reg.Addr+"/test/app:v1", PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	blob := shortID(digestOfLayer(t, img, 0))
	want := []string{"v1: Pulling from test/app", blob + ": Pulling fs layer", blob + ": Verifying Checksum",
		blob + ": Download complete", blob + ": Pull complete", "Digest: " + img.manifest.Digest.String(),
		"Status: Downloaded newer image for " + reg.Addr + "/test/app:v1"}
	if joined(lines) != joined(want) {
		t.Fatalf("progress:\n%s\nwant:\n%s", joined(lines), joined(want))
	}
	got, err := e.images.Get(t.Context(), reg.Addr+"/test/app:v1")
	if err != nil || got.ID != img.configID || len(got.RepoDigests) != 1 || got.RepoDigests[0] != reg.Addr+"/test/app@"+img.manifest.Digest.String() {
		t.Fatalf("image: %v %+v", err, got)
	}

	lines, err = e.pull(reg.Addr+"/test/app:v2", PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The base layer is unpacked already, but v2's blob of it (zstd) is
	// downloaded: the image's manifest must be backed by its own blobs.
	if strings.Contains(joined(lines), "Already exists") || strings.Count(joined(lines), "Pull complete") != 3 {
		t.Fatalf("v2:\n%s", joined(lines))
	}
	if got, err := e.images.Get(t.Context(), reg.Addr+"/test/app:v2"); err != nil || got.ID != img2.configID || len(got.Layers) != 3 {
		t.Fatalf("v2: %v %+v", err, got)
	}
	lines, err = e.pull(reg.Addr+"/test/app:v1", PullOptions{})
	if err != nil || lines[len(lines)-1] != "Status: Image is up to date for "+reg.Addr+"/test/app:v1" {
		t.Fatalf("second pull: %v\n%s", err, joined(lines))
	}
	if _, err := e.pull(reg.Addr+"/test/app:nope", PullOptions{}); !errdefs.IsNotFound(err) ||
		!strings.Contains(err.Error(), "manifest for "+reg.Addr+"/test/app:nope not found: manifest unknown") {
		t.Fatalf("missing tag: %v", err)
	}
}

func digestOfLayer(t *testing.T, img testImage, i int) digest.Digest {
	var m ocispec.Manifest
	if err := jsonUnmarshal(img.raw, &m); err != nil {
		t.Fatal(err)
	}
	return m.Layers[i].Digest
}

func TestPullAllTagsAndDigest(t *testing.T) {
	reg := startRegistry(t)
	e := newEnv(t)
	a := pushImage(t, e.client, reg.Addr+"/test/multi", "a", "amd64", "gzip", layerTar(t, "a", 100))
	pushImage(t, e.client, reg.Addr+"/test/multi", "b", "amd64", "gzip", layerTar(t, "b", 100))
	if _, err := e.pull(reg.Addr+"/test/multi", PullOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, tag := range []string{"a", "b"} {
		if _, err := e.images.Get(t.Context(), reg.Addr+"/test/multi:"+tag); err != nil {
			t.Errorf("tag %s: %v", tag, err)
		}
	}
	byDigest := reg.Addr + "/test/multi@" + a.manifest.Digest.String()
	e2 := newEnv(t)
	if _, err := e2.pull(byDigest, PullOptions{}); err != nil {
		t.Fatal(err)
	}
	if img, err := e2.images.Get(t.Context(), byDigest); err != nil || img.ID != a.configID || len(img.RepoTags) != 0 {
		t.Fatalf("by digest: %v %+v", err, img)
	}
}

// TestPullPlatform pulls from a two-platform index.
func TestPullPlatform(t *testing.T) {
	reg := startRegistry(t)
	e := newEnv(t)
	amd := pushImage(t, e.client, reg.Addr+"/test/multi", "", "amd64", "gzip", layerTar(t, "amd", 1000))
	arm := pushImage(t, e.client, reg.Addr+"/test/multi", "", "arm64", "gzip", layerTar(t, "arm", 1000))
	idx := pushIndex(t, e.client, reg.Addr+"/test/multi", "latest", amd, arm)
	ref := reg.Addr + "/test/multi"
	named, _ := reference.ParseNormalizedNamed(ref + ":latest")
	di, err := e.svc.Inspect(t.Context(), named, remote.Credentials{})
	if err != nil || di.Descriptor.Digest != idx || len(di.Platforms) != 2 || di.Platforms[1].Architecture != "arm64" {
		t.Fatalf("inspect index: %v %+v", err, di)
	}
	if _, err := e.pull(ref, PullOptions{}); err != nil {
		t.Fatal(err)
	}
	img, err := e.images.Get(t.Context(), ref)
	if err != nil || img.ID != amd.configID || img.RepoDigests[0] != ref+"@"+idx.String() {
		t.Fatalf("default platform: %v %+v", err, img)
	}
	if _, err := e.pull(ref, PullOptions{Platform: &ocispec.Platform{OS: "linux", Architecture: "arm64"}}); err != nil {
		t.Fatal(err)
	}
	if img, err := e.images.Get(t.Context(), ref); err != nil || img.ID != arm.configID || img.Config.Architecture != "arm64" {
		t.Fatalf("arm64: %v %+v", err, img)
	}
	_, err = e.pull(ref, PullOptions{Platform: &ocispec.Platform{OS: "linux", Architecture: "s390x"}})
	if !errdefs.IsNotFound(err) || err.Error() != "no matching manifest for linux/s390x in the manifest list entries" {
		t.Fatalf("s390x: %v", err)
	}
	single := pushImage(t, e.client, reg.Addr+"/test/single", "v1", "amd64", "gzip", layerTar(t, "s", 10))
	named, _ = reference.ParseNormalizedNamed(reg.Addr + "/test/single:v1")
	if di, err := e.svc.Inspect(t.Context(), named, remote.Credentials{}); err != nil || di.Descriptor.Digest != single.manifest.Digest ||
		len(di.Platforms) != 1 || di.Platforms[0].Architecture != "amd64" {
		t.Fatalf("inspect manifest: %v %+v", err, di)
	}
	if _, err := e.pull(reg.Addr+"/test/single:v1", PullOptions{Platform: &ocispec.Platform{OS: "linux", Architecture: "arm64"}}); !errdefs.IsNotFound(err) ||
		!strings.Contains(err.Error(), "does not match the specified platform: wanted linux/arm64, actual: linux/amd64") {
		t.Fatalf("platform mismatch: %v", err)
	}
}

// TestPullDigestMismatch serves a layer whose bytes do not match its
// digest: the pull fails with a digest mismatch and leaves nothing.
func TestPullDigestMismatch(t *testing.T) {
	reg := startRegistry(t)
	e := newEnv(t)
	img := pushImage(t, e.client, reg.Addr+"/test/bad", "v1", "amd64", "gzip", layerTar(t, "one", 10<<10), layerTar(t, "two", 3<<20))
	// Corrupt the big layer: same length, other bytes.
	d := digestOfLayer(t, img, 1)
	path := reg.BlobPath(d.Encoded())
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(b) / 2; i < len(b)/2+100; i++ {
		b[i] ^= 0xff
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = e.pull(reg.Addr+"/test/bad:v1", PullOptions{})
	if !errors.Is(err, remote.ErrDigestMismatch) || !errdefs.IsInvalidArgument(err) {
		t.Fatalf("got %v, want a digest mismatch", err)
	}
	t.Logf("pull error: %v", err)
	if !strings.Contains(err.Error(), d.String()) {
		t.Errorf("error does not name the blob: %v", err)
	}
	if left := e.leftovers(); len(left) != 0 {
		t.Fatalf("left behind: %v", left)
	}
	named, _ := reference.ParseNormalizedNamed(reg.Addr + "/test/bad:v1")
	if _, err := e.images.Get(t.Context(), named.String()); !errdefs.IsNotFound(err) {
		t.Fatalf("image recorded: %v", err)
	}
}
