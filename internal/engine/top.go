package engine

import (
	"bytes"
	"context"
	"os/exec"
	"slices"
	"strconv"
	"strings"

	"github.com/berthproject/berth/errdefs"
	"github.com/moby/moby/api/types/container"
)

// ContainerTop runs ps(1) on the host with psArgs (default "-ef") and keeps
// the rows of the container's processes, as dockerd does.
func (e *Engine) ContainerTop(ctx context.Context, name, psArgs string) (container.TopResponse, error) {
	c, err := e.get(name)
	if err != nil {
		return container.TopResponse{}, err
	}
	if !c.View().State.Running {
		return container.TopResponse{}, errdefs.Errorf(errdefs.ErrConflict, "Container %s is not running", c.ID)
	}
	pids, err := e.runner.Pids(ctx, c.ID)
	if err != nil {
		return container.TopResponse{}, err
	}
	if psArgs == "" {
		psArgs = "-ef"
	}
	out, err := exec.CommandContext(ctx, "ps", strings.Fields(psArgs)...).Output()
	if err != nil {
		return container.TopResponse{}, errdefs.Errorf(errdefs.ErrInternal, "error running ps: %w", err)
	}
	return parsePS(out, pids)
}

// parsePS keeps the header and the rows whose PID column is one of pids.
func parsePS(out []byte, pids []int) (container.TopResponse, error) {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) == 0 {
		return container.TopResponse{}, errdefs.Errorf(errdefs.ErrInternal, "ps printed nothing")
	}
	titles := strings.Fields(lines[0])
	col := slices.Index(titles, "PID")
	if col < 0 {
		return container.TopResponse{}, errdefs.Errorf(errdefs.ErrInvalidArgument, "Couldn't find PID field in ps output")
	}
	resp := container.TopResponse{Titles: titles, Processes: [][]string{}}
	for _, line := range lines[1:] {
		f := bytes.Fields([]byte(line))
		if len(f) <= col {
			continue
		}
		pid, err := strconv.Atoi(string(f[col]))
		if err != nil || !slices.Contains(pids, pid) {
			continue
		}
		// The last column (the command) may contain spaces.
		row := strings.Fields(line)
		if len(row) > len(titles) {
			row = append(row[:len(titles)-1], strings.Join(row[len(titles)-1:], " "))
		}
		resp.Processes = append(resp.Processes, row)
	}
	return resp, nil
}
