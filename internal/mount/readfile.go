package mount

import (
	"errors"
	"fmt"
	"strings"
)

// maxReadFile bounds what ReadFile reads: it serves small configuration
// files (/etc/passwd, /etc/group) and a container controls their size.
const maxReadFile = 32 << 20

// layers returns the directories of the layered view described by mounts,
// topmost first: one bind mount is its source; one overlay mount is its
// upperdir (if any) then its lowerdirs in order.
func layers(mounts []Mount) ([]string, error) {
	if len(mounts) != 1 {
		return nil, fmt.Errorf("read from %d mounts: %w", len(mounts), errors.ErrUnsupported)
	}
	m := mounts[0]
	switch m.Type {
	case "bind", "rbind":
		return []string{m.Source}, nil
	case "overlay":
		var upper string
		var lowers []string
		for _, o := range m.Options {
			if v, ok := strings.CutPrefix(o, "upperdir="); ok {
				upper = v
			}
			if v, ok := strings.CutPrefix(o, "lowerdir="); ok {
				lowers = strings.Split(v, ":")
			}
		}
		if len(lowers) == 0 {
			return nil, fmt.Errorf("overlay mount without lowerdir: %w", errors.ErrUnsupported)
		}
		if upper != "" {
			return append([]string{upper}, lowers...), nil
		}
		return lowers, nil
	}
	return nil, fmt.Errorf("read from a %q mount: %w", m.Type, errors.ErrUnsupported)
}
