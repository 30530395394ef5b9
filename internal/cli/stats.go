package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/berthproject/berth/client"
	"github.com/berthproject/berth/internal/cli/formatter"
	"github.com/moby/moby/api/types/container"
	"github.com/spf13/cobra"
)

type statsOptions struct {
	all, noStream, noTrunc bool
	format                 string
}

func (c *CLI) newStatsCommand() *cobra.Command {
	o := &statsOptions{}
	cmd := &cobra.Command{
		Use:   "stats [OPTIONS] [CONTAINER...]",
		Short: "Display a live stream of container(s) resource usage statistics",
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.stats(cmd.Context(), o, args)
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&o.all, "all", "a", false, "Show all containers (default shows just running)")
	fs.BoolVar(&o.noStream, "no-stream", false, "Disable streaming stats and only pull the first result")
	fs.BoolVar(&o.noTrunc, "no-trunc", false, "Do not truncate output")
	fs.StringVar(&o.format, "format", "", formatHelp)
	return cmd
}

// stats shows the named containers (or every running one, -a: every one):
// once with --no-stream, else redrawn every second until interrupted.
func (c *CLI) stats(ctx context.Context, o *statsOptions, names []string) error {
	api, err := c.client()
	if err != nil {
		return err
	}
	if len(names) == 0 {
		list, err := api.ContainerList(ctx, client.ContainerListOptions{All: o.all})
		if err != nil {
			return err
		}
		for _, s := range list {
			names = append(names, s.ID)
		}
	}
	fctx := formatter.Context{Output: c.out, Format: formatter.NewStatsFormat(o.format), Trunc: !o.noTrunc}
	if o.noStream {
		entries, err := c.sampleAll(ctx, api, names)
		if err != nil {
			return err
		}
		return formatter.StatsWrite(fctx, entries)
	}
	return c.streamStats(ctx, api, names, fctx)
}

// sampleAll reads one sample of each container, concurrently.
func (c *CLI) sampleAll(ctx context.Context, api *client.Client, names []string) ([]formatter.StatsEntry, error) {
	entries := make([]formatter.StatsEntry, len(names))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rc, err := api.ContainerStats(ctx, n, false)
			if err != nil {
				errs[i] = err
				return
			}
			defer rc.Close()
			var s container.StatsResponse
			if err := json.NewDecoder(rc).Decode(&s); err != nil {
				errs[i] = err
				return
			}
			entries[i] = statsEntry(n, &s)
		}()
	}
	wg.Wait()
	return entries, errors.Join(errs...)
}

// streamStats follows every container's stream and redraws the table each
// second (clearing the screen first, as docker does).
func (c *CLI) streamStats(ctx context.Context, api *client.Client, names []string, fctx formatter.Context) error {
	var mu sync.Mutex
	latest := make([]formatter.StatsEntry, len(names))
	for i, n := range names {
		latest[i] = formatter.StatsEntry{Container: n, ID: n, Invalid: true}
		rc, err := api.ContainerStats(ctx, n, true)
		if err != nil {
			return err
		}
		go func() {
			defer rc.Close()
			dec := json.NewDecoder(rc)
			for {
				var s container.StatsResponse
				if err := dec.Decode(&s); err != nil {
					return
				}
				mu.Lock()
				latest[i] = statsEntry(n, &s)
				mu.Unlock()
			}
		}()
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		var b strings.Builder
		mu.Lock()
		err := formatter.StatsWrite(formatter.Context{Output: &b, Format: fctx.Format, Trunc: fctx.Trunc}, latest)
		mu.Unlock()
		if err != nil {
			return err
		}
		fmt.Fprint(fctx.Output, "\033[2J\033[H"+b.String())
	}
}

// statsEntry computes docker's columns from one sample and its pre-reading.
func statsEntry(name string, s *container.StatsResponse) formatter.StatsEntry {
	e := formatter.StatsEntry{Container: name, ID: s.ID, Name: s.Name, Invalid: s.Read.IsZero()}
	if e.Invalid {
		return e
	}
	cpu := float64(s.CPUStats.CPUUsage.TotalUsage) - float64(s.PreCPUStats.CPUUsage.TotalUsage)
	system := float64(s.CPUStats.SystemUsage) - float64(s.PreCPUStats.SystemUsage)
	online := float64(s.CPUStats.OnlineCPUs)
	if online == 0 {
		online = float64(len(s.CPUStats.CPUUsage.PercpuUsage))
	}
	if cpu > 0 && system > 0 {
		e.CPUPercentage = cpu / system * online * 100
	}
	e.Memory, e.MemLimit = float64(memoryUsed(s.MemoryStats)), float64(s.MemoryStats.Limit)
	if e.MemLimit > 0 {
		e.MemPercentage = e.Memory / e.MemLimit * 100
	}
	for _, n := range s.Networks {
		e.NetRx += float64(n.RxBytes)
		e.NetTx += float64(n.TxBytes)
	}
	for _, b := range s.BlkioStats.IoServiceBytesRecursive {
		switch strings.ToLower(b.Op) {
		case "read":
			e.BlockRead += float64(b.Value)
		case "write":
			e.BlockWrite += float64(b.Value)
		}
	}
	e.PIDs = s.PidsStats.Current
	return e
}

// memoryUsed is the usage without the inactive page cache, as docker's
// CLI computes it (cgroup v1 total_inactive_file, v2 inactive_file).
func memoryUsed(m container.MemoryStats) uint64 {
	for _, k := range []string{"total_inactive_file", "inactive_file"} {
		if v, ok := m.Stats[k]; ok && v < m.Usage {
			return m.Usage - v
		}
	}
	return m.Usage
}
