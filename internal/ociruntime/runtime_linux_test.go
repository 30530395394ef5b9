package ociruntime_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestLifecycle(t *testing.T) {
	e := newEnv(t)
	e.spec([]string{"sh", "-c", "read line; echo got:$line; echo err >&2; exit 3"}, nil, nil)
	pidFile := filepath.Join(t.TempDir(), "pid")
	c := e.cmd("create", "--bundle", e.bundle, "--pid-file", pidFile, e.id)
	stdinR, stdinW, _ := os.Pipe()
	var out bytes.Buffer
	outR, outW, _ := os.Pipe()
	c.Stdin, c.Stdout, c.Stderr = stdinR, outW, outW
	if err := c.Run(); err != nil {
		t.Fatalf("create: %v", err)
	}
	stdinR.Close()
	outW.Close()
	st := e.state()
	if st.Status != "created" || st.Pid <= 0 || st.Bundle != e.bundle {
		t.Fatalf("state after create = %+v", st)
	}
	if b, _ := os.ReadFile(pidFile); string(b) != strconv.Itoa(st.Pid) {
		t.Errorf("pid file = %q, want %d", b, st.Pid)
	}
	e.must("state", e.id)
	e.must("start", e.id)
	if _, _, code := e.run("start", e.id); code == 0 {
		t.Errorf("second start succeeded")
	}
	io.WriteString(stdinW, "ping\n")
	stdinW.Close()
	io.Copy(&out, outR)
	if out.String() != "got:ping\nerr\n" {
		t.Errorf("stdout = %q", out.String())
	}
	e.waitStatus("stopped")
	if e.state().Pid != 0 {
		t.Errorf("stopped container reports a pid")
	}
	e.must("delete", e.id)
	if _, stderr, code := e.run("state", e.id); code == 0 || !strings.Contains(stderr, "not found") {
		t.Errorf("state after delete: exit %d, %q", code, stderr)
	}
	checkNoLeftovers(t, e)
}

func TestRunExitCodes(t *testing.T) {
	tests := []struct {
		script string
		want   int
	}{
		{"exit 0", 0}, {"exit 7", 7}, {"echo $$ | grep -qx 1", 0},
	}
	for _, tc := range tests {
		t.Run(tc.script, func(t *testing.T) {
			e := newEnv(t)
			e.spec([]string{"sh", "-c", tc.script}, nil, nil)
			if _, stderr, code := e.run("run", "-b", e.bundle, e.id); code != tc.want {
				t.Errorf("exit %d, want %d (%s)", code, tc.want, stderr)
			}
		})
	}
}

// TestRunKilled: `run` in the foreground exits 128+N when the init dies of signal N.
func TestRunKilled(t *testing.T) {
	e := newEnv(t)
	e.spec([]string{"sleep", "100"}, nil, nil)
	done := make(chan int, 1)
	go func() {
		_, _, code := e.run("run", "-b", e.bundle, e.id)
		done <- code
	}()
	for i := 0; i < 500; i++ {
		if out, _, _ := e.run("state", e.id); strings.Contains(out, `"running"`) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.must("kill", e.id, "KILL")
	if code := <-done; code != 137 {
		t.Errorf("run exit %d, want 137", code)
	}
}

func TestStartFailsForMissingExecutable(t *testing.T) {
	e := newEnv(t)
	e.spec([]string{"no-such-program"}, nil, nil)
	_, stderr, code := e.run("create", "-b", e.bundle, e.id)
	if code == 0 || !strings.Contains(stderr, "executable file not found in $PATH") {
		t.Errorf("create: exit %d, stderr %q", code, stderr)
	}
}

func TestExec(t *testing.T) {
	e := newEnv(t)
	e.spec([]string{"sleep", "100"}, nil, nil)
	e.must("run", "-d", "-b", e.bundle, e.id)
	out := e.must("exec", e.id, "ps", "-o", "pid,args")
	if !strings.Contains(out, "1 sleep 100") {
		t.Errorf("ps in the container:\n%s", out)
	}
	if _, _, code := e.run("exec", e.id, "sh", "-c", "exit 5"); code != 5 {
		t.Errorf("exec exit %d, want 5", code)
	}
	out = e.must("exec", "-e", "FOO=bar", "--cwd", "/tmp", "-u", "65534:65534", e.id, "sh", "-c", "echo $FOO $(pwd) $(id -u):$(id -g)")
	if out != "bar /tmp 65534:65534\n" {
		t.Errorf("exec env/cwd/user = %q", out)
	}
	pidFile := filepath.Join(t.TempDir(), "exec.pid")
	e.must("exec", "-d", "--pid-file", pidFile, e.id, "sleep", "50")
	b, _ := os.ReadFile(pidFile)
	pid, _ := strconv.Atoi(string(b))
	if pid <= 0 {
		t.Fatalf("exec pid file = %q", b)
	}
	ps := e.must("ps", "--format", "json", e.id)
	if !strings.Contains(ps, strconv.Itoa(pid)) || !strings.Contains(ps, strconv.Itoa(e.state().Pid)) {
		t.Errorf("ps json %s lacks init or exec pid %d", ps, pid)
	}
	if _, _, code := e.run("exec", e.id, "no-such-program"); code == 0 {
		t.Errorf("exec of a missing program succeeded")
	}
	e.must("kill", e.id, "KILL")
	e.waitStatus("stopped")
}

func TestKillAndPause(t *testing.T) {
	e := newEnv(t)
	e.spec([]string{"sleep", "100"}, nil, nil)
	e.must("run", "-d", "-b", e.bundle, e.id)
	if _, _, code := e.run("delete", e.id); code == 0 {
		t.Errorf("delete of a running container succeeded without --force")
	}
	e.must("pause", e.id)
	if st := e.state().Status; st != "paused" {
		t.Errorf("status after pause = %q", st)
	}
	e.must("resume", e.id)
	if list := e.must("list", "-q"); !strings.Contains(list, e.id) {
		t.Errorf("list -q = %q", list)
	}
	e.must("kill", "--all", e.id, "9")
	e.waitStatus("stopped")
	e.must("delete", e.id)
}

func TestSecurity(t *testing.T) {
	tests := []struct {
		name   string
		script string
		edit   func(*container.Config, *container.HostConfig)
		want   string
	}{
		{"read-only root", "touch /x 2>&1; touch /dev/shm/ok && echo shm-ok", func(c *container.Config, h *container.HostConfig) { h.ReadonlyRootfs = true },
			"touch: /x: Read-only file system\nshm-ok\n"},
		{"user 65534", "id -u; grep CapEff /proc/self/status", func(c *container.Config, h *container.HostConfig) { c.User = "65534" },
			"65534\nCapEff:\t0000000000000000\n"},
		{"masked paths", "wc -c < /proc/keys; ls /sys/firmware /proc/acpi | wc -l; echo x > /proc/sys/kernel/domainname 2>/dev/null || echo ro", nil,
			"0\n3\nro\n"},
		{"default caps", "grep CapBnd /proc/self/status", nil, "CapBnd:\t00000000a80425fb\n"},
		{"hostname and lo", "hostname; cat /sys/class/net/lo/operstate", func(c *container.Config, h *container.HostConfig) { c.Hostname = "box" },
			"box\nunknown\n"},
		{"sysctl", "cat /proc/sys/net/ipv4/ip_unprivileged_port_start", nil, "0\n"},
		{"cgroup mount", "ls /sys/fs/cgroup/memory/memory.limit_in_bytes", nil, "/sys/fs/cgroup/memory/memory.limit_in_bytes\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.spec([]string{"sh", "-c", tc.script}, tc.edit, nil)
			out, stderr, code := e.run("run", "-b", e.bundle, e.id)
			if code != 0 || out != tc.want {
				t.Errorf("exit %d, stdout %q, want %q (stderr %q)", code, out, tc.want, stderr)
			}
		})
	}
}

func TestRlimitError(t *testing.T) {
	e := newEnv(t)
	e.spec([]string{"true"}, nil, func(s *specs.Spec) {
		s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 1 << 30, Hard: 1 << 30}}
	})
	_, stderr, code := e.run("run", "-b", e.bundle, e.id)
	if code == 0 || !strings.Contains(stderr, "RLIMIT_NOFILE") || !strings.Contains(stderr, "host hard limit") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

func TestMemoryLimitOOM(t *testing.T) {
	e := newEnv(t)
	e.spec([]string{"sh", "-c", "head -c 64m /dev/zero | tail > /dev/null"}, func(c *container.Config, h *container.HostConfig) {
		h.Memory, h.MemorySwap = 32<<20, 32<<20
	}, nil)
	if _, stderr, code := e.run("run", "-b", e.bundle, e.id); code != 137 {
		t.Errorf("exit %d, want 137 (OOM kill): %s", code, stderr)
	}
}

func TestPidsLimit(t *testing.T) {
	e := newEnv(t)
	// the inner shell forks until the limit stops it; then count what runs
	script := "sh -c 'i=0; while [ $i -lt 40 ]; do sleep 3 & i=$((i+1)); done' 2>/dev/null; set -- /proc/[0-9]*; echo $#"
	e.spec([]string{"sh", "-c", script}, func(c *container.Config, h *container.HostConfig) {
		n := int64(20)
		h.PidsLimit = &n
	}, nil)
	out, stderr, code := e.run("run", "-b", e.bundle, e.id)
	n, _ := strconv.Atoi(strings.TrimSpace(out))
	if code != 0 || n > 20 || n < 15 {
		t.Errorf("exit %d, %q processes (want at most 20): %s", code, out, stderr)
	}
}

// TestMinimalSpec runs a spec with only /proc mounted (no /sys/fs/cgroup
// mount, no masked paths): init must still join its cgroup before pivot_root.
func TestMinimalSpec(t *testing.T) {
	e := newEnv(t)
	e.spec([]string{"sh", "-c", "cat /proc/self/cgroup"}, nil, func(s *specs.Spec) {
		s.Mounts = s.Mounts[:1]
		s.Linux.MaskedPaths, s.Linux.ReadonlyPaths = nil, nil
	})
	out, stderr, code := e.run("run", "-b", e.bundle, e.id)
	if code != 0 || !strings.Contains(out, ":pids:/berth-test/"+e.id+"\n") {
		t.Errorf("exit %d, out %q, stderr %q", code, out, stderr)
	}
}

func TestNoPivot(t *testing.T) {
	e := newEnv(t)
	e.spec([]string{"sh", "-c", "test -x /bin/busybox && echo ok"}, nil, nil)
	out, stderr, code := e.run("run", "--no-pivot", "-b", e.bundle, e.id)
	if code != 0 || out != "ok\n" {
		t.Errorf("exit %d, out %q, stderr %q", code, out, stderr)
	}
}

// TestSubreaper checks that after create returns, the container's init is a
// direct child of the caller when the caller is a child subreaper (the
// monitor's situation): no intermediate process is left in between.
func TestSubreaper(t *testing.T) {
	e := newEnv(t)
	e.spec([]string{"sleep", "100"}, nil, nil)
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	defer unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
	e.must("create", "-b", e.bundle, e.id)
	pid := e.state().Pid
	if ppid := parentOf(t, pid); ppid != os.Getpid() {
		t.Errorf("init %d has parent %d, want the subreaper %d", pid, ppid, os.Getpid())
	}
	e.must("start", e.id)
	e.must("exec", "-d", e.id, "sleep", "60")
	e.must("kill", e.id, "SIGKILL")
	// Reap every child, as a monitor does: the killed init only finishes
	// exiting once the detached exec'd process (also our child now, and
	// killed with the pid namespace) has been reaped.
	reaped := map[int]unix.WaitStatus{}
	for len(reaped) < 2 {
		var ws unix.WaitStatus
		p, err := unix.Wait4(-1, &ws, 0, nil)
		if err != nil {
			t.Fatalf("wait4: %v (reaped %v)", err, reaped)
		}
		reaped[p] = ws
	}
	if ws, ok := reaped[pid]; !ok || ws.Signal() != unix.SIGKILL {
		t.Errorf("reaped %v, want init %d killed by SIGKILL", reaped, pid)
	}
}

func parentOf(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// TestUserNamespace runs a Docker-like spec in a new user namespace: root
// inside is uid 100000 outside, device nodes are bind-mounted from the host.
func TestUserNamespace(t *testing.T) {
	e := newEnv(t)
	e.spec([]string{"sh", "-c", "id -u; cat /proc/self/uid_map; echo x > /dev/null && echo devnull-ok"}, nil, func(s *specs.Spec) {
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
		s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
		s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
		delete(s.Linux.Sysctl, "net.ipv4.ping_group_range") // dockerd leaves it out with user namespaces too
	})
	// the mapped root must be able to reach the rootfs (t.TempDir is 0700)
	for d := e.bundle; d != "/tmp"; d = filepath.Dir(d) {
		os.Chmod(d, 0o755)
	}
	out, stderr, code := e.run("run", "-b", e.bundle, e.id)
	want := "0\n         0     100000      65536\ndevnull-ok\n"
	if code != 0 || out != want {
		t.Errorf("exit %d, out %q, want %q, stderr %q", code, out, want, stderr)
	}
	// exec joins the user namespace after its own execve (and is not
	// dumpable): it must still set its oom_score_adj
	e.spec([]string{"sleep", "100"}, nil, func(s *specs.Spec) {
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
		s.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
		s.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
		delete(s.Linux.Sysctl, "net.ipv4.ping_group_range")
		adj := 100
		s.Process.OOMScoreAdj = &adj
	})
	e.must("run", "-d", "-b", e.bundle, e.id)
	if out := e.must("exec", e.id, "cat", "/proc/self/oom_score_adj"); out != "100\n" {
		t.Errorf("exec in the user namespace: oom_score_adj %q", out)
	}
}

// TestPreserveFDs passes the caller's fd 3 to the container process.
func TestPreserveFDs(t *testing.T) {
	e := newEnv(t)
	e.spec([]string{"sh", "-c", "echo through-fd3 >&3"}, nil, nil)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	c := e.cmd("run", "--preserve-fds", "1", "-b", e.bundle, e.id)
	c.ExtraFiles = []*os.File{w}
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("run: %v: %s", err, out)
	}
	w.Close()
	b := make([]byte, 64)
	n, _ := r.Read(b)
	if string(b[:n]) != "through-fd3\n" {
		t.Errorf("fd 3 got %q", b[:n])
	}
}

// TestExecPreserveFDsAndSeccomp: an exec'd process keeps --preserve-fds and
// runs under the container's seccomp filter.
func TestExecPreserveFDsAndSeccomp(t *testing.T) {
	e := newEnv(t)
	e.spec([]string{"sleep", "100"}, nil, func(s *specs.Spec) {
		eperm := uint(1)
		s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{
			{Names: []string{"unshare"}, Action: specs.ActErrno, ErrnoRet: &eperm}}}
	})
	e.must("run", "-d", "-b", e.bundle, e.id)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	c := e.cmd("exec", "--preserve-fds", "1", e.id, "sh", "-c", "echo through-fd3 >&3; unshare -U true")
	c.ExtraFiles = []*os.File{w}
	out, _ := c.CombinedOutput()
	w.Close()
	b := make([]byte, 64)
	n, _ := r.Read(b)
	if string(b[:n]) != "through-fd3\n" {
		t.Errorf("fd 3 got %q", b[:n])
	}
	if !strings.Contains(string(out), "Operation not permitted") {
		t.Errorf("unshare in an exec'd process: %s", out)
	}
}
