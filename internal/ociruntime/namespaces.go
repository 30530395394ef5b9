package ociruntime

import (
	"fmt"
	"strings"
	"syscall"

	"github.com/berthproject/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// nsKind describes one namespace type: its spec name, its /proc/<pid>/ns
// name (also the nsenter constructor's name) and its clone flag.
type nsKind struct {
	spec specs.LinuxNamespaceType
	proc string
	flag uintptr
}

// nsOrder is the order namespaces are joined in: user first (it grants the
// rights for the others), mount last (it changes what paths mean).
var nsOrder = []nsKind{
	{specs.UserNamespace, "user", unix.CLONE_NEWUSER},
	{specs.IPCNamespace, "ipc", unix.CLONE_NEWIPC},
	{specs.UTSNamespace, "uts", unix.CLONE_NEWUTS},
	{specs.NetworkNamespace, "net", unix.CLONE_NEWNET},
	{specs.PIDNamespace, "pid", unix.CLONE_NEWPID},
	{specs.CgroupNamespace, "cgroup", unix.CLONE_NEWCGROUP},
	{specs.TimeNamespace, "time", unix.CLONE_NEWTIME},
	{specs.MountNamespace, "mnt", unix.CLONE_NEWNS},
}

// nsJoin is one namespace to setns into.
type nsJoin struct {
	proc string
	path string
}

// nsPlan splits the spec's namespaces into clone flags (new ones) and joins
// (ones with a path). The cgroup namespace is left out of the flags: init
// unshares it once it is inside its cgroup, so that the cgroup is its root.
type nsPlan struct {
	flags     uintptr
	joins     []nsJoin
	newCgroup bool
}

func planNamespaces(spec *specs.Spec) (nsPlan, error) {
	var p nsPlan
	if spec.Linux == nil {
		return p, nil
	}
	seen := map[specs.LinuxNamespaceType]bool{}
	byType := map[specs.LinuxNamespaceType]specs.LinuxNamespace{}
	for _, ns := range spec.Linux.Namespaces {
		if seen[ns.Type] {
			return p, fmt.Errorf("namespace %q listed twice: %w", ns.Type, errdefs.ErrInvalidArgument)
		}
		seen[ns.Type] = true
		byType[ns.Type] = ns
	}
	for _, k := range nsOrder {
		ns, ok := byType[k.spec]
		if !ok {
			continue
		}
		delete(byType, k.spec)
		switch {
		case ns.Path != "":
			p.joins = append(p.joins, nsJoin{proc: k.proc, path: ns.Path})
		case k.spec == specs.CgroupNamespace:
			p.newCgroup = true
		default:
			p.flags |= k.flag
		}
	}
	for t := range byType {
		return p, fmt.Errorf("namespace type %q: %w", t, errdefs.ErrInvalidArgument)
	}
	return p, nil
}

// has reports whether the plan creates a namespace of flag.
func (p nsPlan) has(flag uintptr) bool { return p.flags&flag != 0 }

// joinsPid reports whether a pid namespace is joined (the constructor forks).
func (p nsPlan) joinsPid() bool {
	for _, j := range p.joins {
		if j.proc == "pid" {
			return true
		}
	}
	return false
}

// nsenterEnv is the constructor's _BERTH_NSENTER value.
func (p nsPlan) nsenterEnv() string {
	parts := make([]string, len(p.joins))
	for i, j := range p.joins {
		parts[i] = j.proc + ":" + j.path
	}
	return strings.Join(parts, ",")
}

// execPlan is the plan for `exec`: join every namespace type the container
// has, through its init's /proc/<pid>/ns links. The user namespace is skipped
// when it is ours already (setns into one's own user ns fails).
func execPlan(spec *specs.Spec, pid int) nsPlan {
	var p nsPlan
	if spec.Linux == nil {
		return p
	}
	has := map[specs.LinuxNamespaceType]bool{}
	for _, ns := range spec.Linux.Namespaces {
		has[ns.Type] = true
	}
	for _, k := range nsOrder {
		if !has[k.spec] {
			continue
		}
		path := fmt.Sprintf("/proc/%d/ns/%s", pid, k.proc)
		if k.spec == specs.UserNamespace && sameNS(path, "/proc/self/ns/user") {
			continue
		}
		p.joins = append(p.joins, nsJoin{proc: k.proc, path: path})
	}
	return p
}

func sameNS(a, b string) bool {
	var sa, sb syscall.Stat_t
	if syscall.Stat(a, &sa) != nil || syscall.Stat(b, &sb) != nil {
		return false
	}
	return sa.Ino == sb.Ino && sa.Dev == sb.Dev
}

// idMaps converts spec id mappings for SysProcAttr.
func idMaps(in []specs.LinuxIDMapping) []syscall.SysProcIDMap {
	out := make([]syscall.SysProcIDMap, len(in))
	for i, m := range in {
		out[i] = syscall.SysProcIDMap{ContainerID: int(m.ContainerID), HostID: int(m.HostID), Size: int(m.Size)}
	}
	return out
}
