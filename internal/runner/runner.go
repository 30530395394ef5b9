package runner

import (
	"context"
	"io"
	"time"

	"github.com/berthproject/berth/internal/mount"
	"github.com/berthproject/berth/internal/stats"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Runner runs containers. Every method is safe for concurrent use. Errors
// wrap errdefs kinds: an unknown ID is ErrNotFound, a wrong state (starting a
// running container) is ErrConflict, a failing OCI runtime is ErrInternal with
// the runtime's own message kept (e.g. "exec: \"nope\": executable file not found in $PATH").
//
// Life cycle of a container:
//
//	Create ──> Start ──> (process exits: ExitFunc(Exit{ID}) is called) ──> Delete
//	   │                                                                     ▲
//	   └──────────────── Delete (never started) ─────────────────────────────┘
//
// A Runner survives the daemon: after berthd restarts, List reports every
// container the runner still knows (running, or exited and not yet deleted),
// and exits that happened while the daemon was away are delivered to the new
// ExitFunc (and are visible in List) until Delete.
type Runner interface {
	// Create prepares the container: mounts bundle.Rootfs on <bundle dir>/rootfs,
	// writes config.json, sets up stdio/pty and logging, and runs the OCI
	// runtime's `create`. The process does not run user code until Start.
	// Output produced from Start on is kept for attachers that attach after
	// Create and before Start (nothing is lost for `docker run`).
	Create(ctx context.Context, b Bundle) (pid int, err error)
	// Start lets the created container's process run.
	Start(ctx context.Context, id string) error
	// Kill sends a signal to the container's init (all processes if all).
	Kill(ctx context.Context, id string, sig int, all bool) error
	// Delete removes the container from the OCI runtime, unmounts its rootfs and
	// removes its bundle directory. It fails with ErrConflict while the
	// container runs, unless force (then it kills with SIGKILL first and waits).
	Delete(ctx context.Context, id string, force bool) error
	// State reports what the runner knows of one container.
	State(ctx context.Context, id string) (State, error)
	// List reports every container the runner knows.
	List(ctx context.Context) ([]State, error)
	// Attach copies the container's (or exec process's, when execID != "")
	// output to the writers and stdin from the reader, until the process's
	// output ends (it exited and its pipes drained), ctx is cancelled, or (when
	// Stdin is set and DetachOnStdinEOF) the reader ends. With a terminal,
	// Stderr is unused. Several attachers may be attached at once.
	Attach(ctx context.Context, id, execID string, s Streams) error
	// CloseStdin closes the process's stdin (for StdinOnce semantics).
	CloseStdin(ctx context.Context, id, execID string) error
	// Resize sets the terminal size of the container or exec process.
	Resize(ctx context.Context, id, execID string, width, height uint) error
	// Exec starts an extra process in the running container. Its output goes
	// only to attachers (it is not logged): callers Attach with execID before
	// calling Exec, or pass the streams here; ExitFunc gets its Exit (with
	// ExecID set) only after all of its output was copied to the streams.
	Exec(ctx context.Context, id, execID string, p ExecProcess) (pid int, err error)
	// Pids lists the host pids of the container's processes.
	Pids(ctx context.Context, id string) ([]int, error)
	// Update changes the cgroup limits of a created or running container
	// (the OCI runtime's `update --resources FILE ID`, runc's CLI); fields
	// left nil keep their values. A stopped container is ErrConflict.
	Update(ctx context.Context, id string, res *specs.LinuxResources) error
	// Stats samples the resource usage of a running container's cgroup and
	// network namespace. A container that is not running is ErrConflict.
	Stats(ctx context.Context, id string) (stats.Sample, error)
	// Close releases the runner's connections (not the containers).
	Close() error
}

// ExitFunc receives exits. It must not block for long.
type ExitFunc func(Exit)

// Bundle is everything needed to create one container.
type Bundle struct {
	ID string
	// Dir is the bundle directory (created by the runner if missing).
	Dir string
	// Spec is the OCI spec; Root.Path is set by the runner to "rootfs".
	Spec *specs.Spec
	// Rootfs is mounted, in order, on Dir/rootfs.
	Rootfs []mount.Mount
	// RemapRootfs mounts the rootfs for a container in a user namespace
	// (the spec's uid/gid mappings): its read-only layers (overlay lower
	// directories, or a bind source) through idmapped mounts, so that what
	// host root owns on disk is owned by the container's root, and its
	// writable upper and work directories owned by that root.
	RemapRootfs bool
	// Runtime is the OCI runtime binary (berth-runtime, runc, ...); RuntimeRoot
	// its --root state directory.
	Runtime     string
	RuntimeRoot string
	// Stdin keeps a stdin pipe (docker's OpenStdin); StdinOnce closes it when
	// the first attacher's input ends.
	Stdin     bool
	StdinOnce bool
	// Log is where the container's output is written.
	Log LogConfig
}

// LogConfig selects the json-file log of a container (docker's format).
type LogConfig struct {
	// Path of the json-file log; empty disables logging.
	Path string
	// MaxSize in bytes of one file before rotation (0: no limit), MaxFiles kept.
	MaxSize  int64
	MaxFiles int
}

// ExecProcess is an extra process to run in a container.
type ExecProcess struct {
	Spec    *specs.Process
	Stdin   bool
	Streams *Streams // optional: attach these streams before the process runs
}

// Streams are an attacher's ends. Any may be nil.
type Streams struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// DetachOnStdinEOF ends the attach when Stdin ends (without closing the
	// process's stdin unless the container is StdinOnce).
	DetachOnStdinEOF bool
	// Attached, if set, is called once the attacher is registered with the
	// monitor: no output produced after that is missed. The engine attaches
	// `docker run`'s clients between Create and Start and waits for this
	// before calling Start.
	Attached func()
}

// Status is a container's state as the runner sees it.
type Status string

// Statuses.
const (
	StatusCreated Status = "created"
	StatusRunning Status = "running"
	StatusStopped Status = "stopped"
)

// State describes one container.
type State struct {
	ID     string
	Pid    int
	Status Status
	// Exit is set when Status is StatusStopped after having run.
	Exit *Exit
}

// Exit is the end of a container's init (ExecID empty) or of an exec process.
type Exit struct {
	ID        string
	ExecID    string
	Pid       int
	Code      int // exit code, or 128+signal when killed by a signal
	OOMKilled bool
	At        time.Time
}
