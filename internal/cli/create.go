package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	"github.com/berthproject/berth/client"
	"github.com/berthproject/berth/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/spf13/cobra"
)

func (c *CLI) newCreateCommand() *cobra.Command {
	var o *containerOptions
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create a new container",
		Args:  minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.image, o.args = args[0], args[1:]
			if err := validatePull(o.pull); err != nil {
				return StatusError{Status: withHelp(err, cmd).Error(), Code: 125}
			}
			req, err := o.parse(cmd.Flags())
			if err != nil {
				return StatusError{Status: withHelp(err, cmd).Error(), Code: 125}
			}
			api, err := c.client()
			if err != nil {
				return err
			}
			id, err := c.createContainer(cmd.Context(), api, o, req)
			if err != nil {
				return err
			}
			fmt.Fprintln(c.out, id)
			return nil
		},
	}
	o = addContainerFlags(cmd.Flags())
	return cmd
}

func validatePull(v string) error {
	switch v {
	case "always", "missing", "never", "":
		return nil
	}
	return fmt.Errorf("invalid pull option: '%s': must be one of \"always\", \"missing\" or \"never\"", v)
}

// createContainer is docker's createContainer: it sends the create request,
// reports a missing image like docker, writes --cidfile and prints warnings.
func (c *CLI) createContainer(ctx context.Context, api *client.Client, o *containerOptions, req container.CreateRequest) (string, error) {
	ref, named, err := client.ParseAny(o.image)
	if err != nil {
		return "", err
	}
	cid, err := newCIDFile(req.HostConfig.ContainerIDFile)
	if err != nil {
		return "", err
	}
	defer cid.close()
	if o.pull == "always" && named {
		if err := c.pullForRun(ctx, ref, o); err != nil {
			return "", err
		}
	}
	req.HostConfig.ConsoleSize[0], req.HostConfig.ConsoleSize[1] = c.out.size()
	resp, err := api.ContainerCreate(ctx, req, o.name, o.platform)
	if err != nil && errdefs.IsNotFound(err) && named && (o.pull == "missing" || o.pull == "") {
		if !o.quiet {
			fmt.Fprintf(c.errOut, "Unable to find image '%s' locally\n", ref.WithDefaultTag().FamiliarString())
		}
		if err := c.pullForRun(ctx, ref, o); err != nil {
			return "", err
		}
		resp, err = api.ContainerCreate(ctx, req, o.name, o.platform)
	}
	if err != nil {
		return "", err
	}
	for _, w := range resp.Warnings {
		fmt.Fprintln(c.errOut, "WARNING:", w)
	}
	return resp.ID, cid.write(resp.ID)
}

// pullForRun pulls the image of run/create, its progress on stderr (none
// with --quiet), as docker's pullImage.
func (c *CLI) pullForRun(ctx context.Context, ref client.Reference, o *containerOptions) error {
	var out io.Writer = c.errOut
	if o.quiet {
		out = io.Discard
	}
	return c.pullImage(ctx, ref.WithDefaultTag(), false, o.platform, out)
}

// cidFile is --cidfile: created before the container, removed again if no
// ID was written.
type cidFile struct {
	path    string
	f       *os.File
	written bool
}

func newCIDFile(path string) (*cidFile, error) {
	if path == "" {
		return &cidFile{}, nil
	}
	if _, err := os.Stat(path); err == nil {
		return nil, fmt.Errorf("container ID file found, make sure the other container isn't running or delete %s", path)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("failed to create the container ID file: %w", err)
	}
	return &cidFile{path: path, f: f}, nil
}

func (c *cidFile) write(id string) error {
	if c.f == nil {
		return nil
	}
	if _, err := c.f.WriteString(id); err != nil {
		return fmt.Errorf("failed to write the container ID to the file: %w", err)
	}
	c.written = true
	return nil
}

func (c *cidFile) close() {
	if c.f == nil {
		return
	}
	c.f.Close()
	if !c.written {
		_ = os.Remove(c.path)
	}
}

// runStatusError is docker's toStatusError: 127 when the command is not
// found, 126 when it cannot be invoked, 125 otherwise.
func runStatusError(err error, cmd *cobra.Command) error {
	msg := err.Error()
	code := 125
	switch {
	case strings.Contains(msg, "executable file not found") || strings.Contains(msg, "no such file or directory") ||
		strings.Contains(msg, "system cannot find the file specified"):
		code = 127
	case strings.Contains(msg, syscall.EACCES.Error()) || strings.Contains(msg, syscall.EISDIR.Error()):
		code = 126
	}
	var st StatusError
	if errors.As(err, &st) && st.Code != 0 && st.Status == "" {
		return err
	}
	return StatusError{Status: withHelp(err, cmd).Error(), Cause: err, Code: code}
}
