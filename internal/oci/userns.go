package oci

import (
	"strconv"

	"github.com/berthproject/berth/errdefs"
	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// UserNamespace is the daemon's --userns-remap: the ID mappings of the user
// namespace every container gets unless it says --userns=host.
type UserNamespace struct {
	UIDs, GIDs []specs.LinuxIDMapping
}

// Root is the host UID and GID of the container's root (container ID 0),
// or -1 when the mappings do not map it.
func (u *UserNamespace) Root() (uid, gid int) {
	return hostID(u.UIDs, 0), hostID(u.GIDs, 0)
}

// HostUID is the host UID of container UID id (-1 when unmapped).
func (u *UserNamespace) HostUID(id uint32) int { return hostID(u.UIDs, id) }

// HostGID is the host GID of container GID id (-1 when unmapped).
func (u *UserNamespace) HostGID(id uint32) int { return hostID(u.GIDs, id) }

func hostID(maps []specs.LinuxIDMapping, id uint32) int {
	for _, m := range maps {
		if id >= m.ContainerID && id-m.ContainerID < m.Size {
			return int(m.HostID + id - m.ContainerID)
		}
	}
	return -1
}

// Remapped reports whether a container with hc runs in the daemon's user
// namespace u (nil: no remapping).
func (u *UserNamespace) Remapped(hc *container.HostConfig) bool {
	return u != nil && !hc.UsernsMode.IsHost()
}

// CheckUserns refuses what dockerd refuses with user namespaces: an
// unknown --userns value, and sharing the host's namespaces or privileges
// from inside a remapped container (those need --userns=host).
func CheckUserns(hc *container.HostConfig, u *UserNamespace) error {
	if hc.UsernsMode != "" && !hc.UsernsMode.IsHost() {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "invalid USER mode: %s", hc.UsernsMode)
	}
	if !u.Remapped(hc) {
		return nil
	}
	switch {
	case hc.Privileged:
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "privileged mode is incompatible with user namespaces.  You must run the container in the host namespace when running privileged mode")
	case hc.NetworkMode.IsHost():
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "cannot share the host's network namespace when user namespaces are enabled")
	case hc.PidMode.IsHost():
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "cannot share the host PID namespace when user namespaces are enabled")
	}
	return nil
}

// setUserns puts the container in the daemon's user namespace: a new user
// namespace with its mappings, and (as dockerd) a writable cgroup mount,
// which cannot be remounted read-only from inside it. The default
// ping_group_range is narrowed to the mapped groups: the kernel refuses a
// range naming groups the namespace does not map.
func setUserns(s *specs.Spec, o Options, hc *container.HostConfig) {
	if !o.Userns.Remapped(hc) {
		return
	}
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	s.Linux.UIDMappings, s.Linux.GIDMappings = o.Userns.UIDs, o.Userns.GIDs
	const ping = "net.ipv4.ping_group_range"
	if _, own := hc.Sysctls[ping]; !own && s.Linux.Sysctl[ping] != "" {
		var n uint32
		for _, m := range o.Userns.GIDs {
			n = max(n, m.ContainerID+m.Size)
		}
		s.Linux.Sysctl[ping] = "0 " + strconv.FormatUint(uint64(max(n, 1)-1), 10)
	}
	for i := range s.Mounts {
		if s.Mounts[i].Type == "cgroup" {
			s.Mounts[i].Options = without(s.Mounts[i].Options, "ro")
		}
	}
}
