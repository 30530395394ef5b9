package e2e

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// daemon is one private berthd under test.
type daemon struct {
	t        testing.TB
	root     string // temp dir holding everything below
	dataRoot string
	execRoot string
	sock     string
	host     string // unix://sock, for DOCKER_HOST
	args     []string
	prefix   []string // runs berthd under it (nsenter into a netns)
	cmd      *exec.Cmd
	log      *os.File
}

// startDaemon starts a private berthd and registers its clean-up, which also
// checks that nothing leaked: every container removed, no mount left under the
// daemon's roots, the monitor gone.
func startDaemon(t testing.TB, args ...string) *daemon {
	t.Helper()
	return startDaemonIn(t, nil, args...)
}

// startDaemonIn is startDaemon with berthd run under prefix (e.g. nsenter
// into a network namespace); the socket stays reachable from the test.
func startDaemonIn(t testing.TB, prefix []string, args ...string) *daemon {
	t.Helper()
	root, err := os.MkdirTemp("", "be2e")
	if err != nil {
		t.Fatal(err)
	}
	d := &daemon{t: t, root: root, dataRoot: filepath.Join(root, "data"), execRoot: filepath.Join(root, "exec"), args: args, prefix: prefix}
	d.sock = filepath.Join(d.execRoot, "berth.sock")
	d.host = "unix://" + d.sock
	d.start()
	t.Cleanup(d.cleanup)
	return d
}

func (d *daemon) start() {
	d.t.Helper()
	logf, err := os.OpenFile(filepath.Join(d.root, "berthd.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		d.t.Fatal(err)
	}
	d.log = logf
	args := append([]string{"-H", d.host, "--data-root", d.dataRoot, "--exec-root", d.execRoot,
		"--pidfile", filepath.Join(d.root, "berthd.pid"),
		"--log-level", "debug"}, d.args...)
	// BERTH_E2E_DEFAULT_RUNTIME runs the whole suite on another runtime (e.g. runc).
	if rt := os.Getenv("BERTH_E2E_DEFAULT_RUNTIME"); rt != "" {
		args = append(args, "--default-runtime", rt)
	}
	argv := append(append(append([]string{}, d.prefix...), filepath.Join(binDir, "berthd")), args...)
	d.cmd = exec.Command(argv[0], argv[1:]...)
	d.cmd.Stdout, d.cmd.Stderr = logf, logf
	// Its own process group, as a real daemon: `kill -9` tests kill only it.
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := d.cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if d.ping() == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	d.t.Fatalf("berthd did not answer within 15s; log:\n%s", d.logs())
}

// httpClient talks to the daemon's socket.
func (d *daemon) httpClient() *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", d.sock)
	}}}
}

func (d *daemon) ping() error {
	resp, err := d.httpClient().Get("http://berth/_ping")
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// stop ends berthd with SIGTERM (containers keep running in the monitor).
func (d *daemon) stop() {
	d.t.Helper()
	if d.cmd == nil {
		return
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = d.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = d.cmd.Process.Kill()
		<-done
		d.t.Errorf("berthd did not stop on SIGTERM within 15s")
	}
	d.cmd = nil
	d.log.Close()
}

// kill9 kills berthd with SIGKILL.
func (d *daemon) kill9() {
	d.t.Helper()
	_ = d.cmd.Process.Kill()
	_ = d.cmd.Wait()
	d.cmd = nil
	d.log.Close()
}

func (d *daemon) restart() {
	d.t.Helper()
	d.stop()
	d.start()
}

func (d *daemon) logs() string {
	b, _ := os.ReadFile(filepath.Join(d.root, "berthd.log"))
	return string(b)
}

// monitorPid is the pid of the daemon's container monitor, or 0.
func (d *daemon) monitorPid() int {
	b, err := os.ReadFile(filepath.Join(d.execRoot, "monitor", "monitor.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if pid > 0 && syscall.Kill(pid, 0) != nil {
		return 0
	}
	return pid
}

func (d *daemon) cleanup() {
	t := d.t
	if d.cmd != nil {
		if ids := strings.Fields(d.docker("ps", "-aq").stdout); len(ids) > 0 {
			d.docker(append([]string{"rm", "-f"}, ids...)...)
		}
		d.stop()
	}
	// The monitor exits once it has no containers and no daemon.
	deadline := time.Now().Add(10 * time.Second)
	for d.monitorPid() != 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if pid := d.monitorPid(); pid != 0 {
		t.Errorf("monitor (pid %d) still running after berthd stopped with no containers", pid)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	if m := mountsUnder(d.root); len(m) > 0 {
		t.Errorf("mounts left under %s: %v", d.root, m)
		for _, p := range m {
			_ = syscall.Unmount(p, syscall.MNT_DETACH)
		}
	}
	if t.Failed() {
		t.Logf("berthd log:\n%s", d.logs())
		if b, err := os.ReadFile(filepath.Join(d.execRoot, "monitor", "monitor.log")); err == nil {
			t.Logf("monitor log:\n%s", b)
		}
	}
	os.RemoveAll(d.root)
}

// mountsUnder lists mount points at or below dir.
func mountsUnder(dir string) []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 && (fields[4] == dir || strings.HasPrefix(fields[4], dir+"/")) {
			out = append(out, fields[4])
		}
	}
	return out
}

// result is what a CLI run printed and its exit code.
type result struct {
	stdout, stderr string
	code           int
}

// docker runs the real docker CLI against the daemon.
func (d *daemon) docker(args ...string) result {
	return d.run(dockerCLI, nil, args...)
}

// berth runs our CLI against the daemon.
func (d *daemon) berth(args ...string) result {
	return d.run(filepath.Join(binDir, "berth"), nil, args...)
}

func (d *daemon) run(bin string, stdin []byte, args ...string) result {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+d.host, "DOCKER_CONFIG="+filepath.Join(d.root, "docker-config"))
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		d.t.Fatalf("%s %v: %v", bin, args, err)
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// mustDocker runs docker and fails the test unless it exits 0; it returns stdout.
func (d *daemon) mustDocker(args ...string) string {
	d.t.Helper()
	r := d.docker(args...)
	if r.code != 0 {
		d.t.Fatalf("docker %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// importBusybox imports the busybox rootfs as busybox:latest and returns its ID.
func (d *daemon) importBusybox() string {
	d.t.Helper()
	id := strings.TrimSpace(d.mustDocker("import", "-c", `CMD ["sh"]`, busyboxTar, "busybox:latest"))
	if !strings.HasPrefix(id, "sha256:") {
		d.t.Fatalf("import printed %q, want an image ID", id)
	}
	return id
}
