package archive

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

// baseLayer is the parent tree of the diff tests.
func baseLayer(t *testing.T) []byte {
	x := file("etc/conf", "v1")
	x.xattrs = map[string]string{"user.k": "v"}
	return makeTar(t,
		dir("etc/"), x, file("etc/gone", "g"), dir("var/"), dir("var/cache/"), file("var/cache/a", "a"),
		dir("replace-dir/"), file("replace-dir/f", "f"), file("replace-file", "f"), symlink("lnk", "etc/conf"),
		file("same", "unchanged"), file("hl", "hard"), hardlink("hl2", "hl"),
	)
}

// change modifies a copy of the base tree in place.
func change(t *testing.T, dir string) {
	t.Helper()
	p := func(s string) string { return filepath.Join(dir, s) }
	later := time.Now().Add(time.Hour)
	steps := []error{
		os.WriteFile(p("etc/conf"), []byte("v2-longer"), 0o644),
		os.Remove(p("etc/gone")),
		os.RemoveAll(p("var/cache")),
		os.RemoveAll(p("replace-dir")),
		os.WriteFile(p("replace-dir"), []byte("now a file"), 0o600),
		os.Remove(p("replace-file")),
		os.Mkdir(p("replace-file"), 0o711),
		os.WriteFile(p("replace-file/inner"), []byte("i"), 0o644),
		os.Remove(p("lnk")),
		os.Symlink("elsewhere", p("lnk")),
		os.MkdirAll(p("new/deep"), 0o755),
		os.WriteFile(p("new/deep/file"), []byte("n"), 0o640),
		os.Link(p("new/deep/file"), p("new/link")),
		os.Chmod(p("hl"), 0o600),
	}
	for _, err := range steps {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"etc/conf", "replace-dir", "replace-file/inner", "new/deep/file", "hl"} {
		if err := os.Chtimes(p(f), later, later); err != nil {
			t.Fatal(err)
		}
	}
}

// TestWriteDiffRoundTrip: applying WriteDiff(changed, base) on top of base
// gives the changed tree (the native commit path).
func TestWriteDiffRoundTrip(t *testing.T) {
	base, changed, target := t.TempDir(), t.TempDir(), t.TempDir()
	for _, d := range []string{base, changed, target} {
		mustApply(t, d, baseLayer(t), ApplyOptions{})
	}
	change(t, changed)
	var diff bytes.Buffer
	if err := WriteDiff(t.Context(), &diff, changed, base); err != nil {
		t.Fatal(err)
	}
	names := tarNames(t, diff.Bytes())
	for _, unwanted := range []string{"same", "etc/conf.wh", "var/cache/a", "var/.wh.cache/a"} {
		if names[unwanted] {
			t.Errorf("diff has %s: %v", unwanted, names)
		}
	}
	for _, wanted := range []string{"etc/conf", "etc/.wh.gone", "var/.wh.cache", "replace-dir", "new/link", "lnk", "hl"} {
		if !names[wanted] {
			t.Errorf("diff lacks %s: %v", wanted, names)
		}
	}
	mustApply(t, target, diff.Bytes(), ApplyOptions{})
	if d := diffTrees(truncTimes(snapshotTree(t, changed)), truncTimes(snapshotTree(t, target))); d != "" {
		t.Fatalf("round trip differs:\n%s", d)
	}
	// Against the empty tree, the diff is the whole tree.
	var full bytes.Buffer
	if err := WriteDiff(t.Context(), &full, changed, ""); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	mustApply(t, empty, full.Bytes(), ApplyOptions{})
	if d := diffTrees(truncTimes(snapshotTree(t, changed)), truncTimes(snapshotTree(t, empty))); d != "" {
		t.Fatalf("full diff differs:\n%s", d)
	}
}

// truncTimes drops directory mtimes, which WriteDiff cannot carry for
// directories the diff does not include and which apply changes.
func truncTimes(tree map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range tree {
		if len(v) > 5 && v[:5] == "40000" {
			v = v[:len("40000 755 0:0")]
		}
		out[k] = v
	}
	return out
}

func tarNames(t *testing.T, b []byte) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		n := filepath.Clean(h.Name)
		names[n] = true
	}
}

// TestWriteDiffNoFollow: a parent with a symlink where the new tree has a
// directory must not be followed while comparing.
func TestWriteDiffNoFollow(t *testing.T) {
	base, changed := t.TempDir(), t.TempDir()
	if err := os.Symlink("/etc", filepath.Join(base, "d")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(changed, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	// /etc/passwd exists on the host: were the symlink followed, "d/passwd"
	// would compare against it.
	if err := os.WriteFile(filepath.Join(changed, "d", "passwd"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	var diff bytes.Buffer
	if err := WriteDiff(t.Context(), &diff, changed, base); err != nil {
		t.Fatal(err)
	}
	names := tarNames(t, diff.Bytes())
	if !names["d"] || !names["d/passwd"] || len(names) != 2 {
		t.Fatalf("diff entries %v", keys(names))
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
