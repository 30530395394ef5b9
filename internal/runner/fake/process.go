package fake

import (
	"context"
	"io"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/berthproject/berth/internal/logfile"
	"github.com/berthproject/berth/internal/runner"
)

// Process is what a Program sees of its fake process.
type Process struct {
	// Args and Env come from the spec.
	Args []string
	Env  []string
	// Stdin reads what the attacher holding stdin sends (EOF when stdin is
	// closed); it is an empty reader for a process without stdin.
	Stdin io.Reader
	// Stdout and Stderr go to the log (not for execs) and to attachers.
	Stdout, Stderr io.Writer
	// Signals receives the signals sent by Kill, except SIGKILL, which ends
	// the process at once (its Context is then cancelled).
	Signals <-chan int
	// OOMKilled, set by the program before it returns, is reported in the Exit.
	OOMKilled bool
	ctx       context.Context
}

// Context is cancelled when the process is killed with SIGKILL.
func (p *Process) Context() context.Context { return p.ctx }

// proc is one fake process (a container's init or an exec) and its stdio.
type proc struct {
	pid      int
	execID   string
	exitOnce atomic.Bool // set once the exit was recorded
	spec     *Process
	signals  chan int
	kill     context.CancelFunc
	ctx      context.Context

	stdinR    *io.PipeReader
	stdinW    *io.PipeWriter
	stdinOnce bool

	mu         sync.Mutex
	attachers  []*runner.Streams
	stdinOwner *runner.Streams
	killed     bool
	log        *logfile.Writer
	outLog     *logfile.Stream
	errLog     *logfile.Stream
	done       chan struct{} // closed when the output is complete
	size       [2]uint
}

// newProc makes a process; ctx (not cancelled by the caller's request)
// becomes its Context.
func newProc(ctx context.Context, pid int, args, env []string, stdin, stdinOnce bool, log *logfile.Writer) *proc {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p := &proc{pid: pid, signals: make(chan int, 8), kill: cancel, ctx: ctx, stdinOnce: stdinOnce, log: log, done: make(chan struct{})}
	p.spec = &Process{Args: args, Env: env, Stdout: p.writer("stdout"), Stderr: p.writer("stderr"), Signals: p.signals, ctx: ctx}
	if stdin {
		p.stdinR, p.stdinW = io.Pipe()
		p.spec.Stdin = p.stdinR
	} else {
		p.spec.Stdin = eofReader{}
	}
	if log != nil {
		p.outLog, p.errLog = log.Stream("stdout"), log.Stream("stderr")
	}
	return p
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// streamWriter writes one output stream of a proc.
type streamWriter struct {
	p      *proc
	stream string
}

func (p *proc) writer(stream string) io.Writer { return streamWriter{p, stream} }

// Write logs and copies p to every attacher, synchronously: when a program
// returns, its output was delivered.
func (w streamWriter) Write(b []byte) (int, error) {
	p := w.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.killed {
		return 0, io.ErrClosedPipe
	}
	ls := p.outLog
	if w.stream == "stderr" {
		ls = p.errLog
	}
	if ls != nil {
		ls.Write(b)
	}
	for _, a := range p.attachers {
		dst := a.Stdout
		if w.stream == "stderr" {
			dst = a.Stderr
		}
		if dst != nil {
			dst.Write(b)
		}
	}
	return len(b), nil
}

// finish marks the output complete and releases the log.
func (p *proc) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.outLog != nil {
		p.outLog.Close()
		p.errLog.Close()
		p.log.Close()
	}
	p.attachers = nil
	close(p.done)
	if p.stdinR != nil {
		p.stdinR.CloseWithError(io.ErrClosedPipe)
	}
}

// attach registers s and serves it until the output is complete.
func (p *proc) attach(ctx context.Context, s *runner.Streams) error {
	ok := p.register(s)
	if s.Attached != nil {
		s.Attached()
	}
	if !ok {
		return nil
	}
	return p.serve(ctx, s)
}

// register adds s to the attachers; false when the output already ended.
func (p *proc) register(s *runner.Streams) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.done:
		return false
	default:
	}
	p.attachers = append(slices.Clip(p.attachers), s)
	return true
}

// serve copies input and waits until the output is complete.
func (p *proc) serve(ctx context.Context, s *runner.Streams) error {
	defer p.detach(s)
	var detached <-chan struct{}
	if s.Stdin != nil {
		in := make(chan struct{})
		go p.copyStdin(s, in)
		if s.DetachOnStdinEOF {
			detached = in
		}
	}
	select {
	case <-p.done:
		return nil
	case <-detached:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *proc) detach(s *runner.Streams) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if i := slices.Index(p.attachers, s); i >= 0 {
		p.attachers = slices.Delete(slices.Clone(p.attachers), i, i+1)
	}
	if p.stdinOwner == s {
		p.stdinOwner = nil
	}
}

// copyStdin feeds the process from the first attacher with stdin; when that
// input ends, a StdinOnce process (or an exec) gets EOF.
func (p *proc) copyStdin(s *runner.Streams, done chan<- struct{}) {
	defer close(done)
	p.mu.Lock()
	owner := p.stdinW != nil && p.stdinOwner == nil
	if owner {
		p.stdinOwner = s
	}
	p.mu.Unlock()
	if !owner {
		io.Copy(io.Discard, s.Stdin)
		return
	}
	io.Copy(p.stdinW, s.Stdin)
	if p.stdinOnce {
		p.stdinW.Close()
	}
}

func (p *proc) closeStdin() {
	if p.stdinW != nil {
		p.stdinW.Close()
	}
}
