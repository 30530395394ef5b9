package archive

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/berthproject/berth/errdefs"
)

func TestCleanName(t *testing.T) {
	tests := []struct {
		in, want string
		bad      bool
	}{
		{"a/b", "a/b", false},
		{"./a/b/", "a/b", false},
		{"/abs/path", "abs/path", false},
		{"a//b/./c", "a/b/c", false},
		{".", ".", false},
		{"./", ".", false},
		{"/", ".", false},
		{"a/../b", "b", false},
		{"a/..", ".", false},
		{"..", "", true},
		{"../x", "", true},
		{"a/../../x", "", true},
		{"./../x", "", true},
		{"/../x", "", true},
	}
	for _, tc := range tests {
		got, err := cleanName(tc.in)
		if tc.bad {
			if !errdefs.IsInvalidArgument(err) {
				t.Errorf("cleanName(%q) = %q, %v; want ErrInvalidArgument", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("cleanName(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestApplyTree(t *testing.T) {
	root := t.TempDir()
	exec := file("bin/tool", "#!/bin/sh\n")
	exec.mode = 0o755
	private := dir("secret/")
	private.mode = 0o700
	x := file("x", "with xattr")
	x.xattrs = map[string]string{"user.test": "v", "trusted.overlay.opaque": "y"}
	fifo := entry{name: "fifo", typ: tar.TypeFifo, mode: 0o600}
	layer := makeTar(t,
		dir("./"), dir("bin/"), exec, private, file("secret/key", "k"),
		symlink("bin/sh", "tool"), hardlink("bin/tool2", "bin/tool"), x, fifo,
		file("deep/missing/parents/f", "f"),
	)
	size := mustApply(t, root, layer, ApplyOptions{})
	if want := int64(len("#!/bin/sh\n") + 1 + len("with xattr") + 1 + len("tool")); size != want {
		t.Errorf("size %d, want %d", size, want)
	}
	got := snapshotTree(t, root)
	checks := map[string]string{
		"bin/tool": "100000 755",
		"secret":   "40000 700",
		"bin/sh":   `link "tool"`,
		"fifo":     "10000 600",
	}
	for p, prefix := range checks {
		if len(got[p]) < len(prefix) || got[p][:len(prefix)] != prefix {
			t.Errorf("%s = %q, want prefix %q", p, got[p], prefix)
		}
	}
	if fi1, _ := os.Stat(filepath.Join(root, "bin/tool")); fi1 != nil {
		fi2, _ := os.Stat(filepath.Join(root, "bin/tool2"))
		if !os.SameFile(fi1, fi2) {
			t.Error("hard link not kept")
		}
	}
	if got["x"] == "" || !bytes.Contains([]byte(got["x"]), []byte("user.test=v")) {
		t.Errorf("xattr not applied: %q", got["x"])
	}
	if _, err := GetXattr(filepath.Join(root, "x"), "trusted.overlay.opaque"); err == nil {
		t.Error("a layer forged an overlay xattr")
	}
	fi, err := os.Stat(filepath.Join(root, "secret"))
	if err != nil || !fi.ModTime().Equal(testTime) {
		t.Errorf("dir mtime %v, want %v (%v)", fi.ModTime(), testTime, err)
	}
	if !exists(filepath.Join(root, "deep/missing/parents/f")) {
		t.Error("missing parents not made")
	}
}

// TestApplyWhiteoutsDelete applies whiteouts as deletions (native).
func TestApplyWhiteoutsDelete(t *testing.T) {
	root := t.TempDir()
	mustApply(t, root, makeTar(t,
		file("keep", "k"), file("gone", "g"), dir("gonedir/"), file("gonedir/f", "f"),
		dir("opq/"), file("opq/old", "o"), dir("opq/sub/"), file("opq/sub/old2", "o"),
	), ApplyOptions{})
	mustApply(t, root, makeTar(t,
		file(".wh.gone", ""), file(".wh.gonedir", ""), file(".wh.never-existed", ""),
		dir("opq/"), file("opq/.wh..wh..opq", ""), file("opq/new", "n"),
		file(".wh..wh.plnk", ""),
	), ApplyOptions{})
	got := snapshotTree(t, root)
	for _, p := range []string{"gone", "gonedir", "gonedir/f", "opq/old", "opq/sub", "never-existed", ".wh..wh.plnk"} {
		if _, ok := got[p]; ok {
			t.Errorf("%s still there", p)
		}
	}
	for _, p := range []string{"keep", "opq", "opq/new"} {
		if _, ok := got[p]; !ok {
			t.Errorf("%s missing", p)
		}
	}
}

// TestApplyOpaqueAfterChildren keeps what the layer itself wrote even when
// the opaque marker comes after it.
func TestApplyOpaqueAfterChildren(t *testing.T) {
	root := t.TempDir()
	mustApply(t, root, makeTar(t, dir("d/"), file("d/old", "o")), ApplyOptions{})
	mustApply(t, root, makeTar(t, dir("d/"), file("d/new", "n"), file("d/.wh..wh..opq", "")), ApplyOptions{})
	if exists(filepath.Join(root, "d/old")) || !exists(filepath.Join(root, "d/new")) {
		t.Fatalf("tree after opaque: %v", snapshotTree(t, root))
	}
}

func TestApplyReplaces(t *testing.T) {
	root := t.TempDir()
	mustApply(t, root, makeTar(t, dir("a/"), file("a/x", "x"), file("b", "b"), symlink("c", "b")), ApplyOptions{})
	mustApply(t, root, makeTar(t, file("a", "now a file"), dir("b/"), file("b/y", "y"), file("c", "no longer a link")), ApplyOptions{})
	got := snapshotTree(t, root)
	if want := `100000 644`; got["a"][:len(want)] != want || exists(filepath.Join(root, "a/x")) {
		t.Errorf("dir not replaced by file: %v", got)
	}
	if !exists(filepath.Join(root, "b/y")) {
		t.Error("file not replaced by dir")
	}
	if b, _ := os.ReadFile(filepath.Join(root, "c")); string(b) != "no longer a link" {
		t.Errorf("c = %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "b/y")); string(b) != "y" {
		t.Errorf("b/y = %q", b)
	}
}

// TestApplyDrains checks that Apply consumes the whole stream (padding
// included), so a digest computed over it is the layer's diff ID.
func TestApplyDrains(t *testing.T) {
	layer := append(makeTar(t, file("a", "a")), make([]byte, 10240)...)
	r := bytes.NewReader(layer)
	if _, err := Apply(t.Context(), t.TempDir(), r, ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if r.Len() != 0 {
		t.Fatalf("%d bytes left unread", r.Len())
	}
}

func TestApplyCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Apply(ctx, t.TempDir(), bytes.NewReader(makeTar(t, file("a", "a"))), ApplyOptions{}); err == nil {
		t.Fatal("cancelled apply succeeded")
	}
}

// TestApplyDevices: as root device nodes are made; rootless they are
// skipped (as rootless dockerd does) instead of failing the layer.
func TestApplyDevices(t *testing.T) {
	root := t.TempDir()
	mustApply(t, root, makeTar(t, entry{name: "null", typ: tar.TypeChar, mode: 0o666, major: 1, minor: 3}), ApplyOptions{})
	got := snapshotTree(t, root)
	if os.Geteuid() != 0 {
		if _, ok := got["null"]; ok {
			t.Fatal("device node created without root")
		}
		return
	}
	if want := "20000 666 0:0 dev 1:3"; got["null"] != want {
		t.Fatalf("null = %q, want %q", got["null"], want)
	}
}

// TestMeasure: Measure reports what Apply does, without writing.
func TestMeasure(t *testing.T) {
	layer := makeTar(t, dir("d/"), file("d/a", "12345"), symlink("l", "target"), hardlink("h", "d/a"), file(".wh.gone", ""))
	n, err := Measure(t.Context(), bytes.NewReader(layer))
	if err != nil {
		t.Fatal(err)
	}
	if applied := mustApply(t, t.TempDir(), layer, ApplyOptions{}); n != applied || n != 5+6 {
		t.Fatalf("Measure %d, Apply %d, want 11", n, applied)
	}
	if _, err := Measure(t.Context(), bytes.NewReader(layer[:600])); !errdefs.IsInvalidArgument(err) {
		t.Fatalf("truncated: %v", err)
	}
}
