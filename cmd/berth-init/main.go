// Command berth-init is the init `docker run --init` runs as a container's
// PID 1 (mounted at /sbin/docker-init): it starts the command, forwards
// signals to it, reaps zombies and exits with the command's status. It is
// a static binary so that it runs in any image; see internal/pid1.
package main

import (
	"os"

	"github.com/berthproject/berth/internal/pid1"
)

func main() {
	os.Exit(pid1.Main(os.Args[1:], os.Stderr))
}
