package shimrunner

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/berthproject/berth/internal/mount"
	"github.com/berthproject/berth/internal/runner"
	"github.com/berthproject/berth/internal/testutil"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The shared fixture: berth-runtime built from this module, in a temp dir
// removed by TestMain.
var fixture struct {
	once   sync.Once
	dir    string
	binary string
	err    error
}

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(helperDaemon())
	}
	code := m.Run()
	if fixture.dir != "" {
		os.RemoveAll(fixture.dir)
	}
	os.Exit(code)
}

func setupFixture() error {
	dir, err := os.MkdirTemp("", "berth-shimrunner-")
	if err != nil {
		return err
	}
	fixture.dir = dir
	fixture.binary = filepath.Join(dir, "berth-runtime")
	out, err := exec.Command("go", "build", "-o", fixture.binary, "github.com/berthproject/berth/cmd/berth-runtime").CombinedOutput()
	if err != nil {
		return fmt.Errorf("build berth-runtime: %v\n%s", err, out)
	}
	return nil
}

// env is one test's monitor root and runner.
type env struct {
	t      testing.TB
	root   string // short: socket paths must fit in 108 bytes
	mon    string
	rootfs string // a busybox rootfs, bind-mounted read-only into containers
	r      *Runner
	mu     sync.Mutex
	exits  []runner.Exit
	got    chan struct{}
	// onExit, when set, runs inside OnExit (to check what was delivered).
	onExit func(runner.Exit)
}

func newEnv(t testing.TB) *env {
	testutil.RequirePrivileged(t, testutil.NeedMountNS, testutil.NeedRunc)
	fixture.once.Do(func() { fixture.err = setupFixture() })
	if fixture.err != nil {
		t.Fatal(fixture.err)
	}
	rootfs := testutil.BusyboxRootfs(t)
	root, err := os.MkdirTemp("", "bm-")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, root: root, mon: filepath.Join(root, "mon"), rootfs: rootfs, got: make(chan struct{}, 100)}
	e.r = e.newRunner()
	t.Cleanup(e.cleanup)
	return e
}

func (e *env) newRunner() *Runner {
	r, err := New(e.t.Context(), Options{Root: e.mon, Binary: fixture.binary, OnExit: e.record, Debug: true})
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

func (e *env) record(x runner.Exit) {
	if e.onExit != nil {
		e.onExit(x)
	}
	e.mu.Lock()
	e.exits = append(e.exits, x)
	e.mu.Unlock()
	e.got <- struct{}{}
}

// waitExit waits for the exit of a container (execID "") or exec.
func (e *env) waitExit(id, execID string) runner.Exit {
	e.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		e.mu.Lock()
		for _, x := range e.exits {
			if x.ID == id && x.ExecID == execID {
				e.mu.Unlock()
				return x
			}
		}
		e.mu.Unlock()
		select {
		case <-e.got:
		case <-deadline:
			e.t.Fatalf("no exit for %s/%s", id, execID)
		}
	}
}

// cleanup deletes what is left, closes the runner, and checks that nothing
// leaked: the monitor exits, no mount remains below the root.
func (e *env) cleanup() {
	t := e.t
	ctx := context.WithoutCancel(t.Context())
	if sts, err := e.r.List(ctx); err == nil {
		for _, st := range sts {
			if err := e.r.Delete(ctx, st.ID, true); err != nil {
				t.Errorf("cleanup: delete %s: %v", st.ID, err)
			}
		}
	}
	pid := e.monitorPid()
	e.r.Close()
	if pid > 0 && !waitGone(pid, 5*time.Second) {
		t.Errorf("monitor %d still running after the runner closed with no containers", pid)
		syscall.Kill(pid, syscall.SIGKILL)
	}
	if m := mountsUnder(e.root); len(m) > 0 {
		t.Errorf("mounts left: %v", m)
	}
	if t.Failed() {
		if b, err := os.ReadFile(filepath.Join(e.mon, "monitor.log")); err == nil {
			t.Logf("monitor.log:\n%s", b)
		}
	}
	os.RemoveAll(e.root)
}

func (e *env) monitorPid() int {
	b, err := os.ReadFile(filepath.Join(e.mon, "monitor.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

func waitGone(pid int, d time.Duration) bool {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if syscall.Kill(pid, 0) != nil {
			return true
		}
	}
	return false
}

func mountsUnder(dir string) []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		if fields := strings.Fields(s.Text()); len(fields) > 4 && strings.HasPrefix(fields[4], dir+"/") {
			out = append(out, fields[4])
		}
	}
	return out
}

// bundle describes a busybox container running args.
func (e *env) bundle(id string, args ...string) runner.Bundle {
	return runner.Bundle{
		ID:          id,
		Dir:         filepath.Join(e.root, "b", id),
		Spec:        spec(id, args),
		Rootfs:      []mount.Mount{{Type: "bind", Source: e.rootfs, Options: []string{"rbind", "ro"}}},
		Runtime:     "runc",
		RuntimeRoot: filepath.Join(e.root, "runc"),
		Log:         runner.LogConfig{Path: e.logPath(id), MaxSize: 20 << 20, MaxFiles: 3},
	}
}

func (e *env) logPath(id string) string { return filepath.Join(e.root, "logs", id+"-json.log") }

// cgroupPath is the container's v1 memory cgroup.
func cgroupPath(id string) string { return "/sys/fs/cgroup/memory/berth-test-" + id }

var defaultCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
	"CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

// spec is a minimal hand-written OCI spec: new pid, mount, uts, ipc and net
// namespaces, /proc, a /dev tmpfs with /dev/pts, default capabilities, and a
// cgroup of its own.
func spec(id string, args []string) *specs.Spec {
	caps := &specs.LinuxCapabilities{Bounding: defaultCaps, Effective: defaultCaps, Permitted: defaultCaps}
	return &specs.Spec{
		Version: specs.Version,
		Process: &specs.Process{
			Args: args, Cwd: "/", Env: []string{"PATH=/bin", "TERM=xterm", "HOME=/root"},
			Capabilities: caps, NoNewPrivileges: true,
		},
		Root:     &specs.Root{Path: "rootfs", Readonly: true},
		Hostname: id,
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}},
			{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "nodev", "mode=1777"}},
		},
		Linux: &specs.Linux{
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace}, {Type: specs.MountNamespace}, {Type: specs.UTSNamespace},
				{Type: specs.IPCNamespace}, {Type: specs.NetworkNamespace},
			},
			CgroupsPath: "/berth-test-" + id,
			Resources:   &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}},
		},
	}
}

// buffer is a concurrency-safe bytes.Buffer for attach output.
type buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// waitFor polls until cond holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timeout waiting for %s", what)
}
