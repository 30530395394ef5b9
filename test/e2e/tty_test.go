package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Acceptance 2: `docker run -it busybox sh` under a real pty (tmux).
func TestInteractiveTTY(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux not installed")
	}
	d := startDaemon(t)
	d.importBusybox()
	session := "berth-e2e-" + filepath.Base(d.root)
	exitFile := filepath.Join(d.root, "exit-code")
	shell := "DOCKER_HOST=" + d.host + " " + dockerCLI + " run -it --name tty busybox sh; echo $? > " + exitFile
	tmux := func(args ...string) string {
		out, err := exec.Command("tmux", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	tmux("new-session", "-d", "-s", session, "-x", "132", "-y", "43", "bash", "--norc", "-c", shell)
	t.Cleanup(func() { _ = exec.Command("tmux", "kill-session", "-t", session).Run() })
	pane := func() string { return tmux("capture-pane", "-p", "-t", session) }
	waitFor(t, "the shell prompt", func() bool { return strings.Contains(pane(), "/ #") })

	tmux("send-keys", "-t", session, "stty size; echo typed-$((6*7))", "Enter")
	waitFor(t, "stty size and the typed command", func() bool {
		p := pane()
		return strings.Contains(p, "43 132") && strings.Contains(p, "typed-42")
	})
	tmux("send-keys", "-t", session, "(exit 5)", "Enter")
	time.Sleep(200 * time.Millisecond)
	tmux("send-keys", "-t", session, "C-d")
	waitFor(t, "docker run to exit", func() bool {
		b, err := os.ReadFile(exitFile)
		return err == nil && len(b) > 0
	})
	if b, _ := os.ReadFile(exitFile); strings.TrimSpace(string(b)) != "5" {
		t.Fatalf("docker run -it exited %q, want the shell's 5\npane:\n%s", b, pane())
	}
}
