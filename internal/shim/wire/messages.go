package wire

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/mount"
)

// Operations of a Request.
const (
	OpHello      = "hello"      // -> Version, Pid (the monitor's)
	OpSubscribe  = "subscribe"  // start exit events on this connection
	OpCreate     = "create"     // Create -> Pid
	OpStart      = "start"      // Container
	OpKill       = "kill"       // Container, Signal, All
	OpDelete     = "delete"     // Container, Force
	OpState      = "state"      // Container -> State
	OpList       = "list"       // -> States
	OpResize     = "resize"     // Container, Exec, Width, Height
	OpCloseStdin = "closestdin" // Container, Exec
	OpExec       = "exec"       // Container, Exec, Process, Terminal, Stdin -> Pid
	OpPids       = "pids"       // Container -> Pids
	OpUpdate     = "update"     // Container, Resources
)

// Request is a control call. Only the fields its Op names are set.
type Request struct {
	ID        uint64          `json:"id"`
	Op        string          `json:"op"`
	Container string          `json:"container,omitempty"`
	Exec      string          `json:"exec,omitempty"`
	Create    *Create         `json:"create,omitempty"`
	Process   json.RawMessage `json:"process,omitempty"` // exec: the OCI process, as process.json
	// Resources are an update's OCI LinuxResources, as `update --resources` reads them.
	Resources json.RawMessage `json:"resources,omitempty"`
	Terminal  bool            `json:"terminal,omitempty"`
	Stdin     bool            `json:"stdin,omitempty"`
	Signal    int             `json:"signal,omitempty"`
	All       bool            `json:"all,omitempty"`
	Force     bool            `json:"force,omitempty"`
	Width     uint16          `json:"width,omitempty"`
	Height    uint16          `json:"height,omitempty"`
}

// Create is a container to create (the runner's Bundle, with the spec
// already marshalled and Root.Path set to "rootfs").
type Create struct {
	ID          string          `json:"id"`
	Dir         string          `json:"dir"`
	Spec        json.RawMessage `json:"spec"`
	Rootfs      []mount.Mount   `json:"rootfs,omitempty"`
	Runtime     string          `json:"runtime"`
	RuntimeRoot string          `json:"runtimeRoot,omitempty"`
	Terminal    bool            `json:"terminal,omitempty"`
	Stdin       bool            `json:"stdin,omitempty"`
	StdinOnce   bool            `json:"stdinOnce,omitempty"`
	LogPath     string          `json:"logPath,omitempty"`
	LogMaxSize  int64           `json:"logMaxSize,omitempty"`
	LogMaxFiles int             `json:"logMaxFiles,omitempty"`
	// IDMap, when set, mounts Rootfs for a container in a user namespace
	// with these mappings (runner.Bundle.RemapRootfs).
	IDMap *IDMap `json:"idMap,omitempty"`
}

// IDMap are the uid and gid mappings of a user namespace.
type IDMap struct {
	UIDs []IDRange `json:"uids"`
	GIDs []IDRange `json:"gids"`
}

// IDRange maps Size IDs from ContainerID in the namespace to HostID.
type IDRange struct {
	ContainerID uint32 `json:"containerID"`
	HostID      uint32 `json:"hostID"`
	Size        uint32 `json:"size"`
}

// Response answers the Request with the same ID.
type Response struct {
	ID      uint64  `json:"id"`
	Error   *Error  `json:"error,omitempty"`
	Version int     `json:"version,omitempty"`
	Pid     int     `json:"pid,omitempty"`
	State   *State  `json:"state,omitempty"`
	States  []State `json:"states,omitempty"`
	Pids    []int   `json:"pids,omitempty"`
}

// Statuses of a State.
const (
	StatusCreated = "created"
	StatusRunning = "running"
	StatusStopped = "stopped"
)

// State is what the monitor knows of a container.
type State struct {
	ID     string `json:"id"`
	Pid    int    `json:"pid"`
	Status string `json:"status"`
	Exit   *Exit  `json:"exit,omitempty"`
}

// Exit is the end of a container's init (Exec empty) or of an exec process.
type Exit struct {
	ID        string    `json:"id"`
	Exec      string    `json:"exec,omitempty"`
	Pid       int       `json:"pid"`
	Code      int       `json:"code"`
	OOMKilled bool      `json:"oomKilled,omitempty"`
	At        time.Time `json:"at"`
}

// Attach opens an attach connection.
type Attach struct {
	Container string `json:"container"`
	Exec      string `json:"exec,omitempty"`
	Stdin     bool   `json:"stdin,omitempty"`
}

// End closes an attach stream: the process's output is complete (or the
// attach failed, then Error is set).
type End struct {
	Error *Error `json:"error,omitempty"`
}

// Error is an error crossing the socket: its errdefs kind and message.
type Error struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

// The kinds an Error carries, in the order they are checked.
var kinds = []struct {
	name string
	kind error
}{
	{"notfound", errdefs.ErrNotFound},
	{"exists", errdefs.ErrAlreadyExists},
	{"invalid", errdefs.ErrInvalidArgument},
	{"conflict", errdefs.ErrConflict},
	{"unavailable", errdefs.ErrUnavailable},
	{"notimplemented", errdefs.ErrNotImplemented},
	{"internal", errdefs.ErrInternal},
}

// ErrorOf encodes err (nil for nil). An error of no known kind is internal.
func ErrorOf(err error) *Error {
	if err == nil {
		return nil
	}
	for _, k := range kinds {
		if errors.Is(err, k.kind) {
			return &Error{Kind: k.name, Message: err.Error()}
		}
	}
	return &Error{Kind: "internal", Message: err.Error()}
}

// Err decodes e into an error of its kind with the same message (nil for nil).
func (e *Error) Err() error {
	if e == nil {
		return nil
	}
	kind := errdefs.ErrInternal
	for _, k := range kinds {
		if k.name == e.Kind {
			kind = k.kind
			break
		}
	}
	return errdefs.Errorf(kind, "%s", e.Message)
}
