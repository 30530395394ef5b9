package cgroups

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/berthproject/berth/errdefs"
	"github.com/opencontainers/cgroups"
	_ "github.com/opencontainers/cgroups/devices" // registers the device-rule setters; without it rules are silently skipped
	"github.com/opencontainers/cgroups/fs"
	"github.com/opencontainers/cgroups/fs2"
)

// Manager is one container's cgroup (one directory per v1 controller, or one
// directory in the v2 hierarchy).
type Manager struct {
	m   cgroups.Manager
	res *cgroups.Resources
}

// New returns the manager of the cgroup at path (an absolute path is taken
// from the hierarchy roots, a relative one from the caller's own cgroup) with
// the resources res. It creates nothing yet: see Apply.
func New(path string, res *cgroups.Resources) (*Manager, error) {
	if res == nil {
		res = &cgroups.Resources{}
	}
	cg := &cgroups.Cgroup{Path: path, Resources: res}
	var (
		m   cgroups.Manager
		err error
	)
	if cgroups.IsCgroup2UnifiedMode() {
		m, err = fs2.NewManager(cg, "")
	} else {
		m, err = newV1(cg)
	}
	if err != nil {
		return nil, fmt.Errorf("cgroup %s: %w", path, err)
	}
	return &Manager{m: m, res: res}, nil
}

// newV1 is the v1 manager without the hybrid-mode unified hierarchy ("" in
// the paths): no controller berth uses lives there, and it is the only
// hierarchy a thread cannot join on its own (see JoinCurrentThread).
func newV1(cg *cgroups.Cgroup) (cgroups.Manager, error) {
	m, err := fs.NewManager(cg, nil)
	if err != nil {
		return nil, err
	}
	paths := m.GetPaths()
	if _, ok := paths[""]; !ok {
		return m, nil
	}
	delete(paths, "")
	return fs.NewManager(cg, paths)
}

// NewV2 returns a cgroup v2 manager of the directory dir, whatever the host's
// mode; tests use it on a private cgroup2 mount.
func NewV2(dir string, res *cgroups.Resources) (*Manager, error) {
	if res == nil {
		res = &cgroups.Resources{}
	}
	m, err := fs2.NewManager(&cgroups.Cgroup{Resources: res}, dir)
	if err != nil {
		return nil, fmt.Errorf("cgroup %s: %w", dir, err)
	}
	return &Manager{m: m, res: res}, nil
}

// Load returns the manager of an existing cgroup from the paths that Paths
// returned when it was created (the container state keeps them).
func Load(paths map[string]string) (*Manager, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("cgroup: no paths: %w", errdefs.ErrNotFound)
	}
	res := &cgroups.Resources{}
	if dir, ok := paths[""]; ok && len(paths) == 1 {
		return NewV2(dir, res)
	}
	m, err := fs.NewManager(&cgroups.Cgroup{Resources: res}, paths)
	if err != nil {
		return nil, fmt.Errorf("cgroup: %w", err)
	}
	return &Manager{m: m, res: res}, nil
}

// Apply creates the cgroup, moves pid into it and applies the resources.
func (m *Manager) Apply(pid int) error {
	if err := m.m.Apply(pid); err != nil {
		return fmt.Errorf("cgroup: join pid %d: %w", pid, err)
	}
	if err := m.m.Set(m.res); err != nil {
		return fmt.Errorf("cgroup: set resources: %w", err)
	}
	return nil
}

// ThreadJoinable reports whether a process can join its cgroup itself with
// JoinCurrentThread (cgroup v1) instead of being moved by pid.
func ThreadJoinable() bool { return !cgroups.IsCgroup2UnifiedMode() }

// JoinCurrentThread moves the calling OS thread (not its whole process)
// into the v1 cgroups at paths, by writing "0" to each "tasks" file. Unlike
// a process migration (a pid written to cgroup.procs), moving the current
// thread does not take the kernel's cgroup_threadgroup_rwsem for writing,
// whose first taker waits for an RCU grace period (10+ ms here). berth-runtime
// init calls it on the locked thread that later execs, so the container's
// process starts in the cgroup; the init's other threads die at execve.
func JoinCurrentThread(paths map[string]string) error {
	for name, dir := range paths {
		if name == "" {
			return fmt.Errorf("cgroup: a thread cannot join the v2 hierarchy on its own: %w", errdefs.ErrInvalidArgument)
		}
		f, err := os.OpenFile(filepath.Join(dir, "tasks"), os.O_WRONLY, 0)
		if err != nil {
			return fmt.Errorf("cgroup: join %s: %w", dir, err)
		}
		_, err = f.WriteString("0")
		f.Close()
		if err != nil {
			return fmt.Errorf("cgroup: join %s: %w", dir, err)
		}
	}
	return nil
}

// Create creates the cgroup and applies the resources without moving any
// process in; AddPid does that later. create runs it while init starts.
func (m *Manager) Create() error {
	if err := m.m.Apply(-1); err != nil {
		return fmt.Errorf("cgroup: create: %w", err)
	}
	if err := m.m.Set(m.res); err != nil {
		return fmt.Errorf("cgroup: set resources: %w", err)
	}
	return nil
}

// AddPid moves pid into the existing cgroup (used by exec).
func (m *Manager) AddPid(pid int) error {
	if err := m.m.AddPid("", pid); err != nil {
		return fmt.Errorf("cgroup: join pid %d: %w", pid, err)
	}
	return nil
}

// Paths returns the cgroup directories, keyed by v1 controller ("" for v2),
// for the container state.
func (m *Manager) Paths() map[string]string { return m.m.GetPaths() }

// Pids returns every process in the cgroup and its sub-cgroups.
func (m *Manager) Pids() ([]int, error) {
	pids, err := m.m.GetAllPids()
	if err != nil {
		return nil, fmt.Errorf("cgroup: list pids: %w", err)
	}
	return pids, nil
}

// Freeze stops every process of the cgroup (freezer).
func (m *Manager) Freeze() error { return m.freeze(cgroups.Frozen) }

// Thaw resumes a frozen cgroup.
func (m *Manager) Thaw() error { return m.freeze(cgroups.Thawed) }

func (m *Manager) freeze(s cgroups.FreezerState) error {
	if err := m.m.Freeze(s); err != nil {
		return fmt.Errorf("cgroup: freezer %s: %w", s, err)
	}
	return nil
}

// Frozen reports whether the cgroup is frozen.
func (m *Manager) Frozen() bool {
	s, err := m.m.GetFreezerState()
	return err == nil && s == cgroups.Frozen
}

// OOMKills returns how many processes of the cgroup the OOM killer killed.
func (m *Manager) OOMKills() (uint64, error) { return m.m.OOMKillCount() }

// Destroy removes the cgroup directories, one goroutine per hierarchy (each
// rmdir waits for the kernel to offline the controller state); the cgroup
// must have no process left.
func (m *Manager) Destroy() error {
	paths := m.m.GetPaths()
	errs := make(chan error, len(paths))
	for _, p := range paths {
		go func() { errs <- cgroups.RemovePath(p) }()
	}
	var err error
	for range paths {
		err = errors.Join(err, <-errs)
	}
	if err != nil {
		return fmt.Errorf("cgroup: remove: %w", err)
	}
	return nil
}

// Prime moves the calling process into the cgroup it is already in: a no-op
// migration whose only effect is to start the kernel's RCU grace period for
// cgroup_threadgroup_rwsem. The first migration after an idle period waits
// for that grace period (5-15 ms here); AddPid shortly after then finds it
// passed. create (when init cannot join by itself: v2, user namespaces) and
// exec run Prime in the background while they prepare the process.
// Errors are ignored: this is only a latency optimisation.
func Prime() {
	var dir string
	if cgroups.IsCgroup2UnifiedMode() {
		own, err := cgroups.ParseCgroupFile("/proc/self/cgroup")
		if err != nil {
			return
		}
		dir = filepath.Join("/sys/fs/cgroup", own[""])
	} else {
		p, err := cgroups.GetOwnCgroupPath("pids")
		if err != nil {
			return
		}
		dir = p
	}
	cgroups.WriteCgroupProc(dir, os.Getpid())
}
