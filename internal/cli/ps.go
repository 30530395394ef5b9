package cli

import (
	"fmt"
	"io"

	"github.com/berthproject/berth/client"
	"github.com/berthproject/berth/internal/cli/formatter"
	"github.com/spf13/cobra"
)

type psOptions struct {
	quiet, size, all, noTrunc, latest bool
	last                              int
	format                            string
	filter                            filterOpt
}

func (c *CLI) newPsCommand() *cobra.Command {
	o := &psOptions{}
	cmd := &cobra.Command{
		Use:   "ps [OPTIONS]",
		Short: "List containers",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return c.ps(cmd, o)
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "Only display container IDs")
	fs.BoolVarP(&o.size, "size", "s", false, "Display total file sizes")
	fs.BoolVarP(&o.all, "all", "a", false, "Show all containers (default shows just running)")
	fs.BoolVar(&o.noTrunc, "no-trunc", false, "Don't truncate output")
	fs.BoolVarP(&o.latest, "latest", "l", false, "Show the latest created container (includes all states)")
	fs.IntVarP(&o.last, "last", "n", -1, "Show n last created containers (includes all states)")
	fs.StringVar(&o.format, "format", "", formatHelp)
	fs.VarP(&o.filter, "filter", "f", "Filter output based on conditions provided")
	return cmd
}

// formatHelp is docker's --format help text.
const formatHelp = "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n" +
	"'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n" +
	"'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates"

func (c *CLI) ps(cmd *cobra.Command, o *psOptions) error {
	if o.format != "" && o.quiet {
		fmt.Fprintln(c.errOut, "WARNING: Ignoring custom format, because both --format and --quiet are set.")
	}
	lo := client.ContainerListOptions{All: o.all, Limit: o.last, Size: o.size, Filters: o.filter.values}
	if o.latest && o.last == -1 {
		lo.Limit = 1
	}
	if o.format != "" {
		// A template that uses .Size asks the daemon for sizes.
		tmpl, err := formatter.Parse(o.format)
		if err != nil {
			return fmt.Errorf("failed to parse template: %w", err)
		}
		probe := formatter.NewContainerContext()
		if err := tmpl.Execute(io.Discard, probe); err != nil {
			return fmt.Errorf("failed to execute template: %w", err)
		}
		if _, ok := probe.FieldsUsed["Size"]; ok && !o.quiet && !cmd.Flags().Changed("size") {
			lo.Size = true
		}
	}
	api, err := c.client()
	if err != nil {
		return err
	}
	list, err := api.ContainerList(cmd.Context(), lo)
	if err != nil {
		return err
	}
	ctx := formatter.Context{Output: c.out, Format: formatter.NewContainerFormat(o.format, o.quiet, lo.Size), Trunc: !o.noTrunc}
	return formatter.ContainerWrite(ctx, list)
}
