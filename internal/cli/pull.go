package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/berthproject/berth/client"
	"github.com/spf13/cobra"
)

// pullOptions are the flags of `berth pull`.
type pullOptions struct {
	all, quiet bool
	platform   string
}

func (c *CLI) newPullCommand() *cobra.Command {
	var o pullOptions
	cmd := &cobra.Command{
		Use:   "pull [OPTIONS] NAME[:TAG|@DIGEST]",
		Short: "Download an image from a registry",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.runPull(cmd.Context(), args[0], o)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.all, "all-tags", "a", false, "Download all tagged images in the repository")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "Suppress verbose output")
	f.StringVar(&o.platform, "platform", c.env("DOCKER_DEFAULT_PLATFORM"), "Set platform if server is multi-platform capable")
	f.Bool("disable-content-trust", true, "Skip image verification (accepted, always true)")
	return cmd
}

// runPull is docker's runPull: "Using default tag", the progress, then the
// full reference.
func (c *CLI) runPull(ctx context.Context, name string, o pullOptions) error {
	ref, err := client.ParseNormalizedNamed(name)
	if err != nil {
		return err
	}
	nameOnly := ref.Tag == "" && ref.Digest == ""
	switch {
	case o.all && !nameOnly:
		return errors.New("tag can't be used with --all-tags/-a")
	case !o.all && nameOnly:
		ref = ref.WithDefaultTag()
		if !o.quiet {
			fmt.Fprintln(c.out, "Using default tag:", ref.Tag)
		}
	}
	var out io.Writer = c.out
	if o.quiet {
		out = io.Discard
	}
	if err := c.pullImage(ctx, ref, o.all, o.platform, out); err != nil {
		return err
	}
	fmt.Fprintln(c.out, ref.String())
	return nil
}

// pullImage pulls ref through the daemon, rendering progress to out.
func (c *CLI) pullImage(ctx context.Context, ref client.Reference, all bool, platform string, out io.Writer) error {
	api, err := c.client()
	if err != nil {
		return err
	}
	body, err := api.ImagePull(ctx, ref, client.PullOptions{All: all, Platform: platform, RegistryAuth: c.registryAuth(ref)})
	if err != nil {
		return err
	}
	defer body.Close()
	return displayProgress(body, out, nil)
}
