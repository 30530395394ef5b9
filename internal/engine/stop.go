package engine

import (
	"context"
	"github.com/berthproject/berth/internal/backend"
	"strconv"
	"syscall"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/moby/moby/api/types/events"
	"golang.org/x/sys/unix"
)

const defaultStopTimeout = 10

// ContainerStop stops a running container: its stop signal, then SIGKILL
// after the timeout. Stopping a stopped container is ErrNotModified.
func (e *Engine) ContainerStop(ctx context.Context, ref string, opts backend.StopOptions) error {
	c, err := e.get(ref)
	if err != nil {
		return err
	}
	c.op.Lock()
	defer c.op.Unlock()
	if !c.View().State.Running {
		return errdefs.Errorf(errdefs.ErrNotModified, "container %s is already stopped", ref)
	}
	return e.stop(ctx, c, opts)
}

// stop does the work of ContainerStop with c.op held.
func (e *Engine) stop(ctx context.Context, c *Container, opts backend.StopOptions) error {
	v := c.View()
	sig, err := stopSignal(opts.Signal, v.Config.StopSignal)
	if err != nil {
		return err
	}
	timeout := defaultStopTimeout
	if v.Config.StopTimeout != nil {
		timeout = *v.Config.StopTimeout
	}
	if opts.Timeout != nil {
		timeout = *opts.Timeout
	}
	c.update(func(*record) { c.stopping = true })
	if err := e.signal(ctx, c, sig); err != nil && !errdefs.IsNotFound(err) {
		return err
	}
	if timeout < 0 {
		err = e.waitStopped(ctx, c, forever)
	} else if err = e.waitStopped(ctx, c, time.Duration(timeout)*time.Second); err != nil {
		if err := e.signal(ctx, c, unix.SIGKILL); err != nil && !errdefs.IsNotFound(err) {
			return err
		}
		err = e.waitStopped(ctx, c, forever)
	}
	if err == nil {
		e.containerEvent(c, events.ActionStop, nil)
	}
	return err
}

// signal sends sig to c's init and publishes the kill event.
func (e *Engine) signal(ctx context.Context, c *Container, sig syscall.Signal) error {
	if err := e.runner.Kill(ctx, c.ID, int(sig), false); err != nil {
		return err
	}
	e.containerEvent(c, events.ActionKill, map[string]string{"signal": strconv.Itoa(int(sig))})
	return nil
}

// forever is the waitStopped timeout that waits until ctx ends.
const forever = time.Duration(-1)

// waitStopped waits until c is not running, for at most timeout (forever:
// until ctx ends).
func (e *Engine) waitStopped(ctx context.Context, c *Container, timeout time.Duration) error {
	var expired <-chan time.Time
	if timeout >= 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	for {
		r, _, changed := c.snapshot()
		if !r.Inspect.State.Running {
			return nil
		}
		select {
		case <-changed:
		case <-expired:
			return errdefs.Errorf(errdefs.ErrUnavailable, "container %s did not stop within %s", c.ID, timeout)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// ContainerKill sends a signal (default SIGKILL) to a running container.
func (e *Engine) ContainerKill(ctx context.Context, ref, sigName string) error {
	c, err := e.get(ref)
	if err != nil {
		return err
	}
	sig := unix.SIGKILL
	if sigName != "" {
		if sig, err = parseSignal(sigName); err != nil {
			return err
		}
	}
	if !c.View().State.Running {
		return errdefs.Errorf(errdefs.ErrConflict, "Cannot kill container: %s: Container %s is not running", ref, c.ID)
	}
	if sig == unix.SIGKILL || sig == unix.SIGTERM || sig == unix.SIGINT {
		c.update(func(*record) { c.stopping = true })
	}
	if err := e.signal(ctx, c, sig); err != nil {
		if errdefs.IsNotFound(err) {
			return errdefs.Errorf(errdefs.ErrConflict, "Cannot kill container: %s: Container %s is not running", ref, c.ID)
		}
		return err
	}
	return nil
}

// ContainerRestart stops the container if it runs, then starts it.
func (e *Engine) ContainerRestart(ctx context.Context, ref string, opts backend.StopOptions) error {
	c, err := e.get(ref)
	if err != nil {
		return err
	}
	c.op.Lock()
	if c.View().State.Running {
		if err := e.stop(ctx, c, opts); err != nil {
			c.op.Unlock()
			return err
		}
	}
	err = e.start(ctx, c)
	c.op.Unlock()
	if err == nil {
		e.containerEvent(c, events.ActionRestart, nil)
	}
	return err
}
