package engine

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/logging"
	"github.com/berthproject/berth/internal/runner"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
)

// ContainerStart starts a created or exited container. Starting a running
// one is ErrNotModified, as dockerd answers 304.
func (e *Engine) ContainerStart(ctx context.Context, ref string) error {
	c, err := e.get(ref)
	if err != nil {
		return err
	}
	c.op.Lock()
	defer c.op.Unlock()
	return e.start(ctx, c)
}

// start does the work of ContainerStart with c.op held.
func (e *Engine) start(ctx context.Context, c *Container) error {
	r, _, _ := c.snapshot()
	switch {
	case r.Removed:
		return errdefs.Errorf(errdefs.ErrConflict, "container is marked for removal and cannot be started")
	case r.Inspect.State.Running:
		return errdefs.Errorf(errdefs.ErrNotModified, "container %s is already running", c.ID)
	}
	gate := make(chan struct{})
	c.update(func(*record) { c.starting, c.stopping = gate, false })
	defer func() {
		c.mu.Lock()
		c.starting = nil
		c.mu.Unlock()
		close(gate)
	}()
	pid, err := e.launch(ctx, c, r)
	if err != nil {
		err = e.startFailed(ctx, c, err)
		e.releasePending(c)
		if r.Inspect.HostConfig.AutoRemove {
			// As dockerd: `docker run --rm` waits for the removal.
			if rerr := e.remove(context.WithoutCancel(ctx), c, true); rerr != nil {
				logging.From(ctx).Error("auto-remove after failed start", logging.KeyContainerID, c.ID, logging.Err(rerr))
			}
		}
		return err
	}
	r = c.update(func(r *record) {
		s := r.Inspect.State
		s.Status, s.Running, s.Pid, s.ExitCode, s.Error, s.OOMKilled = container.StateRunning, true, pid, 0, "", false
		s.StartedAt = timestamp(time.Now())
	})
	e.persist(ctx, r)
	e.containerEvent(c, events.ActionStart, nil)
	return nil
}

// launch prepares the bundle and has the runner create and start it.
func (e *Engine) launch(ctx context.Context, c *Container, r record) (int, error) {
	mounts, err := e.opts.Snapshots.Mounts(ctx, r.SnapshotKey)
	if err != nil {
		return 0, fmt.Errorf("rootfs: %w", err)
	}
	if err := e.writeNetworkFiles(r); err != nil {
		return 0, err
	}
	spec, err := e.buildSpec(ctx, r, mounts)
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	c.spec = spec
	c.mu.Unlock()
	b, err := e.bundle(r)
	if err != nil {
		return 0, err
	}
	b.Spec, b.Rootfs = spec, mounts
	pid, err := e.runner.Create(ctx, b)
	if err != nil {
		return 0, err
	}
	e.attachPending(ctx, c)
	if ts := r.Inspect.HostConfig.ConsoleSize; r.Inspect.Config.Tty && ts[0] > 0 && ts[1] > 0 {
		_ = e.runner.Resize(ctx, c.ID, "", ts[1], ts[0])
	}
	if err := e.runner.Start(ctx, c.ID); err != nil {
		_ = e.runner.Delete(context.WithoutCancel(ctx), c.ID, true)
		return 0, err
	}
	return pid, nil
}

// bundle describes the runner bundle of a container (without spec and rootfs).
func (e *Engine) bundle(r record) (runner.Bundle, error) {
	ins := r.Inspect
	bin, ok := e.opts.Runtimes[r.Runtime]
	if !ok {
		return runner.Bundle{}, errdefs.Errorf(errdefs.ErrInvalidArgument, "unknown or invalid runtime name: %s", r.Runtime)
	}
	b := runner.Bundle{
		ID:          ins.ID,
		Dir:         filepath.Join(e.opts.BundleRoot, ins.ID),
		Runtime:     bin,
		RuntimeRoot: filepath.Join(e.opts.RuntimeRoot, r.Runtime),
		Stdin:       ins.Config.OpenStdin,
		StdinOnce:   ins.Config.StdinOnce,
		RemapRootfs: e.opts.Userns.Remapped(ins.HostConfig),
	}
	if ins.LogPath != "" {
		size, files, err := e.logLimits(ins.HostConfig.LogConfig.Config)
		if err != nil {
			return runner.Bundle{}, err
		}
		b.Log = runner.LogConfig{Path: ins.LogPath, MaxSize: size, MaxFiles: files}
	}
	return b, nil
}

// startFailed records a failed start as dockerd does (exit code 127 when the
// command is missing, 126 when it cannot be run, else 128) and returns the
// error with the runtime's message kept for the CLI, which derives its exit
// code from it.
func (e *Engine) startFailed(ctx context.Context, c *Container, err error) error {
	msg := err.Error()
	code := 128
	switch {
	case strings.Contains(msg, "executable file not found"), strings.Contains(msg, "no such file or directory"):
		code = 127
	case strings.Contains(msg, "permission denied"), strings.Contains(msg, "is a directory"):
		code = 126
	}
	r := c.update(func(r *record) {
		s := r.Inspect.State
		s.Running, s.Pid, s.ExitCode, s.Error = false, 0, code, msg
		if s.StartedAt != zeroTime {
			s.Status = container.StateExited
		}
	})
	e.persist(ctx, r)
	if code != 128 {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "failed to create task for container: %w", err)
	}
	return fmt.Errorf("failed to create task for container: %w", err)
}
