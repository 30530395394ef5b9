package fake

import (
	"context"
	"slices"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/runner"
)

// Exec implements runner.Runner. With p.Streams the attach is registered
// before the program runs; the exit is reported after the program returned,
// so after its output reached the streams.
func (r *Runner) Exec(ctx context.Context, id, execID string, p runner.ExecProcess) (int, error) {
	if r.Hooks.Exec != nil {
		if err := r.Hooks.Exec(id, execID, p); err != nil {
			return 0, err
		}
	}
	if p.Spec == nil {
		return 0, errdefs.Errorf(errdefs.ErrInvalidArgument, "exec %s: no process", execID)
	}
	c, pr, prog, err := r.newExec(ctx, id, execID, p)
	if err != nil {
		return 0, err
	}
	if p.Streams != nil {
		s := *p.Streams
		attached := make(chan struct{})
		user := s.Attached
		s.Attached = func() {
			if user != nil {
				user()
			}
			close(attached)
		}
		go pr.attach(context.WithoutCancel(ctx), &s)
		<-attached
	}
	r.run(c, execID, pr, prog)
	return pr.pid, nil
}

// newExec checks and registers an exec, binding the attachers that wait
// for it.
func (r *Runner) newExec(ctx context.Context, id, execID string, p runner.ExecProcess) (*container, *proc, Program, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.get(id)
	switch {
	case err != nil:
		return nil, nil, nil, err
	case c.status != runner.StatusRunning:
		return nil, nil, nil, errdefs.Errorf(errdefs.ErrConflict, "container %s is not running", id)
	case c.execs[execID] != nil:
		return nil, nil, nil, errdefs.Errorf(errdefs.ErrAlreadyExists, "exec %s: already exists", execID)
	}
	prog, err := r.program(p.Spec.Args)
	if err != nil {
		return nil, nil, nil, errdefs.Errorf(errdefs.ErrInternal, "OCI runtime exec failed: exec failed: unable to start container process: %w", err)
	}
	r.lastPid++
	pr := newProc(ctx, r.lastPid, p.Spec.Args, p.Spec.Env, p.Stdin, true, nil)
	pr.execID = execID
	if c.execs == nil {
		c.execs = map[string]*proc{}
	}
	c.execs[execID] = pr
	for _, w := range c.waiting[execID] { // attached before the exec
		pr.register(w.s)
		w.bound <- pr
	}
	delete(c.waiting, execID)
	return c, pr, prog, nil
}

// Attach implements runner.Runner. An attach to an exec that does not
// exist yet waits for it (attach, then exec), registered from the start.
func (r *Runner) Attach(ctx context.Context, id, execID string, s runner.Streams) error {
	r.mu.Lock()
	c, err := r.get(id)
	if err != nil {
		r.mu.Unlock()
		return err
	}
	p := c.init
	if execID != "" {
		p = c.execs[execID]
	}
	if p != nil {
		r.mu.Unlock()
		return p.attach(ctx, &s)
	}
	if c.status == runner.StatusStopped {
		r.mu.Unlock()
		return errdefs.Errorf(errdefs.ErrNotFound, "exec %s: not found", execID)
	}
	w := &waiter{s: &s, bound: make(chan *proc, 1)}
	if c.waiting == nil {
		c.waiting = map[string][]*waiter{}
	}
	c.waiting[execID] = append(c.waiting[execID], w)
	r.mu.Unlock()
	if s.Attached != nil {
		s.Attached()
	}
	select {
	case p = <-w.bound:
		return p.serve(ctx, &s)
	case <-ctx.Done():
		r.mu.Lock()
		list := c.waiting[execID]
		if i := slices.Index(list, w); i >= 0 {
			c.waiting[execID] = slices.Delete(slices.Clone(list), i, i+1)
		}
		r.mu.Unlock()
		select {
		case p = <-w.bound: // bound meanwhile
			p.detach(&s)
		default:
		}
		return ctx.Err()
	}
}

// waiter is an attacher waiting for its exec to start.
type waiter struct {
	s     *runner.Streams
	bound chan *proc
}

// CloseStdin implements runner.Runner.
func (r *Runner) CloseStdin(ctx context.Context, id, execID string) error {
	p, err := r.proc(id, execID)
	if err != nil {
		return err
	}
	p.closeStdin()
	return nil
}

// Resize implements runner.Runner (the size is kept for TerminalSize).
func (r *Runner) Resize(ctx context.Context, id, execID string, width, height uint) error {
	p, err := r.proc(id, execID)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.size = [2]uint{width, height}
	return nil
}
