// Package shimrunner is the real runner.Runner: a client of the container
// monitor (`berth-runtime monitor`, package shim), the one process per
// daemon that runs the OCI runtime, owns every container's stdio and logs,
// reaps them and keeps their exit statuses, so containers outlive berthd.
//
// New connects to DIR/monitor.sock, starting the monitor (detached: its own
// session, stdio to DIR/monitor.log) when none answers, and subscribes to
// exits. If the connection drops it reconnects in the background (starting
// a new monitor if the old one is gone); calls made meanwhile connect on
// their own or fail with ErrUnavailable. Close leaves the containers
// running; a monitor left with no container and no client exits by itself.
//
// Errors keep the monitor's kinds (ErrNotFound, ErrConflict, ...; a failing
// OCI runtime is ErrInternal "OCI runtime create failed: <runtime's
// message>"). Exits are delivered at least once (a container's exit again
// after a reconnect, until Delete), each in its own goroutine, and only after
// this runner's attaches to that process delivered all output (bounded, so
// a stuck writer cannot hide an exit). A container removed before it was
// started reports no exit; a running one removed with force reports its
// SIGKILL (137), possibly after Delete returned. A cancelled call returns
// ctx.Err() but the monitor still completes it (List shows the result).
// The protocol is drawn in internal/shim/wire.
//
// It imports runner, shim (the monitor's file names and command), shim/wire
// and errdefs.
package shimrunner
