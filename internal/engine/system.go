package engine

import (
	"context"
	"github.com/berthproject/berth/internal/backend"
	"os"
	"runtime"
	"time"

	"github.com/berthproject/berth/api"
	"github.com/berthproject/berth/errdefs"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/api/types/system"
)

// HostInfo is what `docker info` and `docker version` report of the daemon and
// its host; the daemon fills it once at start-up.
type HostInfo struct {
	ID, Name, Version, GitCommit      string
	KernelVersion, OperatingSystem    string
	OSVersion, Architecture           string
	NCPU                              int
	MemTotal                          int64
	DataRoot                          string
	CgroupVersion                     string
	Debug                             bool
	DriverStatus                      [][2]string
	ImageCount                        func(context.Context) int
	SecurityOptions, Warnings, Labels []string
	// Registry is the registry configuration (insecure registries,
	// mirrors) `docker info` shows; nil shows none.
	Registry *registry.ServiceConfig
}

// SystemInfo returns `docker info`, answered from the container views and
// host facts gathered at start-up: it never waits on a container operation.
func (e *Engine) SystemInfo(ctx context.Context) (*system.Info, error) {
	h := e.opts.Host
	info := &system.Info{
		ID: h.ID, Name: h.Name, ServerVersion: h.Version,
		Driver: "overlay2", DriverStatus: h.DriverStatus,
		Plugins:     system.PluginsInfo{Volume: []string{}, Network: []string{"host", "none"}, Log: []string{"json-file", "none"}},
		MemoryLimit: true, SwapLimit: true, CPUCfsPeriod: true, CPUCfsQuota: true, CPUShares: true, CPUSet: true, PidsLimit: true,
		Debug: h.Debug, NGoroutines: runtime.NumGoroutine(), NFd: countFDs(),
		SystemTime:    time.Now().Format(time.RFC3339Nano),
		LoggingDriver: "json-file", CgroupDriver: "cgroupfs", CgroupVersion: h.CgroupVersion,
		KernelVersion: h.KernelVersion, OperatingSystem: h.OperatingSystem, OSVersion: h.OSVersion,
		OSType: "linux", Architecture: h.Architecture,
		IndexServerAddress: "https://index.docker.io/v1/",
		RegistryConfig:     &registry.ServiceConfig{IndexConfigs: map[string]*registry.IndexInfo{}},
		NCPU:               h.NCPU, MemTotal: h.MemTotal, DockerRootDir: h.DataRoot,
		Labels: nonNil(h.Labels), Runtimes: map[string]system.RuntimeWithStatus{},
		DefaultRuntime: e.opts.DefaultRuntime, Swarm: swarm.Info{LocalNodeState: swarm.LocalNodeStateInactive},
		LiveRestoreEnabled: true, SecurityOptions: nonNil(h.SecurityOptions), Warnings: nonNil(h.Warnings),
		CDISpecDirs: []string{},
	}
	for name, path := range e.opts.Runtimes {
		info.Runtimes[name] = system.RuntimeWithStatus{Runtime: system.Runtime{Path: path}}
	}
	if h.ImageCount != nil {
		info.Images = h.ImageCount(ctx)
	}
	if h.Registry != nil {
		info.RegistryConfig = h.Registry
	}
	for _, c := range e.all() {
		s := c.View().State
		info.Containers++
		switch {
		case s.Paused:
			info.ContainersPaused++
		case s.Running:
			info.ContainersRunning++
		default:
			info.ContainersStopped++
		}
	}
	return info, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func countFDs() int {
	ents, _ := os.ReadDir("/proc/self/fd")
	return len(ents)
}

// SystemVersion returns `docker version`'s server part.
func (e *Engine) SystemVersion(ctx context.Context) (system.VersionResponse, error) {
	h := e.opts.Host
	return system.VersionResponse{
		Platform: system.PlatformInfo{Name: "Berth Engine"},
		Version:  h.Version, APIVersion: api.MaxVersion, MinAPIVersion: api.MinVersion,
		Os: "linux", Arch: runtime.GOARCH, GitCommit: h.GitCommit, GoVersion: runtime.Version(),
		KernelVersion: h.KernelVersion,
		Components: []system.ComponentVersion{
			{Name: "Engine", Version: h.Version, Details: map[string]string{
				"ApiVersion": api.MaxVersion, "MinAPIVersion": api.MinVersion, "Os": "linux",
				"Arch": runtime.GOARCH, "GoVersion": runtime.Version(), "KernelVersion": h.KernelVersion,
				"GitCommit": h.GitCommit}},
		},
	}, nil
}

// SystemDiskUsage is not implemented yet.
func (e *Engine) SystemDiskUsage(ctx context.Context, opts backend.DiskUsageOptions) (*system.DiskUsage, error) {
	return nil, errdefs.Errorf(errdefs.ErrNotImplemented, "disk usage is not implemented yet")
}
