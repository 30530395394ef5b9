package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/berthproject/berth/client"
	"github.com/spf13/cobra"
)

func (c *CLI) newStartCommand() *cobra.Command {
	var attach, interactive bool
	var detachKeys string
	cmd := &cobra.Command{
		Use:   "start [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Start one or more stopped containers",
		Args:  minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			if attach || interactive {
				if len(args) > 1 {
					return errors.New("you cannot start and attach multiple containers at once")
				}
				return c.startAttached(cmd.Context(), api, args[0], interactive, detachKeys)
			}
			var failed []string
			for _, id := range args {
				if err := api.ContainerStart(cmd.Context(), id); err != nil {
					fmt.Fprintln(c.errOut, err)
					failed = append(failed, id)
					continue
				}
				fmt.Fprintln(c.out, id)
			}
			if len(failed) > 0 {
				return fmt.Errorf("Error: failed to start containers: %s", strings.Join(failed, ", ")) //nolint:staticcheck // docker's message
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&attach, "attach", "a", false, "Attach STDOUT/STDERR and forward signals")
	fs.BoolVarP(&interactive, "interactive", "i", false, "Attach container's STDIN")
	fs.StringVar(&detachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	return cmd
}

// startAttached is `start -a [-i]`: attach, wait, start, stream, exit with
// the container's status.
func (c *CLI) startAttached(ctx context.Context, api *client.Client, ref string, interactive bool, detachKeys string) error {
	info, _, err := api.ContainerInspect(ctx, ref, false)
	if err != nil {
		return err
	}
	if !info.Config.Tty {
		defer proxySignals(ctx, api, info.ID)()
	}
	cfg := *info.Config
	cfg.AttachStdin = interactive && info.Config.OpenStdin
	cfg.AttachStdout, cfg.AttachStderr = true, true
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	a, statusC, err := c.attachAndWait(sctx, api, info.ID, &cfg, info.HostConfig.AutoRemove, detachKeys)
	if err != nil {
		return err
	}
	defer a.resp.Close()
	if err := api.ContainerStart(ctx, info.ID); err != nil {
		cancel()
		<-a.done
		return err
	}
	if cfg.Tty && c.out.terminal {
		c.monitorTTY(sctx, api, info.ID, false)
	}
	if err := <-a.done; err != nil {
		if isDetach(err) {
			return nil
		}
		return err
	}
	if status := <-statusC; status != 0 {
		return StatusError{Code: status}
	}
	return nil
}
