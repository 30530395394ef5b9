package ociruntime

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/logging"
	"github.com/berthproject/berth/internal/ociruntime/cgroups"
	"github.com/docker/go-units"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// cmdUpdate: update [-r|--resources FILE|-] [--memory N] [--memory-swap N]
// [--memory-reservation N] [--kernel-memory N] [--cpu-share N] [--cpu-period N]
// [--cpu-quota N] [--cpu-rt-period N] [--cpu-rt-runtime N] [--cpuset-cpus S]
// [--cpuset-mems S] [--pids-limit N] [--blkio-weight N] ID
//
// runc's update: the container's cgroup limits change while it runs. FILE is
// a runtime-spec LinuxResources JSON object; with it the flags are ignored,
// as in runc. Fields left out keep their value; devices cannot be changed.
// Memory sizes take units (100m, 1g). The new resources are saved in the
// container's state, so that a second update merges with the first.
func cmdUpdate(ctx context.Context, g *globals, args []string) error {
	fs := newFlags("update")
	file := fs.String("resources", "", "LinuxResources JSON file, - for stdin")
	fs.StringVar(file, "r", "", "LinuxResources JSON file, - for stdin")
	flags := map[string]*string{}
	for _, n := range []string{"memory", "memory-swap", "memory-reservation", "kernel-memory", "kernel-memory-tcp",
		"cpu-share", "cpu-period", "cpu-quota", "cpu-rt-period", "cpu-rt-runtime", "cpuset-cpus", "cpuset-mems",
		"pids-limit", "blkio-weight"} {
		flags[n] = fs.String(n, "", n)
	}
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", err, errdefs.ErrInvalidArgument)
	}
	id, err := oneID(fs)
	if err != nil {
		return err
	}
	upd, err := readUpdate(*file, fs, flags)
	if err != nil {
		return err
	}
	c, err := loadContainer(g.root, id)
	if err != nil {
		return err
	}
	if st := c.currentStatus(); st == StatusStopped {
		return fmt.Errorf("container %q: %w: cannot update a stopped container", id, errdefs.ErrConflict)
	}
	m, err := cgroups.Load(c.CgroupPaths)
	if err != nil {
		return fmt.Errorf("container %q: %w", id, err)
	}
	res := mergeResources(c.Spec.Linux.Resources, upd)
	if err := m.Update(res); err != nil {
		return fmt.Errorf("container %q: %w", id, err)
	}
	c.Spec.Linux.Resources = res
	if err := c.save(); err != nil {
		return err
	}
	logging.From(ctx).Info("container updated", logging.KeyContainerID, id)
	return nil
}

// readUpdate reads the update from the JSON file, or else from the flags.
func readUpdate(file string, fs *flag.FlagSet, flags map[string]*string) (*specs.LinuxResources, error) {
	upd := &specs.LinuxResources{}
	if file != "" {
		var r io.Reader = os.Stdin
		if file != "-" {
			f, err := os.Open(file)
			if err != nil {
				return nil, fmt.Errorf("--resources: %w", err)
			}
			defer f.Close()
			r = f
		}
		if err := json.NewDecoder(r).Decode(upd); err != nil {
			return nil, fmt.Errorf("--resources %s: %w: %w", file, err, errdefs.ErrInvalidArgument)
		}
		return upd, nil
	}
	var err error
	fs.Visit(func(f *flag.Flag) {
		if v, ok := flags[f.Name]; ok && err == nil {
			err = setUpdateFlag(upd, f.Name, *v)
		}
	})
	return upd, err
}

// setUpdateFlag sets one flag's field of upd.
func setUpdateFlag(upd *specs.LinuxResources, name, v string) error {
	bad := func(err error) error { return fmt.Errorf("--%s %q: %w: %w", name, v, err, errdefs.ErrInvalidArgument) }
	mem := func() (*int64, error) {
		n, err := units.RAMInBytes(v)
		if v == "-1" {
			n, err = -1, nil
		}
		return &n, err
	}
	num := func() (*int64, error) { n, err := strconv.ParseInt(v, 10, 64); return &n, err }
	unum := func() (*uint64, error) { n, err := strconv.ParseUint(v, 10, 64); return &n, err }
	if upd.Memory == nil {
		upd.Memory = &specs.LinuxMemory{}
	}
	if upd.CPU == nil {
		upd.CPU = &specs.LinuxCPU{}
	}
	var err error
	switch name {
	case "memory":
		upd.Memory.Limit, err = mem()
	case "memory-swap":
		upd.Memory.Swap, err = mem()
	case "memory-reservation":
		upd.Memory.Reservation, err = mem()
	case "kernel-memory", "kernel-memory-tcp":
		_, err = mem() // accepted, as runc does; kernel memory limits are gone from the kernel
	case "cpu-share":
		upd.CPU.Shares, err = unum()
	case "cpu-period":
		upd.CPU.Period, err = unum()
	case "cpu-quota":
		upd.CPU.Quota, err = num()
	case "cpu-rt-period":
		upd.CPU.RealtimePeriod, err = unum()
	case "cpu-rt-runtime":
		upd.CPU.RealtimeRuntime, err = num()
	case "cpuset-cpus":
		upd.CPU.Cpus = v
	case "cpuset-mems":
		upd.CPU.Mems = v
	case "pids-limit":
		var n *int64
		if n, err = num(); err == nil {
			upd.Pids = &specs.LinuxPids{Limit: n}
		}
	case "blkio-weight":
		var n uint64
		if n, err = strconv.ParseUint(v, 10, 16); err == nil {
			w := uint16(n)
			upd.BlockIO = &specs.LinuxBlockIO{Weight: &w}
		}
	}
	if err != nil {
		return bad(err)
	}
	return nil
}
