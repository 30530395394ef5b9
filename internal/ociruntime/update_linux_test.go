package ociruntime_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
)

type statsEvent struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Data struct {
		CPU struct {
			Usage struct {
				Total uint64 `json:"total"`
			} `json:"usage"`
		} `json:"cpu"`
		Memory struct {
			Usage struct {
				Limit uint64 `json:"limit"`
				Usage uint64 `json:"usage"`
			} `json:"usage"`
		} `json:"memory"`
		Pids struct {
			Current uint64 `json:"current"`
			Limit   uint64 `json:"limit"`
		} `json:"pids"`
	} `json:"data"`
}

func cgroupFile(t *testing.T, e *env, controller, file string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/sys/fs/cgroup", controller, "berth-test", e.id, file))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// TestUpdateAndEvents changes the limits of a running container (flags,
// then a LinuxResources file merged with them) and reads them back through
// the cgroup files and `events --stats`, on the host's cgroup v1.
func TestUpdateAndEvents(t *testing.T) {
	e := newEnv(t)
	if _, err := os.Stat("/sys/fs/cgroup/memory/berth-test"); err != nil && !os.IsNotExist(err) {
		t.Skip("no cgroup v1 memory hierarchy")
	}
	e.spec([]string{"sleep", "100"}, func(_ *container.Config, hc *container.HostConfig) {
		hc.Memory = 64 << 20
		hc.MemorySwap = 512 << 20
		limit := int64(50)
		hc.PidsLimit = &limit
	}, nil)
	e.must("run", "-d", "-b", e.bundle, e.id)
	e.must("update", "--memory", "128m", "--pids-limit", "20", e.id)
	res := filepath.Join(t.TempDir(), "res.json")
	os.WriteFile(res, []byte(`{"cpu":{"quota":50000,"period":100000}}`), 0o644)
	e.must("update", "-r", res, e.id)
	for _, c := range []struct{ ctl, file, want string }{
		{"memory", "memory.limit_in_bytes", "134217728"},
		{"pids", "pids.max", "20"},
		{"cpu", "cpu.cfs_quota_us", "50000"},
	} {
		if got := cgroupFile(t, e, c.ctl, c.file); got != c.want {
			t.Errorf("%s = %s, want %s", c.file, got, c.want)
		}
	}
	var ev statsEvent
	if err := json.Unmarshal([]byte(e.must("events", "--stats", e.id)), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Type != "stats" || ev.ID != e.id || ev.Data.Memory.Usage.Limit != 128<<20 || ev.Data.Memory.Usage.Usage == 0 ||
		ev.Data.Pids.Current != 1 || ev.Data.Pids.Limit != 20 || ev.Data.CPU.Usage.Total == 0 {
		t.Errorf("events --stats: %+v", ev)
	}
	// streaming: two stats events, then stop at the container's exit
	c := e.cmd("events", "--interval", "50ms", e.id)
	out, _ := c.StdoutPipe()
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for i := 0; i < 2 && sc.Scan(); i++ {
		if !strings.Contains(sc.Text(), `"type":"stats"`) {
			t.Errorf("event %d: %s", i, sc.Text())
		}
	}
	e.must("kill", e.id, "KILL")
	for sc.Scan() {
	}
	if err := c.Wait(); err != nil {
		t.Errorf("events after the container stopped: %v", err)
	}
	if _, stderr, code := e.run("update", "--memory", "1g", e.id); code == 0 || !strings.Contains(stderr, "stopped") {
		t.Errorf("update of a stopped container: exit %d, %s", code, stderr)
	}
}
