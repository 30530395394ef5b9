package ociruntime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/logging"
	"github.com/berthproject/berth/internal/ociruntime/cgroups"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// createOpts are the flags of create (and run).
type createOpts struct {
	bundle        string
	pidFile       string
	consoleSocket string
	noPivot       bool
	preserveFDs   int
}

func (o *createOpts) register(fs interface {
	StringVar(*string, string, string, string)
	BoolVar(*bool, string, bool, string)
	IntVar(*int, string, int, string)
}) {
	fs.StringVar(&o.bundle, "bundle", ".", "bundle directory")
	fs.StringVar(&o.bundle, "b", ".", "bundle directory")
	fs.StringVar(&o.pidFile, "pid-file", "", "file to write the init's host pid to")
	fs.StringVar(&o.consoleSocket, "console-socket", "", "unix socket that receives the pty master")
	fs.BoolVar(&o.noPivot, "no-pivot", false, "use MS_MOVE+chroot instead of pivot_root")
	fs.IntVar(&o.preserveFDs, "preserve-fds", 0, "pass fds 3..3+N-1 to the container")
}

// cmdCreate: create [-b DIR] [--pid-file F] [--console-socket S] [--no-pivot] [--preserve-fds N] ID
func cmdCreate(ctx context.Context, g *globals, args []string) error {
	fs := newFlags("create")
	var o createOpts
	o.register(fs)
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %w", err, errdefs.ErrInvalidArgument)
	}
	id, err := oneID(fs)
	if err != nil {
		return err
	}
	_, _, err = create(ctx, g, id, o)
	return err
}

// create builds container id and returns once its init waits for start.
func create(ctx context.Context, g *globals, id string, o createOpts) (*Container, *child, error) {
	ctx = logging.With(ctx, logging.KeyContainerID, id)
	logging.From(ctx).Debug("create begins")
	raw, bundle, spec, err := readConfig(o.bundle)
	if err != nil {
		return nil, nil, err
	}
	logging.From(ctx).Debug("config read")
	if !selfJoin(spec) {
		go cgroups.Prime() // overlaps the cgroup-migration grace period with our setup
	}
	c, err := newContainer(g.root, id, bundle, spec)
	if err != nil {
		return nil, nil, err
	}
	logging.From(ctx).Debug("state directory ready")
	ch, err := startInit(ctx, c, o, raw)
	if err != nil {
		var he *hookError
		if errors.As(err, &he) {
			runPoststop(context.WithoutCancel(ctx), c) // lifecycle steps 12, 13
		}
		if c.dirMade {
			os.RemoveAll(c.dir)
		}
		if o.pidFile != "" && c.Pid > 0 {
			os.Remove(o.pidFile)
		}
		return nil, nil, fmt.Errorf("container %q: %w", id, err)
	}
	logging.From(ctx).Info("container created", "pid", c.Pid)
	return c, ch, nil
}

// writeState records init (state.json, --pid-file) while init is still
// preparing the container: it overlaps init's work; create removes both if
// init then fails.
func writeState(c *Container, pid int, pidFile string) error {
	c.Pid = pid
	start, _, err := procStat(pid)
	if err != nil {
		return fmt.Errorf("container %q: init pid %d: %w", c.ID, pid, err)
	}
	c.PidStart, c.Status = start, StatusCreated
	if err := c.save(); err != nil {
		return err
	}
	if pidFile != "" {
		if err := atomicWrite(pidFile, []byte(strconv.Itoa(pid)), 0o644); err != nil {
			return fmt.Errorf("pid file: %w", err)
		}
	}
	return nil
}

// earlySpec is the part of config.json needed to fork init: decoding it
// takes a tenth of a full, cold decode (encoding/json builds its per-type
// caches on first use, about 1 ms for a whole spec), which then runs while
// init starts.
type earlySpec struct {
	Root    *specs.Root `json:"root"`
	Process *struct {
		Terminal bool `json:"terminal"`
	} `json:"process"`
	Linux *struct {
		Namespaces  []specs.LinuxNamespace `json:"namespaces"`
		UIDMappings []specs.LinuxIDMapping `json:"uidMappings"`
		GIDMappings []specs.LinuxIDMapping `json:"gidMappings"`
	} `json:"linux"`
}

// readConfig reads bundle/config.json and returns its bytes, the absolute
// bundle, and a skeleton spec (root, process.terminal, namespaces, id maps).
func readConfig(bundle string) ([]byte, string, *specs.Spec, error) {
	abs, err := filepath.Abs(bundle)
	if err != nil {
		return nil, "", nil, fmt.Errorf("bundle %q: %w", bundle, err)
	}
	b, err := os.ReadFile(filepath.Join(abs, "config.json"))
	if err != nil {
		return nil, "", nil, fmt.Errorf("bundle %q: read config.json: %w", abs, err)
	}
	var e earlySpec
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, "", nil, fmt.Errorf("bundle %q: config.json: %w: %w", abs, err, errdefs.ErrInvalidArgument)
	}
	if e.Root == nil || e.Root.Path == "" {
		return nil, "", nil, fmt.Errorf("bundle %q: config.json: no root.path: %w", abs, errdefs.ErrInvalidArgument)
	}
	s := &specs.Spec{Root: e.Root, Linux: &specs.Linux{}}
	if e.Process != nil {
		s.Process = &specs.Process{Terminal: e.Process.Terminal}
	}
	if e.Linux != nil {
		s.Linux.Namespaces, s.Linux.UIDMappings, s.Linux.GIDMappings = e.Linux.Namespaces, e.Linux.UIDMappings, e.Linux.GIDMappings
	}
	return b, abs, s, nil
}

// parseSpec is the full decode and validation of config.json.
func parseSpec(b []byte, bundle string) (*specs.Spec, error) {
	spec := &specs.Spec{}
	if err := json.Unmarshal(b, spec); err != nil {
		return nil, fmt.Errorf("bundle %q: config.json: %w: %w", bundle, err, errdefs.ErrInvalidArgument)
	}
	if spec.Linux == nil {
		spec.Linux = &specs.Linux{}
	}
	if err := validateSpec(spec); err != nil {
		return nil, fmt.Errorf("bundle %q: config.json: %w", bundle, err)
	}
	if err := validateHooks(spec.Hooks); err != nil {
		return nil, fmt.Errorf("bundle %q: config.json: %w", bundle, err)
	}
	for i, m := range spec.Mounts {
		if m.Source != "" && !filepath.IsAbs(m.Source) && isBind(m.Type, parseMountOptions(m.Options)) {
			spec.Mounts[i].Source = filepath.Join(bundle, m.Source)
		}
	}
	return spec, nil
}

func validateSpec(spec *specs.Spec) error {
	p := spec.Process
	if p == nil {
		p = &specs.Process{Args: []string{"(none)"}} // legal until start
	}
	switch {
	case len(p.Args) == 0:
		return fmt.Errorf("process.args is empty: %w", errdefs.ErrInvalidArgument)
	case spec.Root == nil || spec.Root.Path == "":
		return fmt.Errorf("no root.path: %w", errdefs.ErrInvalidArgument)
	case p.Cwd != "" && !filepath.IsAbs(p.Cwd):
		return fmt.Errorf("process.cwd %q is not absolute: %w", p.Cwd, errdefs.ErrInvalidArgument)
	}
	seen := map[string]bool{}
	for _, l := range p.Rlimits {
		if _, ok := rlimitNames[l.Type]; !ok {
			return fmt.Errorf("process.rlimits: %q: %w: unknown resource", l.Type, errdefs.ErrInvalidArgument)
		}
		if seen[l.Type] {
			return fmt.Errorf("process.rlimits: %s listed twice: %w", l.Type, errdefs.ErrInvalidArgument)
		}
		seen[l.Type] = true
	}
	return nil
}

// newContainer makes the state directory and the exec fifo.
// newContainer returns the record of a new container; nothing is on disk
// yet (see makeStateDir), but an existing container id is refused early.
func newContainer(root, id, bundle string, spec *specs.Spec) (*Container, error) {
	dir, err := containerDir(root, id)
	if err != nil {
		return nil, err
	}
	if _, err := os.Lstat(dir); err == nil {
		return nil, fmt.Errorf("container %q: %w", id, errdefs.ErrAlreadyExists)
	}
	rootfs := spec.Root.Path
	if !filepath.IsAbs(rootfs) {
		rootfs = filepath.Join(bundle, rootfs)
	}
	return &Container{
		ID: id, Bundle: bundle, Rootfs: rootfs, Created: time.Now().UTC(),
		Status: StatusCreating, Spec: spec, dir: dir,
	}, nil
}

// makeStateDir creates the state directory and the exec fifo. create runs it
// while init starts (directory and fifo creation can take milliseconds on a
// busy ext4); init opens the fifo only once it has its config.
func (c *Container) makeStateDir() error {
	if err := os.MkdirAll(filepath.Dir(c.dir), 0o711); err != nil {
		return fmt.Errorf("state root %s: %w", filepath.Dir(c.dir), err)
	}
	if err := os.Mkdir(c.dir, 0o711); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("container %q: %w", c.ID, errdefs.ErrAlreadyExists)
		}
		return fmt.Errorf("container %q: state dir: %w", c.ID, err)
	}
	c.dirMade = true
	// 0622 whatever the umask: init opens it for writing after it switched
	// to the container's user, maybe in a user namespace
	err := unix.Mkfifo(c.fifoPath(), 0o622)
	if err == nil {
		err = os.Chmod(c.fifoPath(), 0o622)
	}
	if err != nil {
		return fmt.Errorf("container %q: exec fifo: %w", c.ID, err)
	}
	return nil
}

// startInit forks init from the skeleton spec, then decodes the full
// config.json (raw) while init starts, and starts the cgroup from it.
func startInit(ctx context.Context, c *Container, o createOpts, raw []byte) (*child, error) {
	early := c.Spec
	plan, err := planNamespaces(early)
	if err != nil {
		return nil, err
	}
	if early.Process != nil {
		if err := checkConsole(early.Process, o.consoleSocket); err != nil {
			return nil, err
		}
	}
	var cg *pendingCgroup
	lateConfig := func() (*initConfig, error) {
		if err := c.makeStateDir(); err != nil {
			return nil, err
		}
		spec, err := parseSpec(raw, c.Bundle)
		if err != nil {
			return nil, err
		}
		c.Spec, c.Annotations = spec, spec.Annotations
		cg = startCgroup(ctx, c)
		if spec.Process != nil {
			warnUngranted(ctx, spec.Process.Capabilities)
		}
		warnUnsupportedLSM(ctx, spec)
		prog, err := compileSeccomp(filepath.Dir(c.dir), spec)
		if err != nil {
			return nil, err
		}
		return &initConfig{
			ID: c.ID, Spec: withoutSeccomp(spec), Rootfs: c.Rootfs, Process: spec.Process, NoPivot: o.noPivot, FifoPath: c.fifoPath(),
			NewCgroupNS: plan.newCgroup, NewNetNS: plan.has(unix.CLONE_NEWNET),
			NewUserNS: plan.has(unix.CLONE_NEWUSER), NewMountNS: plan.has(unix.CLONE_NEWNS),
			NewUTSNS: plan.has(unix.CLONE_NEWUTS), PreserveFDs: o.preserveFDs, Seccomp: prog,
			ParentHooks: len(hooksOf(spec, hookPrestart))+len(hooksOf(spec, hookCreateRuntime)) > 0,
		}, nil
	}
	ch, err := spawn(ctx, spawnOpts{
		lateConfig: lateConfig, plan: plan, preserveFDs: o.preserveFDs, consoleSocket: o.consoleSocket,
		uidMaps: early.Linux.UIDMappings, gidMaps: early.Linux.GIDMappings,
		cgroup:    func(pid int) (map[string]string, error) { return cg.join(pid) },
		prepared:  func(pid int) error { return writeState(c, pid, o.pidFile) },
		hookState: func(pid int) []byte { return initHookState(c, pid) },
		hooks:     func(pid int) error { return createHooks(ctx, c, pid) },
	})
	if err != nil {
		if cg != nil {
			cg.destroy()
		}
		return nil, err
	}
	return ch, nil
}

// warnUnsupportedLSM logs the AppArmor and SELinux settings the host
// cannot apply (neither is enforced by berth-runtime: hosts here have
// neither; the fields are accepted, as the spec allows).
func warnUnsupportedLSM(ctx context.Context, spec *specs.Spec) {
	log := logging.From(ctx)
	if p := spec.Process; p != nil && p.ApparmorProfile != "" {
		log.Warn("process.apparmorProfile is not applied", "profile", p.ApparmorProfile, "host_apparmor", pathExists("/sys/kernel/security/apparmor"))
	}
	if p := spec.Process; p != nil && p.SelinuxLabel != "" || spec.Linux.MountLabel != "" {
		log.Warn("SELinux labels are not applied", "host_selinux", pathExists("/sys/fs/selinux/enforce"))
	}
}

func pathExists(p string) bool { _, err := os.Stat(p); return err == nil }

// withoutSeccomp is spec without linux.seccomp, for init: it gets the
// compiled program instead, and decoding Docker's profile (hundreds of
// syscall names) again would sit on the critical path of every start.
func withoutSeccomp(spec *specs.Spec) *specs.Spec {
	if spec.Linux == nil || spec.Linux.Seccomp == nil {
		return spec
	}
	s, l := *spec, *spec.Linux
	l.Seccomp, s.Linux = nil, &l
	return &s
}

// initHookState is the state JSON init passes to createContainer and
// startContainer hooks (nil when the spec has none).
func initHookState(c *Container, pid int) []byte {
	if len(hooksOf(c.Spec, hookCreateContainer))+len(hooksOf(c.Spec, hookStartContainer)) == 0 {
		return nil
	}
	return hookState(c, StatusCreated, pid)
}

// createHooks runs the prestart, then the createRuntime hooks in the
// runtime namespace; the state says "created": the environment exists
// (lifecycle step 2 is over) and the program has not run.
func createHooks(ctx context.Context, c *Container, pid int) error {
	state := hookState(c, StatusCreated, pid)
	if err := runHooks(ctx, hookPrestart, hooksOf(c.Spec, hookPrestart), state); err != nil {
		return err
	}
	return runHooks(ctx, hookCreateRuntime, hooksOf(c.Spec, hookCreateRuntime), state)
}

// pendingCgroup is a cgroup being made in the background while init starts.
type pendingCgroup struct {
	log  *slog.Logger
	c    *Container
	mgr  *cgroups.Manager
	made chan struct{}
	err  error
}

// startCgroup builds the manager and creates the cgroup in the background
// (a cold manager alone costs about a millisecond of mountinfo parsing).
func startCgroup(ctx context.Context, c *Container) *pendingCgroup {
	p := &pendingCgroup{log: logging.From(ctx), c: c, made: make(chan struct{})}
	go func() {
		defer close(p.made)
		if p.mgr, p.err = newCgroup(c); p.err == nil {
			p.err = p.mgr.Create()
		}
	}()
	return p
}

// join is spawnOpts.cgroup: once the cgroup exists, either hand init the
// paths to join itself or move it there by pid.
func (p *pendingCgroup) join(pid int) (map[string]string, error) {
	if <-p.made; p.err != nil {
		return nil, p.err
	}
	p.c.CgroupPaths = p.mgr.Paths()
	if selfJoin(p.c.Spec) {
		return p.c.CgroupPaths, nil
	}
	if err := p.mgr.AddPid(pid); err != nil {
		return nil, err
	}
	p.log.Debug("cgroup joined")
	return nil, nil
}

func (p *pendingCgroup) destroy() {
	if <-p.made; p.mgr != nil {
		p.mgr.Destroy()
	}
}

// selfJoin reports whether init joins its cgroup itself (see
// cgroups.JoinCurrentThread): on cgroup v1 without a user namespace (a
// mapped root cannot write the host's cgroup files).
func selfJoin(spec *specs.Spec) bool {
	return cgroups.ThreadJoinable() && !hasNamespace(spec, specs.UserNamespace)
}

func newCgroup(c *Container) (*cgroups.Manager, error) {
	var res *specs.LinuxResources
	var devs []specs.LinuxDevice
	path := c.ID
	if l := c.Spec.Linux; l != nil {
		res, devs = l.Resources, l.Devices
		if l.CgroupsPath != "" {
			path = l.CgroupsPath
		}
	}
	r, err := cgroups.Resources(res, devs)
	if err != nil {
		return nil, err
	}
	return cgroups.New(path, r)
}

func checkConsole(p *specs.Process, socket string) error {
	if p.Terminal && socket == "" {
		return fmt.Errorf("process.terminal is true but no --console-socket given: %w", errdefs.ErrInvalidArgument)
	}
	if !p.Terminal && socket != "" {
		return fmt.Errorf("--console-socket given but process.terminal is false: %w", errdefs.ErrInvalidArgument)
	}
	return nil
}
