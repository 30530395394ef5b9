package ociruntime

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/berthproject/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// stateJSON is what `state` prints: the runtime-spec state plus runc's
// rootfs, created and owner fields (go-runc reads them).
type stateJSON struct {
	OCIVersion  string            `json:"ociVersion"`
	ID          string            `json:"id"`
	Pid         int               `json:"pid"`
	Status      string            `json:"status"`
	Bundle      string            `json:"bundle"`
	Rootfs      string            `json:"rootfs"`
	Created     time.Time         `json:"created"`
	Owner       string            `json:"owner"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

func (c *Container) stateJSON() stateJSON {
	st := c.currentStatus()
	pid := c.Pid
	if st == StatusStopped {
		pid = 0
	}
	return stateJSON{
		OCIVersion: specs.Version, ID: c.ID, Pid: pid, Status: st, Bundle: c.Bundle,
		Rootfs: c.Rootfs, Created: c.Created, Owner: "root", Annotations: c.Annotations,
	}
}

// cmdState: state ID
func cmdState(_ context.Context, g *globals, args []string) error {
	fs := newFlags("state")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", err, errdefs.ErrInvalidArgument)
	}
	id, err := oneID(fs)
	if err != nil {
		return err
	}
	c, err := loadContainer(g.root, id)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(c.stateJSON())
}
