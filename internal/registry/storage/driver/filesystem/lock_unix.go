//go:build unix

package filesystem

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/berthproject/berth/errdefs"
	"golang.org/x/sys/unix"
)

// Lock takes the storage lock (flock on <root>/.lock) without waiting: a
// shared lock for a read-write registry (several may share a root), an
// exclusive one for garbage collection, which must not run beside writers.
// It fails with errdefs.ErrConflict when the other kind is held. release
// drops the lock.
func (d *Driver) Lock(exclusive bool) (release func(), err error) {
	f, err := os.OpenFile(filepath.Join(d.root, ".lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("storage lock: %w", err)
	}
	how := unix.LOCK_SH
	if exclusive {
		how = unix.LOCK_EX
	}
	if err := unix.Flock(int(f.Fd()), how|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("storage %s is locked by another process: %w", d.root, errdefs.ErrConflict)
		}
		return nil, fmt.Errorf("storage lock: %w", err)
	}
	return func() { f.Close() }, nil
}
