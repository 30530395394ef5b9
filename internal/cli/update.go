package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/berthproject/berth/client"
	"github.com/moby/moby/api/types/container"
	"github.com/spf13/cobra"
)

// updateOptions are `update`'s flags (docker's).
type updateOptions struct {
	memory, memoryReservation                 memBytes
	memorySwap                                memSwapBytes
	cpus                                      nanoCPUs
	cpuShares, cpuPeriod, cpuQuota, pidsLimit int64
	cpuRtPeriod, cpuRtRuntime                 int64
	blkioWeight                               uint16
	cpusetCpus, cpusetMems, restart           string
}

func (c *CLI) newUpdateCommand() *cobra.Command {
	o := &updateOptions{}
	cmd := &cobra.Command{
		Use:   "update [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Update configuration of one or more containers",
		Args:  minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := o.config(cmd)
			if err != nil {
				return err
			}
			return c.forEach(cmd.Context(), args, func(ctx context.Context, api *client.Client, name string) error {
				res, err := api.ContainerUpdate(ctx, name, cfg)
				for _, w := range res.Warnings {
					fmt.Fprintln(c.errOut, w)
				}
				return err
			}, nil)
		},
	}
	fs := cmd.Flags()
	fs.Uint16Var(&o.blkioWeight, "blkio-weight", 0, "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)")
	fs.Int64Var(&o.cpuPeriod, "cpu-period", 0, "Limit CPU CFS (Completely Fair Scheduler) period")
	fs.Int64Var(&o.cpuQuota, "cpu-quota", 0, "Limit CPU CFS (Completely Fair Scheduler) quota")
	fs.Int64Var(&o.cpuRtPeriod, "cpu-rt-period", 0, "Limit the CPU real-time period in microseconds")
	fs.Int64Var(&o.cpuRtRuntime, "cpu-rt-runtime", 0, "Limit the CPU real-time runtime in microseconds")
	fs.Int64VarP(&o.cpuShares, "cpu-shares", "c", 0, "CPU shares (relative weight)")
	fs.Var(&o.cpus, "cpus", "Number of CPUs")
	fs.StringVar(&o.cpusetCpus, "cpuset-cpus", "", "CPUs in which to allow execution (0-3, 0,1)")
	fs.StringVar(&o.cpusetMems, "cpuset-mems", "", "MEMs in which to allow execution (0-3, 0,1)")
	fs.VarP(&o.memory, "memory", "m", "Memory limit")
	fs.Var(&o.memoryReservation, "memory-reservation", "Memory soft limit")
	fs.Var(&o.memorySwap, "memory-swap", "Swap limit equal to memory plus swap: -1 to enable unlimited swap")
	fs.Int64Var(&o.pidsLimit, "pids-limit", 0, "Tune container pids limit (set -1 for unlimited)")
	fs.StringVar(&o.restart, "restart", "", "Restart policy to apply when a container exits")
	return cmd
}

// config is the update request; like docker, at least one flag is needed.
func (o *updateOptions) config(cmd *cobra.Command) (container.UpdateConfig, error) {
	if cmd.Flags().NFlag() == 0 {
		return container.UpdateConfig{}, errors.New("you must provide one or more flags when using this command")
	}
	r := container.Resources{
		BlkioWeight: o.blkioWeight, CPUPeriod: o.cpuPeriod, CPUQuota: o.cpuQuota,
		CPURealtimePeriod: o.cpuRtPeriod, CPURealtimeRuntime: o.cpuRtRuntime, CPUShares: o.cpuShares,
		NanoCPUs: int64(o.cpus), CpusetCpus: o.cpusetCpus, CpusetMems: o.cpusetMems,
		Memory: int64(o.memory), MemoryReservation: int64(o.memoryReservation), MemorySwap: int64(o.memorySwap),
	}
	if cmd.Flags().Changed("pids-limit") {
		r.PidsLimit = &o.pidsLimit
	}
	cfg := container.UpdateConfig{Resources: r}
	if o.restart != "" {
		p, err := parseRestartPolicy(o.restart)
		if err != nil {
			return cfg, err
		}
		cfg.RestartPolicy = p
	}
	return cfg, nil
}
