package shimrunner

import (
	"time"

	"github.com/berthproject/berth/internal/shim/wire"
)

// procKey names a container's init (exec "") or one of its execs.
type procKey struct{ id, exec string }

// attachGroup counts this runner's attaches to one process, so that its
// exit is reported after they delivered all output.
type attachGroup struct {
	n    int
	done chan struct{}
}

// Bounds on how long an exit waits for local attaches to finish writing
// (a writer that blocks must not hide an exit for ever). An exec's client
// reads its exit code right after its stream ends, so it waits longer.
const (
	initAttachWait = 2 * time.Second
	execAttachWait = 30 * time.Second
)

func (r *Runner) attachBegin(k procKey) {
	r.attMu.Lock()
	defer r.attMu.Unlock()
	g := r.attaches[k]
	if g == nil {
		g = &attachGroup{done: make(chan struct{})}
		r.attaches[k] = g
	}
	g.n++
}

func (r *Runner) attachEnd(k procKey) {
	r.attMu.Lock()
	defer r.attMu.Unlock()
	g := r.attaches[k]
	if g == nil {
		return
	}
	if g.n--; g.n == 0 {
		close(g.done)
		delete(r.attaches, k)
	}
}

// deliverExit hands an exit to OnExit (in its own goroutine, so OnExit may
// call the runner) once the attaches to that process are done.
func (r *Runner) deliverExit(e wire.Exit) {
	if r.opts.OnExit == nil {
		return
	}
	k := procKey{e.ID, e.Exec}
	r.attMu.Lock()
	g := r.attaches[k]
	r.attMu.Unlock()
	go func() {
		if g != nil {
			wait := initAttachWait
			if e.Exec != "" {
				wait = execAttachWait
			}
			t := time.NewTimer(wait)
			select {
			case <-g.done:
			case <-t.C:
			}
			t.Stop()
		}
		r.opts.OnExit(exitOf(e))
	}()
}
