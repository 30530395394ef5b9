package ociruntime

import (
	"context"
	"fmt"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/ociruntime/cgroups"
)

// cmdPause: pause ID (cgroup freezer)
func cmdPause(_ context.Context, g *globals, args []string) error {
	return freeze(g, "pause", args, true)
}

// cmdResume: resume ID
func cmdResume(_ context.Context, g *globals, args []string) error {
	return freeze(g, "resume", args, false)
}

func freeze(g *globals, name string, args []string, pause bool) error {
	fs := newFlags(name)
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", err, errdefs.ErrInvalidArgument)
	}
	id, err := oneID(fs)
	if err != nil {
		return err
	}
	c, err := loadContainer(g.root, id)
	if err != nil {
		return err
	}
	st := c.currentStatus()
	if (pause && st != StatusRunning) || (!pause && st != StatusPaused) {
		return fmt.Errorf("container %q: %w: cannot %s a %s container", id, errdefs.ErrConflict, name, st)
	}
	m, err := cgroups.Load(c.CgroupPaths)
	if err != nil {
		return fmt.Errorf("container %q: %w", id, err)
	}
	if pause {
		return m.Freeze()
	}
	return m.Thaw()
}
