package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// e2eRuntimes are the OCI runtimes security tests run on: berth-runtime,
// and runc where it is installed.
func e2eRuntimes() []string {
	rts := []string{"berth"}
	if _, err := exec.LookPath("runc"); err == nil {
		rts = append(rts, "runc")
	}
	return rts
}

// appliesSeccomp reports whether containers of runtime rt run under a
// seccomp filter (/proc/self/status "Seccomp: 2").
func appliesSeccomp(d *daemon, rt string) bool {
	out := d.mustDocker("run", "--rm", "--runtime", rt, "busybox", "grep", "^Seccomp:", "/proc/self/status")
	return strings.Fields(out)[1] == "2"
}

// Issue 4, acceptance 2: Docker's default seccomp profile and capabilities.
func TestSecurityDefaults(t *testing.T) {
	d := startDaemon(t)
	d.importBusybox()
	for _, rt := range e2eRuntimes() {
		t.Run(rt, func(t *testing.T) {
			run := func(args ...string) result {
				return d.docker(append([]string{"run", "--rm", "--runtime", rt}, args...)...)
			}
			t.Run("seccomp", func(t *testing.T) {
				if !appliesSeccomp(d, rt) {
					t.Fatalf("runtime %s does not apply the default seccomp profile (Seccomp: 2 expected)", rt)
				}
				denied := func(r result) bool {
					return r.code != 0 && (strings.Contains(r.stderr, "Operation not permitted") || strings.Contains(r.stderr, "permission denied"))
				}
				if r := run("busybox", "unshare", "-r", "true"); !denied(r) {
					t.Errorf("unshare -r under the default profile: exit %d, stderr %q", r.code, r.stderr)
				}
				// With CAP_SYS_ADMIN the default profile allows mount: the
				// EPERM below comes from the profile alone.
				if r := run("--cap-add", "SYS_ADMIN", "busybox", "unshare", "-r", "true"); r.code != 0 {
					t.Errorf("unshare -r with SYS_ADMIN: exit %d, stderr %q", r.code, r.stderr)
				}
				mount := []string{"busybox", "sh", "-c", "mkdir -p /mnt && mount -t tmpfs none /mnt"}
				if r := run(mount...); !denied(r) {
					t.Errorf("mount under the default profile: exit %d, stderr %q", r.code, r.stderr)
				}
				open := append([]string{"--security-opt", "seccomp=unconfined", "--cap-add", "SYS_ADMIN"}, mount...)
				if r := run(open...); r.code != 0 {
					t.Errorf("mount unconfined with SYS_ADMIN: exit %d, stderr %q", r.code, r.stderr)
				}
				if r := run("--security-opt", "seccomp=unconfined", "--cap-add", "SYS_ADMIN", "busybox", "unshare", "-r", "true"); r.code != 0 {
					t.Errorf("unshare -r unconfined: exit %d, stderr %q", r.code, r.stderr)
				}
			})
			t.Run("seccomp-file", func(t *testing.T) {
				if !appliesSeccomp(d, rt) {
					t.Skipf("runtime %s does not apply linux.seccomp yet", rt)
				}
				profile := filepath.Join(t.TempDir(), "profile.json")
				writeFile(t, profile, `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}`)
				r := run("--security-opt", "seccomp="+profile, "busybox", "mkdir", "/x")
				if r.code == 0 || !strings.Contains(r.stderr, "Permission denied") {
					t.Errorf("mkdir under a profile refusing it with EACCES: exit %d, stderr %q", r.code, r.stderr)
				}
			})
			t.Run("no-new-privileges", func(t *testing.T) {
				out := d.mustDocker("run", "--rm", "--runtime", rt, "--security-opt", "no-new-privileges", "busybox", "grep", "^NoNewPrivs:", "/proc/self/status")
				if strings.Fields(out)[1] != "1" {
					t.Errorf("NoNewPrivs: %q", out)
				}
			})
			t.Run("cap-drop-all", func(t *testing.T) {
				out := d.mustDocker("run", "--rm", "--runtime", rt, "--cap-drop", "ALL", "busybox", "grep", "^CapEff:", "/proc/self/status")
				if strings.TrimSpace(out) != "CapEff:\t0000000000000000" {
					t.Errorf("--cap-drop ALL: %q", out)
				}
			})
			t.Run("privileged", func(t *testing.T) {
				// docker's --privileged asks for every capability and fails on
				// this host (no CAP_SYS_RESOURCE); ours gets the host's bounding set.
				out := d.mustDocker("run", "--rm", "--runtime", rt, "--privileged", "busybox", "sh", "-c",
					"grep ^CapBnd: /proc/self/status; grep ^Seccomp: /proc/self/status; mkdir -p /mnt && mount -t tmpfs none /mnt && echo mounted")
				if want := "CapBnd:\t" + hostCapBnd(t); !strings.Contains(out, want) || !strings.Contains(out, "Seccomp:\t0") || !strings.Contains(out, "mounted") {
					t.Errorf("--privileged printed %q, want %q, no seccomp, mount allowed", out, want)
				}
			})
			t.Run("ulimit-above-host", func(t *testing.T) {
				var rl syscall.Rlimit
				if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Max >= 1048576 {
					t.Skip("host hard limit for nofile is not below 1048576")
				}
				r := run("--ulimit", "nofile=1048576", "busybox", "true")
				if r.code == 0 || !strings.Contains(r.stderr, "host's hard limit for nofile ("+strconv.FormatUint(rl.Max, 10)+")") {
					t.Errorf("--ulimit nofile=1048576: exit %d, stderr %q", r.code, r.stderr)
				}
				if out := d.mustDocker("run", "--rm", "--runtime", rt, "--ulimit", "nofile=1000:2000", "busybox", "sh", "-c", "ulimit -n; ulimit -Hn"); out != "1000\n2000\n" {
					t.Errorf("--ulimit nofile=1000:2000 printed %q", out)
				}
			})
			t.Run("sysctl-device", func(t *testing.T) {
				out := d.mustDocker("run", "--rm", "--runtime", rt, "--sysctl", "net.ipv4.ip_forward=1", "--sysctl", "kernel.shmmni=100",
					"--device", "/dev/null:/dev/mynull", "busybox", "sh", "-c",
					"cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni; echo hi > /dev/mynull && echo ok")
				if out != "1\n100\nok\n" {
					t.Errorf("sysctl and device printed %q", out)
				}
				// The docker CLI refuses it already; berth's CLI lets the daemon say no.
				if r := d.berth("run", "--rm", "--runtime", rt, "--sysctl", "kernel.panic=1", "busybox", "true"); r.code == 0 || !strings.Contains(r.stderr, "not in a separate kernel namespace") {
					t.Errorf("host sysctl accepted: exit %d, stderr %q", r.code, r.stderr)
				}
			})
			t.Run("init", func(t *testing.T) { testInit(t, d, rt) })
		})
	}
}

// testInit: --init runs berth-init as PID 1, which forwards docker stop's
// SIGTERM to a command that, as PID 1, would ignore it.
func testInit(t *testing.T, d *daemon, rt string) {
	out := d.mustDocker("run", "--rm", "--runtime", rt, "--init", "busybox", "sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '")
	if !strings.HasPrefix(out, "/sbin/docker-init -- sh -c") {
		t.Errorf("PID 1 with --init is %q", out)
	}
	if r := d.docker("run", "--rm", "--runtime", rt, "--init", "busybox", "sh", "-c", "exit 5"); r.code != 5 {
		t.Errorf("--init exit code %d, want 5", r.code)
	}
	id := strings.TrimSpace(d.mustDocker("run", "-d", "--runtime", rt, "--init", "busybox", "sleep", "100"))
	start := time.Now()
	d.mustDocker("stop", "-t", "20", id)
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("docker stop of an --init container took %v: SIGTERM was not forwarded", took)
	}
	if code := strings.TrimSpace(d.mustDocker("inspect", "-f", "{{.State.ExitCode}}", id)); code != "143" {
		t.Errorf("exit code after stop = %s, want 143", code)
	}
	d.mustDocker("rm", id)
}

// hostCapBnd is this process's bounding set as /proc/self/status shows it.
func hostCapBnd(t *testing.T) string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(b), "CapBnd:\t")
	line, _, _ := strings.Cut(rest, "\n")
	return line
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
