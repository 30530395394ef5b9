// Package server is berthd's HTTP API: a Docker Engine API compatible
// router (API versions api.MinVersion to api.MaxVersion, served both as
// /v1.NN/... and unversioned), its middleware and one file of handlers per
// resource.
//
// Place in the run flow: cmd/berthd → internal/daemon builds the engine and
// calls server.New with it, then Serve on the daemon's listeners. Every
// handler decodes the request, calls one of the backend interfaces declared
// in backend.go (consumer-side, cut by role as moby's routers do) and
// encodes the response with moby's own wire types
// (github.com/moby/moby/api/types/...), so JSON matches dockerd byte for
// byte; responses to older API versions get dockerd's per-version changes.
//
// Files:
//
//	server.go       Options, New, Serve (graceful shutdown), the route table
//	middleware.go   version prefix, headers, request id + access log, panic recovery
//	httperr.go      the only errdefs kind → HTTP status table
//	wire.go         JSON in and out, query parameters, legacy-field merging
//	system.go       /_ping /version /info /system/df      events.go  /events
//	containers*.go  container life cycle and inspection   logs.go    /logs
//	attach.go exec.go hijack.go hangup_*.go  hijacked streams    stream.go  stdcopy framing
//	images*.go      images, load/save/import/pull          objects.go networks, volumes, plugins
//
// Streams: the server owns the wire format. Backends hand plain bytes to
// io.Writers (attach, exec) or send LogMessages (logs); the server frames
// them with stdcopy when there is no terminal, hijacks connections for
// attach and exec (101 UPGRADED, or 200 for old clients), applies the detach
// keys, and notices a client hanging up (epoll on the socket, as dockerd).
//
// Routing uses net/http's ServeMux method patterns rather than a framework:
// the Docker API is a fixed set of routes and the standard mux covers them,
// except image names, which contain slashes and are dispatched by suffix.
//
// Imports: api, errdefs, internal/logging, moby's api module (types,
// stdcopy, authconfig), distribution/reference, go-digest, image-spec,
// moby/term (detach keys) and x/sys (epoll). Never the moby client (it
// links OpenTelemetry; tests may use it, TestImports checks) and never the
// engine itself.
package server
