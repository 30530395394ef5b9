package ociruntime

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/ociruntime/cgroups"
	"golang.org/x/sys/unix"
)

// cmdKill: kill [-a|--all] ID [SIGNAL]   (SIGNAL: TERM, SIGTERM or 15; default SIGTERM)
func cmdKill(_ context.Context, g *globals, args []string) error {
	fs := newFlags("kill")
	all := fs.Bool("all", false, "signal every process of the container")
	fs.BoolVar(all, "a", false, "signal every process of the container")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", err, errdefs.ErrInvalidArgument)
	}
	if fs.NArg() < 1 || fs.NArg() > 2 {
		return fmt.Errorf("want ID [SIGNAL]: %w", errdefs.ErrInvalidArgument)
	}
	sig := unix.SIGTERM
	if fs.NArg() == 2 {
		var err error
		if sig, err = parseSignal(fs.Arg(1)); err != nil {
			return err
		}
	}
	c, err := loadContainer(g.root, fs.Arg(0))
	if err != nil {
		return err
	}
	if *all {
		return c.signalAll(sig)
	}
	return c.signal(sig)
}

// parseSignal accepts "KILL", "SIGKILL", "kill" or "9".
func parseSignal(s string) (unix.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 || n > 64 {
			return 0, fmt.Errorf("signal %q: %w", s, errdefs.ErrInvalidArgument)
		}
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	sig := unix.SignalNum(name)
	if sig == 0 {
		return 0, fmt.Errorf("signal %q: %w: unknown signal", s, errdefs.ErrInvalidArgument)
	}
	return sig, nil
}

// signalAll sends sig to every process in the container's cgroup.
func (c *Container) signalAll(sig unix.Signal) error {
	if !c.alive() {
		return fmt.Errorf("container %q: %w: not running", c.ID, errdefs.ErrConflict)
	}
	m, err := cgroups.Load(c.CgroupPaths)
	if err != nil {
		return c.signal(sig)
	}
	pids, err := m.Pids()
	if err != nil {
		return err
	}
	if sig == unix.SIGKILL {
		m.Freeze() // no forks between listing and killing
		defer m.Thaw()
		if pids, err = m.Pids(); err != nil {
			return err
		}
	}
	for _, pid := range pids {
		unix.Kill(pid, sig)
	}
	return nil
}
