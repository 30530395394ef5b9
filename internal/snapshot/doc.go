// Package snapshot is the contract between Berth's storage and everything
// that needs a root filesystem: the Snapshotter interface, its life cycle
// (documented on Snapshotter) and the Info/Usage values it reports.
//
// Place in the run flow: image unpack turns each image layer into a
// committed snapshot named by the layer's chain ID; the engine Prepares a
// container's writable snapshot on top of the image's top chain ID and hands
// the returned []mount.Mount to the runner, which alone mounts them. A build
// step or `docker commit` Commits a container snapshot as a new layer.
//
// Implementations live in sub-packages: overlay (overlayfs, needs root to
// mount), native (full copies, no root needed: the engine's test backend).
// Both keep their metadata with snapshot/storage and pass snapshot/testsuite,
// which is the contract's executable specification. Only internal/daemon
// picks an implementation.
//
// This package may import mount and errdefs.
package snapshot
