package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// One success path per endpoint not covered elsewhere, through the docker CLI.
func TestMoreEndpointsViaDockerCLI(t *testing.T) {
	d := startDaemon(t)
	id := d.importBusybox()

	// events: start a stream, then cause events.
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	ev := exec.CommandContext(ctx, dockerCLI, "events", "--format", "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}",
		"--filter", "type=container")
	ev.Env = append(ev.Environ(), "DOCKER_HOST="+d.host)
	var evOut bytes.Buffer
	ev.Stdout = &evOut
	if err := ev.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)

	d.mustDocker("create", "--name", "c1", "busybox", "sh", "-c", "echo created-then-started")
	if out := d.mustDocker("start", "-a", "c1"); out != "created-then-started\n" {
		t.Errorf("start -a: %q", out)
	}
	d.mustDocker("rename", "c1", "c2")
	if out := d.mustDocker("wait", "c2"); out != "0\n" {
		t.Errorf("wait: %q", out)
	}
	if out := d.runStdin([]byte("piped\n"), "run", "-i", "--rm", "busybox", "cat"); out != "piped\n" {
		t.Errorf("run -i: %q", out)
	}
	d.mustDocker("run", "-d", "--name", "top", "busybox", "sleep", "1000")
	if top := d.mustDocker("top", "top"); !strings.Contains(top, "sleep 1000") || !strings.Contains(top, "PID") {
		t.Errorf("top: %q", top)
	}
	if out := d.runStdin([]byte("exec-stdin\n"), "exec", "-i", "top", "cat"); out != "exec-stdin\n" {
		t.Errorf("exec -i: %q", out)
	}
	if out := d.mustDocker("exec", "-t", "top", "sh", "-c", "tty >/dev/null && echo has-tty; exit 0"); !strings.Contains(out, "has-tty") {
		t.Errorf("exec -t: %q", out)
	}
	if r := d.docker("exec", "top", "sh", "-c", "exit 6"); r.code != 6 {
		t.Errorf("exec exit code: %d", r.code)
	}
	d.mustDocker("run", "-d", "-i", "--name", "reader", "busybox", "sh", "-c", "read x; echo got $x")
	if out := d.runStdin([]byte("line\n"), "attach", "reader"); out != "got line\n" {
		t.Errorf("attach: %q", out)
	}
	host, _ := os.Hostname()
	if out := d.mustDocker("run", "--rm", "--network", "host", "busybox", "hostname"); strings.TrimSpace(out) != host {
		t.Errorf("--network host hostname %q, want %q", out, host)
	}
	d.mustDocker("restart", "-t", "0", "top")
	d.mustDocker("kill", "-s", "KILL", "top")
	if st := strings.TrimSpace(d.mustDocker("inspect", "-f", "{{.State.Status}} {{.RestartCount}}", "top")); !strings.HasPrefix(st, "exited") {
		t.Errorf("after kill: %q", st)
	}

	time.Sleep(300 * time.Millisecond)
	cancel()
	_ = ev.Wait()
	seen := strings.Split(evOut.String(), "\n")
	for _, want := range []string{"container create c1", "container start c1", "container die c1", "container rename c2", "container kill top", "container restart top"} {
		if !contains(seen, want) {
			t.Errorf("events lack %q: %v", want, seen)
		}
	}

	// logs options
	d.mustDocker("run", "--name", "lines", "busybox", "sh", "-c", "seq 1 5")
	if out := d.mustDocker("logs", "--tail", "2", "lines"); out != "4\n5\n" {
		t.Errorf("logs --tail 2: %q", out)
	}
	if out := d.mustDocker("logs", "-t", "--since", "1h", "lines"); !strings.HasPrefix(out, "20") || strings.Count(out, "\n") != 5 {
		t.Errorf("logs -t --since: %q", out)
	}

	// images
	d.mustDocker("tag", "busybox", "example.com/team/bb:v1")
	if out := d.mustDocker("images", "--format", "{{.Repository}}:{{.Tag}}"); !strings.Contains(out, "example.com/team/bb:v1") {
		t.Errorf("images after tag: %q", out)
	}
	if out := d.mustDocker("history", "--format", "{{.ID}} {{.CreatedBy}}", "busybox"); !strings.HasPrefix(out, id[7:19]) {
		t.Errorf("history: %q", out)
	}
	d.mustDocker("rmi", "example.com/team/bb:v1")
	if out := d.mustDocker("info", "--format", "{{.Driver}} {{.Images}} {{.OSType}}"); out != "overlay2 1 linux\n" {
		t.Errorf("info: %q", out)
	}
	if out := d.mustDocker("container", "prune", "-f"); !strings.Contains(out, "Total reclaimed space") {
		t.Errorf("container prune: %q", out)
	}
	if out := d.mustDocker("ps", "-aq"); out != "" {
		t.Errorf("containers after prune: %q", out)
	}
	if out := d.mustDocker("image", "prune", "-af"); !strings.Contains(out, "deleted") && !strings.Contains(out, "Total reclaimed space") {
		t.Errorf("image prune: %q", out)
	}
	if out := d.mustDocker("images", "-q"); out != "" {
		t.Errorf("images after prune -a: %q", out)
	}
}

// The berth CLI drives the same daemon.
func TestBerthCLI(t *testing.T) {
	d := startDaemon(t)
	r := d.berth("import", "-c", `CMD ["sh"]`, busyboxTar, "busybox:latest")
	if r.code != 0 {
		t.Fatalf("berth import: %d %s", r.code, r.stderr)
	}
	if r := d.berth("run", "--rm", "busybox", "echo", "hello"); r.code != 0 || r.stdout != "hello\n" {
		t.Fatalf("berth run: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := d.berth("run", "busybox", "sh", "-c", "exit 9"); r.code != 9 {
		t.Fatalf("berth run exit 9: %d", r.code)
	}
	if r := d.berth("ps", "-a", "--format", "{{.Status}}"); !strings.HasPrefix(r.stdout, "Exited (9)") {
		t.Fatalf("berth ps: %q", r.stdout)
	}
	if r := d.berth("run", "--rm", "nosuchimage"); r.code != 125 || !strings.Contains(r.stderr, "Unable to find image 'nosuchimage:latest' locally") {
		t.Fatalf("berth run of a missing image: %d %q", r.code, r.stderr)
	}
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}

// runStdin runs docker with stdin and fails the test unless it exits 0.
func (d *daemon) runStdin(stdin []byte, args ...string) string {
	d.t.Helper()
	r := d.run(dockerCLI, stdin, args...)
	if r.code != 0 {
		d.t.Fatalf("docker %v: exit %d: %s", args, r.code, r.stderr)
	}
	return r.stdout
}
