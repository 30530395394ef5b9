package stats

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// tree writes files (path relative to root -> content) under a temp root.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, content := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

const procStat = `cpu  100 0 50 1000 10 0 5 7 0 0
cpu0 50 0 25 500 5 0 2 3 0 0
cpu1 50 0 25 500 5 0 3 4 0 0
intr 12345
`

const netDev = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0
  eth0:    2000      20    1    2    0     0          0         0     3000      30    3    4    0     0       0          0
`

// TestReadV2 reads a fake cgroup v2 tree (the unified hierarchy only).
func TestReadV2(t *testing.T) {
	cg := "/berth/abc"
	root := tree(t, map[string]string{
		"proc/42/cgroup":               "0::" + cg + "\n",
		"proc/42/net/dev":              netDev,
		"proc/stat":                    procStat,
		"cg2/berth/abc/cpu.stat":       "usage_usec 3000\nuser_usec 2000\nsystem_usec 1000\nnr_periods 10\nnr_throttled 2\nthrottled_usec 500\n",
		"cg2/berth/abc/memory.current": "4096\n",
		"cg2/berth/abc/memory.max":     "max\n",
		"cg2/berth/abc/memory.peak":    "8192\n",
		"cg2/berth/abc/memory.events":  "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n",
		"cg2/berth/abc/memory.stat":    "anon 1024\nfile 2048\ninactive_file 512\n",
		"cg2/berth/abc/pids.current":   "3\n",
		"cg2/berth/abc/pids.max":       "100\n",
		"cg2/berth/abc/io.stat":        "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n",
	})
	m := cgroupMounts{v1: map[string]mountPoint{}, v2: &mountPoint{dir: filepath.Join(root, "cg2"), root: "/"}}
	s, err := readAt(filepath.Join(root, "proc"), 42, m)
	if err != nil {
		t.Fatal(err)
	}
	want := Sample{
		Read: s.Read, CgroupVersion: 2,
		CPU: CPU{TotalUsage: 3000000, UserUsage: 2000000, KernelUsage: 1000000, Periods: 10, ThrottledPeriods: 2, ThrottledTime: 500000,
			SystemUsage: 1165 * 1e7, OnlineCPUs: 2},
		Memory: Memory{Usage: 4096, MaxUsage: 8192, Limit: math.MaxUint64, Failcnt: 1,
			Stats: map[string]uint64{"anon": 1024, "file": 2048, "inactive_file": 512}},
		Pids: Pids{Current: 3, Limit: 100},
		BlkIO: BlkIO{
			ServiceBytes: []BlkIOEntry{{8, 0, "read", 4096}, {8, 0, "write", 8192}},
			Serviced:     []BlkIOEntry{{8, 0, "read", 1}, {8, 0, "write", 2}},
		},
		Networks: map[string]Network{"eth0": {RxBytes: 2000, RxPackets: 20, RxErrors: 1, RxDropped: 2, TxBytes: 3000, TxPackets: 30, TxErrors: 3, TxDropped: 4}},
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("sample:\n got %+v\nwant %+v", s, want)
	}
}

// TestReadV1 reads a fake v1 tree with cpu and cpuacct mounted together,
// the memory hierarchy mounted from a sub-directory, and pids unlimited.
func TestReadV1(t *testing.T) {
	root := tree(t, map[string]string{
		"proc/7/cgroup":                                           "5:pids:/berth/x\n4:memory:/berth/x\n3:blkio:/berth/x\n2:cpu,cpuacct:/berth/x\n0::/\n",
		"proc/stat":                                               procStat,
		"cpu/berth/x/cpuacct.usage":                               "5000\n",
		"cpu/berth/x/cpuacct.usage_percpu":                        "3000 2000 \n",
		"cpu/berth/x/cpuacct.stat":                                "user 3\nsystem 1\n",
		"cpu/berth/x/cpu.stat":                                    "nr_periods 4\nnr_throttled 1\nthrottled_time 999\n",
		"mem/x/memory.usage_in_bytes":                             "1000\n",
		"mem/x/memory.max_usage_in_bytes":                         "2000\n",
		"mem/x/memory.limit_in_bytes":                             "33554432\n",
		"mem/x/memory.failcnt":                                    "5\n",
		"mem/x/memory.stat":                                       "cache 10\ntotal_inactive_file 4\n",
		"pids/berth/x/pids.current":                               "2\n",
		"pids/berth/x/pids.max":                                   "max\n",
		"blkio/berth/x/blkio.throttle.io_service_bytes_recursive": "8:0 Read 100\n8:0 Write 200\n8:0 Total 300\nTotal 300\n",
		"blkio/berth/x/blkio.throttle.io_serviced_recursive":      "8:0 Read 1\n8:0 Write 2\n",
	})
	m := parseMountinfo([]byte(
		"32 31 0:29 / " + root + "/cpu rw - cgroup cgroup rw,cpu,cpuacct\n" +
			"35 31 0:32 /berth " + root + "/mem rw - cgroup cgroup rw,memory\n" +
			"38 31 0:35 / " + root + "/blkio rw - cgroup cgroup rw,blkio\n" +
			"39 31 0:36 / " + root + "/pids rw - cgroup cgroup rw,pids\n" +
			"41 31 0:38 / " + root + "/unified rw - cgroup2 cgroup2 rw\n"))
	s, err := readAt(filepath.Join(root, "proc"), 7, m)
	if err != nil {
		t.Fatal(err)
	}
	want := Sample{
		Read: s.Read, CgroupVersion: 1,
		CPU: CPU{TotalUsage: 5000, PerCPU: []uint64{3000, 2000}, UserUsage: 3e7, KernelUsage: 1e7, Periods: 4, ThrottledPeriods: 1, ThrottledTime: 999,
			SystemUsage: 1165 * 1e7, OnlineCPUs: 2},
		Memory: Memory{Usage: 1000, MaxUsage: 2000, Limit: 33554432, Failcnt: 5, Stats: map[string]uint64{"cache": 10, "total_inactive_file": 4}},
		Pids:   Pids{Current: 2},
		BlkIO: BlkIO{
			ServiceBytes: []BlkIOEntry{{8, 0, "Read", 100}, {8, 0, "Write", 200}, {8, 0, "Total", 300}},
			Serviced:     []BlkIOEntry{{8, 0, "Read", 1}, {8, 0, "Write", 2}},
		},
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("sample:\n got %+v\nwant %+v", s, want)
	}
}

func TestReadErrors(t *testing.T) {
	root := tree(t, map[string]string{"proc/9/cgroup": "0::/x\n"})
	if _, err := readAt(filepath.Join(root, "proc"), 8, cgroupMounts{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing process: %v", err)
	}
	if _, err := readAt(filepath.Join(root, "proc"), 9, cgroupMounts{}); err == nil {
		t.Errorf("no hierarchy mounted: no error")
	}
}

func TestParseMountinfo(t *testing.T) {
	m := parseMountinfo([]byte(
		"31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n" +
			"35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n" +
			"40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n" +
			"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n" +
			"50 31 0:32 / /other/memory rw,relatime - cgroup cgroup rw,memory\n" +
			"51 31 0:50 / /with\\040space rw - cgroup cgroup rw,pids\n"))
	if m.v1["memory"].dir != "/sys/fs/cgroup/memory" || m.v2 == nil || m.v2.dir != "/sys/fs/cgroup/unified" || m.v1["pids"].dir != "/with space" {
		t.Errorf("mounts = %+v, v2 %+v", m.v1, m.v2)
	}
	if _, ok := m.v1["name=systemd"]; ok {
		t.Errorf("named hierarchy taken for a controller")
	}
}

// TestReadSelf samples this test process on the real host.
func TestReadSelf(t *testing.T) {
	s, err := Read(os.Getpid())
	if err != nil {
		t.Skipf("no readable cgroup here: %v", err)
	}
	if s.CPU.SystemUsage == 0 || s.CPU.OnlineCPUs == 0 {
		t.Errorf("host CPU not read: %+v", s.CPU)
	}
	if s.Memory.Usage == 0 && s.CPU.TotalUsage == 0 {
		t.Errorf("no cgroup counter read: %+v", s)
	}
}
