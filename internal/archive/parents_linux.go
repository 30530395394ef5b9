package archive

import (
	"archive/tar"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/berthproject/berth/errdefs"
	securejoin "github.com/cyphar/filepath-securejoin"
	"golang.org/x/sys/unix"
)

// parentDir returns the real directory for the relative directory dir,
// resolving symlinks inside the root and making missing directories.
func (a *applier) parentDir(dir string) (string, error) {
	if dir == "." {
		return a.root, nil
	}
	if p, ok := a.dirs[dir]; ok {
		return p, nil
	}
	p, err := securejoin.SecureJoin(a.root, dir)
	if err != nil {
		return "", fmt.Errorf("resolve %q: %v: %w", dir, err, errdefs.ErrInvalidArgument)
	}
	fi, err := os.Lstat(p)
	switch {
	case err == nil && !fi.IsDir():
		return "", fmt.Errorf("parent %q is not a directory: %w", dir, errdefs.ErrInvalidArgument)
	case errors.Is(err, fs.ErrNotExist):
		if err := a.mkdirs(p); err != nil {
			return "", err
		}
	case err != nil:
		return "", err
	}
	a.dirs[dir] = p
	return p, nil
}

// mkdirs makes p and its missing ancestors (all inside the root: p came
// from SecureJoin, and the missing part has no symlinks since it does not
// exist). In overlay mode each new directory copies the attributes of the
// same directory in the nearest lower layer that has one.
func (a *applier) mkdirs(p string) error {
	var missing []string
	for q := p; q != a.root; q = filepath.Dir(q) {
		if _, err := os.Lstat(q); err == nil {
			break
		}
		missing = append(missing, q)
	}
	for i := len(missing) - 1; i >= 0; i-- {
		q := missing[i]
		rel := strings.TrimPrefix(q, a.root+"/")
		if err := os.Mkdir(q, 0o755); err != nil {
			return err
		}
		if err := a.copyLowerAttrs(rel, q); err != nil {
			return err
		}
	}
	return nil
}

// copyLowerAttrs gives the new upper directory q the owner, mode and times of
// rel in the nearest lower that has it as a directory.
func (a *applier) copyLowerAttrs(rel, q string) error {
	for _, lower := range a.opts.Parents {
		var st unix.Stat_t
		if err := unix.Lstat(filepath.Join(lower, rel), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
			continue
		}
		if a.isRoot {
			if err := os.Lchown(q, int(st.Uid), int(st.Gid)); err != nil {
				return err
			}
		}
		a.deferDir(rel, dirAttrs{abs: q, mode: st.Mode & 0o7777, atime: st.Atim, mtime: st.Mtim})
		return nil
	}
	return nil
}

// setAttrs applies an entry's owner, xattrs, mode and times (for entries
// other than regular files and directories).
func (a *applier) setAttrs(target string, hdr *tar.Header) error {
	if err := a.setOwnerXattrs(target, hdr); err != nil {
		return err
	}
	if hdr.Typeflag != tar.TypeSymlink {
		// After chown, which clears setuid and setgid bits.
		if err := unix.Chmod(target, uint32(hdr.Mode)&0o7777); err != nil {
			return &os.PathError{Op: "chmod", Path: target, Err: err}
		}
	}
	return setTimes(target, hdr)
}

func setTimes(target string, hdr *tar.Header) error {
	ts := []unix.Timespec{timespec(hdr.AccessTime, hdr.ModTime), timespec(hdr.ModTime, hdr.ModTime)}
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, target, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "utimes", Path: target, Err: err}
	}
	return nil
}

const paxXattr = "SCHILY.xattr."

// setOwnerXattrs chowns target (as root) and sets the entry's xattrs.
func (a *applier) setOwnerXattrs(target string, hdr *tar.Header) error {
	if a.isRoot {
		if err := os.Lchown(target, hdr.Uid, hdr.Gid); err != nil {
			return err
		}
	}
	return a.setXattrs(target, hdr)
}

// setXattrs sets the entry's xattrs, except overlay's own, which a layer
// must not forge.
func (a *applier) setXattrs(target string, hdr *tar.Header) error {
	for k, v := range hdr.PAXRecords {
		name, ok := strings.CutPrefix(k, paxXattr)
		if !ok || isOverlayXattr(name) {
			continue
		}
		err := unix.Lsetxattr(target, name, []byte(v), 0)
		if err != nil && !errors.Is(err, unix.ENOTSUP) && !errors.Is(err, unix.EPERM) {
			return &os.PathError{Op: "setxattr " + name, Path: target, Err: err}
		}
	}
	return nil
}

func isOverlayXattr(name string) bool {
	return strings.HasPrefix(name, "trusted.overlay.") || strings.HasPrefix(name, "user.overlay.")
}

// timespec converts t (or fallback when t is zero) for utimensat.
func timespec(t, fallback time.Time) unix.Timespec {
	if t.IsZero() {
		t = fallback
	}
	if t.IsZero() {
		return unix.Timespec{Nsec: unix.UTIME_OMIT}
	}
	return unix.NsecToTimespec(t.UnixNano())
}
