package pid1

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// Main runs berth-init with its arguments (after the program name):
// `[--] COMMAND [ARG...]`. It returns the exit code.
func Main(args []string, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: berth-init [--] COMMAND [ARG...]")
		return 1
	}
	return Run(args, stderr)
}

// Run starts argv as the child, forwards signals to it and reaps every
// process until the child exits; it returns the child's exit code (126 or
// 127 when it could not be started, as tini).
func Run(argv []string, stderr io.Writer) int {
	if os.Getpid() != 1 {
		_ = unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	}
	sigs := make(chan os.Signal, 64)
	signal.Notify(sigs) // before the fork: no SIGCHLD is missed
	child, err := spawn(argv)
	if err != nil {
		fmt.Fprintf(stderr, "berth-init: exec %s failed: %v\n", argv[0], err)
		if errors.Is(err, os.ErrPermission) {
			return 126
		}
		return 127
	}
	for s := range sigs {
		sig, ok := s.(syscall.Signal)
		if !ok {
			continue
		}
		switch sig {
		case unix.SIGCHLD:
			if code, done := reap(child); done {
				return code
			}
		case unix.SIGURG, unix.SIGTTIN, unix.SIGTTOU:
			// The Go runtime's preemption signal, and the terminal's stops
			// for init's own background I/O: not for the child (tini
			// does not forward the last two either).
		default:
			_ = unix.Kill(child, sig)
		}
	}
	return 0
}

// spawn starts argv[0] (looked up in PATH) in its own process group, in
// the terminal's foreground when stdin is one.
func spawn(argv []string) (int, error) {
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return 0, err
	}
	attr := &syscall.SysProcAttr{Setpgid: true}
	if _, err := unix.IoctlGetTermios(0, unix.TCGETS); err == nil {
		attr.Foreground, attr.Ctty = true, 0
	}
	return syscall.ForkExec(path, argv, &syscall.ProcAttr{
		Env: os.Environ(), Files: []uintptr{0, 1, 2}, Sys: attr,
	})
}

// reap collects every exited process; done is set when child was one of
// them, with its exit code.
func reap(child int) (code int, done bool) {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil || pid <= 0 {
			return code, done
		}
		if pid == child {
			code, done = exitCode(ws), true
		}
	}
}

func exitCode(ws unix.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}
