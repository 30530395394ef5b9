package daemon

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/berthproject/berth/internal/engine"
	"golang.org/x/sys/unix"
)

// Version is Berth's version, reported by `docker version` and `docker info`.
const Version = "0.1.0-dev"

// hostInfo gathers the facts `docker info` reports, once at start-up.
func hostInfo(dataRoot string, debug bool) (engine.HostInfo, error) {
	id, err := engineID(filepath.Join(dataRoot, "engine-id"))
	if err != nil {
		return engine.HostInfo{}, err
	}
	var uts unix.Utsname
	_ = unix.Uname(&uts)
	var si unix.Sysinfo_t
	_ = unix.Sysinfo(&si)
	name, _ := os.Hostname()
	osName, osVersion := osRelease()
	h := engine.HostInfo{
		ID: id, Name: name, Version: Version, Debug: debug,
		KernelVersion:   unix.ByteSliceToString(uts.Release[:]),
		Architecture:    unix.ByteSliceToString(uts.Machine[:]),
		OperatingSystem: osName, OSVersion: osVersion,
		NCPU: runtime.NumCPU(), MemTotal: int64(si.Totalram) * int64(si.Unit),
		DataRoot: dataRoot, CgroupVersion: cgroupVersion(),
		DriverStatus: [][2]string{{"Backing Filesystem", fsName(dataRoot)}, {"Supports d_type", "true"}, {"Using metacopy", "false"}, {"Native Overlay Diff", "true"}, {"userxattr", "false"}},
	}
	if h.CgroupVersion == "1" {
		h.Warnings = append(h.Warnings, "WARNING: cgroup v1 (hybrid) host: cgroup v2 controllers are unavailable")
	}
	return h, nil
}

// engineID reads or creates the daemon's persistent ID.
func engineID(path string) (string, error) {
	if b, err := os.ReadFile(path); err == nil && len(bytes.TrimSpace(b)) > 0 {
		return string(bytes.TrimSpace(b)), nil
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	h := hex.EncodeToString(b[:])
	id := fmt.Sprintf("%s-%s-%s-%s-%s", h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])
	if err := os.WriteFile(path, []byte(id+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("write engine id: %w", err)
	}
	return id, nil
}

func osRelease() (name, version string) {
	f, err := os.Open("/etc/os-release")
	if err != nil {
		return "Linux", ""
	}
	defer f.Close()
	vals := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			vals[k] = strings.Trim(v, `"`)
		}
	}
	name = vals["PRETTY_NAME"]
	if name == "" {
		name = "Linux"
	}
	return name, vals["VERSION_ID"]
}

func cgroupVersion() string {
	var st unix.Statfs_t
	if err := unix.Statfs("/sys/fs/cgroup", &st); err == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		return "2"
	}
	return "1"
}

func fsName(path string) string {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return "unknown"
	}
	switch st.Type {
	case unix.EXT4_SUPER_MAGIC:
		return "extfs"
	case unix.XFS_SUPER_MAGIC:
		return "xfs"
	case unix.BTRFS_SUPER_MAGIC:
		return "btrfs"
	case unix.TMPFS_MAGIC:
		return "tmpfs"
	}
	return fmt.Sprintf("0x%x", st.Type)
}
