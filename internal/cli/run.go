package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/berthproject/berth/client"
	"github.com/moby/moby/api/types/container"
	"github.com/spf13/cobra"
)

// runOptions are run's own flags on top of create's.
type runOptions struct {
	detach     bool
	sigProxy   bool
	detachKeys string
}

func (c *CLI) newRunCommand() *cobra.Command {
	var o *containerOptions
	var ro runOptions
	cmd := &cobra.Command{
		Use:   "run [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create and run a new container from an image",
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
			return c.runContainer(cmd, o, &ro, req)
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&ro.detach, "detach", "d", false, "Run container in background and print container ID")
	fs.BoolVar(&ro.sigProxy, "sig-proxy", true, "Proxy received signals to the process")
	fs.StringVar(&ro.detachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	o = addContainerFlags(fs)
	return cmd
}

// runContainer is docker's run flow: create; attach and wait (at once);
// start; copy the streams; exit with the container's status.
func (c *CLI) runContainer(cmd *cobra.Command, o *containerOptions, ro *runOptions, req container.CreateRequest) error {
	ctx := cmd.Context()
	cfg := req.Config
	if ro.detach {
		if len(o.attach.values) != 0 {
			return errors.New("conflicting options: cannot specify both --attach and --detach")
		}
		cfg.AttachStdin, cfg.AttachStdout, cfg.AttachStderr, cfg.StdinOnce = false, false, false, false
	} else if err := c.in.checkTTY(cfg.AttachStdin, cfg.Tty); err != nil {
		return err
	}
	api, err := c.client()
	if err != nil {
		return err
	}
	id, err := c.createContainer(ctx, api, o, req)
	if err != nil {
		return runStatusError(err, cmd)
	}
	attach := cfg.AttachStdin || cfg.AttachStdout || cfg.AttachStderr
	if !attach {
		if err := api.ContainerStart(ctx, id); err != nil {
			return runStatusError(err, cmd)
		}
		fmt.Fprintln(c.out, id)
		return nil
	}
	if ro.sigProxy {
		defer proxySignals(ctx, api, id)()
	}
	// The streams must outlive a cancelled command context: the container
	// decides when the run ends.
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	hr, statusC, err := c.attachAndWait(sctx, api, id, cfg, o.autoRemove, ro.detachKeys)
	if err != nil {
		return runStatusError(err, cmd)
	}
	defer hr.resp.Close()
	if err := api.ContainerStart(ctx, id); err != nil {
		cancel()
		<-hr.done
		if o.autoRemove {
			<-statusC
		}
		return runStatusError(err, cmd)
	}
	if cfg.Tty && c.out.terminal {
		c.monitorTTY(sctx, api, id, false)
	}
	return c.finishRun(cancel, cfg, hr.done, statusC)
}

// finishRun waits for the streams and the exit status, as docker does.
func (c *CLI) finishRun(cancel func(), cfg *container.Config, streamDone <-chan error, statusC <-chan int) error {
	select {
	case err := <-streamDone:
		if err != nil {
			if isDetach(err) {
				return nil
			}
			return err
		}
		if status := <-statusC; status != 0 {
			return StatusError{Code: status}
		}
	case status := <-statusC:
		if !cfg.AttachStdout && !cfg.AttachStderr {
			cancel()
		}
		<-streamDone
		if status != 0 {
			return StatusError{Code: status}
		}
	}
	return nil
}

// attachment is a running stream copy of an attached container.
type attachment struct {
	resp *client.HijackedResponse
	done chan error
}

// attachAndWait opens the attach stream and the wait request concurrently
// (saving a round trip before start) and starts copying the streams.
func (c *CLI) attachAndWait(ctx context.Context, api *client.Client, id string, cfg *container.Config, autoRemove bool, detachKeys string) (*attachment, <-chan int, error) {
	type attachResult struct {
		resp *client.HijackedResponse
		err  error
	}
	ach := make(chan attachResult, 1)
	go func() {
		resp, err := api.ContainerAttach(ctx, id, client.AttachOptions{
			Stream: true, Stdin: cfg.AttachStdin, Stdout: cfg.AttachStdout, Stderr: cfg.AttachStderr, DetachKeys: detachKeys,
		})
		ach <- attachResult{resp, err}
	}()
	statusC := c.waitExit(ctx, api, id, autoRemove)
	ar := <-ach
	if ar.err != nil {
		return nil, nil, ar.err
	}
	s := &streamer{cli: c, resp: ar.resp, tty: cfg.Tty, detachKeys: detachKeys}
	if cfg.AttachStdin {
		s.in = c.in
	}
	if cfg.AttachStdout {
		s.out = c.out
	}
	if cfg.AttachStderr {
		s.err = c.errOut
		if cfg.Tty {
			s.err = c.out
		}
	}
	a := &attachment{resp: ar.resp, done: make(chan error, 1)}
	go func() { a.done <- s.stream(ctx) }()
	return a, statusC, nil
}

// waitExit sends the wait request (condition next-exit, or removed with
// --rm) and returns a channel with the exit status (125 on errors). The
// request is accepted before it returns.
func (c *CLI) waitExit(ctx context.Context, api *client.Client, id string, removed bool) <-chan int {
	cond := container.WaitConditionNextExit
	if removed {
		cond = container.WaitConditionRemoved
	}
	resC, errC := api.ContainerWait(ctx, id, cond)
	out := make(chan int, 1)
	go func() {
		select {
		case res := <-resC:
			if res.Error != nil {
				fmt.Fprintf(c.errOut, "Error waiting for container: %v\n", res.Error.Message)
				out <- 125
				return
			}
			out <- int(res.StatusCode)
		case err := <-errC:
			if !errors.Is(err, context.Canceled) {
				fmt.Fprintf(c.errOut, "error waiting for container: %v\n", err)
			}
			out <- 125
		}
	}()
	return out
}
