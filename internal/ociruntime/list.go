package ociruntime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/berthproject/berth/errdefs"
)

// cmdList: list [-q|--quiet] [--format table|json]
func cmdList(_ context.Context, g *globals, args []string) error {
	fs := newFlags("list")
	quiet := fs.Bool("quiet", false, "print only ids")
	fs.BoolVar(quiet, "q", false, "print only ids")
	format := fs.String("format", "table", "table or json")
	fs.StringVar(format, "f", "table", "table or json")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", err, errdefs.ErrInvalidArgument)
	}
	entries, err := os.ReadDir(g.root)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("read state root %s: %w", g.root, err)
	}
	var states []stateJSON
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		c, err := loadContainer(g.root, e.Name())
		if err != nil {
			continue // being created or deleted
		}
		states = append(states, c.stateJSON())
	}
	switch {
	case *quiet:
		for _, s := range states {
			fmt.Println(s.ID)
		}
	case *format == "json":
		if states == nil {
			states = []stateJSON{}
		}
		return json.NewEncoder(os.Stdout).Encode(states)
	default:
		w := tabwriter.NewWriter(os.Stdout, 12, 1, 3, ' ', 0)
		fmt.Fprintln(w, "ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER")
		for _, s := range states {
			fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\troot\n", s.ID, s.Pid, s.Status, s.Bundle, s.Created.Format(time.RFC3339Nano))
		}
		return w.Flush()
	}
	return nil
}
