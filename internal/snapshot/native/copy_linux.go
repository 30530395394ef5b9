package native

import (
	"context"
	"errors"
	"fmt"
	"github.com/berthproject/berth/internal/archive"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"golang.org/x/sys/unix"
)

// copyTree copies the tree at src into the existing directory dst, keeping
// modes, ownership (as root), extended attributes, times, hard links,
// symlinks, FIFOs and (as root) device nodes.
func copyTree(ctx context.Context, src, dst string) error {
	c := copier{links: map[inode]string{}, root: os.Geteuid() == 0}
	var dirs []string
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			dirs = append(dirs, rel)
			if rel == "." {
				return nil
			}
			return os.Mkdir(target, 0o700)
		}
		return c.copyEntry(path, target)
	})
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	// Directory attributes last, deepest first: adding entries changes a
	// directory's times, and a read-only mode would block its children.
	slices.Reverse(dirs)
	for _, rel := range dirs {
		var st unix.Stat_t
		if err := unix.Lstat(filepath.Join(src, rel), &st); err != nil {
			return fmt.Errorf("copy %s: %w", src, err)
		}
		if err := c.copyAttrs(filepath.Join(src, rel), filepath.Join(dst, rel), &st); err != nil {
			return fmt.Errorf("copy %s: %w", src, err)
		}
	}
	return nil
}

type inode struct{ dev, ino uint64 }

type copier struct {
	links map[inode]string // first copy of each multiply-linked inode
	root  bool
}

// copyEntry copies one non-directory entry.
func (c *copier) copyEntry(src, dst string) error {
	var st unix.Stat_t
	if err := unix.Lstat(src, &st); err != nil {
		return err
	}
	if st.Nlink > 1 {
		k := inode{st.Dev, st.Ino}
		if first, ok := c.links[k]; ok {
			return os.Link(first, dst)
		}
		c.links[k] = dst
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		if err := copyFile(src, dst); err != nil {
			return err
		}
	case unix.S_IFLNK:
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		if err := os.Symlink(target, dst); err != nil {
			return err
		}
	case unix.S_IFCHR, unix.S_IFBLK:
		if !c.root {
			return nil // device nodes need root; rootless copies skip them
		}
		if err := unix.Mknod(dst, st.Mode, int(st.Rdev)); err != nil {
			return &os.PathError{Op: "mknod", Path: dst, Err: err}
		}
	case unix.S_IFIFO:
		if err := unix.Mkfifo(dst, st.Mode&0o7777); err != nil {
			return &os.PathError{Op: "mkfifo", Path: dst, Err: err}
		}
	default:
		return nil // sockets are not copied
	}
	return c.copyAttrs(src, dst, &st)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in) // copy_file_range where the filesystem allows
	return errors.Join(err, out.Close())
}

// copyAttrs copies ownership, mode, xattrs and times from src to dst.
func (c *copier) copyAttrs(src, dst string, st *unix.Stat_t) error {
	isLink := st.Mode&unix.S_IFMT == unix.S_IFLNK
	if c.root {
		if err := os.Lchown(dst, int(st.Uid), int(st.Gid)); err != nil {
			return err
		}
	}
	if !isLink {
		// After chown, which clears setuid/setgid bits.
		if err := unix.Chmod(dst, st.Mode&0o7777); err != nil {
			return &os.PathError{Op: "chmod", Path: dst, Err: err}
		}
	}
	if err := c.copyXattrs(src, dst); err != nil {
		return err
	}
	ts := []unix.Timespec{st.Atim, st.Mtim}
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, dst, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "utimes", Path: dst, Err: err}
	}
	return nil
}

func (c *copier) copyXattrs(src, dst string) error {
	names, err := archive.ListXattrs(src)
	if err != nil {
		return err
	}
	for _, name := range names {
		val, err := archive.GetXattr(src, name)
		if err != nil {
			return err
		}
		if err := unix.Lsetxattr(dst, name, val, 0); err != nil {
			if !c.root && (errors.Is(err, unix.EPERM) || errors.Is(err, unix.ENOTSUP)) {
				continue // trusted.* and security.* need root
			}
			return &os.PathError{Op: "setxattr " + name, Path: dst, Err: err}
		}
	}
	return nil
}
