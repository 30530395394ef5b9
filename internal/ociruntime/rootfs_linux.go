package ociruntime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// prepareRootfs runs in init's new mount namespace: propagation, the rootfs
// bind, the spec's mounts in order, /dev, then pivot_root (or MS_MOVE+chroot).
func prepareRootfs(cfg *initConfig) error {
	spec, rootfs := cfg.Spec, cfg.Rootfs
	prop := uintptr(unix.MS_SLAVE | unix.MS_REC)
	if p := spec.Linux.RootfsPropagation; p != "" {
		v, ok := propagationTable[p]
		if !ok {
			return fmt.Errorf("rootfsPropagation %q: unknown", p)
		}
		prop = v
	}
	if err := bindRootfs(rootfs, prop); err != nil {
		return err
	}
	for _, m := range spec.Mounts {
		if err := mountEntry(cfg, m); err != nil {
			return fmt.Errorf("mount %s (%s) on %s: %w", m.Source, m.Type, m.Destination, err)
		}
	}
	if err := setupDev(cfg); err != nil {
		return err
	}
	// the cgroup paths are host paths: join before the host root goes away
	if err := cfg.inCgroup(); err != nil {
		return err
	}
	if cfg.NoPivot {
		return moveRoot(rootfs)
	}
	if err := pivotRoot(rootfs); err != nil {
		return err
	}
	if spec.Linux.RootfsPropagation != "" {
		if err := unix.Mount("", "/", "", prop, ""); err != nil {
			return fmt.Errorf("set / propagation: %w", err)
		}
	}
	return nil
}

// bindRootfs sets the propagation of the whole tree and binds rootfs on
// itself (pivot_root wants a mount point).
func bindRootfs(rootfs string, prop uintptr) error {
	if err := unix.Mount("", "/", "", prop, ""); err != nil {
		return fmt.Errorf("set / propagation: %w", err)
	}
	// pivot_root refuses shared mounts, and an unbindable one cannot be bound:
	// the rootfs and its parent are private until after the pivot
	special := prop&(unix.MS_SHARED|unix.MS_UNBINDABLE) != 0
	if special {
		if err := makeParentPrivate(rootfs); err != nil {
			return err
		}
	}
	if err := unix.Mount(rootfs, rootfs, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind rootfs %s: %w", rootfs, err)
	}
	if special {
		if err := unix.Mount("", rootfs, "", unix.MS_PRIVATE, ""); err != nil {
			return fmt.Errorf("make rootfs private: %w", err)
		}
	}
	return nil
}

// makeParentPrivate makes the mount holding rootfs private: pivot_root
// refuses a new root whose parent mount is shared. (MS_PRIVATE on a path
// that is not a mount point fails with EINVAL: walk up to the mount.)
func makeParentPrivate(rootfs string) error {
	for dir := rootfs; ; dir = filepath.Dir(dir) {
		err := unix.Mount("", dir, "", unix.MS_PRIVATE, "")
		if err == nil {
			return nil
		}
		if !errors.Is(err, unix.EINVAL) || dir == "/" {
			return fmt.Errorf("make the parent mount of %s private: %w", rootfs, err)
		}
	}
}

func mountEntry(cfg *initConfig, m specs.Mount) error {
	o := parseMountOptions(m.Options)
	dest, err := securejoin.SecureJoin(cfg.Rootfs, m.Destination)
	if err != nil {
		return err
	}
	switch {
	case isBind(m.Type, o):
		return bindMount(cfg, m.Source, dest, o)
	case m.Type == "cgroup":
		return mountCgroupV1(cfg, dest, o)
	}
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return err
	}
	if err := unix.Mount(m.Source, dest, m.Type, o.flags, o.data); err != nil {
		return err
	}
	return setPropagation(dest, o)
}

func setPropagation(dest string, o mountOpts) error {
	for _, p := range o.propagation {
		if err := unix.Mount("", dest, "", p, ""); err != nil {
			return fmt.Errorf("set propagation: %w", err)
		}
	}
	return nil
}

// bindMount binds src on dest (creating a file or a directory to match src),
// then remounts it when the options ask for more than the bind.
func bindMount(cfg *initConfig, src, dest string, o mountOpts) error {
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	if err := makeTarget(dest, fi.IsDir()); err != nil {
		return err
	}
	if err := unix.Mount(src, dest, "", unix.MS_BIND|(o.flags&unix.MS_REC), ""); err != nil {
		return err
	}
	if rest := o.flags &^ (unix.MS_BIND | unix.MS_REC | unix.MS_REMOUNT); rest != 0 {
		flags := unix.MS_BIND | unix.MS_REMOUNT | rest
		if cfg.NewUserNS {
			flags |= lockedFlags(dest) &^ o.clear
		}
		if err := unix.Mount("", dest, "", flags, ""); err != nil {
			return fmt.Errorf("remount with options: %w", err)
		}
	}
	return setPropagation(dest, o)
}

// makeTarget creates dest as a directory or an empty file (not following a
// final symlink: SecureJoin already resolved the path inside the rootfs).
func makeTarget(dest string, dir bool) error {
	if dir {
		return os.MkdirAll(dest, 0o755)
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return err
	}
	fd, err := unix.Open(dest, unix.O_CREAT|unix.O_WRONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
	if err != nil {
		if errors.Is(err, unix.EEXIST) || errors.Is(err, unix.EISDIR) {
			return nil
		}
		return err
	}
	return unix.Close(fd)
}

// lockedFlags are the per-mount flags of the mount at path that a user
// namespace may not clear on remount.
func lockedFlags(path string) uintptr {
	var st unix.Statfs_t
	if unix.Statfs(path, &st) != nil {
		return 0
	}
	mask := int64(unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC | unix.MS_NOATIME | unix.MS_NODIRATIME | unix.MS_RELATIME | unix.MS_RDONLY)
	return uintptr(st.Flags & mask) // ST_* values equal the MS_* ones
}

// pivotRoot makes rootfs the root, the way runc does without a temp dir:
// pivot_root(".", ".") stacks the old root on top, which is then detached.
func pivotRoot(rootfs string) error {
	oldroot, err := unix.Open("/", unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("pivot_root: open /: %w", err)
	}
	defer unix.Close(oldroot)
	newroot, err := unix.Open(rootfs, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("pivot_root: open rootfs: %w", err)
	}
	defer unix.Close(newroot)
	if err := unix.Fchdir(newroot); err != nil {
		return fmt.Errorf("pivot_root: chdir rootfs: %w", err)
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root %s: %w", rootfs, err)
	}
	if err := unix.Fchdir(oldroot); err != nil {
		return fmt.Errorf("pivot_root: chdir old root: %w", err)
	}
	if err := unix.Mount("", ".", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("pivot_root: make old root slave: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("pivot_root: detach old root: %w", err)
	}
	return unix.Chdir("/")
}

// moveRoot is --no-pivot: move the rootfs mount over / and chroot into it.
func moveRoot(rootfs string) error {
	if err := unix.Chdir(rootfs); err != nil {
		return fmt.Errorf("chdir rootfs: %w", err)
	}
	if err := unix.Mount(rootfs, "/", "", unix.MS_MOVE, ""); err != nil {
		return fmt.Errorf("move rootfs to /: %w", err)
	}
	if err := unix.Chroot("."); err != nil {
		return fmt.Errorf("chroot: %w", err)
	}
	return unix.Chdir("/")
}

// chrootOnly enters rootfs without any mount, for a spec that keeps the
// runtime's mount namespace.
func chrootOnly(cfg *initConfig) error {
	if err := cfg.inCgroup(); err != nil {
		return err
	}
	rootfs := cfg.Rootfs
	if err := unix.Chroot(rootfs); err != nil {
		return fmt.Errorf("chroot %s: %w", rootfs, err)
	}
	return unix.Chdir("/")
}

// remountReadonly makes the mount at path read-only, keeping its other flags.
func remountReadonly(path string) error {
	flags := unix.MS_BIND | unix.MS_REMOUNT | unix.MS_RDONLY | lockedFlags(path)
	if err := unix.Mount("", path, "", flags, ""); err != nil {
		return fmt.Errorf("remount %s read-only: %w", path, err)
	}
	return nil
}

// readonlyPath binds path on itself and makes it read-only; a missing path is fine.
func readonlyPath(path string) error {
	if err := unix.Mount(path, path, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil
		}
		return fmt.Errorf("readonly path %s: %w", path, err)
	}
	return remountReadonly(path)
}

// maskPath hides path: /dev/null on a file, an empty read-only tmpfs on a directory.
func maskPath(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ENOTDIR) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("masked path %s: %w", path, err)
	}
	if fi.IsDir() {
		err = unix.Mount("tmpfs", path, "tmpfs", unix.MS_RDONLY, "")
	} else {
		err = unix.Mount("/dev/null", path, "", unix.MS_BIND, "")
	}
	if err != nil {
		return fmt.Errorf("masked path %s: %w", path, err)
	}
	return nil
}

// writeSysctls writes each key under /proc/sys (dots become slashes).
func writeSysctls(sysctls map[string]string) error {
	for k, v := range sysctls {
		if strings.Contains(k, "..") || strings.HasPrefix(k, "/") {
			return fmt.Errorf("sysctl %q: invalid name", k)
		}
		p := "/proc/sys/" + strings.ReplaceAll(k, ".", "/")
		if err := os.WriteFile(p, []byte(v), 0); err != nil {
			return fmt.Errorf("sysctl %s=%s: %w", k, v, err)
		}
	}
	return nil
}
