package ociruntime

import (
	"encoding/json"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// mergeResources returns cur with every field that upd sets replaced (a
// deep copy: cur is not changed). Devices are kept from cur.
func mergeResources(cur, upd *specs.LinuxResources) *specs.LinuxResources {
	out := &specs.LinuxResources{}
	if cur != nil {
		b, _ := json.Marshal(cur)
		json.Unmarshal(b, out)
	}
	if upd == nil {
		return out
	}
	if m := upd.Memory; m != nil {
		if out.Memory == nil {
			out.Memory = &specs.LinuxMemory{}
		}
		o := out.Memory
		setI64(&o.Limit, m.Limit)
		setI64(&o.Reservation, m.Reservation)
		setI64(&o.Swap, m.Swap)
		setI64(&o.Kernel, m.Kernel) //nolint:staticcheck // kept as given
		setI64(&o.KernelTCP, m.KernelTCP)
		if m.Swappiness != nil {
			o.Swappiness = m.Swappiness
		}
		if m.DisableOOMKiller != nil {
			o.DisableOOMKiller = m.DisableOOMKiller
		}
	}
	if c := upd.CPU; c != nil {
		if out.CPU == nil {
			out.CPU = &specs.LinuxCPU{}
		}
		o := out.CPU
		setU64(&o.Shares, c.Shares)
		setI64(&o.Quota, c.Quota)
		setU64(&o.Period, c.Period)
		setI64(&o.RealtimeRuntime, c.RealtimeRuntime)
		setU64(&o.RealtimePeriod, c.RealtimePeriod)
		setU64(&o.Burst, c.Burst)
		if c.Cpus != "" {
			o.Cpus = c.Cpus
		}
		if c.Mems != "" {
			o.Mems = c.Mems
		}
		if c.Idle != nil {
			o.Idle = c.Idle
		}
	}
	if upd.Pids != nil && upd.Pids.Limit != nil {
		out.Pids = &specs.LinuxPids{Limit: upd.Pids.Limit}
	}
	mergeBlockIO(out, upd.BlockIO)
	if upd.HugepageLimits != nil {
		out.HugepageLimits = upd.HugepageLimits
	}
	if upd.Unified != nil {
		if out.Unified == nil {
			out.Unified = map[string]string{}
		}
		for k, v := range upd.Unified {
			out.Unified[k] = v
		}
	}
	return out
}

func mergeBlockIO(out *specs.LinuxResources, b *specs.LinuxBlockIO) {
	if b == nil {
		return
	}
	if out.BlockIO == nil {
		out.BlockIO = &specs.LinuxBlockIO{}
	}
	o := out.BlockIO
	if b.Weight != nil {
		o.Weight = b.Weight
	}
	if b.LeafWeight != nil {
		o.LeafWeight = b.LeafWeight
	}
	if b.WeightDevice != nil {
		o.WeightDevice = b.WeightDevice
	}
	if b.ThrottleReadBpsDevice != nil {
		o.ThrottleReadBpsDevice = b.ThrottleReadBpsDevice
	}
	if b.ThrottleWriteBpsDevice != nil {
		o.ThrottleWriteBpsDevice = b.ThrottleWriteBpsDevice
	}
	if b.ThrottleReadIOPSDevice != nil {
		o.ThrottleReadIOPSDevice = b.ThrottleReadIOPSDevice
	}
	if b.ThrottleWriteIOPSDevice != nil {
		o.ThrottleWriteIOPSDevice = b.ThrottleWriteIOPSDevice
	}
}

func setI64(dst **int64, v *int64) {
	if v != nil {
		n := *v
		*dst = &n
	}
}

func setU64(dst **uint64, v *uint64) {
	if v != nil {
		n := *v
		*dst = &n
	}
}
