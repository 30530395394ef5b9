package engine

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/mount"
	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// TODO(#3): replace this interim generator with internal/oci's Generate.

var defaultCaps = []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"}

var maskedPaths = []string{"/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
	"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap"}

var readonlyPaths = []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}

// buildSpec generates the OCI spec of a container run.
func (e *Engine) buildSpec(ctx context.Context, r record, rootfs []mount.Mount) (*specs.Spec, error) {
	cfg, hc := r.Inspect.Config, r.Inspect.HostConfig
	user, err := resolveUser(cfg.User)
	if err != nil {
		return nil, err
	}
	caps := slices.Clone(defaultCaps)
	env := cfg.Env
	if !slices.ContainsFunc(env, func(s string) bool { return strings.HasPrefix(s, "PATH=") }) {
		env = append([]string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, env...)
	}
	env = append(env, "HOSTNAME="+cfg.Hostname)
	if cfg.Tty {
		env = append(env, "TERM=xterm")
	}
	cwd := cfg.WorkingDir
	if cwd == "" {
		cwd = "/"
	}
	s := &specs.Spec{
		Version: specs.Version,
		Process: &specs.Process{
			Terminal: cfg.Tty, User: user, Args: append(slices.Clone(cfg.Entrypoint), cfg.Cmd...), Env: env, Cwd: cwd,
			Capabilities: &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps},
			Rlimits:      []specs.POSIXRlimit{nofile()},
		},
		Root:     &specs.Root{Path: "rootfs", Readonly: hc.ReadonlyRootfs},
		Hostname: cfg.Hostname,
		Mounts:   defaultMounts(r),
		Linux: &specs.Linux{
			Namespaces:    namespaces(hc),
			Resources:     resources(hc),
			CgroupsPath:   "/berth/" + r.Inspect.ID,
			MaskedPaths:   maskedPaths,
			ReadonlyPaths: readonlyPaths,
		},
	}
	return s, nil
}

// resolveUser handles numeric users only (interim).
func resolveUser(u string) (specs.User, error) {
	if u == "" {
		return specs.User{}, nil
	}
	us, gs, _ := strings.Cut(u, ":")
	uid, err := strconv.ParseUint(us, 10, 32)
	if err != nil {
		if us == "root" {
			return specs.User{}, nil
		}
		return specs.User{}, errdefs.Errorf(errdefs.ErrInvalidArgument, "unable to find user %s: no matching entries in passwd file", us)
	}
	gid := uid
	if gs != "" {
		if gid, err = strconv.ParseUint(gs, 10, 32); err != nil {
			return specs.User{}, errdefs.Errorf(errdefs.ErrInvalidArgument, "unable to find group %s: no matching entries in group file", gs)
		}
	}
	return specs.User{UID: uint32(uid), GID: uint32(gid)}, nil
}

func nofile() specs.POSIXRlimit {
	var rl unix.Rlimit
	_ = unix.Getrlimit(unix.RLIMIT_NOFILE, &rl)
	n := min(uint64(1048576), rl.Max)
	return specs.POSIXRlimit{Type: "RLIMIT_NOFILE", Hard: n, Soft: n}
}

func defaultMounts(r record) []specs.Mount {
	ms := []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
		{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
		{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"ro", "nosuid", "noexec", "nodev"}},
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=67108864"}},
	}
	for dst, src := range map[string]string{"/etc/resolv.conf": r.Inspect.ResolvConfPath, "/etc/hostname": r.Inspect.HostnamePath, "/etc/hosts": r.Inspect.HostsPath} {
		ms = append(ms, specs.Mount{Destination: dst, Type: "bind", Source: src, Options: []string{"rbind", "rprivate"}})
	}
	return ms
}

func namespaces(hc *container.HostConfig) []specs.LinuxNamespace {
	ns := []specs.LinuxNamespace{{Type: specs.PIDNamespace}, {Type: specs.IPCNamespace}, {Type: specs.UTSNamespace}, {Type: specs.MountNamespace}}
	if hc.NetworkMode != "host" {
		ns = append(ns, specs.LinuxNamespace{Type: specs.NetworkNamespace})
	}
	return ns
}

func resources(hc *container.HostConfig) *specs.LinuxResources {
	r := &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}}
	for _, d := range []struct {
		typ          string
		major, minor int64
	}{{"c", 1, 3}, {"c", 1, 5}, {"c", 1, 7}, {"c", 1, 8}, {"c", 1, 9}, {"c", 5, 0}, {"c", 5, 1}, {"c", 5, 2}, {"c", 136, -1}, {"c", 10, 200}} {
		major, minor := d.major, d.minor
		dev := specs.LinuxDeviceCgroup{Allow: true, Type: d.typ, Major: &major, Access: "rwm"}
		if minor >= 0 {
			dev.Minor = &minor
		}
		r.Devices = append(r.Devices, dev)
	}
	if hc.Memory > 0 {
		swap := hc.MemorySwap
		if swap == 0 {
			swap = 2 * hc.Memory
		}
		r.Memory = &specs.LinuxMemory{Limit: &hc.Memory, Swap: &swap}
	}
	if hc.NanoCPUs > 0 {
		period := uint64(100000)
		quota := hc.NanoCPUs * int64(period) / 1e9
		r.CPU = &specs.LinuxCPU{Period: &period, Quota: &quota}
	}
	if hc.PidsLimit != nil && *hc.PidsLimit > 0 {
		r.Pids = &specs.LinuxPids{Limit: hc.PidsLimit}
	}
	return r
}

// execProcess builds the process of an exec from the container's spec.
func (e *Engine) execProcess(ctx context.Context, c *Container, cfg container.ExecCreateRequest) (*specs.Process, error) {
	c.mu.Lock()
	base := c.spec
	c.mu.Unlock()
	if base == nil {
		r, _, _ := c.snapshot()
		var err error
		if base, err = e.buildSpec(ctx, r, nil); err != nil {
			return nil, err
		}
	}
	p := *base.Process
	p.Args = cfg.Cmd
	p.Env = mergeEnv(base.Process.Env, cfg.Env)
	p.Terminal = cfg.Tty
	if cfg.WorkingDir != "" {
		p.Cwd = cfg.WorkingDir
	}
	if cfg.User != "" {
		u, err := resolveUser(cfg.User)
		if err != nil {
			return nil, err
		}
		p.User = u
	}
	if cfg.Privileged {
		return nil, fmt.Errorf("privileged exec: %w", errdefs.ErrNotImplemented)
	}
	return &p, nil
}
