package shimrunner

import (
	"os"
	"strings"
	"testing"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/runner"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestUpdateAndStats changes a running container's limits through the
// monitor and the runtime (runc here: `update --resources FILE ID`) and
// reads them back from its cgroup with Stats.
func TestUpdateAndStats(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	b := e.bundle("upd", "sleep", "100")
	limit := int64(64 << 20)
	b.Spec.Linux.Resources.Memory = &specs.LinuxMemory{Limit: &limit}
	if _, err := e.r.Create(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := e.r.Start(ctx, "upd"); err != nil {
		t.Fatal(err)
	}
	s, err := e.r.Stats(ctx, "upd")
	if err != nil {
		t.Fatal(err)
	}
	if s.CgroupVersion == 0 || s.Memory.Limit != 64<<20 || s.Memory.Usage == 0 || s.CPU.SystemUsage == 0 {
		t.Errorf("stats = %+v", s)
	}
	newLimit, pids := int64(32<<20), int64(20)
	if err := e.r.Update(ctx, "upd", &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: &newLimit}, Pids: &specs.LinuxPids{Limit: &pids},
	}); err != nil {
		t.Fatal(err)
	}
	if got := readCgroup(t, cgroupPath("upd")+"/memory.limit_in_bytes"); got != "33554432" {
		t.Errorf("memory.limit_in_bytes = %s after update", got)
	}
	if s, err = e.r.Stats(ctx, "upd"); err != nil || s.Memory.Limit != 32<<20 || s.Pids.Limit != 20 {
		t.Errorf("stats after update = %+v, %v", s, err)
	}
	if err := e.r.Kill(ctx, "upd", 9, false); err != nil {
		t.Fatal(err)
	}
	e.waitExit("upd", "")
	if err := e.r.Update(ctx, "upd", &specs.LinuxResources{}); !errdefs.IsConflict(err) {
		t.Errorf("update of a stopped container: %v", err)
	}
	if _, err := e.r.Stats(ctx, "upd"); !errdefs.IsConflict(err) {
		t.Errorf("stats of a stopped container: %v", err)
	}
	if _, err := e.r.Stats(ctx, "nope"); !errdefs.IsNotFound(err) {
		t.Errorf("stats of an unknown container: %v", err)
	}
	var _ runner.Runner = e.r
}

func readCgroup(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}
