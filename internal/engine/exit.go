package engine

import (
	"context"
	"strconv"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/logging"
	"github.com/berthproject/berth/internal/runner"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
)

// HandleExit is the runner's ExitFunc: it queues the exit for the exit loop
// (started by Run) and returns at once.
func (e *Engine) HandleExit(x runner.Exit) { e.exitq <- x }

// exitLoop handles exits until ctx ends. Each exit gets its own goroutine so
// that one slow clean-up does not delay the others.
func (e *Engine) exitLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case x := <-e.exitq:
			go e.processExit(ctx, x)
		}
	}
}

func (e *Engine) processExit(ctx context.Context, x runner.Exit) {
	if x.ExecID != "" {
		e.execExited(x)
		return
	}
	log := logging.From(ctx).With(logging.KeyContainerID, x.ID)
	c, err := e.get(x.ID)
	if err != nil {
		log.Warn("exit of unknown container", "code", x.Code)
		return
	}
	c.mu.Lock()
	gate := c.starting
	c.mu.Unlock()
	if gate != nil {
		<-gate
	}
	// Delete the task before anyone can see the container as exited, so its
	// rootfs is unmounted by the time `docker rm` follows `docker wait`.
	if err := e.runner.Delete(ctx, x.ID, true); err != nil && !errdefs.IsNotFound(err) {
		log.Error("delete exited container", logging.Err(err))
	}
	if !c.View().State.Running {
		return // already recorded (a failed start, or an exit reported twice)
	}
	e.markExited(ctx, c, x.Code, x.OOMKilled, x.At, "")
	log.Debug("container exited", "code", x.Code, "oom", x.OOMKilled)
	if c.View().HostConfig.AutoRemove {
		if err := e.remove(ctx, c, true); err != nil {
			log.Error("auto-remove", logging.Err(err))
		}
	}
}

// markExited records an exit, persists it and publishes oom/die events.
func (e *Engine) markExited(ctx context.Context, c *Container, code int, oom bool, at time.Time, errMsg string) {
	if at.IsZero() {
		at = time.Now()
	}
	r := c.update(func(r *record) {
		s := r.Inspect.State
		s.Status, s.Running, s.Paused, s.Restarting, s.Pid = container.StateExited, false, false, false, 0
		s.ExitCode, s.OOMKilled, s.Error, s.FinishedAt = code, oom, errMsg, timestamp(at)
		c.exits++
	})
	e.persist(ctx, r)
	if oom {
		e.containerEvent(c, events.ActionOOM, nil)
	}
	e.containerEvent(c, events.ActionDie, map[string]string{"exitCode": strconv.Itoa(code)})
}
