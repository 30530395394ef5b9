// Package engine is the container life cycle and state machine: create,
// start, stop, kill, wait, exec, attach, logs, remove, and restore after a
// daemon restart. It owns the in-memory container records and persists each
// change through internal/store.
//
// Reads never block: every container publishes an immutable view (its inspect
// document) through an atomic pointer after each change, and ps, inspect and
// info are answered from those views alone. Slow operations (runtime calls,
// mounts) hold only the container's operation lock, never the locks that reads
// take, so one stuck container cannot freeze the API (moby/moby#28889).
//
// Place in the run flow (docs/architecture/run-flow.md): the server calls the
// engine; the engine resolves the image (deps.go: Images), prepares the
// container's snapshot (Snapshots), generates the OCI spec (internal/oci) and
// hands a runner.Bundle to the Runner (the monitor), whose exits come back to
// handleExit in exit.go.
//
// Live changes of a running container: update.go (`docker update`: merge
// into HostConfig with dockerd's rules, then runner.Update) and stats.go
// (`docker stats`: runner.Stats samples, converted to Docker's
// StatsResponse, primed or streamed once a second). Create checks the
// security settings (oci.CheckHostConfig) so bad ulimits, capabilities,
// devices, sysctls or seccomp profiles fail before anything exists.
//
// It may import: api, errdefs, internal/{backend,distribution,events,image,logging,logfile,mount,oci,remote,runner,stats,store}.
package engine
