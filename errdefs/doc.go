// Package errdefs is Berth's single error vocabulary: a small set of sentinel
// kinds that every package wraps with %w, and that each boundary maps exactly
// once (HTTP status in internal/server, status back to kind in client, OCI
// error codes in the registry).
//
// It is a leaf: it imports only the standard library.
package errdefs
