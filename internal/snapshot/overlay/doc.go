// Package overlay is the overlayfs snapshotter, the production backend.
// Committed snapshots are overlay lower directories; an active snapshot adds
// an upper and a work directory on top of its parents. Creating snapshots
// needs no privilege; mounting what Prepare returns needs root, and only the
// runner (or a privileged image unpack) mounts.
//
// Layout under the snapshotter's root (numeric IDs keep mount data short:
// the kernel takes at most one page of options, so with a root like
// /var/lib/berth/overlay about 90 layers fit; Prepare refuses more with
// ErrInvalidArgument instead of failing at mount time):
//
//	<root>/
//	├── metadata.db          bbolt metadata (snapshot/storage)
//	└── snapshots/
//	    └── <id>/
//	        ├── fs/          the snapshot's own files: the upperdir while active,
//	        │                a lowerdir once committed (whiteouts are 0:0 char
//	        │                devices, opaque dirs carry trusted.overlay.opaque=y)
//	        └── work/        overlay workdir (active snapshots only)
//
// Mounts, by kind and number of parents:
//
//	active, no parent   bind <id>/fs rw
//	active, parents     overlay lowerdir=<p1>/fs:<p2>/fs:...,upperdir=<id>/fs,workdir=<id>/work
//	view,   no parent   bind <id>/fs ro (empty)
//	view,   one parent  bind <p1>/fs ro
//	view,   parents     overlay lowerdir=<p1>/fs:<p2>/fs:... (read-only by construction)
//
// Image unpack applies a layer straight into the upperdir (converting
// whiteouts to overlay form), so it mounts nothing either.
//
// It imports snapshot, snapshot/storage, mount and errdefs; only
// internal/daemon (and tests) import it.
package overlay
