package engine

import (
	"context"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/logging"
	"github.com/berthproject/berth/internal/runner"
	"github.com/moby/moby/api/types/container"
)

// exitUnknown is the exit code recorded for a container whose process
// vanished while berthd was down (nobody could observe its status).
const exitUnknown = 255

// restore loads the persisted containers and reconciles them with the
// runner: running ones stay running, vanished ones are marked exited, records
// half-removed are finished off and runner tasks without a record deleted.
// Exits the runner reports (also those that happened while berthd was down)
// arrive through HandleExit and are processed once the records are loaded.
func (e *Engine) restore(ctx context.Context) error {
	recs, err := e.loadRecords()
	if err != nil {
		return err
	}
	states, err := e.runner.List(ctx)
	if err != nil {
		return err
	}
	known := map[string]runner.State{}
	for _, s := range states {
		known[s.ID] = s
	}
	var cs []*Container
	e.mu.Lock()
	for _, r := range recs {
		c := newContainer(r)
		e.containers[c.ID] = c
		e.names[r.Inspect.Name] = c.ID
		cs = append(cs, c)
	}
	e.mu.Unlock()
	go e.exitLoop(ctx)
	for _, c := range cs {
		e.reconcile(ctx, c, known)
		delete(known, c.ID)
	}
	for id := range known {
		logging.From(ctx).Warn("deleting runner task without a container record", logging.KeyContainerID, id)
		_ = e.runner.Delete(ctx, id, true)
	}
	return nil
}

func (e *Engine) reconcile(ctx context.Context, c *Container, known map[string]runner.State) {
	r, _, _ := c.snapshot()
	st, ok := known[c.ID]
	switch {
	case r.Removed:
		if err := e.cleanup(ctx, c); err != nil && !errdefs.IsNotFound(err) {
			logging.From(ctx).Error("finish removal", logging.KeyContainerID, c.ID, logging.Err(err))
		}
		e.forget(ctx, c)
	case ok && st.Status == runner.StatusRunning:
		c.update(func(r *record) {
			r.Inspect.State.Running, r.Inspect.State.Pid = true, st.Pid
			r.Inspect.State.Status = container.StateRunning
		})
	case ok && st.Status == runner.StatusCreated:
		// berthd died in the middle of a start: undo it.
		_ = e.runner.Delete(ctx, c.ID, true)
		e.resetToCreated(ctx, c)
	case !ok && r.Inspect.State.Running:
		e.markExited(ctx, c, exitUnknown, false, time.Now(), "")
	}
	// ok && stopped: the runner delivers the exit through HandleExit.
}

// resetToCreated records that a start did not complete.
func (e *Engine) resetToCreated(ctx context.Context, c *Container) {
	r := c.update(func(r *record) {
		s := r.Inspect.State
		if s.StartedAt == zeroTime {
			s.Status = container.StateCreated
		} else {
			s.Status = container.StateExited
		}
		s.Running, s.Pid = false, 0
	})
	e.persist(ctx, r)
}
