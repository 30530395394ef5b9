package e2e

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/berthproject/berth/internal/testutil"
)

// Paths shared by every test, set up by TestMain.
var (
	binDir     string // berthd, berth, berth-runtime
	busyboxTar string // a busybox rootfs tarball for `docker import`
	dockerCLI  = "/usr/local/bin/docker"
)

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		fmt.Println("e2e: skipped in -short mode")
		os.Exit(0)
	}
	if os.Getenv("BERTH_TEST_PRIVILEGED") != "1" || os.Geteuid() != 0 {
		fmt.Println("e2e: skipped: needs root and BERTH_TEST_PRIVILEGED=1")
		os.Exit(0)
	}
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "berth-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	binDir = filepath.Join(tmp, "bin")
	for _, cmd := range []string{"berthd", "berth", "berth-runtime", "berth-init", "berth-registry"} {
		out, err := exec.Command("go", "build", "-o", filepath.Join(binDir, cmd), "../../cmd/"+cmd).CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", cmd, err, out)
			return 1
		}
	}
	rootfs := filepath.Join(tmp, "rootfs")
	busyboxTar = filepath.Join(tmp, "busybox.tar")
	if err := testutil.BuildBusyboxRootfs(rootfs); err != nil {
		fmt.Fprintln(os.Stderr, "busybox rootfs:", err)
		return 1
	}
	if err := testutil.TarDir(rootfs, busyboxTar); err != nil {
		fmt.Fprintln(os.Stderr, "busybox tar:", err)
		return 1
	}
	return m.Run()
}
