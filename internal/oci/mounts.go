package oci

import (
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/berthproject/berth/errdefs"
	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// buildMounts is dockerd's withMounts: Docker's defaults minus those a user
// mount replaces (and everything under /dev when /dev is user-mounted),
// /dev/shm sized from ShmSize (dropped for IpcMode none), then the user
// mounts sorted by depth; "ro" on the defaults for a read-only rootfs; /sys
// and the cgroup mount writable for privileged containers (the cgroup mount
// also with writable-cgroups=true).
func buildMounts(hc *container.HostConfig, extra []specs.Mount, writableCgroups bool) ([]specs.Mount, error) {
	user := append([]specs.Mount(nil), extra...)
	binds, err := parseBinds(hc.Binds)
	if err != nil {
		return nil, err
	}
	user = append(user, binds...)
	user = append(user, tmpfsMounts(hc.Tmpfs)...)
	sortMounts(user)
	dests := map[string]bool{}
	for _, m := range user {
		dests[filepath.Clean(m.Destination)] = true
	}
	var out []specs.Mount
	for _, m := range defaultMounts() {
		if dests[m.Destination] || (dests["/dev"] && strings.HasPrefix(m.Destination, "/dev/")) {
			continue
		}
		if m.Destination == "/dev/shm" {
			if hc.IpcMode.IsNone() {
				continue
			}
			size := hc.ShmSize
			if size == 0 {
				size = DefaultShmSize
			}
			m.Options = append(m.Options, "size="+strconv.FormatInt(size, 10))
		}
		if hc.ReadonlyRootfs && !writableWithReadonlyRoot(m.Destination) && !contains(m.Options, "ro") {
			m.Options = append(m.Options, "ro")
		}
		if hc.Privileged && (m.Destination == "/sys" || m.Type == "cgroup") || writableCgroups && m.Type == "cgroup" {
			m.Options = without(m.Options, "ro")
		}
		out = append(out, m)
	}
	return append(out, user...), nil
}

func writableWithReadonlyRoot(dest string) bool {
	switch dest {
	case "/proc", "/dev/pts", "/dev/shm", "/dev/mqueue", "/dev":
		return true
	}
	return false
}

func without(list []string, s string) []string {
	var out []string
	for _, v := range list {
		if v != s {
			out = append(out, v)
		}
	}
	return out
}

// sortMounts orders mounts so that parents come before children (by the
// number of path components, stable), as dockerd's sortMounts does.
func sortMounts(m []specs.Mount) {
	sort.SliceStable(m, func(i, j int) bool {
		return strings.Count(filepath.Clean(m[i].Destination), "/") < strings.Count(filepath.Clean(m[j].Destination), "/")
	})
}

// parseBinds turns HostConfig.Binds ("/host:/ctr[:ro|rw][,propagation]")
// into bind mounts. Named volumes must be resolved by the engine first.
func parseBinds(binds []string) ([]specs.Mount, error) {
	var out []specs.Mount
	for _, b := range binds {
		parts := strings.Split(b, ":")
		if len(parts) < 2 || len(parts) > 3 {
			return nil, fmt.Errorf("bind %q: %w: want SRC:DST[:OPTIONS]", b, errdefs.ErrInvalidArgument)
		}
		src, dst := parts[0], parts[1]
		if !filepath.IsAbs(src) {
			return nil, fmt.Errorf("bind %q: %w: named volumes must be resolved by the engine into an absolute source", b, errdefs.ErrInvalidArgument)
		}
		if !filepath.IsAbs(dst) {
			return nil, fmt.Errorf("bind %q: %w: destination must be absolute", b, errdefs.ErrInvalidArgument)
		}
		opts, err := bindOptions(b, parts[2:])
		if err != nil {
			return nil, err
		}
		out = append(out, specs.Mount{Destination: filepath.Clean(dst), Type: "bind", Source: filepath.Clean(src), Options: opts})
	}
	return out, nil
}

func bindOptions(bind string, mode []string) ([]string, error) {
	opts := []string{"rbind"}
	ro, prop := false, "rprivate"
	if len(mode) == 1 {
		for _, o := range strings.Split(mode[0], ",") {
			switch o {
			case "ro":
				ro = true
			case "rw", "z", "Z", "nocopy", "":
			case "private", "rprivate", "shared", "rshared", "slave", "rslave":
				prop = o
			default:
				return nil, fmt.Errorf("bind %q: %w: unknown option %q", bind, errdefs.ErrInvalidArgument, o)
			}
		}
	}
	if ro {
		opts = append(opts, "ro")
	}
	return append(opts, prop), nil
}

// tmpfsMounts turns HostConfig.Tmpfs into mounts with Docker's default
// options (noexec, nosuid, nodev, rprivate) overridden by the user's.
func tmpfsMounts(tmpfs map[string]string) []specs.Mount {
	var out []specs.Mount
	for dest, data := range tmpfs {
		opts := []string{"noexec", "nosuid", "nodev", "rprivate"}
		if data != "" {
			opts = append(opts, strings.Split(data, ",")...)
		}
		out = append(out, specs.Mount{Destination: filepath.Clean(dest), Type: "tmpfs", Source: "tmpfs", Options: mergeTmpfsOptions(opts)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Destination < out[j].Destination })
	return out
}

// mergeTmpfsOptions keeps the last of each flag pair (exec/noexec, ...) and
// of each key=value, in first-seen order.
func mergeTmpfsOptions(opts []string) []string {
	opposite := map[string]string{
		"exec": "noexec", "noexec": "exec", "suid": "nosuid", "nosuid": "suid",
		"dev": "nodev", "nodev": "dev", "ro": "rw", "rw": "ro",
	}
	var out []string
	for _, o := range opts {
		key, _, _ := strings.Cut(o, "=")
		replaced := false
		for i, e := range out {
			ek, _, _ := strings.Cut(e, "=")
			if (strings.Contains(o, "=") && ek == key) || e == o || opposite[o] == e || (isPropagation(o) && isPropagation(e)) {
				out[i], replaced = o, true
				break
			}
		}
		if !replaced {
			out = append(out, o)
		}
	}
	return out
}

func isPropagation(o string) bool {
	switch o {
	case "private", "rprivate", "shared", "rshared", "slave", "rslave", "unbindable", "runbindable":
		return true
	}
	return false
}
