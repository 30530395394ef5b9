package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/berthproject/berth/client"
	"github.com/berthproject/berth/errdefs"
	"github.com/spf13/cobra"
)

// forEach runs op on every container concurrently (at most 50 at once,
// like docker) and reports each result in argument order: the name on
// stdout on success, the errors joined at the end.
func (c *CLI) forEach(ctx context.Context, names []string, op func(ctx context.Context, api *client.Client, name string) error, onErr func(error) bool) error {
	api, err := c.client()
	if err != nil {
		return err
	}
	results := make([]chan error, len(names))
	sem := make(chan struct{}, 50)
	for i, n := range names {
		results[i] = make(chan error, 1)
		go func() {
			sem <- struct{}{}
			results[i] <- op(ctx, api, n)
			<-sem
		}()
	}
	var errs []error
	for i, n := range names {
		if err := <-results[i]; err != nil {
			if onErr != nil && onErr(err) {
				continue
			}
			errs = append(errs, err)
			continue
		}
		fmt.Fprintln(c.out, n)
	}
	return joinErrors(errs)
}

func (c *CLI) newStopCommand() *cobra.Command {
	return c.newStopLike("stop", "Stop one or more running containers")
}

func (c *CLI) newRestartCommand() *cobra.Command {
	return c.newStopLike("restart", "Restart one or more containers")
}

// newStopLike builds stop and restart, which share flags.
func (c *CLI) newStopLike(verb, short string) *cobra.Command {
	var signal string
	var timeout int
	cmd := &cobra.Command{
		Use:   verb + " [OPTIONS] CONTAINER [CONTAINER...]",
		Short: short,
		Args:  minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o := client.StopOptions{Signal: signal}
			if cmd.Flags().Changed("timeout") || cmd.Flags().Changed("time") {
				o.Timeout = &timeout
			}
			op := func(ctx context.Context, api *client.Client, id string) error { return api.ContainerStop(ctx, id, o) }
			if verb == "restart" {
				return c.sequential(cmd.Context(), args, func(ctx context.Context, api *client.Client, id string) error {
					return api.ContainerRestart(ctx, id, o)
				})
			}
			return c.forEach(cmd.Context(), args, op, nil)
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&signal, "signal", "s", "", "Signal to send to the container")
	fs.IntVarP(&timeout, "timeout", "t", 0, "Seconds to wait before killing the container")
	fs.IntVar(&timeout, "time", 0, "Seconds to wait before killing the container (deprecated: use --timeout)")
	_ = fs.MarkDeprecated("time", "use --timeout instead")
	return cmd
}

// sequential is forEach one container at a time (restart, wait).
func (c *CLI) sequential(ctx context.Context, names []string, op func(ctx context.Context, api *client.Client, name string) error) error {
	api, err := c.client()
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range names {
		if err := op(ctx, api, n); err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintln(c.out, n)
	}
	return joinErrors(errs)
}

func (c *CLI) newKillCommand() *cobra.Command {
	var signal string
	cmd := &cobra.Command{
		Use:   "kill [OPTIONS] CONTAINER [CONTAINER...]",
		Short: "Kill one or more running containers",
		Args:  minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return c.forEach(cmd.Context(), args, func(ctx context.Context, api *client.Client, id string) error {
				return api.ContainerKill(ctx, id, signal)
			}, nil)
		},
	}
	cmd.Flags().StringVarP(&signal, "signal", "s", "", "Signal to send to the container")
	return cmd
}

func (c *CLI) newRmCommand() *cobra.Command { return c.newRmCommandNamed("rm") }

// newRmCommandNamed builds rm (and `container rm` with its aliases).
func (c *CLI) newRmCommandNamed(name string, aliases ...string) *cobra.Command {
	var o client.RemoveOptions
	cmd := &cobra.Command{
		Use:     name + " [OPTIONS] CONTAINER [CONTAINER...]",
		Aliases: aliases,
		Short:   "Remove one or more containers",
		Args:    minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			op := func(ctx context.Context, api *client.Client, id string) error {
				id = strings.Trim(id, "/")
				if id == "" {
					return errors.New("container name cannot be empty")
				}
				return api.ContainerRemove(ctx, id, o)
			}
			// With -f a missing container is reported but is not a failure.
			onErr := func(err error) bool {
				if o.Force && errdefs.IsNotFound(err) {
					fmt.Fprintln(c.errOut, err)
					return true
				}
				return false
			}
			return c.forEach(cmd.Context(), args, op, onErr)
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&o.RemoveVolumes, "volumes", "v", false, "Remove anonymous volumes associated with the container")
	fs.BoolVarP(&o.RemoveLinks, "link", "l", false, "Remove the specified link")
	fs.BoolVarP(&o.Force, "force", "f", false, "Force the removal of a running container (uses SIGKILL)")
	return cmd
}

func (c *CLI) newWaitCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "wait CONTAINER [CONTAINER...]",
		Short: "Block until one or more containers stop, then print their exit codes",
		Args:  minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			var errs []error
			for _, id := range args {
				resC, errC := api.ContainerWait(cmd.Context(), id, "")
				select {
				case res := <-resC:
					fmt.Fprintf(c.out, "%d\n", res.StatusCode)
				case err := <-errC:
					errs = append(errs, err)
				}
			}
			return joinErrors(errs)
		},
	}
}

func (c *CLI) newRenameCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "rename CONTAINER NEW_NAME",
		Short: "Rename a container",
		Args:  exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			oldName, newName := strings.TrimSpace(args[0]), strings.TrimSpace(args[1])
			if oldName == "" || newName == "" {
				return errors.New("Error: Neither old nor new names may be empty") //nolint:staticcheck // docker's message
			}
			api, err := c.client()
			if err != nil {
				return err
			}
			if err := api.ContainerRename(cmd.Context(), oldName, newName); err != nil {
				fmt.Fprintln(c.errOut, err)
				return fmt.Errorf("Error: failed to rename container named %s", oldName) //nolint:staticcheck // docker's message
			}
			return nil
		},
	}
}
