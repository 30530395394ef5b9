package distribution

import (
	"encoding/json"
	"io"
	"sync"
	"time"

	"github.com/moby/moby/api/types/jsonstream"
	digest "github.com/opencontainers/go-digest"
)

// Progress receives the messages of a pull or push, as dockerd streams
// them (`docker pull` renders them). It is called from one goroutine at a
// time.
type Progress func(jsonstream.Message)

// output serialises the messages of concurrent layer transfers.
type output struct {
	mu sync.Mutex
	fn Progress
}

func newOutput(fn Progress) *output {
	if fn == nil {
		fn = func(jsonstream.Message) {}
	}
	return &output{fn: fn}
}

func (o *output) send(m jsonstream.Message) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.fn(m)
}

// status sends a status line, for one layer (id) or for the whole
// operation (id "").
func (o *output) status(id, msg string) { o.send(jsonstream.Message{ID: id, Status: msg}) }

// progress sends a progress bar update.
func (o *output) progress(id, action string, current, total int64) {
	o.send(jsonstream.Message{ID: id, Status: action, Progress: &jsonstream.Progress{Current: current, Total: total}})
}

// aux sends out-of-band data (a push's tag, digest and size).
func (o *output) aux(v any) {
	raw, err := json.Marshal(v)
	if err != nil {
		return
	}
	msg := json.RawMessage(raw)
	o.send(jsonstream.Message{Progress: &jsonstream.Progress{}, Aux: &msg})
}

// shortID is the 12-hex-digit form of a digest that progress lines use.
func shortID(d digest.Digest) string {
	s := d.Encoded()
	return s[:min(12, len(s))]
}

// progressReader reports what is read through it as progress of action,
// the way dockerd's does: every 512 KiB (or 1% of a smaller total), at most
// ten times a second, and always at the end. quiet, when set, holds the
// updates back while it returns true.
type progressReader struct {
	r          io.Reader
	out        *output
	id, action string
	total      int64
	cur, last  int64
	lastSent   time.Time
	quiet      func() bool
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.cur += int64(n)
	every := int64(512 << 10)
	if inc := p.total / 100; p.total > 0 && inc < every {
		every = inc
	}
	end := err != nil || p.total > 0 && p.cur >= p.total
	if (p.cur-p.last > every || end) && (p.quiet == nil || !p.quiet()) {
		if end || time.Since(p.lastSent) >= 100*time.Millisecond {
			p.out.progress(p.id, p.action, p.cur, p.total)
			p.last, p.lastSent = p.cur, time.Now()
		}
	}
	return n, err
}
