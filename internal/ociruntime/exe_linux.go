package ociruntime

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// The binary init runs from (CVE-2019-5736). init is a re-exec of
// berth-runtime that lives in the container's namespaces until it execs the
// user's program; a process of the container that can open /proc/<init>/exe
// (or keeps an O_PATH fd of it until init is gone) could write through it to
// the host's berth-runtime binary, which the next container's init would run
// as host root. So init never runs from the binary's own path: it runs from
// a read-only bind mount of the binary, made once per binary under ExeDir
// in the runtime's mount namespace. Through /proc/<init>/exe a write then
// fails with EROFS, and the container cannot remount a mount of a namespace
// it is not in. runc copies its binary to a sealed memfd instead, which costs
// a copy of the whole binary (3-5 ms for our 7 MB) on every create and exec;
// the bind costs two stats and a statfs per start, and one mount the first
// time a binary runs. Layers on top: init is not dumpable until its execve
// (initMain), so processes of the container without CAP_SYS_PTRACE cannot
// open its /proc files at all.
//
//	ExeDir/                            0711, in the runtime's mount namespace
//	├── lock                           flock'ed while a bind is made
//	└── <dev>-<ino>-<size>-<mtime>     empty file, read-only bind mount of that binary

// ExeDir is where the read-only binds of berth-runtime binaries live.
var ExeDir = "/run/berth-runtime-exe"

// initExe returns the path init is exec'd from.
func initExe() (string, error) {
	if unsafeOff("exe") {
		return "/proc/self/exe", nil
	}
	var self unix.Stat_t
	if err := unix.Stat("/proc/self/exe", &self); err != nil {
		return "", fmt.Errorf("stat own binary: %w", err)
	}
	p := filepath.Join(ExeDir, fmt.Sprintf("%x-%x-%x-%d.%d", self.Dev, self.Ino, self.Size, self.Mtim.Sec, self.Mtim.Nsec))
	if protected(p, &self) {
		return p, nil
	}
	if err := bindExe(p, &self); err != nil {
		return "", fmt.Errorf("read-only bind of the runtime binary: %w", err)
	}
	return p, nil
}

// protected reports whether p is the binary self, on a read-only mount.
func protected(p string, self *unix.Stat_t) bool {
	var st unix.Stat_t
	var fs unix.Statfs_t
	return unix.Stat(p, &st) == nil && st.Dev == self.Dev && st.Ino == self.Ino &&
		unix.Statfs(p, &fs) == nil && fs.Flags&unix.ST_RDONLY != 0
}

// bindExe makes p a read-only bind mount of our binary, under a lock (two
// first runs of a new binary at once), and drops the binds of binaries
// that were deleted since.
func bindExe(p string, self *unix.Stat_t) error {
	// searchable by all: init may start as a mapped user (user namespace)
	if err := os.MkdirAll(ExeDir, 0o711); err != nil {
		return err
	}
	if err := os.Chmod(ExeDir, 0o711); err != nil {
		return err
	}
	lock, err := os.OpenFile(filepath.Join(ExeDir, "lock"), os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		return err
	}
	if protected(p, self) {
		return nil // made by another runtime while we waited
	}
	unix.Unmount(p, unix.MNT_DETACH) // a stale or partial one
	fd, err := unix.Open(p, unix.O_CREAT|unix.O_WRONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o500)
	if err != nil {
		return err
	}
	unix.Close(fd)
	if err := unix.Mount("/proc/self/exe", p, "", unix.MS_BIND, ""); err != nil {
		return err
	}
	if err := unix.Mount("", p, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_NODEV|unix.MS_NOSUID, ""); err != nil {
		unix.Unmount(p, unix.MNT_DETACH)
		return err
	}
	if !protected(p, self) {
		return errors.New(p + " is not a read-only bind of the runtime binary")
	}
	dropDeletedExes()
	return nil
}

// dropDeletedExes unmounts the binds whose binary no longer exists (a
// rebuilt or upgraded berth-runtime), so that their inodes are freed.
func dropDeletedExes() {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) < 5 || !strings.HasPrefix(fields[4], ExeDir+"/") {
			continue
		}
		if strings.HasSuffix(fields[3], "//deleted") {
			mp := unescapeMount(fields[4])
			unix.Unmount(mp, unix.MNT_DETACH)
			os.Remove(mp)
		}
	}
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space, ...).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var v byte
			if _, err := fmt.Sscanf(s[i+1:i+4], "%03o", &v); err == nil {
				b.WriteByte(v)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
