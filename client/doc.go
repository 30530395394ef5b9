// Package client is Berth's small Go client for the Docker Engine API that
// berthd (and dockerd) serve. It is what the berth CLI uses: one HTTP
// transport over a unix socket or TCP (optionally TLS), API version
// negotiation through /_ping, hijacked connections for attach and exec, and
// streaming decoders for events and progress messages.
//
// Place in the run flow: `berth run` builds an api request in internal/cli and
// calls ContainerCreate, ContainerAttach, ContainerWait and ContainerStart
// here; each is one HTTP request to berthd's internal/server.
//
// Errors are mapped exactly once, in errors.go: an HTTP status becomes an
// errdefs kind (404 → ErrNotFound, 409 → ErrConflict, ...) wrapped in an
// *Error that carries the daemon's message, so callers use errdefs.IsX and
// print err.Error() ("Error response from daemon: ...") as docker does.
//
// It is hand-written instead of using github.com/moby/moby/client because
// that module links OpenTelemetry and grows the CLI binary and its start-up
// time; the CLI is on the hot path of `run --rm`. Wire types come from
// github.com/moby/moby/api, so JSON matches dockerd byte for byte.
//
// It may import api/, errdefs/ and third-party packages only.
package client
