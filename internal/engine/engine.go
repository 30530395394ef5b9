package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/events"
	"github.com/berthproject/berth/internal/logging"
	"github.com/berthproject/berth/internal/oci"
	"github.com/berthproject/berth/internal/runner"
	"github.com/berthproject/berth/internal/store"
)

const containersBucket = "containers"

// Options configure an Engine.
type Options struct {
	// Root holds per-container files (logs, hostname, hosts, resolv.conf):
	// <data-root>/containers.
	Root string
	// BundleRoot holds OCI bundles of running containers: <exec-root>/bundles.
	BundleRoot string
	// RuntimeRoot holds each OCI runtime's state dir: <exec-root>/runtime/<name>.
	RuntimeRoot string
	// Runtimes maps runtime names to binaries; DefaultRuntime names one.
	Runtimes       map[string]string
	DefaultRuntime string
	// LogMaxSize and LogMaxFiles are the default json-file log cap.
	LogMaxSize  int64
	LogMaxFiles int

	// Host describes the daemon and its host for info and version.
	Host HostInfo

	// SeccompProfile is the daemon's seccomp profile for containers that
	// name none: "" (Docker's default), "unconfined" or a profile's JSON.
	SeccompProfile string
	// NoNewPrivileges sets no_new_privs in every container.
	NoNewPrivileges bool
	// Init runs InitPath as every container's PID 1 unless it says --init=false.
	Init bool
	// InitPath is the init binary for --init (berth-init); empty: none.
	InitPath string
	// Userns is the daemon's --userns-remap (nil: none).
	Userns *oci.UserNamespace

	Store     *store.Store
	Events    *events.Bus
	Images    Images
	Snapshots Snapshots
}

// Engine manages containers.
type Engine struct {
	opts   Options
	runner runner.Runner
	ready  chan struct{} // closed once the runner is set and state restored
	exitq  chan runner.Exit

	mu         sync.RWMutex // guards the maps below; held only for map access
	containers map[string]*Container
	names      map[string]string // "/name" -> id
	execs      map[string]*Exec
}

// New returns an engine; call Restore to attach it to a runner and restore state.
func New(opts Options) (*Engine, error) {
	for _, d := range []string{opts.Root, opts.BundleRoot, opts.RuntimeRoot} {
		if err := os.MkdirAll(d, 0o711); err != nil {
			return nil, fmt.Errorf("engine: %w", err)
		}
	}
	return &Engine{
		opts:       opts,
		ready:      make(chan struct{}),
		exitq:      make(chan runner.Exit, 1024),
		containers: map[string]*Container{},
		names:      map[string]string{},
		execs:      map[string]*Exec{},
	}, nil
}

// Restore attaches the engine to its runner, starts handling exits (until ctx
// ends), loads persisted containers and reconciles them with what the runner
// still runs. Requests wait for it to finish.
func (e *Engine) Restore(ctx context.Context, r runner.Runner) error {
	e.runner = r
	err := e.restore(ctx)
	close(e.ready)
	return err
}

// get finds a container by full ID, name, or unique ID prefix, as dockerd.
func (e *Engine) get(ref string) (*Container, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if c, ok := e.containers[ref]; ok {
		return c, nil
	}
	if id, ok := e.names["/"+strings.TrimPrefix(ref, "/")]; ok {
		return e.containers[id], nil
	}
	var found *Container
	if ref != "" {
		for id, c := range e.containers {
			if strings.HasPrefix(id, ref) {
				if found != nil {
					return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "multiple IDs found with provided prefix: %s", ref)
				}
				found = c
			}
		}
	}
	if found == nil {
		return nil, errdefs.Errorf(errdefs.ErrNotFound, "No such container: %s", ref)
	}
	return found, nil
}

// all returns the containers (in no order).
func (e *Engine) all() []*Container {
	e.mu.RLock()
	defer e.mu.RUnlock()
	cs := make([]*Container, 0, len(e.containers))
	for _, c := range e.containers {
		cs = append(cs, c)
	}
	return cs
}

// persist writes a container record; failures are logged, not fatal: the
// in-memory state stays authoritative.
func (e *Engine) persist(ctx context.Context, r record) {
	if err := e.opts.Store.Put(containersBucket, r.Inspect.ID, r); err != nil {
		logging.From(ctx).Error("persist container", logging.KeyContainerID, r.Inspect.ID, logging.Err(err))
	}
}

// containerDir is where a container's files live.
func (e *Engine) containerDir(id string) string { return filepath.Join(e.opts.Root, id) }

// loadRecords reads every persisted container.
func (e *Engine) loadRecords() ([]record, error) {
	var recs []record
	err := e.opts.Store.ForEach(containersBucket, func(_ string, data []byte) error {
		var r record
		if err := json.Unmarshal(data, &r); err != nil {
			return err
		}
		recs = append(recs, r)
		return nil
	})
	return recs, err
}
