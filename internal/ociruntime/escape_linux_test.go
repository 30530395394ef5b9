package ociruntime_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Escape tests: each runs the attack against berth-runtime as built, and
// against a build with the defence switched off (unsafeRuntimeBin), where
// the attack must succeed, so that the test is shown to catch the escape.

// leakedDir runs berth-runtime (args) with a host directory holding the
// file "secret" open at its fd 20, inherited without close-on-exec, as a
// careless caller would leak it; it returns the container's output.
func leakedDir(t *testing.T, e *env, args ...string) string {
	hostDir := t.TempDir()
	os.WriteFile(filepath.Join(hostDir, "secret"), []byte("host-secret"), 0o644)
	d, err := os.Open(hostDir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	c := e.cmd(args...)
	c.ExtraFiles = make([]*os.File, 18)
	c.ExtraFiles[17] = d // fd 3+17 = 20
	out, _ := c.CombinedOutput()
	return string(out)
}

// TestEscapeCwdThroughFd is CVE-2024-21626: process.cwd = /proc/self/fd/N,
// where N is a host directory fd that init holds while it sets the process
// up (runc leaked one to /sys/fs/cgroup; here the caller leaks one). The fd
// belongs to the host's mount namespace, so a process started there reads
// host files and climbs to the host's root. The check that the cwd is inside
// the root after chdir (getcwd(2) says "unreachable") is the defence; the
// fds are only closed later, at execve.
func TestEscapeCwdThroughFd(t *testing.T) {
	attempt := func(bin string) string {
		e := newEnv(t)
		if bin != "" {
			e.bin = bin
		}
		e.spec([]string{"sh", "-c", "cat secret; ls ../../../../proc/1 >/dev/null && echo reached-host-root"}, nil, func(s *specs.Spec) {
			s.Process.Cwd = "/proc/self/fd/20"
		})
		return leakedDir(t, e, "run", "-b", e.bundle, e.id)
	}
	if out := attempt(unsafeRuntimeBin(t, "cwdcheck")); !strings.Contains(out, "host-secret") || !strings.Contains(out, "reached-host-root") {
		t.Fatalf("without the cwd check the leaked fd did not reach the host: the test cannot fail\n%s", out)
	}
	out := attempt("")
	if strings.Contains(out, "host-secret") || !strings.Contains(out, "outside the container's root") {
		t.Fatalf("want create to fail with the cwd outside the root:\n%s", out)
	}
}

// TestEscapeInheritedFd: an fd the caller of berth-runtime left open (not
// close-on-exec, not in --preserve-fds) must not reach the container, where
// it would be a handle on the host's filesystem.
func TestEscapeInheritedFd(t *testing.T) {
	attempt := func(bin string) string {
		e := newEnv(t)
		if bin != "" {
			e.bin = bin
		}
		e.spec([]string{"sh", "-c", "ls /proc/self/fd | tr '\\n' ' '; cat /proc/self/fd/20/secret"}, nil, nil)
		return leakedDir(t, e, "run", "-b", e.bundle, e.id)
	}
	if out := attempt(unsafeRuntimeBin(t, "fdclose")); !strings.Contains(out, "host-secret") {
		t.Fatalf("without closing fds at execve the inherited fd did not leak: the test cannot fail\n%s", out)
	}
	out := attempt("")
	if strings.Contains(out, "host-secret") {
		t.Fatalf("an inherited host fd reached the container:\n%s", out)
	}
	if !strings.HasPrefix(out, "0 1 2 3 cat:") { // 3 is ls's own
		t.Errorf("fds in the container: %q", out)
	}
}

// TestEscapeMaskedPaths: Docker's masked and read-only paths (from
// internal/oci) hide /proc/keys, /proc/timer_list, /sys/firmware (and
// /proc/kcore where the kernel has it) and make /proc/sys read-only (the
// container writes its own hostname back through /proc/sys: its UTS
// namespace, nothing of the host's). The same spec without them shows what
// they prevent.
func TestEscapeMaskedPaths(t *testing.T) {
	script := `for f in keys timer_list kcore; do [ -e /proc/$f ] && echo $f=$(stat -c %t:%T /proc/$f); done; ` +
		`echo firmware=$(ls /sys/firmware | wc -l); ` +
		`(echo $(cat /proc/sys/kernel/hostname) > /proc/sys/kernel/hostname) 2>/dev/null && echo procsys=writable || echo procsys=readonly`
	run := func(unmask bool) string {
		e := newEnv(t)
		e.spec([]string{"sh", "-c", script}, func(_ *container.Config, hc *container.HostConfig) {
			hc.CapAdd = []string{"SYS_ADMIN"} // even with it, read-only stays read-only
		}, func(s *specs.Spec) {
			if unmask {
				s.Linux.MaskedPaths, s.Linux.ReadonlyPaths = nil, nil
			}
		})
		return e.must("run", "-b", e.bundle, e.id)
	}
	want := []string{"keys=1:3", "timer_list=1:3", "firmware=0", "procsys=readonly"}
	if _, err := os.Stat("/proc/kcore"); err == nil {
		want = append(want, "kcore=1:3")
	}
	open := run(true)
	for _, w := range want {
		if strings.Contains(open, w) {
			t.Fatalf("without masked/read-only paths %q still holds: the test cannot fail\n%s", w, open)
		}
	}
	got := run(false)
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("with Docker's defaults, want %q:\n%s", w, got)
		}
	}
}

// attackBin builds testdata/exeattack statically (it runs in a busybox
// rootfs).
func attackBin(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "exeattack")
	_, file, _, _ := runtime.Caller(0)
	cmd := exec.Command("go", "build", "-o", bin, "./testdata/exeattack")
	cmd.Dir = filepath.Dir(file)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build exeattack: %v\n%s", err, out)
	}
	return bin
}

// TestEscapeRuntimeBinary is CVE-2019-5736. Container A runs the attacker;
// container B is created in A's pid namespace, so A sees B's init (a
// berth-runtime process) while it waits for start. The attacker opens
// /proc/<init>/exe (O_PATH), waits until B has started (the binary is no
// longer busy), and reopens it for writing: with a writable runtime binary
// behind it, the next container's init would run the attacker's code as
// host root. The binary of B is a throwaway copy.
func TestEscapeRuntimeBinary(t *testing.T) {
	attacker := attackBin(t)
	cases := []struct {
		disable string
		want    string // the attacker's last report
	}{
		{"exe,dumpable", "written"},                  // no defence: the escape
		{"dumpable", "write: read-only file system"}, // the read-only bind alone
		{"exe", "open: permission denied"},           // non-dumpable init alone
		{"", "open: permission denied"},              // as shipped
	}
	for _, tc := range cases {
		t.Run("disable="+tc.disable, func(t *testing.T) {
			got, changed := exeAttack(t, attacker, tc.disable)
			if !strings.Contains(got, tc.want) {
				t.Errorf("attacker reports %q, want %q", got, tc.want)
			}
			if changed != (tc.want == "written") {
				t.Errorf("runtime binary modified: %v", changed)
			}
		})
	}
}

// exeAttack runs the attack with B on a copy of berth-runtime built with
// disable, and returns the attacker's report and whether B's binary changed.
func exeAttack(t *testing.T, attacker, disable string) (string, bool) {
	a := newEnv(t)
	if out, err := exec.Command("cp", attacker, filepath.Join(a.bundle, "rootfs", "exeattack")).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	a.spec([]string{"/exeattack"}, nil, nil)
	a.must("run", "-d", "-b", a.bundle, a.id)
	b := newEnv(t)
	if disable != "" {
		b.bin = unsafeRuntimeBin(t, disable)
	} else {
		b.bin = copyFile(t, b.bin)
	}
	before, _ := os.ReadFile(b.bin)
	b.spec([]string{"true"}, nil, func(s *specs.Spec) {
		// without a filter to load, init drops to the container's
		// capabilities while it waits for start (with one it keeps
		// CAP_SYS_ADMIN until execve, out of the attacker's reach anyway)
		s.Linux.Seccomp = nil
		for i, ns := range s.Linux.Namespaces {
			if ns.Type == specs.PIDNamespace {
				s.Linux.Namespaces[i].Path = fmt.Sprintf("/proc/%d/ns/pid", a.state().Pid)
			}
		}
	})
	logf := filepath.Join(t.TempDir(), "log")
	if _, stderr, code := b.run("--debug", "--log", logf, "create", "-b", b.bundle, b.id); code != 0 {
		l, _ := os.ReadFile(logf)
		t.Fatalf("create B: %s\n%s", stderr, l)
	}
	rootA := filepath.Join(a.bundle, "rootfs")
	first := waitFile(t, filepath.Join(rootA, "result1"))
	b.must("start", b.id)
	b.waitStatus("stopped")
	b.must("delete", b.id)
	os.WriteFile(filepath.Join(rootA, "go"), nil, 0o644)
	report := first
	if first == "opened" {
		report = waitFile(t, filepath.Join(rootA, "result2"))
	}
	after, _ := os.ReadFile(b.bin)
	return report, string(before) != string(after)
}

func copyFile(t *testing.T, src string) string {
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	if out, err := exec.Command("cp", src, dst).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	return dst
}

func waitFile(t *testing.T, path string) string {
	t.Helper()
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			return strings.TrimSpace(string(b))
		}
	}
	t.Fatalf("%s never appeared", path)
	return ""
}
