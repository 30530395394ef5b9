package snapshot

import (
	"context"
	"time"

	"github.com/berthproject/berth/internal/mount"
)

// Kind is the kind of a snapshot.
type Kind uint8

// The kinds of snapshots.
const (
	// KindUnknown is the zero Kind.
	KindUnknown Kind = iota
	// KindView is a read-only snapshot made by View; it cannot be committed.
	KindView
	// KindActive is a writable snapshot made by Prepare.
	KindActive
	// KindCommitted is an immutable snapshot made by Commit; only committed
	// snapshots can be parents.
	KindCommitted
)

// String returns the lower-case name of k.
func (k Kind) String() string {
	switch k {
	case KindView:
		return "view"
	case KindActive:
		return "active"
	case KindCommitted:
		return "committed"
	}
	return "unknown"
}

// Info describes one snapshot.
type Info struct {
	// Kind is view, active or committed.
	Kind Kind
	// Name is the snapshot's key (active, view) or name (committed).
	Name string
	// Parent is the name of the committed parent, "" for none.
	Parent string
	// Created is when the snapshot was made (for a committed one: when it
	// was committed).
	Created time.Time
}

// Usage is the disk space used by one snapshot, not counting its parents
// where the implementation keeps them apart (native copies its parent, so
// its usage includes the copy).
type Usage struct {
	// Size is the number of bytes used.
	Size int64
	// Inodes is the number of inodes used.
	Inodes int64
}

// Snapshotter allocates and tracks filesystem snapshots: layered, copy-on-
// write directory trees described to the runtime as mounts. Every snapshot
// has a parent ("" is the empty directory). Snapshotters never mount
// anything: they return []mount.Mount, and the caller (the runner for a
// container, or image unpack when it cannot write straight into a directory)
// performs them.
//
// Keys and names share one namespace: an active snapshot may not use the key
// of a committed one and vice versa. In this documentation `key` names an
// active or view snapshot, `name` a committed one, `parent` a committed one
// used as a base.
//
// # Life cycle
//
//	                  Prepare(key, parent) ──> active ──Commit(name, key)──> committed
//	                                             │                              │
//	View(key, parent) ──> view                   │                              │
//	                        │                    │                              │
//	                        └──── Remove ────────┴──────────── Remove ──────────┘
//	                                                  (only once it has no children)
//
// Active snapshots never become committed ones in place: Commit creates the
// committed snapshot `name` (with the active snapshot's parent as its
// parent) and removes `key`. Views can only be removed.
//
// # Importing a layer (image unpack)
//
//	mounts, err := sn.Prepare(ctx, "unpack-<random>", parentChainID) // "" for the first layer
//	// write the layer into the mounts: straight into the directory when the
//	// mounts are one bind mount or one overlay with an upperdir, else mount
//	// them on a temporary directory (root only)
//	err = sn.Commit(ctx, chainID, "unpack-<random>")
//
// On failure the caller Removes its active key. Chain IDs make committed
// names content-addressed: two images sharing their first layers share
// those snapshots, and a second unpack of the same chain finds it with Stat.
//
// # Running a container
//
//	mounts, err := sn.Prepare(ctx, containerID, imageTopChainID)
//	// the runner mounts `mounts` as the container's rootfs
//	// `docker commit`: sn.Commit(ctx, newChainID, containerID)
//	// `docker rm`:     sn.Remove(ctx, containerID)
//
// # Errors
//
// Errors wrap errdefs kinds: an unknown key, name or parent is ErrNotFound;
// reusing a key or name is ErrAlreadyExists; a parent that is not committed
// is ErrInvalidArgument; an operation on the wrong kind (Commit of a view or
// of a committed snapshot, Mounts of a committed one) or Remove of a
// snapshot that still has children is ErrConflict.
//
// Every method is safe for concurrent use.
type Snapshotter interface {
	// Stat returns the info of a snapshot of any kind.
	Stat(ctx context.Context, key string) (Info, error)
	// Usage returns the space used by a snapshot (see Usage). For an active
	// snapshot it walks the tree, so its cost grows with its size; for a
	// committed one it returns what was measured at Commit.
	Usage(ctx context.Context, key string) (Usage, error)
	// Mounts returns the mounts of an active or view snapshot again (the
	// same as Prepare or View returned).
	Mounts(ctx context.Context, key string) ([]mount.Mount, error)
	// Prepare creates the active snapshot key on top of the committed
	// parent and returns the mounts that show it. Once mounted, the
	// directory starts with the parent's content, and changes are captured
	// in key.
	Prepare(ctx context.Context, key, parent string) ([]mount.Mount, error)
	// View creates the read-only snapshot key showing the committed parent.
	// Its mounts carry the "ro" option; it cannot be committed.
	View(ctx context.Context, key, parent string) ([]mount.Mount, error)
	// Commit turns the changes captured in the active snapshot key into the
	// committed snapshot name, whose parent is key's parent, and removes
	// key. The key's mounts must be unmounted first.
	Commit(ctx context.Context, name, key string) error
	// Remove removes a snapshot of any kind and its data. A committed
	// snapshot that is the parent of another snapshot cannot be removed.
	Remove(ctx context.Context, key string) error
	// Walk calls fn for every snapshot, in no particular order, and stops
	// at fn's first error, which it returns.
	Walk(ctx context.Context, fn func(context.Context, Info) error) error
	// Close releases the snapshotter's resources (its metadata database).
	Close() error
}
