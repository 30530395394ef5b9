package engine

import (
	"context"
	"fmt"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/oci"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
)

// ContainerUpdate changes a container's resources and restart policy, as
// `docker update`: the new values are merged into HostConfig (persisted),
// and a running container's cgroup limits change at once through the
// runner. When the runtime refuses, nothing changes.
func (e *Engine) ContainerUpdate(ctx context.Context, name string, cfg container.UpdateConfig) (container.UpdateResponse, error) {
	<-e.ready
	c, err := e.get(name)
	if err != nil {
		return container.UpdateResponse{}, err
	}
	c.op.Lock()
	defer c.op.Unlock()
	r, _, _ := c.snapshot()
	if r.Removed {
		return container.UpdateResponse{}, errdefs.Errorf(errdefs.ErrConflict, "Cannot update container %s: container is marked for removal and cannot be \"update\"", c.ID)
	}
	hc, warnings, err := mergeUpdate(*r.Inspect.HostConfig, cfg, e.opts.Host.NCPU)
	if err != nil {
		return container.UpdateResponse{}, fmt.Errorf("Cannot update container %s: %w", c.ID, err) //nolint:staticcheck // dockerd's message
	}
	if r.Inspect.State.Running {
		if err := e.runner.Update(ctx, c.ID, oci.UpdateResources(hc.Resources)); err != nil {
			return container.UpdateResponse{}, fmt.Errorf("Cannot update container %s: %w", c.ID, err) //nolint:staticcheck // dockerd's message
		}
	}
	r = c.update(func(r *record) { r.Inspect.HostConfig = &hc })
	e.persist(ctx, r)
	e.containerEvent(c, events.ActionUpdate, nil)
	return container.UpdateResponse{Warnings: warnings}, nil
}

// mergeUpdate applies an update to a copy of hc with dockerd's rules
// (container.UpdateContainer and verifyContainerResources): zero values
// leave a setting alone, NanoCPUs and CPU period/quota exclude each other,
// and a memory limit above the swap limit needs a new swap limit.
func mergeUpdate(hc container.HostConfig, u container.UpdateConfig, ncpu int) (container.HostConfig, []string, error) {
	in, cur := u.Resources, &hc.Resources
	conflict := func(msg string) error {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "Conflicting options: %s", msg)
	}
	switch {
	case in.NanoCPUs > 0 && cur.CPUPeriod > 0:
		return hc, nil, conflict("Nano CPUs cannot be updated as CPU Period has already been set")
	case in.NanoCPUs > 0 && cur.CPUQuota > 0:
		return hc, nil, conflict("Nano CPUs cannot be updated as CPU Quota has already been set")
	case in.CPUPeriod > 0 && cur.NanoCPUs > 0:
		return hc, nil, conflict("CPU Period cannot be updated as NanoCPUs has already been set")
	case in.CPUQuota > 0 && cur.NanoCPUs > 0:
		return hc, nil, conflict("CPU Quota cannot be updated as NanoCPUs has already been set")
	case in.Memory != 0 && in.Memory > cur.MemorySwap && in.MemorySwap == 0:
		return hc, nil, conflict("Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time")
	}
	setIf(&cur.BlkioWeight, in.BlkioWeight)
	setIf(&cur.CPUShares, in.CPUShares)
	setIf(&cur.NanoCPUs, in.NanoCPUs)
	setIf(&cur.CPUPeriod, in.CPUPeriod)
	setIf(&cur.CPUQuota, in.CPUQuota)
	setIf(&cur.CpusetCpus, in.CpusetCpus)
	setIf(&cur.CpusetMems, in.CpusetMems)
	setIf(&cur.Memory, in.Memory)
	setIf(&cur.MemorySwap, in.MemorySwap)
	setIf(&cur.MemoryReservation, in.MemoryReservation)
	if in.PidsLimit != nil {
		v := *in.PidsLimit
		cur.PidsLimit = &v
	}
	if u.RestartPolicy.Name != "" {
		if hc.AutoRemove {
			return hc, nil, conflict("Restart policy cannot be updated because AutoRemove is enabled for the container")
		}
		hc.RestartPolicy = u.RestartPolicy
	}
	return hc, []string{}, checkResources(*cur, ncpu)
}

func setIf[T comparable](dst *T, v T) {
	var zero T
	if v != zero {
		*dst = v
	}
}

// checkResources is dockerd's verifyContainerResources for the values an
// update can set.
func checkResources(r container.Resources, ncpu int) error {
	invalid := func(format string, args ...any) error {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, format, args...)
	}
	switch {
	case r.Memory != 0 && r.Memory < minMemory:
		return invalid("Minimum memory limit allowed is 6MB")
	case r.MemorySwap > 0 && r.Memory > 0 && r.MemorySwap < r.Memory:
		return invalid("Minimum memoryswap limit should be larger than memory limit, see usage")
	case r.MemoryReservation != 0 && r.MemoryReservation < minMemory:
		return invalid("Minimum memory reservation allowed is 6MB")
	case r.Memory > 0 && r.MemoryReservation > 0 && r.Memory < r.MemoryReservation:
		return invalid("Minimum memory limit can not be less than memory reservation limit, see usage")
	case r.NanoCPUs > 0 && (r.CPUPeriod > 0 || r.CPUQuota > 0):
		return invalid("Conflicting options: Nano CPUs and CPU Period/Quota cannot both be set")
	case ncpu > 0 && (r.NanoCPUs < 0 || r.NanoCPUs > int64(ncpu)*1e9):
		return invalid("Range of CPUs is from 0.01 to %d.00, as there are only %d CPUs available", ncpu, ncpu)
	case r.CPUShares < 0:
		return invalid("invalid CPU shares (%d): value must be a positive integer", r.CPUShares)
	case r.CPUPeriod != 0 && (r.CPUPeriod < 1000 || r.CPUPeriod > 1000000):
		return invalid("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)")
	case r.CPUQuota > 0 && r.CPUQuota < 1000:
		return invalid("CPU cfs quota can not be less than 1ms (i.e. 1000)")
	case r.BlkioWeight > 0 && (r.BlkioWeight < 10 || r.BlkioWeight > 1000):
		return invalid("Range of blkio weight is from 10 to 1000")
	}
	return nil
}
