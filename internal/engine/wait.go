package engine

import (
	"context"

	"github.com/berthproject/berth/errdefs"
	"github.com/moby/moby/api/types/container"
)

// ContainerWait resolves the container at once (so a missing one is an error before
// any response is sent) and returns a channel that receives one response when
// the condition holds: not-running (now, if it is not running), next-exit
// (the next exit after this call) or removed.
func (e *Engine) ContainerWait(ctx context.Context, ref string, cond container.WaitCondition) (<-chan container.WaitResponse, error) {
	c, err := e.get(ref)
	if err != nil {
		return nil, err
	}
	switch cond {
	case "", container.WaitConditionNotRunning, container.WaitConditionNextExit, container.WaitConditionRemoved:
	default:
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "invalid condition: %q", cond)
	}
	_, startExits, _ := c.snapshot()
	out := make(chan container.WaitResponse, 1)
	go func() {
		defer close(out)
		for {
			st := c.status()
			s := st.rec.Inspect.State
			done := false
			switch cond {
			case container.WaitConditionNextExit:
				done = st.exits > startExits || st.removed
			case container.WaitConditionRemoved:
				done = st.removed
			default:
				done = !s.Running && !st.starting || st.removed
			}
			if done {
				resp := container.WaitResponse{StatusCode: int64(s.ExitCode)}
				if s.Error != "" {
					resp.Error = &container.WaitExitError{Message: s.Error}
				}
				out <- resp
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-st.changed:
			}
		}
	}()
	return out, nil
}
