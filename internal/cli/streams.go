package cli

import (
	"errors"
	"io"
	"os"

	"golang.org/x/term"
)

// inStream is the CLI's standard input, with what is needed to put a
// terminal in raw mode and restore it.
type inStream struct {
	io.Reader
	fd       int
	terminal bool
	state    *term.State
}

func newIn(r io.Reader) *inStream {
	in := &inStream{Reader: r, fd: -1}
	if f, ok := r.(*os.File); ok {
		in.fd = int(f.Fd())
		in.terminal = term.IsTerminal(in.fd)
	}
	return in
}

// Close closes the underlying reader when it can be closed.
func (i *inStream) Close() error {
	if c, ok := i.Reader.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// setRaw puts a terminal input in raw mode (NORAW=1 disables it, as in docker).
func (i *inStream) setRaw() error {
	if !i.terminal || os.Getenv("NORAW") != "" {
		return nil
	}
	st, err := term.MakeRaw(i.fd)
	if err != nil {
		return err
	}
	i.state = st
	return nil
}

// restore undoes setRaw.
func (i *inStream) restore() {
	if i.state != nil {
		_ = term.Restore(i.fd, i.state)
		i.state = nil
	}
}

// checkTTY refuses -it when stdin is not a terminal, with docker's message.
func (i *inStream) checkTTY(attachStdin, tty bool) error {
	if tty && attachStdin && !i.terminal {
		return errors.New("the input device is not a TTY")
	}
	return nil
}

// outStream is the CLI's standard output, with its terminal size.
type outStream struct {
	io.Writer
	fd       int
	terminal bool
}

func newOut(w io.Writer) *outStream {
	o := &outStream{Writer: w, fd: -1}
	if f, ok := w.(*os.File); ok {
		o.fd = int(f.Fd())
		o.terminal = term.IsTerminal(o.fd)
	}
	return o
}

// size returns the terminal's height and width, or zeros.
func (o *outStream) size() (height, width uint) {
	if !o.terminal {
		return 0, 0
	}
	w, h, err := term.GetSize(o.fd)
	if err != nil || w < 0 || h < 0 {
		return 0, 0
	}
	return uint(h), uint(w)
}
