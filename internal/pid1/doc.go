// Package pid1 is the minimal init that `docker run --init` puts in a
// container as PID 1: berth-init (cmd/berth-init), bind-mounted read-only at
// /sbin/docker-init as dockerd mounts its docker-init (tini).
//
// Place in the run flow: internal/oci prefixes the container's command with
// `/sbin/docker-init --`, so the runtime execs berth-init, which starts the
// command as its only direct child and then
//
//   - forwards every signal it receives to that child (a PID 1 has no
//     default signal actions, so `docker stop` would otherwise wait for the
//     kill timeout when the command ignores SIGTERM by being PID 1);
//   - reaps every process that exits in the container (orphans are
//     reparented to PID 1), so no zombie accumulates;
//   - exits with the child's status (128+N when a signal N ended it) as
//     soon as the child is gone, which ends the container.
//
// The child gets its own process group and, when stdin is a terminal, the
// terminal's foreground, like tini, so ^C reaches it from the terminal.
// Outside a PID namespace (tests) berth-init makes itself a child subreaper
// so orphans still come to it.
//
// berth-init must run inside any image, so it is a separate static binary
// (pure Go, no cgo: internal linking gives a static executable) rather than
// a subcommand of berth-runtime, which links libseccomp and libc
// dynamically. Hand-written on os/signal and syscall: tini's behaviour is
// ~150 lines and a library would add nothing.
//
// Imports: stdlib and golang.org/x/sys/unix only.
package pid1
