package server

import (
	"context"
	"github.com/berthproject/berth/internal/backend"
	"io"
	"time"

	"github.com/berthproject/berth/api"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/api/types/volume"
)

// This file declares what the HTTP layer needs from the rest of berthd, cut by
// role like moby's daemon/server/router/*/backend.go. Rules every backend
// follows:
//
//   - Errors wrap errdefs kinds; the server maps them to HTTP statuses in
//     httperr.go and sends err.Error() as the message, so a backend builds
//     dockerd's wording itself ("No such container: xyz", "No such image:
//     busybox:latest") when clients match on it.
//   - Names are what the client sent: a container or exec ID, ID prefix or
//     name; an image reference or ID. Resolving them is the backend's job.
//   - Responses are moby's wire types; the server only adjusts them for older
//     API versions and fixes nil slices dockerd sends as [].
//   - ctx is the request's context: it ends when the client goes away.

// ---------------------------------------------------------------- system

// SystemBackend serves /info, /version and /system/df.
type SystemBackend interface {
	// SystemInfo returns what `docker info` shows.
	SystemInfo(ctx context.Context) (*system.Info, error)
	// SystemVersion returns the daemon's version; the server fills APIVersion
	// and MinAPIVersion when they are empty.
	SystemVersion(ctx context.Context) (system.VersionResponse, error)
	// SystemDiskUsage returns the usage of the object kinds asked for, with
	// Items filled in (the server needs them for API < 1.52 responses).
	// It may fail with errdefs.ErrNotImplemented.
	SystemDiskUsage(ctx context.Context, opts DiskUsageOptions) (*system.DiskUsage, error)
}

// DiskUsageOptions is defined in internal/backend, shared with the engine.
type DiskUsageOptions = backend.DiskUsageOptions

// EventsBackend is the daemon's event bus, as GET /events sees it
// (*internal/events.Bus implements it).
type EventsBackend interface {
	// Subscribe returns the recorded events with a time at or after since
	// (oldest first; none when since is zero) and a channel carrying every
	// event published after that snapshot, in order. cancel ends the
	// subscription and closes the channel. The server applies the until
	// limit and the filters itself.
	Subscribe(since time.Time) (past []events.Message, ch <-chan events.Message, cancel func())
}

// ---------------------------------------------------------------- containers

// ContainerBackend is everything the /containers and /exec routes need.
type ContainerBackend interface {
	stateBackend
	monitorBackend
	attachBackend
	execBackend
}

// stateBackend changes containers' life-cycle state.
type stateBackend interface {
	// ContainerCreate creates a container. A missing image is
	// errdefs.ErrNotFound with message "No such image: <ref>" (the CLI then
	// pulls); a taken name is ErrConflict.
	ContainerCreate(ctx context.Context, cfg CreateConfig) (container.CreateResponse, error)
	// ContainerStart starts a created or stopped container. Starting a
	// running one fails with errdefs.ErrNotModified (the server answers 304).
	ContainerStart(ctx context.Context, name string) error
	// ContainerStop stops a container: Signal (or the container's stop
	// signal), then SIGKILL after the timeout. Stopping a stopped container
	// fails with errdefs.ErrNotModified.
	ContainerStop(ctx context.Context, name string, opts StopOptions) error
	// ContainerRestart stops (as ContainerStop, but a stopped container is no
	// error) and starts the container again.
	ContainerRestart(ctx context.Context, name string, opts StopOptions) error
	// ContainerKill sends signal ("" means SIGKILL; a name like "SIGHUP" or
	// "HUP", or a number). A container that is not running is ErrConflict.
	ContainerKill(ctx context.Context, name, signal string) error
	// ContainerWait waits for cond. Errors known at once (no such container)
	// are returned; otherwise the channel delivers exactly one response when
	// cond is met and is then closed. It is closed without a value if ctx
	// ends first. The server calls ContainerWait before the client starts
	// the container (docker run), so next-exit must be armed on return.
	ContainerWait(ctx context.Context, name string, cond container.WaitCondition) (<-chan container.WaitResponse, error)
	// ContainerRename gives the container newName (ErrConflict if taken,
	// ErrInvalidArgument if malformed).
	ContainerRename(ctx context.Context, name, newName string) error
	// ContainerRemove removes a container; a running one without Force is
	// ErrConflict.
	ContainerRemove(ctx context.Context, name string, opts RemoveOptions) error
	// ContainerResize sets the size of the container's terminal.
	ContainerResize(ctx context.Context, name string, height, width uint32) error
	// ContainerUpdate changes resources and restart policy. It may fail with
	// errdefs.ErrNotImplemented.
	ContainerUpdate(ctx context.Context, name string, cfg container.UpdateConfig) (container.UpdateResponse, error)
}

// monitorBackend reports on containers.
type monitorBackend interface {
	// Containers lists containers. Filter keys are validated by the server
	// (id, name, label, label!, status, ancestor, exited, before, since,
	// volume, network, publish, expose, health, is-task); the backend
	// applies them.
	Containers(ctx context.Context, opts ListOptions) ([]container.Summary, error)
	// ContainerInspect returns a container's full record.
	ContainerInspect(ctx context.Context, name string, opts InspectOptions) (*container.InspectResponse, error)
	// ContainerLogs returns the container's logged output as a channel closed
	// at the end (with Follow: when the container stops or ctx ends), and
	// whether the container has a terminal (then the output is not
	// multiplexed). Errors before the first message (no such container, a
	// log driver that cannot be read) are returned. The backend stops and
	// closes the channel when ctx ends (the client left); it must never
	// block sending once ctx is done.
	ContainerLogs(ctx context.Context, name string, opts LogsOptions) (msgs <-chan LogMessage, tty bool, err error)
	// ContainerTop lists the container's processes as ps(1) would with psArgs.
	ContainerTop(ctx context.Context, name, psArgs string) (container.TopResponse, error)
	// ContainerStats calls send with one sample, or (Stream) one per second
	// until ctx ends or send fails. It may fail with ErrNotImplemented.
	ContainerStats(ctx context.Context, name string, opts StatsOptions, send func(*container.StatsResponse) error) error
	// ContainerPrune removes stopped containers matching the filters (until,
	// label, label!).
	ContainerPrune(ctx context.Context, filters api.Filters) (container.PruneReport, error)
}

// attachBackend connects a client to a container's standard streams.
type attachBackend interface {
	// ContainerAttach attaches the client described by cfg. It first checks
	// the container can be attached (exists: ErrNotFound; paused or
	// restarting: ErrConflict), then calls cfg.GetStreams exactly once, then
	// copies until the streams end, and returns. See AttachConfig.
	ContainerAttach(ctx context.Context, name string, cfg AttachConfig) error
}

// execBackend runs extra processes in running containers.
type execBackend interface {
	// ContainerExecCreate registers an exec in the container (not running:
	// ErrConflict) and returns its ID. The server rejects an empty Cmd.
	ContainerExecCreate(ctx context.Context, name string, cfg container.ExecCreateRequest) (id string, err error)
	// ContainerExecInspect returns an exec's record (unknown: ErrNotFound
	// with message "No such exec instance: <id>").
	ContainerExecInspect(ctx context.Context, id string) (*container.ExecInspectResponse, error)
	// ContainerExecStart runs the exec. With cfg.Detach it returns once the
	// process started; otherwise it copies the streams and returns when the
	// process exited and its output was written. Starting an exec twice is
	// ErrConflict. The process never depends on ctx: ctx only bounds the
	// copying (it ends when the client goes away or detaches).
	ContainerExecStart(ctx context.Context, id string, cfg ExecStartConfig) error
	// ContainerExecResize sets the size of the exec's terminal.
	ContainerExecResize(ctx context.Context, id string, height, width uint32) error
}

// CreateConfig is defined in internal/backend, shared with the engine.
type CreateConfig = backend.CreateConfig

// StopOptions is defined in internal/backend, shared with the engine.
type StopOptions = backend.StopOptions

// RemoveOptions is defined in internal/backend, shared with the engine.
type RemoveOptions = backend.RemoveOptions

// ListOptions is defined in internal/backend, shared with the engine.
type ListOptions = backend.ListOptions

// InspectOptions is defined in internal/backend, shared with the engine.
type InspectOptions = backend.InspectOptions

// LogsOptions is defined in internal/backend, shared with the engine.
type LogsOptions = backend.LogsOptions

// LogMessage is defined in internal/backend, shared with the engine.
type LogMessage = backend.LogMessage

// StatsOptions is defined in internal/backend, shared with the engine.
type StatsOptions = backend.StatsOptions

// AttachConfig is defined in internal/backend, shared with the engine.
type AttachConfig = backend.AttachConfig

// AttachStreams is defined in internal/backend, shared with the engine.
type AttachStreams = backend.AttachStreams

// ExecStartConfig is defined in internal/backend, shared with the engine.
type ExecStartConfig = backend.ExecStartConfig

// ---------------------------------------------------------------- images

// ImageBackend is everything the /images routes need.
type ImageBackend interface {
	imageBackend
	importExportBackend
	registryBackend
}

// imageBackend manages local images.
type imageBackend interface {
	// Images lists images. Filter keys are validated by the server
	// (before, dangling, label, label!, reference, since, until).
	Images(ctx context.Context, opts ImageListOptions) ([]image.Summary, error)
	// ImageInspect returns an image's record ("No such image: <ref>").
	ImageInspect(ctx context.Context, name string) (*image.InspectResponse, error)
	// ImageHistory returns the image's history, newest first.
	ImageHistory(ctx context.Context, name string) ([]image.HistoryResponseItem, error)
	// ImageTag points ref at the image name resolves to.
	ImageTag(ctx context.Context, name string, ref reference.NamedTagged) error
	// ImageDelete untags and deletes, reporting each step. An image used by
	// a container, or referenced by several repositories (without Force),
	// is ErrConflict.
	ImageDelete(ctx context.Context, name string, opts ImageRemoveOptions) ([]image.DeleteResponse, error)
	// ImagePrune removes unused images matching the filters (dangling,
	// until, label, label!).
	ImagePrune(ctx context.Context, filters api.Filters) (image.PruneReport, error)
}

// importExportBackend moves images in and out as tar archives.
type importExportBackend interface {
	// ImageLoad reads a `docker save` or OCI layout tar. It reports through
	// progress (e.g. Stream "Loaded image: busybox:latest\n"); with Quiet it
	// sends no progress bars.
	ImageLoad(ctx context.Context, tar io.Reader, opts ImageLoadOptions, progress func(jsonstream.Message)) error
	// ImageSave writes the named images as one `docker save` tar to out.
	ImageSave(ctx context.Context, names []string, opts ImageSaveOptions, out io.Writer) error
	// ImageImport creates a one-layer image from a root filesystem tar and
	// returns its ID ("sha256:...").
	ImageImport(ctx context.Context, layer io.Reader, opts ImageImportOptions) (id string, err error)
}

// registryBackend talks to registries.
type registryBackend interface {
	// ImagePull pulls ref, reporting through progress as `docker pull` shows
	// it. It may fail with ErrNotImplemented (or ErrNotFound for an unknown
	// image: "pull access denied for x, repository does not exist ...").
	ImagePull(ctx context.Context, ref reference.Named, opts ImagePullOptions, progress func(jsonstream.Message)) error
	// ImagePush pushes ref's tag, or every tag of its repository when ref
	// has none, reporting through progress as `docker push` shows it; the
	// last message before success carries the pushed digest in Aux.
	ImagePush(ctx context.Context, ref reference.Named, opts ImagePushOptions, progress func(jsonstream.Message)) error
	// RegistryLogin checks credentials with the registry (POST /auth). A
	// refusal is errdefs.ErrUnauthorized.
	RegistryLogin(ctx context.Context, auth registry.AuthConfig) (registry.AuthResponse, error)
	// DistributionInspect describes what ref (tagged) names in its
	// registry: manifest descriptor and platforms.
	DistributionInspect(ctx context.Context, ref reference.Named, auth *registry.AuthConfig) (registry.DistributionInspect, error)
	// ImageSearch searches a registry index; filters are applied by the
	// server.
	ImageSearch(ctx context.Context, term string, limit int, auth *registry.AuthConfig) ([]registry.SearchResult, error)
}

// ImageListOptions is defined in internal/backend, shared with the engine.
type ImageListOptions = backend.ImageListOptions

// ImageRemoveOptions is defined in internal/backend, shared with the engine.
type ImageRemoveOptions = backend.ImageRemoveOptions

// ImageLoadOptions is defined in internal/backend, shared with the engine.
type ImageLoadOptions = backend.ImageLoadOptions

// ImageSaveOptions is defined in internal/backend, shared with the engine.
type ImageSaveOptions = backend.ImageSaveOptions

// ImageImportOptions is defined in internal/backend, shared with the engine.
type ImageImportOptions = backend.ImageImportOptions

// ImagePullOptions is defined in internal/backend, shared with the engine.
type ImagePullOptions = backend.ImagePullOptions

// ImagePushOptions is defined in internal/backend, shared with the engine.
type ImagePushOptions = backend.ImagePushOptions

// ---------------------------------------------------------------- networks, volumes

// NetworkBackend serves the /networks routes. While none is wired, the
// server answers GET /networks with an empty list.
type NetworkBackend interface {
	Networks(ctx context.Context, filters api.Filters) ([]network.Summary, error)
}

// VolumeBackend serves the /volumes routes. While none is wired, the server
// answers GET /volumes with an empty list.
type VolumeBackend interface {
	Volumes(ctx context.Context, filters api.Filters) (volume.ListResponse, error)
}
