package e2e

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
)

// Issue 4, acceptance 4: docker update changes a running container's
// limits, and docker stats reads them (one sample, and a stream).
func TestUpdateAndStats(t *testing.T) {
	d := startDaemon(t)
	d.importBusybox()
	for _, rt := range e2eRuntimes() {
		t.Run(rt, func(t *testing.T) {
			name := "res-" + rt
			d.mustDocker("run", "-d", "--runtime", rt, "--name", name, "--memory", "64m", "busybox", "sleep", "300")
			defer d.docker("rm", "-f", name)

			mem := d.mustDocker("stats", "--no-stream", "--format", "{{.MemUsage}} {{.PIDs}}", name)
			if !strings.Contains(mem, "/ 64MiB") || !strings.HasSuffix(strings.TrimSpace(mem), " 1") {
				t.Errorf("stats before update: %q, want a 64MiB limit and 1 pid", mem)
			}
			r := d.docker("update", "--memory", "32m", "--cpus", "0.5", "--pids-limit", "30", name)
			if r.code != 0 {
				t.Fatalf("docker update: exit %d, stderr %q", r.code, r.stderr)
			}
			hc := d.mustDocker("inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}", name)
			if strings.TrimSpace(hc) != "33554432 134217728 500000000 30" {
				t.Errorf("HostConfig after update: %q", hc)
			}
			if mem := d.mustDocker("stats", "--no-stream", "--format", "{{.MemUsage}}", name); !strings.Contains(mem, "/ 32MiB") {
				t.Errorf("stats after update: %q, want a 32MiB limit", mem)
			}
			// The new limits hold inside the container: a 48 MiB string is OOM-killed.
			out := d.docker("exec", name, "sh", "-c", `x=$(head -c 50331648 /dev/zero | tr '\0' a); echo ${#x}`)
			if out.code != 137 {
				t.Errorf("a 48 MiB allocation under the updated 32 MiB limit: exit %d, stdout %q", out.code, out.stdout)
			}
			// docker's rule: a memory limit above the swap limit needs --memory-swap.
			if r := d.docker("update", "--memory", "256m", name); r.code == 0 || !strings.Contains(r.stderr, "Memory limit should be smaller than already set memoryswap limit") {
				t.Errorf("update above the swap limit: exit %d, stderr %q", r.code, r.stderr)
			}
		})
	}
	t.Run("stream", func(t *testing.T) { testStatsStream(t, d) })
}

// testStatsStream reads two samples of GET /containers/{id}/stats (stream)
// and checks Docker's JSON shape and the CPU pre-reading.
func testStatsStream(t *testing.T, d *daemon) {
	id := strings.TrimSpace(d.mustDocker("run", "-d", "busybox", "sh", "-c", "while :; do :; done"))
	defer d.docker("rm", "-f", id)
	resp, err := d.httpClient().Get("http://berth/v1.50/containers/" + id + "/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	var samples []container.StatsResponse
	start := time.Now()
	for len(samples) < 2 && sc.Scan() {
		var s container.StatsResponse
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatalf("sample %q: %v", sc.Text(), err)
		}
		samples = append(samples, s)
	}
	if len(samples) != 2 {
		t.Fatalf("got %d samples: %v", len(samples), sc.Err())
	}
	if took := time.Since(start); took < 800*time.Millisecond {
		t.Errorf("two streamed samples in %v, want about a second apart", took)
	}
	s := samples[1]
	cpuDelta := s.CPUStats.CPUUsage.TotalUsage - s.PreCPUStats.CPUUsage.TotalUsage
	sysDelta := s.CPUStats.SystemUsage - s.PreCPUStats.SystemUsage
	if s.ID != id || s.Name == "" || s.PreRead.IsZero() || cpuDelta == 0 || sysDelta == 0 || s.CPUStats.OnlineCPUs == 0 {
		t.Errorf("second sample: %+v", s)
	}
	// A busy loop uses most of one CPU: docker's formula gives tens of percent.
	if pct := float64(cpuDelta) / float64(sysDelta) * float64(s.CPUStats.OnlineCPUs) * 100; pct < 20 {
		t.Errorf("CPU %% of a busy loop = %.1f", pct)
	}
	if s.MemoryStats.Usage == 0 || s.MemoryStats.Limit == 0 || s.PidsStats.Current == 0 {
		t.Errorf("memory/pids: %+v %+v", s.MemoryStats, s.PidsStats)
	}
}
