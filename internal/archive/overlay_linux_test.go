package archive

import (
	"bytes"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/berthproject/berth/internal/testutil"
	"golang.org/x/sys/unix"
)

// TestApplyOverlay applies a layer into an upperdir above a lower layer:
// whiteouts must become 0:0 devices, the opaque marker an xattr, missing
// parents must take the lower directory's attributes, and the mounted
// overlay must show the same tree as applying both layers as deletions.
// It then checks that WriteOverlayDiff turns the upperdir back into an
// equivalent layer.
func TestApplyOverlay(t *testing.T) {
	testutil.RequirePrivileged(t, testutil.NeedMountNS, testutil.NeedOverlay)
	lowerLayer := baseLayerWithOwners(t)
	upperLayer := makeTar(t,
		file("etc/.wh.gone", ""), file("var/.wh.cache", ""), dir("replace-dir/"), file("replace-dir/.wh..wh..opq", ""),
		file("replace-dir/new", "n"), file("owned/deep/newfile", "x"), file("replace-file", "changed"),
	)
	lower, upper := t.TempDir(), t.TempDir()
	mustApply(t, lower, lowerLayer, ApplyOptions{})
	mustApply(t, upper, upperLayer, ApplyOptions{Overlay: true, Parents: []string{lower}})

	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(upper, "etc/gone"), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != 0 {
		t.Fatalf("whiteout not a 0:0 char device: %+v, %v", st, err)
	}
	if !isOpaque(filepath.Join(upper, "replace-dir")) {
		t.Fatal("opaque xattr missing")
	}
	if err := unix.Lstat(filepath.Join(upper, "owned"), &st); err != nil || st.Uid != 1234 || st.Mode&0o7777 != 0o710 {
		t.Fatalf("missing parent did not copy the lower's attributes: uid %d mode %o, %v", st.Uid, st.Mode&0o7777, err)
	}
	if time.Unix(st.Mtim.Unix()).UTC() != testTime {
		t.Fatalf("missing parent mtime %v, want %v", time.Unix(st.Mtim.Unix()), testTime)
	}

	// The reference: both layers applied as deletions into one tree.
	flat := t.TempDir()
	mustApply(t, flat, lowerLayer, ApplyOptions{})
	mustApply(t, flat, upperLayer, ApplyOptions{})
	want := truncTimes(snapshotTree(t, flat))
	merged := mergedTree(t, lower, upper)
	if d := diffTrees(want, truncTimes(merged)); d != "" {
		t.Fatalf("merged overlay differs from the flat tree:\n%s", d)
	}

	// WriteOverlayDiff gives a layer with the same effect.
	var diff bytes.Buffer
	if err := WriteOverlayDiff(t.Context(), &diff, upper); err != nil {
		t.Fatal(err)
	}
	names := tarNames(t, diff.Bytes())
	for _, n := range []string{"etc/.wh.gone", "var/.wh.cache", "replace-dir/.wh..wh..opq", "replace-dir/new"} {
		if !names[n] {
			t.Errorf("overlay diff lacks %s: %v", n, keys(names))
		}
	}
	again := t.TempDir()
	mustApply(t, again, lowerLayer, ApplyOptions{})
	mustApply(t, again, diff.Bytes(), ApplyOptions{})
	if d := diffTrees(want, truncTimes(snapshotTree(t, again))); d != "" {
		t.Fatalf("overlay diff round trip differs:\n%s", d)
	}
}

func baseLayerWithOwners(t *testing.T) []byte {
	owned := dir("owned/")
	owned.uid, owned.mode = 1234, 0o710
	deep := dir("owned/deep/")
	deep.uid = 1234
	entries := []entry{owned, deep, file("owned/deep/old", "o")}
	return makeTar(t, append(entries, dir("etc/"), file("etc/gone", "g"), file("etc/conf", "c"),
		dir("var/"), dir("var/cache/"), file("var/cache/a", "a"), dir("replace-dir/"), file("replace-dir/f", "f"),
		file("replace-file", "f"))...)
}

// mergedTree mounts lower and upper as an overlay in a private mount
// namespace of a locked thread and describes the merged tree.
func mergedTree(t *testing.T, lower, upper string) map[string]string {
	t.Helper()
	target, work := t.TempDir(), t.TempDir()
	type result struct {
		tree map[string]string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with its namespace
		if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
			done <- result{err: err}
			return
		}
		if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
			done <- result{err: err}
			return
		}
		data := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work)
		if err := unix.Mount("overlay", target, "overlay", 0, data); err != nil {
			done <- result{err: fmt.Errorf("mount overlay: %w", err)}
			return
		}
		tree, err := describeTree(target)
		unix.Unmount(target, unix.MNT_DETACH)
		done <- result{tree, err}
	}()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.tree
}
