package image

import (
	"bytes"
	"os/exec"
	"testing"

	"github.com/berthproject/berth/errdefs"
	"github.com/klauspost/compress/zstd"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestImportCompressions: plain, gzip, zstd and xz input give the same
// layer (diff ID and chain); gzip and zstd blobs are kept compressed.
func TestImportCompressions(t *testing.T) {
	e := newEnv(t)
	plain := rootfs(t)
	var zs bytes.Buffer
	zw, _ := zstd.NewWriter(&zs)
	zw.Write(plain)
	zw.Close()
	inputs := map[string][]byte{"plain": plain, "gzip": gz(t, plain), "zstd": zs.Bytes()}
	if _, err := exec.LookPath("xz"); err == nil {
		cmd := exec.Command("xz", "-c")
		cmd.Stdin = bytes.NewReader(plain)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		inputs["xz"] = out
	}
	wantType := map[string]string{"plain": ocispec.MediaTypeImageLayer, "gzip": ocispec.MediaTypeImageLayerGzip,
		"zstd": ocispec.MediaTypeImageLayerZstd, "xz": ocispec.MediaTypeImageLayer}
	for name, in := range inputs {
		img := e.importImage(in, "c:"+name)
		if img.ChainID != diffIDOf(plain) || img.Layers[0].Blob.MediaType != wantType[name] {
			t.Errorf("%s: chain %s type %s", name, img.ChainID, img.Layers[0].Blob.MediaType)
		}
	}
}

// TestImportFailures: a broken or hostile rootfs leaves nothing behind.
func TestImportFailures(t *testing.T) {
	e := newEnv(t)
	e.importImage(rootfs(t), "existing")
	before := e.state()
	for name, in := range map[string][]byte{
		"garbage":   bytes.Repeat([]byte("x"), 5000),
		"hostile":   makeTar(t, reg("../../etc/cron.d/evil", "x")),
		"bad gzip":  append([]byte{0x1f, 0x8b, 0x08}, bytes.Repeat([]byte{1}, 100)...),
		"truncated": rootfs(t)[:1000],
	} {
		_, err := e.store.Import(t.Context(), bytes.NewReader(in), "broken:"+name[:3], nil, "")
		if !errdefs.IsInvalidArgument(err) {
			t.Errorf("%s: %v, want ErrInvalidArgument", name, err)
		}
		if after := e.state(); after != before {
			t.Errorf("%s left state:\n%s\nvs\n%s", name, after, before)
		}
	}
	if _, err := e.store.Import(t.Context(), bytes.NewReader(rootfs(t)), "UPPER", nil, ""); !errdefs.IsInvalidArgument(err) {
		t.Errorf("bad ref: %v", err)
	}
	if _, err := e.store.Save(t.Context(), []string{"missing"}, &bytes.Buffer{}); !errdefs.IsNotFound(err) {
		t.Errorf("save of a missing image: %v", err)
	}
}

// TestImportMessage: the history comment is the message when given.
func TestImportMessage(t *testing.T) {
	e := newEnv(t)
	img, err := e.store.Import(t.Context(), bytes.NewReader(rootfs(t)), "", nil, "Imported from http://example.com/rootfs.tar")
	if err != nil {
		t.Fatal(err)
	}
	if img.Comment != "Imported from http://example.com/rootfs.tar" || img.Config.History[0].Comment != img.Comment ||
		img.Config.History[0].Created == nil || !img.Config.History[0].Created.Equal(img.Created) {
		t.Fatalf("comment %q history %+v", img.Comment, img.Config.History)
	}
}
