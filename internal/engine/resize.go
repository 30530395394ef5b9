package engine

import (
	"context"
	"github.com/berthproject/berth/internal/backend"

	"github.com/berthproject/berth/errdefs"
	"github.com/moby/moby/api/types/container"
)

// ContainerResize sets the size of a running container's terminal.
func (e *Engine) ContainerResize(ctx context.Context, name string, height, width uint32) error {
	c, err := e.get(name)
	if err != nil {
		return err
	}
	if !c.View().State.Running {
		return errdefs.Errorf(errdefs.ErrConflict, "Container %s is not running", c.ID)
	}
	return e.runner.Resize(ctx, c.ID, "", uint(width), uint(height))
}

// ContainerUpdate is not implemented yet (a later issue adds live updates).
func (e *Engine) ContainerUpdate(ctx context.Context, name string, cfg container.UpdateConfig) (container.UpdateResponse, error) {
	return container.UpdateResponse{}, errdefs.Errorf(errdefs.ErrNotImplemented, "container update is not implemented yet")
}

// ContainerStats is not implemented yet (a later issue adds stats).
func (e *Engine) ContainerStats(ctx context.Context, name string, opts backend.StatsOptions, send func(*container.StatsResponse) error) error {
	return errdefs.Errorf(errdefs.ErrNotImplemented, "container stats are not implemented yet")
}
