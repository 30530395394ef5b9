package engine

import (
	"context"
	"github.com/berthproject/berth/internal/backend"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/logging"
	"github.com/berthproject/berth/internal/runner"
	"github.com/moby/moby/api/types/container"
)

// pendingAttach is a client attached to a container that is not started yet
// (docker run attaches, then starts). start hands it to the runner between
// Create and Start, so it sees all output.
type pendingAttach struct {
	ctx     context.Context
	streams runner.Streams
	done    chan error
}

// attachTimeout bounds how long start waits for an attacher to register.
const attachTimeout = 5 * time.Second

// ContainerAttach attaches a client to a container's stdio (see backend.AttachConfig).
func (e *Engine) ContainerAttach(ctx context.Context, name string, cfg backend.AttachConfig) error {
	c, err := e.get(name)
	if err != nil {
		return err
	}
	v := c.View()
	switch {
	case v.State.Paused:
		return errdefs.Errorf(errdefs.ErrConflict, "You cannot attach to a paused container, unpause it first")
	case v.State.Restarting:
		return errdefs.Errorf(errdefs.ErrConflict, "You cannot attach to a restarting container, wait until it is running")
	}
	st, err := cfg.GetStreams(v.Config.Tty)
	if err != nil {
		return err
	}
	s := runner.Streams{}
	if cfg.UseStdin && v.Config.OpenStdin {
		s.Stdin = st.Stdin
	}
	if cfg.UseStdout {
		s.Stdout = st.Stdout
	}
	if cfg.UseStderr && !v.Config.Tty {
		s.Stderr = st.Stderr
	}
	if cfg.Logs {
		if err := e.replayLogs(ctx, c, s); err != nil {
			return err
		}
	}
	if !cfg.Stream {
		return nil
	}
	return e.attachLive(ctx, c, s)
}

// attachLive attaches to the running container, or queues the attacher until
// the container starts.
func (e *Engine) attachLive(ctx context.Context, c *Container, s runner.Streams) error {
	p := &pendingAttach{ctx: ctx, streams: s, done: make(chan error, 1)}
	c.mu.Lock()
	st := c.rec.Inspect.State
	queued := st.Status == container.StateCreated || c.starting != nil
	if queued {
		c.pending = append(c.pending, p)
	}
	c.mu.Unlock()
	if !queued {
		if !st.Running {
			return nil
		}
		return e.runner.Attach(ctx, c.ID, "", s)
	}
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		e.dropPending(c, p)
		return nil
	}
}

func (e *Engine) dropPending(c *Container, p *pendingAttach) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, q := range c.pending {
		if q == p {
			c.pending = append(c.pending[:i], c.pending[i+1:]...)
			return
		}
	}
}

// attachPending hands the queued attachers to the runner after Create and
// returns once each is registered (or failed, or timed out).
func (e *Engine) attachPending(ctx context.Context, c *Container) {
	c.mu.Lock()
	pending := c.pending
	c.pending = nil
	c.mu.Unlock()
	for _, p := range pending {
		registered := make(chan struct{})
		s := p.streams
		s.Attached = func() { close(registered) }
		go func() { p.done <- e.runner.Attach(p.ctx, c.ID, "", s) }()
		select {
		case <-registered:
		case <-time.After(attachTimeout):
			logging.From(ctx).Warn("attacher did not register in time", logging.KeyContainerID, c.ID)
		}
	}
}

// replayLogs writes the logged output to the attacher (attach?logs=1).
func (e *Engine) replayLogs(ctx context.Context, c *Container, s runner.Streams) error {
	msgs, _, err := e.ContainerLogs(ctx, c.ID, backend.LogsOptions{ShowStdout: s.Stdout != nil, ShowStderr: s.Stderr != nil, Tail: -1})
	if err != nil {
		return err
	}
	for m := range msgs {
		if m.Err != nil {
			return m.Err
		}
		w := s.Stdout
		if m.Source == "stderr" && s.Stderr != nil {
			w = s.Stderr
		}
		if w != nil {
			if _, err := w.Write(m.Line); err != nil {
				return err
			}
		}
	}
	return nil
}

// releasePending ends the attachers queued for a start that failed.
func (e *Engine) releasePending(c *Container) {
	c.mu.Lock()
	pending := c.pending
	c.pending = nil
	c.mu.Unlock()
	for _, p := range pending {
		p.done <- nil
	}
}
