package cli

import (
	"errors"
	"fmt"

	"github.com/berthproject/berth/client"
	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/cli/formatter"
	"github.com/spf13/cobra"
)

func (c *CLI) newImagesCommand() *cobra.Command {
	var quiet, all, noTrunc, digests bool
	var format string
	var filter filterOpt
	cmd := &cobra.Command{
		Use:   "images [OPTIONS] [REPOSITORY[:TAG]]",
		Short: "List images",
		Args:  maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f := client.Filters{}
			for k, v := range filter.values {
				f[k] = v
			}
			if len(args) == 1 {
				f.Add("reference", args[0])
			}
			api, err := c.client()
			if err != nil {
				return err
			}
			list, err := api.ImageList(cmd.Context(), client.ImageListOptions{All: all, Filters: f})
			if err != nil {
				return err
			}
			if format == "" {
				format = formatter.TableKey
			}
			ctx := formatter.ImageContext{
				Context: formatter.Context{Output: c.out, Format: formatter.NewImageFormat(format, quiet, digests), Trunc: !noTrunc},
				Digest:  digests,
			}
			return formatter.ImageWrite(ctx, list)
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&quiet, "quiet", "q", false, "Only show image IDs")
	fs.BoolVarP(&all, "all", "a", false, "Show all images (default hides intermediate images)")
	fs.BoolVar(&noTrunc, "no-trunc", false, "Don't truncate output")
	fs.BoolVar(&digests, "digests", false, "Show digests")
	fs.StringVar(&format, "format", "", formatHelp)
	fs.VarP(&filter, "filter", "f", "Filter output based on conditions provided")
	return cmd
}

func (c *CLI) newRmiCommand() *cobra.Command {
	var o client.ImageRemoveOptions
	cmd := &cobra.Command{
		Use:   "rmi [OPTIONS] IMAGE [IMAGE...]",
		Short: "Remove one or more images",
		Args:  minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			fatal := false
			var errs []error
			for _, img := range args {
				dels, err := api.ImageRemove(cmd.Context(), img, o)
				if err != nil {
					fatal = fatal || !errdefs.IsNotFound(err)
					errs = append(errs, err)
					continue
				}
				for _, d := range dels {
					if d.Deleted != "" {
						fmt.Fprintln(c.out, "Deleted:", d.Deleted)
					} else {
						fmt.Fprintln(c.out, "Untagged:", d.Untagged)
					}
				}
			}
			err = joinErrors(errs)
			if err != nil && o.Force && !fatal {
				fmt.Fprintln(c.errOut, err)
				return nil
			}
			return err
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&o.Force, "force", "f", false, "Force removal of the image")
	fs.BoolVar(&o.NoPrune, "no-prune", false, "Do not delete untagged parents")
	return cmd
}

func (c *CLI) newTagCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
		Short: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
		Args:  exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			return api.ImageTag(cmd.Context(), args[0], args[1])
		},
	}
	cmd.Flags().SetInterspersed(false)
	return cmd
}

func (c *CLI) newHistoryCommand() *cobra.Command {
	var human, quiet, noTrunc bool
	var format string
	cmd := &cobra.Command{
		Use:   "history [OPTIONS] IMAGE",
		Short: "Show the history of an image",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			items, err := api.ImageHistory(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if format == "" {
				format = formatter.TableKey
			}
			ctx := formatter.Context{Output: c.out, Format: formatter.NewHistoryFormat(format, quiet, human), Trunc: !noTrunc}
			return formatter.HistoryWrite(ctx, human, items)
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&human, "human", "H", true, "Print sizes and dates in human readable format")
	fs.BoolVarP(&quiet, "quiet", "q", false, "Only show image IDs")
	fs.BoolVar(&noTrunc, "no-trunc", false, "Don't truncate output")
	fs.StringVar(&format, "format", "", formatHelp)
	return cmd
}

// newNotImplementedCommand declares a docker command Berth does not offer
// yet; it accepts any arguments and fails cleanly.
func (c *CLI) newNotImplementedCommand(use, short string) *cobra.Command {
	return &cobra.Command{
		Use:                use,
		Short:              short + " (not implemented yet)",
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return errors.New(cmd.Root().Name() + " " + cmd.Name() + ": not implemented yet")
		},
	}
}

func importOptions(message, platform string, changes []string) client.ImportOptions {
	return client.ImportOptions{Message: message, Platform: platform, Changes: changes}
}
