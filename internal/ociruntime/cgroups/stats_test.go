package cgroups

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	libcg "github.com/opencontainers/cgroups"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// fakeV2 writes a cgroup v2 directory as the kernel would show it, with the
// counters of a small container.
func fakeV2(t *testing.T) string {
	dir := t.TempDir()
	files := map[string]string{
		"cgroup.controllers":  "cpuset cpu io memory hugetlb pids",
		"cgroup.procs":        "4242\n",
		"cgroup.type":         "domain",
		"memory.current":      "8388608",
		"memory.max":          "max",
		"memory.peak":         "9437184",
		"memory.swap.current": "0",
		"memory.swap.max":     "max",
		"memory.low":          "0",
		"memory.stat":         "anon 4194304\nfile 2097152\nkernel 1048576\nsock 0\nactive_file 1048576\ninactive_file 1048576\n",
		"memory.events":       "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n",
		"cpu.stat":            "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 10\nnr_throttled 2\nthrottled_usec 300\n",
		"cpu.max":             "max 100000",
		"cpu.weight":          "100",
		"cpuset.cpus":         "",
		"cpuset.mems":         "",
		"pids.current":        "3",
		"pids.max":            "max",
		"io.stat":             "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n",
		"io.weight":           "default 100",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestV2FakeTree runs update and stats on the cgroup v2 code path against a
// fake cgroupfs tree (this v1 host has no v2 memory or pids controller; see
// TestV2 for the real hierarchy): the values written to the v2 files, and
// the statistics read back.
func TestV2FakeTree(t *testing.T) {
	libcg.TestMode = true // the library's switch for fake cgroupfs trees
	t.Cleanup(func() { libcg.TestMode = false })
	dir := fakeV2(t)
	m, err := Load(map[string]string{"": dir})
	if err != nil {
		t.Fatal(err)
	}
	limit, swap, pids := int64(128<<20), int64(256<<20), int64(20)
	quota, period := int64(50000), uint64(100000)
	weight := uint64(512) // cpu shares
	err = m.Update(&specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: &limit, Swap: &swap},
		CPU:    &specs.LinuxCPU{Quota: &quota, Period: &period, Shares: &weight},
		Pids:   &specs.LinuxPids{Limit: &pids},
	})
	if err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{
		"memory.max": "134217728", "memory.swap.max": "134217728", // v2 swap.max excludes memory
		"pids.max": "20", "cpu.max": "50000 100000",
	} {
		b, _ := os.ReadFile(filepath.Join(dir, file))
		if strings.TrimSpace(string(b)) != want {
			t.Errorf("%s = %q, want %q", file, b, want)
		}
	}
	st, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Memory.Usage.Usage != 8388608 || st.Memory.Usage.Limit != 128<<20 || st.Memory.Raw["anon"] != 4194304 {
		t.Errorf("memory stats: %+v", st.Memory)
	}
	if st.CPU.Usage.Total != 1500000 || st.CPU.Usage.User != 1000000 || st.CPU.Throttling.ThrottledPeriods != 2 {
		t.Errorf("cpu stats: %+v", st.CPU)
	}
	if st.Pids.Current != 3 || st.Pids.Limit != 20 {
		t.Errorf("pids stats: %+v", st.Pids)
	}
	if len(st.Blkio.IoServiceBytesRecursive) == 0 {
		t.Errorf("io stats: %+v", st.Blkio)
	}
	if n, err := m.OOMKills(); err != nil || n != 1 {
		t.Errorf("oom kills: %d, %v", n, err)
	}
}
