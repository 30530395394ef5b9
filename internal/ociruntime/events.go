package ociruntime

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/ociruntime/cgroups"
)

// event is one line of `events`, runc's types.Event: {"type":"stats",
// "id":ID,"data":<cgroups.Stats>} or {"type":"oom","id":ID}.
type event struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Data any    `json:"data,omitempty"`
}

// cmdEvents: events [--stats] [--interval DURATION] ID
//
// With --stats, prints one stats event and exits. Without it, prints a
// stats event every interval (default 5s) and an oom event whenever the
// OOM killer killed a process of the container since the previous check,
// until the container stops. One JSON object per line.
func cmdEvents(ctx context.Context, g *globals, args []string) error {
	fs := newFlags("events")
	once := fs.Bool("stats", false, "print the statistics once and exit")
	interval := fs.Duration("interval", 5*time.Second, "time between stats events")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", err, errdefs.ErrInvalidArgument)
	}
	id, err := oneID(fs)
	if err != nil {
		return err
	}
	if *interval <= 0 {
		return fmt.Errorf("--interval %v: %w: must be positive", *interval, errdefs.ErrInvalidArgument)
	}
	c, err := loadContainer(g.root, id)
	if err != nil {
		return err
	}
	m, err := cgroups.Load(c.CgroupPaths)
	if err != nil {
		return fmt.Errorf("container %q: %w", id, err)
	}
	enc := json.NewEncoder(os.Stdout)
	if *once {
		return emitStats(enc, c, m)
	}
	return streamEvents(ctx, enc, c, m, *interval)
}

func emitStats(enc *json.Encoder, c *Container, m *cgroups.Manager) error {
	st, err := m.Stats()
	if err != nil {
		return fmt.Errorf("container %q: %w", c.ID, err)
	}
	return enc.Encode(event{Type: "stats", ID: c.ID, Data: st})
}

func streamEvents(ctx context.Context, enc *json.Encoder, c *Container, m *cgroups.Manager, interval time.Duration) error {
	ooms, _ := m.OOMKills()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if err := emitStats(enc, c, m); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		if n, err := m.OOMKills(); err == nil && n > ooms {
			ooms = n
			if err := enc.Encode(event{Type: "oom", ID: c.ID}); err != nil {
				return err
			}
		}
		if !c.alive() {
			return nil
		}
	}
}
