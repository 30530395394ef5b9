package engine

import (
	"context"

	"github.com/berthproject/berth/errdefs"
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
