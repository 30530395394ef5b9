package ociruntime

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/ociruntime/cgroups"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// execOpts are the flags of exec.
type execOpts struct {
	process, pidFile, consoleSocket, cwd, user string
	detach, tty                                bool
	env, addGids                               stringList
	preserveFDs                                int
}

// cmdExec: exec [--process FILE] [--pid-file F] [-d] [--console-socket S] [-t]
// [--cwd D] [-e K=V]... [-u UID[:GID]] [-g GID]... [--preserve-fds N] ID [ARGS...]
//
// The process joins every namespace and the cgroup of the container and gets
// the container's process settings (caps, no_new_privs, rlimits, env) with
// the flags on top. Without --detach, exits with the process's exit code.
func cmdExec(ctx context.Context, g *globals, args []string) error {
	fs := newFlags("exec")
	var o execOpts
	fs.StringVar(&o.process, "process", "", "process.json to run")
	fs.StringVar(&o.process, "p", "", "process.json to run")
	fs.StringVar(&o.pidFile, "pid-file", "", "file to write the process's host pid to")
	fs.StringVar(&o.consoleSocket, "console-socket", "", "unix socket that receives the pty master")
	fs.StringVar(&o.cwd, "cwd", "", "working directory")
	fs.StringVar(&o.user, "user", "", "UID[:GID]")
	fs.StringVar(&o.user, "u", "", "UID[:GID]")
	fs.BoolVar(&o.detach, "detach", false, "do not wait for the process")
	fs.BoolVar(&o.detach, "d", false, "do not wait for the process")
	fs.BoolVar(&o.tty, "tty", false, "allocate a pty")
	fs.BoolVar(&o.tty, "t", false, "allocate a pty")
	fs.Var(&o.env, "env", "K=V")
	fs.Var(&o.env, "e", "K=V")
	fs.Var(&o.addGids, "additional-gids", "GID")
	fs.Var(&o.addGids, "g", "GID")
	fs.IntVar(&o.preserveFDs, "preserve-fds", 0, "pass fds 3..3+N-1 to the process")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", err, errdefs.ErrInvalidArgument)
	}
	if fs.NArg() < 1 {
		return fmt.Errorf("want ID [ARGS...]: %w", errdefs.ErrInvalidArgument)
	}
	c, err := loadContainer(g.root, fs.Arg(0))
	if err != nil {
		return err
	}
	p, err := execProcess(c.Spec.Process, o, fs.Args()[1:])
	if err != nil {
		return err
	}
	return execIn(ctx, c, p, o)
}

func execIn(ctx context.Context, c *Container, p *specs.Process, o execOpts) error {
	if st := c.currentStatus(); st != StatusRunning && st != StatusCreated {
		return fmt.Errorf("container %q: %w: cannot exec in a %s container", c.ID, errdefs.ErrConflict, st)
	}
	if err := checkConsole(p, o.consoleSocket); err != nil {
		return err
	}
	m, err := cgroups.Load(c.CgroupPaths)
	if err != nil {
		return fmt.Errorf("container %q: %w", c.ID, err)
	}
	go cgroups.Prime()
	// the container's seccomp filter confines exec'd processes too
	prog, err := compileSeccomp(filepath.Dir(c.dir), c.Spec)
	if err != nil {
		return fmt.Errorf("container %q: %w", c.ID, err)
	}
	cfg := &initConfig{ID: c.ID, Exec: true, Spec: withoutSeccomp(c.Spec), Process: p, Seccomp: prog, PreserveFDs: o.preserveFDs}
	ch, err := spawn(ctx, spawnOpts{
		cfg: cfg, plan: execPlan(c.Spec, c.Pid), preserveFDs: o.preserveFDs,
		// the exec'd process is moved by pid: it is already in the
		// container's mount namespace, where the host cgroup paths are not
		consoleSocket: o.consoleSocket, cgroup: func(pid int) (map[string]string, error) {
			return nil, m.AddPid(pid)
		},
	})
	if err != nil {
		return fmt.Errorf("container %q: exec: %w", c.ID, err)
	}
	if o.pidFile != "" {
		if err := atomicWrite(o.pidFile, []byte(strconv.Itoa(ch.pid)), 0o644); err != nil {
			return fmt.Errorf("pid file: %w", err)
		}
	}
	if o.detach {
		return nil
	}
	stop := forwardSignals(ch.pid)
	ws, err := ch.wait()
	stop()
	if err != nil {
		return fmt.Errorf("container %q: exec: wait: %w", c.ID, err)
	}
	return exitError{code: exitCode(ws)}
}

// execProcess builds the exec'd process: --process FILE as is, or the
// container's process with the arguments and flags on top.
func execProcess(base *specs.Process, o execOpts, args []string) (*specs.Process, error) {
	if o.process != "" {
		b, err := os.ReadFile(o.process)
		if err != nil {
			return nil, fmt.Errorf("process file: %w", err)
		}
		p := &specs.Process{}
		if err := json.Unmarshal(b, p); err != nil {
			return nil, fmt.Errorf("process file %s: %w: %w", o.process, err, errdefs.ErrInvalidArgument)
		}
		if len(p.Args) == 0 {
			return nil, fmt.Errorf("process file %s: no args: %w", o.process, errdefs.ErrInvalidArgument)
		}
		return p, nil
	}
	if len(args) == 0 {
		return nil, fmt.Errorf("exec: no command given: %w", errdefs.ErrInvalidArgument)
	}
	p := specs.Process{Cwd: "/"}
	if base != nil {
		p = *base
	}
	p.Args, p.Terminal, p.ConsoleSize = args, o.tty, nil
	p.Env = mergeEnv(p.Env, o.env)
	if o.cwd != "" {
		p.Cwd = o.cwd
	}
	if o.user != "" {
		u, err := parseUIDGID(o.user)
		if err != nil {
			return nil, err
		}
		p.User = u
	}
	for _, g := range o.addGids {
		n, err := strconv.ParseUint(g, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("additional gid %q: %w", g, errdefs.ErrInvalidArgument)
		}
		p.User.AdditionalGids = append(p.User.AdditionalGids, uint32(n))
	}
	return &p, nil
}

func parseUIDGID(s string) (specs.User, error) {
	uidS, gidS, hasGid := strings.Cut(s, ":")
	uid, err := strconv.ParseUint(uidS, 10, 32)
	if err != nil {
		return specs.User{}, fmt.Errorf("user %q: %w: want numeric UID[:GID]", s, errdefs.ErrInvalidArgument)
	}
	u := specs.User{UID: uint32(uid)}
	if hasGid {
		gid, err := strconv.ParseUint(gidS, 10, 32)
		if err != nil {
			return specs.User{}, fmt.Errorf("user %q: %w: want numeric UID[:GID]", s, errdefs.ErrInvalidArgument)
		}
		u.GID = uint32(gid)
	}
	return u, nil
}

// mergeEnv replaces or appends each K=V of extra in base.
func mergeEnv(base, extra []string) []string {
	out := append([]string{}, base...)
	for _, kv := range extra {
		k, _, _ := strings.Cut(kv, "=")
		replaced := false
		for i, e := range out {
			if ek, _, _ := strings.Cut(e, "="); ek == k {
				out[i], replaced = kv, true
			}
		}
		if !replaced {
			out = append(out, kv)
		}
	}
	return out
}
