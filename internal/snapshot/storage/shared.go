package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/snapshot"
)

// The operations below are the same for every snapshotter built on a
// MetaStore; each snapshotter only says where a snapshot's directory is.

// RemoveOrphans removes the entries of dir whose name is no snapshot ID
// (directories left by a crash between a metadata change and its files).
func (ms *MetaStore) RemoveOrphans(dir string) error {
	var ids map[string]bool
	if err := ms.View(func(tx *Tx) (err error) { ids, err = tx.IDs(); return err }); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("snapshotter: %w", err)
	}
	for _, e := range entries {
		if !ids[e.Name()] {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("snapshotter: remove orphan: %w", err)
			}
		}
	}
	return nil
}

// Stat returns the info of a snapshot.
func (ms *MetaStore) Stat(key string) (info snapshot.Info, err error) {
	err = ms.View(func(tx *Tx) error { info, err = tx.Stat(key); return err })
	return info, err
}

// Usage returns the space a snapshot uses: recorded at commit for a
// committed one, measured in dir(id) for an active one.
func (ms *MetaStore) Usage(ctx context.Context, key string, dir func(id string) string) (snapshot.Usage, error) {
	var (
		sn Snapshot
		u  snapshot.Usage
	)
	err := ms.View(func(tx *Tx) (err error) {
		if sn, err = tx.Get(key); err != nil {
			return err
		}
		u, err = tx.Usage(key)
		return err
	})
	if err != nil || sn.Kind != snapshot.KindActive {
		return u, err
	}
	return snapshot.DiskUsage(ctx, dir(sn.ID))
}

// Mountable returns an active snapshot or view; a committed one has no
// mounts (ErrConflict).
func (ms *MetaStore) Mountable(key string) (sn Snapshot, err error) {
	if err := ms.View(func(tx *Tx) (err error) { sn, err = tx.Get(key); return err }); err != nil {
		return sn, err
	}
	if sn.Kind == snapshot.KindCommitted {
		return sn, fmt.Errorf("snapshot %q is committed, it has no mounts: %w", key, errdefs.ErrConflict)
	}
	return sn, nil
}

// Commit records the active snapshot key, whose files are in dir(id), as the
// committed snapshot name, with its measured usage.
func (ms *MetaStore) Commit(ctx context.Context, name, key string, dir func(id string) string) error {
	var sn Snapshot
	if err := ms.View(func(tx *Tx) (err error) { sn, err = tx.Get(key); return err }); err != nil {
		return err
	}
	if sn.Kind != snapshot.KindActive {
		return fmt.Errorf("snapshot %q is %s, not active: %w", key, sn.Kind, errdefs.ErrConflict)
	}
	u, err := snapshot.DiskUsage(ctx, dir(sn.ID))
	if err != nil {
		return err
	}
	return ms.Update(func(tx *Tx) error {
		_, err := tx.Commit(key, name, u)
		return err
	})
}

// Remove removes a snapshot's record, then its directory dir(id). A view
// may own no directory; a failure to remove leaves an orphan that
// RemoveOrphans clears at the next start.
func (ms *MetaStore) Remove(key string, dir func(id string) string) error {
	var id string
	if err := ms.Update(func(tx *Tx) (err error) { id, _, err = tx.Remove(key); return err }); err != nil {
		return err
	}
	if err := os.RemoveAll(dir(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove snapshot %q: %w", key, err)
	}
	return nil
}

// Walk calls fn for every snapshot, outside the metadata transaction.
func (ms *MetaStore) Walk(ctx context.Context, fn func(context.Context, snapshot.Info) error) error {
	var infos []snapshot.Info
	if err := ms.View(func(tx *Tx) error {
		return tx.Walk(func(i snapshot.Info) error { infos = append(infos, i); return nil })
	}); err != nil {
		return err
	}
	for _, i := range infos {
		if err := fn(ctx, i); err != nil {
			return err
		}
	}
	return nil
}
