package cgroups

import (
	"errors"
	"testing"

	"github.com/berthproject/berth/errdefs"
	devconfig "github.com/opencontainers/cgroups/devices/config"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func p64(v int64) *int64    { return &v }
func pu64(v uint64) *uint64 { return &v }
func pu16(v uint16) *uint16 { return &v }

func TestResources(t *testing.T) {
	r := &specs.LinuxResources{
		Memory:  &specs.LinuxMemory{Limit: p64(32 << 20), Reservation: p64(16 << 20), Swap: p64(64 << 20)},
		CPU:     &specs.LinuxCPU{Shares: pu64(512), Quota: p64(50000), Period: pu64(100000), Cpus: "0", Mems: "0"},
		Pids:    &specs.LinuxPids{Limit: p64(20)},
		BlockIO: &specs.LinuxBlockIO{Weight: pu16(300)},
		Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}, {Allow: true, Type: "c", Major: p64(1), Minor: p64(3), Access: "rw"}},
	}
	got, err := Resources(r, []specs.LinuxDevice{{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229}})
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name string
		ok   bool
	}{
		{"memory", got.Memory == 32<<20 && got.MemoryReservation == 16<<20 && got.MemorySwap == 64<<20},
		{"cpu", got.CpuShares == 512 && got.CpuQuota == 50000 && got.CpuPeriod == 100000 && got.CpusetCpus == "0" && got.CpusetMems == "0"},
		{"pids", got.PidsLimit != nil && *got.PidsLimit == 20},
		{"blkio", got.BlkioWeight == 300},
		{"spec rules first", len(got.Devices) > 2 && got.Devices[0].Type == devconfig.WildcardDevice && !got.Devices[0].Allow &&
			got.Devices[1].Major == 1 && got.Devices[1].Minor == 3 && got.Devices[1].Permissions == "rw"},
		{"defaults then spec devices", len(got.Devices) == 2+len(DefaultAllowedDevices)+1 && got.Devices[len(got.Devices)-1].Minor == 229},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: got %+v", c.name, got)
		}
	}
}

func TestResourcesNil(t *testing.T) {
	got, err := Resources(nil, nil)
	if err != nil || got.Memory != 0 || got.PidsLimit != nil || len(got.Devices) != len(DefaultAllowedDevices) {
		t.Errorf("got %+v, %v", got, err)
	}
}

func TestResourcesBadDeviceType(t *testing.T) {
	_, err := Resources(&specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Type: "x"}}}, nil)
	if !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("err = %v", err)
	}
}
