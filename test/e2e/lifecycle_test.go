package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Acceptance 1: the real docker CLI against berthd.
func TestDockerCLILifecycle(t *testing.T) {
	d := startDaemon(t)

	v := d.mustDocker("version")
	if !strings.Contains(v, "Client:") || !strings.Contains(v, "Server:") || !strings.Contains(v, "Berth") {
		t.Fatalf("docker version lacks client or server:\n%s", v)
	}
	id := d.importBusybox()

	if out := d.mustDocker("run", "--rm", "busybox", "echo", "hello"); out != "hello\n" {
		t.Fatalf("run echo printed %q", out)
	}
	if r := d.docker("run", "busybox", "sh", "-c", "exit 7"); r.code != 7 {
		t.Fatalf("run exit 7: code %d, stderr %s", r.code, r.stderr)
	}

	d.mustDocker("run", "-d", "--name", "s", "--label", "suite=e2e", "busybox", "sleep", "1000")
	ps := d.mustDocker("exec", "s", "ps")
	if !hasPID1(ps, "sleep") {
		t.Fatalf("exec ps does not show sleep as PID 1:\n%s", ps)
	}
	d.mustDocker("run", "-d", "--name", "talker", "busybox", "sh", "-c", "echo out; echo err >&2; sleep 1000")
	waitFor(t, "logs of talker", func() bool {
		r := d.docker("logs", "talker")
		return r.stdout == "out\n" && r.stderr == "err\n"
	})
	list := d.mustDocker("ps", "-a", "--filter", "label=suite=e2e", "--format", "{{.Names}} {{.Status}}")
	if !strings.HasPrefix(list, "s Up") || strings.Contains(list, "talker") {
		t.Fatalf("ps --filter label: %q", list)
	}
	start := time.Now()
	d.mustDocker("stop", "-t", "1", "s")
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("stop -t 1 took %v", el)
	}
	if st := strings.TrimSpace(d.mustDocker("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "s")); st != "exited 137" {
		t.Errorf("after stop (sleep ignores SIGTERM as PID 1): %q", st)
	}
	d.mustDocker("rm", "-f", "s", "talker")
	if out := d.mustDocker("ps", "-aq"); strings.TrimSpace(out) != strings.TrimSpace(d.mustDocker("ps", "-aq", "--filter", "status=exited")) {
		t.Errorf("ps -aq after rm: %q", out)
	}

	// save -> rmi -> load round-trips the image with the same ID.
	tarPath := filepath.Join(t.TempDir(), "busybox-save.tar")
	d.mustDocker("save", "-o", tarPath, "busybox:latest")
	for _, c := range strings.Fields(d.mustDocker("ps", "-aq")) {
		d.mustDocker("rm", "-f", c)
	}
	d.mustDocker("rmi", "busybox:latest")
	if r := d.docker("image", "inspect", "busybox:latest"); r.code == 0 {
		t.Fatal("image still there after rmi")
	}
	if out := d.mustDocker("load", "-i", tarPath); !strings.Contains(out, "Loaded image: busybox:latest") {
		t.Errorf("load printed %q", out)
	}
	if got := strings.TrimSpace(d.mustDocker("image", "inspect", "-f", "{{.Id}}", "busybox:latest")); got != id {
		t.Fatalf("loaded image ID %s, want %s", got, id)
	}
	if out := d.mustDocker("run", "--rm", "busybox", "echo", "again"); out != "again\n" {
		t.Fatalf("run after load printed %q", out)
	}
	if st, err := os.Stat(tarPath); err != nil || st.Size() == 0 {
		t.Fatalf("save wrote nothing: %v", err)
	}
}

// hasPID1 reports whether ps output shows cmd as PID 1.
func hasPID1(ps, cmd string) bool {
	for _, line := range strings.Split(ps, "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == "1" && strings.Contains(line, " "+cmd) {
			return true
		}
	}
	return false
}

// waitFor polls cond for up to 10 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}
