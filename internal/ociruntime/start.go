package ociruntime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/logging"
	"golang.org/x/sys/unix"
)

// cmdStart: start ID
func cmdStart(ctx context.Context, g *globals, args []string) error {
	fs := newFlags("start")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", err, errdefs.ErrInvalidArgument)
	}
	id, err := oneID(fs)
	if err != nil {
		return err
	}
	c, err := loadContainer(g.root, id)
	if err != nil {
		return err
	}
	return start(ctx, c)
}

// start releases init from the exec fifo and reports whether its execve
// succeeded (see sync.go).
func start(ctx context.Context, c *Container) error {
	switch st := c.currentStatus(); st {
	case StatusCreated:
	case StatusStopped:
		return fmt.Errorf("container %q: %w: cannot start a stopped container", c.ID, errdefs.ErrConflict)
	default:
		return fmt.Errorf("container %q: %w: cannot start a %s container", c.ID, errdefs.ErrConflict, st)
	}
	f, err := openFifo(c)
	if err != nil {
		return err
	}
	logging.From(ctx).Debug("exec fifo open")
	msg, err := io.ReadAll(f)
	logging.From(ctx).Debug("exec fifo read", "bytes", len(msg))
	f.Close()
	os.Remove(c.fifoPath())
	if err != nil {
		return fmt.Errorf("container %q: read exec fifo: %w", c.ID, err)
	}
	if len(msg) == 0 {
		return fmt.Errorf("container %q: start: init exited before it was released", c.ID)
	}
	if string(msg) != "0" {
		return fmt.Errorf("container %q: start: %s", c.ID, msg[1:])
	}
	// state.json is not rewritten: the status is derived from the fifo, gone now
	logging.From(ctx).Info("container started", logging.KeyContainerID, c.ID, "pid", c.Pid)
	return nil
}

// openFifo opens the exec fifo for reading. open(2) blocks until init opens
// the write end, so it runs in a goroutine while init's liveness is polled.
func openFifo(c *Container) (*os.File, error) {
	type result struct {
		f   *os.File
		err error
	}
	done := make(chan result, 1)
	go func() {
		f, err := os.OpenFile(c.fifoPath(), os.O_RDONLY|unix.O_CLOEXEC, 0)
		done <- result{f, err}
	}()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case r := <-done:
			if r.err != nil {
				return nil, fmt.Errorf("container %q: open exec fifo: %w", c.ID, r.err)
			}
			return r.f, nil
		case <-tick.C:
			if !c.alive() {
				// unblock the goroutine's open by opening the write end ourselves
				if w, err := os.OpenFile(c.fifoPath(), os.O_WRONLY|unix.O_NONBLOCK, 0); err == nil {
					w.Close()
				}
				return nil, errors.New("container " + c.ID + ": init is not running")
			}
		}
	}
}
