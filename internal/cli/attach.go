package cli

import (
	"context"
	"errors"

	"github.com/berthproject/berth/client"
	"github.com/moby/moby/api/types/container"
	"github.com/spf13/cobra"
)

func (c *CLI) newAttachCommand() *cobra.Command {
	var noStdin, sigProxy bool
	var detachKeys string
	cmd := &cobra.Command{
		Use:   "attach [OPTIONS] CONTAINER",
		Short: "Attach local standard input, output, and error streams to a running container",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			return c.attach(cmd.Context(), api, args[0], noStdin, sigProxy, detachKeys)
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&noStdin, "no-stdin", false, "Do not attach STDIN")
	fs.BoolVar(&sigProxy, "sig-proxy", true, "Proxy all received signals to the process")
	fs.StringVar(&detachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	return cmd
}

func (c *CLI) attach(ctx context.Context, api *client.Client, ref string, noStdin, sigProxy bool, detachKeys string) error {
	resC, errC := api.ContainerWait(context.WithoutCancel(ctx), ref, "")
	info, err := inspectRunning(ctx, api, ref)
	if err != nil {
		return err
	}
	if err := c.in.checkTTY(!noStdin, info.Config.Tty); err != nil {
		return err
	}
	stdin := !noStdin && info.Config.OpenStdin
	if sigProxy && !info.Config.Tty {
		defer proxySignals(ctx, api, info.ID)()
	}
	resp, err := api.ContainerAttach(ctx, ref, client.AttachOptions{Stream: true, Stdin: stdin, Stdout: true, Stderr: true, DetachKeys: detachKeys})
	if err != nil {
		return err
	}
	defer resp.Close()
	if _, err := inspectRunning(ctx, api, ref); err != nil {
		return err
	}
	if info.Config.Tty && c.out.terminal {
		c.monitorTTY(ctx, api, info.ID, false)
	}
	s := &streamer{cli: c, resp: resp, out: c.out, err: c.errOut, tty: info.Config.Tty, detachKeys: detachKeys}
	if stdin {
		s.in = c.in
	}
	if err := s.stream(ctx); err != nil {
		if isDetach(err) {
			return nil
		}
		if !errors.Is(err, context.Canceled) {
			return err
		}
	}
	select {
	case res := <-resC:
		if res.Error != nil {
			return errors.New(res.Error.Message)
		}
		if res.StatusCode != 0 {
			return StatusError{Code: int(res.StatusCode)}
		}
	case err := <-errC:
		return err
	}
	return nil
}

// inspectRunning inspects a container and refuses one that is not running,
// with docker's messages.
func inspectRunning(ctx context.Context, api *client.Client, ref string) (container.InspectResponse, error) {
	info, _, err := api.ContainerInspect(ctx, ref, false)
	if err != nil {
		return info, err
	}
	switch {
	case !info.State.Running:
		return info, errors.New("You cannot attach to a stopped container, start it first") //nolint:staticcheck // docker's message
	case info.State.Paused:
		return info, errors.New("You cannot attach to a paused container, unpause it first") //nolint:staticcheck // docker's message
	case info.State.Restarting:
		return info, errors.New("You cannot attach to a restarting container, wait until it is running") //nolint:staticcheck // docker's message
	}
	return info, nil
}
