package ociruntime

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/berthproject/berth/internal/testutil"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// TestMountTargetRace is the CVE-2021-30465 class: while the runtime mounts
// on /a/b inside the rootfs, "the container" keeps swapping the directory a
// with a symlink to a host directory (renameat2 RENAME_EXCHANGE, as a second
// container sharing a volume could). With targets resolved to a string
// first (SecureJoin, then mkdir and mount by path: the runtime before this
// defence, unsafeDisable=securejoin) some mounts land on the host; with the
// targets opened inside the root (inroot_linux.go) none may. The mounts run
// in a child process in a private mount namespace.
func TestMountTargetRace(t *testing.T) {
	testutil.RequirePrivileged(t, testutil.NeedMountNS)
	for _, mode := range []string{"unsafe", "safe"} {
		cmd := exec.Command("unshare", "--mount", "--propagation", "private", os.Args[0], "-test.run", "^TestMountTargetRaceInner$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "BERTH_RACE_MODE="+mode, "BERTH_RACE_DIR="+t.TempDir())
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", mode, err, out)
		}
		line := lineWith(string(out), "RESULT ")
		var attempts, escapes int
		for _, f := range strings.Fields(line) {
			if v, ok := strings.CutPrefix(f, "attempts="); ok {
				attempts, _ = strconv.Atoi(v)
			}
			if v, ok := strings.CutPrefix(f, "escapes="); ok {
				escapes, _ = strconv.Atoi(v)
			}
		}
		t.Logf("%s targets: %d mounts, %d landed outside the rootfs", mode, attempts, escapes)
		switch {
		case attempts == 0:
			t.Fatalf("%s: no result:\n%s", mode, out)
		case mode == "unsafe" && escapes == 0:
			t.Errorf("string targets never escaped in %d attempts: the race test does not race", attempts)
		case mode == "safe" && escapes > 0:
			t.Errorf("%d of %d mounts escaped the rootfs", escapes, attempts)
		}
	}
}

func lineWith(out, prefix string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

func TestMountTargetRaceInner(t *testing.T) {
	mode, base := os.Getenv("BERTH_RACE_MODE"), os.Getenv("BERTH_RACE_DIR")
	if mode == "" {
		t.Skip("run by TestMountTargetRace in a private mount namespace")
	}
	if mode == "unsafe" {
		unsafeDisable = "securejoin"
	}
	rootfs, outside := filepath.Join(base, "rootfs"), filepath.Join(base, "outside")
	for _, d := range []string{filepath.Join(rootfs, "a", "b"), filepath.Join(outside, "b")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	swap := filepath.Join(rootfs, "swap")
	if err := os.Symlink(outside, swap); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	done := make(chan struct{})
	go func() { // the attacker
		defer close(done)
		for !stop.Load() {
			unix.Renameat2(unix.AT_FDCWD, filepath.Join(rootfs, "a"), unix.AT_FDCWD, swap, unix.RENAME_EXCHANGE)
		}
	}()
	r, err := openRoot(rootfs)
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	attempts, escapes := 0, 0
	for attempts < 3000 && !(mode == "unsafe" && escapes > 0) {
		attempts++
		mountEntry(&initConfig{}, r, specs.Mount{Destination: "/a/b", Type: "tmpfs", Source: "tmpfs"})
		if mountedUnder(t, outside) {
			escapes++
		}
		unmountUnder(t, base)
	}
	stop.Store(true)
	<-done
	t.Logf("mode %s", mode)
	os.Stdout.WriteString("RESULT attempts=" + strconv.Itoa(attempts) + " escapes=" + strconv.Itoa(escapes) + "\n")
}

func mountPoints(t *testing.T) []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		if fields := strings.Fields(s.Text()); len(fields) > 4 {
			out = append(out, unescapeMount(fields[4]))
		}
	}
	return out
}

func mountedUnder(t *testing.T, dir string) bool {
	for _, mp := range mountPoints(t) {
		if strings.HasPrefix(mp, dir+"/") {
			return true
		}
	}
	return false
}

func unmountUnder(t *testing.T, dir string) {
	mps := mountPoints(t)
	for i := len(mps) - 1; i >= 0; i-- {
		if strings.HasPrefix(mps[i], dir+"/") {
			unix.Unmount(mps[i], unix.MNT_DETACH)
		}
	}
}
