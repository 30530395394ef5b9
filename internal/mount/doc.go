// Package mount is the storage -> runtime hand-off: a Mount is a description
// (type, source, options), as in containerd. Snapshotters return []Mount and
// never mount anything; only the runner (in the monitor) and the runtime apply
// them, with All and UnmountAll.
//
// It is a leaf: it imports no Berth package.
package mount
