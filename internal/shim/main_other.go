//go:build !linux

package shim

import (
	"fmt"
	"os"
)

// Main reports that the monitor needs Linux.
func Main(args []string) int {
	fmt.Fprintln(os.Stderr, "monitor: only supported on linux")
	return 1
}
