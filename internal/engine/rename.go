package engine

import (
	"context"

	"github.com/berthproject/berth/errdefs"
	"github.com/moby/moby/api/types/events"
)

// ContainerRename gives a container a new name.
func (e *Engine) ContainerRename(ctx context.Context, name, newName string) error {
	if newName == "" {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "Neither old nor new names may be empty")
	}
	c, err := e.get(name)
	if err != nil {
		return err
	}
	n, err := checkName(newName)
	if err != nil {
		return err
	}
	old := c.View().Name
	if n == old {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "Renaming a container with the same name as its current name")
	}
	e.mu.Lock()
	if other, ok := e.names[n]; ok {
		e.mu.Unlock()
		return errdefs.Errorf(errdefs.ErrConflict, "Conflict. The container name %q is already in use by container %q. You have to remove (or rename) that container to be able to reuse that name.", n, other)
	}
	e.names[n] = c.ID
	delete(e.names, old)
	e.mu.Unlock()
	r := c.update(func(r *record) { r.Inspect.Name = n })
	e.persist(ctx, r)
	e.containerEvent(c, events.ActionRename, map[string]string{"oldName": old})
	return nil
}
