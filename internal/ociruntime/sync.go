package ociruntime

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The parent <-> init exchange. The parent is `berth-runtime create` (or
// `run`, or `exec`); the child is /proc/self/exe re-executed as
// `berth-runtime init` with the sync socket as an extra fd (_BERTH_INIT_FD).
// Messages are JSON lines (syncMsg) on a SOCK_STREAM socketpair.
//
//	parent (create)                                child (init)
//	───────────────                                ────────────
//	read config.json's root and namespaces only
//	socketpair(sync)
//	clone(new ns flags, uid/gid maps)
//	  + execve(/proc/self/exe init) ─────────────▶ [nsenter constructor, C, before Go starts:
//	                                                 setns() every joined namespace;
//	                                                 pid ns joined → clone(CLONE_PARENT),
//	                                                 the intermediate reports and exits]
//	                               ◀───────────── {"type":"pid","pid":N}   only if a pid ns was joined
//	while init's Go runtime starts: mkdir the
//	  state dir, mkfifo(exec.fifo), full decode
//	  of config.json; cgroup creation (mkdir,
//	  resources) begins in the background
//	{"type":"config", initConfig} ───────────────▶ open(exec.fifo, O_PATH), open(/proc/self/fd);
//	                                                 rootfs: propagation, bind, mounts, /dev,
//	                                                 pivot_root; console (pty master sent over the
//	                                                 console socket, SCM_RIGHTS); hostname, sysctls,
//	                                                 lo up, masked/readonly paths, rlimits,
//	                                                 oom_score_adj, no_new_privs, user, caps, cwd;
//	                                                 resolve args[0] in the container's PATH
//	cgroup created; on v2 or with a user
//	  namespace: write N to cgroup.procs
//	{"type":"cgroup","paths":{...}} ─────────────▶ awaited before unshare(cgroup ns), before a
//	                                                 "cgroup" mount (it binds init's own cgroup),
//	                                                 before pivot_root and before "ready"; on v1
//	                                                 init's thread joins the paths itself ("0" >
//	                                                 tasks: no RCU grace period, unlike moving a
//	                                                 process by pid)
//	write state.json, --pid-file (while init
//	  works; removed if it fails)
//	                               ◀───────────── {"type":"hooks"}   only with prestart or createRuntime
//	                                                 hooks: init's mounts are done, pivot_root is not
//	run prestart, createRuntime hooks
//	  (runtime namespace; see hooks.go)
//	{"type":"resume"} ───────────────────────────▶ run createContainer hooks (container namespace)
//	                               ◀───────────── {"type":"ready"}  or  {"type":"error","error":"..."}
//	exit                                            open(exec.fifo, O_WRONLY|O_CLOEXEC) blocks
//	(init is reparented to the caller's              (reopened from its O_PATH fd through the
//	 subreaper: no process stays in between)          host /proc/self/fd opened at the start)
//
//	start                                           init
//	open(exec.fifo, O_RDONLY) ─────────────────────▶ open returns; write "0"; startContainer hooks;
//	                                                 fds close-on-exec, seccomp filter (execTarget.exec
//	                                                 in process_linux.go); execve(args)
//	read "0", then read to EOF:                      the fifo fd is O_CLOEXEC, so a successful
//	  EOF → started; more bytes → the               execve closes it (EOF for start); a failed
//	  execve error text: start fails                 one writes the error text, then exit(127)
//	unlink(exec.fifo) (status is now "running");
//	poststart hooks
//
// exec follows the same path with every namespace of the container joined
// (so the constructor always forks when the container has a pid ns) and the
// process moved into the existing cgroup by pid (it is already in the
// container's mount namespace, where the host's cgroup files are not); init
// does no rootfs work, waits for "cgroup", sends nothing on success, and
// execs with the sync socket O_CLOEXEC: EOF without an error message means
// the process is running.

// Message types on the sync socket.
const (
	msgPid    = "pid"
	msgConfig = "config"
	msgCgroup = "cgroup"
	msgHooks  = "hooks"
	msgResume = "resume"
	msgReady  = "ready"
	msgError  = "error"
)

// syncMsg is one line of the exchange.
type syncMsg struct {
	Type string `json:"type"`
	Pid  int    `json:"pid,omitempty"`
	// Paths, in a cgroup message, are the v1 cgroups init must join itself.
	Paths map[string]string `json:"paths,omitempty"`
	// State, in a cgroup message, is the state JSON for the hooks init
	// runs itself (createContainer, startContainer).
	State json.RawMessage `json:"state,omitempty"`
	Error string          `json:"error,omitempty"`
	// Hook marks an error message as a failed hook (see hookError).
	Hook   bool        `json:"hook,omitempty"`
	Config *initConfig `json:"config,omitempty"`
}

// initConfig is what init needs to build the container or the exec'd process.
type initConfig struct {
	ID     string      `json:"id"`
	Exec   bool        `json:"exec,omitempty"`
	Spec   *specs.Spec `json:"spec"`
	Rootfs string      `json:"rootfs,omitempty"`
	// Process is the process to run (spec.process for create).
	Process *specs.Process `json:"process"`
	NoPivot bool           `json:"noPivot,omitempty"`
	// NewCgroupNS asks init to unshare the cgroup namespace once it is in
	// its cgroup; NewNetNS to bring lo up; NewUserNS to bind device nodes.
	NewCgroupNS bool `json:"newCgroupNS,omitempty"`
	NewNetNS    bool `json:"newNetNS,omitempty"`
	NewUserNS   bool `json:"newUserNS,omitempty"`
	NewMountNS  bool `json:"newMountNS,omitempty"`
	NewUTSNS    bool `json:"newUTSNS,omitempty"`
	// FifoPath is the exec fifo (create only); init opens it O_PATH first
	// thing, while the host's paths are still there, into FifoFd.
	FifoPath string `json:"fifoPath,omitempty"`
	FifoFd   int    `json:"-"`
	// ConsoleFd is the console socket's fd number in init (-1: none).
	ConsoleFd int `json:"consoleFd"`
	// PreserveFDs is --preserve-fds: fds 3..3+N-1 stay open in the process.
	PreserveFDs int `json:"preserveFds,omitempty"`
	// ParentHooks: the parent runs prestart or createRuntime hooks, so init
	// stops for them before pivot_root (the "hooks" message).
	ParentHooks bool `json:"parentHooks,omitempty"`
	// Seccomp is the compiled filter init loads last, right before execve.
	Seccomp *seccompProgram `json:"seccomp,omitempty"`

	// state (init side) is the hook state from the cgroup message.
	state []byte
	sync  *syncConn

	// inCgroup (init side) blocks until the parent reports that init is in
	// its cgroup; later calls return at once.
	inCgroup func() error
}

// syncConn is one end of the sync socket.
type syncConn struct {
	enc *json.Encoder
	dec *json.Decoder
}

func newSyncConn(rw io.ReadWriter) *syncConn {
	return &syncConn{enc: json.NewEncoder(rw), dec: json.NewDecoder(rw)}
}

func (s *syncConn) send(m syncMsg) error {
	if err := s.enc.Encode(m); err != nil {
		return fmt.Errorf("sync socket: send %s: %w", m.Type, err)
	}
	return nil
}

// recv reads the next message; an error message becomes a Go error, and EOF
// is returned as io.EOF.
func (s *syncConn) recv() (syncMsg, error) {
	var m syncMsg
	if err := s.dec.Decode(&m); err != nil {
		if errors.Is(err, io.EOF) {
			return m, io.EOF
		}
		return m, fmt.Errorf("sync socket: %w", err)
	}
	if m.Type == msgError {
		if m.Hook {
			return m, &hookError{errors.New(m.Error)}
		}
		return m, errors.New(m.Error)
	}
	return m, nil
}

// errorMsg is the error message for err.
func errorMsg(err error) syncMsg {
	var he *hookError
	return syncMsg{Type: msgError, Error: err.Error(), Hook: errors.As(err, &he)}
}
