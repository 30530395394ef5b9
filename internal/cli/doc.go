// Package cli is the berth command line: a drop-in for the docker CLI for
// the container and image commands (same names, flags, output formats,
// exit codes and messages). There is one file per command; a command
// parses flags into api structs, calls the client package and renders the
// answer (tables and --format templates in the formatter subpackage).
//
// Place in the run flow: `berth run` parses its flags in run.go and
// containeropts.go into a container.CreateRequest, then create → attach and
// wait (concurrently) → start → stream copy (hijack.go) → exit with the
// container's status, like docker's CLI.
//
// It is on the hot path of the `run --rm` latency benchmark, so it keeps
// start-up light: no telemetry, no config-file parsing, no on-disk caches,
// one HTTP connection pool, and no /_ping when DOCKER_API_VERSION pins the
// version.
//
// It imports client, api, errdefs and logging (and third-party packages);
// cmd/berth calls Main.
package cli
