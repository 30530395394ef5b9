package pid1

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary re-executes itself as berth-init when this is set.
const asInit = "BERTH_PID1_TEST_AS_INIT"

func TestMain(m *testing.M) {
	if os.Getenv(asInit) == "1" {
		os.Exit(Main(os.Args[1:], os.Stderr))
	}
	os.Exit(m.Run())
}

// initCmd is berth-init running args.
func initCmd(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), asInit+"=1")
	return cmd
}

func exitCodeOf(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	ee, ok := err.(*exec.ExitError)
	if !ok {
		t.Fatal(err)
	}
	return ee.ExitCode()
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"--", "sh", "-c", "exit 3"}, 3, ""},
		{[]string{"sh", "-c", "true"}, 0, ""},
		{[]string{"--", "sh", "-c", "kill -9 $$"}, 137, ""},
		{[]string{"--", "does-not-exist-anywhere"}, 127, "exec does-not-exist-anywhere failed"},
		{[]string{"--"}, 1, "usage"},
	}
	for _, tc := range tests {
		cmd := initCmd(t, tc.args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if code := exitCodeOf(t, cmd.Run()); code != tc.code || !strings.Contains(stderr.String(), tc.stderr) {
			t.Errorf("%v: exit %d, stderr %q; want %d, %q", tc.args, code, stderr.String(), tc.code, tc.stderr)
		}
	}
}

func TestForwardsSignals(t *testing.T) {
	dir := t.TempDir()
	ready := filepath.Join(dir, "ready")
	cmd := initCmd(t, "--", "sh", "-c", `trap "exit 7" TERM; touch `+ready+`; while :; do sleep 0.02; done`)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { _, err := os.Stat(ready); return err == nil })
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := exitCodeOf(t, cmd.Wait()); code != 7 {
		t.Fatalf("exit %d after SIGTERM, want 7 (the child's trap)", code)
	}
}

// TestReapsOrphans: a grandchild that outlives its parent is reparented
// to berth-init (a subreaper here, PID 1 in a container) and must not stay
// a zombie.
func TestReapsOrphans(t *testing.T) {
	dir := t.TempDir()
	ready := filepath.Join(dir, "ready")
	cmd := initCmd(t, "--", "sh", "-c", `sh -c 'sleep 0.05 &'; sleep 0.3; touch `+ready+`; sleep 5`)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	waitFor(t, func() bool { _, err := os.Stat(ready); return err == nil })
	children, zombies := childrenOf(cmd.Process.Pid)
	if children != 1 || zombies != 0 {
		t.Fatalf("berth-init has %d children, %d zombies; want only the command", children, zombies)
	}
}

// childrenOf counts the processes whose parent is pid, and the zombies among them.
func childrenOf(pid int) (children, zombies int) {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			children++
			if f[0] == "Z" {
				zombies++
			}
		}
	}
	return children, zombies
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("timed out")
}
