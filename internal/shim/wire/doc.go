// Package wire is the protocol between berthd's runner (runner/shimrunner)
// and the container monitor (`berth-runtime monitor`, package shim): frames
// of length-prefixed JSON or raw bytes over the unix socket DIR/monitor.sock.
// net/http and gRPC were left out on purpose: the monitor is one long-lived
// process per daemon whose resident memory is the budget, and a frame codec
// is ~150 lines.
//
// Every frame is
//
//	+----------------+--------+----------------------+
//	| length uint32  | kind   | payload              |
//	| big-endian,    | 1 byte | length-1 bytes       |
//	| kind+payload   |        | (JSON or raw output) |
//	+----------------+--------+----------------------+
//
// A connection is either a control connection (its first frame is a
// request) or an attach connection (its first frame is an attach).
//
// Control connection: requests carry an id and may be outstanding
// concurrently; the monitor answers each (in any order) with the same id.
// After a subscribe request the monitor also pushes exit events on it: first
// every exit it holds (container exits until Delete, exec exits not yet
// delivered), then new exits as they happen. An exec's exit is forgotten once
// written to a subscriber; a container's stays until Delete, so a
// reconnecting runner sees it again (delivery is at least once).
//
//	runner (berthd)                                  monitor
//	   |  Q {id:1, op:"hello"}                          |
//	   | ---------------------------------------------> |
//	   |                      R {id:1, version:1, pid}  |
//	   | <--------------------------------------------- |
//	   |  Q {id:2, op:"subscribe"}                      |
//	   | ---------------------------------------------> |
//	   |                      R {id:2}                  |
//	   |                      X {id:"c1", code:0, ...}  |  exits that happened
//	   | <--------------------------------------------- |  while nobody listened
//	   |  Q {id:3, op:"create", create:{dir, spec,..}}  |
//	   |  Q {id:4, op:"state", container:"c0"}          |  (concurrent requests)
//	   | ---------------------------------------------> |
//	   |                      R {id:4, state:{...}}     |
//	   |                      R {id:3, pid:4242}        |
//	   | <--------------------------------------------- |
//	   |                      X {id:"c2", exec:"e1",    |  pushed whenever a
//	   |                         code:3}                |  process has exited
//	   | <--------------------------------------------- |  and its output drained
//
// Attach connection: one per attacher. The monitor registers the attacher
// before it answers, so output produced after the answer reaches it (the
// engine attaches before Start for `docker run`). An attach to an exec ID
// that does not exist yet waits for that exec (attach, then exec). Output is
// copied raw, one frame per read, stdout and stderr in distinct kinds. When
// the process has exited and its output is drained the monitor sends End and
// closes; for an exec it sends End before the exec's exit event, so the
// runner can finish writing the output before it reports the exit.
//
//	runner                                            monitor
//	   |  A {container:"c1", exec:"", stdin:true}       |
//	   | ---------------------------------------------> |  registers the attacher
//	   |                      R {}  (or R {error})      |
//	   | <--------------------------------------------- |
//	   |  i "input bytes"                               |  stdin (one attacher's
//	   | ---------------------------------------------> |  at a time)
//	   |                      1 "stdout bytes"          |
//	   |                      2 "stderr bytes"          |
//	   | <--------------------------------------------- |
//	   |  c  (stdin ended)                              |  closes the process's
//	   | ---------------------------------------------> |  stdin if StdinOnce/exec
//	   |                      E {}  then close          |
//	   | <--------------------------------------------- |
//
// The runner detaches by closing the connection.
//
// It imports only errdefs and mount (for the Rootfs of a create).
package wire
