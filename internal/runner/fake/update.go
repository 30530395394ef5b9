package fake

import (
	"context"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/runner"
	"github.com/berthproject/berth/internal/stats"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Update implements runner.Runner: it records the resources (see
// Resources) after the Update hook.
func (r *Runner) Update(ctx context.Context, id string, res *specs.LinuxResources) error {
	if r.Hooks.Update != nil {
		if err := r.Hooks.Update(id, res); err != nil {
			return err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.get(id)
	if err != nil {
		return err
	}
	if c.status == runner.StatusStopped {
		return errdefs.Errorf(errdefs.ErrConflict, "container %s is not running", id)
	}
	c.updates = append(c.updates, res)
	return nil
}

// Updates returns the resources of every Update of a container, in order.
func (r *Runner) Updates(id string) []*specs.LinuxResources {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c := r.containers[id]; c != nil {
		return append([]*specs.LinuxResources(nil), c.updates...)
	}
	return nil
}

// Stats implements runner.Runner with made-up counters that grow on each
// call: 0.1 s of CPU per 1 s of host time on 2 CPUs, 1 MiB of memory, one
// task. The memory limit is the last update's, else the spec's.
func (r *Runner) Stats(ctx context.Context, id string) (stats.Sample, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.get(id)
	if err != nil {
		return stats.Sample{}, err
	}
	if c.status != runner.StatusRunning {
		return stats.Sample{}, errdefs.Errorf(errdefs.ErrConflict, "container %s is not running", id)
	}
	c.samples++
	n := c.samples
	s := stats.Sample{
		Read: time.Now(), CgroupVersion: 2,
		CPU:    stats.CPU{TotalUsage: n * 1e8, UserUsage: n * 8e7, KernelUsage: n * 2e7, SystemUsage: n * 2e9, OnlineCPUs: 2},
		Memory: stats.Memory{Usage: 1 << 20, Limit: ^uint64(0), Stats: map[string]uint64{"inactive_file": 4096}},
		Pids:   stats.Pids{Current: 1},
	}
	if lim := memoryLimit(c); lim > 0 {
		s.Memory.Limit = uint64(lim)
	}
	return s, nil
}

func memoryLimit(c *container) int64 {
	for i := len(c.updates) - 1; i >= 0; i-- {
		if m := c.updates[i].Memory; m != nil && m.Limit != nil {
			return *m.Limit
		}
	}
	if sp := c.b.Spec; sp != nil && sp.Linux != nil && sp.Linux.Resources != nil && sp.Linux.Resources.Memory != nil && sp.Linux.Resources.Memory.Limit != nil {
		return *sp.Linux.Resources.Memory.Limit
	}
	return 0
}
