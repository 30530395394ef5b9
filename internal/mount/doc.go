// Package mount is the storage -> runtime hand-off: a Mount is a description
// (type, source, options), as in containerd. Snapshotters return []Mount and
// never mount anything; only the runner (in the monitor) and the runtime apply
// them, with All and UnmountAll.
//
// ReadFile reads a file of the root filesystem a []Mount describes without
// mounting it (one bind mount, or one overlay merged by hand), so the engine
// can resolve `-u name` from a container's /etc/passwd and /etc/group
// without root and without following a symlink out of the container.
//
// It is a leaf: it imports no Berth package.
package mount
