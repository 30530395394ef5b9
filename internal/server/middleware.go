package server

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/berthproject/berth/api"
	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/logging"
)

// apiFunc is a handler that returns its error instead of answering it; the
// chain answers it once, through writeError.
type apiFunc func(w http.ResponseWriter, r *http.Request) error

type versionKey struct{}

// APIVersion returns the API version the request asked for ("1.50" for a
// /v1.50/... path), or api.MaxVersion for an unversioned path.
func APIVersion(ctx context.Context) string {
	if v, ok := ctx.Value(versionKey{}).(string); ok {
		return v
	}
	return api.MaxVersion
}

// versionAtLeast reports whether the request's API version is v or newer.
func versionAtLeast(r *http.Request, v string) bool {
	return !api.VersionLess(APIVersion(r.Context()), v)
}

// versionLess reports whether the request's API version is older than v.
func versionLess(r *http.Request, v string) bool {
	return api.VersionLess(APIVersion(r.Context()), v)
}

// splitVersion strips a /v1.NN prefix from path: ("1.50", "/containers/json").
func splitVersion(path string) (version, rest string) {
	if !strings.HasPrefix(path, "/v") {
		return "", path
	}
	end := strings.IndexByte(path[1:], '/')
	if end < 0 {
		return "", path
	}
	v := path[2 : end+1]
	if v == "" || strings.Trim(v, "0123456789.") != "" {
		return "", path
	}
	return v, path[end+1:]
}

// ServeHTTP is the outermost layer: panic recovery, request id and access
// log, dockerd's headers, then the version prefix and the route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	// Request ids (and the per-request logger carrying one) only when the
	// access log is on: slog's With copies the handler, too dear per call.
	debug := s.log.Enabled(r.Context(), slog.LevelDebug)
	log := s.log
	if debug {
		log = log.With(logging.KeyRequestID, s.newRequestID())
	}
	r = r.WithContext(logging.WithLogger(r.Context(), log))
	defer func() {
		if p := recover(); p != nil {
			s.recovered(sw, r, p)
		}
		if debug {
			log.Debug("api request", "method", r.Method, "path", r.URL.Path,
				"status", sw.code(), "duration", time.Since(start))
		}
	}()
	s.setHeaders(sw.Header())
	s.route(sw, r)
}

// recovered answers a panicking handler with 500 and logs its stack. A
// panic with http.ErrAbortHandler is net/http's way to abort a response; it
// is passed on.
func (s *Server) recovered(w *statusWriter, r *http.Request, p any) {
	if p == http.ErrAbortHandler {
		panic(p)
	}
	logging.From(r.Context()).Error("panic in api handler", "method", r.Method,
		"path", r.URL.Path, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
	if !w.wroteHeader && !w.hijacked {
		writeError(w, errdefs.Errorf(errdefs.ErrInternal, "internal server error: %v", p))
	}
}

// setHeaders adds dockerd's headers to every response. The values are built
// once in New and shared: handlers may Set these keys but never Add to them.
func (s *Server) setHeaders(h http.Header) {
	for k, v := range s.headers {
		h[k] = v
	}
}

// fixedHeaders returns the headers every response carries (canonical keys).
func fixedHeaders(o Options) http.Header {
	return http.Header{
		"Server":              {fmt.Sprintf("Docker/%s (%s)", o.Version, runtime.GOOS)},
		"Api-Version":         {api.MaxVersion},
		"Min-Api-Version":     {api.MinVersion},
		"Docker-Experimental": {fmt.Sprint(o.Experimental)},
		"Ostype":              {runtime.GOOS},
	}
}

// route checks the version prefix, then hands the unprefixed request to
// the mux.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	version, rest := splitVersion(r.URL.Path)
	if version != "" {
		if err := checkVersion(version); err != nil {
			if api.VersionLess(version, api.MinVersion) {
				// dockerd answers clients older than it supports in plain
				// text: they would print a JSON body verbatim.
				http.Error(w, err.Error(), statusFromError(err))
				return
			}
			writeError(w, err)
			return
		}
		r2 := r.Clone(context.WithValue(r.Context(), versionKey{}, version))
		r2.URL.Path = rest
		r2.URL.RawPath = ""
		if r.URL.RawPath != "" {
			_, r2.URL.RawPath = splitVersion(r.URL.RawPath)
		}
		r = r2
	}
	s.mux.ServeHTTP(w, r)
}

// checkVersion rejects versions outside [api.MinVersion, api.MaxVersion]
// with dockerd's messages.
func checkVersion(v string) error {
	if api.VersionLess(v, api.MinVersion) {
		return invalidf("client version %s is too old. Minimum supported API version is %s, please upgrade your client to a newer version", v, api.MinVersion)
	}
	if api.VersionLess(api.MaxVersion, v) {
		return invalidf("client version %s is too new. Maximum supported API version is %s", v, api.MaxVersion)
	}
	return nil
}

// handle adapts an apiFunc: an error is answered with writeError unless the
// response has started (then it is only logged) or the client is gone.
func (s *Server) handle(pattern string, h apiFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		log := logging.From(r.Context())
		sw, _ := w.(*statusWriter)
		switch {
		case r.Context().Err() != nil:
			log.Debug("request cancelled by client", "path", r.URL.Path, logging.Err(err))
		case sw != nil && (sw.wroteHeader || sw.hijacked):
			log.Warn("api handler failed after responding", "path", r.URL.Path, logging.Err(err))
		default:
			if statusFromError(err) >= http.StatusInternalServerError {
				log.Error("api handler failed", "method", r.Method, "path", r.URL.Path, logging.Err(err))
			}
			writeError(w, err)
		}
	})
}

// newRequestID returns a short id unique in this daemon's life: a random
// prefix chosen in New and a counter.
func (s *Server) newRequestID() string {
	return s.idPrefix + strconv.FormatUint(s.reqSeq.Add(1), 36)
}

// statusWriter records whether and with which status the response started,
// and passes Flush and Hijack through.
type statusWriter struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
	hijacked    bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.status, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Flush sends what was written so far.
func (w *statusWriter) Flush() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack takes the connection over (attach, exec).
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.hijacked = true
	}
	return conn, brw, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) code() any {
	switch {
	case w.hijacked:
		return "hijacked"
	case !w.wroteHeader:
		return http.StatusOK
	}
	return w.status
}
