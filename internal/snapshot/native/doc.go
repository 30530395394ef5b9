// Package native is the copy-based snapshotter: every active snapshot is a
// full copy of its parent's tree, so it needs no overlayfs and no root (as
// root it also keeps ownership and device nodes). It is the backend of the
// engine's tests and a fallback where overlayfs is unavailable; it is slow
// and disk-hungry for real images (Prepare copies the whole parent).
//
// Layout under the snapshotter's root:
//
//	<root>/
//	├── metadata.db          bbolt metadata (snapshot/storage)
//	└── snapshots/
//	    └── <id>/            the complete tree of snapshot <id> (active or committed)
//
// Mounts are always one bind mount: an active snapshot binds its own
// directory read-write; a view binds its parent's directory read-only (an
// empty directory of its own when it has no parent). Image unpack writes
// straight into the bind source, so it needs no mount either.
//
// It imports snapshot, snapshot/storage, mount and errdefs; only
// internal/daemon (and tests) import it.
package native
