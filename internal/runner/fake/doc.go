// Package fake is an in-memory runner.Runner for engine unit tests: no
// process, no mount, no root. Containers run Programs (Go functions) in
// goroutines: a few common commands are built in (echo, true, false,
// sleep, cat and a tiny `sh -c`), tests add their own with Handle and fail
// operations with Hooks.
//
// It keeps the contract's observable behaviour: output goes to the json-file
// log (internal/logfile, when the Bundle asks for one) and to attachers,
// attachers registered before Start get everything, an unknown program
// fails Create (or Exec) like a missing executable, Kill with SIGKILL ends a
// process with 137, other signals reach the program, StdinOnce closes stdin
// at the first attacher's EOF, and an Exit is reported (from the process's
// goroutine) only after the program returned, so after its output reached
// every attacher.
//
// It imports runner, logfile and errdefs.
package fake
