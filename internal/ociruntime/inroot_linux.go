package ociruntime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	"golang.org/x/sys/unix"
)

// Mount targets inside the container's rootfs (CVE-2021-30465 class). A
// path string checked first and used later can be raced: another container
// sharing a volume swaps a directory on the way for a symlink to the host
// between the check and mount(2), and the mount lands on the host. So every
// target is opened inside the rootfs by openat2(RESOLVE_IN_ROOT), which
// resolves ".." and symlinks (even absolute ones) as if the rootfs were "/",
// created one component at a time relative to a parent that was itself
// resolved that way, and mount(2) is then given /proc/self/fd/N of the
// opened target: the kernel mounts on that very inode, whatever the path
// has become since. Hand-written on x/sys/unix rather than
// filepath-securejoin's pathrs-lite: a handful of openat2 calls per mount,
// with no procfs handle of its own to set up (the host /proc is there until
// pivot_root).

// unsafeStringTargets (tests only, see unsafe.go) resolves targets the old
// way: SecureJoin to a string, then path-based mkdir and mount.
func unsafeStringTargets() bool { return unsafeOff("securejoin") }

// inRoot is an open rootfs in which paths are resolved.
type inRoot struct {
	fd   int
	path string
}

func openRoot(path string) (*inRoot, error) {
	fd, err := unix.Open(path, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open rootfs %s: %w", path, err)
	}
	return &inRoot{fd: fd, path: path}, nil
}

func (r *inRoot) close() { unix.Close(r.fd) }

// fdPath names an open fd for path-taking syscalls such as mount(2).
func fdPath(fd int) string { return "/proc/self/fd/" + strconv.Itoa(fd) }

// open resolves rel inside the root (flags: O_PATH, O_DIRECTORY, ...).
func (r *inRoot) open(rel string, flags int) (int, error) {
	clean := strings.TrimPrefix(filepath.Clean("/"+rel), "/")
	if clean == "" {
		clean = "."
	}
	how := unix.OpenHow{Flags: uint64(flags | unix.O_CLOEXEC), Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS}
	for i := 0; ; i++ {
		fd, err := unix.Openat2(r.fd, clean, &how)
		if (errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR)) && i < 100 {
			continue // a rename raced the lookup ("..", RESOLVE_IN_ROOT): retry
		}
		return fd, err
	}
}

// mkdirAll creates rel (and its parents) inside the root and returns an
// O_PATH fd of it.
func (r *inRoot) mkdirAll(rel string, mode uint32) (int, error) {
	parts := strings.Split(strings.Trim(filepath.Clean("/"+rel), "/"), "/")
	cur, err := unix.Dup(r.fd)
	if err != nil {
		return -1, err
	}
	if parts[0] == "" {
		return cur, nil
	}
	for i := range parts {
		sub := strings.Join(parts[:i+1], "/")
		fd, err := r.open(sub, unix.O_PATH|unix.O_DIRECTORY)
		if errors.Is(err, unix.ENOENT) {
			// one name relative to a parent resolved in the root: mkdirat
			// cannot leave it, and the next open resolves whatever is there
			if err = unix.Mkdirat(cur, parts[i], mode); err == nil || errors.Is(err, unix.EEXIST) {
				fd, err = r.open(sub, unix.O_PATH|unix.O_DIRECTORY)
			}
		}
		unix.Close(cur)
		if err != nil {
			return -1, fmt.Errorf("%s: %w", sub, err)
		}
		cur = fd
	}
	return cur, nil
}

// mkfile creates rel as an empty file if nothing is there (for a bind
// mount of a file) and returns an O_PATH fd of what is there.
func (r *inRoot) mkfile(rel string) (int, error) {
	dir, name := filepath.Split(filepath.Clean("/" + rel))
	parent, err := r.mkdirAll(dir, 0o755)
	if err != nil {
		return -1, err
	}
	defer unix.Close(parent)
	fd, err := unix.Openat(parent, name, unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
	if err == nil {
		unix.Close(fd)
	} else if !errors.Is(err, unix.EEXIST) {
		return -1, fmt.Errorf("%s: %w", rel, err)
	}
	return r.open(rel, unix.O_PATH)
}

// target returns a path to mount on for rel, inside the root: a
// /proc/self/fd path of the opened target (close it with the returned
// function), or in unsafe test builds the SecureJoin'ed string.
func (r *inRoot) target(rel string, dir bool) (string, func(), error) {
	if unsafeStringTargets() {
		dest, err := securejoin.SecureJoin(r.path, rel)
		if err != nil {
			return "", nil, err
		}
		if dir {
			err = os.MkdirAll(dest, 0o755)
		} else {
			err = makeTarget(dest, false)
		}
		return dest, func() {}, err
	}
	var fd int
	var err error
	if dir {
		fd, err = r.mkdirAll(rel, 0o755)
	} else {
		fd, err = r.mkfile(rel)
	}
	if err != nil {
		return "", nil, err
	}
	return fdPath(fd), func() { unix.Close(fd) }, nil
}

// mounted returns a path to the mount now at rel: mount(2) on
// /proc/self/fd/N mounts over the fd's directory, and that fd still names
// the directory underneath, so the target is opened again.
func (r *inRoot) mounted(rel string) (string, func(), error) {
	if unsafeStringTargets() {
		dest, err := securejoin.SecureJoin(r.path, rel)
		return dest, func() {}, err
	}
	fd, err := r.open(rel, unix.O_PATH)
	if err != nil {
		return "", nil, err
	}
	return fdPath(fd), func() { unix.Close(fd) }, nil
}
