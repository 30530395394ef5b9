package distribution

import (
	"bytes"
	"strings"
	"testing"

	"github.com/berthproject/berth/errdefs"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestPush pushes an imported image (its layer stored uncompressed, so
// compressed on the way), pushes it again (layers exist), to another
// repository (mounted) and pulls it back elsewhere: same image ID.
func TestPush(t *testing.T) {
	reg := startRegistry(t)
	e := newEnv(t)
	ctx := t.Context()
	layer := layerTar(t, "pushed", 3<<20)
	ref := reg.Addr + "/test/app:v1"
	img, err := e.images.Import(ctx, bytes.NewReader(layer), ref, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	id := shortID(img.Layers[0].DiffID)
	lines, pushed, err := e.push(ref, PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := "The push refers to repository [" + reg.Addr + "/test/app]\n" + id + ": Preparing\n" + id + ": Pushed\n" +
		"v1: digest: " + pushed[0].Digest.String() + " size: "
	if !strings.HasPrefix(joined(lines), want) || len(pushed) != 1 || pushed[0].ID != img.ID {
		t.Fatalf("push:\n%s\nwant prefix:\n%s", joined(lines), want)
	}
	raw, desc, err := openRepo(t, e.client, reg.Addr+"/test/app").Manifest(ctx, "v1")
	if err != nil || desc.MediaType != "application/vnd.docker.distribution.manifest.v2+json" ||
		!bytes.Contains(raw, []byte("application/vnd.docker.image.rootfs.diff.tar.gzip")) {
		t.Fatalf("pushed manifest %s %v:\n%s", desc.MediaType, err, raw)
	}
	if got, _ := e.images.Get(ctx, ref); len(got.RepoDigests) != 1 || !strings.HasSuffix(got.RepoDigests[0], pushed[0].Digest.String()) {
		t.Errorf("repo digest after push: %v", got.RepoDigests)
	}

	lines, _, err = e.push(ref, PushOptions{})
	if err != nil || !strings.Contains(joined(lines), id+": Layer already exists") {
		t.Fatalf("second push: %v\n%s", err, joined(lines))
	}
	other := reg.Addr + "/other/app:v2"
	if _, _, err := e.images.Tag(ctx, ref, other); err != nil {
		t.Fatal(err)
	}
	lines, pushed2, err := e.push(other, PushOptions{})
	if err != nil || !strings.Contains(joined(lines), id+": Mounted from test/app") || pushed2[0].Digest != pushed[0].Digest {
		t.Fatalf("push to another repository: %v\n%s", err, joined(lines))
	}

	e2 := newEnv(t)
	if _, err := e2.pull(ref, PullOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, err := e2.images.Get(ctx, ref); err != nil || got.ID != img.ID {
		t.Fatalf("pulled back: %v %s, pushed %s", err, got.ID, img.ID)
	}
}

// TestPushPulledKeepsManifest pushes a pulled image to another registry:
// the blobs go as they are and the manifest keeps its digest.
func TestPushPulledKeepsManifest(t *testing.T) {
	src, dst := startRegistry(t), startRegistry(t)
	e := newEnv(t)
	img := pushImage(t, e.client, src.Addr+"/test/app", "v1", "amd64", "zstd", layerTar(t, "a", 5000), layerTar(t, "b", 5000))
	if _, err := e.pull(src.Addr+"/test/app:v1", PullOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.images.Tag(t.Context(), src.Addr+"/test/app:v1", dst.Addr+"/copy:v1"); err != nil {
		t.Fatal(err)
	}
	lines, pushed, err := e.push(dst.Addr+"/copy:v1", PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pushed[0].Digest != img.manifest.Digest || strings.Count(joined(lines), "Pushed") != 2 {
		t.Fatalf("manifest %s, source %s:\n%s", pushed[0].Digest, img.manifest.Digest, joined(lines))
	}
}

func TestPushAllTagsAndErrors(t *testing.T) {
	reg := startRegistry(t)
	e := newEnv(t)
	ctx := t.Context()
	for _, tag := range []string{"a", "b"} {
		if _, err := e.images.Import(ctx, bytes.NewReader(layerTar(t, tag, 100)), reg.Addr+"/test/all:"+tag, nil, ""); err != nil {
			t.Fatal(err)
		}
	}
	_, pushed, err := e.push(reg.Addr+"/test/all", PushOptions{})
	if err != nil || len(pushed) != 2 || pushed[0].Ref.Tag() != "a" || pushed[1].Ref.Tag() != "b" {
		t.Fatalf("all tags: %v %+v", err, pushed)
	}
	arm := &ocispec.Platform{OS: "linux", Architecture: "arm64"}
	if _, _, err := e.push(reg.Addr+"/test/all:a", PushOptions{Platform: arm}); !errdefs.IsNotFound(err) ||
		!strings.Contains(err.Error(), "does not match the specified platform: wanted linux/arm64, actual: linux/amd64") {
		t.Errorf("push --platform linux/arm64 of an amd64 image: %v", err)
	}
	for ref, msg := range map[string]string{
		reg.Addr + "/test/all:c":  "tag does not exist: " + reg.Addr + "/test/all:c",
		reg.Addr + "/test/none:c": "An image does not exist locally with the tag: " + reg.Addr + "/test/none",
	} {
		if _, _, err := e.push(ref, PushOptions{}); !errdefs.IsNotFound(err) || err.Error() != msg {
			t.Errorf("%s: %v", ref, err)
		}
	}
}
