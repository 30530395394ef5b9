package overlay

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/mount"
	"github.com/berthproject/berth/internal/snapshot"
	"github.com/berthproject/berth/internal/snapshot/storage"
)

// maxMountData is the kernel's limit on mount options: one page.
const maxMountData = 4096 - 1

// Snapshotter is the overlayfs snapshotter.
type Snapshotter struct {
	root     string
	ms       *storage.MetaStore
	indexOff bool
}

var _ snapshot.Snapshotter = (*Snapshotter)(nil)

// New opens (creating it if needed) an overlay snapshotter rooted at root
// and removes directories left behind by interrupted operations. root must
// be on a filesystem overlayfs accepts as upper (ext4, xfs; not overlay).
func New(root string) (*Snapshotter, error) {
	root, err := filepath.Abs(root) // mount options need absolute paths
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(root, "snapshots"), 0o700); err != nil {
		return nil, fmt.Errorf("overlay snapshotter: %w", err)
	}
	ms, err := storage.Open(filepath.Join(root, "metadata.db"))
	if err != nil {
		return nil, err
	}
	// Like dockerd and containerd: with the inode index on, reusing a lower
	// directory under another upper can fail with ESTALE; turn it off when
	// the kernel knows the option.
	_, statErr := os.Stat("/sys/module/overlay/parameters/index")
	s := &Snapshotter{root: root, ms: ms, indexOff: statErr == nil}
	if err := s.ms.RemoveOrphans(filepath.Join(s.root, "snapshots")); err != nil {
		ms.Close()
		return nil, err
	}
	return s, nil
}

func (s *Snapshotter) dir(id string) string   { return filepath.Join(s.root, "snapshots", id) }
func (s *Snapshotter) upper(id string) string { return filepath.Join(s.dir(id), "fs") }
func (s *Snapshotter) work(id string) string  { return filepath.Join(s.dir(id), "work") }
func (s *Snapshotter) lowers(ids []string) string {
	dirs := make([]string, len(ids))
	for i, id := range ids {
		dirs[i] = s.upper(id)
	}
	return strings.Join(dirs, ":")
}

// Stat returns the info of a snapshot.
func (s *Snapshotter) Stat(ctx context.Context, key string) (snapshot.Info, error) {
	return s.ms.Stat(key)
}

// Usage returns the space used by a snapshot's own directory.
func (s *Snapshotter) Usage(ctx context.Context, key string) (snapshot.Usage, error) {
	return s.ms.Usage(ctx, key, s.upper)
}

// Mounts returns the mounts of an active snapshot or view.
func (s *Snapshotter) Mounts(ctx context.Context, key string) ([]mount.Mount, error) {
	sn, err := s.ms.Mountable(key)
	if err != nil {
		return nil, err
	}
	return s.mounts(sn), nil
}

// mounts builds the mounts of sn (see the table in the package comment).
func (s *Snapshotter) mounts(sn storage.Snapshot) []mount.Mount {
	switch {
	case len(sn.ParentIDs) == 0:
		mode := "rw"
		if sn.Kind == snapshot.KindView {
			mode = "ro"
		}
		return []mount.Mount{{Type: "bind", Source: s.upper(sn.ID), Options: []string{mode, "rbind"}}}
	case sn.Kind == snapshot.KindView && len(sn.ParentIDs) == 1:
		return []mount.Mount{{Type: "bind", Source: s.upper(sn.ParentIDs[0]), Options: []string{"ro", "rbind"}}}
	}
	var opts []string
	if s.indexOff {
		opts = append(opts, "index=off")
	}
	if sn.Kind == snapshot.KindActive {
		opts = append(opts, "workdir="+s.work(sn.ID), "upperdir="+s.upper(sn.ID))
	}
	opts = append(opts, "lowerdir="+s.lowers(sn.ParentIDs))
	return []mount.Mount{{Type: "overlay", Source: "overlay", Options: opts}}
}

// Prepare creates an active snapshot on top of parent.
func (s *Snapshotter) Prepare(ctx context.Context, key, parent string) ([]mount.Mount, error) {
	return s.create(ctx, snapshot.KindActive, key, parent)
}

// View creates a read-only view of parent.
func (s *Snapshotter) View(ctx context.Context, key, parent string) ([]mount.Mount, error) {
	return s.create(ctx, snapshot.KindView, key, parent)
}

// create records the snapshot and makes its directories; the metadata is
// rolled back if they cannot be made.
func (s *Snapshotter) create(ctx context.Context, kind snapshot.Kind, key, parent string) ([]mount.Mount, error) {
	var mounts []mount.Mount
	err := s.ms.Update(func(tx *storage.Tx) error {
		sn, err := tx.Create(kind, key, parent)
		if err != nil {
			return err
		}
		mounts = s.mounts(sn)
		if n := dataLen(mounts); n > maxMountData {
			return fmt.Errorf("%d parent layers need %d bytes of mount options, more than a page: %w",
				len(sn.ParentIDs), n, errdefs.ErrInvalidArgument)
		}
		return s.makeDirs(sn)
	})
	if err != nil {
		return nil, fmt.Errorf("overlay %s %q: %w", kind, key, err)
	}
	return mounts, nil
}

// makeDirs makes <id>/fs (and <id>/work for active snapshots) under a
// temporary name, then renames it into place.
func (s *Snapshotter) makeDirs(sn storage.Snapshot) error {
	tmp, err := os.MkdirTemp(filepath.Join(s.root, "snapshots"), "new-")
	if err != nil {
		return err
	}
	err = os.Mkdir(filepath.Join(tmp, "fs"), 0o755)
	if err == nil && sn.Kind == snapshot.KindActive {
		err = os.Mkdir(filepath.Join(tmp, "work"), 0o700)
	}
	if err == nil {
		err = os.Chmod(tmp, 0o755)
	}
	if err == nil {
		err = os.Rename(tmp, s.dir(sn.ID))
	}
	if err != nil {
		return errors.Join(err, os.RemoveAll(tmp))
	}
	return nil
}

func dataLen(mounts []mount.Mount) int {
	n := 0
	for _, m := range mounts {
		if m.Type == "overlay" {
			n = max(n, len(strings.Join(m.Options, ",")))
		}
	}
	return n
}

// Commit records key's upper directory as the committed snapshot name.
func (s *Snapshotter) Commit(ctx context.Context, name, key string) error {
	return s.ms.Commit(ctx, name, key, s.upper)
}

// Remove removes a snapshot and its directories.
func (s *Snapshotter) Remove(ctx context.Context, key string) error {
	return s.ms.Remove(key, s.dir)
}

// Walk calls fn for every snapshot.
func (s *Snapshotter) Walk(ctx context.Context, fn func(context.Context, snapshot.Info) error) error {
	return s.ms.Walk(ctx, fn)
}

// Close closes the metadata database.
func (s *Snapshotter) Close() error { return s.ms.Close() }

// DriverData describes a committed snapshot the way dockerd's overlay2
// graph driver does in `docker image inspect` (GraphDriver.Data).
func (s *Snapshotter) DriverData(ctx context.Context, name string) (string, map[string]string, error) {
	var sn storage.Snapshot
	if err := s.ms.View(func(tx *storage.Tx) (err error) { sn, err = tx.Get(name); return err }); err != nil {
		return "", nil, err
	}
	data := map[string]string{"UpperDir": s.upper(sn.ID), "WorkDir": s.work(sn.ID)}
	if len(sn.ParentIDs) > 0 {
		data["LowerDir"] = s.lowers(sn.ParentIDs)
	}
	return "overlay2", data, nil
}
