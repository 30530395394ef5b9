package oci

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/berthproject/berth/errdefs"
	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// resources maps HostConfig.Resources like dockerd's WithResources, with
// dockerd's create-time default of MemorySwap = 2 x Memory.
func resources(r container.Resources) (*specs.LinuxResources, error) {
	out := &specs.LinuxResources{Devices: defaultDeviceRules()}
	out.Memory = memory(r)
	cpu, err := cpuResources(r)
	if err != nil {
		return nil, err
	}
	out.CPU = cpu
	if r.PidsLimit != nil {
		l := *r.PidsLimit
		if l <= 0 {
			l = -1 // 0 and negative mean unlimited in Docker's API
		}
		out.Pids = &specs.LinuxPids{Limit: &l}
	}
	if r.BlkioWeight != 0 {
		w := r.BlkioWeight
		out.BlockIO = &specs.LinuxBlockIO{Weight: &w}
	}
	return out, nil
}

func memory(r container.Resources) *specs.LinuxMemory {
	m := specs.LinuxMemory{}
	if r.Memory > 0 {
		v := r.Memory
		m.Limit = &v
	}
	if r.MemoryReservation > 0 {
		v := r.MemoryReservation
		m.Reservation = &v
	}
	swap := r.MemorySwap
	if swap == 0 && r.Memory > 0 {
		swap = 2 * r.Memory
	}
	if swap > 0 {
		m.Swap = &swap
	}
	if r.MemorySwappiness != nil && *r.MemorySwappiness >= 0 {
		v := uint64(*r.MemorySwappiness)
		m.Swappiness = &v
	}
	if r.OomKillDisable != nil {
		v := *r.OomKillDisable
		m.DisableOOMKiller = &v
	}
	if m == (specs.LinuxMemory{}) {
		return nil
	}
	return &m
}

func cpuResources(r container.Resources) (*specs.LinuxCPU, error) {
	c := specs.LinuxCPU{Cpus: r.CpusetCpus, Mems: r.CpusetMems}
	if r.CPUShares < 0 {
		return nil, fmt.Errorf("invalid CPU shares (%d): value must be a positive integer: %w", r.CPUShares, errdefs.ErrInvalidArgument)
	}
	if r.CPUShares > 0 {
		v := uint64(r.CPUShares)
		c.Shares = &v
	}
	if r.NanoCPUs > 0 {
		period := uint64(100000)
		quota := r.NanoCPUs * int64(period) / 1e9
		c.Period, c.Quota = &period, &quota
	}
	if r.CPUPeriod != 0 {
		v := uint64(r.CPUPeriod)
		c.Period = &v
	}
	if r.CPUQuota != 0 {
		v := r.CPUQuota
		c.Quota = &v
	}
	if c == (specs.LinuxCPU{}) {
		return nil, nil
	}
	return &c, nil
}

// rlimits turns --ulimit values (and the engine's defaults, for names the
// container does not set) into rlimits. dockerd 28 sets no rlimit of its
// own: without ulimits the container inherits the runtime's limits.
// When berthd lacks CAP_SYS_RESOURCE (the runtime it starts cannot raise a
// hard limit either), an explicit value above this host's hard limit is
// refused with a message naming that limit, instead of the runtime's opaque
// "operation not permitted"; a default is clamped to it.
func rlimits(explicit, defaults []*container.Ulimit) ([]specs.POSIXRlimit, error) {
	var out []specs.POSIXRlimit
	seen := map[string]bool{}
	for _, u := range explicit {
		rl, err := rlimit(u, false)
		if err != nil {
			return nil, err
		}
		seen[u.Name] = true
		out = append(out, rl)
	}
	for _, u := range defaults {
		if seen[u.Name] {
			continue
		}
		rl, err := rlimit(u, true)
		if err != nil {
			return nil, err
		}
		out = append(out, rl)
	}
	return out, nil
}

var rlimitResources = map[string]int{
	"as": unix.RLIMIT_AS, "core": unix.RLIMIT_CORE, "cpu": unix.RLIMIT_CPU, "data": unix.RLIMIT_DATA,
	"fsize": unix.RLIMIT_FSIZE, "locks": unix.RLIMIT_LOCKS, "memlock": unix.RLIMIT_MEMLOCK,
	"msgqueue": unix.RLIMIT_MSGQUEUE, "nice": unix.RLIMIT_NICE, "nofile": unix.RLIMIT_NOFILE,
	"nproc": unix.RLIMIT_NPROC, "rss": unix.RLIMIT_RSS, "rtprio": unix.RLIMIT_RTPRIO,
	"rttime": unix.RLIMIT_RTTIME, "sigpending": unix.RLIMIT_SIGPENDING, "stack": unix.RLIMIT_STACK,
}

func rlimit(u *container.Ulimit, clamp bool) (specs.POSIXRlimit, error) {
	res, ok := rlimitResources[u.Name]
	if !ok {
		return specs.POSIXRlimit{}, fmt.Errorf("ulimit %q: %w: unknown resource", u.Name, errdefs.ErrInvalidArgument)
	}
	if u.Soft > u.Hard && u.Hard >= 0 {
		return specs.POSIXRlimit{}, fmt.Errorf("ulimit %s: soft limit %d is above hard limit %d: %w", u.Name, u.Soft, u.Hard, errdefs.ErrInvalidArgument)
	}
	soft, hard := toRlim(u.Soft), toRlim(u.Hard)
	var host syscall.Rlimit
	if err := syscall.Getrlimit(res, &host); err == nil && hard > host.Max && !canRaiseRlimits() {
		if !clamp {
			return specs.POSIXRlimit{}, errdefs.Errorf(errdefs.ErrInvalidArgument,
				"ulimit %s=%s: the hard limit is above this host's hard limit for %s (%s), and raising it needs CAP_SYS_RESOURCE, which berthd does not have",
				u.Name, rlimitString(u), u.Name, rlimString(host.Max))
		}
		hard = host.Max
		soft = min(soft, hard)
	}
	return specs.POSIXRlimit{Type: "RLIMIT_" + strings.ToUpper(u.Name), Soft: soft, Hard: hard}, nil
}

// canRaiseRlimits is whether this process has CAP_SYS_RESOURCE in its
// effective set (a variable for tests).
var canRaiseRlimits = sync.OnceValue(func() bool {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return false
	}
	_, rest, ok := strings.Cut(string(b), "\nCapEff:")
	if !ok {
		return false
	}
	line, _, _ := strings.Cut(rest, "\n")
	eff, err := strconv.ParseUint(strings.TrimSpace(line), 16, 64)
	return err == nil && eff&(1<<unix.CAP_SYS_RESOURCE) != 0
})

// rlimitString shows a ulimit as docker's flag does: soft[:hard].
func rlimitString(u *container.Ulimit) string {
	if u.Soft == u.Hard {
		return strconv.FormatInt(u.Soft, 10)
	}
	return strconv.FormatInt(u.Soft, 10) + ":" + strconv.FormatInt(u.Hard, 10)
}

func rlimString(v uint64) string {
	if v == unix.RLIM_INFINITY {
		return "unlimited"
	}
	return strconv.FormatUint(v, 10)
}

// toRlim maps Docker's -1 (unlimited) to RLIM_INFINITY.
func toRlim(v int64) uint64 {
	if v < 0 {
		return unix.RLIM_INFINITY
	}
	return uint64(v)
}

// deviceMappings turns --device entries into devices and cgroup rules.
func deviceMappings(maps []container.DeviceMapping) ([]specs.LinuxDevice, []specs.LinuxDeviceCgroup, error) {
	var devs []specs.LinuxDevice
	var rules []specs.LinuxDeviceCgroup
	for _, m := range maps {
		d, err := hostDevice(m.PathOnHost, m.PathInContainer)
		if err != nil {
			return nil, nil, err
		}
		perms := m.CgroupPermissions
		if perms == "" {
			perms = "rwm"
		}
		devs = append(devs, d)
		rules = append(rules, specs.LinuxDeviceCgroup{Allow: true, Type: d.Type, Major: i64(d.Major), Minor: i64(d.Minor), Access: perms})
	}
	return devs, rules, nil
}

// hostDevice describes the host device node at path, to be created at ctrPath.
func hostDevice(path, ctrPath string) (specs.LinuxDevice, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return specs.LinuxDevice{}, fmt.Errorf("device %s: %w: %w", path, err, errdefs.ErrInvalidArgument)
	}
	var typ string
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFCHR:
		typ = "c"
	case unix.S_IFBLK:
		typ = "b"
	default:
		return specs.LinuxDevice{}, fmt.Errorf("device %s: %w: not a device node", path, errdefs.ErrInvalidArgument)
	}
	if ctrPath == "" {
		ctrPath = path
	}
	mode := os.FileMode(st.Mode & 0o777)
	uid, gid := st.Uid, st.Gid
	return specs.LinuxDevice{
		Path: ctrPath, Type: typ, Major: int64(unix.Major(st.Rdev)), Minor: int64(unix.Minor(st.Rdev)),
		FileMode: &mode, UID: &uid, GID: &gid,
	}, nil
}

// hostDevices lists every device node under the host's /dev (for
// --privileged), skipping /dev/pts, /dev/shm, /dev/mqueue and the console.
func hostDevices() ([]specs.LinuxDevice, error) {
	var out []specs.LinuxDevice
	err := filepath.WalkDir("/dev", func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			switch p {
			case "/dev/pts", "/dev/shm", "/dev/mqueue", "/dev/.lxc", "/dev/.udev":
				return filepath.SkipDir
			}
			return nil
		}
		if p == "/dev/console" || d.Type()&os.ModeDevice == 0 {
			return nil
		}
		if dev, err := hostDevice(p, p); err == nil {
			out = append(out, dev)
		}
		return nil
	})
	return out, err
}
