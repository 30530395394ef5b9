// Package api is Berth's HTTP API contract. The wire types are Docker's own
// (github.com/moby/moby/api/types/...), used directly so JSON casing and
// omitempty match dockerd byte for byte; this package adds only what those
// types do not carry: the version range Berth serves and version helpers.
//
// It is a leaf: it imports only errdefs.
package api
