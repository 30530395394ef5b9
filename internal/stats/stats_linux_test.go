package stats

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/berthproject/berth/internal/testutil"
)

// TestReadV2Kernel reads a real cgroup v2 directory: a child cgroup of the
// unified hierarchy holding a busy process. On hybrid hosts that hierarchy
// has no memory or pids controller, so only the CPU counters (always there)
// are checked.
func TestReadV2Kernel(t *testing.T) {
	testutil.RequirePrivileged(t, testutil.NeedCgroups)
	m := hostMounts()
	if m.v2 == nil {
		t.Skip("no cgroup2 hierarchy mounted")
	}
	dir := filepath.Join(m.v2.dir, "berth-stats-test-"+strconv.Itoa(os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Skipf("cannot create a v2 cgroup: %v", err)
	}
	busy := exec.Command("sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; sleep 5")
	if err := busy.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = busy.Process.Kill()
		_ = busy.Wait()
		for i := 0; i < 50 && os.Remove(dir) != nil; i++ {
			time.Sleep(20 * time.Millisecond)
		}
	})
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(busy.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	var s Sample
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		readV2(&s, dir)
		if s.CPU.TotalUsage > 0 {
			break
		}
	}
	if s.CPU.TotalUsage == 0 || s.CPU.UserUsage+s.CPU.KernelUsage == 0 {
		t.Errorf("v2 cpu.stat not read: %+v", s.CPU)
	}
	if _, err := os.Stat(filepath.Join(dir, "memory.current")); err == nil && s.Memory.Usage == 0 {
		t.Errorf("memory.current exists but usage is 0")
	}
}
