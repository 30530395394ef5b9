package shim

import "fmt"

// Command is the berth-runtime subcommand that runs the monitor.
const Command = "monitor"

// Main runs the monitor with the arguments after the subcommand and returns the exit code.
func Main(args []string) int {
	fmt.Println("monitor: not implemented yet", args)
	return 1
}
