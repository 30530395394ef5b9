package server

import (
	"log/slog"
	"net/http/httptest"
	"testing"
)

// BenchmarkServeHTTP measures the router and middleware overhead in
// process (no network): go test -bench ServeHTTP -benchmem ./internal/server
func BenchmarkServeHTTP(b *testing.B) {
	e := newFakeEngine()
	s := New(Options{Logger: slog.New(slog.DiscardHandler), Containers: e, Images: e, System: e, Events: e})
	for _, path := range []string{"/_ping", "/v1.50/containers/json?all=1", "/v1.50/images/busybox/json"} {
		b.Run(path, func(b *testing.B) {
			req := httptest.NewRequest("GET", path, nil)
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				s.ServeHTTP(w, req)
				if w.Code != 200 {
					b.Fatalf("%s: %d", path, w.Code)
				}
			}
		})
	}
}
