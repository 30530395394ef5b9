package testutil

import (
	"os"
	"os/exec"
	"testing"
)

// Need names a host capability a privileged test depends on; each is probed
// for real before the test runs.
type Need string

// The capabilities RequirePrivileged can probe.
const (
	NeedRoot    Need = "root"
	NeedMountNS Need = "mountns"
	NeedOverlay Need = "overlay"
	NeedNetNS   Need = "netns"
	NeedCgroups Need = "cgroups"
	NeedUserNS  Need = "userns"
	NeedRunc    Need = "runc"
)

// RequirePrivileged skips t unless BERTH_TEST_PRIVILEGED=1 and every named
// capability probes successfully. It does not merely check euid: CI runs as
// root, so a test only runs when the kernel feature really works here.
func RequirePrivileged(t testing.TB, needs ...Need) {
	t.Helper()
	if os.Getenv("BERTH_TEST_PRIVILEGED") != "1" {
		t.Skip("privileged test: set BERTH_TEST_PRIVILEGED=1 to run")
	}
	if os.Geteuid() != 0 {
		t.Skip("privileged test: needs root")
	}
	for _, n := range needs {
		if err := probe(n); err != nil {
			t.Skipf("privileged test: %s unavailable: %v", n, err)
		}
	}
	t.Logf("privileged test: probes ok: %v", needs)
}

// probe runs a tiny real check of one capability. unshare(1) from util-linux is
// on every Debian machine; it keeps the probe out of the test process.
func probe(n Need) error {
	switch n {
	case NeedRoot:
		return nil
	case NeedMountNS:
		return exec.Command("unshare", "--mount", "true").Run()
	case NeedNetNS:
		return exec.Command("unshare", "--net", "true").Run()
	case NeedUserNS:
		return exec.Command("unshare", "--user", "--map-root-user", "true").Run()
	case NeedOverlay:
		return probeOverlay()
	case NeedCgroups:
		_, err := os.Stat("/sys/fs/cgroup")
		return err
	case NeedRunc:
		_, err := exec.LookPath("runc")
		return err
	}
	return nil
}

func probeOverlay() error {
	dir, err := os.MkdirTemp("", "berth-overlay-probe")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	for _, d := range []string{"l", "u", "w", "m"} {
		if err := os.Mkdir(dir+"/"+d, 0o755); err != nil {
			return err
		}
	}
	script := "mount -t overlay overlay -o lowerdir=" + dir + "/l,upperdir=" + dir + "/u,workdir=" + dir + "/w " + dir + "/m"
	return exec.Command("unshare", "--mount", "sh", "-c", script).Run()
}
