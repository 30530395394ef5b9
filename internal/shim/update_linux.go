package shim

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/logging"
	"github.com/berthproject/berth/internal/shim/wire"
)

// update changes a created or running container's cgroup limits with
// `RUNTIME update --resources FILE ID`, FILE holding the OCI
// LinuxResources (runc's CLI; berth-runtime has the same).
func (m *monitor) update(ctx context.Context, id string, res json.RawMessage) error {
	if !json.Valid(res) {
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "update %s: resources are not JSON", id)
	}
	m.mu.Lock()
	c, err := m.get(id)
	if err == nil && c.deleting || err == nil && c.status != wire.StatusCreated && c.status != wire.StatusRunning {
		err = errdefs.Errorf(errdefs.ErrConflict, "container %s is not running", id)
	}
	m.mu.Unlock()
	if err != nil {
		return err
	}
	seq := m.nextSeq()
	file := filepath.Join(c.dir, "update-"+strconv.FormatUint(seq, 10)+".json")
	if err := os.WriteFile(file, res, 0o600); err != nil {
		return errdefs.Errorf(errdefs.ErrInternal, "update %s: %w", id, err)
	}
	defer os.Remove(file)
	if _, err := c.rt.run([]string{"update", "--resources", file, id}, processFiles{}); err != nil {
		return err
	}
	logging.From(ctx).Debug("container updated", logging.KeyContainerID, id)
	return nil
}
