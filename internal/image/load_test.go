package image

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/mount"
	"github.com/klauspost/compress/gzip"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// archiveEntry is one entry of a generated image archive.
type archiveEntry struct {
	name string
	data []byte
	link string // symlink target when set
}

func makeArchive(t *testing.T, entries ...archiveEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(e.data)), ModTime: time.Unix(0, 0)}
		if e.link != "" {
			h.Typeflag, h.Linkname, h.Size = tar.TypeSymlink, e.link, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write(e.data)
	}
	tw.Close()
	return buf.Bytes()
}

// config returns an image config over diffIDs.
func config(t *testing.T, os string, history []ocispec.History, diffIDs ...digest.Digest) []byte {
	t.Helper()
	created := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	img := ocispec.Image{Created: &created, Platform: ocispec.Platform{OS: os, Architecture: runtime.GOARCH},
		RootFS: ocispec.RootFS{Type: "layers", DiffIDs: diffIDs}, History: history,
		Config: ocispec.ImageConfig{Cmd: []string{"sh"}}}
	b, err := json.MarshalIndent(img, "", "  ") // indented on purpose: the ID is the hash of these exact bytes
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gz(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// dockerArchive builds the pre-25 `docker save` format: <id>.json,
// <v1id>/layer.tar (one gzipped, one a symlink to a repeated layer),
// manifest.json and repositories.
func dockerArchive(t *testing.T) ([]byte, digest.Digest) {
	l1 := rootfs(t)
	l2 := makeTar(t, reg("etc/.wh.group", ""), dirEntry("opt/"), reg("opt/app", "app"))
	hist := []ocispec.History{{CreatedBy: "ADD rootfs"}, {CreatedBy: "ENV x=y", EmptyLayer: true}, {CreatedBy: "RUN app"}, {CreatedBy: "ADD rootfs again"}}
	cfg := config(t, "linux", hist, diffIDOf(l1), diffIDOf(l2), diffIDOf(l1))
	id := digest.FromBytes(cfg)
	v1 := []string{strings.Repeat("1", 64), strings.Repeat("2", 64), strings.Repeat("3", 64)}
	entries := []archiveEntry{
		{name: v1[0] + "/VERSION", data: []byte("1.0")}, {name: v1[0] + "/json", data: []byte(`{"id":"` + v1[0] + `"}`)},
		{name: v1[0] + "/layer.tar", data: l1},
		{name: v1[1] + "/layer.tar", data: gz(t, l2)},
		{name: v1[2] + "/layer.tar", link: "../" + v1[0] + "/layer.tar"},
		{name: id.Encoded() + ".json", data: cfg},
		{name: "manifest.json", data: mustJSON([]manifestItem{{Config: id.Encoded() + ".json", RepoTags: []string{"old:fmt", "registry.example/old:2"},
			Layers: []string{v1[0] + "/layer.tar", v1[1] + "/layer.tar", v1[2] + "/layer.tar"}}})},
		{name: "repositories", data: []byte(`{"old":{"fmt":"` + v1[2] + `"}}`)},
	}
	return makeArchive(t, entries...), id
}

func TestLoadDockerFormat(t *testing.T) {
	e := newEnv(t)
	tarball, id := dockerArchive(t)
	var msgs []string
	loaded, err := e.store.Load(t.Context(), bytes.NewReader(tarball), func(m string) { msgs = append(msgs, m) })
	if err != nil {
		t.Fatal(err)
	}
	if len(loaded) != 1 || loaded[0].ID != id || strings.Join(loaded[0].Tags, ",") != "old:fmt,registry.example/old:2" {
		t.Fatalf("loaded %+v, want ID %s", loaded, id)
	}
	if strings.Join(msgs, "|") != "Loaded image: old:fmt|Loaded image: registry.example/old:2" {
		t.Errorf("progress %q", msgs)
	}
	img, err := e.store.Get(t.Context(), "old:fmt")
	if err != nil || img.ID != id || len(img.Layers) != 3 {
		t.Fatalf("get: %+v, %v", img, err)
	}
	if img.Layers[1].Blob.MediaType != ocispec.MediaTypeImageLayerGzip || img.Layers[0].Blob.MediaType != ocispec.MediaTypeImageLayer {
		t.Errorf("layer media types %s %s", img.Layers[0].Blob.MediaType, img.Layers[1].Blob.MediaType)
	}
	mounts, err := e.sn.View(t.Context(), "v", img.ChainID.String())
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]string{"/opt/app": "app", "/etc/group": "root:x:0:\nwww:x:33:\n"} {
		if b, err := mount.ReadFile(mounts, p); err != nil || string(b) != want {
			t.Errorf("%s = %q, %v", p, b, err)
		}
	}
	hist, err := e.store.History(t.Context(), "old:fmt")
	if err != nil || len(hist) != 4 {
		t.Fatalf("history %+v, %v", hist, err)
	}
	if hist[0].ID != id.String() || hist[0].CreatedBy != "ADD rootfs again" || hist[1].ID != "<missing>" ||
		hist[2].Size != 0 || hist[2].CreatedBy != "ENV x=y" || hist[1].Size != 3 || hist[3].Size != img.Layers[0].Size {
		t.Errorf("history %+v", hist)
	}
	// Loading a newer image under the same tag moves it and says so.
	tarball2, id2 := ociArchive(t, "old:fmt")
	msgs = nil
	loaded, err = e.store.Load(t.Context(), bytes.NewReader(tarball2), func(m string) { msgs = append(msgs, m) })
	if err != nil || len(loaded) != 1 || loaded[0].ID != id2 || len(loaded[0].Moved) != 1 || loaded[0].Moved[0].Previous != id {
		t.Fatalf("second load %+v, %v", loaded, err)
	}
	want := fmt.Sprintf("The image old:fmt already exists, renaming the old one with ID %s to empty string|Loaded image: old:fmt", id)
	if strings.Join(msgs, "|") != want {
		t.Errorf("progress %q", msgs)
	}
}

// ociArchive is an OCI layout without manifest.json: index.json points to
// a nested index with this platform's manifest (and another platform's,
// absent from the archive).
func ociArchive(t *testing.T, name string) ([]byte, digest.Digest) {
	layer := gz(t, rootfs(t, reg("oci", "yes")))
	cfg := config(t, "linux", nil, diffIDOf(rootfs(t, reg("oci", "yes"))))
	m := mustJSON(ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest,
		Config: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: digest.FromBytes(cfg), Size: int64(len(cfg))},
		Layers: []ocispec.Descriptor{{MediaType: ocispec.MediaTypeImageLayerGzip, Digest: digest.FromBytes(layer), Size: int64(len(layer))}}})
	other := digest.FromString("other platform")
	nested := mustJSON(ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{
		{MediaType: ocispec.MediaTypeImageManifest, Digest: other, Size: 10, Platform: &ocispec.Platform{OS: "linux", Architecture: "s390x"}},
		{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromBytes(m), Size: int64(len(m)), Platform: &ocispec.Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH}},
	}})
	idx := mustJSON(ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{
		{MediaType: ocispec.MediaTypeImageIndex, Digest: digest.FromBytes(nested), Size: int64(len(nested)),
			Annotations: map[string]string{annotationName: "docker.io/library/" + name}},
	}})
	blob := func(b []byte) archiveEntry {
		return archiveEntry{name: "blobs/sha256/" + digest.FromBytes(b).Encoded(), data: b}
	}
	return makeArchive(t, archiveEntry{name: "oci-layout", data: []byte(`{"imageLayoutVersion":"1.0.0"}`)},
		blob(layer), blob(cfg), blob(m), blob(nested), archiveEntry{name: "index.json", data: idx}), digest.FromBytes(cfg)
}

func TestLoadOCILayout(t *testing.T) {
	e := newEnv(t)
	tarball, id := ociArchive(t, "oci:1")
	loaded, err := e.store.Load(t.Context(), bytes.NewReader(tarball), nil)
	if err != nil || len(loaded) != 1 || loaded[0].ID != id || strings.Join(loaded[0].Tags, ",") != "oci:1" {
		t.Fatalf("load = %+v, %v", loaded, err)
	}
	img, err := e.store.Get(t.Context(), "oci:1")
	if err != nil || img.Layers[0].Blob.MediaType != ocispec.MediaTypeImageLayerGzip {
		t.Fatalf("get %+v, %v", img, err)
	}
}

// TestLoadFailures: each broken archive fails with nothing recorded and
// nothing added left behind, next to an image already in the store whose
// blobs and layer the archive shares.
func TestLoadFailures(t *testing.T) {
	good, _ := dockerArchive(t)
	goodFiles := readTar(t, good)
	l1 := rootfs(t)
	replace := func(name string, data []byte) []byte {
		var entries []archiveEntry
		for n, d := range goodFiles {
			if n == name {
				d = data
			}
			if data != nil || n != name {
				entries = append(entries, archiveEntry{name: n, data: d})
			}
		}
		link := archiveEntry{name: strings.Repeat("3", 64) + "/layer.tar", link: "../" + strings.Repeat("1", 64) + "/layer.tar"}
		return makeArchive(t, append(entries, link)...)
	}
	var manifestName string
	for n := range goodFiles {
		if strings.HasSuffix(n, ".json") && n != "manifest.json" {
			manifestName = n
		}
	}
	blobOf := func(b []byte) string { return "blobs/sha256/" + digest.FromBytes(b).Encoded() }
	hostileLayer := makeTar(t, reg("../../escape", "x"))
	hostileCfg := config(t, "linux", nil, diffIDOf(hostileLayer))
	winCfg := config(t, "windows", nil, diffIDOf(l1))
	ociMismatch := makeArchive(t, archiveEntry{name: blobOf([]byte("other")), data: []byte("tampered")},
		archiveEntry{name: "index.json", data: []byte(`{"manifests":[]}`)})
	tests := []struct {
		name    string
		tarball []byte
		kind    func(error) bool
		msg     string
	}{
		{"blob digest mismatch", ociMismatch, errdefs.IsInvalidArgument, "expected"},
		{"diff ID mismatch", replace(strings.Repeat("1", 64)+"/layer.tar", rootfs(t, reg("extra", "x"))), errdefs.IsInvalidArgument, "invalid diffID"},
		{"climbing path", makeArchive(t, archiveEntry{name: "../evil", data: []byte("x")}), errdefs.IsInvalidArgument, "invalid path"},
		{"climbing symlink", makeArchive(t, archiveEntry{name: "x/layer.tar", link: "../../../etc/passwd"}), errdefs.IsInvalidArgument, "invalid path"},
		{"missing layer", replace(strings.Repeat("2", 64)+"/layer.tar", nil), errdefs.IsInvalidArgument, "not found"},
		{"bad config", replace(manifestName, []byte("{not json")), errdefs.IsInvalidArgument, "image config"},
		{"layer count mismatch", replace("manifest.json", mustJSON([]manifestItem{{Config: manifestName, Layers: []string{strings.Repeat("1", 64) + "/layer.tar"}}})), errdefs.IsInvalidArgument, "layers length mismatch"},
		{"invalid tag", replace("manifest.json", []byte(strings.Replace(string(goodFiles["manifest.json"]), "old:fmt", "Old:fmt", 1))), errdefs.IsInvalidArgument, "must be lowercase"},
		{"garbage", bytes.Repeat([]byte("garbage!"), 200), errdefs.IsInvalidArgument, "archive"},
		{"no manifest", makeArchive(t, archiveEntry{name: "hello", data: []byte("x")}), errdefs.IsInvalidArgument, "neither manifest.json nor index.json"},
		{"hostile layer", makeArchive(t, archiveEntry{name: "l.tar", data: hostileLayer}, archiveEntry{name: "c.json", data: hostileCfg},
			archiveEntry{name: "manifest.json", data: mustJSON([]manifestItem{{Config: "c.json", Layers: []string{"l.tar"}}})}), errdefs.IsInvalidArgument, "climbs out"},
		{"other OS", makeArchive(t, archiveEntry{name: "l.tar", data: l1}, archiveEntry{name: "c.json", data: winCfg},
			archiveEntry{name: "manifest.json", data: mustJSON([]manifestItem{{Config: "c.json", RepoTags: []string{"win:1"}, Layers: []string{"l.tar"}}})}), errdefs.IsInvalidArgument, "cannot load windows image"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.importImage(l1, "existing:1") // shares the first layer with the archive
			before := e.state()
			_, err := e.store.Load(t.Context(), bytes.NewReader(tc.tarball), func(m string) { t.Errorf("progress %q on failure", m) })
			if !tc.kind(err) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("load: %v, want a %q error", err, tc.msg)
			}
			if after := e.state(); after != before {
				t.Fatalf("state changed:\n%s\nvs before:\n%s", after, before)
			}
		})
	}
}
