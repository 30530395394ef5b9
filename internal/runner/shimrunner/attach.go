package shimrunner

import (
	"context"
	"io"
	"time"

	"github.com/berthproject/berth/internal/runner"
	"github.com/berthproject/berth/internal/shim/wire"
)

// Attach implements runner.Runner over a dedicated connection. It returns
// nil when the output ended (the process exited and its output was
// delivered, or DetachOnStdinEOF and the input ended), ctx.Err() when ctx
// ends first, or the error of a failing writer or connection.
func (r *Runner) Attach(ctx context.Context, id, execID string, s runner.Streams) error {
	key := procKey{id, execID}
	r.attachBegin(key)
	defer r.attachEnd(key)
	a, err := r.openAttach(ctx, id, execID, s.Stdin != nil)
	if err != nil {
		return err
	}
	return a.run(ctx, s)
}

// attachConn is an acknowledged attach connection.
type attachConn struct {
	c *wire.Conn
}

// openAttach dials the monitor and registers an attacher; once it returns,
// output reaches the attacher.
func (r *Runner) openAttach(ctx context.Context, id, execID string, stdin bool) (*attachConn, error) {
	nc, err := r.dial(ctx)
	if err != nil {
		return nil, unavailable("attach", err)
	}
	c := wire.NewConn(nc, wire.MaxData+64)
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Now()) })
	defer stop()
	if err := c.WriteJSON(wire.KindAttach, wire.Attach{Container: id, Exec: execID, Stdin: stdin}); err != nil {
		c.Close()
		return nil, unavailable("attach", err)
	}
	kind, p, err := c.Read()
	if err == nil && kind != wire.KindResponse {
		err = io.ErrUnexpectedEOF
	}
	var resp wire.Response
	if err == nil {
		err = wire.Decode(p, &resp)
	}
	if err != nil {
		c.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, unavailable("attach", err)
	}
	if err := resp.Error.Err(); err != nil {
		c.Close()
		return nil, err
	}
	return &attachConn{c: c}, nil
}

// run copies output to the streams and input from s.Stdin until the end.
func (a *attachConn) run(ctx context.Context, s runner.Streams) error {
	defer a.c.Close()
	if s.Attached != nil {
		s.Attached()
	}
	outDone := make(chan error, 1)
	go func() { outDone <- a.copyOut(s) }()
	inDone := make(chan struct{})
	if s.Stdin != nil {
		go a.copyIn(s.Stdin, inDone)
	}
	var detach <-chan struct{}
	if s.DetachOnStdinEOF && s.Stdin != nil {
		detach = inDone
	}
	select {
	case err := <-outDone:
		return err
	case <-detach:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// copyOut writes output frames to the streams until End.
func (a *attachConn) copyOut(s runner.Streams) error {
	for {
		kind, p, err := a.c.Read()
		if err != nil {
			return unavailable("attach stream", err)
		}
		var w io.Writer
		switch kind {
		case wire.KindStdout:
			w = s.Stdout
		case wire.KindStderr:
			w = s.Stderr
		case wire.KindEnd:
			var end wire.End
			if err := wire.Decode(p, &end); err != nil {
				return unavailable("attach stream", err)
			}
			return end.Error.Err()
		}
		if w != nil {
			if _, err := w.Write(p); err != nil {
				return err
			}
		}
	}
}

// copyIn sends input frames, then a stdin-EOF frame when the input ends.
// A Read that never returns keeps this goroutine until it does.
func (a *attachConn) copyIn(in io.Reader, done chan<- struct{}) {
	defer close(done)
	buf := make([]byte, wire.MaxData)
	for {
		n, err := in.Read(buf)
		if n > 0 {
			if werr := a.c.Write(wire.KindStdin, buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			a.c.Write(wire.KindStdinEOF, nil)
			return
		}
	}
}
