package image

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"sort"
	"strings"
	"testing"

	"github.com/berthproject/berth/internal/mount"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// readTar returns the regular files and symlinks of a tar.
func readTar(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			data, _ := io.ReadAll(tr)
			out[h.Name] = data
		}
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	e := newEnv(t)
	a := e.importImage(rootfs(t), "a:1", "CMD [\"a\"]")
	e.store.Tag(t.Context(), "a:1", "a:2")
	b := e.importImage(rootfs(t, reg("b", "b")), "example.com/other/b")
	c := e.importImage(rootfs(t, reg("c", "c")), "")
	var buf bytes.Buffer
	if ids, err := e.store.Save(t.Context(), []string{"a", "example.com/other/b:latest", c.ID.Encoded()[:10]}, &buf); err != nil || len(ids) != 3 || ids[0] != a.ID {
		t.Fatal(err)
	}
	files := readTar(t, buf.Bytes())
	checkSaveFormat(t, files, map[digest.Digest][]string{a.ID: {"a:1", "a:2"}, b.ID: {"example.com/other/b:latest"}, c.ID: nil})

	for _, ref := range []string{a.ID.String(), b.ID.String(), c.ID.String()} {
		if _, err := e.store.Delete(t.Context(), ref, DeleteOptions{Force: true}); err != nil {
			t.Fatal(err)
		}
	}
	if st := e.state(); st != "" {
		t.Fatalf("state after deleting all:\n%s", st)
	}
	var msgs []string
	loaded, err := e.store.Load(t.Context(), bytes.NewReader(buf.Bytes()), func(m string) { msgs = append(msgs, m) })
	if err != nil {
		t.Fatal(err)
	}
	if len(loaded) != 3 {
		t.Fatalf("loaded %+v", loaded)
	}
	sort.Strings(msgs)
	want := []string{"Loaded image ID: " + c.ID.String(), "Loaded image: a:1", "Loaded image: a:2", "Loaded image: example.com/other/b:latest"}
	if strings.Join(msgs, "\n") != strings.Join(want, "\n") {
		t.Errorf("progress %q", msgs)
	}
	for ref, id := range map[string]digest.Digest{"a:1": a.ID, "a:2": a.ID, "example.com/other/b": b.ID, c.ID.String(): c.ID} {
		got, err := e.store.Get(t.Context(), ref)
		if err != nil || got.ID != id {
			t.Errorf("after load, %s = %s, %v; want %s", ref, got.ID, err, id)
		}
	}
	st := e.state()
	if _, err := e.store.Load(t.Context(), bytes.NewReader(buf.Bytes()), nil); err != nil {
		t.Fatal(err)
	}
	if again := e.state(); again != st {
		t.Errorf("loading twice changed the state:\n%s\nvs\n%s", again, st)
	}
	got, _ := e.store.Get(t.Context(), "a:1")
	m, err := e.sn.View(t.Context(), "check", got.ChainID.String())
	if err != nil {
		t.Fatal(err)
	}
	if p, err := mount.ReadFile(m, "/etc/group"); err != nil || !strings.HasPrefix(string(p), "root:x:0:") {
		t.Fatalf("loaded rootfs: %q, %v", p, err)
	}
}

// checkSaveFormat checks the docker 25+ layout: every blob named by its
// digest, index.json tags, manifest.json and repositories.
func checkSaveFormat(t *testing.T, files map[string][]byte, tags map[digest.Digest][]string) {
	t.Helper()
	for name, data := range files {
		if hex, ok := strings.CutPrefix(name, "blobs/sha256/"); ok && digest.FromBytes(data).Encoded() != hex {
			t.Errorf("%s holds content of digest %s", name, digest.FromBytes(data))
		}
	}
	if string(files["oci-layout"]) != `{"imageLayoutVersion": "1.0.0"}` {
		t.Errorf("oci-layout = %q", files["oci-layout"])
	}
	var idx ocispec.Index
	if err := json.Unmarshal(files["index.json"], &idx); err != nil || idx.MediaType != ocispec.MediaTypeImageIndex {
		t.Fatalf("index.json %s: %v", files["index.json"], err)
	}
	var items []manifestItem
	if err := json.Unmarshal(files["manifest.json"], &items); err != nil || len(items) != len(tags) {
		t.Fatalf("manifest.json %s: %v", files["manifest.json"], err)
	}
	for _, it := range items {
		id := digest.NewDigestFromEncoded(digest.SHA256, strings.TrimPrefix(it.Config, "blobs/sha256/"))
		want, ok := tags[id]
		if !ok || strings.Join(it.RepoTags, ",") != strings.Join(want, ",") {
			t.Errorf("manifest.json item %+v, want tags %v", it, want)
		}
		for _, l := range it.Layers {
			if _, ok := files[l]; !ok {
				t.Errorf("layer %s missing", l)
			}
		}
	}
	named := 0
	for _, d := range idx.Manifests {
		if _, ok := files["blobs/sha256/"+d.Digest.Encoded()]; !ok {
			t.Errorf("manifest %s missing", d.Digest)
		}
		if n := d.Annotations[annotationName]; n != "" {
			named++
			if !strings.HasSuffix(n, ":"+d.Annotations[ocispec.AnnotationRefName]) {
				t.Errorf("annotations %v", d.Annotations)
			}
		}
	}
	var repos map[string]map[string]string
	if err := json.Unmarshal(files["repositories"], &repos); err != nil || len(repos["a"]) != 2 || named != 3 {
		t.Errorf("repositories %s (%v), %d named manifests", files["repositories"], err, named)
	}
}

// TestCreateReplacesTarget: registering an existing image with another
// manifest (a pull after a load) keeps one manifest, collecting the old;
// a repository known only by digest saves its image untagged.
func TestCreateReplacesTarget(t *testing.T) {
	e := newEnv(t)
	img := e.importImage(rootfs(t), "")
	m := mustJSON(ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest, Config: ocispec.Descriptor{
		MediaType: ocispec.MediaTypeImageConfig, Digest: img.ID, Size: sizeOf(t, e, img.ID)}, Layers: []ocispec.Descriptor{img.Layers[0].Blob}})
	m = append(m, ' ') // another manifest for the same config
	desc, err := e.store.putJSON(t.Context(), ocispec.MediaTypeImageManifest, m, newGarbage())
	if err != nil {
		t.Fatal(err)
	}
	dref := "example.com/pulled@" + desc.Digest.String()
	got, _, err := e.store.Create(t.Context(), desc, CreateOptions{Refs: []string{dref}})
	if err != nil || got.ID != img.ID || got.Target.Digest != desc.Digest {
		t.Fatalf("create = %+v, %v", got, err)
	}
	if _, err := e.cs.Info(t.Context(), img.Target.Digest); err == nil {
		t.Errorf("replaced manifest %s kept", img.Target.Digest)
	}
	var buf bytes.Buffer
	ids, err := e.store.Save(t.Context(), []string{"example.com/pulled"}, &buf)
	if err != nil || len(ids) != 1 || ids[0] != img.ID {
		t.Fatalf("save by repository = %v, %v", ids, err)
	}
}

func sizeOf(t *testing.T, e *env, d digest.Digest) int64 {
	info, err := e.cs.Info(t.Context(), d)
	if err != nil {
		t.Fatal(err)
	}
	return info.Size
}
