package mount

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/berthproject/berth/internal/testutil"
	"golang.org/x/sys/unix"
)

// TestReadFileMatchesOverlay mounts the fixture for real (in a private
// mount namespace) and checks that ReadFile agrees with the kernel's merge
// for every path the kernel can read inside the mount. Escaping symlinks
// are the one intended difference: in the mounted tree they resolve on the
// host, while ReadFile keeps them inside the view, so they are left out.
func TestReadFileMatchesOverlay(t *testing.T) {
	testutil.RequirePrivileged(t, testutil.NeedMountNS, testutil.NeedOverlay)
	upper, mid, low, _ := overlayFixture(t)
	work := t.TempDir()
	m := []Mount{{Type: "overlay", Source: "overlay", Options: []string{
		"workdir=" + work, "upperdir=" + upper, "lowerdir=" + mid + ":" + low}}}
	paths := []string{"/etc/passwd", "/etc/group", "/etc/only-low", "/etc/hosts", "/opq/visible", "/opq/hidden",
		"/gone/sub/f", "/dir-then-file", "/dir-then-file/f", "/bin/sh", "/lib/libc.so", "/rel-link", "/missing"}
	target := t.TempDir()
	type res struct {
		got map[string]string
		err error
	}
	done := make(chan res, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with its namespace
		if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
			done <- res{err: err}
			return
		}
		if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
			done <- res{err: err}
			return
		}
		if err := All(m, target); err != nil {
			done <- res{err: err}
			return
		}
		got := map[string]string{}
		for _, p := range paths {
			b, err := os.ReadFile(filepath.Join(target, p))
			got[p] = describe(b, err)
		}
		done <- res{got: got, err: UnmountAll(target, 0)}
	}()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	for _, p := range paths {
		b, err := ReadFile(m, p)
		if got := describe(b, err); got != r.got[p] {
			t.Errorf("%s: ReadFile %s, kernel %s", p, got, r.got[p])
		}
	}
}

func describe(b []byte, err error) string {
	switch {
	case err == nil:
		return fmt.Sprintf("%q", b)
	case errors.Is(err, os.ErrNotExist):
		return "not exist"
	case errors.Is(err, unix.ENOTDIR):
		return "not a directory"
	}
	return "error"
}
