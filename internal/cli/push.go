package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/berthproject/berth/client"
	"github.com/spf13/cobra"
)

func (c *CLI) newPushCommand() *cobra.Command {
	var all, quiet bool
	var platform string
	cmd := &cobra.Command{
		Use:   "push [OPTIONS] NAME[:TAG]",
		Short: "Upload an image to a registry",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if all && platform != "" {
				return errors.New("--all-tags and --platform are mutually exclusive")
			}
			ref, err := client.ParseNormalizedNamed(args[0])
			if err != nil {
				return err
			}
			nameOnly := ref.Tag == "" && ref.Digest == ""
			switch {
			case all && !nameOnly:
				return errors.New("tag can't be used with --all-tags/-a")
			case !all && nameOnly:
				ref = ref.WithDefaultTag()
				if !quiet {
					fmt.Fprintf(c.out, "Using default tag: %s\n", ref.Tag)
				}
			}
			api, err := c.client()
			if err != nil {
				return err
			}
			body, err := api.ImagePush(cmd.Context(), ref, client.PushOptions{All: all, Platform: platformJSON(platform), RegistryAuth: c.registryAuth(ref)})
			if err != nil {
				return err
			}
			defer body.Close()
			if !quiet {
				return displayProgress(body, c.out, nil)
			}
			if err := displayProgress(body, io.Discard, nil); err != nil {
				return err
			}
			fmt.Fprintln(c.out, ref.String())
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&all, "all-tags", "a", false, "Push all tags of an image to the repository")
	f.BoolVarP(&quiet, "quiet", "q", false, "Suppress verbose output")
	f.StringVar(&platform, "platform", "", "Push a platform-specific manifest as a single-platform image to the registry")
	f.Bool("disable-content-trust", true, "Skip image signing (accepted, always true)")
	return cmd
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
