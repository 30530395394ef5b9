package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/moby/client/pkg/jsonmessage"
	"github.com/spf13/cobra"
)

// displayJSON renders a progress stream (load, import) like docker.
func (c *CLI) displayJSON(body io.Reader) error {
	return jsonmessage.DisplayJSONMessagesStream(body, c.out, uintptr(c.out.fd), c.out.terminal, nil)
}

func (c *CLI) newLoadCommand() *cobra.Command {
	var input string
	var quiet bool
	cmd := &cobra.Command{
		Use:   "load [OPTIONS]",
		Short: "Load an image from a tar archive or STDIN",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var in io.Reader = c.in
			if input == "" {
				if c.in.terminal {
					return errors.New("requested load from stdin, but stdin is empty")
				}
			} else {
				f, err := os.Open(input)
				if err != nil {
					return err
				}
				defer f.Close()
				in = f
			}
			api, err := c.client()
			if err != nil {
				return err
			}
			resp, err := api.ImageLoad(cmd.Context(), in, quiet || !c.out.terminal)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if resp.JSON {
				return c.displayJSON(resp.Body)
			}
			_, err = io.Copy(c.out, resp.Body)
			return err
		},
	}
	cmd.Flags().StringVarP(&input, "input", "i", "", "Read from tar archive file, instead of STDIN")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "Suppress the load output")
	return cmd
}

func (c *CLI) newSaveCommand() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "save [OPTIONS] IMAGE [IMAGE...]",
		Short: "Save one or more images to a tar archive (streamed to STDOUT by default)",
		Args:  minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output == "" && c.out.terminal {
				return errors.New("cowardly refusing to save to a terminal. Use the -o flag or redirect")
			}
			api, err := c.client()
			if err != nil {
				return err
			}
			return c.save(cmd.Context(), args, output, func() (io.ReadCloser, error) { return api.ImageSave(cmd.Context(), args) })
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "Write to a file, instead of STDOUT")
	return cmd
}

// save copies the archive to stdout, or atomically to the -o file (a
// temporary file renamed into place once complete).
func (c *CLI) save(_ context.Context, _ []string, output string, open func() (io.ReadCloser, error)) error {
	var tmp *os.File
	var w io.Writer = c.out
	if output != "" {
		var err error
		tmp, err = os.CreateTemp(filepath.Dir(output), ".tmp-"+filepath.Base(output))
		if err != nil {
			return fmt.Errorf("failed to save image: %w", err)
		}
		defer os.Remove(tmp.Name())
		defer tmp.Close()
		w = tmp
	}
	body, err := open()
	if err != nil {
		return err
	}
	defer body.Close()
	if _, err := io.Copy(w, body); err != nil {
		return err
	}
	if tmp == nil {
		return nil
	}
	if err := tmp.Chmod(0o600); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), output)
}

func (c *CLI) newImportCommand() *cobra.Command {
	var changes listOpt
	var message, platform string
	cmd := &cobra.Command{
		Use:   "import [OPTIONS] file|URL|- [REPOSITORY[:TAG]]",
		Short: "Import the contents from a tarball to create a filesystem image",
		Args:  rangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, ref := args[0], ""
			if len(args) == 2 {
				ref = args[1]
			}
			var in io.Reader
			switch {
			case src == "-":
				in = c.in
			case strings.HasPrefix(src, "http://"), strings.HasPrefix(src, "https://"):
			default:
				f, err := os.Open(src)
				if err != nil {
					return err
				}
				defer f.Close()
				in = f
			}
			api, err := c.client()
			if err != nil {
				return err
			}
			body, err := api.ImageImport(cmd.Context(), in, src, ref, importOptions(message, platform, changes.values))
			if err != nil {
				return err
			}
			defer body.Close()
			return c.displayJSON(body)
		},
	}
	fs := cmd.Flags()
	fs.VarP(&changes, "change", "c", "Apply Dockerfile instruction to the created image")
	fs.StringVarP(&message, "message", "m", "", "Set commit message for imported image")
	fs.StringVar(&platform, "platform", "", "Set platform if server is multi-platform capable")
	return cmd
}
