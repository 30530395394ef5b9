package ociruntime

import "fmt"

// Main runs the OCI runtime CLI with os.Args and returns the exit code.
func Main(args []string) int {
	fmt.Println("ociruntime: not implemented yet", args)
	return 1
}
