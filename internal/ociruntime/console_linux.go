package ociruntime

import (
	"fmt"
	"os"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// setupConsole, when process.terminal is set, opens a pty inside the
// container (so it belongs to the container's devpts), sends the master over
// the console socket (one message: the pty name as data, the fd as
// SCM_RIGHTS, like runc), and makes the slave the process's stdio and
// controlling terminal. For a new container the slave is also bound on
// /dev/console.
func setupConsole(cfg *initConfig) error {
	p := cfg.Process
	if p == nil || !p.Terminal {
		return nil
	}
	if cfg.ConsoleFd < 0 {
		return fmt.Errorf("console: process.terminal is set but there is no console socket")
	}
	master, slave, err := pty.Open()
	if err != nil {
		return fmt.Errorf("console: open pty: %w", err)
	}
	defer slave.Close()
	if cs := p.ConsoleSize; cs != nil {
		pty.Setsize(master, &pty.Winsize{Rows: uint16(cs.Height), Cols: uint16(cs.Width)})
	}
	err = unix.Sendmsg(cfg.ConsoleFd, []byte(master.Name()), unix.UnixRights(int(master.Fd())), nil, 0)
	master.Close()
	unix.Close(cfg.ConsoleFd)
	if err != nil {
		return fmt.Errorf("console: send pty master over the console socket: %w", err)
	}
	if err := unix.Fchown(int(slave.Fd()), int(p.User.UID), -1); err != nil {
		return fmt.Errorf("console: chown pty: %w", err)
	}
	if !cfg.Exec {
		if err := bindConsole(slave.Name()); err != nil {
			return err
		}
	}
	return makeCtty(slave)
}

func bindConsole(slave string) error {
	if err := makeTarget("/dev/console", false); err != nil {
		return fmt.Errorf("console: create /dev/console: %w", err)
	}
	if err := unix.Mount(slave, "/dev/console", "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("console: bind %s on /dev/console: %w", slave, err)
	}
	return nil
}

func makeCtty(slave *os.File) error {
	if _, err := unix.Setsid(); err != nil {
		return fmt.Errorf("console: setsid: %w", err)
	}
	for fd := 0; fd <= 2; fd++ {
		if err := unix.Dup3(int(slave.Fd()), fd, 0); err != nil {
			return fmt.Errorf("console: dup pty to fd %d: %w", fd, err)
		}
	}
	if err := unix.IoctlSetInt(0, unix.TIOCSCTTY, 0); err != nil {
		return fmt.Errorf("console: set controlling terminal: %w", err)
	}
	return nil
}
