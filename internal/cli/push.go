package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/berthproject/berth/client"
	"github.com/spf13/cobra"
)

// pushOptions are the flags of `berth push`.
type pushOptions struct {
	all, quiet bool
	platform   string
}

func (c *CLI) newPushCommand() *cobra.Command {
	var o pushOptions
	cmd := &cobra.Command{
		Use:   "push [OPTIONS] NAME[:TAG]",
		Short: "Upload an image to a registry",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.runPush(cmd.Context(), args[0], o)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.all, "all-tags", "a", false, "Push all tags of an image to the repository")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "Suppress verbose output")
	f.StringVar(&o.platform, "platform", "", "Push a platform-specific manifest as a single-platform image to the registry")
	f.Bool("disable-content-trust", true, "Skip image signing (accepted, always true)")
	return cmd
}

// runPush is docker's runPush: "Using default tag", the progress (or,
// with --quiet, only the reference at the end).
func (c *CLI) runPush(ctx context.Context, name string, o pushOptions) error {
	if o.all && o.platform != "" {
		return errors.New("--all-tags and --platform are mutually exclusive")
	}
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
			fmt.Fprintf(c.out, "Using default tag: %s\n", ref.Tag)
		}
	}
	api, err := c.client()
	if err != nil {
		return err
	}
	body, err := api.ImagePush(ctx, ref, client.PushOptions{All: o.all, Platform: platformJSON(o.platform), RegistryAuth: c.registryAuth(ref)})
	if err != nil {
		return err
	}
	defer body.Close()
	if !o.quiet {
		return displayProgress(body, c.out, nil)
	}
	if err := displayProgress(body, io.Discard, nil); err != nil {
		return err
	}
	fmt.Fprintln(c.out, ref.String())
	return nil
}

// platformJSON is the push API's form of an os/arch[/variant] platform.
func platformJSON(p string) string {
	if p == "" {
		return ""
	}
	parts := append(strings.SplitN(p, "/", 3), "", "")
	s := fmt.Sprintf(`{"os":%q,"architecture":%q`, parts[0], parts[1])
	if parts[2] != "" {
		s += fmt.Sprintf(`,"variant":%q`, parts[2])
	}
	return s + "}"
}
