// Package ociruntime is berth-runtime: Berth's OCI runtime, the runc CLI
// subset that the monitor (internal/shim) drives exactly as it would drive
// runc: create, start, state, kill, delete, run, exec, list, ps, pause,
// resume, plus the hidden `init` verb that is the container's first process
// before it execs the user's program.
//
// Place in the run flow: the engine writes a bundle (config.json from
// internal/oci, rootfs mounted by the caller), the monitor runs
// `berth-runtime create`, then `start`. create re-execs /proc/self/exe init
// in new namespaces (clone flags) or joined ones (the cgo constructor in
// internal/ociruntime/nsenter), puts it in its cgroup
// (internal/ociruntime/cgroups), and hands it the spec over a socket; init
// prepares the rootfs (rootfs_linux.go), pivots into it, applies the process
// settings (process_linux.go) and waits on the exec fifo for `start`. The
// exchange is drawn in sync.go; the on-disk state is described in
// container.go.
//
// Layout: one file per verb (create.go, start.go, ...), the parent side of
// spawning in spawn.go, the child side in init_linux.go. Everything but the
// nsenter constructor is Go.
//
// Imports: errdefs, internal/ociruntime/{cgroups,nsenter}, runtime-spec,
// x/sys/unix, moby/sys/{capability,mountinfo,user}, filepath-securejoin,
// creack/pty. Never engine, image or store.
package ociruntime
