package engine

import (
	"context"
	"errors"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/backend"
	"github.com/berthproject/berth/internal/stats"
	"github.com/moby/moby/api/types/container"
)

// statsInterval is the time between two streamed samples (dockerd's).
const statsInterval = time.Second

// statsPrime is how long a single sample waits for a second reading so its
// precpu_stats give a CPU percentage (dockerd waits for its next collector
// tick, about a second; half a second is as good for the percentage).
const statsPrime = 500 * time.Millisecond

// ContainerStats sends a container's resource usage in Docker's shape: one
// sample (stream=false: with precpu_stats from a reading statsPrime
// earlier; one-shot: at once, without them), or one per second until ctx
// ends or the container is removed. A container that is not running gives
// samples holding only its name and ID, as dockerd's.
func (e *Engine) ContainerStats(ctx context.Context, name string, opts backend.StatsOptions, send func(*container.StatsResponse) error) error {
	<-e.ready
	if opts.Stream && opts.OneShot {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "cannot have stream=true and one-shot=true")
	}
	c, err := e.get(name)
	if err != nil {
		return err
	}
	var prev *container.StatsResponse
	for first := true; ; first = false {
		cur, err := e.statsSample(ctx, c, prev)
		if err != nil {
			return err
		}
		switch {
		case opts.Stream || opts.OneShot:
			if err := send(cur); err != nil || opts.OneShot {
				return err
			}
		case !first || cur.Read.IsZero(): // stream=false: the primed sample, or nothing to prime
			return send(cur)
		}
		prev = cur
		wait := statsInterval
		if !opts.Stream {
			wait = statsPrime
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		if c.status().removed {
			return nil
		}
	}
}

// statsSample reads one sample of c (empty but for name and ID when it does
// not run), with prev as its pre-reading.
func (e *Engine) statsSample(ctx context.Context, c *Container, prev *container.StatsResponse) (*container.StatsResponse, error) {
	v := c.View()
	out := &container.StatsResponse{ID: c.ID, Name: v.Name}
	if !v.State.Running {
		return out, nil
	}
	s, err := e.runner.Stats(ctx, c.ID)
	switch {
	case errors.Is(err, errdefs.ErrConflict), errors.Is(err, errdefs.ErrNotFound):
		return out, nil // it stopped meanwhile
	case err != nil:
		return nil, err
	}
	fillStats(out, s, uint64(max(e.opts.Host.MemTotal, 0)))
	if prev != nil {
		out.PreRead, out.PreCPUStats = prev.Read, prev.CPUStats
	}
	return out, nil
}

// fillStats converts a sample to Docker's shape: a memory limit above the
// host's memory (unlimited) is shown as the host's memory, as dockerd does.
func fillStats(out *container.StatsResponse, s stats.Sample, memTotal uint64) {
	out.OSType = "linux"
	out.Read = s.Read
	out.CPUStats = container.CPUStats{
		CPUUsage: container.CPUUsage{
			TotalUsage: s.CPU.TotalUsage, PercpuUsage: s.CPU.PerCPU,
			UsageInKernelmode: s.CPU.KernelUsage, UsageInUsermode: s.CPU.UserUsage,
		},
		SystemUsage: s.CPU.SystemUsage, OnlineCPUs: s.CPU.OnlineCPUs,
		ThrottlingData: container.ThrottlingData{
			Periods: s.CPU.Periods, ThrottledPeriods: s.CPU.ThrottledPeriods, ThrottledTime: s.CPU.ThrottledTime,
		},
	}
	limit := s.Memory.Limit
	if memTotal > 0 && limit > memTotal {
		limit = memTotal
	}
	out.MemoryStats = container.MemoryStats{
		Usage: s.Memory.Usage, MaxUsage: s.Memory.MaxUsage, Stats: s.Memory.Stats,
		Failcnt: s.Memory.Failcnt, Limit: limit,
	}
	out.PidsStats = container.PidsStats{Current: s.Pids.Current, Limit: s.Pids.Limit}
	out.BlkioStats = container.BlkioStats{
		IoServiceBytesRecursive: blkio(s.BlkIO.ServiceBytes),
		IoServicedRecursive:     blkio(s.BlkIO.Serviced),
	}
	if len(s.Networks) > 0 {
		out.Networks = map[string]container.NetworkStats{}
		for name, n := range s.Networks {
			out.Networks[name] = container.NetworkStats{
				RxBytes: n.RxBytes, RxPackets: n.RxPackets, RxErrors: n.RxErrors, RxDropped: n.RxDropped,
				TxBytes: n.TxBytes, TxPackets: n.TxPackets, TxErrors: n.TxErrors, TxDropped: n.TxDropped,
			}
		}
	}
}

func blkio(in []stats.BlkIOEntry) []container.BlkioStatEntry {
	if in == nil {
		return nil
	}
	out := make([]container.BlkioStatEntry, len(in))
	for i, e := range in {
		out[i] = container.BlkioStatEntry{Major: e.Major, Minor: e.Minor, Op: e.Op, Value: e.Value}
	}
	return out
}
