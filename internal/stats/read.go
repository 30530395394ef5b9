package stats

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Read samples the container whose init process is pid (a host pid). A
// process that is gone is an error wrapping os.ErrNotExist.
func Read(pid int) (Sample, error) {
	return readAt("/proc", pid, hostMounts())
}

// mountPoint is where a cgroup hierarchy is mounted and which of its
// directories is the mount's root.
type mountPoint struct{ dir, root string }

// cgroupMounts are the hierarchies mounted in this mount namespace.
type cgroupMounts struct {
	v1 map[string]mountPoint // by controller
	v2 *mountPoint
}

var hostMounts = sync.OnceValue(func() cgroupMounts {
	b, _ := os.ReadFile("/proc/self/mountinfo")
	return parseMountinfo(b)
})

// parseMountinfo finds the cgroup mounts in a mountinfo table (the first
// mount of each wins).
func parseMountinfo(b []byte) cgroupMounts {
	m := cgroupMounts{v1: map[string]mountPoint{}}
	for line := range strings.SplitSeq(string(b), "\n") {
		pre, post, ok := strings.Cut(line, " - ")
		f, g := strings.Fields(pre), strings.Fields(post)
		if !ok || len(f) < 5 || len(g) < 3 {
			continue
		}
		mp := mountPoint{dir: unescape(f[4]), root: unescape(f[3])}
		switch g[0] {
		case "cgroup2":
			if m.v2 == nil {
				m.v2 = &mp
			}
		case "cgroup":
			for _, o := range strings.Split(g[2], ",") {
				if _, seen := m.v1[o]; !seen && isController(o) {
					m.v1[o] = mp
				}
			}
		}
	}
	return m
}

func isController(o string) bool {
	switch o {
	case "cpu", "cpuacct", "memory", "pids", "blkio":
		return true
	}
	return false
}

// unescape undoes mountinfo's octal escapes (\040 for a space).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// procCgroup is a parsed /proc/PID/cgroup.
type procCgroup struct {
	v1    map[string]string // controller -> path
	v2    string
	hasV2 bool
}

func parseProcCgroup(b []byte) procCgroup {
	p := procCgroup{v1: map[string]string{}}
	for line := range strings.SplitSeq(string(b), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[0] == "0" && parts[1] == "" {
			p.v2, p.hasV2 = parts[2], true
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			p.v1[c] = parts[2]
		}
	}
	return p
}

// dir is the directory of cgroup path in the hierarchy mounted at mp.
func (mp mountPoint) path(cg string) string {
	rel, ok := strings.CutPrefix(cg, mp.root)
	if !ok {
		rel = cg
	}
	return filepath.Join(mp.dir, rel)
}

// readAt samples pid with proc as /proc and m as the mount table.
func readAt(proc string, pid int, m cgroupMounts) (Sample, error) {
	base := filepath.Join(proc, strconv.Itoa(pid))
	b, err := os.ReadFile(filepath.Join(base, "cgroup"))
	if err != nil {
		return Sample{}, fmt.Errorf("process %d: %w", pid, err)
	}
	cg := parseProcCgroup(b)
	s := Sample{Read: time.Now()}
	dirs := map[string]string{}
	for c, p := range cg.v1 {
		if mp, ok := m.v1[c]; ok {
			dirs[c] = mp.path(p)
		}
	}
	switch {
	case dirs["memory"] != "" || dirs["cpuacct"] != "":
		s.CgroupVersion = 1
		readV1(&s, dirs)
	case cg.hasV2 && m.v2 != nil:
		s.CgroupVersion = 2
		readV2(&s, m.v2.path(cg.v2))
	default:
		return Sample{}, fmt.Errorf("process %d: no cgroup hierarchy with its counters is mounted", pid)
	}
	s.Networks = readNetDev(filepath.Join(base, "net", "dev"))
	s.CPU.SystemUsage, s.CPU.OnlineCPUs = readProcStat(filepath.Join(proc, "stat"))
	if _, err := os.Stat(base); err != nil {
		return Sample{}, fmt.Errorf("process %d: %w", pid, err) // exited while sampled
	}
	return s, nil
}

// readUint reads a file holding one number ("max" is the largest value).
// A missing or unreadable file is 0.
func readUint(path string) uint64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return parseUint(string(bytes.TrimSpace(b)))
}

func parseUint(s string) uint64 {
	if s == "max" {
		return ^uint64(0)
	}
	v, _ := strconv.ParseUint(s, 10, 64)
	return v
}

// readKV reads "key value" lines (memory.stat, cpu.stat, ...); nil when
// the file is missing.
func readKV(path string) map[string]uint64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	out := map[string]uint64{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " ")
		if ok {
			out[k] = parseUint(strings.TrimSpace(v))
		}
	}
	return out
}
