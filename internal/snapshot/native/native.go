package native

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/berthproject/berth/internal/mount"
	"github.com/berthproject/berth/internal/snapshot"
	"github.com/berthproject/berth/internal/snapshot/storage"
)

// Snapshotter is the copy-based snapshotter.
type Snapshotter struct {
	root string
	ms   *storage.MetaStore
}

var _ snapshot.Snapshotter = (*Snapshotter)(nil)

// New opens (creating it if needed) a native snapshotter rooted at root and
// removes directories left behind by interrupted operations.
func New(root string) (*Snapshotter, error) {
	root, err := filepath.Abs(root) // mount options need absolute paths
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(root, "snapshots"), 0o700); err != nil {
		return nil, fmt.Errorf("native snapshotter: %w", err)
	}
	ms, err := storage.Open(filepath.Join(root, "metadata.db"))
	if err != nil {
		return nil, err
	}
	s := &Snapshotter{root: root, ms: ms}
	if err := s.ms.RemoveOrphans(filepath.Join(s.root, "snapshots")); err != nil {
		ms.Close()
		return nil, err
	}
	return s, nil
}

func (s *Snapshotter) dir(id string) string { return filepath.Join(s.root, "snapshots", id) }

// Stat returns the info of a snapshot.
func (s *Snapshotter) Stat(ctx context.Context, key string) (snapshot.Info, error) {
	return s.ms.Stat(key)
}

// Usage returns the space used by a snapshot.
func (s *Snapshotter) Usage(ctx context.Context, key string) (snapshot.Usage, error) {
	return s.ms.Usage(ctx, key, s.dir)
}

// Mounts returns the mounts of an active snapshot or view.
func (s *Snapshotter) Mounts(ctx context.Context, key string) ([]mount.Mount, error) {
	sn, err := s.ms.Mountable(key)
	if err != nil {
		return nil, err
	}
	return s.mounts(sn), nil
}

func (s *Snapshotter) mounts(sn storage.Snapshot) []mount.Mount {
	if sn.Kind == snapshot.KindView && len(sn.ParentIDs) > 0 {
		return []mount.Mount{{Type: "bind", Source: s.dir(sn.ParentIDs[0]), Options: []string{"ro", "rbind"}}}
	}
	mode := "rw"
	if sn.Kind == snapshot.KindView {
		mode = "ro"
	}
	return []mount.Mount{{Type: "bind", Source: s.dir(sn.ID), Options: []string{mode, "rbind"}}}
}

// Prepare creates an active snapshot holding a copy of parent.
func (s *Snapshotter) Prepare(ctx context.Context, key, parent string) ([]mount.Mount, error) {
	return s.create(ctx, snapshot.KindActive, key, parent)
}

// View creates a read-only view of parent.
func (s *Snapshotter) View(ctx context.Context, key, parent string) ([]mount.Mount, error) {
	return s.create(ctx, snapshot.KindView, key, parent)
}

// create records the snapshot and fills its directory. The tree is built
// under a temporary name and renamed into place, so a crash never leaves a
// half-copied snapshot under a recorded ID.
func (s *Snapshotter) create(ctx context.Context, kind snapshot.Kind, key, parent string) ([]mount.Mount, error) {
	var sn storage.Snapshot
	err := s.ms.Update(func(tx *storage.Tx) (err error) {
		if sn, err = tx.Create(kind, key, parent); err != nil {
			return err
		}
		if kind == snapshot.KindView && len(sn.ParentIDs) > 0 {
			return nil // a view binds its parent's directory
		}
		tmp, err := os.MkdirTemp(filepath.Join(s.root, "snapshots"), "new-")
		if err != nil {
			return err
		}
		if err := s.fill(ctx, tmp, sn); err != nil {
			return errors.Join(err, os.RemoveAll(tmp))
		}
		if err := os.Rename(tmp, s.dir(sn.ID)); err != nil {
			return errors.Join(err, os.RemoveAll(tmp))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("native %s %q: %w", kind, key, err)
	}
	return s.mounts(sn), nil
}

// fill makes dir an empty root directory or a copy of the parent's tree.
func (s *Snapshotter) fill(ctx context.Context, dir string, sn storage.Snapshot) error {
	if len(sn.ParentIDs) == 0 {
		return os.Chmod(dir, 0o755)
	}
	return copyTree(ctx, s.dir(sn.ParentIDs[0]), dir)
}

// Commit records key's tree as the committed snapshot name.
func (s *Snapshotter) Commit(ctx context.Context, name, key string) error {
	return s.ms.Commit(ctx, name, key, s.dir)
}

// Remove removes a snapshot and its directory.
func (s *Snapshotter) Remove(ctx context.Context, key string) error {
	return s.ms.Remove(key, s.dir)
}

// Walk calls fn for every snapshot.
func (s *Snapshotter) Walk(ctx context.Context, fn func(context.Context, snapshot.Info) error) error {
	return s.ms.Walk(ctx, fn)
}

// Close closes the metadata database.
func (s *Snapshotter) Close() error { return s.ms.Close() }

// DriverData describes a committed snapshot the way dockerd's "vfs" graph
// driver does in `docker image inspect` (GraphDriver).
func (s *Snapshotter) DriverData(ctx context.Context, name string) (string, map[string]string, error) {
	if err := s.ms.View(func(tx *storage.Tx) error { _, err := tx.Get(name); return err }); err != nil {
		return "", nil, err
	}
	return "vfs", nil, nil // dockerd's vfs driver reports no data either
}
