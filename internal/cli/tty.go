package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/berthproject/berth/client"
	"github.com/berthproject/berth/internal/logging"
)

// resizeTTY sends the terminal's size for a container (or an exec).
func (c *CLI) resizeTTY(ctx context.Context, api *client.Client, id string, exec bool) error {
	h, w := c.out.size()
	if h == 0 && w == 0 {
		return nil
	}
	if exec {
		return api.ExecResize(ctx, id, h, w)
	}
	return api.ContainerResize(ctx, id, h, w)
}

// monitorTTY sends the size now (retrying briefly: the process may not be
// up yet) and again on every SIGWINCH, until ctx ends.
func (c *CLI) monitorTTY(ctx context.Context, api *client.Client, id string, exec bool) {
	if err := c.resizeTTY(ctx, api, id, exec); err != nil {
		go func() {
			for retry := range 10 {
				time.Sleep(time.Duration(retry+1) * 10 * time.Millisecond)
				if err = c.resizeTTY(ctx, api, id, exec); err == nil {
					return
				}
			}
			fmt.Fprintln(c.errOut, "failed to resize tty, using default size")
		}()
	}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGWINCH)
	go func() {
		defer signal.Stop(ch)
		for {
			select {
			case <-ch:
				_ = c.resizeTTY(ctx, api, id, exec)
			case <-ctx.Done():
				return
			}
		}
	}()
}

// proxySignals forwards the signals the CLI receives to the container
// (docker's --sig-proxy), until the returned stop function is called.
func proxySignals(ctx context.Context, api *client.Client, id string) func() {
	ch := make(chan os.Signal, 32)
	signal.Notify(ch)
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	go func() {
		for {
			select {
			case s := <-ch:
				sig, ok := s.(syscall.Signal)
				if !ok || sig == syscall.SIGCHLD || sig == syscall.SIGPIPE || sig == syscall.SIGURG || sig == syscall.SIGWINCH {
					continue
				}
				if err := api.ContainerKill(ctx, id, strconv.Itoa(int(sig))); err != nil {
					logging.From(ctx).Debug("error sending signal", logging.Err(err))
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() { signal.Stop(ch); cancel() }
}
