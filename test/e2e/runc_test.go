package e2e

import (
	"os/exec"
	"testing"
)

// Acceptance 8: --runtime runc runs the same echo.
func TestRuncRuntime(t *testing.T) {
	if _, err := exec.LookPath("runc"); err != nil {
		t.Skip("runc not installed")
	}
	d := startDaemon(t)
	d.importBusybox()
	if out := d.mustDocker("run", "--rm", "--runtime", "runc", "busybox", "echo", "hello"); out != "hello\n" {
		t.Fatalf("run --runtime runc printed %q", out)
	}
	if r := d.docker("run", "--rm", "--runtime", "nope", "busybox", "true"); r.code == 0 {
		t.Fatal("an unknown runtime was accepted")
	}
}
