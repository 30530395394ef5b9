package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/berthproject/berth/internal/logging"
)

// Options configure a Server. Backends left nil make their routes answer
// 501, except Networks and Volumes, whose list routes answer empty lists.
type Options struct {
	// Logger receives the access log (Debug) and handler failures. Nil
	// means slog.Default().
	Logger *slog.Logger
	// Version is the daemon's version, sent in the Server header.
	Version string
	// Experimental is sent in the Docker-Experimental header.
	Experimental bool
	// DetachKeys are the default detach keys for attach and exec with a
	// terminal ("" means ctrl-p,ctrl-q), in the CLI's --detach-keys syntax.
	DetachKeys string
	// ShutdownTimeout bounds how long Serve waits for requests in flight
	// when its context ends (default 10s). Streams (events, logs --follow,
	// wait, attach, exec) are ended at once.
	ShutdownTimeout time.Duration

	// PanicRoute registers GET /_berth/panic, whose handler panics: the
	// end-to-end suite uses it to check recovery in a real berthd. Never set
	// it in production.
	PanicRoute bool

	System     SystemBackend
	Events     EventsBackend
	Containers ContainerBackend
	Images     ImageBackend
	Networks   NetworkBackend
	Volumes    VolumeBackend
}

// Server is berthd's HTTP API handler. It is an http.Handler; Serve runs it
// on a listener with graceful shutdown.
type Server struct {
	opts Options
	log  *slog.Logger
	mux  *http.ServeMux

	// stopping is closed when shutdown starts, ending long-lived responses
	// (events, follow, wait, hijacked streams).
	stopping chan struct{}
	stopOnce sync.Once

	mu       sync.Mutex
	hijacked map[net.Conn]struct{}

	headers  http.Header // sent with every response
	idPrefix string
	reqSeq   atomic.Uint64
}

// New builds a Server over the given backends.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.DetachKeys == "" {
		opts.DetachKeys = "ctrl-p,ctrl-q"
	}
	if opts.ShutdownTimeout == 0 {
		opts.ShutdownTimeout = 10 * time.Second
	}
	s := &Server{
		opts:     opts,
		log:      opts.Logger,
		mux:      http.NewServeMux(),
		hijacked: map[net.Conn]struct{}{},
		stopping: make(chan struct{}),
		headers:  fixedHeaders(opts),
		idPrefix: randomPrefix(),
	}
	s.routes()
	return s
}

// randomPrefix returns 6 random hex digits, so request ids differ between
// daemon runs.
func randomPrefix() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:]) + "-"
}

// Serve answers API requests on l until ctx ends, then shuts down: it stops
// accepting, ends streams and hijacked connections, waits up to
// ShutdownTimeout for other requests, and returns nil. Serve closes l.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	srv.RegisterOnShutdown(s.shutdownStreams)
	// Requests must outlive ctx until shutdown decides otherwise.
	srv.BaseContext = func(net.Listener) context.Context {
		return logging.WithLogger(context.WithoutCancel(ctx), s.log)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		s.shutdownStreams()
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		s.log.Warn("api server: requests still running at shutdown timeout")
		err = srv.Close()
	}
	<-errc
	return err
}

// shutdownStreams ends long-lived responses and closes hijacked connections.
func (s *Server) shutdownStreams() {
	s.stopOnce.Do(func() { close(s.stopping) })
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.hijacked {
		_ = c.Close()
	}
}

// streamContext returns a context for a long-lived response: it ends with
// the request or when the server shuts down.
func (s *Server) streamContext(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-s.stopping:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// trackConn registers a hijacked connection so shutdown can close it; the
// returned func unregisters it.
func (s *Server) trackConn(c net.Conn) func() {
	s.mu.Lock()
	s.hijacked[c] = struct{}{}
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		delete(s.hijacked, c)
		s.mu.Unlock()
	}
}

// routes registers every endpoint. Paths are matched without the /v1.NN
// prefix (route strips it). Image names contain slashes, so /images/...
// routes with a name are dispatched by suffix in images.go.
func (s *Server) routes() {
	// system
	s.handle("GET /_ping", s.ping)
	s.handle("HEAD /_ping", s.ping)
	s.handle("GET /version", s.getVersion)
	s.handle("GET /info", s.needSystem(s.getInfo))
	s.handle("GET /system/df", s.needSystem(s.getDiskUsage))
	s.handle("GET /events", need(s.opts.Events != nil, "events", s.getEvents))
	s.handle("OPTIONS /", func(w http.ResponseWriter, r *http.Request) error {
		w.WriteHeader(http.StatusOK)
		return nil
	})

	// containers
	s.handle("POST /containers/create", s.needContainers(s.postContainersCreate))
	s.handle("GET /containers/json", s.needContainers(s.getContainersJSON))
	s.handle("POST /containers/prune", s.needContainers(s.postContainersPrune))
	s.handle("GET /containers/{name}/json", s.needContainers(s.getContainerInspect))
	s.handle("GET /containers/{name}/top", s.needContainers(s.getContainerTop))
	s.handle("GET /containers/{name}/logs", s.needContainers(s.getContainerLogs))
	s.handle("GET /containers/{name}/stats", s.needContainers(s.getContainerStats))
	s.handle("POST /containers/{name}/start", s.needContainers(s.postContainerStart))
	s.handle("POST /containers/{name}/stop", s.needContainers(s.postContainerStop))
	s.handle("POST /containers/{name}/restart", s.needContainers(s.postContainerRestart))
	s.handle("POST /containers/{name}/kill", s.needContainers(s.postContainerKill))
	s.handle("POST /containers/{name}/wait", s.needContainers(s.postContainerWait))
	s.handle("POST /containers/{name}/rename", s.needContainers(s.postContainerRename))
	s.handle("POST /containers/{name}/resize", s.needContainers(s.postContainerResize))
	s.handle("POST /containers/{name}/update", s.needContainers(s.postContainerUpdate))
	s.handle("POST /containers/{name}/attach", s.needContainers(s.postContainerAttach))
	s.handle("POST /containers/{name}/pause", notImplemented)
	s.handle("POST /containers/{name}/unpause", notImplemented)
	s.handle("DELETE /containers/{name}", s.needContainers(s.deleteContainer))

	// exec
	s.handle("POST /containers/{name}/exec", s.needContainers(s.postExecCreate))
	s.handle("POST /exec/{id}/start", s.needContainers(s.postExecStart))
	s.handle("POST /exec/{id}/resize", s.needContainers(s.postExecResize))
	s.handle("GET /exec/{id}/json", s.needContainers(s.getExecInspect))

	// images
	s.handle("GET /images/json", s.needImages(s.getImagesJSON))
	s.handle("GET /images/search", s.needImages(s.getImagesSearch))
	s.handle("GET /images/get", s.needImages(s.getImagesGet))
	s.handle("POST /images/load", s.needImages(s.postImagesLoad))
	s.handle("POST /images/create", s.needImages(s.postImagesCreate))
	s.handle("POST /images/prune", s.needImages(s.postImagesPrune))
	s.handle("GET /images/{rest...}", s.needImages(s.getImageByName))
	s.handle("POST /images/{rest...}", s.needImages(s.postImageByName))
	s.handle("DELETE /images/{rest...}", s.needImages(s.deleteImage))

	// registries
	s.handle("POST /auth", s.needImages(s.postAuth))
	s.handle("GET /distribution/{rest...}", s.needImages(s.getDistributionInspect))

	// networks, volumes, plugins
	s.handle("GET /networks", s.getNetworks)
	s.handle("GET /volumes", s.getVolumes)
	if s.opts.PanicRoute {
		s.handle("GET /_berth/panic", func(http.ResponseWriter, *http.Request) error { panic("test panic route") })
	}
	s.handle("GET /networks/{id}", s.getNetwork)
	s.handle("GET /volumes/{name}", s.getVolume)
	s.handle("GET /plugins", notImplementedPlugins)

	for _, p := range unimplementedRoutes {
		s.handle(p, notImplemented)
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, notFoundf("page not found"))
	})
}

// unimplementedRoutes are dockerd routes berthd does not serve yet: they
// answer 501 rather than "page not found", so clients say what is missing.
// Remove a route from here when it gets a handler.
var unimplementedRoutes = []string{
	"POST /build", "POST /commit",
	"GET /containers/{name}/export", "GET /containers/{name}/changes",
	"GET /containers/{name}/archive", "HEAD /containers/{name}/archive", "PUT /containers/{name}/archive",
	"POST /networks/create", "POST /networks/prune", "DELETE /networks/{id}",
	"POST /networks/{id}/connect", "POST /networks/{id}/disconnect",
	"POST /volumes/create", "POST /volumes/prune", "DELETE /volumes/{name}",
	"GET /swarm", "POST /session",
}

func notImplemented(http.ResponseWriter, *http.Request) error {
	return notImplementedf("not implemented")
}

func (s *Server) needSystem(h apiFunc) apiFunc { return need(s.opts.System != nil, "system", h) }
func (s *Server) needContainers(h apiFunc) apiFunc {
	return need(s.opts.Containers != nil, "containers", h)
}
func (s *Server) needImages(h apiFunc) apiFunc { return need(s.opts.Images != nil, "images", h) }

// need answers 501 while the backend a route needs is not wired.
func need(wired bool, what string, h apiFunc) apiFunc {
	if wired {
		return h
	}
	return func(http.ResponseWriter, *http.Request) error {
		return notImplementedf("%s backend is not available in this daemon", what)
	}
}
