package cgroups

import (
	"fmt"

	"github.com/berthproject/berth/errdefs"
	"github.com/opencontainers/cgroups"
	devconfig "github.com/opencontainers/cgroups/devices/config"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// DefaultAllowedDevices are the device rules every container gets after the
// spec's own rules, as runc does: mknod of anything, the standard character
// devices, ptys and /dev/net/tun.
var DefaultAllowedDevices = []devconfig.Rule{
	{Type: devconfig.CharDevice, Major: devconfig.Wildcard, Minor: devconfig.Wildcard, Permissions: "m", Allow: true},
	{Type: devconfig.BlockDevice, Major: devconfig.Wildcard, Minor: devconfig.Wildcard, Permissions: "m", Allow: true},
	{Type: devconfig.CharDevice, Major: 1, Minor: 3, Permissions: "rwm", Allow: true},                    // null
	{Type: devconfig.CharDevice, Major: 1, Minor: 8, Permissions: "rwm", Allow: true},                    // random
	{Type: devconfig.CharDevice, Major: 1, Minor: 7, Permissions: "rwm", Allow: true},                    // full
	{Type: devconfig.CharDevice, Major: 5, Minor: 0, Permissions: "rwm", Allow: true},                    // tty
	{Type: devconfig.CharDevice, Major: 1, Minor: 5, Permissions: "rwm", Allow: true},                    // zero
	{Type: devconfig.CharDevice, Major: 1, Minor: 9, Permissions: "rwm", Allow: true},                    // urandom
	{Type: devconfig.CharDevice, Major: 136, Minor: devconfig.Wildcard, Permissions: "rwm", Allow: true}, // pts
	{Type: devconfig.CharDevice, Major: 5, Minor: 2, Permissions: "rwm", Allow: true},                    // ptmx
	{Type: devconfig.CharDevice, Major: 10, Minor: 200, Permissions: "rwm", Allow: true},                 // tun
}

// Resources translates the OCI resources of spec into the cgroup library's
// Resources. devices are the spec's linux.devices: each gets an allow rule so
// that the nodes the runtime creates are usable. r may be nil.
func Resources(r *specs.LinuxResources, devices []specs.LinuxDevice) (*cgroups.Resources, error) {
	out := &cgroups.Resources{}
	if r != nil {
		if err := devRules(out, r.Devices); err != nil {
			return nil, err
		}
		memory(out, r.Memory)
		cpu(out, r.CPU)
		if r.Pids != nil && r.Pids.Limit != nil {
			l := *r.Pids.Limit
			out.PidsLimit = &l
		}
		blkio(out, r.BlockIO)
		for _, h := range r.HugepageLimits {
			out.HugetlbLimit = append(out.HugetlbLimit, &cgroups.HugepageLimit{Pagesize: h.Pagesize, Limit: h.Limit})
		}
		if len(r.Unified) > 0 {
			out.Unified = r.Unified
		}
	}
	for i := range DefaultAllowedDevices {
		rule := DefaultAllowedDevices[i]
		out.Devices = append(out.Devices, &rule)
	}
	for _, d := range devices {
		if d.Type == "p" {
			continue // fifos are not subject to the devices controller
		}
		t, err := devType(d.Type)
		if err != nil {
			return nil, err
		}
		out.Devices = append(out.Devices, &devconfig.Rule{Type: t, Major: d.Major, Minor: d.Minor, Permissions: "rwm", Allow: true})
	}
	return out, nil
}

func devRules(out *cgroups.Resources, rules []specs.LinuxDeviceCgroup) error {
	for _, d := range rules {
		t, err := devType(d.Type)
		if err != nil {
			return err
		}
		rule := &devconfig.Rule{
			Type: t, Major: devconfig.Wildcard, Minor: devconfig.Wildcard,
			Permissions: devconfig.Permissions(d.Access), Allow: d.Allow,
		}
		if d.Major != nil {
			rule.Major = *d.Major
		}
		if d.Minor != nil {
			rule.Minor = *d.Minor
		}
		if rule.Permissions == "" {
			rule.Permissions = "rwm"
		}
		out.Devices = append(out.Devices, rule)
	}
	return nil
}

func devType(t string) (devconfig.Type, error) {
	switch t {
	case "", "a":
		return devconfig.WildcardDevice, nil
	case "c", "u":
		return devconfig.CharDevice, nil
	case "b":
		return devconfig.BlockDevice, nil
	case "p":
		return devconfig.FifoDevice, nil
	}
	return 0, fmt.Errorf("device type %q: %w", t, errdefs.ErrInvalidArgument)
}

func memory(out *cgroups.Resources, m *specs.LinuxMemory) {
	if m == nil {
		return
	}
	if m.Limit != nil {
		out.Memory = *m.Limit
	}
	if m.Reservation != nil {
		out.MemoryReservation = *m.Reservation
	}
	if m.Swap != nil {
		out.MemorySwap = *m.Swap
	}
	if m.Swappiness != nil {
		s := *m.Swappiness
		out.MemorySwappiness = &s
	}
	if m.DisableOOMKiller != nil {
		out.OomKillDisable = *m.DisableOOMKiller
	}
	if m.CheckBeforeUpdate != nil {
		out.MemoryCheckBeforeUpdate = *m.CheckBeforeUpdate
	}
}

func cpu(out *cgroups.Resources, c *specs.LinuxCPU) {
	if c == nil {
		return
	}
	if c.Shares != nil {
		out.CpuShares = *c.Shares
	}
	if c.Quota != nil {
		out.CpuQuota = *c.Quota
	}
	if c.Burst != nil {
		b := *c.Burst
		out.CpuBurst = &b
	}
	if c.Period != nil {
		out.CpuPeriod = *c.Period
	}
	if c.RealtimeRuntime != nil {
		out.CpuRtRuntime = *c.RealtimeRuntime
	}
	if c.RealtimePeriod != nil {
		out.CpuRtPeriod = *c.RealtimePeriod
	}
	if c.Idle != nil {
		i := *c.Idle
		out.CPUIdle = &i
	}
	out.CpusetCpus = c.Cpus
	out.CpusetMems = c.Mems
}

func blkio(out *cgroups.Resources, b *specs.LinuxBlockIO) {
	if b == nil {
		return
	}
	if b.Weight != nil {
		out.BlkioWeight = *b.Weight
	}
	if b.LeafWeight != nil {
		out.BlkioLeafWeight = *b.LeafWeight
	}
	for _, d := range b.WeightDevice {
		var w, lw uint16
		if d.Weight != nil {
			w = *d.Weight
		}
		if d.LeafWeight != nil {
			lw = *d.LeafWeight
		}
		out.BlkioWeightDevice = append(out.BlkioWeightDevice, cgroups.NewWeightDevice(d.Major, d.Minor, w, lw))
	}
	throttle := func(in []specs.LinuxThrottleDevice) []*cgroups.ThrottleDevice {
		var l []*cgroups.ThrottleDevice
		for _, d := range in {
			l = append(l, cgroups.NewThrottleDevice(d.Major, d.Minor, d.Rate))
		}
		return l
	}
	out.BlkioThrottleReadBpsDevice = throttle(b.ThrottleReadBpsDevice)
	out.BlkioThrottleWriteBpsDevice = throttle(b.ThrottleWriteBpsDevice)
	out.BlkioThrottleReadIOPSDevice = throttle(b.ThrottleReadIOPSDevice)
	out.BlkioThrottleWriteIOPSDevice = throttle(b.ThrottleWriteIOPSDevice)
}
