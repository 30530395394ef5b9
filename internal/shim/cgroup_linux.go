package shim

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// oomCounter locates the memory cgroup counter of OOM kills of a process:
// cgroup v1 memory.oom_control or v2 memory.events, line "oom_kill N".
// It returns "" when the process has no memory cgroup we can read.
func oomCounter(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		return ""
	}
	v1, v2 := cgroupMounts()
	var unified string
	for _, line := range strings.Split(string(b), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[0] == "0" && parts[1] == "" {
			unified = parts[2]
			continue
		}
		for _, ctrl := range strings.Split(parts[1], ",") {
			if ctrl == "memory" && v1 != "" {
				return filepath.Join(v1, parts[2], "memory.oom_control")
			}
		}
	}
	if unified != "" && v2 != "" {
		f := filepath.Join(v2, unified, "memory.events")
		if _, err := os.Stat(f); err == nil {
			return f
		}
	}
	return ""
}

// readOOMKills reads the "oom_kill N" counter of file (0 when unreadable).
func readOOMKills(file string) int {
	if file == "" {
		return 0
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	s := bufio.NewScanner(bytes.NewReader(b))
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "oom_kill "); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}

var (
	mountsOnce sync.Once
	memoryV1   string
	unifiedV2  string
)

// cgroupMounts returns the mount points of the v1 memory controller and of
// the cgroup2 hierarchy (either may be "").
func cgroupMounts() (string, string) {
	mountsOnce.Do(func() {
		b, err := os.ReadFile("/proc/self/mountinfo")
		if err != nil {
			return
		}
		for _, line := range strings.Split(string(b), "\n") {
			pre, post, ok := strings.Cut(line, " - ")
			if !ok {
				continue
			}
			f, g := strings.Fields(pre), strings.Fields(post)
			if len(f) < 5 || len(g) < 3 {
				continue
			}
			switch g[0] {
			case "cgroup2":
				if unifiedV2 == "" {
					unifiedV2 = f[4]
				}
			case "cgroup":
				for _, o := range strings.Split(g[2], ",") {
					if o == "memory" && memoryV1 == "" {
						memoryV1 = f[4]
					}
				}
			}
		}
	})
	return memoryV1, unifiedV2
}
