package testsuite

import (
	"fmt"
	"os"
	"runtime"
	"testing"

	"github.com/berthproject/berth/internal/mount"
	"golang.org/x/sys/unix"
)

// withMounted runs fn with dir showing mounts. One bind mount is used
// through its source; anything else is mounted in a private mount namespace
// of a locked OS thread that fn runs on (the thread is discarded after).
func withMounted(t *testing.T, mounts []mount.Mount, fn func(dir string) error) {
	t.Helper()
	if len(mounts) == 1 && mounts[0].Type == "bind" {
		if err := fn(mounts[0].Source); err != nil {
			t.Fatal(err)
		}
		return
	}
	target := t.TempDir()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with its namespace
		errc <- mountedOnThread(mounts, target, fn)
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func mountedOnThread(mounts []mount.Mount, target string, fn func(dir string) error) error {
	if err := unix.Unshare(unix.CLONE_NEWNS | unix.CLONE_FS); err != nil {
		return fmt.Errorf("unshare mount namespace: %w", err)
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make / private: %w", err)
	}
	if err := mount.All(mounts, target); err != nil {
		return err
	}
	ferr := fn(target)
	if err := mount.UnmountAll(target, 0); err != nil && ferr == nil {
		ferr = err
	}
	if ferr == nil {
		_, ferr = os.Stat(target)
	}
	return ferr
}
