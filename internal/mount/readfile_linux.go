package mount

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// ReadFile reads the regular file at p (an absolute path inside the
// container) from the root filesystem that mounts describe, without
// mounting anything: for one bind mount it reads below the source; for one
// overlay mount it looks in the upperdir, then each lowerdir in order,
// honouring whiteouts (0:0 character devices) and opaque directories, the
// way overlayfs merges them. Symlinks are resolved inside the layered view
// ("/" is its root; ".." stops there), never on the host.
//
// The walk uses directory file descriptors and O_NOFOLLOW at every step,
// so a running container that swaps a directory for a symlink cannot make
// it read a host file. A missing file is fs.ErrNotExist; a file that is not
// regular, or larger than 32 MiB, is an error; other mount shapes fail with
// errors.ErrUnsupported.
func ReadFile(mounts []Mount, p string) ([]byte, error) {
	dirs, err := layers(mounts)
	if err != nil {
		return nil, err
	}
	w := &walker{}
	defer w.close()
	top := make([]int, 0, len(dirs))
	for _, d := range dirs {
		fd, err := w.open(unix.AT_FDCWD, d, unix.O_DIRECTORY)
		if err != nil {
			return nil, fmt.Errorf("read %s: layer %s: %w", p, d, err)
		}
		top = append(top, fd)
	}
	b, err := w.read(top, p)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	return b, nil
}

// walker resolves one path through a stack of layered directories.
type walker struct {
	fds   []int // every descriptor opened, closed at the end
	links int   // symlinks followed so far
}

func (w *walker) close() {
	for _, fd := range w.fds {
		unix.Close(fd)
	}
}

func (w *walker) open(dirfd int, name string, flags int) (int, error) {
	fd, err := unix.Openat(dirfd, name, flags|unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return -1, err
	}
	w.fds = append(w.fds, fd)
	return fd, nil
}

// read resolves p component by component. stack holds, for the root and
// each directory entered, the descriptors of that directory in every layer
// where it is visible, topmost first.
func (w *walker) read(root []int, p string) ([]byte, error) {
	stack := [][]int{root}
	queue := splitPath(p)
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if name == ".." {
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
			continue
		}
		e, err := w.lookup(stack[len(stack)-1], name)
		if err != nil {
			return nil, err
		}
		switch {
		case e.st.Mode&unix.S_IFMT == unix.S_IFLNK:
			if w.links++; w.links > 40 {
				return nil, unix.ELOOP
			}
			target, err := readlinkat(e.dirfd, name)
			if err != nil {
				return nil, err
			}
			if strings.HasPrefix(target, "/") {
				stack = stack[:1]
			}
			queue = append(splitPath(target), queue...)
		case e.st.Mode&unix.S_IFMT == unix.S_IFDIR:
			if len(queue) == 0 {
				return nil, unix.EISDIR
			}
			dirs, err := w.enter(stack[len(stack)-1], e.layer, name)
			if err != nil {
				return nil, err
			}
			stack = append(stack, dirs)
		case len(queue) > 0:
			return nil, unix.ENOTDIR
		default:
			return w.readRegular(e.dirfd, name)
		}
	}
	return nil, unix.EISDIR // p names the root itself
}

func splitPath(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" && c != "." {
			out = append(out, c)
		}
	}
	return out
}

// found is the topmost entry for a name.
type found struct {
	layer int // index in the directory's layer list
	dirfd int
	st    unix.Stat_t
}

// lookup finds the topmost layer where dir has name; a whiteout there
// means the name does not exist.
func (w *walker) lookup(dir []int, name string) (found, error) {
	for i, fd := range dir {
		var st unix.Stat_t
		err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
		if errors.Is(err, unix.ENOENT) {
			continue
		}
		if err != nil {
			return found{}, err
		}
		if isWhiteout(&st) {
			break
		}
		return found{layer: i, dirfd: fd, st: st}, nil
	}
	return found{}, fs.ErrNotExist
}

func isWhiteout(st *unix.Stat_t) bool {
	return st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == 0
}

// enter opens directory name in layer `from` and in the layers below it
// where it is also a directory, stopping at an opaque directory or at a
// layer where name is something else (or whited out).
func (w *walker) enter(dir []int, from int, name string) ([]int, error) {
	var out []int
	for _, fd := range dir[from:] {
		var st unix.Stat_t
		err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
		if errors.Is(err, unix.ENOENT) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if st.Mode&unix.S_IFMT != unix.S_IFDIR {
			break
		}
		sub, err := w.open(fd, name, unix.O_DIRECTORY)
		if err != nil {
			return nil, err
		}
		out = append(out, sub)
		if isOpaque(sub) {
			break
		}
	}
	return out, nil
}

func isOpaque(fd int) bool {
	buf := make([]byte, 2)
	for _, attr := range []string{"trusted.overlay.opaque", "user.overlay.opaque"} {
		if n, err := unix.Fgetxattr(fd, attr, buf); err == nil && n == 1 && buf[0] == 'y' {
			return true
		}
	}
	return false
}

func readlinkat(dirfd int, name string) (string, error) {
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(dirfd, name, buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

// readRegular reads name if it is a regular file (O_NONBLOCK: a FIFO
// swapped in meanwhile must not block the daemon).
func (w *walker) readRegular(dirfd int, name string) ([]byte, error) {
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", name)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxReadFile+1))
	if err == nil && len(b) > maxReadFile {
		err = fmt.Errorf("%s is larger than %d bytes", name, maxReadFile)
	}
	return b, err
}
