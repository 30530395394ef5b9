// Package cgroups puts a container into its cgroup and applies the OCI
// resource limits, for berth-runtime (internal/ociruntime).
//
// It wraps github.com/opencontainers/cgroups (runc's own cgroup code: fs for
// cgroup v1, fs2 for the unified v2 hierarchy) behind one small concrete type,
// Manager, and owns the one translation from the runtime spec's
// LinuxResources to that library's Resources (resources.go). The blank import
// of github.com/opencontainers/cgroups/devices is required: without it the
// library silently skips device rules.
//
// Place in the run flow: `berth-runtime create` builds a Manager from
// spec.linux.cgroupsPath and resources and creates the cgroup (Create) while
// init starts; on cgroup v1 init's thread then joins it itself
// (JoinCurrentThread: no RCU grace period, unlike moving a process by pid),
// elsewhere the parent moves init by pid (AddPid, with Prime started early to
// overlap the grace period). Either way init is in the cgroup before it
// execs. The cgroup paths are saved in the container state so that exec,
// kill --all, ps, pause and delete can Load the same cgroup later. On a
// hybrid host the unified (v2) hierarchy is left out: it holds no
// controller berth uses.
//
// Imports: runtime-spec, opencontainers/cgroups, errdefs. No systemd driver:
// hosts here have no systemd.
package cgroups
