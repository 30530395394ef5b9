package shimrunner

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berthproject/berth/internal/runner"
)

// memKB reads Rss and Pss (kB) of pid from smaps_rollup.
func memKB(t *testing.T, pid int) (rss, pss int) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		n, _ := strconv.Atoi(f[1])
		switch f[0] {
		case "Rss:":
			rss = n
		case "Pss:":
			pss = n
		}
	}
	return rss, pss
}

// TestMonitorMemory checks the monitor's budget: idle RSS <= 8 MB, and a
// small marginal cost per running container (measured with 50).
func TestMonitorMemory(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	pid := e.monitorPid()
	time.Sleep(300 * time.Millisecond)
	idleRSS, idlePSS := memKB(t, pid)
	fds := countFDs(t, pid)
	const n = 50
	for i := range n {
		id := fmt.Sprintf("mem%02d", i)
		b := e.bundle(id, "sleep", "3600")
		if _, err := e.r.Create(ctx, b); err != nil {
			t.Fatal(err)
		}
		if err := e.r.Start(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(time.Second)
	rss, pss := memKB(t, pid)
	per := (pss - idlePSS) / n
	t.Logf("monitor idle: RSS %d kB, PSS %d kB; with %d sleep containers: RSS %d kB, PSS %d kB; (PSS with %d - idle)/%d = %d kB per container",
		idleRSS, idlePSS, n, rss, pss, n, n, per)
	if idleRSS > 8<<10 {
		t.Errorf("idle monitor RSS %d kB > 8 MB", idleRSS)
	}
	if per > 256 {
		t.Errorf("%d kB PSS per running container, want <= 256 kB", per)
	}
	for i := range n {
		if err := e.r.Delete(ctx, fmt.Sprintf("mem%02d", i), true); err != nil {
			t.Fatal(err)
		}
	}
	if after := countFDs(t, pid); after != fds {
		t.Errorf("monitor has %d fds after deleting every container, %d before", after, fds)
	}
}

func countFDs(t *testing.T, pid int) int {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// BenchmarkRunTrue measures one `docker run --rm busybox true` worth of
// runner calls: create, attach, start, exit, delete (runc as the runtime).
func BenchmarkRunTrue(b *testing.B) {
	e := newEnv(b)
	ctx := b.Context()
	i := 0
	for b.Loop() {
		i++
		id := fmt.Sprintf("bench%d", i)
		if _, err := e.r.Create(ctx, e.bundle(id, "true")); err != nil {
			b.Fatal(err)
		}
		done := e.attach(id, "", runner.Streams{Stdout: io.Discard})
		if err := e.r.Start(ctx, id); err != nil {
			b.Fatal(err)
		}
		waitAttach(b, done)
		e.waitExit(id, "")
		if err := e.r.Delete(ctx, id, false); err != nil {
			b.Fatal(err)
		}
	}
}
