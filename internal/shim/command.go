package shim

// Command is the berth-runtime subcommand that runs the monitor.
const Command = "monitor"
