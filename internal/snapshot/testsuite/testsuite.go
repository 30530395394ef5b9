package testsuite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/mount"
	"github.com/berthproject/berth/internal/snapshot"
)

// Factory opens a snapshotter rooted at root (called again with the same
// root to check that state survives reopening).
type Factory func(t *testing.T, root string) (snapshot.Snapshotter, error)

// Run runs every conformance test against snapshotters made by open.
func Run(t *testing.T, open Factory) {
	tests := []struct {
		name string
		fn   func(t *testing.T, sn snapshot.Snapshotter)
	}{
		{"PrepareCommitView", testPrepareCommitView},
		{"Errors", testErrors},
		{"RemoveOrder", testRemoveOrder},
		{"Walk", testWalk},
		{"Usage", testUsage},
		{"LayerChain", testLayerChain},
		{"OpaqueDirectory", testOpaqueDirectory},
		{"MetadataKept", testMetadataKept},
		{"EmptyView", testEmptyView},
		{"ConcurrentPrepare", testConcurrentPrepare},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sn, err := open(t, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer sn.Close()
			tc.fn(t, sn)
		})
	}
	t.Run("Reopen", func(t *testing.T) { testReopen(t, open) })
}

// layer makes the committed snapshot name on top of parent by running
// change in the mounted active snapshot.
func layer(t *testing.T, sn snapshot.Snapshotter, name, parent string, change func(dir string) error) {
	t.Helper()
	key := "active-" + name
	mounts, err := sn.Prepare(t.Context(), key, parent)
	if err != nil {
		t.Fatalf("prepare %s: %v", key, err)
	}
	if len(mounts) == 0 || mounts[0].ReadOnly() {
		t.Fatalf("prepare %s: mounts %+v are not writable", key, mounts)
	}
	withMounted(t, mounts, change)
	if err := sn.Commit(t.Context(), name, key); err != nil {
		t.Fatalf("commit %s: %v", name, err)
	}
}

// files is a tree description: path -> content ("/" suffix: directory).
type files map[string]string

func write(fs files) func(dir string) error {
	return func(dir string) error {
		paths := make([]string, 0, len(fs))
		for p := range fs {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		for _, p := range paths {
			full := filepath.Join(dir, p)
			if p[len(p)-1] == '/' {
				if err := os.MkdirAll(full, 0o755); err != nil {
					return err
				}
				continue
			}
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(full, []byte(fs[p]), 0o644); err != nil {
				return err
			}
		}
		return nil
	}
}

// checkView views name and compares its whole tree with want.
func checkView(t *testing.T, sn snapshot.Snapshotter, name string, want files) {
	t.Helper()
	key := "view-" + name + "-" + fmt.Sprint(len(want))
	mounts, err := sn.View(t.Context(), key, name)
	if err != nil {
		t.Fatalf("view %s: %v", name, err)
	}
	defer func() {
		if err := sn.Remove(t.Context(), key); err != nil {
			t.Errorf("remove view: %v", err)
		}
	}()
	if !mounts[0].ReadOnly() && !isReadOnlyOverlay(mounts) {
		t.Fatalf("view mounts %+v are not read-only", mounts)
	}
	withMounted(t, mounts, func(dir string) error { return compareTree(dir, want) })
}

func isReadOnlyOverlay(mounts []mount.Mount) bool {
	if len(mounts) != 1 || mounts[0].Type != "overlay" {
		return false
	}
	for _, o := range mounts[0].Options {
		if len(o) > 8 && o[:9] == "upperdir=" {
			return false
		}
	}
	return true
}

func compareTree(dir string, want files) error {
	got := files{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case fi.IsDir():
			got[rel+"/"] = ""
		case fi.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			got[rel] = string(b)
		default:
			got[rel] = "<" + fi.Mode().Type().String() + ">"
		}
		return nil
	})
	if err != nil {
		return err
	}
	for p, c := range want {
		if g, ok := got[p]; !ok || g != c {
			return fmt.Errorf("%s: got %q (present %v), want %q; tree %v", p, g, ok, c, got)
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			return fmt.Errorf("unexpected %s in tree %v", p, got)
		}
	}
	return nil
}

func wantKind(t *testing.T, err error, is func(error) bool, what string) {
	t.Helper()
	if !is(err) {
		t.Fatalf("%s: got %v", what, err)
	}
}

func testPrepareCommitView(t *testing.T, sn snapshot.Snapshotter) {
	layer(t, sn, "c1", "", write(files{"dir/file": "hello", "gone": "x", "keep": "k"}))
	info, err := sn.Stat(t.Context(), "c1")
	if err != nil || info.Kind != snapshot.KindCommitted || info.Parent != "" || info.Name != "c1" {
		t.Fatalf("stat c1 = %+v, %v", info, err)
	}
	if _, err := sn.Stat(t.Context(), "active-c1"); !errdefs.IsNotFound(err) {
		t.Fatalf("active key still there after commit: %v", err)
	}
	layer(t, sn, "c2", "c1", func(dir string) error {
		if err := os.WriteFile(filepath.Join(dir, "dir/file"), []byte("changed"), 0o644); err != nil {
			return err
		}
		if err := os.Remove(filepath.Join(dir, "gone")); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, "new"), []byte("n"), 0o644)
	})
	info, err = sn.Stat(t.Context(), "c2")
	if err != nil || info.Kind != snapshot.KindCommitted || info.Parent != "c1" {
		t.Fatalf("stat c2 = %+v, %v", info, err)
	}
	checkView(t, sn, "c2", files{"dir/": "", "dir/file": "changed", "keep": "k", "new": "n"})
	checkView(t, sn, "c1", files{"dir/": "", "dir/file": "hello", "gone": "x", "keep": "k"})

	// Mounts returns the same mounts again; Stat reports the kinds.
	m1, err := sn.Prepare(t.Context(), "ctr", "c2")
	if err != nil {
		t.Fatal(err)
	}
	m2, err := sn.Mounts(t.Context(), "ctr")
	if err != nil || fmt.Sprint(m1) != fmt.Sprint(m2) {
		t.Fatalf("Mounts = %v, %v; Prepare gave %v", m2, err, m1)
	}
	if info, err := sn.Stat(t.Context(), "ctr"); err != nil || info.Kind != snapshot.KindActive || info.Parent != "c2" {
		t.Fatalf("stat ctr = %+v, %v", info, err)
	}
	if _, err := sn.View(t.Context(), "v", "c2"); err != nil {
		t.Fatal(err)
	}
	if info, err := sn.Stat(t.Context(), "v"); err != nil || info.Kind != snapshot.KindView || info.Parent != "c2" {
		t.Fatalf("stat v = %+v, %v", info, err)
	}
}

func testErrors(t *testing.T, sn snapshot.Snapshotter) {
	ctx := t.Context()
	layer(t, sn, "base", "", write(files{"a": "a"}))
	if _, err := sn.Prepare(ctx, "act", "base"); err != nil {
		t.Fatal(err)
	}
	if _, err := sn.View(ctx, "view", "base"); err != nil {
		t.Fatal(err)
	}
	_, err := sn.Prepare(ctx, "act", "base")
	wantKind(t, err, errdefs.IsAlreadyExists, "prepare an existing key")
	_, err = sn.View(ctx, "base", "")
	wantKind(t, err, errdefs.IsAlreadyExists, "view with a committed name as key")
	_, err = sn.Prepare(ctx, "x", "missing")
	wantKind(t, err, errdefs.IsNotFound, "prepare on a missing parent")
	_, err = sn.Prepare(ctx, "x", "act")
	wantKind(t, err, errdefs.IsInvalidArgument, "prepare on an active parent")
	_, err = sn.Prepare(ctx, "", "base")
	wantKind(t, err, errdefs.IsInvalidArgument, "prepare with an empty key")
	wantKind(t, sn.Commit(ctx, "c", "view"), errdefs.IsConflict, "commit a view")
	wantKind(t, sn.Commit(ctx, "c", "base"), errdefs.IsConflict, "commit a committed snapshot")
	wantKind(t, sn.Commit(ctx, "c", "missing"), errdefs.IsNotFound, "commit a missing key")
	wantKind(t, sn.Commit(ctx, "view", "act"), errdefs.IsAlreadyExists, "commit to an existing name")
	_, err = sn.Mounts(ctx, "base")
	wantKind(t, err, errdefs.IsConflict, "mounts of a committed snapshot")
	_, err = sn.Mounts(ctx, "missing")
	wantKind(t, err, errdefs.IsNotFound, "mounts of a missing key")
	wantKind(t, sn.Remove(ctx, "base"), errdefs.IsConflict, "remove a parent")
	wantKind(t, sn.Remove(ctx, "missing"), errdefs.IsNotFound, "remove a missing key")
	_, err = sn.Stat(ctx, "missing")
	wantKind(t, err, errdefs.IsNotFound, "stat a missing key")
	_, err = sn.Usage(ctx, "missing")
	wantKind(t, err, errdefs.IsNotFound, "usage of a missing key")
	// A failed operation changed nothing: the active snapshot still commits.
	if err := sn.Commit(ctx, "c", "act"); err != nil {
		t.Fatal(err)
	}
}

func testRemoveOrder(t *testing.T, sn snapshot.Snapshotter) {
	ctx := t.Context()
	layer(t, sn, "p", "", write(files{"a": "a"}))
	layer(t, sn, "c", "p", write(files{"b": "b"}))
	wantKind(t, sn.Remove(ctx, "p"), errdefs.IsConflict, "remove a parent")
	if _, err := sn.Prepare(ctx, "k", "c"); err != nil {
		t.Fatal(err)
	}
	wantKind(t, sn.Remove(ctx, "c"), errdefs.IsConflict, "remove a parent of an active snapshot")
	for _, k := range []string{"k", "c", "p"} {
		if err := sn.Remove(ctx, k); err != nil {
			t.Fatalf("remove %s: %v", k, err)
		}
	}
	// Keys and names are free again.
	layer(t, sn, "p", "", write(files{"z": "z"}))
	checkView(t, sn, "p", files{"z": "z"})
}

func testWalk(t *testing.T, sn snapshot.Snapshotter) {
	ctx := t.Context()
	layer(t, sn, "c", "", write(files{"a": "a"}))
	if _, err := sn.Prepare(ctx, "a", "c"); err != nil {
		t.Fatal(err)
	}
	if _, err := sn.View(ctx, "v", "c"); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	err := sn.Walk(ctx, func(_ context.Context, i snapshot.Info) error {
		got[i.Name] = i.Kind.String() + "<" + i.Parent
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"c": "committed<", "a": "active<c", "v": "view<c"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("walk = %v, want %v", got, want)
	}
	stop := errors.New("stop")
	if err := sn.Walk(ctx, func(context.Context, snapshot.Info) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("walk did not return fn's error: %v", err)
	}
}

func testUsage(t *testing.T, sn snapshot.Snapshotter) {
	ctx := t.Context()
	big := string(make([]byte, 1<<20))
	layer(t, sn, "base", "", write(files{"small": "s"}))
	mounts, err := sn.Prepare(ctx, "act", "base")
	if err != nil {
		t.Fatal(err)
	}
	withMounted(t, mounts, write(files{"big": big}))
	u, err := sn.Usage(ctx, "act")
	if err != nil {
		t.Fatal(err)
	}
	if u.Size < 1<<20 || u.Inodes < 2 {
		t.Fatalf("active usage %+v, want >= 1MiB and 2 inodes", u)
	}
	if err := sn.Commit(ctx, "top", "act"); err != nil {
		t.Fatal(err)
	}
	cu, err := sn.Usage(ctx, "top")
	if err != nil || cu.Size < 1<<20 {
		t.Fatalf("committed usage %+v, %v", cu, err)
	}
	bu, err := sn.Usage(ctx, "base")
	if err != nil || bu.Size >= 1<<20 || bu.Size == 0 {
		t.Fatalf("base usage %+v, %v: must not count its child", bu, err)
	}
}
