package image

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/berthproject/berth/internal/content/local"
	"github.com/berthproject/berth/internal/mount"
	"github.com/berthproject/berth/internal/snapshot/overlay"
	"github.com/berthproject/berth/internal/testutil"
	"golang.org/x/sys/unix"
)

// TestOverlayUnpack runs the image store on the overlay snapshotter: layers
// are applied straight into upperdirs (whiteouts converted), and the
// container's rootfs, read without mounting and then really mounted, shows
// the merged image. Save/load round-trips too.
func TestOverlayUnpack(t *testing.T) {
	testutil.RequirePrivileged(t, testutil.NeedMountNS, testutil.NeedOverlay)
	root := t.TempDir()
	cs, err := local.Open(root + "/content")
	if err != nil {
		t.Fatal(err)
	}
	sn, err := overlay.New(root + "/overlay")
	if err != nil {
		t.Fatal(err)
	}
	e := openEnv(t, root, cs, sn)
	tarball, id := dockerArchive(t)
	if _, err := e.store.Load(t.Context(), bytes.NewReader(tarball), nil); err != nil {
		t.Fatal(err)
	}
	img, err := e.store.Get(t.Context(), "old:fmt")
	if err != nil || img.ID != id {
		t.Fatalf("get: %v", err)
	}
	resp, err := e.store.Inspect(t.Context(), "old:fmt")
	if err != nil || resp.GraphDriver.Name != "overlay2" || resp.GraphDriver.Data["UpperDir"] == "" || strings.Count(resp.GraphDriver.Data["LowerDir"], ":") != 1 {
		t.Fatalf("graph driver %+v, %v", resp.GraphDriver, err)
	}
	// The second layer whited out etc/group: a 0:0 device in its upperdir.
	var st unix.Stat_t
	layer2 := strings.Split(resp.GraphDriver.Data["LowerDir"], ":")[0]
	if err := unix.Lstat(filepath.Join(layer2, "etc/group"), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR {
		t.Fatalf("whiteout in %s: %v", layer2, err)
	}
	mounts, err := e.sn.Prepare(t.Context(), "ctr", img.ChainID.String())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"/opt/app": "app", "/etc/group": "root:x:0:\nwww:x:33:\n", "/bin/busybox": "#!fake"}
	for p, w := range want {
		if b, err := mount.ReadFile(mounts, p); err != nil || string(b) != w {
			t.Errorf("ReadFile %s = %q, %v", p, b, err)
		}
	}
	got := readMounted(t, mounts, want)
	for p, w := range want {
		if got[p] != w {
			t.Errorf("mounted %s = %q, want %q", p, got[p], w)
		}
	}
	if err := e.sn.Remove(t.Context(), "ctr"); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := e.store.Save(t.Context(), []string{"old:fmt"}, &buf); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Delete(t.Context(), "old:fmt", DeleteOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Delete(t.Context(), "registry.example/old:2", DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if st := e.state(); st != "" {
		t.Fatalf("state after delete:\n%s", st)
	}
	loaded, err := e.store.Load(t.Context(), &buf, nil)
	if err != nil || loaded[0].ID != id {
		t.Fatalf("reload %+v, %v", loaded, err)
	}
}

// readMounted mounts mounts in a private mount namespace of a locked thread
// and reads the given paths.
func readMounted(t *testing.T, mounts []mount.Mount, paths map[string]string) map[string]string {
	t.Helper()
	target := t.TempDir()
	type result struct {
		files map[string]string
		err   error
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
		if err := mount.All(mounts, target); err != nil {
			done <- result{err: err}
			return
		}
		files := map[string]string{}
		for p := range paths {
			b, _ := os.ReadFile(filepath.Join(target, p))
			files[p] = string(b)
		}
		done <- result{files, mount.UnmountAll(target, 0)}
	}()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.files
}
