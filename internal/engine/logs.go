package engine

import (
	"context"
	"github.com/berthproject/berth/internal/backend"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/logfile"
)

// ContainerLogs streams a container's json-file log (see backend.LogsOptions). With
// Follow it ends when the container stops (after draining) or ctx ends.
func (e *Engine) ContainerLogs(ctx context.Context, name string, opts backend.LogsOptions) (<-chan backend.LogMessage, bool, error) {
	c, err := e.get(name)
	if err != nil {
		return nil, false, err
	}
	v := c.View()
	if v.LogPath == "" {
		return nil, false, errdefs.Errorf(errdefs.ErrNotImplemented, "configured logging driver does not support reading")
	}
	_, maxFiles, err := e.logLimits(v.HostConfig.LogConfig.Config)
	if err != nil {
		return nil, false, err
	}
	ro := logfile.ReadOptions{Tail: opts.Tail, Since: opts.Since, Until: opts.Until, Follow: opts.Follow,
		Stdout: opts.ShowStdout, Stderr: opts.ShowStderr}
	if !opts.ShowStdout && !opts.ShowStderr {
		return nil, false, errdefs.Errorf(errdefs.ErrInvalidArgument, "You must choose at least one stream")
	}
	out := make(chan backend.LogMessage, 64)
	if opts.Follow {
		ro.Stop = e.stopped(ctx, c)
	}
	go func() {
		defer close(out)
		err := logfile.Read(ctx, v.LogPath, maxFiles, ro, func(m logfile.Message) error {
			select {
			case out <- backend.LogMessage{Source: m.Stream, Line: m.Line, Timestamp: m.Time}:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
		if err != nil && ctx.Err() == nil {
			out <- backend.LogMessage{Err: err}
		}
	}()
	return out, v.Config.Tty, nil
}

// stopped returns a channel closed once c is not running (or ctx ends).
func (e *Engine) stopped(ctx context.Context, c *Container) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		for {
			st := c.status()
			if !st.rec.Inspect.State.Running && !st.starting {
				return
			}
			select {
			case <-st.changed:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}
