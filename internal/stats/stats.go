package stats

import "time"

// Sample is one reading of a container's usage. Times are nanoseconds,
// sizes bytes. Zero means "not available" (e.g. PerCPU on cgroup v2).
type Sample struct {
	Read time.Time
	// CgroupVersion is 1 or 2: which hierarchy the counters came from.
	CgroupVersion int
	CPU           CPU
	Memory        Memory
	Pids          Pids
	BlkIO         BlkIO
	// Networks are the container's interfaces but loopback, by name.
	Networks map[string]Network
}

// CPU is the cgroup's CPU time and throttling, and the host's CPU time.
type CPU struct {
	TotalUsage  uint64
	KernelUsage uint64
	UserUsage   uint64
	PerCPU      []uint64 // cgroup v1 only
	// Periods, ThrottledPeriods and ThrottledTime come from cpu.stat
	// (CFS bandwidth control).
	Periods          uint64
	ThrottledPeriods uint64
	ThrottledTime    uint64
	// SystemUsage is the host's total CPU time (all CPUs) and OnlineCPUs
	// its CPU count, from /proc/stat.
	SystemUsage uint64
	OnlineCPUs  uint32
}

// Memory is the cgroup's memory use. Limit is math.MaxUint64 (v2 "max") or
// the kernel's huge page-rounded value (v1) when unlimited.
type Memory struct {
	Usage    uint64
	MaxUsage uint64 // peak (v1 max_usage_in_bytes; v2 memory.peak where the kernel has it)
	Limit    uint64
	// Failcnt is v1's failcnt, v2's oom count from memory.events.
	Failcnt uint64
	// Stats is memory.stat as the kernel names its keys (v1: cache, rss,
	// total_inactive_file, ...; v2: anon, file, inactive_file, ...).
	Stats map[string]uint64
}

// Pids is the number of tasks and the pids limit (0: unlimited).
type Pids struct {
	Current uint64
	Limit   uint64
}

// BlkIO are per-device I/O counters.
type BlkIO struct {
	ServiceBytes []BlkIOEntry
	Serviced     []BlkIOEntry
}

// BlkIOEntry is one device's counter for one operation ("Read", "Write",
// ... on v1; "read", "write" on v2, as dockerd reports them).
type BlkIOEntry struct {
	Major, Minor uint64
	Op           string
	Value        uint64
}

// Network are one interface's counters from /proc/PID/net/dev.
type Network struct {
	RxBytes, RxPackets, RxErrors, RxDropped uint64
	TxBytes, TxPackets, TxErrors, TxDropped uint64
}
