package shim

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/logging"
	"github.com/berthproject/berth/internal/shim/wire"
	"golang.org/x/sys/unix"
)

// execProc is an extra process running in a container.
type execProc struct {
	id  string
	pid int
	io  *stdio
}

// exec runs `runtime exec --detach` for req.Exec. Attachers parked for that
// exec are bound to its stdio before the process can write anything.
func (m *monitor) exec(ctx context.Context, req *wire.Request) (int, error) {
	if !validID(req.Exec) || len(req.Process) == 0 {
		return 0, errdefs.Errorf(errdefs.ErrInvalidArgument, "exec: an exec ID and a process are required")
	}
	m.mu.Lock()
	c, err := m.get(req.Container)
	switch {
	case err != nil:
	case c.status != wire.StatusRunning || c.deleting:
		err = errdefs.Errorf(errdefs.ErrConflict, "container %s is not running", req.Container)
		if c.status == wire.StatusStopped {
			c.releasePending(err)
		}
	case c.execs[req.Exec] != nil:
		err = errdefs.Errorf(errdefs.ErrAlreadyExists, "exec %s: already exists", req.Exec)
	}
	if err != nil {
		m.mu.Unlock()
		return 0, err
	}
	e := &execProc{id: req.Exec}
	if c.execs == nil {
		c.execs = map[string]*execProc{}
	}
	c.execs[req.Exec] = e
	parked := c.pending[req.Exec]
	delete(c.pending, req.Exec)
	m.mu.Unlock()

	ctx = logging.With(ctx, logging.KeyContainerID, c.id, logging.KeyExecID, e.id)
	pid, err := m.startExec(ctx, c, e, req, parked)
	if err != nil {
		m.mu.Lock()
		delete(c.execs, req.Exec)
		m.mu.Unlock()
		for _, a := range parked {
			if a.s == nil { // not adopted: the stdio was never made
				a.bind(nil)
				a.conn.WriteJSON(wire.KindEnd, wire.End{Error: wire.ErrorOf(err)})
				a.conn.Close()
			}
		}
		return 0, err
	}
	return pid, nil
}

func (m *monitor) startExec(ctx context.Context, c *container, e *execProc, req *wire.Request, parked []*attacher) (int, error) {
	procFile := filepath.Join(c.dir, "exec-"+e.id+".json")
	pidFile := filepath.Join(c.dir, "exec-"+e.id+".pid")
	defer os.Remove(procFile)
	defer os.Remove(pidFile)
	if err := os.WriteFile(procFile, req.Process, 0o600); err != nil {
		return 0, errdefs.Errorf(errdefs.ErrInternal, "write exec process: %w", err)
	}
	args := []string{"exec", "--detach", "--pid-file", pidFile, "--process", procFile}
	s, err := m.runWithStdio(ctx, c.rt, args, c.id, req.Terminal, req.Stdin)
	if err != nil {
		return 0, err
	}
	s.stdinOnce = true // an exec's stdin closes when its attacher's input ends
	s.adopt(parked)
	pid, err := readPid(pidFile)
	if err != nil {
		s.finish(err)
		return 0, err
	}
	m.mu.Lock()
	e.pid, e.io = pid, s
	m.mu.Unlock()
	s.start(ctx)
	m.reaper.watch(pid, func(ws unix.WaitStatus) { m.execExited(ctx, c, e, ws) })
	logging.From(ctx).Debug("exec started", "pid", pid)
	return pid, nil
}

// execExited publishes an exec's exit once its output is drained and its
// attachers got End (so their output is complete before the exit is seen).
func (m *monitor) execExited(ctx context.Context, c *container, e *execProc, ws unix.WaitStatus) {
	at := time.Now().UTC()
	go func() {
		e.io.waitDrained(drainWait)
		e.io.finish(nil)
		x := wire.Exit{ID: c.id, Exec: e.id, Pid: e.pid, Code: exitCode(ws), At: at}
		m.mu.Lock()
		delete(c.execs, e.id)
		subs := m.subs
		if len(subs) == 0 {
			m.keepExecExit(x)
		}
		m.mu.Unlock()
		logging.From(ctx).Debug("exec exited", "code", x.Code)
		if len(subs) > 0 {
			m.send(subs, x)
		}
	}()
}
