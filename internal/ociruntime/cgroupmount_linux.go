package ociruntime

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// mountCgroupV1 handles a spec mount of type "cgroup" (Docker's
// /sys/fs/cgroup). On a v1 or hybrid host it is a tmpfs with one
// subdirectory per host hierarchy; each gets the container's own cgroup:
// bind-mounted from the host when the cgroup namespace is the host's, a
// fresh mount of the hierarchy when the container has its own cgroup
// namespace (whose root is the container's cgroup). On a pure v2 host it is
// the cgroup2 filesystem itself. The "ro" option applies to all of it.
func mountCgroupV1(cfg *initConfig, dest string, o mountOpts) error {
	if err := cfg.inCgroup(); err != nil {
		return err
	}
	mounts, err := mountinfo.GetMounts(mountinfo.FSTypeFilter("cgroup", "cgroup2"))
	if err != nil {
		return fmt.Errorf("read host cgroup mounts: %w", err)
	}
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return err
	}
	if len(mounts) == 1 && mounts[0].FSType == "cgroup2" && mounts[0].Mountpoint == "/sys/fs/cgroup" {
		return mountHierarchy(cfg, mounts[0], dest, o.flags, "")
	}
	own, err := ownCgroups()
	if err != nil {
		return err
	}
	if err := unix.Mount("tmpfs", dest, "tmpfs", o.flags&^unix.MS_RDONLY, "mode=755"); err != nil {
		return err
	}
	for _, m := range mounts {
		if filepath.Dir(m.Mountpoint) != "/sys/fs/cgroup" {
			continue
		}
		sub := filepath.Join(dest, filepath.Base(m.Mountpoint))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return err
		}
		if err := mountHierarchy(cfg, m, sub, o.flags, own[hierarchyKey(m)]); err != nil {
			return fmt.Errorf("cgroup hierarchy %s: %w", m.Mountpoint, err)
		}
	}
	if o.flags&unix.MS_RDONLY != 0 {
		return unix.Mount("", dest, "", unix.MS_REMOUNT|unix.MS_RDONLY|(o.flags&^unix.MS_RDONLY), "mode=755")
	}
	return nil
}

func mountHierarchy(cfg *initConfig, m *mountinfo.Info, dest string, flags uintptr, own string) error {
	if cfg.NewCgroupNS {
		data := ""
		if m.FSType == "cgroup" {
			data = hierarchyKey(m)
		}
		return unix.Mount(m.FSType, dest, m.FSType, flags, data)
	}
	src := filepath.Join(m.Mountpoint, own)
	if err := unix.Mount(src, dest, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return err
	}
	if flags&unix.MS_RDONLY != 0 {
		return unix.Mount("", dest, "", unix.MS_BIND|unix.MS_REMOUNT|flags|lockedFlags(dest), "")
	}
	return nil
}

// hierarchyKey names a hierarchy as /proc/self/cgroup does: "cpu,cpuacct",
// "name=systemd", or "" for cgroup2.
func hierarchyKey(m *mountinfo.Info) string {
	if m.FSType == "cgroup2" {
		return ""
	}
	var keep []string
	for _, opt := range strings.Split(m.VFSOptions, ",") {
		switch {
		case opt == "rw" || opt == "ro" || opt == "xattr" || opt == "clone_children" || opt == "noprefix":
		case strings.HasPrefix(opt, "release_agent="), strings.HasPrefix(opt, "cpuset_v2_mode"):
		default:
			keep = append(keep, opt)
		}
	}
	return strings.Join(keep, ",")
}

// ownCgroups maps each hierarchy of /proc/thread-self/cgroup to our path in
// it (init joins its cgroup per thread, see cgroups.JoinCurrentThread). init
// is already in the container's cgroup when this runs.
func ownCgroups() (map[string]string, error) {
	f, err := os.Open("/proc/thread-self/cgroup")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		parts := strings.SplitN(s.Text(), ":", 3)
		if len(parts) == 3 {
			out[parts[1]] = parts[2]
		}
	}
	return out, s.Err()
}
