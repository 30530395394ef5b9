package shim

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/berthproject/berth/errdefs"
	"golang.org/x/sys/unix"
)

// ociRuntime runs one OCI runtime binary through its runc-compatible CLI:
// `BINARY --root ROOT <command> ...`.
type ociRuntime struct {
	binary string
	root   string
	reaper *reaper
	null   *os.File
}

// captureLimit bounds what is kept of a runtime command's output.
const captureLimit = 1 << 20

// captureWait bounds how long output is read after the command exited (a
// process it left behind may still hold the pipe).
const captureWait = time.Second

// run runs the runtime with args. A nil stdio entry reads /dev/null (stdin)
// or is captured and returned (stdout, stderr). A failing command returns
// an ErrInternal error "OCI runtime <verb> failed: <its message>".
func (o ociRuntime) run(args []string, stdio [3]*os.File) ([]byte, error) {
	argv := []string{o.binary}
	if o.root != "" {
		argv = append(argv, "--root", o.root)
	}
	argv = append(argv, args...)
	if stdio[0] == nil {
		stdio[0] = o.null
	}
	var caps [3]*capture
	for i := 1; i < 3; i++ {
		if stdio[i] != nil {
			continue
		}
		c, w, err := newCapture()
		if err != nil {
			return nil, errdefs.Errorf(errdefs.ErrInternal, "runtime output pipe: %w", err)
		}
		caps[i], stdio[i] = c, w
	}
	_, wait, err := o.reaper.spawn(argv, os.Environ(), stdio)
	for i := 1; i < 3; i++ {
		if caps[i] != nil {
			stdio[i].Close() // our copy of the write end
		}
	}
	if err != nil {
		return nil, errdefs.Errorf(errdefs.ErrInternal, "OCI runtime %s failed: %w", args[0], err)
	}
	ws := <-wait
	stdout, stderr := caps[1].result(), caps[2].result()
	if ws.Exited() && ws.ExitStatus() == 0 {
		return stdout, nil
	}
	return stdout, runtimeError(args[0], stderr, ws)
}

// runtimeError is the error of a failed runtime command.
func runtimeError(verb string, stderr []byte, ws unix.WaitStatus) error {
	msg := runtimeMessage(stderr)
	if msg == "" {
		msg = fmt.Sprintf("exit status %d", exitCode(ws))
	}
	return errdefs.Errorf(errdefs.ErrInternal, "OCI runtime %s failed: %s", verb, msg)
}

// capture reads a runtime command's output pipe in the background.
type capture struct {
	r    *os.File
	done chan struct{}
	buf  bytes.Buffer
}

func newCapture() (*capture, *os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	c := &capture{r: r, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		io.Copy(&c.buf, io.LimitReader(r, captureLimit))
	}()
	return c, w, nil
}

// result waits (bounded) for the end of the output and returns it.
func (c *capture) result() []byte {
	if c == nil {
		return nil
	}
	select {
	case <-c.done:
	case <-time.After(captureWait):
		c.r.Close()
		<-c.done
	}
	c.r.Close()
	return c.buf.Bytes()
}
