package engine

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berthproject/berth/api"
	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/backend"
	"github.com/berthproject/berth/internal/events"
	"github.com/berthproject/berth/internal/mount"
	"github.com/berthproject/berth/internal/runner"
	"github.com/berthproject/berth/internal/runner/fake"
	"github.com/berthproject/berth/internal/store"
	"github.com/moby/moby/api/types/container"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// fakeImages knows one image, busybox.
type fakeImages struct{}

func (fakeImages) Resolve(ctx context.Context, ref string) (ImageInfo, error) {
	if ref != "busybox" && ref != "busybox:latest" && ref != "sha256:b0b" {
		return ImageInfo{}, errdefs.Errorf(errdefs.ErrNotFound, "No such image: %s", ref)
	}
	return ImageInfo{ID: "sha256:b0b", ChainID: "sha256:chain", Config: ocispec.ImageConfig{
		Env: []string{"PATH=/bin", "A=image"}, Cmd: []string{"sh"}, Labels: map[string]string{"from": "image"},
	}}, nil
}

// fakeSnapshots records prepared keys.
type fakeSnapshots struct {
	mu   sync.Mutex
	keys map[string]string
}

func (s *fakeSnapshots) Prepare(ctx context.Context, key, parent string) ([]mount.Mount, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.keys[key]; ok {
		return nil, errdefs.ErrAlreadyExists
	}
	s.keys[key] = parent
	return []mount.Mount{{Type: "bind", Source: "/nonexistent/" + key}}, nil
}

func (s *fakeSnapshots) Mounts(ctx context.Context, key string) ([]mount.Mount, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.keys[key]; !ok {
		return nil, errdefs.ErrNotFound
	}
	return []mount.Mount{{Type: "bind", Source: "/nonexistent/" + key}}, nil
}

func (s *fakeSnapshots) Remove(ctx context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.keys[key]; !ok {
		return errdefs.ErrNotFound
	}
	delete(s.keys, key)
	return nil
}

type testEnv struct {
	eng   *Engine
	fr    *fake.Runner
	snaps *fakeSnapshots
	store *store.Store
	dir   string
}

func newEnv(t *testing.T) *testEnv {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "berth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	env := &testEnv{store: st, dir: dir, snaps: &fakeSnapshots{keys: map[string]string{}}}
	env.start(t, nil)
	return env
}

// start builds an engine over the env's store and (new, unless given) runner.
func (env *testEnv) start(t *testing.T, r *fake.Runner) {
	t.Helper()
	eng, err := New(Options{
		Root: filepath.Join(env.dir, "containers"), BundleRoot: filepath.Join(env.dir, "bundles"),
		RuntimeRoot: filepath.Join(env.dir, "runtime"), Runtimes: map[string]string{"berth": "/bin/true"},
		DefaultRuntime: "berth", LogMaxSize: 1 << 20, LogMaxFiles: 2,
		Store: env.store, Events: events.New(), Images: fakeImages{}, Snapshots: env.snaps,
	})
	if err != nil {
		t.Fatal(err)
	}
	if r == nil {
		r = fake.New(eng.HandleExit)
	} else {
		r.SetExitFunc(eng.HandleExit)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := eng.Restore(ctx, r); err != nil {
		t.Fatal(err)
	}
	env.eng, env.fr = eng, r
}

func (env *testEnv) create(t *testing.T, name string, cmd ...string) string {
	t.Helper()
	resp, err := env.eng.ContainerCreate(t.Context(), backend.CreateConfig{Name: name,
		Config: &container.Config{Image: "busybox", Cmd: cmd, Labels: map[string]string{"k": "v"}}})
	if err != nil {
		t.Fatal(err)
	}
	return resp.ID
}

// run creates, starts and waits for a container; it returns the exit code.
func (env *testEnv) run(t *testing.T, cmd ...string) (string, int) {
	t.Helper()
	id := env.create(t, "", cmd...)
	wait, err := env.eng.ContainerWait(t.Context(), id, container.WaitConditionNextExit)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.eng.ContainerStart(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-wait:
		return id, int(r.StatusCode)
	case <-time.After(5 * time.Second):
		t.Fatal("container did not exit")
	}
	return id, -1
}

func logsOf(t *testing.T, e *Engine, id string) string {
	t.Helper()
	msgs, _, err := e.ContainerLogs(t.Context(), id, backend.LogsOptions{ShowStdout: true, ShowStderr: true, Tail: -1})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for m := range msgs {
		b.Write(m.Line)
	}
	return b.String()
}

func TestRunEchoAndExitCode(t *testing.T) {
	env := newEnv(t)
	id, code := env.run(t, "echo", "hello")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if got := logsOf(t, env.eng, id); got != "hello\n" {
		t.Fatalf("logs = %q", got)
	}
	id, code = env.run(t, "sh", "-c", "exit 7")
	if code != 7 {
		t.Fatalf("exit %d, want 7", code)
	}
	v, err := env.eng.ContainerInspect(t.Context(), id, backend.InspectOptions{})
	if err != nil || v.State.Status != container.StateExited || v.State.ExitCode != 7 {
		t.Fatalf("inspect = %+v, %v", v.State, err)
	}
}

func TestCreateErrors(t *testing.T) {
	env := newEnv(t)
	env.create(t, "taken", "true")
	ctx := t.Context()
	for _, tc := range []struct {
		name string
		cfg  backend.CreateConfig
		is   func(error) bool
	}{
		{"name conflict", backend.CreateConfig{Name: "taken", Config: &container.Config{Image: "busybox"}}, errdefs.IsConflict},
		{"bad name", backend.CreateConfig{Name: "a b", Config: &container.Config{Image: "busybox"}}, errdefs.IsInvalidArgument},
		{"no image", backend.CreateConfig{Config: &container.Config{Image: "nope"}}, errdefs.IsNotFound},
		{"no config", backend.CreateConfig{}, errdefs.IsInvalidArgument},
		{"tiny memory", backend.CreateConfig{Config: &container.Config{Image: "busybox"},
			HostConfig: &container.HostConfig{Resources: container.Resources{Memory: 1 << 20}}}, errdefs.IsInvalidArgument},
		{"bad runtime", backend.CreateConfig{Config: &container.Config{Image: "busybox"},
			HostConfig: &container.HostConfig{Runtime: "nope"}}, errdefs.IsInvalidArgument},
		{"bad log opt", backend.CreateConfig{Config: &container.Config{Image: "busybox"},
			HostConfig: &container.HostConfig{LogConfig: container.LogConfig{Type: "json-file", Config: map[string]string{"max-size": "x"}}}}, errdefs.IsInvalidArgument},
	} {
		if _, err := env.eng.ContainerCreate(ctx, tc.cfg); !tc.is(err) {
			t.Errorf("%s: err = %v", tc.name, err)
		}
	}
	if _, err := env.eng.ContainerInspect(ctx, "nope", backend.InspectOptions{}); !errdefs.IsNotFound(err) || err.Error() != "No such container: nope" {
		t.Errorf("inspect unknown: %v", err)
	}
}

func TestImageConfigMerged(t *testing.T) {
	env := newEnv(t)
	resp, err := env.eng.ContainerCreate(t.Context(), backend.CreateConfig{
		Config: &container.Config{Image: "busybox", Env: []string{"A=mine", "B=b"}}})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := env.eng.ContainerInspect(t.Context(), resp.ID, backend.InspectOptions{})
	if got := strings.Join(v.Config.Env, ","); got != "A=mine,B=b,PATH=/bin" {
		t.Errorf("env = %s", got)
	}
	if v.Path != "sh" || len(v.Args) != 0 || v.Config.Labels["from"] != "image" || v.Config.Hostname != resp.ID[:12] {
		t.Errorf("merged config: path %q args %v labels %v hostname %q", v.Path, v.Args, v.Config.Labels, v.Config.Hostname)
	}
}

func TestRemoveRules(t *testing.T) {
	env := newEnv(t)
	ctx := t.Context()
	id := env.create(t, "sleeper", "sleep", "100")
	if err := env.eng.ContainerStart(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := env.eng.ContainerStart(ctx, id); !errdefs.IsNotModified(err) {
		t.Errorf("second start: %v", err)
	}
	if err := env.eng.ContainerRemove(ctx, id, backend.RemoveOptions{}); !errdefs.IsConflict(err) {
		t.Fatalf("rm running: %v", err)
	}
	removed, _ := env.eng.ContainerWait(ctx, id, container.WaitConditionRemoved)
	if err := env.eng.ContainerRemove(ctx, "sleeper", backend.RemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-removed:
		if r.StatusCode != 137 {
			t.Errorf("removed wait code %d, want 137", r.StatusCode)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("wait removed did not return")
	}
	if len(env.snaps.keys) != 0 {
		t.Errorf("snapshots left: %v", env.snaps.keys)
	}
	if _, err := env.eng.ContainerInspect(ctx, id, backend.InspectOptions{}); !errdefs.IsNotFound(err) {
		t.Errorf("inspect after rm: %v", err)
	}
	// The name is free again.
	env.create(t, "sleeper", "true")
}

func TestStopKillsAfterTimeout(t *testing.T) {
	env := newEnv(t)
	ctx := t.Context()
	// A process that ignores SIGTERM.
	env.fr.Handle("stubborn", func(p *fake.Process) int { <-p.Context().Done(); return 137 })
	id := env.create(t, "", "stubborn")
	if err := env.eng.ContainerStart(ctx, id); err != nil {
		t.Fatal(err)
	}
	zero := 0
	start := time.Now()
	if err := env.eng.ContainerStop(ctx, id, backend.StopOptions{Timeout: &zero}); err != nil {
		t.Fatal(err)
	}
	v, _ := env.eng.ContainerInspect(ctx, id, backend.InspectOptions{})
	if v.State.Running || v.State.ExitCode != 137 || time.Since(start) > 3*time.Second {
		t.Fatalf("after stop: %+v in %v", v.State, time.Since(start))
	}
	if err := env.eng.ContainerStop(ctx, id, backend.StopOptions{}); !errdefs.IsNotModified(err) {
		t.Errorf("stop stopped: %v", err)
	}
	if err := env.eng.ContainerKill(ctx, id, ""); !errdefs.IsConflict(err) {
		t.Errorf("kill stopped: %v", err)
	}
	if err := env.eng.ContainerKill(ctx, id, "NOPE"); err == nil {
		t.Error("kill with a bad signal: no error")
	}
}

func TestExec(t *testing.T) {
	env := newEnv(t)
	ctx := t.Context()
	id := env.create(t, "", "sleep", "100")
	if err := env.eng.ContainerStart(ctx, id); err != nil {
		t.Fatal(err)
	}
	xid, err := env.eng.ContainerExecCreate(ctx, id, container.ExecCreateRequest{Cmd: []string{"sh", "-c", "echo hi; exit 3"}, AttachStdout: true})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := env.eng.ContainerExecStart(ctx, xid, backend.ExecStartConfig{AttachStreams: backend.AttachStreams{Stdout: &out}}); err != nil {
		t.Fatal(err)
	}
	x, err := env.eng.ContainerExecInspect(ctx, xid)
	if err != nil || x.Running || x.ExitCode == nil || *x.ExitCode != 3 || out.String() != "hi\n" {
		t.Fatalf("exec: %+v, out %q, %v", x, out.String(), err)
	}
	if err := env.eng.ContainerExecStart(ctx, xid, backend.ExecStartConfig{}); !errdefs.IsConflict(err) {
		t.Errorf("second exec start: %v", err)
	}
	if _, err := env.eng.ContainerExecInspect(ctx, "nope"); !errdefs.IsNotFound(err) {
		t.Errorf("unknown exec: %v", err)
	}
}

func TestListFilters(t *testing.T) {
	env := newEnv(t)
	ctx := t.Context()
	a := env.create(t, "alpha", "sleep", "100")
	if err := env.eng.ContainerStart(ctx, a); err != nil {
		t.Fatal(err)
	}
	env.create(t, "beta", "true")
	for _, tc := range []struct {
		all     bool
		filters []string
		want    string
	}{
		{false, nil, "/alpha"},
		{true, nil, "/beta,/alpha"},
		{true, []string{"status=created"}, "/beta"},
		{true, []string{"name=alp"}, "/alpha"},
		{true, []string{"label=k=v"}, "/beta,/alpha"},
		{true, []string{"label=k=w"}, ""},
		{true, []string{"ancestor=busybox"}, "/beta,/alpha"},
		{true, []string{"id=" + a[:6]}, "/alpha"},
	} {
		f, _ := api.NewFilters(tc.filters...)
		list, err := env.eng.Containers(ctx, backend.ListOptions{All: tc.all, Filters: f})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range list {
			names = append(names, c.Names[0])
		}
		if got := strings.Join(names, ","); got != tc.want {
			t.Errorf("list all=%v %v = %q, want %q", tc.all, tc.filters, got, tc.want)
		}
	}
	f, _ := api.NewFilters("status=bogus")
	if _, err := env.eng.Containers(ctx, backend.ListOptions{Filters: f}); !errdefs.IsInvalidArgument(err) {
		t.Errorf("bad status filter: %v", err)
	}
}

// A start stuck in the runtime must not block reads of other containers.
func TestReadsNeverBlockOnAStuckStart(t *testing.T) {
	env := newEnv(t)
	ctx := t.Context()
	other := env.create(t, "other", "true")
	stuck := env.create(t, "stuck", "sleep", "100")
	release := make(chan struct{})
	env.fr.Hooks.Create = func(b runner.Bundle) error {
		if b.ID == stuck {
			<-release
		}
		return nil
	}
	defer close(release)
	go env.eng.ContainerStart(context.WithoutCancel(ctx), stuck)
	time.Sleep(50 * time.Millisecond)
	done := make(chan error, 1)
	go func() {
		_, err := env.eng.Containers(ctx, backend.ListOptions{All: true})
		if err == nil {
			_, err = env.eng.ContainerInspect(ctx, stuck, backend.InspectOptions{})
		}
		if err == nil {
			_, err = env.eng.ContainerInspect(ctx, other, backend.InspectOptions{})
		}
		if err == nil {
			_, err = env.eng.SystemInfo(ctx)
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Second):
		t.Fatal("reads blocked by a stuck start")
	}
}

func TestRestoreAfterRestart(t *testing.T) {
	env := newEnv(t)
	ctx := t.Context()
	running := env.create(t, "running", "sleep", "100")
	if err := env.eng.ContainerStart(ctx, running); err != nil {
		t.Fatal(err)
	}
	exited, _ := env.run(t, "echo", "bye")
	r := env.fr
	// A new engine over the same store and runner: as after berthd restarts.
	env.start(t, r)
	for id, want := range map[string]container.ContainerState{running: container.StateRunning, exited: container.StateExited} {
		v, err := env.eng.ContainerInspect(ctx, id, backend.InspectOptions{})
		if err != nil || v.State.Status != want {
			t.Fatalf("%s after restore: %v, %v", id[:12], v, err)
		}
	}
	wait, _ := env.eng.ContainerWait(ctx, running, container.WaitConditionNotRunning)
	if err := env.eng.ContainerKill(ctx, running, "KILL"); err != nil {
		t.Fatal(err)
	}
	select {
	case w := <-wait:
		if w.StatusCode != 137 {
			t.Errorf("exit after restore = %d", w.StatusCode)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("exit after restore not seen")
	}
	if err := env.eng.ContainerRename(ctx, "running", "renamed"); err != nil {
		t.Fatal(err)
	}
	if _, err := env.eng.ContainerInspect(ctx, "renamed", backend.InspectOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestAutoRemove(t *testing.T) {
	env := newEnv(t)
	ctx := t.Context()
	resp, err := env.eng.ContainerCreate(ctx, backend.CreateConfig{Config: &container.Config{Image: "busybox", Cmd: []string{"true"}},
		HostConfig: &container.HostConfig{AutoRemove: true}})
	if err != nil {
		t.Fatal(err)
	}
	wait, _ := env.eng.ContainerWait(ctx, resp.ID, container.WaitConditionRemoved)
	if err := env.eng.ContainerStart(ctx, resp.ID); err != nil {
		t.Fatal(err)
	}
	select {
	case <-wait:
	case <-time.After(5 * time.Second):
		t.Fatal("auto-remove did not happen")
	}
	if _, err := env.eng.ContainerInspect(ctx, resp.ID, backend.InspectOptions{}); !errdefs.IsNotFound(err) {
		t.Fatalf("still there: %v", err)
	}
}

func TestStartFailureRecorded(t *testing.T) {
	env := newEnv(t)
	ctx := t.Context()
	id := env.create(t, "", "nope-not-a-program")
	err := env.eng.ContainerStart(ctx, id)
	if err == nil || !strings.Contains(err.Error(), "executable file not found") {
		t.Fatalf("start err = %v", err)
	}
	v, _ := env.eng.ContainerInspect(ctx, id, backend.InspectOptions{})
	if v.State.ExitCode != 127 || v.State.Error == "" || v.State.Status != container.StateCreated {
		t.Fatalf("state after failed start: %+v", v.State)
	}
	if !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("kind: %v", err)
	}
}
