// Package registry is berth-registry: an OCI distribution-spec v1.1 server
// (pull, push, chunked and resumable uploads, cross-repository mounts,
// manifests by tag and digest, tag listing, catalog, referrers, deletes,
// sha256 and sha512), with htpasswd or token authentication, TLS, a
// read-only mode, an slog access log, /debug/health and Prometheus metrics
// on a separate address.
//
// Place in the run flow: cmd/berth-registry loads a Config (JSON file plus
// flags), calls New and ListenAndServe. The same server is embeddable: a
// daemon builds it with New(ctx, Config{Addr: ..., Storage: {RootDir:
// ...}}) and runs ListenAndServe(ctx) in a goroutine (or mounts Handler in
// its own http.Server); it shares nothing else with the engine. A request
// goes: observe (access log, metrics) → serveAPI (api.ParseRoute, method,
// auth, read-only) → one handler per endpoint (blobs.go, uploads.go,
// manifests.go, listing.go) → storage.Store. Errors leave through
// api.WriteError, the one error table.
//
// Files:
//
//	registry.go   New, Handler, Serve/ListenAndServe, health, upload purging
//	config.go     Config, LoadConfig (JSON), defaults, Validate
//	handler.go    routing, required access, error sending
//	blobs.go uploads.go manifests.go listing.go   the endpoints
//	auth.go htpasswd.go token.go issuer.go        basic auth, bearer tokens (JWT
//	              verification and the built-in issuer, hand-written: one
//	              signature check does not need a JOSE library)
//	observe.go metrics.go   access log and Prometheus text exposition (hand-
//	              written for the same reason: a few counters and a histogram)
//	gc.go         storage lock and garbage collection entry point
//
// Imports: errdefs, internal/logging, registry/api, registry/storage and its
// drivers, go-digest, image-spec, x/crypto/bcrypt. Never internal/engine or
// anything else of berth's (TestImports checks).
package registry
