package testsuite

import (
	"context"
	"errors"
	"fmt"
	"github.com/berthproject/berth/errdefs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/berthproject/berth/internal/snapshot"
	"golang.org/x/sys/unix"
)

func testLayerChain(t *testing.T, sn snapshot.Snapshotter) {
	want := files{}
	parent := ""
	for i := range 12 {
		name := fmt.Sprintf("l%d", i)
		layer(t, sn, name, parent, func(dir string) error {
			if i > 0 {
				if err := os.Remove(filepath.Join(dir, fmt.Sprintf("tmp%d", i-1))); err != nil {
					return err
				}
			}
			return write(files{fmt.Sprintf("f%d", i): name, fmt.Sprintf("tmp%d", i): "t", "shared": name})(dir)
		})
		want[fmt.Sprintf("f%d", i)] = name
		parent = name
	}
	want["tmp11"] = "t"
	want["shared"] = "l11"
	checkView(t, sn, "l11", want)
	checkView(t, sn, "l5", files{"f0": "l0", "f1": "l1", "f2": "l2", "f3": "l3", "f4": "l4", "f5": "l5", "tmp5": "t", "shared": "l5"})
}

// testOpaqueDirectory replaces a directory of a lower layer: nothing of the
// old directory may show through (overlay makes it opaque).
func testOpaqueDirectory(t *testing.T, sn snapshot.Snapshotter) {
	layer(t, sn, "old", "", write(files{"d/x": "x", "d/sub/y": "y", "other": "o"}))
	layer(t, sn, "new", "old", func(dir string) error {
		if err := os.RemoveAll(filepath.Join(dir, "d")); err != nil {
			return err
		}
		return write(files{"d/z": "z"})(dir)
	})
	checkView(t, sn, "new", files{"d/": "", "d/z": "z", "other": "o"})
	layer(t, sn, "file-over-dir", "old", func(dir string) error {
		if err := os.RemoveAll(filepath.Join(dir, "d")); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, "d"), []byte("now a file"), 0o644)
	})
	checkView(t, sn, "file-over-dir", files{"d": "now a file", "other": "o"})
}

var fixedTime = time.Date(2020, 2, 3, 4, 5, 6, 0, time.UTC)

// testMetadataKept checks that modes, ownership (as root), xattrs, times,
// symlinks, hard links and FIFOs of a layer show unchanged in a snapshot
// prepared on top of it.
func testMetadataKept(t *testing.T, sn snapshot.Snapshotter) {
	root := os.Geteuid() == 0
	xattrs := true
	layer(t, sn, "meta", "", func(dir string) error {
		p := func(s string) string { return filepath.Join(dir, s) }
		if err := write(files{"d/suid": "s", "d/h1": "h", "plain": "p"})(dir); err != nil {
			return err
		}
		steps := []error{
			os.Chmod(p("d/suid"), 0o4755|os.ModeSetuid),
			unix.Chmod(p("d/suid"), 0o4755),
			os.Chmod(p("d"), 0o750),
			os.Link(p("d/h1"), p("d/h2")),
			os.Symlink("../nowhere", p("d/link")),
			unix.Mkfifo(p("fifo"), 0o640),
		}
		if root {
			steps = append(steps, os.Lchown(p("plain"), 1000, 1001))
		}
		if err := unix.Lsetxattr(p("plain"), "user.berth", []byte("v"), 0); errors.Is(err, unix.ENOTSUP) {
			xattrs = false
		} else {
			steps = append(steps, err)
		}
		steps = append(steps, os.Chtimes(p("plain"), fixedTime, fixedTime), os.Chtimes(p("d"), fixedTime, fixedTime))
		return errors.Join(steps...)
	})
	mounts, err := sn.Prepare(t.Context(), "child", "meta")
	if err != nil {
		t.Fatal(err)
	}
	withMounted(t, mounts, func(dir string) error {
		return checkMetadata(dir, root, xattrs)
	})
}

func checkMetadata(dir string, root, xattrs bool) error {
	p := func(s string) string { return filepath.Join(dir, s) }
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	var st unix.Stat_t
	if err := unix.Lstat(p("d/suid"), &st); err != nil {
		return err
	}
	check(st.Mode&0o7777 == 0o4755, "suid mode %o", st.Mode&0o7777)
	if err := unix.Lstat(p("d"), &st); err != nil {
		return err
	}
	check(st.Mode&0o7777 == 0o750, "dir mode %o", st.Mode&0o7777)
	check(time.Unix(st.Mtim.Unix()).Equal(fixedTime), "dir mtime %v", time.Unix(st.Mtim.Unix()))
	fi1, err1 := os.Stat(p("d/h1"))
	fi2, err2 := os.Stat(p("d/h2"))
	check(err1 == nil && err2 == nil && os.SameFile(fi1, fi2), "hard link lost: %v %v", err1, err2)
	target, err := os.Readlink(p("d/link"))
	check(err == nil && target == "../nowhere", "symlink %q, %v", target, err)
	fi, err := os.Lstat(p("fifo"))
	check(err == nil && fi.Mode()&os.ModeNamedPipe != 0 && fi.Mode().Perm() == 0o640, "fifo %v, %v", fi, err)
	if err := unix.Lstat(p("plain"), &st); err != nil {
		return err
	}
	check(time.Unix(st.Mtim.Unix()).Equal(fixedTime), "file mtime %v", time.Unix(st.Mtim.Unix()))
	if root {
		check(st.Uid == 1000 && st.Gid == 1001, "owner %d:%d", st.Uid, st.Gid)
	}
	if xattrs {
		buf := make([]byte, 16)
		n, err := unix.Lgetxattr(p("plain"), "user.berth", buf)
		check(err == nil && string(buf[:n]) == "v", "xattr %q, %v", buf[:max(n, 0)], err)
	}
	return errors.Join(errs...)
}

func testEmptyView(t *testing.T, sn snapshot.Snapshotter) {
	mounts, err := sn.View(t.Context(), "empty", "")
	if err != nil {
		t.Fatal(err)
	}
	if !mounts[0].ReadOnly() {
		t.Fatalf("empty view mounts %+v are not read-only", mounts)
	}
	withMounted(t, mounts, func(dir string) error { return compareTree(dir, files{}) })
	wantKind(t, sn.Commit(t.Context(), "x", "empty"), errdefs.IsConflict, "commit a view")
}

func testConcurrentPrepare(t *testing.T, sn snapshot.Snapshotter) {
	layer(t, sn, "base", "", write(files{"a": "a"}))
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		wg.Go(func() {
			key := fmt.Sprintf("c%d", i)
			if _, err := sn.Prepare(t.Context(), key, "base"); err != nil {
				errs[i] = err
				return
			}
			if i%2 == 0 {
				errs[i] = sn.Remove(t.Context(), key)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	n := 0
	sn.Walk(t.Context(), func(_ context.Context, i snapshot.Info) error { n++; return nil })
	if n != 1+8 {
		t.Fatalf("walk found %d snapshots, want 9", n)
	}
}

func testReopen(t *testing.T, open Factory) {
	root := t.TempDir()
	sn, err := open(t, root)
	if err != nil {
		t.Fatal(err)
	}
	layer(t, sn, "kept", "", write(files{"a": "a"}))
	if _, err := sn.Prepare(t.Context(), "act", "kept"); err != nil {
		t.Fatal(err)
	}
	if err := sn.Close(); err != nil {
		t.Fatal(err)
	}
	sn, err = open(t, root)
	if err != nil {
		t.Fatal(err)
	}
	defer sn.Close()
	if info, err := sn.Stat(t.Context(), "act"); err != nil || info.Parent != "kept" {
		t.Fatalf("after reopen: %+v, %v", info, err)
	}
	checkView(t, sn, "kept", files{"a": "a"})
}
