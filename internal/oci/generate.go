package oci

import (
	"fmt"
	"os"
	"path"

	"github.com/berthproject/berth/errdefs"
	"github.com/moby/moby/api/types/container"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Options is everything Generate needs. Config and HostConfig are the
// container's as created through the API (Config need not be merged with the
// image yet: Generate merges it with Image the way dockerd does).
type Options struct {
	// ID is the full container ID; the default hostname is its first 12 characters.
	ID         string
	Config     *container.Config
	HostConfig *container.HostConfig
	Image      ocispec.ImageConfig
	// User is the resolved EffectiveUser (see ResolveUser and AdditionalGroups).
	User specs.User
	// Rootfs is root.path: the directory where the caller mounted the image.
	Rootfs string
	// Mounts are extra mounts from the engine, e.g. binds of /etc/hosts,
	// /etc/hostname, /etc/resolv.conf and resolved volumes.
	Mounts []specs.Mount
	// CgroupParent is the parent of the container's cgroup when HostConfig
	// has none (default DefaultCgroupParent).
	CgroupParent string
	// NetNSPath, when set, is a network namespace to join (a bridge network
	// prepared by the engine) instead of a new one.
	NetNSPath string
	// DefaultUlimits apply to names HostConfig.Ulimits does not set (the
	// daemon's --default-ulimit); they are clamped to the host's hard limits.
	DefaultUlimits []*container.Ulimit
	// SeccompProfile is the daemon's profile for containers that name none:
	// "" or "builtin" (Docker's default), "unconfined", or a profile's JSON.
	SeccompProfile string
	// NoNewPrivileges sets no_new_privs for every container (the daemon's
	// --no-new-privileges).
	NoNewPrivileges bool
	// Init runs InitPath as PID 1 for containers whose HostConfig.Init is
	// unset (the daemon's --init).
	Init bool
	// InitPath is the init binary bind-mounted read-only at InitInContainer
	// for --init; empty means none is available.
	InitPath string
	// Userns is the daemon's --userns-remap (nil: none): containers that do
	// not say --userns=host get a user namespace with its mappings.
	Userns *UserNamespace
}

// InitInContainer is where the init binary appears in the container, as
// dockerd puts docker-init.
const InitInContainer = "/sbin/docker-init"

// Generate returns the runtime spec dockerd 28 would give this container.
// Invalid options come back as errdefs.ErrInvalidArgument; --init without
// an init binary as errdefs.ErrUnavailable.
func Generate(o Options) (*specs.Spec, error) {
	hc := o.HostConfig
	if hc == nil {
		hc = &container.HostConfig{}
	}
	if o.ID == "" || o.Rootfs == "" {
		return nil, fmt.Errorf("oci: ID and Rootfs are required: %w", errdefs.ErrInvalidArgument)
	}
	sec, err := ParseSecurityOpts(hc.SecurityOpt)
	if err != nil {
		return nil, err
	}
	if err := CheckUserns(hc, o.Userns); err != nil {
		return nil, err
	}
	cfg := MergeImageConfig(o.Config, o.Image)
	s := &specs.Spec{
		Version: specs.Version,
		Root:    &specs.Root{Path: o.Rootfs, Readonly: hc.ReadonlyRootfs},
		Linux:   &specs.Linux{Sysctl: map[string]string{}},
	}
	if err := setProcess(s, o, cfg, hc); err != nil {
		return nil, err
	}
	s.Process.NoNewPrivileges = sec.NoNewPrivileges || o.NoNewPrivileges
	setNamespaces(s, o, hc)
	if err := setLinux(s, o, hc); err != nil {
		return nil, err
	}
	if s.Linux.Seccomp, err = seccompFor(sec.Seccomp, o.SeccompProfile, hc.Privileged, s.Process.Capabilities.Bounding); err != nil {
		return nil, err
	}
	mounts, err := buildMounts(hc, o.Mounts, sec.WritableCgroups)
	if err != nil {
		return nil, err
	}
	s.Mounts = mounts
	setUserns(s, o, hc)
	if err := setInit(s, o, hc); err != nil {
		return nil, err
	}
	if len(hc.Annotations) > 0 {
		s.Annotations = hc.Annotations
	}
	return s, nil
}

// setInit makes the init binary the container's PID 1 with the command as
// its argument, bind-mounted read-only, as dockerd does for --init (only
// with a private PID namespace).
func setInit(s *specs.Spec, o Options, hc *container.HostConfig) error {
	if hc.Init != nil && !*hc.Init || hc.Init == nil && !o.Init || hc.PidMode.IsHost() {
		return nil
	}
	if o.InitPath == "" {
		return errdefs.Errorf(errdefs.ErrUnavailable, "--init: no init binary: berth-init was not found next to berthd or in PATH")
	}
	s.Process.Args = append([]string{InitInContainer, "--"}, s.Process.Args...)
	s.Mounts = append(s.Mounts, specs.Mount{Destination: InitInContainer, Type: "bind", Source: o.InitPath, Options: []string{"bind", "ro"}})
	return nil
}

func hostname(o Options, cfg container.Config, hc *container.HostConfig) string {
	if cfg.Hostname != "" {
		return cfg.Hostname
	}
	if hc.NetworkMode.IsHost() {
		if h, err := os.Hostname(); err == nil {
			return h // dockerd fills Config.Hostname from the host in host mode
		}
	}
	if len(o.ID) > 12 {
		return o.ID[:12]
	}
	return o.ID
}

func setProcess(s *specs.Spec, o Options, cfg container.Config, hc *container.HostConfig) error {
	args, err := processArgs(cfg)
	if err != nil {
		return err
	}
	cwd := cfg.WorkingDir
	if cwd == "" {
		cwd = "/"
	}
	if !path.IsAbs(cwd) {
		return fmt.Errorf("working directory %q is not absolute: %w", cwd, errdefs.ErrInvalidArgument)
	}
	caps, err := containerCaps(hc.CapAdd, hc.CapDrop, hc.Privileged)
	if err != nil {
		return err
	}
	rl, err := rlimits(hc.Ulimits, o.DefaultUlimits)
	if err != nil {
		return err
	}
	oom := hc.OomScoreAdj
	s.Hostname = hostname(o, cfg, hc)
	s.Domainname = cfg.Domainname
	s.Process = &specs.Process{
		Terminal: cfg.Tty, Args: args, Cwd: path.Clean(cwd), User: o.User,
		Env:          daemonEnv(s.Hostname, cfg.Tty, cfg.Env),
		Capabilities: &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps},
		Rlimits:      rl,
		OOMScoreAdj:  &oom,
	}
	if hc.Umask != nil {
		u := *hc.Umask
		s.Process.User.Umask = &u
	}
	if cfg.Tty && hc.ConsoleSize != [2]uint{} {
		s.Process.ConsoleSize = &specs.Box{Height: hc.ConsoleSize[0], Width: hc.ConsoleSize[1]}
	}
	return nil
}

// setNamespaces is dockerd's WithNamespaces for the modes Berth supports:
// mount, network (none for host mode, a path when the engine prepared one),
// uts (not in host mode), pid and ipc (unless host), cgroup when private.
func setNamespaces(s *specs.Spec, o Options, hc *container.HostConfig) {
	ns := []specs.LinuxNamespace{{Type: specs.MountNamespace}}
	switch {
	case hc.NetworkMode.IsHost():
	case o.NetNSPath != "":
		ns = append(ns, specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: o.NetNSPath})
	default:
		ns = append(ns, specs.LinuxNamespace{Type: specs.NetworkNamespace})
	}
	if hc.UTSMode.IsHost() {
		s.Hostname = ""
	} else {
		ns = append(ns, specs.LinuxNamespace{Type: specs.UTSNamespace})
	}
	if !hc.PidMode.IsHost() {
		ns = append(ns, specs.LinuxNamespace{Type: specs.PIDNamespace})
	}
	if !hc.IpcMode.IsHost() {
		ns = append(ns, specs.LinuxNamespace{Type: specs.IPCNamespace})
	}
	if hc.CgroupnsMode.IsPrivate() {
		ns = append(ns, specs.LinuxNamespace{Type: specs.CgroupNamespace})
	}
	s.Linux.Namespaces = ns
}

func setLinux(s *specs.Spec, o Options, hc *container.HostConfig) error {
	res, err := resources(hc.Resources)
	if err != nil {
		return err
	}
	s.Linux.Resources = res
	parent := hc.CgroupParent
	if parent == "" {
		parent = o.CgroupParent
	}
	if parent == "" {
		parent = DefaultCgroupParent
	}
	s.Linux.CgroupsPath = path.Join(parent, o.ID)
	if err := setDevices(s, hc); err != nil {
		return err
	}
	s.Linux.MaskedPaths, s.Linux.ReadonlyPaths = DefaultMaskedPaths(), DefaultReadonlyPaths()
	if hc.MaskedPaths != nil {
		s.Linux.MaskedPaths = hc.MaskedPaths
	}
	if hc.ReadonlyPaths != nil {
		s.Linux.ReadonlyPaths = hc.ReadonlyPaths
	}
	if hc.Privileged {
		s.Linux.MaskedPaths, s.Linux.ReadonlyPaths = nil, nil
	}
	if err := checkSysctls(hc); err != nil {
		return err
	}
	if !hc.NetworkMode.IsHost() && !hc.NetworkMode.IsContainer() {
		defaultSysctls(s.Linux.Sysctl)
	}
	for k, v := range hc.Sysctls {
		s.Linux.Sysctl[k] = v
	}
	return nil
}

// defaultSysctls are the two dockerd adds for a private network namespace,
// when this kernel has them.
func defaultSysctls(m map[string]string) {
	if _, err := os.Stat("/proc/sys/net/ipv4/ping_group_range"); err == nil {
		m["net.ipv4.ping_group_range"] = "0 2147483647"
	}
	if _, err := os.Stat("/proc/sys/net/ipv4/ip_unprivileged_port_start"); err == nil {
		m["net.ipv4.ip_unprivileged_port_start"] = "0"
	}
}

func setDevices(s *specs.Spec, hc *container.HostConfig) error {
	s.Linux.Devices = []specs.LinuxDevice{}
	if hc.Privileged {
		devs, err := hostDevices()
		if err != nil {
			return fmt.Errorf("list host devices: %w", err)
		}
		s.Linux.Devices = devs
		s.Linux.Resources.Devices = []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}
		return nil
	}
	devs, rules, err := deviceMappings(hc.Devices)
	if err != nil {
		return err
	}
	s.Linux.Devices = append(s.Linux.Devices, devs...)
	s.Linux.Resources.Devices = append(s.Linux.Resources.Devices, rules...)
	return nil
}
