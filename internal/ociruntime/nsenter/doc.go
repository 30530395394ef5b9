// Package nsenter is the only pre-Go-runtime code of berth-runtime: a cgo
// constructor (nsenter.c) that joins existing namespaces before the Go
// runtime starts its threads, because setns(2) into a mount, pid or user
// namespace is refused to a multi-threaded process.
//
// It does nothing unless the environment variable _BERTH_NSENTER is set; only
// the re-exec of `berth-runtime init` by internal/ociruntime sets it. Protocol
// (the whole of it; the rest of the parent<->init exchange is in
// internal/ociruntime/sync.go):
//
//	_BERTH_NSENTER    = "TYPE:PATH,TYPE:PATH,..."  TYPE in user ipc uts net pid mnt cgroup time;
//	                    joined in this order, so the parent lists user first and mnt last
//	_BERTH_NSENTER_FD = decimal fd of the sync socket to the parent
//
// All paths are opened first (before a mount namespace changes what they
// mean), then setns(2)'d in order. If a pid namespace was joined, only
// children enter it, so the constructor forks with CLONE_PARENT (the new
// process is a sibling: a direct child of the parent runtime process), and
// the intermediate process writes {"type":"pid","pid":N} (N as seen by the
// parent) on the sync socket and exits 0; the child goes on into Go. On any
// failure it writes {"type":"error","error":"nsenter: ..."} and exits 1.
//
// Why hand-written: runc's nsenter does much more (user-ns maps, stages,
// idmapped mounts) and is not importable without all of libcontainer.
//
// Imports: only "C".
package nsenter
