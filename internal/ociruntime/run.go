package ociruntime

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/logging"
	"golang.org/x/sys/unix"
)

// cmdRun: run [-b DIR] [--pid-file F] [--console-socket S] [--no-pivot] [-d|--detach] ID
//
// create + start. Without --detach it forwards signals to the container's
// init, waits for it, deletes the container and exits with its exit code
// (128+N when killed by signal N).
func cmdRun(ctx context.Context, g *globals, args []string) error {
	fs := newFlags("run")
	var o createOpts
	o.register(fs)
	detach := fs.Bool("detach", false, "return once the container runs")
	fs.BoolVar(detach, "d", false, "return once the container runs")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", err, errdefs.ErrInvalidArgument)
	}
	id, err := oneID(fs)
	if err != nil {
		return err
	}
	c, ch, err := create(ctx, g, id, o)
	if err != nil {
		return err
	}
	var stop func()
	if !*detach {
		stop = forwardSignals(ch.pid)
		defer stop()
	}
	if err := start(ctx, c); err != nil {
		destroy(context.WithoutCancel(ctx), c)
		return err
	}
	if *detach {
		return nil
	}
	ws, err := ch.wait()
	logging.From(ctx).Debug("init exited")
	stop()
	if derr := destroy(context.WithoutCancel(ctx), c); derr != nil && err == nil {
		err = derr
	}
	if err != nil {
		return fmt.Errorf("container %q: wait: %w", id, err)
	}
	return exitError{code: exitCode(ws)}
}

// exitCode is the shell convention: the exit status, or 128+signal.
func exitCode(ws unix.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// forwarded are the signals relayed to a foreground container. Not all of
// them, as runc does: signal.Notify of every signal costs 2-3 ms of
// sigaction calls, a tenth of a whole `run`.
var forwarded = []os.Signal{
	unix.SIGHUP, unix.SIGINT, unix.SIGQUIT, unix.SIGTERM, unix.SIGUSR1, unix.SIGUSR2,
	unix.SIGWINCH, unix.SIGALRM, unix.SIGCONT, unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU,
}

// forwardSignals relays the signals this process receives to pid, until the
// returned function is called.
func forwardSignals(pid int) func() {
	sigc := make(chan os.Signal, 32)
	signal.Notify(sigc, forwarded...)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigc:
				unix.Kill(pid, s.(unix.Signal))
			case <-done:
				return
			}
		}
	}()
	var stopped bool
	return func() {
		if !stopped {
			stopped = true
			signal.Stop(sigc)
			close(done)
		}
	}
}
