package ociruntime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func dev(path string, major, minor int64) specs.LinuxDevice {
	mode := os.FileMode(0o666)
	var zero uint32
	return specs.LinuxDevice{Path: path, Type: "c", Major: major, Minor: minor, FileMode: &mode, UID: &zero, GID: &zero}
}

// defaultDevices are created in every container's /dev (runc's set).
var defaultDevices = []specs.LinuxDevice{
	dev("/dev/null", 1, 3), dev("/dev/zero", 1, 5), dev("/dev/full", 1, 7),
	dev("/dev/random", 1, 8), dev("/dev/urandom", 1, 9), dev("/dev/tty", 5, 0),
}

// setupDev creates the device nodes (bind-mounted from the host inside a
// user namespace, where mknod is refused), the /dev symlinks and /dev/ptmx,
// unless the spec bind-mounts /dev itself. Everything is made relative to
// directories opened inside the rootfs (see inroot_linux.go).
func setupDev(cfg *initConfig, r *inRoot) error {
	for _, m := range cfg.Spec.Mounts {
		if filepath.Clean(m.Destination) == "/dev" && isBind(m.Type, parseMountOptions(m.Options)) {
			return nil
		}
	}
	devs := append([]specs.LinuxDevice{}, defaultDevices...)
	devs = append(devs, cfg.Spec.Linux.Devices...)
	for _, d := range devs {
		if err := createDevice(cfg, r, d); err != nil {
			return fmt.Errorf("device %s: %w", d.Path, err)
		}
	}
	return devLinks(r)
}

func createDevice(cfg *initConfig, r *inRoot, d specs.LinuxDevice) error {
	if cfg.NewUserNS {
		dest, done, err := r.target(d.Path, false)
		if err != nil {
			return err
		}
		defer done()
		return unix.Mount(d.Path, dest, "", unix.MS_BIND, "")
	}
	var typ uint32
	switch d.Type {
	case "c", "u":
		typ = unix.S_IFCHR
	case "b":
		typ = unix.S_IFBLK
	case "p":
		typ = unix.S_IFIFO
	default:
		return fmt.Errorf("unknown type %q", d.Type)
	}
	perm := uint32(0o666)
	if d.FileMode != nil {
		perm = uint32(d.FileMode.Perm())
	}
	dir, name := filepath.Split(filepath.Clean("/" + d.Path))
	dfd, err := r.mkdirAll(dir, 0o755)
	if err != nil {
		return err
	}
	defer unix.Close(dfd)
	devnum := int(unix.Mkdev(uint32(d.Major), uint32(d.Minor)))
	err = unix.Mknodat(dfd, name, typ|perm, devnum)
	if errors.Is(err, unix.EEXIST) {
		// an image may ship a placeholder: replace it by the real node
		unix.Unlinkat(dfd, name, 0)
		err = unix.Mknodat(dfd, name, typ|perm, devnum)
	}
	if err != nil {
		return err
	}
	uid, gid := -1, -1
	if d.UID != nil {
		uid = int(*d.UID)
	}
	if d.GID != nil {
		gid = int(*d.GID)
	}
	return unix.Fchownat(dfd, name, uid, gid, unix.AT_SYMLINK_NOFOLLOW)
}

// devLinks makes /dev/fd, /dev/std{in,out,err}, /dev/core and /dev/ptmx.
func devLinks(r *inRoot) error {
	dfd, err := r.mkdirAll("/dev", 0o755)
	if err != nil {
		return err
	}
	defer unix.Close(dfd)
	links := [][2]string{
		{"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"},
		{"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
	}
	if _, err := os.Stat("/proc/kcore"); err == nil {
		links = append(links, [2]string{"/proc/kcore", "core"})
	}
	for _, l := range links {
		if err := unix.Symlinkat(l[0], dfd, l[1]); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("symlink /dev/%s: %w", l[1], err)
		}
	}
	if err := unix.Unlinkat(dfd, "ptmx", 0); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("remove /dev/ptmx: %w", err)
	}
	if err := unix.Symlinkat("pts/ptmx", dfd, "ptmx"); err != nil {
		return fmt.Errorf("symlink /dev/ptmx: %w", err)
	}
	return nil
}
