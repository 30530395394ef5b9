package shim

import (
	"os"
	"testing"
	"time"
)

// An output that ends at once must not close drained before start has
// counted every output: that once panicked the monitor with "close of
// closed channel" on a quick `docker exec -t`.
func TestStdioStartWithOutputAtEOF(t *testing.T) {
	for range 300 {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		w.Close()
		s := newTerminal(ours(int(r.Fd()), "output"), false)
		s.start(t.Context())
		select {
		case <-s.drained:
		case <-time.After(5 * time.Second):
			t.Fatal("drained not closed after the output ended")
		}
		r.Close()
	}
}
