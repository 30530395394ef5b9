package ociruntime

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/logging"
	"github.com/berthproject/berth/internal/ociruntime/cgroups"
	"golang.org/x/sys/unix"
)

// cmdDelete: delete [-f|--force] ID
func cmdDelete(ctx context.Context, g *globals, args []string) error {
	fs := newFlags("delete")
	force := fs.Bool("force", false, "kill a running container first")
	fs.BoolVar(force, "f", false, "kill a running container first")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", err, errdefs.ErrInvalidArgument)
	}
	id, err := oneID(fs)
	if err != nil {
		return err
	}
	c, err := loadContainer(g.root, id)
	if err != nil {
		if *force && errdefs.IsNotFound(err) {
			return nil
		}
		return err
	}
	// runtime-spec: deleting a container that is not stopped (created
	// included, unlike runc) is an error with no effect; --force kills first
	if st := c.currentStatus(); st != StatusStopped && !*force {
		return fmt.Errorf("container %q: %w: cannot delete a %s container (use --force)", id, errdefs.ErrConflict, st)
	}
	return destroy(ctx, c)
}

// destroy kills whatever is left of the container, removes its cgroup and
// its state directory.
func destroy(ctx context.Context, c *Container) error {
	var m *cgroups.Manager
	if len(c.CgroupPaths) > 0 {
		m, _ = cgroups.Load(c.CgroupPaths)
	}
	if c.alive() {
		unix.Kill(c.Pid, unix.SIGKILL)
	}
	if m != nil {
		if m.Frozen() {
			m.Thaw()
		}
		if err := killCgroup(m); err != nil {
			return fmt.Errorf("container %q: %w", c.ID, err)
		}
		if err := m.Destroy(); err != nil {
			return fmt.Errorf("container %q: %w", c.ID, err)
		}
	} else {
		waitGone(c, 5*time.Second)
	}
	if err := os.RemoveAll(c.dir); err != nil {
		return fmt.Errorf("container %q: remove state: %w", c.ID, err)
	}
	logging.From(ctx).Info("container deleted", logging.KeyContainerID, c.ID)
	runPoststop(ctx, c)
	return nil
}

// killCgroup SIGKILLs every process of the cgroup until none is left.
func killCgroup(m *cgroups.Manager) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		pids, err := m.Pids()
		if err != nil || len(pids) == 0 {
			return nil
		}
		for _, pid := range pids {
			unix.Kill(pid, unix.SIGKILL)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cgroup still has %d processes after SIGKILL", len(pids))
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func waitGone(c *Container, d time.Duration) {
	for end := time.Now().Add(d); c.alive() && time.Now().Before(end); {
		time.Sleep(2 * time.Millisecond)
	}
}
