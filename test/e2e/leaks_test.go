package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Acceptance 7a: rm leaves no mounts, cgroups or directories behind.
func TestRemoveLeavesNothing(t *testing.T) {
	d := startDaemon(t)
	d.importBusybox()
	id := strings.TrimSpace(d.mustDocker("run", "-d", "--memory", "64m", "--pids-limit", "50", "busybox", "sleep", "1000"))
	cgroups, _ := filepath.Glob("/sys/fs/cgroup/*/berth/" + id)
	if len(cgroups) == 0 {
		t.Fatalf("no cgroup for the running container")
	}
	if m := mountsUnder(d.root); len(m) == 0 {
		t.Fatal("no rootfs mount for the running container")
	}
	d.mustDocker("rm", "-f", id)
	d.mustDocker("run", "--rm", "busybox", "true")
	if m := mountsUnder(d.root); len(m) != 0 {
		t.Errorf("mounts left: %v", m)
	}
	for _, cg := range cgroups {
		if _, err := os.Stat(cg); err == nil {
			t.Errorf("cgroup left: %s", cg)
		}
	}
	for _, dir := range []string{filepath.Join(d.dataRoot, "containers"), filepath.Join(d.execRoot, "bundles")} {
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("%s not empty: %v", dir, ents)
		}
	}
}

// Acceptance 7b: one container's start hung in its runtime does not slow
// ps, inspect of another container or info.
func TestReadsAnswerWhileAStartHangs(t *testing.T) {
	slow := filepath.Join(t.TempDir(), "slow-runtime")
	script := "#!/bin/sh\nfor a in \"$@\"; do [ \"$a\" = create ] && sleep 30; done\nexec " + filepath.Join(binDir, "berth-runtime") + " \"$@\"\n"
	if err := os.WriteFile(slow, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, "--add-runtime", "slow="+slow)
	d.importBusybox()
	d.mustDocker("run", "-d", "--name", "other", "busybox", "sleep", "1000")
	d.mustDocker("create", "--name", "stuck", "--runtime", "slow", "busybox", "sleep", "1000")
	go d.docker("start", "stuck")
	time.Sleep(500 * time.Millisecond)
	hc := d.httpClient()
	for _, path := range []string{"/v1.50/containers/json?all=1", "/v1.50/containers/other/json", "/v1.50/containers/stuck/json", "/v1.50/info"} {
		start := time.Now()
		resp, err := hc.Get("http://berth" + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if el := time.Since(start); resp.StatusCode != http.StatusOK || el > 100*time.Millisecond {
			t.Errorf("GET %s: %d in %v while a start hangs", path, resp.StatusCode, el)
		}
	}
	if !strings.Contains(d.mustDocker("ps", "--format", "{{.Names}}"), "other") {
		t.Error("docker ps lost the running container")
	}
}

// Acceptance 7c: 200 MB of output with no log options keeps at most the
// default cap (20 MB x 3 files) on disk.
func TestDefaultLogCap(t *testing.T) {
	d := startDaemon(t)
	d.importBusybox()
	id := strings.TrimSpace(d.mustDocker("run", "-d", "busybox", "sh", "-c",
		"yes 0123456789012345678901234567890123456789012345678901234567890123456789012345678 | head -c 200000000"))
	waitForExit(t, d, id, 3*time.Minute)
	var total int64
	files, _ := filepath.Glob(filepath.Join(d.dataRoot, "containers", id, id+"-json.log*"))
	for _, f := range files {
		if st, err := os.Stat(f); err == nil {
			total += st.Size()
		}
	}
	if len(files) == 0 || len(files) > 3 || total > 3*20<<20 {
		t.Fatalf("log files %v hold %d bytes; want at most 3 files and 60 MiB", files, total)
	}
	if total < 40<<20 {
		t.Errorf("only %d bytes of logs kept; rotation seems to discard too much", total)
	}
	if out := d.mustDocker("logs", "--tail", "1", id); !strings.HasPrefix(out, "0123456789") {
		t.Errorf("logs --tail 1: %q", out)
	}
}

func waitForExit(t *testing.T, d *daemon, id string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if strings.TrimSpace(d.mustDocker("inspect", "-f", "{{.State.Running}}", id)) == "false" {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("container %s still running after %v", id, limit)
}
