package engine

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/backend"
	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// startSleeper creates and starts a container running until killed,
// with hc's resources.
func (env *testEnv) startSleeper(t *testing.T, res container.Resources) string {
	t.Helper()
	resp, err := env.eng.ContainerCreate(t.Context(), backend.CreateConfig{
		Config:     &container.Config{Image: "busybox", Cmd: []string{"sleep", "100"}},
		HostConfig: &container.HostConfig{Resources: res},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := env.eng.ContainerStart(t.Context(), resp.ID); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = env.eng.ContainerRemove(t.Context(), resp.ID, backend.RemoveOptions{Force: true})
	})
	return resp.ID
}

func i64(v int64) *int64 { return &v }

func TestUpdateRunning(t *testing.T) {
	env := newEnv(t)
	id := env.startSleeper(t, container.Resources{Memory: 64 << 20})
	v, _ := env.eng.ContainerInspect(t.Context(), id, backend.InspectOptions{})
	if v.HostConfig.MemorySwap != 128<<20 {
		t.Fatalf("MemorySwap at create = %d, want twice the memory", v.HostConfig.MemorySwap)
	}
	_, err := env.eng.ContainerUpdate(t.Context(), id, container.UpdateConfig{Resources: container.Resources{
		Memory: 32 << 20, NanoCPUs: 5e8, PidsLimit: i64(50),
	}})
	if err != nil {
		t.Fatal(err)
	}
	ups := env.fr.Updates(id)
	if len(ups) != 1 {
		t.Fatalf("runner got %d updates", len(ups))
	}
	u := ups[0]
	if *u.Memory.Limit != 32<<20 || *u.Memory.Swap != 128<<20 || *u.CPU.Quota != 50000 || *u.CPU.Period != 100000 || *u.Pids.Limit != 50 {
		t.Errorf("runner resources = mem %+v cpu %+v pids %+v", u.Memory, u.CPU, u.Pids)
	}
	v, _ = env.eng.ContainerInspect(t.Context(), id, backend.InspectOptions{})
	if v.HostConfig.Memory != 32<<20 || v.HostConfig.NanoCPUs != 5e8 || *v.HostConfig.PidsLimit != 50 {
		t.Errorf("HostConfig after update = %+v", v.HostConfig.Resources)
	}
	// persisted: a new engine over the same store sees it
	env.start(t, env.fr)
	v, _ = env.eng.ContainerInspect(t.Context(), id, backend.InspectOptions{})
	if v.HostConfig.Memory != 32<<20 {
		t.Errorf("after restart Memory = %d", v.HostConfig.Memory)
	}
}

func TestUpdateStoppedAndRefused(t *testing.T) {
	env := newEnv(t)
	id := env.create(t, "", "true")
	if _, err := env.eng.ContainerUpdate(t.Context(), id, container.UpdateConfig{Resources: container.Resources{CPUShares: 512}}); err != nil {
		t.Fatal(err)
	}
	if len(env.fr.Updates(id)) != 0 {
		t.Errorf("a created container's update reached the runner")
	}
	v, _ := env.eng.ContainerInspect(t.Context(), id, backend.InspectOptions{})
	if v.HostConfig.CPUShares != 512 {
		t.Errorf("CPUShares = %d", v.HostConfig.CPUShares)
	}

	run := env.startSleeper(t, container.Resources{})
	env.fr.Hooks.Update = func(string, *specs.LinuxResources) error {
		return errdefs.Errorf(errdefs.ErrInternal, "OCI runtime update failed: nope")
	}
	_, err := env.eng.ContainerUpdate(t.Context(), run, container.UpdateConfig{Resources: container.Resources{CPUShares: 256}})
	if err == nil || !strings.Contains(err.Error(), "Cannot update container") || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("err = %v", err)
	}
	v, _ = env.eng.ContainerInspect(t.Context(), run, backend.InspectOptions{})
	if v.HostConfig.CPUShares != 0 {
		t.Errorf("a refused update changed HostConfig: %d", v.HostConfig.CPUShares)
	}
}

func TestMergeUpdate(t *testing.T) {
	tests := []struct {
		name string
		hc   container.HostConfig
		u    container.UpdateConfig
		err  string
		ok   func(container.HostConfig) bool
	}{
		{name: "memory above unset swap", u: container.UpdateConfig{Resources: container.Resources{Memory: 64 << 20}},
			err: "Memory limit should be smaller than already set memoryswap limit"},
		{name: "memory with swap", u: container.UpdateConfig{Resources: container.Resources{Memory: 64 << 20, MemorySwap: -1}},
			ok: func(hc container.HostConfig) bool { return hc.Memory == 64<<20 && hc.MemorySwap == -1 }},
		{name: "nano cpus after period", hc: container.HostConfig{Resources: container.Resources{CPUPeriod: 50000}},
			u: container.UpdateConfig{Resources: container.Resources{NanoCPUs: 1e9}}, err: "Nano CPUs cannot be updated"},
		{name: "tiny memory", hc: container.HostConfig{Resources: container.Resources{MemorySwap: 1 << 30}},
			u: container.UpdateConfig{Resources: container.Resources{Memory: 1 << 20}}, err: "Minimum memory limit allowed is 6MB"},
		{name: "too many cpus", u: container.UpdateConfig{Resources: container.Resources{NanoCPUs: 64e9}}, err: "Range of CPUs"},
		{name: "restart policy", u: container.UpdateConfig{RestartPolicy: container.RestartPolicy{Name: "always"}},
			ok: func(hc container.HostConfig) bool { return hc.RestartPolicy.Name == "always" }},
		{name: "restart policy with --rm", hc: container.HostConfig{AutoRemove: true},
			u: container.UpdateConfig{RestartPolicy: container.RestartPolicy{Name: "always"}}, err: "AutoRemove"},
		{name: "zero leaves alone", hc: container.HostConfig{Resources: container.Resources{CPUShares: 100, CpusetCpus: "0"}},
			u: container.UpdateConfig{Resources: container.Resources{BlkioWeight: 300}},
			ok: func(hc container.HostConfig) bool {
				return hc.CPUShares == 100 && hc.CpusetCpus == "0" && hc.BlkioWeight == 300
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := mergeUpdate(tc.hc, tc.u, 2)
			if tc.err != "" {
				if !errors.Is(err, errdefs.ErrInvalidArgument) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || !tc.ok(got) {
				t.Fatalf("got %+v, %v", got.Resources, err)
			}
		})
	}
}

func TestStats(t *testing.T) {
	env := newEnv(t)
	id := env.startSleeper(t, container.Resources{Memory: 64 << 20})
	var got []*container.StatsResponse
	collect := func(s *container.StatsResponse) error { got = append(got, s); return nil }

	if err := env.eng.ContainerStats(t.Context(), id, backend.StatsOptions{OneShot: true}, collect); err != nil {
		t.Fatal(err)
	}
	s := got[0]
	if s.ID != id || s.MemoryStats.Usage != 1<<20 || s.MemoryStats.Limit != 64<<20 || s.PreRead != (time.Time{}) ||
		s.CPUStats.SystemUsage == 0 || s.PidsStats.Current != 1 || s.OSType != "linux" {
		t.Errorf("one-shot = %+v", s)
	}

	got = nil
	start := time.Now()
	if err := env.eng.ContainerStats(t.Context(), id, backend.StatsOptions{}, collect); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].PreCPUStats.CPUUsage.TotalUsage == 0 || got[0].PreCPUStats.SystemUsage >= got[0].CPUStats.SystemUsage {
		t.Errorf("stream=false did not prime precpu_stats: %+v", got)
	}
	if took := time.Since(start); took < statsPrime || took > 3*statsPrime {
		t.Errorf("stream=false took %v", took)
	}

	got = nil
	if err := env.eng.ContainerStats(t.Context(), id, backend.StatsOptions{Stream: true, OneShot: true}, collect); !errdefs.IsInvalidArgument(err) {
		t.Errorf("stream with one-shot: %v", err)
	}
	stopped := env.create(t, "", "true")
	if err := env.eng.ContainerStats(t.Context(), stopped, backend.StatsOptions{}, collect); err != nil || len(got) != 1 ||
		got[0].ID != stopped || got[0].Read != (time.Time{}) {
		t.Errorf("stats of a created container: %+v, %v", got, err)
	}
}

func TestStatsStream(t *testing.T) {
	env := newEnv(t)
	id := env.startSleeper(t, container.Resources{})
	n := 0
	errStop := errors.New("enough")
	err := env.eng.ContainerStats(t.Context(), id, backend.StatsOptions{Stream: true}, func(s *container.StatsResponse) error {
		n++
		if n == 1 && s.PreRead != (time.Time{}) {
			t.Errorf("first streamed sample has a pre-reading")
		}
		if n == 2 {
			if s.PreRead.IsZero() || s.MemoryStats.Limit == 0 {
				t.Errorf("second sample = %+v", s)
			}
			return errStop
		}
		return nil
	})
	if !errors.Is(err, errStop) || n != 2 {
		t.Errorf("stream ended with %v after %d samples", err, n)
	}
}
