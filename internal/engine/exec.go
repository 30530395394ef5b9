package engine

import (
	"context"
	"github.com/berthproject/berth/internal/backend"
	"strconv"
	"strings"
	"sync"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/runner"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
)

// Exec is one exec instance: created, started once, then exited.
type Exec struct {
	ID        string
	container *Container
	cfg       container.ExecCreateRequest

	mu       sync.Mutex
	started  bool
	running  bool
	pid      int
	exitCode *int
	done     chan struct{} // closed when the process has exited
}

// ContainerExecCreate registers an exec in a running container.
func (e *Engine) ContainerExecCreate(ctx context.Context, ref string, cfg container.ExecCreateRequest) (string, error) {
	c, err := e.get(ref)
	if err != nil {
		return "", err
	}
	if len(cfg.Cmd) == 0 {
		return "", errdefs.Errorf(errdefs.ErrInvalidArgument, "No exec command specified")
	}
	if !c.View().State.Running {
		return "", errdefs.Errorf(errdefs.ErrConflict, "container %s is not running", c.ID)
	}
	x := &Exec{ID: newID(), container: c, cfg: cfg, done: make(chan struct{})}
	e.mu.Lock()
	e.execs[x.ID] = x
	e.mu.Unlock()
	r := c.update(func(r *record) { r.Inspect.ExecIDs = append(r.Inspect.ExecIDs, x.ID) })
	e.persist(ctx, r)
	e.containerEvent(c, events.Action("exec_create: "+strings.Join(cfg.Cmd, " ")), map[string]string{"execID": x.ID})
	return x.ID, nil
}

func (e *Engine) getExec(id string) (*Exec, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if x, ok := e.execs[id]; ok {
		return x, nil
	}
	return nil, errdefs.Errorf(errdefs.ErrNotFound, "No such exec instance: %s", id)
}

// ContainerExecStart runs the exec. Unless detached it returns when the
// process has exited and all its output has been written to the streams.
func (e *Engine) ContainerExecStart(ctx context.Context, id string, opts backend.ExecStartConfig) error {
	x, err := e.getExec(id)
	if err != nil {
		return err
	}
	x.mu.Lock()
	if x.started {
		x.mu.Unlock()
		return errdefs.Errorf(errdefs.ErrConflict, "Error: Exec command %s is already running", id)
	}
	x.started, x.running = true, true
	x.mu.Unlock()
	c := x.container
	proc, err := e.execProcess(ctx, c, x.cfg)
	if err == nil {
		p := runner.ExecProcess{Spec: proc, Stdin: x.cfg.AttachStdin}
		if !opts.Detach {
			p.Streams = &runner.Streams{Stdin: opts.Stdin, Stdout: opts.Stdout, Stderr: opts.Stderr}
		}
		x.pid, err = e.runner.Exec(ctx, c.ID, x.ID, p)
	}
	if err != nil {
		e.execFinished(x, 126)
		return err
	}
	e.containerEvent(c, events.Action("exec_start: "+strings.Join(x.cfg.Cmd, " ")), map[string]string{"execID": x.ID})
	if opts.ConsoleSize != nil && x.cfg.Tty {
		_ = e.runner.Resize(ctx, c.ID, x.ID, opts.ConsoleSize[1], opts.ConsoleSize[0])
	}
	if opts.Detach {
		return nil
	}
	select {
	case <-x.done:
	case <-ctx.Done():
	}
	return nil
}

// execExited records an exec's exit reported by the runner.
func (e *Engine) execExited(xt runner.Exit) {
	x, err := e.getExec(xt.ExecID)
	if err != nil {
		return
	}
	e.execFinished(x, xt.Code)
	e.containerEvent(x.container, events.ActionExecDie, map[string]string{"execID": x.ID, "exitCode": strconv.Itoa(xt.Code)})
}

func (e *Engine) execFinished(x *Exec, code int) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.running {
		return
	}
	x.running, x.exitCode = false, &code
	close(x.done)
}

// ContainerExecInspect describes an exec.
func (e *Engine) ContainerExecInspect(ctx context.Context, id string) (*container.ExecInspectResponse, error) {
	x, err := e.getExec(id)
	if err != nil {
		return nil, err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	priv := x.cfg.Privileged
	return &container.ExecInspectResponse{
		ID:       x.ID,
		Running:  x.running,
		ExitCode: x.exitCode,
		ProcessConfig: &container.ExecProcessConfig{
			Tty: x.cfg.Tty, Entrypoint: x.cfg.Cmd[0], Arguments: append([]string{}, x.cfg.Cmd[1:]...),
			Privileged: &priv, User: x.cfg.User,
		},
		OpenStdin:   x.cfg.AttachStdin,
		OpenStdout:  x.cfg.AttachStdout,
		OpenStderr:  x.cfg.AttachStderr,
		CanRemove:   !x.running && x.started,
		ContainerID: x.container.ID,
		DetachKeys:  []byte(x.cfg.DetachKeys),
		Pid:         x.pid,
	}, nil
}

// ContainerExecResize resizes an exec's terminal.
func (e *Engine) ContainerExecResize(ctx context.Context, id string, height, width uint32) error {
	x, err := e.getExec(id)
	if err != nil {
		return err
	}
	return e.runner.Resize(ctx, x.container.ID, x.ID, uint(width), uint(height))
}
