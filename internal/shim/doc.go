// Package shim is the container monitor, `berth-runtime monitor --root DIR`:
// ONE process per berthd exec-root, shared by every container, that runs the
// OCI runtime, owns the containers' stdio, writes their json-file logs, reaps
// them, detects OOM kills and keeps their exit statuses, so containers outlive
// berthd. It replaces docker's one Go shim per container (~3 MB PSS each): a
// running container costs the monitor two parked goroutines and a few small
// structs (~50 kB PSS measured), and the idle monitor is ~5 MB RSS.
//
// Place in the run flow: berthd's runner (runner/shimrunner) starts it when
// no monitor answers on DIR/monitor.sock and talks to it with the protocol of
// package wire. For each container it mounts the Bundle's rootfs on
// <bundle>/rootfs, writes <bundle>/config.json and runs
//
//	RUNTIME --root RUNTIMEROOT create --bundle DIR --pid-file DIR/init.pid [--console-socket S] ID
//	RUNTIME --root RUNTIMEROOT start|kill [--all] ID SIG|delete [--force] ID|ps --format json ID
//	RUNTIME --root RUNTIMEROOT update --resources FILE ID
//	RUNTIME --root RUNTIMEROOT exec --detach --pid-file F --process F.json [--console-socket S] ID
//
// (runc's CLI). The container's init and exec processes are reparented to
// the monitor, a child subreaper, whose single wait4(-1) loop (reaper) reaps
// everything, so os/exec is never used here.
//
// Stdio: pipes handed to the runtime as its stdio (runc passes them on), or
// for a terminal a console socket on which the runtime sends the pty master
// (SCM_RIGHTS). Output goes to the log (logfile) and to every attacher; the
// runtime's own error message, which lands on the container's stderr pipe
// when create or exec fails, is taken from there before any copying starts.
// When a process exits, its exit is published only after its output was
// drained (bounded by drainWait) and its attachers got End; the OOM counter
// of its memory cgroup is read at reap time, before `delete` removes it.
//
// A container in a user namespace (--userns-remap; Create.IDMap set) gets
// its rootfs mounted through idmapped mounts (idmap_linux.go): overlay
// lower layers as detached idmapped clones, its upper and work directories
// handed to the container's root; the user namespace for the idmapping is
// made once per mapping by running the monitor binary itself in a new user
// namespace (`monitor --userns-holder`). Image layers stay shared and
// unchanged on disk.
//
// Life: the monitor runs in its own session (a SIGKILL to berthd's process
// group does not reach it), holds an exclusive flock on DIR, and exits when
// it has had no container and no client for idleExit, or on SIGTERM when it
// has no container. State is in memory only.
//
//	DIR/
//	├── monitor.sock   the socket (0600)
//	├── monitor.pid    its pid while it runs
//	├── monitor.log    its stdout/stderr (slog text), opened by the starter
//	└── c<N>.sock      a console socket, during one create/exec
//
// It may import errdefs, logging, logfile, mount and shim/wire; it never
// imports the engine, image or store packages.
package shim
