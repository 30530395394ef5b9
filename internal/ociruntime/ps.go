package ociruntime

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/ociruntime/cgroups"
)

// cmdPs: ps [--format table|json] ID [PS_ARGS...]   (like runc: json prints the pids,
// table runs ps(1) with PS_ARGS, default -ef, and keeps the container's rows)
func cmdPs(_ context.Context, g *globals, args []string) error {
	fs := newFlags("ps")
	format := fs.String("format", "table", "table or json")
	fs.StringVar(format, "f", "table", "table or json")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", err, errdefs.ErrInvalidArgument)
	}
	if fs.NArg() < 1 {
		return fmt.Errorf("want ID [PS_ARGS...]: %w", errdefs.ErrInvalidArgument)
	}
	c, err := loadContainer(g.root, fs.Arg(0))
	if err != nil {
		return err
	}
	m, err := cgroups.Load(c.CgroupPaths)
	if err != nil {
		return fmt.Errorf("container %q: %w", c.ID, err)
	}
	pids, err := m.Pids()
	if err != nil {
		return fmt.Errorf("container %q: %w", c.ID, err)
	}
	if *format == "json" {
		if pids == nil {
			pids = []int{}
		}
		return json.NewEncoder(os.Stdout).Encode(pids)
	}
	psArgs := fs.Args()[1:]
	if len(psArgs) == 0 {
		psArgs = []string{"-ef"}
	}
	return psTable(pids, psArgs)
}

func psTable(pids []int, psArgs []string) error {
	out, err := exec.Command("ps", psArgs...).Output()
	if err != nil {
		return fmt.Errorf("run ps %s: %w", strings.Join(psArgs, " "), err)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	col := -1
	for i, h := range strings.Fields(lines[0]) {
		if h == "PID" {
			col = i
		}
	}
	if col < 0 {
		return fmt.Errorf("ps %s: no PID column", strings.Join(psArgs, " "))
	}
	in := map[int]bool{}
	for _, p := range pids {
		in[p] = true
	}
	var b bytes.Buffer
	b.WriteString(lines[0] + "\n")
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) > col {
			if p, err := strconv.Atoi(f[col]); err == nil && in[p] {
				b.WriteString(l + "\n")
			}
		}
	}
	_, err = os.Stdout.Write(b.Bytes())
	return err
}
