package engine

import (
	"context"
	"fmt"
	"github.com/berthproject/berth/internal/backend"
	"os"
	"time"

	"github.com/berthproject/berth/api"
	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/logging"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
)

// ContainerRemove removes a container; a running one only with Force (it is
// killed first).
func (e *Engine) ContainerRemove(ctx context.Context, ref string, opts backend.RemoveOptions) error {
	c, err := e.get(ref)
	if err != nil {
		return err
	}
	c.op.Lock()
	defer c.op.Unlock()
	return e.remove(ctx, c, opts.Force)
}

// remove does the work of ContainerRm; the caller serialises with c.op or,
// for auto-remove, knows the container has exited.
func (e *Engine) remove(ctx context.Context, c *Container, force bool) error {
	v := c.View()
	if v.State.Running {
		if !force {
			return errdefs.Errorf(errdefs.ErrConflict, "cannot remove container %q: container is running: stop the container before removing or force remove", v.Name)
		}
		c.update(func(*record) { c.stopping = true })
		if err := e.runner.Kill(ctx, c.ID, 9, false); err != nil && !errdefs.IsNotFound(err) {
			return fmt.Errorf("cannot remove container %q: could not kill: %w", v.Name, err)
		}
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := e.waitStopped(wctx, c, forever)
		cancel()
		if err != nil {
			return fmt.Errorf("cannot remove container %q: %w", v.Name, err)
		}
	}
	already := false
	c.update(func(r *record) {
		already = r.Removed
		r.Removed = true
		r.Inspect.State.Status = container.StateRemoving
	})
	if already {
		return errdefs.Errorf(errdefs.ErrConflict, "removal of container %s is already in progress", c.ID)
	}
	if err := e.cleanup(ctx, c); err != nil {
		c.update(func(r *record) { r.Inspect.State.Status, r.Inspect.State.Dead = container.StateDead, true })
		return fmt.Errorf("cannot remove container %q: %w", v.Name, err)
	}
	e.forget(ctx, c)
	e.containerEvent(c, events.ActionDestroy, nil)
	return nil
}

// cleanup releases everything a container holds on the host.
func (e *Engine) cleanup(ctx context.Context, c *Container) error {
	if err := e.runner.Delete(ctx, c.ID, true); err != nil && !errdefs.IsNotFound(err) {
		return err
	}
	r, _, _ := c.snapshot()
	if err := e.opts.Snapshots.Remove(ctx, r.SnapshotKey); err != nil && !errdefs.IsNotFound(err) {
		return err
	}
	if err := os.RemoveAll(e.containerDir(c.ID)); err != nil {
		return err
	}
	return e.opts.Store.Delete(containersBucket, c.ID)
}

// forget drops c from the engine's maps and wakes "removed" waiters.
func (e *Engine) forget(ctx context.Context, c *Container) {
	e.mu.Lock()
	delete(e.containers, c.ID)
	if e.names[c.View().Name] == c.ID {
		delete(e.names, c.View().Name)
	}
	for id, x := range e.execs {
		if x.container == c {
			delete(e.execs, id)
		}
	}
	e.mu.Unlock()
	c.update(func(*record) { c.removed = true })
	logging.From(ctx).Debug("container removed", logging.KeyContainerID, c.ID)
}

// ContainerPrune removes every stopped container matching the filters
// (label, label!, until).
func (e *Engine) ContainerPrune(ctx context.Context, f api.Filters) (container.PruneReport, error) {
	if err := f.Validate("label", "label!", "until"); err != nil {
		return container.PruneReport{}, err
	}
	until, err := untilFilter(f)
	if err != nil {
		return container.PruneReport{}, err
	}
	rep := container.PruneReport{ContainersDeleted: []string{}}
	for _, c := range e.all() {
		v := c.View()
		if v.State.Running || v.State.Paused || v.State.Restarting {
			continue
		}
		if !f.MatchLabels("label", v.Config.Labels) || !f.MatchLabels("label!", v.Config.Labels) {
			continue
		}
		if created, _ := time.Parse(time.RFC3339Nano, v.Created); !until.IsZero() && !created.Before(until) {
			continue
		}
		c.op.Lock()
		err := e.remove(ctx, c, false)
		c.op.Unlock()
		if err == nil {
			rep.ContainersDeleted = append(rep.ContainersDeleted, c.ID)
		}
	}
	e.opts.Events.Publish(events.Message{Type: events.ContainerEventType, Action: events.ActionPrune,
		Actor: events.Actor{Attributes: map[string]string{"reclaimed": "0"}}, Scope: "local"})
	return rep, nil
}
