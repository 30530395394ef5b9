package formatter

import (
	"fmt"

	units "github.com/docker/go-units"
)

const defaultStatsTable = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}"

// NewStatsFormat returns the format of `stats` for --format source.
func NewStatsFormat(source string) Format {
	switch source {
	case TableKey, "":
		return defaultStatsTable
	case RawKey:
		return "container_id: {{.ID}}\nname: {{.Name}}\ncpu_perc: {{.CPUPerc}}\nmem_usage: {{.MemUsage}}\nmem_perc: {{.MemPerc}}\nnet_io: {{.NetIO}}\nblock_io: {{.BlockIO}}\npids: {{.PIDs}}\n"
	}
	return Format(source)
}

// StatsEntry is one container's computed usage, as docker's CLI derives
// it from two readings (see the stats command).
type StatsEntry struct {
	Container        string // as named on the command line
	ID, Name         string
	CPUPercentage    float64
	Memory, MemLimit float64
	MemPercentage    float64
	NetRx, NetTx     float64
	BlockRead        float64
	BlockWrite       float64
	PIDs             uint64
	// Invalid is set for a container that does not run: its values show "--".
	Invalid bool
}

// StatsWrite renders entries in ctx's format.
func StatsWrite(ctx Context, entries []StatsEntry) error {
	return ctx.Write(newStatsContext(), func(emit func(SubContext) error) error {
		for _, e := range entries {
			if err := emit(&StatsContext{e: e, trunc: ctx.Trunc}); err != nil {
				return err
			}
		}
		return nil
	})
}

// StatsContext is one `stats` row; its methods are the template fields.
type StatsContext struct {
	HeaderContext
	e     StatsEntry
	trunc bool
}

func newStatsContext() *StatsContext {
	c := &StatsContext{}
	c.Header = SubHeaderContext{
		"Container": "CONTAINER", "ID": "CONTAINER ID", "Name": "NAME", "CPUPerc": "CPU %",
		"MemUsage": "MEM USAGE / LIMIT", "MemPerc": "MEM %", "NetIO": "NET I/O", "BlockIO": "BLOCK I/O", "PIDs": "PIDS",
	}
	return c
}

// MarshalJSON renders the row for `{{json .}}`.
func (c *StatsContext) MarshalJSON() ([]byte, error) { return MarshalJSON(c) }

// Container is the container as the command line named it.
func (c *StatsContext) Container() string { return c.e.Container }

// ID is the container ID (12 characters unless --no-trunc).
func (c *StatsContext) ID() string {
	if c.trunc && len(c.e.ID) > 12 {
		return c.e.ID[:12]
	}
	return c.e.ID
}

// Name is the container's name without its leading slash.
func (c *StatsContext) Name() string {
	if len(c.e.Name) > 1 && c.e.Name[0] == '/' {
		return c.e.Name[1:]
	}
	if c.e.Name == "" {
		return "--"
	}
	return c.e.Name
}

// CPUPerc is the CPU use in percent of one CPU.
func (c *StatsContext) CPUPerc() string {
	if c.e.Invalid {
		return "--"
	}
	return fmt.Sprintf("%.2f%%", c.e.CPUPercentage)
}

// MemUsage is "used / limit" in binary units.
func (c *StatsContext) MemUsage() string {
	if c.e.Invalid {
		return "-- / --"
	}
	return units.BytesSize(c.e.Memory) + " / " + units.BytesSize(c.e.MemLimit)
}

// MemPerc is the memory use in percent of the limit.
func (c *StatsContext) MemPerc() string {
	if c.e.Invalid {
		return "--"
	}
	return fmt.Sprintf("%.2f%%", c.e.MemPercentage)
}

// NetIO is "received / sent" in decimal units.
func (c *StatsContext) NetIO() string {
	if c.e.Invalid {
		return "--"
	}
	return units.HumanSizeWithPrecision(c.e.NetRx, 3) + " / " + units.HumanSizeWithPrecision(c.e.NetTx, 3)
}

// BlockIO is "read / written" in decimal units.
func (c *StatsContext) BlockIO() string {
	if c.e.Invalid {
		return "--"
	}
	return units.HumanSizeWithPrecision(c.e.BlockRead, 3) + " / " + units.HumanSizeWithPrecision(c.e.BlockWrite, 3)
}

// PIDs is the number of tasks in the container.
func (c *StatsContext) PIDs() string {
	if c.e.Invalid {
		return "--"
	}
	return fmt.Sprint(c.e.PIDs)
}
