package shim

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/mount"
	"github.com/berthproject/berth/internal/shim/wire"
	"golang.org/x/sys/unix"
)

// usernsHolderFlag makes `berth-runtime monitor` only hold a user namespace
// open: it reads stdin to its end and exits (see userns).
const usernsHolderFlag = "userns-holder"

// usernsCache keeps one user namespace per distinct mapping (the daemon
// has one): idmapped mounts refer to it by an open file.
type usernsCache struct {
	mu  sync.Mutex
	fds map[string]*os.File
}

// userns returns a user namespace with the mappings of idm, made once by
// starting the monitor binary in a new user namespace (the kernel only
// creates one for a single-threaded process) and opening its ns file.
func (m *monitor) userns(idm *wire.IDMap) (*os.File, error) {
	key := fmt.Sprint(*idm)
	m.ns.mu.Lock()
	defer m.ns.mu.Unlock()
	if f := m.ns.fds[key]; f != nil {
		return f, nil
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer w.Close() // the holder exits when its stdin ends
	// /proc/self/exe: the container's root may not search the binary's directory.
	pid, wait, err := m.reaper.spawnAttr([]string{"/proc/self/exe", Command, "--" + usernsHolderFlag}, nil,
		[3]*os.File{r, m.null, m.null}, &syscall.SysProcAttr{
			Cloneflags:  unix.CLONE_NEWUSER,
			UidMappings: sysMaps(idm.UIDs), GidMappings: sysMaps(idm.GIDs),
		})
	r.Close()
	if err != nil {
		return nil, fmt.Errorf("user namespace: %w", err)
	}
	go func() { <-wait }()
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/ns/user")
	if err != nil {
		return nil, fmt.Errorf("user namespace: %w", err)
	}
	if m.ns.fds == nil {
		m.ns.fds = map[string]*os.File{}
	}
	m.ns.fds[key] = f
	return f, nil
}

func sysMaps(in []wire.IDRange) []syscall.SysProcIDMap {
	out := make([]syscall.SysProcIDMap, len(in))
	for i, r := range in {
		out[i] = syscall.SysProcIDMap{ContainerID: int(r.ContainerID), HostID: int(r.HostID), Size: int(r.Size)}
	}
	return out
}

// rootOf is the host ID that container ID 0 maps to.
func rootOf(ranges []wire.IDRange) (int, error) {
	for _, r := range ranges {
		if r.ContainerID == 0 && r.Size > 0 {
			return int(r.HostID), nil
		}
	}
	return 0, errdefs.Errorf(errdefs.ErrInvalidArgument, "id mappings do not map the container's root")
}

// mountRemapped mounts a container's rootfs for a user namespace with the
// mappings idm on target. Overlay lower directories are given to the
// overlay as idmapped mounts (detached, by /proc/self/fd path: overlay
// keeps its own reference, nothing is left to unmount), and the upper and
// work directories are handed to the container's root, since overlay does
// not take an idmapped upper layer. A bind mount becomes an idmapped bind.
// Files keep their on-disk owners: layers stay shared with other
// containers and with containers that are not remapped.
func (m *monitor) mountRemapped(mounts []mount.Mount, target string, idm *wire.IDMap) error {
	ns, err := m.userns(idm)
	if err != nil {
		return errdefs.Errorf(errdefs.ErrInternal, "%w", err)
	}
	uid, err := rootOf(idm.UIDs)
	if err != nil {
		return err
	}
	gid, err := rootOf(idm.GIDs)
	if err != nil {
		return err
	}
	var fds []int
	defer func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
	}()
	for i, mt := range mounts {
		switch mt.Type {
		case "overlay":
			mt, fds, err = remapOverlay(mt, ns, uid, gid, fds)
		case "bind":
			err = idmappedBind(mt, ns, target)
			if err == nil {
				continue
			}
		}
		if err == nil {
			err = mt.Mount(target)
		}
		if err != nil {
			for range i {
				_ = unix.Unmount(target, unix.MNT_DETACH)
			}
			return err
		}
	}
	return nil
}

// remapOverlay rewrites an overlay mount's lowerdirs to idmapped clones
// (their fds are appended to fds) and chowns its upperdir and workdir.
func remapOverlay(mt mount.Mount, ns *os.File, uid, gid int, fds []int) (mount.Mount, []int, error) {
	out := mt
	out.Options = nil
	for _, o := range mt.Options {
		switch k, v, _ := strings.Cut(o, "="); k {
		case "lowerdir":
			var paths []string
			for _, dir := range strings.Split(v, ":") {
				fd, err := idmappedTree(dir, ns, false, false)
				if err != nil {
					return mt, fds, err
				}
				fds = append(fds, fd)
				paths = append(paths, "/proc/self/fd/"+strconv.Itoa(fd))
			}
			o = "lowerdir=" + strings.Join(paths, ":")
		case "upperdir", "workdir":
			if err := os.Lchown(v, uid, gid); err != nil {
				return mt, fds, fmt.Errorf("remap %s: %w", k, err)
			}
		}
		out.Options = append(out.Options, o)
	}
	return out, fds, nil
}

// idmappedBind mounts a bind mount's source on target through an idmapped
// clone (read-only if the mount says so).
func idmappedBind(mt mount.Mount, ns *os.File, target string) error {
	var recursive, ro bool
	for _, o := range mt.Options {
		recursive = recursive || o == "rbind"
		ro = ro || o == "ro"
	}
	fd, err := idmappedTree(mt.Source, ns, recursive, ro)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.MoveMount(fd, "", unix.AT_FDCWD, target, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("mount %s on %s: %w", mt.Source, target, err)
	}
	return nil
}

// idmappedTree clones the mount tree at dir, detached, and idmaps it with
// the user namespace ns.
func idmappedTree(dir string, ns *os.File, recursive, ro bool) (int, error) {
	flags := unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC
	setFlags := unix.AT_EMPTY_PATH
	if recursive {
		flags |= unix.AT_RECURSIVE
		setFlags |= unix.AT_RECURSIVE
	}
	fd, err := unix.OpenTree(unix.AT_FDCWD, dir, uint(flags))
	if err != nil {
		return -1, fmt.Errorf("clone %s: %w", dir, err)
	}
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_IDMAP, Userns_fd: uint64(ns.Fd())}
	if ro {
		attr.Attr_set |= unix.MOUNT_ATTR_RDONLY
	}
	if err := unix.MountSetattr(fd, "", uint(setFlags), &attr); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("idmap %s: %w", dir, err)
	}
	return fd, nil
}
