package archive

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/berthproject/berth/errdefs"
	securejoin "github.com/cyphar/filepath-securejoin"
	"golang.org/x/sys/unix"
)

// Apply unpacks the uncompressed layer tar read from r into root and
// returns the layer's size as dockerd's overlay2 driver measures it (the
// apparent size of its regular files and symlinks). It reads r to
// its end, so a caller hashing r gets the digest of the whole stream. A
// malformed or hostile tar fails with errdefs.ErrInvalidArgument; root is
// then left partly written (callers apply into a snapshot they discard).
func Apply(ctx context.Context, root string, r io.Reader, opts ApplyOptions) (int64, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return 0, err
	}
	a := &applier{
		root: root, opts: opts, isRoot: os.Geteuid() == 0,
		dirs: map[string]string{}, created: map[string]bool{}, deferred: map[string]dirAttrs{},
	}
	tr := tar.NewReader(r)
	var size int64
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("read layer tar: %v: %w", err, errdefs.ErrInvalidArgument)
		}
		if err := a.entry(hdr, tr); err != nil {
			return 0, fmt.Errorf("layer entry %q: %w", hdr.Name, err)
		}
		size += entrySize(hdr)
	}
	if err := a.finishDirs(); err != nil {
		return 0, err
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		return 0, fmt.Errorf("read layer tar: %v: %w", err, errdefs.ErrInvalidArgument)
	}
	return size, nil
}

// applier holds the state of one Apply.
type applier struct {
	root   string
	opts   ApplyOptions
	isRoot bool
	// dirs caches resolved parent directories: relative path -> real path.
	dirs map[string]string
	// created records the paths this layer wrote (an opaque whiteout in
	// delete mode keeps them).
	created map[string]bool
	// deferred holds directory modes and times, set at the end: adding
	// entries changes a directory's times, and a read-only mode would stop
	// a rootless apply from filling it.
	deferred map[string]dirAttrs
	order    []string
	buf      []byte // copy buffer
}

type dirAttrs struct {
	abs          string
	mode         uint32
	atime, mtime unix.Timespec
}

func (a *applier) entry(hdr *tar.Header, tr io.Reader) error {
	if hdr.Typeflag == tar.TypeXGlobalHeader {
		return nil
	}
	rel, err := cleanName(hdr.Name)
	if err != nil {
		return err
	}
	dir, base := path.Split(rel)
	dir = path.Clean(dir)
	if strings.HasPrefix(base, whiteoutPrefix) {
		return a.whiteout(dir, base)
	}
	if rel == "." {
		if hdr.Typeflag != tar.TypeDir {
			return fmt.Errorf("the root must be a directory: %w", errdefs.ErrInvalidArgument)
		}
		return a.dirEntry(rel, a.root, hdr)
	}
	parent, err := a.parentDir(dir)
	if err != nil {
		return err
	}
	return a.create(rel, filepath.Join(parent, base), hdr, tr)
}

// create makes one entry at target, replacing whatever is there unless both
// are directories (then they merge and the entry's attributes win). It
// creates exclusively first and looks at what is there only on EEXIST,
// which saves a stat per entry in the common case of a new path.
func (a *applier) create(rel, target string, hdr *tar.Header, tr io.Reader) error {
	if hdr.Typeflag == tar.TypeChar || hdr.Typeflag == tar.TypeBlock {
		if !a.isRoot {
			return nil // device nodes need root; rootless unpack skips them, as rootless dockerd does
		}
	}
	err := a.make(target, hdr, tr)
	if errors.Is(err, fs.ErrExist) {
		fi, lerr := os.Lstat(target)
		if lerr != nil {
			return lerr
		}
		if fi.IsDir() && hdr.Typeflag == tar.TypeDir {
			return a.dirEntry(rel, target, hdr)
		}
		if err := os.RemoveAll(target); err != nil {
			return err
		}
		if fi.IsDir() || fi.Mode()&fs.ModeSymlink != 0 {
			a.forget(rel) // cached paths may lead through it
		}
		err = a.make(target, hdr, tr)
	}
	if err != nil {
		return err
	}
	a.markCreated(rel)
	switch hdr.Typeflag {
	case tar.TypeDir:
		return a.dirEntry(rel, target, hdr)
	case tar.TypeLink, tar.TypeReg, tar.TypeRegA:
		return nil // a hard link shares its inode's attributes; a file got them from its fd
	}
	return a.setAttrs(target, hdr)
}

// make creates the entry at target exclusively (fs.ErrExist if something is
// there).
func (a *applier) make(target string, hdr *tar.Header, tr io.Reader) error {
	switch hdr.Typeflag {
	case tar.TypeDir:
		return os.Mkdir(target, 0o700)
	case tar.TypeReg, tar.TypeRegA:
		return a.writeFile(target, hdr, tr)
	case tar.TypeSymlink:
		return os.Symlink(hdr.Linkname, target)
	case tar.TypeLink:
		return a.hardlink(target, hdr.Linkname)
	case tar.TypeChar, tar.TypeBlock:
		return mknod(target, hdr)
	case tar.TypeFifo:
		if err := unix.Mkfifo(target, uint32(hdr.Mode)&0o7777); err != nil {
			return &os.PathError{Op: "mkfifo", Path: target, Err: err}
		}
		return nil
	}
	return fmt.Errorf("unsupported tar entry type %q: %w", hdr.Typeflag, errdefs.ErrInvalidArgument)
}

// writeFile creates a regular file with a raw descriptor (no poller, no
// extra fcntl calls: unpack makes many files) and sets its owner and mode
// through it; times are set by path, with nanoseconds.
func (a *applier) writeFile(target string, hdr *tar.Header, r io.Reader) error {
	fd, err := unix.Open(target, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return &os.PathError{Op: "create", Path: target, Err: err}
	}
	err = a.copyTo(fd, r)
	if err == nil && a.isRoot {
		err = unix.Fchown(fd, hdr.Uid, hdr.Gid)
	}
	if err == nil {
		err = unix.Fchmod(fd, uint32(hdr.Mode)&0o7777) // after chown, which clears setuid bits
	}
	if cerr := unix.Close(fd); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", target, err)
	}
	if err := a.setXattrs(target, hdr); err != nil {
		return err
	}
	return setTimes(target, hdr)
}

// copyTo copies r into fd through the applier's buffer. A read error is
// the layer's fault (ErrInvalidArgument); a write error the host's.
func (a *applier) copyTo(fd int, r io.Reader) error {
	if a.buf == nil {
		a.buf = make([]byte, 256<<10)
	}
	for {
		n, rerr := r.Read(a.buf)
		for off := 0; off < n; {
			w, err := unix.Write(fd, a.buf[off:n])
			if err != nil {
				return err
			}
			off += w
		}
		if errors.Is(rerr, io.EOF) {
			return nil
		}
		if rerr != nil {
			return fmt.Errorf("read layer tar: %v: %w", rerr, errdefs.ErrInvalidArgument)
		}
	}
}

func mknod(target string, hdr *tar.Header) error {
	mode := uint32(hdr.Mode) & 0o7777
	if hdr.Typeflag == tar.TypeChar {
		mode |= unix.S_IFCHR
	} else {
		mode |= unix.S_IFBLK
	}
	dev := unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor))
	if err := unix.Mknod(target, mode, int(dev)); err != nil {
		return &os.PathError{Op: "mknod", Path: target, Err: err}
	}
	return nil
}

// hardlink links target to an entry already in the root. The link name is
// resolved like an entry name: it may not climb out, and symlinks in its
// directories resolve inside the root.
func (a *applier) hardlink(target, linkname string) error {
	rel, err := cleanName(linkname)
	if err != nil {
		return err
	}
	if rel == "." {
		return fmt.Errorf("hard link to the root: %w", errdefs.ErrInvalidArgument)
	}
	dir, base := path.Split(rel)
	parent, err := securejoin.SecureJoin(a.root, dir)
	if err != nil {
		return fmt.Errorf("resolve %q: %v: %w", dir, err, errdefs.ErrInvalidArgument)
	}
	old := filepath.Join(parent, base)
	fi, err := os.Lstat(old)
	if err != nil {
		return fmt.Errorf("hard link target %q is not in the layer: %w", linkname, errdefs.ErrInvalidArgument)
	}
	if fi.IsDir() {
		return fmt.Errorf("hard link to directory %q: %w", linkname, errdefs.ErrInvalidArgument)
	}
	return os.Link(old, target)
}

// dirEntry applies a directory entry's owner and xattrs now and its mode
// and times at the end.
func (a *applier) dirEntry(rel, target string, hdr *tar.Header) error {
	if err := a.setOwnerXattrs(target, hdr); err != nil {
		return err
	}
	a.deferDir(rel, dirAttrs{abs: target, mode: uint32(hdr.Mode) & 0o7777,
		atime: timespec(hdr.AccessTime, hdr.ModTime), mtime: timespec(hdr.ModTime, hdr.ModTime)})
	return nil
}

func (a *applier) deferDir(rel string, d dirAttrs) {
	if _, ok := a.deferred[rel]; !ok {
		a.order = append(a.order, rel)
	}
	a.deferred[rel] = d
}

// finishDirs sets the deferred directory modes and times, deepest last
// written first.
func (a *applier) finishDirs() error {
	for i := len(a.order) - 1; i >= 0; i-- {
		d, ok := a.deferred[a.order[i]]
		if !ok {
			continue // removed or replaced later in the layer
		}
		if err := unix.Chmod(d.abs, d.mode); err != nil {
			return &os.PathError{Op: "chmod", Path: d.abs, Err: err}
		}
		ts := []unix.Timespec{d.atime, d.mtime}
		if err := unix.UtimesNanoAt(unix.AT_FDCWD, d.abs, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return &os.PathError{Op: "utimes", Path: d.abs, Err: err}
		}
	}
	return nil
}

// markCreated records rel and its ancestors as written by this layer.
func (a *applier) markCreated(rel string) {
	for ; rel != "." && rel != "/" && !a.created[rel]; rel = path.Dir(rel) {
		a.created[rel] = true
	}
}

// forget drops what is known about rel and everything under it after it was
// removed.
func (a *applier) forget(rel string) {
	prefix := rel + "/"
	for k := range a.dirs {
		if k == rel || strings.HasPrefix(k, prefix) {
			delete(a.dirs, k)
		}
	}
	for k := range a.deferred {
		if k == rel || strings.HasPrefix(k, prefix) {
			delete(a.deferred, k)
		}
	}
}
