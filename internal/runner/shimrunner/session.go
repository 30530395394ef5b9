package shimrunner

import (
	"context"
	"net"
	"sync"

	"github.com/berthproject/berth/internal/shim/wire"
)

// session is one control connection: concurrent calls matched to answers
// by id, and exit events handed to onExit.
type session struct {
	c      *wire.Conn
	onExit func(wire.Exit)

	mu      sync.Mutex
	pending map[uint64]chan wire.Response
	readErr error
	dead    chan struct{} // closed when the connection ended
}

func newSession(nc *net.UnixConn, onExit func(wire.Exit)) *session {
	s := &session{
		c: wire.NewConn(nc, 16<<10), onExit: onExit,
		pending: map[uint64]chan wire.Response{}, dead: make(chan struct{}),
	}
	go s.read()
	return s
}

func (s *session) read() {
	var err error
	for {
		var kind byte
		var p []byte
		if kind, p, err = s.c.Read(); err != nil {
			break
		}
		switch kind {
		case wire.KindResponse:
			var resp wire.Response
			if err = wire.Decode(p, &resp); err != nil {
				break
			}
			s.mu.Lock()
			ch := s.pending[resp.ID]
			delete(s.pending, resp.ID)
			s.mu.Unlock()
			if ch != nil {
				ch <- resp
			}
		case wire.KindEvent:
			var e wire.Exit
			if err = wire.Decode(p, &e); err != nil {
				break
			}
			s.onExit(e)
		}
		if err != nil {
			break
		}
	}
	s.mu.Lock()
	s.readErr = err
	s.pending = nil
	s.mu.Unlock()
	s.c.Close()
	close(s.dead)
}

func (s *session) alive() bool {
	select {
	case <-s.dead:
		return false
	default:
		return true
	}
}

func (s *session) err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.readErr
}

func (s *session) close() { s.c.Close() }

// call sends req (its ID set) and waits for the answer. A monitor error
// comes back as an error of its errdefs kind.
func (s *session) call(ctx context.Context, req *wire.Request) (wire.Response, error) {
	ch := make(chan wire.Response, 1)
	s.mu.Lock()
	if s.pending == nil {
		s.mu.Unlock()
		return wire.Response{}, unavailable("connection", s.err())
	}
	s.pending[req.ID] = ch
	s.mu.Unlock()
	if err := s.c.WriteJSON(wire.KindRequest, req); err != nil {
		s.forget(req.ID)
		return wire.Response{}, unavailable("connection", err)
	}
	select {
	case resp := <-ch:
		return resp, resp.Error.Err()
	case <-s.dead:
		select {
		case resp := <-ch: // answered just before the connection ended
			return resp, resp.Error.Err()
		default:
		}
		return wire.Response{}, unavailable("connection lost during "+req.Op, s.err())
	case <-ctx.Done():
		s.forget(req.ID)
		return wire.Response{}, ctx.Err()
	}
}

func (s *session) forget(id uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending != nil {
		delete(s.pending, id)
	}
}
