package mount

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// flagOptions maps mount(8) flag options to the flag they set (or clear).
var flagOptions = map[string]struct {
	clear bool
	flag  uintptr
}{
	"ro":          {false, unix.MS_RDONLY},
	"rw":          {true, unix.MS_RDONLY},
	"nosuid":      {false, unix.MS_NOSUID},
	"suid":        {true, unix.MS_NOSUID},
	"nodev":       {false, unix.MS_NODEV},
	"dev":         {true, unix.MS_NODEV},
	"noexec":      {false, unix.MS_NOEXEC},
	"exec":        {true, unix.MS_NOEXEC},
	"sync":        {false, unix.MS_SYNCHRONOUS},
	"async":       {true, unix.MS_SYNCHRONOUS},
	"noatime":     {false, unix.MS_NOATIME},
	"atime":       {true, unix.MS_NOATIME},
	"nodiratime":  {false, unix.MS_NODIRATIME},
	"relatime":    {false, unix.MS_RELATIME},
	"strictatime": {false, unix.MS_STRICTATIME},
	"bind":        {false, unix.MS_BIND},
	"rbind":       {false, unix.MS_BIND | unix.MS_REC},
	"remount":     {false, unix.MS_REMOUNT},
}

// parseOptions splits options into mount flags and the data string.
func parseOptions(options []string) (uintptr, string) {
	var flags uintptr
	var data []string
	for _, o := range options {
		if f, ok := flagOptions[o]; ok {
			if f.clear {
				flags &^= f.flag
			} else {
				flags |= f.flag
			}
			continue
		}
		data = append(data, o)
	}
	return flags, strings.Join(data, ",")
}

// Mount performs m on target.
func (m Mount) Mount(target string) error {
	flags, data := parseOptions(m.Options)
	typ := m.Type
	if flags&unix.MS_BIND != 0 {
		typ = ""
	}
	if err := unix.Mount(m.Source, target, typ, flags&^unix.MS_RDONLY|ifBindNot(flags), data); err != nil {
		return fmt.Errorf("mount %s (%s) on %s: %w", m.Source, m.Type, target, err)
	}
	// A bind mount ignores MS_RDONLY on the first call; remount to apply it.
	if flags&unix.MS_BIND != 0 && flags&unix.MS_RDONLY != 0 {
		rf := unix.MS_REMOUNT | unix.MS_BIND | unix.MS_RDONLY | (flags & (unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC))
		if err := unix.Mount("", target, "", rf, ""); err != nil {
			return errors.Join(fmt.Errorf("remount %s read-only: %w", target, err), unix.Unmount(target, unix.MNT_DETACH))
		}
	}
	return nil
}

// ifBindNot keeps MS_RDONLY for non-bind mounts (applied at mount time).
func ifBindNot(flags uintptr) uintptr {
	if flags&unix.MS_BIND == 0 {
		return flags & unix.MS_RDONLY
	}
	return 0
}

// All mounts every mount in order on target, undoing what it did on failure.
func All(mounts []Mount, target string) error {
	for i, m := range mounts {
		if err := m.Mount(target); err != nil {
			for range i {
				_ = unix.Unmount(target, unix.MNT_DETACH)
			}
			return err
		}
	}
	return nil
}

// UnmountAll unmounts every mount stacked on target. A target with nothing
// mounted, or that does not exist, is not an error.
func UnmountAll(target string, flags int) error {
	for {
		err := unix.Unmount(target, flags)
		switch {
		case err == nil:
			continue
		case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOENT):
			return nil
		default:
			return fmt.Errorf("unmount %s: %w", target, err)
		}
	}
}
