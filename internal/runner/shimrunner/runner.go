package shimrunner

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/logging"
	"github.com/berthproject/berth/internal/runner"
	"github.com/berthproject/berth/internal/shim"
	"github.com/berthproject/berth/internal/shim/wire"
)

// Options configure a Runner.
type Options struct {
	// Root is the monitor's directory (it holds monitor.sock, monitor.pid
	// and monitor.log). One monitor serves one Root.
	Root string
	// Binary is the berth-runtime executable, started as `Binary monitor
	// --root Root` when no monitor answers.
	Binary string
	// OnExit receives container and exec exits (also those that happened
	// while no runner was connected). It may be nil.
	OnExit runner.ExitFunc
	// Debug makes a monitor started by this runner log every container's
	// life cycle in monitor.log.
	Debug bool
}

// Runner implements runner.Runner by talking to the monitor.
type Runner struct {
	opts Options
	sock string
	ids  atomic.Uint64

	connMu sync.Mutex // serialises (re)connecting
	mu     sync.Mutex
	sess   *session
	closed bool
	done   chan struct{}
	loop   sync.WaitGroup

	attMu    sync.Mutex
	attaches map[procKey]*attachGroup
}

var _ runner.Runner = (*Runner)(nil)

// Reconnection backoff after the monitor connection dropped.
const (
	minBackoff = 20 * time.Millisecond
	maxBackoff = time.Second
)

// New connects to the monitor of opts.Root, starting it if none answers,
// and subscribes to exits. It keeps reconnecting (and restarting the
// monitor) in the background until Close.
func New(ctx context.Context, opts Options) (*Runner, error) {
	if opts.Root == "" || !filepath.IsAbs(opts.Root) || opts.Binary == "" {
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "shimrunner: an absolute Root and a Binary are required")
	}
	r := &Runner{
		opts: opts, sock: filepath.Join(opts.Root, shim.SocketName),
		done: make(chan struct{}), attaches: map[procKey]*attachGroup{},
	}
	s, err := r.connect(ctx)
	if err != nil {
		return nil, err
	}
	r.loop.Add(1)
	go r.keepConnected(context.WithoutCancel(ctx), s)
	return r, nil
}

// Close drops the connection to the monitor; containers keep running.
func (r *Runner) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	s := r.sess
	close(r.done)
	r.mu.Unlock()
	if s != nil {
		s.close()
	}
	r.loop.Wait()
	return nil
}

// keepConnected re-establishes the session whenever it drops.
func (r *Runner) keepConnected(ctx context.Context, s *session) {
	defer r.loop.Done()
	for {
		select {
		case <-r.done:
			return
		case <-s.dead:
		}
		select {
		case <-r.done:
			return
		default:
		}
		logging.From(ctx).Warn("monitor connection lost; reconnecting", logging.Err(s.err()))
		backoff := minBackoff
		for {
			var err error
			if s, err = r.connect(ctx); err == nil {
				break
			}
			if errors.Is(err, errClosed) {
				return
			}
			logging.From(ctx).Warn("reconnect to monitor", logging.Err(err))
			select {
			case <-r.done:
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, maxBackoff)
		}
	}
}

var errClosed = errdefs.Errorf(errdefs.ErrUnavailable, "shimrunner: runner closed")

// session returns the live session, connecting if there is none.
func (r *Runner) session(ctx context.Context) (*session, error) {
	r.mu.Lock()
	s, closed := r.sess, r.closed
	r.mu.Unlock()
	if closed {
		return nil, errClosed
	}
	if s != nil && s.alive() {
		return s, nil
	}
	return r.connect(ctx)
}

// connect dials (starting the monitor when needed), checks the protocol
// version and subscribes to exits. Concurrent callers share one attempt.
func (r *Runner) connect(ctx context.Context) (*session, error) {
	r.connMu.Lock()
	defer r.connMu.Unlock()
	r.mu.Lock()
	cur, closed := r.sess, r.closed
	r.mu.Unlock()
	if closed {
		return nil, errClosed
	}
	if cur != nil && cur.alive() {
		return cur, nil
	}
	s, err := r.open(ctx)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		s.close()
		return nil, errClosed
	}
	r.sess = s
	r.mu.Unlock()
	return s, nil
}

// open dials and handshakes. A monitor that is exiting (idle) may accept
// and drop the connection: then it retries, starting a new monitor.
func (r *Runner) open(ctx context.Context) (*session, error) {
	var err error
	for range 3 {
		var nc *net.UnixConn
		if nc, err = r.dialOrSpawn(ctx); err != nil {
			return nil, err
		}
		s := newSession(nc, r.deliverExit)
		if err = r.handshake(ctx, s); err == nil {
			return s, nil
		}
		s.close()
		if !errdefs.IsUnavailable(err) {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil, err
}

func (r *Runner) handshake(ctx context.Context, s *session) error {
	resp, err := s.call(ctx, &wire.Request{ID: r.ids.Add(1), Op: wire.OpHello})
	if err != nil {
		return err
	}
	if resp.Version != wire.Version {
		return errdefs.Errorf(errdefs.ErrInternal, "monitor speaks protocol %d, want %d", resp.Version, wire.Version)
	}
	if r.opts.OnExit == nil {
		return nil
	}
	_, err = s.call(ctx, &wire.Request{ID: r.ids.Add(1), Op: wire.OpSubscribe})
	return err
}

// call sends one request on the live session and waits for its answer.
func (r *Runner) call(ctx context.Context, req *wire.Request) (wire.Response, error) {
	s, err := r.session(ctx)
	if err != nil {
		return wire.Response{}, err
	}
	req.ID = r.ids.Add(1)
	return s.call(ctx, req)
}

// dial connects to the monitor socket.
func (r *Runner) dial(ctx context.Context) (*net.UnixConn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", r.sock)
	if err != nil {
		return nil, err
	}
	return c.(*net.UnixConn), nil
}

// unavailable wraps a connection failure.
func unavailable(what string, err error) error {
	if err == nil {
		err = errors.New("connection closed")
	}
	return errdefs.Errorf(errdefs.ErrUnavailable, "monitor %s: %w", what, err)
}
