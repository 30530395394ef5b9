// Package server is berthd's HTTP API: a Docker Engine API compatible
// router (API versions api.MinVersion to api.MaxVersion), its middleware
// (version prefix, request id, access log, panic recovery, dockerd's
// headers) and one file of handlers per resource (system.go, events.go,
// containers.go, attach.go, exec.go, images.go, ...).
//
// Place in the run flow: cmd/berthd → internal/daemon builds the engine and
// calls server.New with it, then Serve on the daemon's listeners. Every
// handler decodes the request, calls one of the backend interfaces declared
// in backend.go (consumer-side, cut by role as moby's routers do) and
// encodes the response with moby's own wire types
// (github.com/moby/moby/api/types/...), so JSON matches dockerd byte for
// byte. httperr.go is the only place that maps errdefs kinds to HTTP
// statuses.
//
// Streams: the server owns the wire format. Backends hand plain bytes to
// io.Writers (attach, exec) or LogMessages (logs); the server multiplexes
// them with stdcopy framing when there is no terminal, hijacks connections
// for attach and exec, applies the detach keys and notices hang-ups.
//
// Routing uses net/http's ServeMux method patterns rather than a framework:
// the Docker API is a fixed set of routes and the standard mux covers them.
//
// Imports: api, errdefs, internal/logging, moby's api module (types, stdcopy),
// distribution/reference, moby/term (detach keys). Never the moby client
// (it links OpenTelemetry; tests may use it) and never the engine itself.
package server
