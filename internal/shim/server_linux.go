package shim

import (
	"context"
	"errors"
	"net"
	"os"
	"slices"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/logging"
	"github.com/berthproject/berth/internal/shim/wire"
)

// serve accepts connections until the listener is closed.
func (m *monitor) serve(ctx context.Context) {
	for {
		nc, err := m.ln.AcceptUnix()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			logging.From(ctx).Warn("accept", logging.Err(err))
			continue
		}
		m.mu.Lock()
		if m.quitting {
			m.mu.Unlock()
			nc.Close()
			continue
		}
		m.conns++
		m.idle.Stop()
		m.mu.Unlock()
		go m.handle(ctx, nc)
	}
}

// handle serves one connection: control or attach, by its first frame.
func (m *monitor) handle(ctx context.Context, nc *net.UnixConn) {
	defer func() {
		nc.Close()
		m.mu.Lock()
		m.conns--
		m.mu.Unlock()
		m.checkIdle()
	}()
	c := wire.NewConn(nc, 512)
	kind, p, err := c.Read()
	if err != nil {
		return
	}
	switch kind {
	case wire.KindAttach:
		var req wire.Attach
		if err := wire.Decode(p, &req); err != nil {
			return
		}
		m.attach(c, req)
	case wire.KindRequest:
		m.control(ctx, c, p)
	}
}

// control serves requests, each in its own goroutine (a create must not
// hold up a state), until the connection ends.
func (m *monitor) control(ctx context.Context, c *wire.Conn, first []byte) {
	defer m.unsubscribe(c)
	for p := first; ; {
		var req wire.Request
		if err := wire.Decode(p, &req); err != nil {
			return
		}
		go m.dispatch(ctx, c, &req)
		kind, next, err := c.Read()
		if err != nil || kind != wire.KindRequest {
			return
		}
		p = next
	}
}

func (m *monitor) dispatch(ctx context.Context, c *wire.Conn, req *wire.Request) {
	resp := wire.Response{ID: req.ID}
	var err error
	switch req.Op {
	case wire.OpHello:
		resp.Version, resp.Pid = wire.Version, os.Getpid()
	case wire.OpSubscribe:
		m.subscribe(c, resp)
		return
	case wire.OpCreate:
		resp.Pid, err = m.create(ctx, req.Create)
	case wire.OpStart:
		err = m.start(ctx, req.Container)
	case wire.OpKill:
		err = m.kill(req.Container, req.Signal, req.All)
	case wire.OpDelete:
		err = m.delete(ctx, req.Container, req.Force)
	case wire.OpState:
		var st wire.State
		st, err = m.state(req.Container)
		resp.State = &st
	case wire.OpList:
		resp.States = m.list()
	case wire.OpResize:
		err = m.resize(req.Container, req.Exec, req.Width, req.Height)
	case wire.OpCloseStdin:
		err = m.closeStdin(req.Container, req.Exec)
	case wire.OpExec:
		resp.Pid, err = m.exec(ctx, req)
	case wire.OpPids:
		resp.Pids, err = m.pids(req.Container)
	case wire.OpUpdate:
		err = m.update(ctx, req.Container, req.Resources)
	default:
		err = errdefs.Errorf(errdefs.ErrNotImplemented, "monitor: unknown operation %q", req.Op)
	}
	if err != nil {
		resp = wire.Response{ID: req.ID, Error: wire.ErrorOf(err)}
		logging.From(ctx).Debug("request failed", "op", req.Op, logging.KeyContainerID, req.Container, logging.Err(err))
	}
	c.WriteJSON(wire.KindResponse, resp)
}

// subscribe answers, replays every exit held, and adds c to the
// subscribers, in one critical section: each exit reaches c exactly once
// (replayed here, or sent by publish later).
func (m *monitor) subscribe(c *wire.Conn, resp wire.Response) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := c.WriteJSON(wire.KindResponse, resp); err != nil {
		return
	}
	for _, ct := range m.containers {
		if ct.exit != nil {
			c.WriteJSON(wire.KindEvent, ct.exit)
		}
	}
	for _, e := range m.execExits {
		c.WriteJSON(wire.KindEvent, e)
	}
	m.execExits = nil
	m.subs = append(slices.Clip(m.subs), c)
}

func (m *monitor) unsubscribe(c *wire.Conn) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if i := slices.Index(m.subs, c); i >= 0 {
		m.subs = slices.Delete(slices.Clone(m.subs), i, i+1)
	}
}

// send writes an exit to the subscribers taken with the exit's recording;
// an exec exit nobody received is kept for the next subscriber.
func (m *monitor) send(subs []*wire.Conn, e wire.Exit) {
	delivered := false
	for _, c := range subs {
		if c.WriteJSON(wire.KindEvent, e) == nil {
			delivered = true
		}
	}
	if !delivered && e.Exec != "" {
		m.mu.Lock()
		m.keepExecExit(e)
		m.mu.Unlock()
	}
}

// maxExecExits bounds the exec exits kept for a subscriber that may never
// come (a client without OnExit); the oldest are dropped.
const maxExecExits = 1024

// keepExecExit holds an undelivered exec exit. Call with m.mu held.
func (m *monitor) keepExecExit(e wire.Exit) {
	if len(m.execExits) >= maxExecExits {
		m.execExits = slices.Delete(m.execExits, 0, 1)
	}
	m.execExits = append(m.execExits, e)
}

// attach binds an attach connection to its process (or parks it until the
// exec it names starts) and then serves its input until it ends.
func (m *monitor) attach(c *wire.Conn, req wire.Attach) {
	a := newAttacher(c, req.Stdin)
	if err := m.bindAttach(a, req); err != nil {
		c.WriteJSON(wire.KindResponse, wire.Response{Error: wire.ErrorOf(err)})
		return
	}
	for {
		kind, p, err := c.Read()
		if err != nil {
			break
		}
		switch kind {
		case wire.KindStdin:
			if s := a.wait(); s != nil {
				s.writeStdin(a, p)
			}
		case wire.KindStdinEOF:
			if s := a.wait(); s != nil {
				s.stdinEOF(a)
			}
		}
	}
	select {
	case <-a.bound:
		if a.s != nil {
			a.s.remove(a)
		}
	default:
		m.dropPending(a, req)
	}
}

// wait returns the stdio a is bound to, waiting for a parked attacher's exec.
func (a *attacher) wait() *stdio {
	<-a.bound
	return a.s
}

func (m *monitor) bindAttach(a *attacher, req wire.Attach) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.containers[req.Container]
	if c == nil {
		return errdefs.Errorf(errdefs.ErrNotFound, "container %s: not found", req.Container)
	}
	if req.Exec == "" {
		if c.io == nil {
			return errdefs.Errorf(errdefs.ErrConflict, "container %s is being created", req.Container)
		}
		c.io.register(a)
		return nil
	}
	if e := c.execs[req.Exec]; e != nil {
		e.io.register(a)
		return nil
	}
	if c.status == wire.StatusStopped || c.deleting {
		return errdefs.Errorf(errdefs.ErrNotFound, "exec %s: not found", req.Exec)
	}
	// Attach before exec: park until the exec starts.
	if err := a.conn.WriteJSON(wire.KindResponse, wire.Response{}); err != nil {
		return nil
	}
	if c.pending == nil {
		c.pending = map[string][]*attacher{}
	}
	c.pending[req.Exec] = append(c.pending[req.Exec], a)
	return nil
}

// dropPending forgets a parked attacher whose connection ended.
func (m *monitor) dropPending(a *attacher, req wire.Attach) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.containers[req.Container]
	if c == nil {
		return
	}
	list := c.pending[req.Exec]
	if i := slices.Index(list, a); i >= 0 {
		list = slices.Delete(slices.Clone(list), i, i+1)
	}
	if len(list) == 0 {
		delete(c.pending, req.Exec)
	} else {
		c.pending[req.Exec] = list
	}
}
