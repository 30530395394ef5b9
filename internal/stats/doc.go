// Package stats samples a running container's resource usage from the host,
// for `docker stats`: CPU, memory, pids and block I/O counters of its
// cgroup (v1 controllers, or the unified v2 hierarchy) and the interface
// counters of its network namespace, plus the host's CPU time that Docker
// reports beside them (system_cpu_usage, online_cpus).
//
// Place in the run flow: the runner contract (internal/runner) returns a
// Sample from Stats; runner/shimrunner calls Read with the container's init
// pid (berthd and the monitor share the host's pid, mount and cgroup
// namespaces), and internal/engine turns Samples into Docker's
// container.StatsResponse, one per second when streaming.
//
// The container's cgroup is found from /proc/PID/cgroup and this process's
// mount table, so it works for any OCI runtime and any cgroup parent. The
// parsers are hand-written (a few files of "key value" lines): the
// opencontainers/cgroups readers would pull that library into berthd, whose
// resident memory is budgeted. Directories are parameters, so the v1 and v2
// readers are tested on fake cgroupfs trees.
//
// Imports: stdlib only. It is a leaf: runner, shimrunner and engine import it.
package stats
