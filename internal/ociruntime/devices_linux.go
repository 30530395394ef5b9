package ociruntime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	securejoin "github.com/cyphar/filepath-securejoin"
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
// unless the spec bind-mounts /dev itself.
func setupDev(cfg *initConfig) error {
	for _, m := range cfg.Spec.Mounts {
		if filepath.Clean(m.Destination) == "/dev" && isBind(m.Type, parseMountOptions(m.Options)) {
			return nil
		}
	}
	devs := append([]specs.LinuxDevice{}, defaultDevices...)
	devs = append(devs, cfg.Spec.Linux.Devices...)
	for _, d := range devs {
		if err := createDevice(cfg, d); err != nil {
			return fmt.Errorf("device %s: %w", d.Path, err)
		}
	}
	return devLinks(cfg.Rootfs)
}

func createDevice(cfg *initConfig, d specs.LinuxDevice) error {
	dest, err := securejoin.SecureJoin(cfg.Rootfs, d.Path)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return err
	}
	if cfg.NewUserNS {
		if err := makeTarget(dest, false); err != nil {
			return err
		}
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
	err = unix.Mknod(dest, typ|perm, int(unix.Mkdev(uint32(d.Major), uint32(d.Minor))))
	if errors.Is(err, unix.EEXIST) {
		// an image may ship a placeholder: replace it by the real node
		os.Remove(dest)
		err = unix.Mknod(dest, typ|perm, int(unix.Mkdev(uint32(d.Major), uint32(d.Minor))))
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
	return unix.Lchown(dest, uid, gid)
}

// devLinks makes /dev/fd, /dev/std{in,out,err}, /dev/core and /dev/ptmx.
func devLinks(rootfs string) error {
	links := [][2]string{
		{"/proc/self/fd", "/dev/fd"}, {"/proc/self/fd/0", "/dev/stdin"},
		{"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"},
	}
	if _, err := os.Stat("/proc/kcore"); err == nil {
		links = append(links, [2]string{"/proc/kcore", "/dev/core"})
	}
	for _, l := range links {
		dest, err := securejoin.SecureJoin(rootfs, l[1])
		if err != nil {
			return err
		}
		if err := os.Symlink(l[0], dest); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("symlink %s: %w", l[1], err)
		}
	}
	ptmx, err := securejoin.SecureJoin(rootfs, "/dev/ptmx")
	if err != nil {
		return err
	}
	if err := os.Remove(ptmx); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove /dev/ptmx: %w", err)
	}
	if err := os.Symlink("pts/ptmx", ptmx); err != nil {
		return fmt.Errorf("symlink /dev/ptmx: %w", err)
	}
	return nil
}
