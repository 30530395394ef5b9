package engine

import (
	"strconv"
	"strings"
	"syscall"

	"github.com/berthproject/berth/errdefs"
	"golang.org/x/sys/unix"
)

// parseSignal accepts "SIGTERM", "TERM", "term" or "15", as dockerd.
func parseSignal(s string) (syscall.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 || n > 64 {
			return 0, errdefs.Errorf(errdefs.ErrInvalidArgument, "Invalid signal: %s", s)
		}
		return syscall.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, errdefs.Errorf(errdefs.ErrInvalidArgument, "Invalid signal: %s", s)
}

// stopSignal is the signal that stops c: the request's, else the config's,
// else SIGTERM.
func stopSignal(requested, configured string) (syscall.Signal, error) {
	for _, s := range []string{requested, configured} {
		if s != "" {
			return parseSignal(s)
		}
	}
	return unix.SIGTERM, nil
}
