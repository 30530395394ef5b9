package cgroups

import (
	"fmt"

	"github.com/opencontainers/cgroups"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Stats is a cgroup's statistics in the JSON shape of runc's
// `events --stats` data (runc's types.Stats), so that a caller parses runc
// and berth-runtime alike. Units: CPU in nanoseconds, memory in bytes.
// runc's intel_rdt and network_interfaces are left out; cpuset is empty.
type Stats struct {
	CPU     CPU                `json:"cpu"`
	CPUSet  struct{}           `json:"cpuset"`
	Memory  Memory             `json:"memory"`
	Pids    Pids               `json:"pids"`
	Blkio   Blkio              `json:"blkio"`
	Hugetlb map[string]Hugetlb `json:"hugetlb"`
}

// CPU is CPU time and CFS throttling.
type CPU struct {
	Usage      CPUUsage   `json:"usage,omitzero"`
	Throttling Throttling `json:"throttling,omitzero"`
}

// CPUUsage is the CPU time used, in total, per CPU, in kernel and user mode.
type CPUUsage struct {
	Total        uint64   `json:"total,omitempty"`
	Percpu       []uint64 `json:"percpu,omitempty"`
	PercpuKernel []uint64 `json:"percpu_kernel,omitempty"`
	PercpuUser   []uint64 `json:"percpu_user,omitempty"`
	Kernel       uint64   `json:"kernel"`
	User         uint64   `json:"user"`
}

// Throttling is the CFS quota's effect.
type Throttling struct {
	Periods          uint64 `json:"periods,omitempty"`
	ThrottledPeriods uint64 `json:"throttledPeriods,omitempty"`
	ThrottledTime    uint64 `json:"throttledTime,omitempty"`
}

// MemoryEntry is one memory counter with its limit and high-water mark.
type MemoryEntry struct {
	Limit   uint64 `json:"limit"`
	Usage   uint64 `json:"usage,omitempty"`
	Max     uint64 `json:"max,omitempty"`
	Failcnt uint64 `json:"failcnt"`
}

// Memory is the memory controller's counters; Raw is memory.stat.
type Memory struct {
	Cache     uint64            `json:"cache,omitempty"`
	Usage     MemoryEntry       `json:"usage,omitzero"`
	Swap      MemoryEntry       `json:"swap,omitzero"`
	Kernel    MemoryEntry       `json:"kernel,omitzero"`
	KernelTCP MemoryEntry       `json:"kernelTCP,omitzero"`
	Raw       map[string]uint64 `json:"raw,omitempty"`
}

// Pids is the number of tasks and its limit (0: none).
type Pids struct {
	Current uint64 `json:"current,omitempty"`
	Limit   uint64 `json:"limit,omitempty"`
}

// BlkioEntry is one block I/O counter of one device.
type BlkioEntry struct {
	Major uint64 `json:"major,omitempty"`
	Minor uint64 `json:"minor,omitempty"`
	Op    string `json:"op,omitempty"`
	Value uint64 `json:"value,omitempty"`
}

// Blkio is the block I/O counters (v2: io.stat mapped as runc does).
type Blkio struct {
	IoServiceBytesRecursive []BlkioEntry `json:"ioServiceBytesRecursive,omitempty"`
	IoServicedRecursive     []BlkioEntry `json:"ioServicedRecursive,omitempty"`
	IoQueuedRecursive       []BlkioEntry `json:"ioQueueRecursive,omitempty"`
	IoServiceTimeRecursive  []BlkioEntry `json:"ioServiceTimeRecursive,omitempty"`
	IoWaitTimeRecursive     []BlkioEntry `json:"ioWaitTimeRecursive,omitempty"`
	IoMergedRecursive       []BlkioEntry `json:"ioMergedRecursive,omitempty"`
	IoTimeRecursive         []BlkioEntry `json:"ioTimeRecursive,omitempty"`
	SectorsRecursive        []BlkioEntry `json:"sectorsRecursive,omitempty"`
}

// Hugetlb is one huge page size's usage.
type Hugetlb struct {
	Usage   uint64 `json:"usage,omitempty"`
	Max     uint64 `json:"max,omitempty"`
	Failcnt uint64 `json:"failcnt"`
}

// Stats reads the cgroup's statistics (controllers the host lacks are left
// zero).
func (m *Manager) Stats() (*Stats, error) {
	st, err := m.m.GetStats()
	if err != nil {
		return nil, fmt.Errorf("cgroup: stats: %w", err)
	}
	return convertStats(st), nil
}

func convertStats(s *cgroups.Stats) *Stats {
	u := s.CpuStats.CpuUsage
	out := &Stats{
		CPU: CPU{
			Usage: CPUUsage{Total: u.TotalUsage, Percpu: u.PercpuUsage, PercpuKernel: u.PercpuUsageInKernelmode,
				PercpuUser: u.PercpuUsageInUsermode, Kernel: u.UsageInKernelmode, User: u.UsageInUsermode},
			Throttling: Throttling{Periods: s.CpuStats.ThrottlingData.Periods,
				ThrottledPeriods: s.CpuStats.ThrottlingData.ThrottledPeriods, ThrottledTime: s.CpuStats.ThrottlingData.ThrottledTime},
		},
		Memory: Memory{
			Cache: s.MemoryStats.Cache, Usage: memEntry(s.MemoryStats.Usage), Swap: memEntry(s.MemoryStats.SwapUsage),
			Kernel: memEntry(s.MemoryStats.KernelUsage), KernelTCP: memEntry(s.MemoryStats.KernelTCPUsage), Raw: s.MemoryStats.Stats,
		},
		Pids: Pids{Current: s.PidsStats.Current, Limit: s.PidsStats.Limit},
		Blkio: Blkio{
			IoServiceBytesRecursive: blkioEntries(s.BlkioStats.IoServiceBytesRecursive), IoServicedRecursive: blkioEntries(s.BlkioStats.IoServicedRecursive),
			IoQueuedRecursive: blkioEntries(s.BlkioStats.IoQueuedRecursive), IoServiceTimeRecursive: blkioEntries(s.BlkioStats.IoServiceTimeRecursive),
			IoWaitTimeRecursive: blkioEntries(s.BlkioStats.IoWaitTimeRecursive), IoMergedRecursive: blkioEntries(s.BlkioStats.IoMergedRecursive),
			IoTimeRecursive: blkioEntries(s.BlkioStats.IoTimeRecursive), SectorsRecursive: blkioEntries(s.BlkioStats.SectorsRecursive),
		},
		Hugetlb: map[string]Hugetlb{},
	}
	for k, v := range s.HugetlbStats {
		out.Hugetlb[k] = Hugetlb{Usage: v.Usage, Max: v.MaxUsage, Failcnt: v.Failcnt}
	}
	return out
}

func memEntry(d cgroups.MemoryData) MemoryEntry {
	return MemoryEntry{Limit: d.Limit, Usage: d.Usage, Max: d.MaxUsage, Failcnt: d.Failcnt}
}

func blkioEntries(in []cgroups.BlkioStatEntry) []BlkioEntry {
	out := make([]BlkioEntry, 0, len(in))
	for _, e := range in {
		out = append(out, BlkioEntry{Major: e.Major, Minor: e.Minor, Op: e.Op, Value: e.Value})
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// Update applies new limits to an existing cgroup (`berth-runtime update`).
// r holds the container's whole resources after the update; device rules
// are left as they are.
func (m *Manager) Update(r *specs.LinuxResources) error {
	res, err := Resources(r, nil)
	if err != nil {
		return err
	}
	res.Devices, res.SkipDevices = nil, true
	if err := m.m.Set(res); err != nil {
		return fmt.Errorf("cgroup: update: %w", err)
	}
	return nil
}
