package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/berthproject/berth/client"
	units "github.com/docker/go-units"
	"github.com/spf13/cobra"
)

// confirm asks a y/N question on the terminal like docker's prompt.
func confirm(ctx context.Context, in io.Reader, out io.Writer, message string) bool {
	fmt.Fprint(out, message+" [y/N] ")
	answer := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(in)
		answer <- sc.Scan() && strings.EqualFold(strings.TrimSpace(sc.Text()), "y")
	}()
	select {
	case <-ctx.Done():
		fmt.Fprintln(out)
		return false
	case ok := <-answer:
		return ok
	}
}

func (c *CLI) newContainerPruneCommand() *cobra.Command {
	var force bool
	var filter filterOpt
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove all stopped containers",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			const warning = "WARNING! This will remove all stopped containers.\nAre you sure you want to continue?"
			if !force && !confirm(cmd.Context(), c.in, c.out, warning) {
				return nil
			}
			api, err := c.client()
			if err != nil {
				return err
			}
			rep, err := api.ContainersPrune(cmd.Context(), filter.values)
			if err != nil {
				return err
			}
			if len(rep.ContainersDeleted) > 0 {
				fmt.Fprintln(c.out, "Deleted Containers:\n"+strings.Join(rep.ContainersDeleted, "\n")+"\n")
			}
			fmt.Fprintln(c.out, "Total reclaimed space:", units.HumanSize(float64(rep.SpaceReclaimed)))
			return nil
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	cmd.Flags().Var(&filter, "filter", `Provide filter values (e.g. "until=<timestamp>")`)
	return cmd
}

func (c *CLI) newImagePruneCommand() *cobra.Command {
	var force, all bool
	var filter filterOpt
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove unused images",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			warning := "WARNING! This will remove all dangling images.\nAre you sure you want to continue?"
			if all {
				warning = "WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue?"
			}
			if !force && !confirm(cmd.Context(), c.in, c.out, warning) {
				return nil
			}
			f := client.Filters{}
			for k, v := range filter.values {
				f[k] = v
			}
			f.Add("dangling", strconv.FormatBool(!all))
			api, err := c.client()
			if err != nil {
				return err
			}
			rep, err := api.ImagesPrune(cmd.Context(), f)
			if err != nil {
				return err
			}
			if len(rep.ImagesDeleted) > 0 {
				var sb strings.Builder
				sb.WriteString("Deleted Images:\n")
				for _, d := range rep.ImagesDeleted {
					if d.Untagged != "" {
						sb.WriteString("untagged: " + d.Untagged + "\n")
					} else {
						sb.WriteString("deleted: " + d.Deleted + "\n")
					}
				}
				fmt.Fprintln(c.out, sb.String())
			}
			fmt.Fprintln(c.out, "Total reclaimed space:", units.HumanSize(float64(rep.SpaceReclaimed)))
			return nil
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "Do not prompt for confirmation")
	cmd.Flags().BoolVarP(&all, "all", "a", false, "Remove all unused images, not just dangling ones")
	cmd.Flags().Var(&filter, "filter", `Provide filter values (e.g. "until=<timestamp>")`)
	return cmd
}
