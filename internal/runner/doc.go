// Package runner is the engine-facing contract for running containers: the
// engine hands a Runner a Bundle (an OCI spec, the rootfs as []mount.Mount and
// the stdio/log settings) and drives its life cycle by ID. Runners report
// exits asynchronously through the ExitFunc given to them at construction.
//
// Implementations: runner/shimrunner (the real one: talks to the
// `berth-runtime monitor` process, which owns stdio, logs and exit statuses
// and outlives berthd) and runner/fake (in memory, for engine tests).
//
// It imports only internal/mount, internal/stats (the Sample that Stats
// returns) and the OCI runtime-spec types.
package runner
