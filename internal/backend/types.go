package backend

import (
	"io"
	"time"

	"github.com/berthproject/berth/api"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/registry"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// DiskUsageOptions says which object kinds GET /system/df reports.
type DiskUsageOptions struct {
	Containers, Images, Volumes bool
}

// CreateConfig is the decoded POST /containers/create request. Config,
// HostConfig and NetworkingConfig are never nil (the server fills defaults
// as dockerd does: empty Volumes and PortBindings maps, NetworkMode
// "default" resolved to "bridge").
type CreateConfig struct {
	Name             string
	Config           *container.Config
	HostConfig       *container.HostConfig
	NetworkingConfig *network.NetworkingConfig
	// Platform is the requested image platform (API >= 1.41), or nil.
	Platform *ocispec.Platform
	// DefaultReadOnlyNonRecursive is set for API < 1.44 clients, whose
	// read-only bind mounts were never recursively read-only.
	DefaultReadOnlyNonRecursive bool
}

// StopOptions are the stop and restart parameters.
type StopOptions struct {
	// Signal is the stop signal; "" means the container's own (or SIGTERM).
	Signal string
	// Timeout is the grace period in seconds before SIGKILL: nil means the
	// container's StopTimeout (or 10), -1 waits forever, 0 kills at once.
	Timeout *int
}

// RemoveOptions are the DELETE /containers/{name} parameters.
type RemoveOptions struct {
	Force         bool // kill a running container first
	RemoveVolumes bool // remove its anonymous volumes
	RemoveLink    bool // remove the link named name instead of a container
}

// ListOptions are the GET /containers/json parameters.
type ListOptions struct {
	All     bool // include stopped containers
	Limit   int  // only the Limit most recently created; 0 means no limit
	Size    bool // fill SizeRw and SizeRootFs
	Filters api.Filters
}

// InspectOptions are the GET /containers/{name}/json parameters.
type InspectOptions struct {
	Size bool // fill SizeRw and SizeRootFs
}

// LogsOptions are the GET /containers/{name}/logs parameters. Timestamps
// are added by the server, from LogMessage.Timestamp.
type LogsOptions struct {
	ShowStdout, ShowStderr bool
	Since, Until           time.Time // zero means unbounded
	Tail                   int       // the last Tail lines only; -1 means all
	Follow                 bool
	// Details asks for each line to be prefixed with the log entry's
	// attributes ("k=v,k2=v2 "), as `docker logs --details` shows them.
	Details bool
}

// LogMessage is one chunk of logged output, usually one line.
type LogMessage struct {
	Source    string // "stdout" or "stderr"
	Line      []byte // as the container wrote it, newline included
	Timestamp time.Time
	// Err, when set, reports a failure reading the logs; the server writes
	// it to the client and stops.
	Err error
}

// StatsOptions are the GET /containers/{name}/stats parameters.
type StatsOptions struct {
	Stream  bool
	OneShot bool // first sample without waiting for a CPU delta (API >= 1.41)
}

// AttachConfig describes one POST /containers/{name}/attach client.
//
// The server owns the wire: it hijacks the HTTP connection inside GetStreams,
// frames stdout and stderr with stdcopy when the container has no terminal,
// watches stdin for the detach keys (terminal only) and notices when the
// client hangs up. The backend moves plain bytes.
type AttachConfig struct {
	UseStdin, UseStdout, UseStderr bool
	// Logs replays the logged output first; Stream then attaches live (and
	// copies stdin) until the container's output ends or the client leaves.
	Logs, Stream bool
	// GetStreams is called once the container is known to be attachable, with
	// whether it has a terminal. An error ContainerAttach returns before
	// this call becomes an ordinary HTTP error response; one returned after
	// it can only be logged (the connection already carries the stream).
	GetStreams func(tty bool) (AttachStreams, error)
}

// AttachStreams are a hijacked client's streams.
//
// Stdin (nil unless requested) yields what the client sends. It returns
// io.EOF when the client half-closes its side: close the process's stdin if
// it is StdinOnce (or always, for an exec) and keep streaming output. Any
// other error means the client went away or typed the detach keys: stop
// copying stdin, leave the process's stdin open; ctx is cancelled as well.
//
// Stdout and Stderr (nil unless requested) take the process's plain output;
// with a terminal, both write the same raw stream. Writes fail once the
// client is gone.
type AttachStreams struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// ExecStartConfig describes a POST /exec/{id}/start client. With Detach
// the streams are nil. Without it all three are set and follow the
// AttachStreams rules; the backend uses those the exec was created to
// attach (AttachStdin, AttachStdout, AttachStderr) and must drain or
// ignore the rest.
type ExecStartConfig struct {
	Detach bool
	AttachStreams
	// ConsoleSize is the initial terminal [height, width], or nil.
	ConsoleSize *[2]uint
}

// ImageListOptions are the GET /images/json parameters.
type ImageListOptions struct {
	All        bool // include intermediate images
	Filters    api.Filters
	SharedSize bool // compute SharedSize (API >= 1.42)
	Manifests  bool // fill Manifests (API >= 1.47)
}

// ImageRemoveOptions are the DELETE /images/{name} parameters.
type ImageRemoveOptions struct {
	Force         bool
	PruneChildren bool // delete untagged parents (true unless noprune)
	Platforms     []ocispec.Platform
}

// ImageLoadOptions are the POST /images/load parameters.
type ImageLoadOptions struct {
	Quiet     bool
	Platforms []ocispec.Platform
}

// ImageSaveOptions are the GET /images/get parameters.
type ImageSaveOptions struct {
	Platforms []ocispec.Platform
}

// ImageImportOptions are the POST /images/create?fromSrc=- parameters.
type ImageImportOptions struct {
	// Ref is the repository:tag to give the image, or nil.
	Ref reference.NamedTagged
	// Message is the history comment ("Imported from -" by default).
	Message string
	// Changes are Dockerfile instructions applied to the config (CMD,
	// ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, USER, VOLUME, WORKDIR).
	Changes  []string
	Platform *ocispec.Platform
}

// ImagePullOptions are the POST /images/create?fromImage= parameters.
type ImagePullOptions struct {
	Platform *ocispec.Platform
	// Auth is the decoded X-Registry-Auth header, or nil.
	Auth *registry.AuthConfig
}

// ImagePushOptions are the POST /images/{name}/push parameters.
type ImagePushOptions struct {
	// Auth is the decoded X-Registry-Auth header, or nil.
	Auth *registry.AuthConfig
	// Platform selects one image of a multi-platform index (API >= 1.46);
	// Berth stores single-platform images, so it checks the image has it.
	Platform *ocispec.Platform
}
