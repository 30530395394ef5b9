package daemon

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/berthproject/berth/errdefs"
)

// listen opens the API listener of one -H address: unix:///path (mode 0660,
// group `group` when it exists) or tcp://host:port (loopback only unless TLS
// arrives with a later issue).
func listen(addr, group string) (net.Listener, error) {
	proto, rest, ok := strings.Cut(addr, "://")
	if !ok {
		proto, rest = "unix", addr
	}
	switch proto {
	case "unix":
		return listenUnix(rest, group)
	case "tcp":
		host, _, err := net.SplitHostPort(rest)
		if err != nil {
			return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "invalid tcp address %q: %w", addr, err)
		}
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "refusing to listen on %s without TLS: use a loopback address", addr)
		}
		return net.Listen("tcp", rest)
	}
	return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "unsupported address %q (want unix:// or tcp://)", addr)
}

func listenUnix(path, group string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	if err := removeStaleSocket(path); err != nil {
		return nil, err
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", path, err)
	}
	gid := 0
	if group != "" {
		if g, err := user.LookupGroup(group); err == nil {
			gid, _ = strconv.Atoi(g.Gid)
		}
	} else if g, err := user.LookupGroup("docker"); err == nil {
		gid, _ = strconv.Atoi(g.Gid)
	}
	if err := os.Chown(path, 0, gid); err != nil && !errors.Is(err, os.ErrPermission) {
		l.Close()
		return nil, err
	}
	if err := os.Chmod(path, 0o660); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// removeStaleSocket removes a socket nobody answers on; a live one is an error
// (another berthd runs).
func removeStaleSocket(path string) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if c, err := net.Dial("unix", path); err == nil {
		c.Close()
		return errdefs.Errorf(errdefs.ErrConflict, "another daemon is listening on %s", path)
	}
	return os.Remove(path)
}
