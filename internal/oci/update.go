package oci

import (
	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// UpdateResources are the cgroup limits `docker update` hands the runtime
// for a container whose HostConfig.Resources are now r (dockerd's
// toContainerdResources): the whole set, not only what changed. Zero CPU
// period, quota and shares, and absent memory values, mean "leave as is"
// to `runc update` (and berth-runtime's); pids 0 or less mean unlimited.
func UpdateResources(r container.Resources) *specs.LinuxResources {
	out := &specs.LinuxResources{}
	if r.BlkioWeight != 0 {
		w := r.BlkioWeight
		out.BlockIO = &specs.LinuxBlockIO{Weight: &w}
	}
	cpu := specs.LinuxCPU{Cpus: r.CpusetCpus, Mems: r.CpusetMems}
	if r.CPUShares != 0 {
		v := uint64(r.CPUShares)
		cpu.Shares = &v
	}
	var period uint64
	var quota int64
	if r.NanoCPUs != 0 {
		period = 100000
		quota = r.NanoCPUs * int64(period) / 1e9
	}
	if quota == 0 && r.CPUQuota != 0 {
		quota = r.CPUQuota
	}
	if period == 0 && r.CPUPeriod != 0 {
		period = uint64(r.CPUPeriod)
	}
	cpu.Period, cpu.Quota = &period, &quota
	out.CPU = &cpu
	var mem specs.LinuxMemory
	if r.Memory != 0 {
		v := r.Memory
		mem.Limit = &v
	}
	if r.MemoryReservation != 0 {
		v := r.MemoryReservation
		mem.Reservation = &v
	}
	if r.MemorySwap > 0 {
		v := r.MemorySwap
		mem.Swap = &v
	}
	out.Memory = &mem
	if r.PidsLimit != nil {
		l := *r.PidsLimit
		if l <= 0 {
			l = -1
		}
		out.Pids = &specs.LinuxPids{Limit: &l}
	}
	return out
}
