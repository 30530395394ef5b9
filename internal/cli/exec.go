package cli

import (
	"context"
	"errors"
	"os"

	"github.com/berthproject/berth/client"
	"github.com/moby/moby/api/types/container"
	"github.com/spf13/cobra"
)

type execOptions struct {
	detach, interactive, tty, privileged bool
	user, workdir, detachKeys            string
	env, envFile                         listOpt
}

func (c *CLI) newExecCommand() *cobra.Command {
	o := &execOptions{}
	o.env.validate = validateEnv
	cmd := &cobra.Command{
		Use:   "exec [OPTIONS] CONTAINER COMMAND [ARG...]",
		Short: "Execute a command in a running container",
		Args:  minArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := c.client()
			if err != nil {
				return err
			}
			return c.exec(cmd.Context(), api, args[0], args[1:], o)
		},
	}
	fs := cmd.Flags()
	fs.SetInterspersed(false)
	fs.StringVar(&o.detachKeys, "detach-keys", "", "Override the key sequence for detaching a container")
	fs.BoolVarP(&o.interactive, "interactive", "i", false, "Keep STDIN open even if not attached")
	fs.BoolVarP(&o.tty, "tty", "t", false, "Allocate a pseudo-TTY")
	fs.BoolVarP(&o.detach, "detach", "d", false, "Detached mode: run command in the background")
	fs.StringVarP(&o.user, "user", "u", "", `Username or UID (format: "<name|uid>[:<group|gid>]")`)
	fs.BoolVar(&o.privileged, "privileged", false, "Give extended privileges to the command")
	fs.VarP(&o.env, "env", "e", "Set environment variables")
	fs.Var(&o.envFile, "env-file", "Read in a file of environment variables")
	fs.StringVarP(&o.workdir, "workdir", "w", "", "Working directory inside the container")
	return cmd
}

func (c *CLI) exec(ctx context.Context, api *client.Client, ref string, args []string, o *execOptions) error {
	env, err := readKVFiles(o.envFile.values, o.env.values, os.LookupEnv)
	if err != nil {
		return err
	}
	req := container.ExecCreateRequest{
		User: o.user, Privileged: o.privileged, Tty: o.tty, Cmd: args, WorkingDir: o.workdir, Env: env, DetachKeys: o.detachKeys,
	}
	if !o.detach {
		req.AttachStdout, req.AttachStderr, req.AttachStdin = true, true, o.interactive
		if err := c.in.checkTTY(req.AttachStdin, req.Tty); err != nil {
			return err
		}
	}
	if o.tty {
		h, w := c.out.size()
		req.ConsoleSize = &[2]uint{h, w}
	}
	created, err := api.ExecCreate(ctx, ref, req)
	if err != nil {
		return err
	}
	if created.ID == "" {
		return errors.New("exec ID empty")
	}
	start := container.ExecStartRequest{Detach: o.detach, Tty: o.tty, ConsoleSize: req.ConsoleSize}
	if o.detach {
		return api.ExecStart(ctx, created.ID, start)
	}
	resp, err := api.ExecAttach(ctx, created.ID, start)
	if err != nil {
		return err
	}
	defer resp.Close()
	s := &streamer{cli: c, resp: resp, out: c.out, err: c.errOut, tty: o.tty, detachKeys: o.detachKeys}
	if o.tty {
		s.err = c.out
	}
	if req.AttachStdin {
		s.in = c.in
	}
	done := make(chan error, 1)
	go func() { done <- s.stream(ctx) }()
	if o.tty && c.in.terminal {
		c.monitorTTY(ctx, api, created.ID, true)
	}
	if err := <-done; err != nil {
		return err
	}
	st, err := api.ExecInspect(ctx, created.ID)
	if err != nil {
		if client.IsConnectError(err) {
			return StatusError{Code: -1}
		}
		return err
	}
	if st.ExitCode != nil && *st.ExitCode != 0 {
		return StatusError{Code: *st.ExitCode}
	}
	return nil
}
