package shim

import (
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// consoleSocket receives a terminal's master from the OCI runtime: the
// runtime connects to it (--console-socket) and sends the master as one fd
// in an SCM_RIGHTS message, as runc does.
type consoleSocket struct {
	path string
	ln   *net.UnixListener
	res  chan consoleResult
	// taken is set once master consumed the result.
	taken bool
}

type consoleResult struct {
	f   *os.File
	err error
}

// consoleWait bounds how long the runtime may take to send the master.
const consoleWait = 30 * time.Second

func newConsoleSocket(path string) (*consoleSocket, error) {
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("console socket: %w", err)
	}
	ln.SetUnlinkOnClose(true)
	s := &consoleSocket{path: path, ln: ln, res: make(chan consoleResult, 1)}
	go func() {
		f, err := s.receive()
		s.res <- consoleResult{f, err}
	}()
	return s, nil
}

func (s *consoleSocket) receive() (*os.File, error) {
	s.ln.SetDeadline(time.Now().Add(consoleWait))
	c, err := s.ln.AcceptUnix()
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(consoleWait))
	buf := make([]byte, 4096) // the runtime sends the pty's name as data
	oob := make([]byte, unix.CmsgSpace(4))
	_, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, err
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return nil, errors.Join(errors.New("console socket: expected one control message"), err)
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		for _, fd := range fds {
			unix.Close(fd)
		}
		return nil, errors.Join(errors.New("console socket: expected one fd"), err)
	}
	unix.CloseOnExec(fds[0])
	return ours(fds[0], "console"), nil
}

// master returns the received master (after the runtime command returned).
func (s *consoleSocket) master() (*os.File, error) {
	select {
	case r := <-s.res:
		s.taken = true
		return r.f, r.err
	case <-time.After(consoleWait):
		return nil, errors.New("console socket: the runtime sent no terminal")
	}
}

// close stops listening and removes the socket; a master received but not
// taken is closed.
func (s *consoleSocket) close() {
	s.ln.Close()
	if s.taken {
		return
	}
	go func() { // the receiver ends now that the listener is closed
		if r := <-s.res; r.f != nil {
			r.f.Close()
		}
	}()
}
