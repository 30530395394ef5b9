// Package remote is Berth's registry client: it speaks the Docker Registry
// HTTP API v2 (the OCI distribution spec) to resolve references, fetch
// manifests and blobs, push blobs and manifests, mount blobs across
// repositories and log in, with Docker's endpoint rules (Docker Hub
// mirrors, insecure registries with plain-HTTP fallback, loopback treated
// as insecure by the daemon, per-host CA and client certificates from
// certs.d directories) and Docker's authentication (basic, and bearer
// tokens obtained through the WWW-Authenticate challenge, with password,
// identity (refresh) token or registry token).
//
// Place in the run flow: `docker pull busybox` reaches
// internal/distribution, which asks Client.Endpoints for the hosts to try
// (mirrors first), opens a Repository on one, fetches the manifest and
// streams each layer blob into the content store while the image store
// unpacks it. `docker push` uploads layers with Repository.Upload (the
// digest is computed while the bytes stream, so a layer is compressed
// once), after BlobExists and Mount checks.
//
// Errors wrap errdefs kinds, converted once in errors.go from the HTTP
// status and the registry's error code (401 → ErrUnauthorized, 403 →
// ErrPermissionDenied, 404 → ErrNotFound, 429 and 5xx → ErrUnavailable),
// with Docker's wording ("unauthorized: authentication required"). A blob
// whose bytes do not match its digest fails with ErrInvalidArgument
// ("digest mismatch"). Transient failures (connection errors, 429, 5xx)
// are retried with exponential back-off; a blob download resumes with a
// Range request where it stopped.
//
// Why hand-written instead of go-containerregistry (the library
// DEPENDENCIES.md suggests): berthd needs per-layer progress in Docker's
// format, blobs streamed straight into its own content store (which
// already hashes what it stores), and uploads whose digest is learnt while
// a parallel compressor streams into the request. ggcr's remote.Write needs
// a layer's digest before the upload (so an uncompressed layer would be
// compressed twice) and its streaming layer uses single-threaded gzip; it
// also links docker/cli's config-file code into the daemon, which never
// reads ~/.docker/config.json (the CLI sends credentials). The protocol
// subset a container engine needs is small: this package is about a
// thousand lines.
//
// It imports errdefs, logging, distribution/reference, go-digest and the
// OCI image-spec types; nothing else of Berth.
package remote
