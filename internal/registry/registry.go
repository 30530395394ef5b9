package registry

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/berthproject/berth/internal/logging"
	"github.com/berthproject/berth/internal/registry/storage"
	"github.com/berthproject/berth/internal/registry/storage/driver"
	"github.com/berthproject/berth/internal/registry/storage/driver/filesystem"
	"github.com/berthproject/berth/internal/registry/storage/driver/inmemory"
)

// Registry is an OCI distribution server: the HTTP API over a storage.Store,
// with its authentication, access log and metrics. It is embeddable: build
// it with New and either mount Handler in a server of your own or call
// ListenAndServe.
type Registry struct {
	cfg     Config
	store   *storage.Store
	auth    authorizer // nil: no authentication
	issuer  *tokenIssuer
	metrics *metrics
	log     *slog.Logger
	handler http.Handler
}

// New builds a registry from cfg: it opens the storage driver and loads the
// auth files. The logger comes from ctx (logging.From).
func New(ctx context.Context, cfg Config) (*Registry, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d, err := openDriver(cfg.Storage)
	if err != nil {
		return nil, err
	}
	r := &Registry{
		cfg:     cfg,
		store:   storage.New(d, storage.Options{MaxManifestSize: cfg.MaxManifestSize}),
		metrics: newMetrics(),
		log:     logging.From(ctx),
	}
	if err := r.setupAuth(); err != nil {
		return nil, err
	}
	r.handler = r.routes()
	return r, nil
}

func openDriver(c StorageConfig) (driver.Driver, error) {
	switch c.Driver {
	case "inmemory":
		return inmemory.New(), nil
	default:
		d, err := filesystem.New(c.RootDir, filesystem.Options{NoSync: c.NoSync})
		if err != nil {
			return nil, fmt.Errorf("registry storage: %w", err)
		}
		return d, nil
	}
}

// Store returns the registry's storage.
func (r *Registry) Store() *storage.Store { return r.store }

// Config returns the effective configuration (defaults filled in).
func (r *Registry) Config() Config { return r.cfg }

// Handler returns the registry's HTTP handler: /v2/ (the distribution API),
// /debug/health and, with the built-in token issuer, /auth/token.
func (r *Registry) Handler() http.Handler { return r.handler }

// MetricsHandler returns the Prometheus text exposition of the registry's
// metrics.
func (r *Registry) MetricsHandler() http.Handler { return r.metrics }

func (r *Registry) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/v2/", http.HandlerFunc(r.serveAPI))
	mux.Handle("/v2", http.HandlerFunc(r.serveAPI))
	mux.Handle("/debug/health", named("health", http.HandlerFunc(r.serveHealth)))
	if r.issuer != nil {
		mux.Handle("/auth/token", named("token", r.issuer))
	}
	return r.observe(mux)
}

// ListenAndServe listens on cfg.Addr (and cfg.MetricsAddr) and serves until
// ctx is done, then shuts down gracefully. It also purges stale uploads
// every UploadPurgeInterval.
func (r *Registry) ListenAndServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", r.cfg.Addr)
	if err != nil {
		return fmt.Errorf("registry listen %s: %w", r.cfg.Addr, err)
	}
	var mln net.Listener
	if r.cfg.MetricsAddr != "" {
		if mln, err = net.Listen("tcp", r.cfg.MetricsAddr); err != nil {
			ln.Close()
			return fmt.Errorf("registry metrics listen %s: %w", r.cfg.MetricsAddr, err)
		}
	}
	return r.Serve(ctx, ln, mln)
}

// Serve serves the API on ln (with TLS when configured) and the metrics on
// mln (nil: none) until ctx is done.
func (r *Registry) Serve(ctx context.Context, ln, mln net.Listener) error {
	srv, err := r.server(ln)
	if err != nil {
		return err
	}
	if !r.cfg.ReadOnly {
		release, err := r.lockStorage(false)
		if err != nil {
			return err
		}
		defer release()
	}
	useTLS := srv.TLSConfig != nil // read before Serve starts: it configures HTTP/2 in TLSConfig
	servers := []*http.Server{srv}
	errc := make(chan error, 2)
	go func() { errc <- r.serveOne(srv, ln, useTLS) }()
	if mln != nil {
		mux := http.NewServeMux()
		mux.Handle("/metrics", r.metrics)
		mux.HandleFunc("/debug/health", r.serveHealth)
		msrv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		servers = append(servers, msrv)
		go func() { errc <- r.serveOne(msrv, mln, false) }()
	}
	var wg sync.WaitGroup
	wg.Go(func() { r.purgeLoop(ctx) })
	r.log.Info("registry listening", "addr", ln.Addr().String(), "tls", useTLS,
		"storage", r.store.Driver().Name(), "read_only", r.cfg.ReadOnly)
	select {
	case <-ctx.Done():
		err = nil
	case err = <-errc:
	}
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	for _, s := range servers {
		s.Shutdown(shutCtx)
	}
	wg.Wait()
	return err
}

func (r *Registry) server(ln net.Listener) (*http.Server, error) {
	srv := &http.Server{
		Handler:           r.handler,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(r.log.Handler(), slog.LevelDebug),
	}
	if r.cfg.TLS.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(r.cfg.TLS.CertFile, r.cfg.TLS.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("registry tls: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	return srv, nil
}

func (r *Registry) serveOne(srv *http.Server, ln net.Listener, useTLS bool) error {
	var err error
	if useTLS {
		err = srv.ServeTLS(ln, "", "")
	} else {
		err = srv.Serve(ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// purgeLoop removes stale uploads until ctx is done.
func (r *Registry) purgeLoop(ctx context.Context) {
	if r.cfg.ReadOnly {
		return
	}
	t := time.NewTicker(time.Duration(r.cfg.UploadPurgeInterval))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n, err := r.store.PurgeUploads(ctx, time.Duration(r.cfg.UploadMaxAge))
			if err != nil {
				r.log.Warn("purging stale uploads", logging.Err(err))
			} else if n > 0 {
				r.log.Info("purged stale uploads", "count", n)
			}
		}
	}
}

func (r *Registry) serveHealth(w http.ResponseWriter, req *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if _, err := r.store.Driver().Stat(req.Context(), "/"); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "{\"status\":\"unavailable\",\"storage\":%q}\n", err.Error())
		return
	}
	w.Write([]byte("{\"status\":\"ok\"}\n"))
}
