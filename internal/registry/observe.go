package registry

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"
)

// reqInfo is filled in while a request is served, for the access log and
// the metrics.
type reqInfo struct {
	route string
	name  string
	user  string
}

type infoKey struct{}

func setRoute(req *http.Request, rt fmt.Stringer) {
	if info, ok := req.Context().Value(infoKey{}).(*reqInfo); ok {
		info.route = rt.String()
	}
}

// routeName labels a non-API handler in the access log and metrics.
type routeName string

func (n routeName) String() string { return string(n) }

func named(name routeName, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		setRoute(req, name)
		h.ServeHTTP(w, req)
	})
}

func setUser(req *http.Request, user string) {
	if info, ok := req.Context().Value(infoKey{}).(*reqInfo); ok {
		info.user = user
	}
}

// recorder wraps the ResponseWriter to see the status and byte count. It
// keeps ReadFrom, so copying a file still reaches net/http's sendfile path,
// and Unwrap, for http.ResponseController.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *recorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *recorder) ReadFrom(src io.Reader) (int64, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	var n int64
	var err error
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(src)
	} else {
		n, err = io.Copy(w.ResponseWriter, src)
	}
	w.bytes += n
	return n, err
}

func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// countingBody counts the request bytes read.
type countingBody struct {
	io.ReadCloser
	n int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	return n, err
}

// observe wraps the handler with the access log and the metrics.
func (r *Registry) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		start := time.Now()
		info := &reqInfo{route: "other"}
		req = req.WithContext(context.WithValue(req.Context(), infoKey{}, info))
		body := &countingBody{ReadCloser: req.Body}
		req.Body = body
		rec := &recorder{ResponseWriter: w}
		r.metrics.inflight.Add(1)
		next.ServeHTTP(rec, req)
		r.metrics.inflight.Add(-1)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		elapsed := time.Since(start)
		r.metrics.observe(req.Method, info.route, rec.status, elapsed, body.n, rec.bytes)
		if r.cfg.Log.NoAccessLog {
			return
		}
		r.log.LogAttrs(req.Context(), slog.LevelInfo, "request",
			slog.String("method", req.Method), slog.String("path", req.URL.Path),
			slog.String("route", info.route), slog.Int("status", rec.status),
			slog.Int64("bytes_in", body.n), slog.Int64("bytes_out", rec.bytes),
			slog.Duration("duration", elapsed), slog.String("remote", req.RemoteAddr),
			slog.String("user", info.user), slog.String("user_agent", req.UserAgent()))
	})
}
