package cli

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
)

func TestUpdate(t *testing.T) {
	d := newDaemon(t, map[string]http.HandlerFunc{
		"POST /containers/web/update":  jsonRoute(container.UpdateResponse{Warnings: []string{"a warning"}}),
		"POST /containers/nope/update": errRoute(404, "No such container: nope"),
	})
	r := runCLI(t, d.host(), "", "update", "-m", "64m", "--memory-swap", "-1", "--cpus", "0.5", "--pids-limit", "-1", "--restart", "on-failure:3", "web")
	if r.code != 0 || r.stdout != "web\n" || r.stderr != "a warning\n" {
		t.Fatalf("update: %+v", r)
	}
	c, _ := d.find("POST", "/containers/web/update")
	for _, want := range []string{`"Memory":67108864`, `"MemorySwap":-1`, `"NanoCpus":500000000`, `"PidsLimit":-1`, `"RestartPolicy":{"Name":"on-failure","MaximumRetryCount":3}`} {
		if !strings.Contains(c.Body, want) {
			t.Errorf("update body %s lacks %s", c.Body, want)
		}
	}
	if r := runCLI(t, d.host(), "", "update", "web"); r.code == 0 || !strings.Contains(r.stderr, "one or more flags") {
		t.Errorf("update without flags: %+v", r)
	}
	if r := runCLI(t, d.host(), "", "update", "-m", "64m", "nope"); r.code == 0 || !strings.Contains(r.stderr, "No such container: nope") {
		t.Errorf("update of a missing container: %+v", r)
	}
}

func TestStatsNoStream(t *testing.T) {
	now := time.Now()
	sample := container.StatsResponse{
		ID: "0123456789abcdef0123", Name: "/web", Read: now, PreRead: now.Add(-time.Second),
		CPUStats:    container.CPUStats{CPUUsage: container.CPUUsage{TotalUsage: 3e8}, SystemUsage: 4e9, OnlineCPUs: 2},
		PreCPUStats: container.CPUStats{CPUUsage: container.CPUUsage{TotalUsage: 1e8}, SystemUsage: 2e9},
		MemoryStats: container.MemoryStats{Usage: 10 << 20, Limit: 64 << 20, Stats: map[string]uint64{"inactive_file": 2 << 20}},
		Networks:    map[string]container.NetworkStats{"eth0": {RxBytes: 1500, TxBytes: 2500}},
		BlkioStats:  container.BlkioStats{IoServiceBytesRecursive: []container.BlkioStatEntry{{Op: "Read", Value: 4096}, {Op: "write", Value: 8192}}},
		PidsStats:   container.PidsStats{Current: 3},
	}
	d := newDaemon(t, map[string]http.HandlerFunc{
		"GET /containers/web/stats":  jsonRoute(sample),
		"GET /containers/idle/stats": jsonRoute(container.StatsResponse{ID: "fedcba9876543210", Name: "/idle"}),
	})
	r := runCLI(t, d.host(), "", "stats", "--no-stream", "web", "idle")
	want := "CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O         BLOCK I/O        PIDS\n" +
		"0123456789ab   web       20.00%    8MiB / 64MiB        12.50%    1.5kB / 2.5kB   4.1kB / 8.19kB   3\n" +
		"fedcba987654   idle      --        -- / --             --        --              --               --\n"
	if r.code != 0 || r.stdout != want {
		t.Errorf("stats:\n%s\nwant:\n%s\n(stderr %q)", r.stdout, want, r.stderr)
	}
	if c, _ := d.find("GET", "/containers/web/stats"); c.Query != "stream=0" {
		t.Errorf("query %q", c.Query)
	}
	r = runCLI(t, d.host(), "", "stats", "--no-stream", "--format", "{{.Name}} {{.MemPerc}} {{.PIDs}}", "web")
	if r.stdout != "web 12.50% 3\n" {
		t.Errorf("stats --format: %q", r.stdout)
	}
}

func TestParseDevice(t *testing.T) {
	tests := map[string]container.DeviceMapping{
		"/dev/null":                {PathOnHost: "/dev/null", PathInContainer: "/dev/null", CgroupPermissions: "rwm"},
		"/dev/null:/dev/x":         {PathOnHost: "/dev/null", PathInContainer: "/dev/x", CgroupPermissions: "rwm"},
		"/dev/null:r":              {PathOnHost: "/dev/null", PathInContainer: "/dev/null", CgroupPermissions: "r"},
		"/dev/null:/dev/x:rw":      {PathOnHost: "/dev/null", PathInContainer: "/dev/x", CgroupPermissions: "rw"},
		"/dev/null:/dev/x:bad":     {},
		"/dev/null:/dev/x:rw:more": {},
		"":                         {},
	}
	for in, want := range tests {
		got, err := parseDevice(in)
		if want.PathOnHost == "" {
			if err == nil {
				t.Errorf("%q accepted", in)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("%q = %+v, %v", in, got, err)
		}
	}
}
