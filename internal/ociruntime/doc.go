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
// CLI contract (what the monitor relies on; runc-compatible):
//
//	berth-runtime [--root DIR] [--log FILE] [--log-format text|json] [--debug] VERB ...
//	  --root            state directory, default /run/berth-runtime
//	  --systemd-cgroup  refused: "not implemented" (no systemd here)
//	create [-b|--bundle DIR] [--pid-file F] [--console-socket SOCK] [--no-pivot] [--preserve-fds N] ID
//	start ID | state ID | delete [-f|--force] ID | pause ID | resume ID
//	kill [-a|--all] ID [SIGNAL]            SIGNAL: TERM, SIGTERM or 15 (default SIGTERM)
//	run [create flags] [-d|--detach] ID    without -d: exit code of the init (128+N if killed by N)
//	exec [--process F] [--pid-file F] [-d] [--console-socket S] [-t] [--cwd D] [-e K=V]...
//	     [-u UID[:GID]] [-g GID]... [--preserve-fds N] ID [ARGS...]
//	list [-q] [--format table|json] | ps [--format table|json] ID [PS_ARGS] | version, --version
//
// Exit status 0 on success; 1 on any error, reported as one line
// "berth-runtime: VERB: what failed: why" on stderr and as an error entry in
// --log (JSON lines {"time","level":"error","msg"} with --log-format json).
// create returns when init waits for start (status "created"); the pid file
// (written atomically) holds the host pid of init, and of the exec'd process
// for exec. That process is a direct child of the berth-runtime process, which
// exits when create or exec --detach returns: no intermediate process stays
// behind, so the process is reparented to the caller if it is a
// PR_SET_CHILD_SUBREAPER (the monitor), else to pid 1. A monitor must reap every child (wait for any pid): a pid-namespace
// init only finishes exiting once the exec'd processes it outlived are reaped.
// With process.terminal, the pty is opened inside the container and its
// master is sent over --console-socket as one SCM_RIGHTS message (data: the
// pty name); without it the process uses create's (or exec's) fds 0, 1, 2.
//
// Layout: one file per verb (create.go, start.go, ...), the parent side of
// spawning in spawn.go, the child side in init_linux.go. Everything but the
// nsenter constructor is Go.
//
// Imports: errdefs, internal/ociruntime/{cgroups,nsenter}, runtime-spec,
// x/sys/unix, moby/sys/{capability,mountinfo,user}, filepath-securejoin,
// creack/pty. Never engine, image or store.
package ociruntime
