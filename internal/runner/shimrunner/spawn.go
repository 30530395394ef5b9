package shimrunner

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/shim"
)

// spawnWait bounds how long a new monitor may take to answer.
const spawnWait = 10 * time.Second

// dialOrSpawn connects to the monitor, starting one when none answers.
func (r *Runner) dialOrSpawn(ctx context.Context) (*net.UnixConn, error) {
	if c, err := r.dial(ctx); err == nil {
		return c, nil
	}
	exited, err := r.spawn()
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(spawnWait)
	for {
		c, err := r.dial(ctx)
		if err == nil {
			return c, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case err := <-exited:
			// Exit code 3: another monitor won the race for the root; it
			// answers soon. Anything else is a failure.
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 3 {
				return nil, errdefs.Errorf(errdefs.ErrUnavailable, "monitor exited at start (%v); see %s",
					err, filepath.Join(r.opts.Root, shim.LogName))
			}
			exited = nil
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, unavailable("start", fmt.Errorf("no answer on %s after %v", r.sock, spawnWait))
		}
	}
}

// spawn starts a detached monitor: its own session and process group (so a
// signal to berthd's group, even SIGKILL, does not reach it), stdio to
// monitor.log. The returned channel gets its exit if it exits while we run.
func (r *Runner) spawn() (<-chan error, error) {
	if err := os.MkdirAll(r.opts.Root, 0o711); err != nil {
		return nil, errdefs.Errorf(errdefs.ErrInternal, "monitor root: %w", err)
	}
	logf, err := os.OpenFile(filepath.Join(r.opts.Root, shim.LogName), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, errdefs.Errorf(errdefs.ErrInternal, "monitor log: %w", err)
	}
	defer logf.Close()
	args := []string{shim.Command, "--root", r.opts.Root}
	if r.opts.Debug {
		args = append(args, "--debug")
	}
	cmd := exec.Command(r.opts.Binary, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, errdefs.Errorf(errdefs.ErrInternal, "start monitor: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }() // reap it whenever it exits
	return exited, nil
}
