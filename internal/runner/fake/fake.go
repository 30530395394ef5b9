package fake

import (
	"context"
	"fmt"
	"path"
	"sync"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/logfile"
	"github.com/berthproject/berth/internal/runner"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Program is the behaviour of a fake process: it runs in its own goroutine
// from Start (or Exec), writes to p's streams and returns the exit code.
type Program func(p *Process) int

// Hooks let a test fail or observe operations; each runs before the
// operation and its error is returned as is.
type Hooks struct {
	Create func(b runner.Bundle) error
	Start  func(id string) error
	Exec   func(id, execID string, p runner.ExecProcess) error
	Update func(id string, res *specs.LinuxResources) error
}

// Runner is an in-memory runner.Runner. Set Hooks before use.
type Runner struct {
	Hooks Hooks

	onExit     runner.ExitFunc
	mu         sync.Mutex
	programs   map[string]Program
	containers map[string]*container
	lastPid    int
}

var _ runner.Runner = (*Runner)(nil)

type container struct {
	b      runner.Bundle
	status runner.Status
	init   *proc
	prog   Program
	exit   *runner.Exit
	execs  map[string]*proc
	// waiting are attachers of execs that do not exist yet.
	waiting map[string][]*waiter
	updates []*specs.LinuxResources
	samples uint64
}

// New returns a fake runner that reports exits to onExit (may be nil). It
// knows the programs echo, true, false, sleep, cat and sh -c (a tiny
// subset: echo, exit N, sleep, cat, true, false separated by ';'); Handle
// adds more. Any other program fails Create like a missing executable.
func New(onExit runner.ExitFunc) *Runner {
	return &Runner{onExit: onExit, programs: defaultPrograms(), containers: map[string]*container{}, lastPid: 1000}
}

// SetExitFunc replaces the function exits are reported to (a test's new
// engine takes over the runner, as berthd does after a restart).
func (r *Runner) SetExitFunc(f runner.ExitFunc) {
	r.mu.Lock()
	r.onExit = f
	r.mu.Unlock()
}

// Handle makes argv[0] (matched by base name) run prog.
func (r *Runner) Handle(name string, prog Program) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.programs[name] = prog
}

func (r *Runner) program(args []string) (Program, error) {
	if len(args) == 0 {
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "no command")
	}
	if p := r.programs[path.Base(args[0])]; p != nil {
		return p, nil
	}
	return nil, fmt.Errorf("exec: %q: executable file not found in $PATH", args[0])
}

func (r *Runner) get(id string) (*container, error) {
	c := r.containers[id]
	if c == nil {
		return nil, errdefs.Errorf(errdefs.ErrNotFound, "container %s: not found", id)
	}
	return c, nil
}

// Create implements runner.Runner.
func (r *Runner) Create(ctx context.Context, b runner.Bundle) (int, error) {
	if r.Hooks.Create != nil {
		if err := r.Hooks.Create(b); err != nil {
			return 0, err
		}
	}
	if b.Spec == nil || b.Spec.Process == nil {
		return 0, errdefs.Errorf(errdefs.ErrInvalidArgument, "container %s: no process", b.ID)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.containers[b.ID] != nil {
		return 0, errdefs.Errorf(errdefs.ErrAlreadyExists, "container %s: already exists", b.ID)
	}
	prog, err := r.program(b.Spec.Process.Args)
	if err != nil {
		return 0, errdefs.Errorf(errdefs.ErrInternal, "OCI runtime create failed: runc create failed: unable to start container process: %w", err)
	}
	var log *logfile.Writer
	if b.Log.Path != "" {
		if log, err = logfile.Open(b.Log.Path, b.Log.MaxSize, b.Log.MaxFiles); err != nil {
			return 0, errdefs.Errorf(errdefs.ErrInternal, "%w", err)
		}
	}
	r.lastPid++
	p := newProc(ctx, r.lastPid, b.Spec.Process.Args, b.Spec.Process.Env, b.Stdin, b.StdinOnce, log)
	r.containers[b.ID] = &container{b: b, status: runner.StatusCreated, init: p, prog: prog}
	return p.pid, nil
}

// Start implements runner.Runner.
func (r *Runner) Start(ctx context.Context, id string) error {
	if r.Hooks.Start != nil {
		if err := r.Hooks.Start(id); err != nil {
			return err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.get(id)
	if err != nil {
		return err
	}
	if c.status != runner.StatusCreated {
		return errdefs.Errorf(errdefs.ErrConflict, "container %s is %s: cannot start", id, c.status)
	}
	c.status = runner.StatusRunning
	r.run(c, "", c.init, c.prog)
	return nil
}

// run runs prog for p in its own goroutine.
func (r *Runner) run(c *container, execID string, p *proc, prog Program) {
	go func() {
		code := prog(p.spec)
		r.exited(c, execID, p, code)
	}()
}

// exited records the first end of p (its program returned, or SIGKILL),
// then reports it.
func (r *Runner) exited(c *container, execID string, p *proc, code int) {
	if !p.exitOnce.CompareAndSwap(false, true) {
		return
	}
	p.finish()
	e := runner.Exit{ID: c.b.ID, ExecID: execID, Pid: p.pid, Code: code, OOMKilled: p.spec.OOMKilled, At: time.Now().UTC()}
	r.mu.Lock()
	if execID == "" {
		c.status, c.exit = runner.StatusStopped, &e
	} else {
		delete(c.execs, execID)
	}
	r.mu.Unlock()
	if r.onExit != nil {
		r.onExit(e)
	}
}

// Kill implements runner.Runner: SIGKILL (9) ends the process at once with
// code 137; other signals go to the program's Signals channel.
func (r *Runner) Kill(ctx context.Context, id string, sig int, all bool) error {
	r.mu.Lock()
	c, err := r.get(id)
	if err == nil && c.status == runner.StatusStopped {
		err = errdefs.Errorf(errdefs.ErrConflict, "container %s is not running", id)
	}
	r.mu.Unlock()
	if err != nil {
		return err
	}
	procs := []*proc{c.init}
	if all {
		r.mu.Lock()
		for _, p := range c.execs {
			procs = append(procs, p)
		}
		r.mu.Unlock()
	}
	for _, p := range procs {
		r.signal(c, p, sig)
	}
	return nil
}

func (r *Runner) signal(c *container, p *proc, sig int) {
	if sig != 9 {
		select {
		case p.signals <- sig:
		default:
		}
		return
	}
	p.mu.Lock()
	p.killed = true
	p.mu.Unlock()
	p.kill()
	execID := ""
	if p != c.init {
		execID = p.execID
	}
	go r.exited(c, execID, p, 137)
}

// Delete implements runner.Runner.
func (r *Runner) Delete(ctx context.Context, id string, force bool) error {
	r.mu.Lock()
	c, err := r.get(id)
	if err == nil && c.status == runner.StatusRunning && !force {
		err = errdefs.Errorf(errdefs.ErrConflict, "container %s is running: stop it before removing it, or force the removal", id)
	}
	r.mu.Unlock()
	if err != nil {
		return err
	}
	if c.status == runner.StatusRunning {
		r.signal(c, c.init, 9)
		select {
		case <-c.init.done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if c.status == runner.StatusCreated {
		c.init.exitOnce.Store(true)
		c.init.finish()
	}
	delete(r.containers, id)
	return nil
}

// State implements runner.Runner.
func (r *Runner) State(ctx context.Context, id string) (runner.State, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.get(id)
	if err != nil {
		return runner.State{}, err
	}
	return runner.State{ID: id, Pid: c.init.pid, Status: c.status, Exit: c.exit}, nil
}

// List implements runner.Runner.
func (r *Runner) List(ctx context.Context) ([]runner.State, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]runner.State, 0, len(r.containers))
	for id, c := range r.containers {
		out = append(out, runner.State{ID: id, Pid: c.init.pid, Status: c.status, Exit: c.exit})
	}
	return out, nil
}

// Pids implements runner.Runner.
func (r *Runner) Pids(ctx context.Context, id string) ([]int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.get(id)
	if err != nil || c.status == runner.StatusStopped {
		return []int{}, err
	}
	pids := []int{c.init.pid}
	for _, p := range c.execs {
		pids = append(pids, p.pid)
	}
	return pids, nil
}

// Close implements runner.Runner (nothing to release).
func (r *Runner) Close() error { return nil }

// TerminalSize returns the last size Resize set for a process.
func (r *Runner) TerminalSize(id, execID string) (width, height uint) {
	p, err := r.proc(id, execID)
	if err != nil {
		return 0, 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.size[0], p.size[1]
}

// proc finds a container's init or exec.
func (r *Runner) proc(id, execID string) (*proc, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.get(id)
	if err != nil {
		return nil, err
	}
	if execID == "" {
		return c.init, nil
	}
	if p := c.execs[execID]; p != nil {
		return p, nil
	}
	return nil, errdefs.Errorf(errdefs.ErrNotFound, "exec %s: not found", execID)
}
