package e2e

import (
	"bufio"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Acceptance 5: kill -9 of berthd with 5 running containers, then a restart.
func TestContainersSurviveDaemonKill(t *testing.T) {
	d := startDaemon(t)
	d.importBusybox()
	d.mustDocker("run", "--name", "done", "busybox", "echo", "finished")
	var running []string
	for i := range 5 {
		name := "tick" + string(rune('a'+i))
		d.mustDocker("run", "-d", "--name", name, "busybox", "sh", "-c", "while true; do echo tick; sleep 0.2; done")
		running = append(running, name)
	}
	d.kill9()
	time.Sleep(500 * time.Millisecond)
	d.start()

	ps := d.mustDocker("ps", "--format", "{{.Names}} {{.State}}")
	for _, n := range running {
		if !strings.Contains(ps, n+" running") {
			t.Fatalf("%s not running after the restart:\n%s", n, ps)
		}
	}
	if st := strings.TrimSpace(d.mustDocker("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "done")); st != "exited 0" {
		t.Fatalf("exited container record: %q", st)
	}
	if out := d.mustDocker("logs", "done"); out != "finished\n" {
		t.Fatalf("logs of the exited container: %q", out)
	}

	// logs -f streams lines written after the restart.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, dockerCLI, "logs", "-f", "--tail", "0", "ticka")
	cmd.Env = append(cmd.Environ(), "DOCKER_HOST="+d.host)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for i := 0; i < 3; i++ {
		if !sc.Scan() || sc.Text() != "tick" {
			t.Fatalf("logs -f line %d: %q %v", i, sc.Text(), sc.Err())
		}
	}
	cancel()
	_ = cmd.Wait()

	if out := d.mustDocker("exec", "tickb", "echo", "exec-after-restart"); out != "exec-after-restart\n" {
		t.Fatalf("exec after restart: %q", out)
	}
	d.mustDocker("stop", "-t", "1", "tickc")
	if st := strings.TrimSpace(d.mustDocker("inspect", "-f", "{{.State.Status}}", "tickc")); st != "exited" {
		t.Fatalf("stop after restart: %q", st)
	}
	// The exit of a container that dies while berthd is down is recorded.
	pid := pidOf(t, d, "tickd")
	d.kill9()
	if r := exec.Command("kill", "-9", pid).Run(); r != nil {
		t.Fatalf("kill tickd: %v", r)
	}
	time.Sleep(300 * time.Millisecond)
	d.start()
	waitFor(t, "tickd's exit to be recorded", func() bool {
		return strings.TrimSpace(d.mustDocker("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "tickd")) == "exited 137"
	})
}

// pidOf is the host pid of a container's init.
func pidOf(t *testing.T, d *daemon, name string) string {
	t.Helper()
	return strings.TrimSpace(d.mustDocker("inspect", "-f", "{{.State.Pid}}", name))
}
