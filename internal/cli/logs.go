package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/berthproject/berth/client"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/spf13/cobra"
)

func (c *CLI) newLogsCommand() *cobra.Command {
	var o client.LogsOptions
	var since, until string
	cmd := &cobra.Command{
		Use:   "logs [OPTIONS] CONTAINER",
		Short: "Fetch the logs of a container",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			api, err := c.client()
			if err != nil {
				return err
			}
			info, _, err := api.ContainerInspect(ctx, args[0], false)
			if err != nil {
				return err
			}
			now := time.Now()
			if since != "" {
				if o.Since, err = client.Timestamp(since, now); err != nil {
					return fmt.Errorf(`invalid value for "since": %w`, err)
				}
			}
			if until != "" {
				if o.Until, err = client.Timestamp(until, now); err != nil {
					return fmt.Errorf(`invalid value for "until": %w`, err)
				}
			}
			o.Stdout, o.Stderr = true, true
			body, err := api.ContainerLogs(ctx, info.ID, o)
			if err != nil {
				return err
			}
			defer body.Close()
			if info.Config.Tty {
				_, err = io.Copy(c.out, body)
			} else {
				_, err = stdcopy.StdCopy(c.out, c.errOut, body)
			}
			return err
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&o.Follow, "follow", "f", false, "Follow log output")
	fs.StringVar(&since, "since", "", `Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)`)
	fs.StringVar(&until, "until", "", `Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)`)
	fs.BoolVarP(&o.Timestamps, "timestamps", "t", false, "Show timestamps")
	fs.BoolVar(&o.Details, "details", false, "Show extra details provided to logs")
	fs.StringVarP(&o.Tail, "tail", "n", "all", "Number of lines to show from the end of the logs")
	return cmd
}
