package shimrunner

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"math"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/runner"
	"github.com/berthproject/berth/internal/shim/wire"
	"github.com/berthproject/berth/internal/stats"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Create implements runner.Runner.
func (r *Runner) Create(ctx context.Context, b runner.Bundle) (int, error) {
	if b.Spec == nil {
		return 0, errdefs.Errorf(errdefs.ErrInvalidArgument, "container %s: no spec", b.ID)
	}
	spec := *b.Spec
	root := specs.Root{Path: "rootfs"}
	if b.Spec.Root != nil {
		root.Readonly = b.Spec.Root.Readonly
	}
	spec.Root = &root
	raw, err := json.Marshal(&spec)
	if err != nil {
		return 0, errdefs.Errorf(errdefs.ErrInvalidArgument, "container %s: spec: %w", b.ID, err)
	}
	req := &wire.Request{Op: wire.OpCreate, Create: &wire.Create{
		ID: b.ID, Dir: b.Dir, Spec: raw, Rootfs: b.Rootfs,
		Runtime: b.Runtime, RuntimeRoot: b.RuntimeRoot,
		Terminal: spec.Process != nil && spec.Process.Terminal,
		Stdin:    b.Stdin, StdinOnce: b.StdinOnce,
		LogPath: b.Log.Path, LogMaxSize: b.Log.MaxSize, LogMaxFiles: b.Log.MaxFiles,
	}}
	if b.RemapRootfs {
		if req.Create.IDMap, err = idMapOf(spec.Linux); err != nil {
			return 0, errdefs.Errorf(errdefs.ErrInvalidArgument, "container %s: %w", b.ID, err)
		}
	}
	resp, err := r.call(ctx, req)
	return resp.Pid, err
}

// Start implements runner.Runner.
func (r *Runner) Start(ctx context.Context, id string) error {
	_, err := r.call(ctx, &wire.Request{Op: wire.OpStart, Container: id})
	return err
}

// Kill implements runner.Runner.
func (r *Runner) Kill(ctx context.Context, id string, sig int, all bool) error {
	_, err := r.call(ctx, &wire.Request{Op: wire.OpKill, Container: id, Signal: sig, All: all})
	return err
}

// Delete implements runner.Runner.
func (r *Runner) Delete(ctx context.Context, id string, force bool) error {
	_, err := r.call(ctx, &wire.Request{Op: wire.OpDelete, Container: id, Force: force})
	return err
}

// State implements runner.Runner.
func (r *Runner) State(ctx context.Context, id string) (runner.State, error) {
	resp, err := r.call(ctx, &wire.Request{Op: wire.OpState, Container: id})
	if err != nil || resp.State == nil {
		return runner.State{}, err
	}
	return stateOf(*resp.State), nil
}

// List implements runner.Runner.
func (r *Runner) List(ctx context.Context) ([]runner.State, error) {
	resp, err := r.call(ctx, &wire.Request{Op: wire.OpList})
	if err != nil {
		return nil, err
	}
	out := make([]runner.State, 0, len(resp.States))
	for _, st := range resp.States {
		out = append(out, stateOf(st))
	}
	return out, nil
}

// CloseStdin implements runner.Runner.
func (r *Runner) CloseStdin(ctx context.Context, id, execID string) error {
	_, err := r.call(ctx, &wire.Request{Op: wire.OpCloseStdin, Container: id, Exec: execID})
	return err
}

// Resize implements runner.Runner.
func (r *Runner) Resize(ctx context.Context, id, execID string, width, height uint) error {
	_, err := r.call(ctx, &wire.Request{
		Op: wire.OpResize, Container: id, Exec: execID,
		Width: uint16(min(width, math.MaxUint16)), Height: uint16(min(height, math.MaxUint16)),
	})
	return err
}

// Pids implements runner.Runner.
func (r *Runner) Pids(ctx context.Context, id string) ([]int, error) {
	resp, err := r.call(ctx, &wire.Request{Op: wire.OpPids, Container: id})
	if err != nil {
		return nil, err
	}
	if resp.Pids == nil {
		return []int{}, nil
	}
	return resp.Pids, nil
}

// Exec implements runner.Runner. With p.Streams the attach is in place
// before the process starts and runs on after Exec returns (it is not bound
// to ctx: it ends with the process's output or when a stream fails); the
// exec's Exit reaches OnExit only after that attach delivered all output.
func (r *Runner) Exec(ctx context.Context, id, execID string, p runner.ExecProcess) (int, error) {
	if p.Spec == nil {
		return 0, errdefs.Errorf(errdefs.ErrInvalidArgument, "exec %s: no process", execID)
	}
	raw, err := json.Marshal(p.Spec)
	if err != nil {
		return 0, errdefs.Errorf(errdefs.ErrInvalidArgument, "exec %s: process: %w", execID, err)
	}
	stop := func() {}
	if p.Streams != nil {
		if stop, err = r.attachExec(ctx, id, execID, *p.Streams); err != nil {
			return 0, err
		}
	}
	resp, err := r.call(ctx, &wire.Request{
		Op: wire.OpExec, Container: id, Exec: execID, Process: raw,
		Terminal: p.Spec.Terminal, Stdin: p.Stdin,
	})
	if err != nil {
		stop() // the process never ran: end the attach
	}
	return resp.Pid, err
}

// attachExec attaches streams to an exec before it starts; the attach runs
// in the background. stop ends it.
func (r *Runner) attachExec(ctx context.Context, id, execID string, s runner.Streams) (func(), error) {
	key := procKey{id, execID}
	r.attachBegin(key)
	a, err := r.openAttach(ctx, id, execID, s.Stdin != nil)
	if err != nil {
		r.attachEnd(key)
		return nil, err
	}
	actx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	go func() {
		defer r.attachEnd(key)
		defer cancel()
		a.run(actx, s)
	}()
	return cancel, nil
}

// idMapOf is the user namespace mappings of a spec, for a remapped rootfs.
func idMapOf(l *specs.Linux) (*wire.IDMap, error) {
	if l == nil || len(l.UIDMappings) == 0 || len(l.GIDMappings) == 0 {
		return nil, errors.New("a remapped rootfs needs the spec's uid and gid mappings")
	}
	conv := func(in []specs.LinuxIDMapping) []wire.IDRange {
		out := make([]wire.IDRange, len(in))
		for i, m := range in {
			out[i] = wire.IDRange{ContainerID: m.ContainerID, HostID: m.HostID, Size: m.Size}
		}
		return out
	}
	return &wire.IDMap{UIDs: conv(l.UIDMappings), GIDs: conv(l.GIDMappings)}, nil
}

func stateOf(st wire.State) runner.State {
	out := runner.State{ID: st.ID, Pid: st.Pid, Status: runner.Status(st.Status)}
	if st.Exit != nil {
		e := exitOf(*st.Exit)
		out.Exit = &e
	}
	return out
}

func exitOf(e wire.Exit) runner.Exit {
	return runner.Exit{ID: e.ID, ExecID: e.Exec, Pid: e.Pid, Code: e.Code, OOMKilled: e.OOMKilled, At: e.At}
}

// Update implements runner.Runner.
func (r *Runner) Update(ctx context.Context, id string, res *specs.LinuxResources) error {
	if res == nil {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "update %s: no resources", id)
	}
	raw, err := json.Marshal(res)
	if err != nil {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "update %s: %w", id, err)
	}
	_, err = r.call(ctx, &wire.Request{Op: wire.OpUpdate, Container: id, Resources: raw})
	return err
}

// Stats implements runner.Runner: berthd reads the counters itself from the
// init's cgroup and network namespace (it shares the host's namespaces with
// the monitor), asking the monitor only for the pid.
func (r *Runner) Stats(ctx context.Context, id string) (stats.Sample, error) {
	st, err := r.State(ctx, id)
	if err != nil {
		return stats.Sample{}, err
	}
	if st.Status != runner.StatusRunning || st.Pid <= 0 {
		return stats.Sample{}, errdefs.Errorf(errdefs.ErrConflict, "container %s is not running", id)
	}
	s, err := stats.Read(st.Pid)
	if errors.Is(err, fs.ErrNotExist) {
		return stats.Sample{}, errdefs.Errorf(errdefs.ErrConflict, "container %s is not running", id)
	}
	if err != nil {
		return stats.Sample{}, errdefs.Errorf(errdefs.ErrInternal, "container %s: stats: %w", id, err)
	}
	return s, nil
}
