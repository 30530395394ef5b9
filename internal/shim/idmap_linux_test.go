package shim

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/berthproject/berth/internal/mount"
	"github.com/berthproject/berth/internal/shim/wire"
	"github.com/berthproject/berth/internal/testutil"
	"golang.org/x/sys/unix"
)

// The test binary stands in for berth-runtime when the monitor starts
// itself (the user namespace holder runs /proc/self/exe monitor ...).
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == Command {
		os.Exit(Main(os.Args[2:]))
	}
	os.Exit(m.Run())
}

var testIDMap = &wire.IDMap{
	UIDs: []wire.IDRange{{ContainerID: 0, HostID: 300000, Size: 65536}},
	GIDs: []wire.IDRange{{ContainerID: 0, HostID: 310000, Size: 65536}},
}

func owner(t *testing.T, path string) (uint32, uint32) {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Uid, st.Gid
}

// TestMountRemapped mounts an overlay and a bind rootfs for a remapped
// container: image files owned by host root must show as owned by the
// container's root (host 300000:310000), without changing them on disk.
func TestMountRemapped(t *testing.T) {
	testutil.RequirePrivileged(t, testutil.NeedMountNS, testutil.NeedUserNS)
	dir := t.TempDir()
	for _, d := range []string{"lower/etc", "upper", "work", "merged", "bound"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "lower/etc/passwd"), []byte("root:x:0:0::/:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	m := &monitor{reaper: newReaper(), null: null}
	go m.reaper.run()
	defer func() {
		for _, f := range m.ns.fds {
			f.Close()
		}
	}()

	overlay := mount.Mount{Type: "overlay", Source: "overlay", Options: []string{
		"lowerdir=" + filepath.Join(dir, "lower"), "upperdir=" + filepath.Join(dir, "upper"), "workdir=" + filepath.Join(dir, "work"),
	}}
	merged := filepath.Join(dir, "merged")
	if err := m.mountRemapped([]mount.Mount{overlay}, merged, testIDMap); err != nil {
		t.Fatal(err)
	}
	defer mount.UnmountAll(merged, unix.MNT_DETACH)
	if uid, gid := owner(t, filepath.Join(merged, "etc/passwd")); uid != 300000 || gid != 310000 {
		t.Errorf("image file seen as %d:%d through the overlay, want 300000:310000", uid, gid)
	}
	if uid, _ := owner(t, filepath.Join(dir, "lower/etc/passwd")); uid != 0 {
		t.Errorf("the layer on disk changed owner: %d", uid)
	}
	if uid, gid := owner(t, filepath.Join(dir, "upper")); uid != 300000 || gid != 310000 {
		t.Errorf("upperdir owned by %d:%d", uid, gid)
	}

	bound := filepath.Join(dir, "bound")
	bind := mount.Mount{Type: "bind", Source: filepath.Join(dir, "lower"), Options: []string{"rbind", "ro"}}
	if err := m.mountRemapped([]mount.Mount{bind}, bound, testIDMap); err != nil {
		t.Fatal(err)
	}
	defer mount.UnmountAll(bound, unix.MNT_DETACH)
	if uid, _ := owner(t, filepath.Join(bound, "etc/passwd")); uid != 300000 {
		t.Errorf("image file seen as %d through the bind, want 300000", uid)
	}
	if err := os.WriteFile(filepath.Join(bound, "x"), nil, 0o644); !errors.Is(err, unix.EROFS) {
		t.Errorf("write to a read-only remapped bind: %v", err)
	}
	if n := len(m.ns.fds); n != 1 {
		t.Errorf("%d user namespaces made for one mapping", n)
	}
}
