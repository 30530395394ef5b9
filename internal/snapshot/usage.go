package snapshot

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"syscall"
)

// DiskUsage walks dir and counts the space and inodes it uses (each inode
// once, so hard links are not counted twice). Snapshotters use it for
// active snapshots and when committing.
func DiskUsage(ctx context.Context, dir string) (Usage, error) {
	type inode struct{ dev, ino uint64 }
	seen := map[inode]bool{}
	var u Usage
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			u.Inodes++
			u.Size += fi.Size()
			return nil
		}
		k := inode{uint64(st.Dev), st.Ino}
		if seen[k] {
			return nil
		}
		seen[k] = true
		u.Inodes++
		u.Size += st.Blocks * 512
		return nil
	})
	if err != nil {
		return Usage{}, fmt.Errorf("disk usage of %s: %w", dir, err)
	}
	return u, nil
}
