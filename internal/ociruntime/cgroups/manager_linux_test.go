package cgroups

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/berthproject/berth/internal/testutil"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func sleeper(t *testing.T) *exec.Cmd {
	t.Helper()
	c := exec.Command("sleep", "60")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Process.Kill(); c.Wait() })
	return c
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// TestV1 creates a cgroup on the host's v1 hierarchies, applies limits,
// checks them in the controller files, and removes it.
func TestV1(t *testing.T) {
	testutil.RequirePrivileged(t, testutil.NeedCgroups)
	if _, err := os.Stat("/sys/fs/cgroup/memory"); err != nil {
		t.Skip("no cgroup v1 memory hierarchy")
	}
	path := fmt.Sprintf("/berth-test/cg-%d", time.Now().UnixNano())
	res, err := Resources(&specs.LinuxResources{
		Memory:  &specs.LinuxMemory{Limit: p64(32 << 20)},
		Pids:    &specs.LinuxPids{Limit: p64(20)},
		Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(path, res)
	if err != nil {
		t.Fatal(err)
	}
	c := sleeper(t)
	if err := m.Apply(c.Process.Pid); err != nil {
		t.Fatal(err)
	}
	paths := m.Paths()
	if got := readFile(t, filepath.Join(paths["memory"], "memory.limit_in_bytes")); got != "33554432" {
		t.Errorf("memory limit = %s", got)
	}
	if got := readFile(t, filepath.Join(paths["pids"], "pids.max")); got != "20" {
		t.Errorf("pids.max = %s", got)
	}
	if got := readFile(t, filepath.Join(paths["devices"], "devices.list")); !strings.Contains(got, "c 1:3 rwm") || strings.Contains(got, "a *:* rwm") {
		t.Errorf("devices.list = %s", got)
	}
	loaded, err := Load(paths)
	if err != nil {
		t.Fatal(err)
	}
	if pids, err := loaded.Pids(); err != nil || len(pids) != 1 || pids[0] != c.Process.Pid {
		t.Errorf("pids = %v, %v", pids, err)
	}
	if err := loaded.Freeze(); err != nil || !loaded.Frozen() {
		t.Errorf("freeze: %v", err)
	}
	loaded.Thaw()
	c.Process.Kill()
	c.Wait()
	if err := loaded.Destroy(); err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s left behind", p)
		}
		os.Remove(filepath.Dir(p)) // the berth-test parent, when empty
	}
}

// TestV2 runs the cgroup v2 code path for real: the library insists on a
// unified hierarchy at /sys/fs/cgroup, which this hybrid host does not have,
// so TestV2Inner runs in a private mount namespace (unshare -m) where
// /sys/fs/cgroup is replaced by a cgroup2 mount. The host's v2 hierarchy has
// no controllers but hugetlb: membership, pids listing, freezing and removal
// are what can be checked.
func TestV2(t *testing.T) {
	testutil.RequirePrivileged(t, testutil.NeedCgroups, testutil.NeedMountNS)
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", os.Args[0], "-test.run", "^TestV2Inner$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "BERTH_TEST_V2_INNER=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestV2Inner") {
		t.Fatalf("TestV2Inner: %v\n%s", err, out)
	}
}

func TestV2Inner(t *testing.T) {
	if os.Getenv("BERTH_TEST_V2_INNER") != "1" {
		t.Skip("run by TestV2 in a private mount namespace")
	}
	if err := unix.Mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, ""); err != nil {
		t.Fatalf("mount cgroup2: %v", err)
	}
	dir := fmt.Sprintf("/sys/fs/cgroup/berth-test-%d", time.Now().UnixNano())
	res, _ := Resources(nil, nil)
	res.SkipDevices = true // the eBPF device filter is not what this test is about
	m, err := NewV2(dir, res)
	if err != nil {
		t.Fatal(err)
	}
	c := sleeper(t)
	if err := m.Apply(c.Process.Pid); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(dir, "cgroup.procs")); got != fmt.Sprint(c.Process.Pid) {
		t.Errorf("cgroup.procs = %q", got)
	}
	if p := m.Paths(); len(p) != 1 || p[""] != dir {
		t.Errorf("paths = %v", p)
	}
	loaded, err := Load(m.Paths())
	if err != nil {
		t.Fatal(err)
	}
	if pids, err := loaded.Pids(); err != nil || len(pids) != 1 {
		t.Errorf("pids = %v, %v", pids, err)
	}
	if err := loaded.Freeze(); err != nil || !loaded.Frozen() {
		t.Errorf("freeze: %v", err)
	}
	loaded.Thaw()
	c.Process.Kill()
	c.Wait()
	if err := loaded.Destroy(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("%s left behind", dir)
	}
}

// TestJoinCurrentThread moves one locked OS thread into a new v1 cgroup the
// way berth-runtime init does, checks it, and moves it back the same way.
func TestJoinCurrentThread(t *testing.T) {
	testutil.RequirePrivileged(t, testutil.NeedCgroups)
	if !ThreadJoinable() {
		t.Skip("cgroup v2 host: processes are moved by pid")
	}
	path := fmt.Sprintf("/berth-test/thread-%d", time.Now().UnixNano())
	res, _ := Resources(nil, nil)
	m, err := New(path, res)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Create(); err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Paths()[""]; ok {
		t.Errorf("v1 paths include the hybrid unified hierarchy: %v", m.Paths())
	}
	got := make(chan string, 1)
	back := map[string]string{} // the hierarchy roots: where this test runs
	for k, p := range m.Paths() {
		back[k] = strings.TrimSuffix(p, path)
	}
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := JoinCurrentThread(m.Paths()); err != nil {
			got <- err.Error()
			return
		}
		b, _ := os.ReadFile("/proc/thread-self/cgroup")
		if err := JoinCurrentThread(back); err != nil {
			t.Errorf("move back: %v", err)
		}
		got <- string(b)
	}()
	if out := <-got; !strings.Contains(out, ":memory:"+path+"\n") || !strings.Contains(out, ":pids:"+path+"\n") {
		t.Errorf("/proc/thread-self/cgroup after join:\n%s", out)
	}
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	for _, p := range m.Paths() {
		os.Remove(filepath.Dir(p))
	}
}
