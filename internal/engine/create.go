package engine

import (
	"context"
	"fmt"
	"github.com/berthproject/berth/internal/backend"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/oci"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/storage"
)

// minMemory is dockerd's smallest memory limit.
const minMemory = 6 << 20

// ContainerCreate creates a container (state "created") and returns its ID.
func (e *Engine) ContainerCreate(ctx context.Context, opts backend.CreateConfig) (container.CreateResponse, error) {
	<-e.ready
	cfg, hc, err := checkCreate(opts)
	if err != nil {
		return container.CreateResponse{}, err
	}
	if err := e.checkInit(hc); err != nil {
		return container.CreateResponse{}, err
	}
	if err := oci.CheckUserns(hc, e.opts.Userns); err != nil {
		return container.CreateResponse{}, err
	}
	runtimeName, err := e.runtimeName(hc.Runtime)
	if err != nil {
		return container.CreateResponse{}, err
	}
	if _, _, err := e.logLimits(hc.LogConfig.Config); err != nil {
		return container.CreateResponse{}, err
	}
	img, err := e.opts.Images.Resolve(ctx, cfg.Image)
	if err != nil {
		return container.CreateResponse{}, err
	}
	merged := oci.MergeImageConfig(cfg, img.Config)
	cfg = &merged
	if len(cfg.Cmd) == 0 && len(cfg.Entrypoint) == 0 {
		return container.CreateResponse{}, errdefs.Errorf(errdefs.ErrInvalidArgument, "no command specified")
	}
	id := newID()
	name, err := e.reserveName(opts.Name, id)
	if err != nil {
		return container.CreateResponse{}, err
	}
	r := e.newRecord(id, name, cfg, hc, img, runtimeName)
	if err := e.createFiles(ctx, &r, img); err != nil {
		e.releaseName(name)
		return container.CreateResponse{}, err
	}
	c := newContainer(r)
	e.mu.Lock()
	e.containers[id] = c
	e.mu.Unlock()
	e.persist(ctx, r)
	e.containerEvent(c, events.ActionCreate, nil)
	return container.CreateResponse{ID: id, Warnings: []string{}}, nil
}

// checkCreate validates a create request as dockerd does and fills defaults.
func checkCreate(opts backend.CreateConfig) (*container.Config, *container.HostConfig, error) {
	if opts.Config == nil {
		return nil, nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "config cannot be empty in order to create a container")
	}
	cfg := *opts.Config
	if cfg.Image == "" {
		return nil, nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "no image specified")
	}
	hc := container.HostConfig{}
	if opts.HostConfig != nil {
		hc = *opts.HostConfig
	}
	if hc.Memory != 0 && hc.Memory < minMemory {
		return nil, nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "Minimum memory limit allowed is 6MB")
	}
	if hc.MemorySwap > 0 && hc.Memory > 0 && hc.MemorySwap < hc.Memory {
		return nil, nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "Minimum memoryswap limit should be larger than memory limit, see usage")
	}
	if hc.NanoCPUs < 0 || hc.CPUShares < 0 {
		return nil, nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "invalid CPU settings")
	}
	if hc.AutoRemove && hc.RestartPolicy.Name != "" && hc.RestartPolicy.Name != container.RestartPolicyDisabled {
		return nil, nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "can't create 'AutoRemove' container with restart policy")
	}
	if err := checkNetworkMode(&hc); err != nil {
		return nil, nil, err
	}
	if err := checkLogConfig(&hc.LogConfig); err != nil {
		return nil, nil, err
	}
	if err := oci.CheckHostConfig(&hc); err != nil {
		return nil, nil, err
	}
	if hc.Memory > 0 && hc.MemorySwap == 0 {
		hc.MemorySwap = 2 * hc.Memory // dockerd's default, kept in HostConfig
	}
	if hc.RestartPolicy.Name == "" {
		hc.RestartPolicy.Name = container.RestartPolicyDisabled
	}
	return &cfg, &hc, nil
}

// checkInit refuses --init when the daemon has no init binary.
func (e *Engine) checkInit(hc *container.HostConfig) error {
	wants := hc.Init != nil && *hc.Init || hc.Init == nil && e.opts.Init
	if wants && e.opts.InitPath == "" && !hc.PidMode.IsHost() {
		return errdefs.Errorf(errdefs.ErrUnavailable, "--init: no init binary: berth-init was not found next to berthd or in PATH")
	}
	return nil
}

// checkNetworkMode accepts the modes this engine has. Until bridge networking
// lands, "default" and "bridge" mean an isolated namespace with loopback up.
func checkNetworkMode(hc *container.HostConfig) error {
	switch m := string(hc.NetworkMode); m {
	case "", "default", "bridge":
		hc.NetworkMode = "none"
	case "none", "host":
	default:
		if strings.HasPrefix(m, "container:") {
			return errdefs.Errorf(errdefs.ErrNotImplemented, "network mode %q is not supported yet", m)
		}
		return errdefs.Errorf(errdefs.ErrNotFound, "network %s not found", m)
	}
	return nil
}

func checkLogConfig(lc *container.LogConfig) error {
	switch lc.Type {
	case "":
		lc.Type = "json-file"
	case "json-file", "none":
	default:
		return errdefs.Errorf(errdefs.ErrInvalidArgument, "logger: no log driver named '%s' is registered", lc.Type)
	}
	if lc.Config == nil {
		lc.Config = map[string]string{}
	}
	return nil
}

// runtimeName checks the requested runtime (empty: the default).
func (e *Engine) runtimeName(name string) (string, error) {
	if name == "" {
		name = e.opts.DefaultRuntime
	}
	if _, ok := e.opts.Runtimes[name]; !ok {
		return "", errdefs.Errorf(errdefs.ErrInvalidArgument, "unknown or invalid runtime name: %s", name)
	}
	return name, nil
}

// reserveName registers the requested or a generated name for id.
func (e *Engine) reserveName(requested, id string) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if requested != "" {
		name, err := checkName(requested)
		if err != nil {
			return "", err
		}
		if other, ok := e.names[name]; ok {
			return "", errdefs.Errorf(errdefs.ErrConflict, "Conflict. The container name %q is already in use by container %q. You have to remove (or rename) that container to be able to reuse that name.", name, other)
		}
		e.names[name] = id
		return name, nil
	}
	for i := 0; ; i++ {
		name := randomName(i / 3)
		if _, ok := e.names[name]; !ok {
			e.names[name] = id
			return name, nil
		}
	}
}

func (e *Engine) releaseName(name string) {
	e.mu.Lock()
	delete(e.names, name)
	e.mu.Unlock()
}

// newRecord builds the inspect document of a new container.
func (e *Engine) newRecord(id, name string, cfg *container.Config, hc *container.HostConfig, img ImageInfo, runtimeName string) record {
	if cfg.Hostname == "" && hc.NetworkMode != "host" {
		cfg.Hostname = id[:12]
	}
	if hc.Runtime == "" {
		hc.Runtime = runtimeName
	}
	argv := append(slices.Clone(cfg.Entrypoint), cfg.Cmd...)
	dir := e.containerDir(id)
	ins := container.InspectResponse{
		ID:             id,
		Created:        timestamp(time.Now()),
		Path:           argv[0],
		Args:           append([]string{}, argv[1:]...),
		State:          &container.State{Status: container.StateCreated, StartedAt: zeroTime, FinishedAt: zeroTime},
		Image:          img.ID,
		ResolvConfPath: filepath.Join(dir, "resolv.conf"),
		HostnamePath:   filepath.Join(dir, "hostname"),
		HostsPath:      filepath.Join(dir, "hosts"),
		Name:           name,
		Driver:         "overlay2",
		Platform:       "linux",
		ExecIDs:        nil,
		HostConfig:     hc,
		GraphDriver:    &storage.DriverData{Name: "overlay2", Data: map[string]string{}},
		Mounts:         []container.MountPoint{},
		Config:         cfg,
		NetworkSettings: &container.NetworkSettings{
			Networks: map[string]*network.EndpointSettings{},
		},
	}
	if hc.LogConfig.Type == "json-file" {
		ins.LogPath = filepath.Join(dir, id+"-json.log")
	}
	return record{Inspect: ins, Runtime: runtimeName, ImageRef: cfg.Image, SnapshotKey: id, ChainID: img.ChainID}
}

// createFiles makes the container directory and its writable snapshot.
func (e *Engine) createFiles(ctx context.Context, r *record, img ImageInfo) error {
	dir := e.containerDir(r.Inspect.ID)
	if err := os.MkdirAll(dir, 0o710); err != nil {
		return fmt.Errorf("create container dir: %w", err)
	}
	if err := e.remapOwner(dir, r.Inspect.HostConfig, false); err != nil {
		os.RemoveAll(dir)
		return err
	}
	if _, err := e.opts.Snapshots.Prepare(ctx, r.SnapshotKey, img.ChainID); err != nil {
		os.RemoveAll(dir)
		return fmt.Errorf("prepare rootfs: %w", err)
	}
	return nil
}
