package shim

// Command is the berth-runtime subcommand that runs the monitor.
const Command = "monitor"

// Files in the monitor's root directory.
const (
	SocketName = "monitor.sock" // the unix socket runners connect to
	PidName    = "monitor.pid"  // the monitor's pid, while it runs
	LogName    = "monitor.log"  // its stdout/stderr (opened by whoever starts it)
)
