// Command berth-runtime is Berth's OCI runtime (the runc CLI subset: create,
// start, state, kill, delete, run, exec, ...) and, as the hidden "monitor"
// subcommand, the process that owns containers' stdio and exit statuses so
// that they outlive berthd.
package main

import (
	"os"

	"github.com/berthproject/berth/internal/ociruntime"
	"github.com/berthproject/berth/internal/shim"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == shim.Command {
		os.Exit(shim.Main(os.Args[2:]))
	}
	os.Exit(ociruntime.Main(os.Args))
}
