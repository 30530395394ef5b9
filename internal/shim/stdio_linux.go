package shim

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/berthproject/berth/internal/logfile"
	"github.com/berthproject/berth/internal/logging"
	"github.com/berthproject/berth/internal/shim/wire"
	"golang.org/x/sys/unix"
)

// stdio is the monitor's side of one process's stdio: pipe ends (or the pty
// master), the json-file log, and the attachers output is copied to.
//
// Memory per process is kept small on purpose: output is read through the
// poller with RawConn.Read, which takes a buffer from a shared pool only
// when the fd is readable, so an idle process holds two parked goroutines
// and no buffer.
type stdio struct {
	terminal  bool
	stdinOnce bool
	in        *os.File // stdin pipe (write end) or pty master; nil without stdin
	out, errf *os.File // stdout, stderr read ends; for a terminal out is the master
	log       *logfile.Writer

	mu         sync.Mutex
	attachers  []*attacher // copy-on-write: broadcast reads it without copying
	stdinOwner *attacher
	inClosed   bool
	finished   bool
	closeOnce  sync.Once

	running atomic.Int32  // copiers still running
	drained chan struct{} // closed when the last copier ended
}

// attacher is one attach connection.
type attacher struct {
	conn  *wire.Conn
	stdin bool
	// s is the stdio the attacher is bound to, set before bound is closed
	// (nil when the process it waited for never started).
	s     *stdio
	bound chan struct{}
}

func newAttacher(c *wire.Conn, stdin bool) *attacher {
	return &attacher{conn: c, stdin: stdin, bound: make(chan struct{})}
}

// bind attaches a to s (nil: never) and releases its stdin frames.
func (a *attacher) bind(s *stdio) {
	a.s = s
	close(a.bound)
}

// outBufs are read buffers shared by every process's copiers.
var outBufs = sync.Pool{New: func() any { b := make([]byte, wire.MaxData); return &b }}

// processFiles are the process's ends of its stdio, handed to the runtime
// (nil entries read /dev/null or are captured).
type processFiles [3]*os.File

func (p processFiles) close() {
	for _, f := range p {
		if f != nil {
			f.Close()
		}
	}
}

// newPipes makes stdio pipes: stdout and stderr, and stdin when withStdin.
func newPipes(withStdin bool) (*stdio, processFiles, error) {
	s := &stdio{drained: make(chan struct{})}
	var pf processFiles
	fail := func(err error) (*stdio, processFiles, error) {
		pf.close()
		s.closeFiles()
		return nil, processFiles{}, fmt.Errorf("stdio pipes: %w", err)
	}
	if withStdin {
		r, w, err := pipe()
		if err != nil {
			return fail(err)
		}
		pf[0], s.in = os.NewFile(uintptr(r), "stdin"), ours(w, "stdin")
	}
	for i, dst := range []**os.File{&s.out, &s.errf} {
		r, w, err := pipe()
		if err != nil {
			return fail(err)
		}
		*dst, pf[i+1] = ours(r, "output"), os.NewFile(uintptr(w), "output")
	}
	return s, pf, nil
}

func pipe() (int, int, error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return -1, -1, err
	}
	return p[0], p[1], nil
}

// ours wraps a monitor-side fd in a non-blocking, poller-backed file.
func ours(fd int, name string) *os.File {
	unix.SetNonblock(fd, true)
	return os.NewFile(uintptr(fd), name)
}

// newTerminal makes the stdio of a process whose terminal master is m.
func newTerminal(m *os.File, withStdin bool) *stdio {
	s := &stdio{terminal: true, out: m, drained: make(chan struct{})}
	if withStdin {
		s.in = m
	}
	return s
}

// start starts copying the output to the log and the attachers.
func (s *stdio) start(ctx context.Context) {
	outs := []struct {
		f      *os.File
		kind   byte
		stream string
	}{{s.out, wire.KindStdout, "stdout"}, {s.errf, wire.KindStderr, "stderr"}}
	// Count every output before starting any copier: a copier that ends at
	// once must not see the count reach zero (and close drained) while
	// another output is still to start.
	for _, o := range outs {
		if o.f != nil {
			s.running.Add(1)
		}
	}
	if s.running.Load() == 0 {
		close(s.drained)
		return
	}
	for _, o := range outs {
		if o.f == nil {
			continue
		}
		var ls *logfile.Stream
		if s.log != nil {
			ls = s.log.Stream(o.stream)
		}
		go s.copy(ctx, o.f, o.kind, ls)
	}
}

// copy reads one output until it ends (EOF; EIO for a terminal whose
// slave side is all closed; or the file was closed by waitDrained).
func (s *stdio) copy(ctx context.Context, f *os.File, kind byte, ls *logfile.Stream) {
	defer func() {
		if ls != nil {
			if err := ls.Close(); err != nil {
				logging.From(ctx).Warn("write container log", logging.Err(err))
			}
		}
		if s.running.Add(-1) == 0 {
			close(s.drained)
		}
	}()
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	for {
		bp, n, err := readPooled(rc)
		if n > 0 {
			p := (*bp)[:n]
			if ls != nil {
				if _, lerr := ls.Write(p); lerr != nil {
					logging.From(ctx).Warn("write container log", logging.Err(lerr))
				}
			}
			s.broadcast(kind, p)
		}
		if bp != nil {
			outBufs.Put(bp)
		}
		if n <= 0 || err != nil {
			return
		}
	}
}

// readPooled waits for fd to be readable, then reads into a pooled buffer.
func readPooled(rc syscall.RawConn) (*[]byte, int, error) {
	var bp *[]byte
	var n int
	var rerr error
	err := rc.Read(func(fd uintptr) bool {
		b := outBufs.Get().(*[]byte)
		for {
			n, rerr = unix.Read(int(fd), *b)
			if rerr != unix.EINTR {
				break
			}
		}
		if rerr == unix.EAGAIN {
			outBufs.Put(b)
			return false
		}
		bp = b
		return true
	})
	if err != nil {
		return bp, 0, err
	}
	return bp, n, rerr
}

// broadcast writes one output chunk to every attacher; a failing attacher
// is dropped. Writing is synchronous: a slow attacher slows the process
// down, as with dockerd.
func (s *stdio) broadcast(kind byte, p []byte) {
	s.mu.Lock()
	list := s.attachers
	s.mu.Unlock()
	for _, a := range list {
		if err := a.conn.Write(kind, p); err != nil {
			s.remove(a)
			a.conn.Close()
		}
	}
}

// register acknowledges and adds a. Output read after the acknowledgement
// reaches a. When the output already ended, a gets End at once.
func (s *stdio) register(a *attacher) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a.bind(s)
	if err := a.conn.WriteJSON(wire.KindResponse, wire.Response{}); err != nil {
		return
	}
	if s.finished {
		a.conn.WriteJSON(wire.KindEnd, wire.End{})
		a.conn.Close()
		return
	}
	s.attachers = append(slices.Clip(s.attachers), a)
}

// adopt binds attachers that waited for this process (already acknowledged).
func (s *stdio) adopt(list []*attacher) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range list {
		a.bind(s)
		s.attachers = append(slices.Clip(s.attachers), a)
	}
}

// remove drops a (it detached or failed).
func (s *stdio) remove(a *attacher) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := slices.Index(s.attachers, a); i >= 0 {
		s.attachers = slices.Delete(slices.Clone(s.attachers), i, i+1)
	}
	if s.stdinOwner == a {
		s.stdinOwner = nil
	}
}

// writeStdin copies input from a to the process when a holds stdin: the
// first attacher with stdin that writes holds it until it detaches or its
// input ends.
func (s *stdio) writeStdin(a *attacher, p []byte) {
	s.mu.Lock()
	if s.in == nil || s.inClosed || !a.stdin || (s.stdinOwner != nil && s.stdinOwner != a) {
		s.mu.Unlock()
		return
	}
	s.stdinOwner = a
	in := s.in
	s.mu.Unlock()
	in.Write(p) // EPIPE when the process closed its stdin: input is dropped
}

// stdinEOF handles the end of a's input: with StdinOnce (always for an
// exec) the process's stdin is closed.
func (s *stdio) stdinEOF(a *attacher) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !a.stdin || (s.stdinOwner != nil && s.stdinOwner != a) {
		return
	}
	s.stdinOwner = nil
	if s.stdinOnce {
		s.closeStdinLocked()
	}
}

// closeStdin closes the process's stdin (not a terminal's: that would close
// its output too).
func (s *stdio) closeStdin() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closeStdinLocked()
}

func (s *stdio) closeStdinLocked() {
	if s.in != nil && !s.terminal && !s.inClosed {
		s.inClosed = true
		s.in.Close()
	}
}

// waitDrained waits until the output copiers have read everything. If
// another process still holds the output open after wait, it stops reading
// and unblocks attachers that do not read.
func (s *stdio) waitDrained(wait time.Duration) {
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-s.drained:
		return
	case <-t.C:
	}
	s.mu.Lock()
	for _, a := range s.attachers {
		a.conn.SetWriteDeadline(time.Now().Add(time.Second))
	}
	s.mu.Unlock()
	s.closeFiles()
	<-s.drained
}

// finish ends every attach (End carries endErr when the process never ran)
// and releases the files and the log. Later attachers get End at once.
func (s *stdio) finish(endErr error) {
	s.mu.Lock()
	s.finished = true
	list := s.attachers
	s.attachers = nil
	s.stdinOwner = nil
	s.mu.Unlock()
	for _, a := range list {
		a.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
		a.conn.WriteJSON(wire.KindEnd, wire.End{Error: wire.ErrorOf(endErr)})
		a.conn.Close()
	}
	s.closeFiles()
	if s.log != nil {
		s.log.Close()
	}
}

func (s *stdio) closeFiles() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.inClosed = true
		s.mu.Unlock()
		for _, f := range []*os.File{s.in, s.out, s.errf} {
			if f != nil {
				f.Close() // the master may appear twice: the second Close is a no-op error
			}
		}
	})
}

// resize sets a terminal's window size.
func (s *stdio) resize(w, h uint16) error {
	if !s.terminal {
		return nil
	}
	rc, err := s.out.SyscallConn()
	if err != nil {
		return err
	}
	var ierr error
	err = rc.Control(func(fd uintptr) {
		ierr = unix.IoctlSetWinsize(int(fd), unix.TIOCSWINSZ, &unix.Winsize{Row: h, Col: w})
	})
	if err != nil {
		return err
	}
	return ierr
}

// drainAvailable returns what f holds right now without waiting (for the
// runtime's own messages that land on a container's stderr pipe).
func drainAvailable(f *os.File, wait time.Duration) []byte {
	if f == nil {
		return nil
	}
	f.SetReadDeadline(time.Now().Add(wait))
	defer f.SetReadDeadline(time.Time{})
	b, _ := io.ReadAll(io.LimitReader(f, captureLimit))
	return b
}
