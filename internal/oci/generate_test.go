package oci

import (
	"errors"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/berthproject/berth/errdefs"
	"github.com/moby/moby/api/types/container"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

const testID = "0123456789abcdef0123456789abcdef"

func baseOptions() Options {
	return Options{
		ID:         testID,
		Config:     &container.Config{},
		HostConfig: &container.HostConfig{},
		Image:      ocispec.ImageConfig{Cmd: []string{"sh"}, Env: []string{"PATH=/img/bin"}},
		Rootfs:     "/var/lib/berth/rootfs/x",
	}
}

func mustGenerate(t *testing.T, o Options) *specs.Spec {
	t.Helper()
	s, err := Generate(o)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return s
}

func findMount(s *specs.Spec, dest string) *specs.Mount {
	for i := range s.Mounts {
		if s.Mounts[i].Destination == dest {
			return &s.Mounts[i]
		}
	}
	return nil
}

func nsTypes(s *specs.Spec) []string {
	var out []string
	for _, n := range s.Linux.Namespaces {
		out = append(out, string(n.Type)+n.Path)
	}
	return out
}

func TestGenerateDefaults(t *testing.T) {
	s := mustGenerate(t, baseOptions())
	checks := []struct {
		name string
		ok   bool
	}{
		{"args from image cmd", slices.Equal(s.Process.Args, []string{"sh"})},
		{"cwd /", s.Process.Cwd == "/"},
		{"hostname is id[:12]", s.Hostname == testID[:12]},
		{"env", slices.Equal(s.Process.Env, []string{"PATH=/img/bin", "HOSTNAME=" + testID[:12]})},
		{"14 default caps", len(s.Process.Capabilities.Bounding) == 14 && slices.Equal(s.Process.Capabilities.Effective, DefaultCapabilities())},
		{"no inheritable/ambient caps", s.Process.Capabilities.Inheritable == nil && s.Process.Capabilities.Ambient == nil},
		{"no rlimits (dockerd sets none)", s.Process.Rlimits == nil},
		{"oom score 0", s.Process.OOMScoreAdj != nil && *s.Process.OOMScoreAdj == 0},
		{"namespaces", slices.Equal(nsTypes(s), []string{"mount", "network", "uts", "pid", "ipc"})},
		{"cgroups path", s.Linux.CgroupsPath == "/berth/"+testID},
		{"7 mounts", len(s.Mounts) == 7},
		{"shm 64m", slices.Contains(findMount(s, "/dev/shm").Options, "size=67108864")},
		{"sys ro", slices.Contains(findMount(s, "/sys").Options, "ro")},
		{"cgroup ro", slices.Contains(findMount(s, "/sys/fs/cgroup").Options, "ro")},
		{"kcore masked", slices.Contains(s.Linux.MaskedPaths, "/proc/kcore") && slices.Contains(s.Linux.MaskedPaths, "/proc/interrupts")},
		{"proc/sys read-only", slices.Equal(s.Linux.ReadonlyPaths, DefaultReadonlyPaths())},
		{"device rules start with deny all", !s.Linux.Resources.Devices[0].Allow && s.Linux.Resources.Devices[0].Access == "rwm"},
		{"no memory/cpu/pids", s.Linux.Resources.Memory == nil && s.Linux.Resources.CPU == nil && s.Linux.Resources.Pids == nil},
		{"root", s.Root.Path == "/var/lib/berth/rootfs/x" && !s.Root.Readonly},
		{"not a terminal", !s.Process.Terminal},
		{"no_new_privs off", !s.Process.NoNewPrivileges},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: spec does not match", c.name)
		}
	}
}

func TestMergeImageConfig(t *testing.T) {
	img := ocispec.ImageConfig{Entrypoint: []string{"/ep"}, Cmd: []string{"img-cmd"}, WorkingDir: "/w", User: "img", Env: []string{"A=img", "B=img"}}
	tests := []struct {
		name     string
		cfg      container.Config
		wantArgs []string
		wantEnv  []string
		wantUser string
		wantDir  string
	}{
		{"image only", container.Config{}, []string{"/ep", "img-cmd"}, []string{"A=img", "B=img"}, "img", "/w"},
		{"user cmd keeps image entrypoint", container.Config{Cmd: []string{"c"}}, []string{"/ep", "c"}, []string{"A=img", "B=img"}, "img", "/w"},
		{"user entrypoint drops image cmd", container.Config{Entrypoint: []string{"/u"}}, []string{"/u"}, []string{"A=img", "B=img"}, "img", "/w"},
		{"empty entrypoint clears image's", container.Config{Entrypoint: []string{}, Cmd: []string{"c"}}, []string{"c"}, []string{"A=img", "B=img"}, "img", "/w"},
		{"env override and append", container.Config{Env: []string{"B=u", "C=u"}}, []string{"/ep", "img-cmd"}, []string{"B=u", "C=u", "A=img"}, "img", "/w"},
		{"user and workdir win", container.Config{User: "u", WorkingDir: "/uw"}, []string{"/ep", "img-cmd"}, []string{"A=img", "B=img"}, "u", "/uw"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := MergeImageConfig(&tc.cfg, img)
			args, err := processArgs(got)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(args, tc.wantArgs) || !slices.Equal(got.Env, tc.wantEnv) || got.User != tc.wantUser || got.WorkingDir != tc.wantDir {
				t.Errorf("got args %q env %q user %q dir %q", args, got.Env, got.User, got.WorkingDir)
			}
		})
	}
}

func i64p(v int64) *int64 { return &v }

func TestGenerateResources(t *testing.T) {
	tests := []struct {
		name  string
		res   container.Resources
		check func(*specs.LinuxResources) bool
	}{
		{"memory sets swap to 2x", container.Resources{Memory: 32 << 20}, func(r *specs.LinuxResources) bool {
			return *r.Memory.Limit == 32<<20 && *r.Memory.Swap == 64<<20
		}},
		{"memory swap -1 is unlimited", container.Resources{Memory: 32 << 20, MemorySwap: -1}, func(r *specs.LinuxResources) bool {
			return r.Memory.Swap == nil
		}},
		{"reservation", container.Resources{MemoryReservation: 10 << 20}, func(r *specs.LinuxResources) bool {
			return *r.Memory.Reservation == 10<<20 && r.Memory.Limit == nil
		}},
		{"nano cpus", container.Resources{NanoCPUs: 1_500_000_000}, func(r *specs.LinuxResources) bool {
			return *r.CPU.Period == 100000 && *r.CPU.Quota == 150000
		}},
		{"explicit quota wins", container.Resources{CPUQuota: 5000, CPUPeriod: 10000, CPUShares: 512, CpusetCpus: "0"}, func(r *specs.LinuxResources) bool {
			return *r.CPU.Quota == 5000 && *r.CPU.Period == 10000 && *r.CPU.Shares == 512 && r.CPU.Cpus == "0"
		}},
		{"pids", container.Resources{PidsLimit: i64p(20)}, func(r *specs.LinuxResources) bool { return *r.Pids.Limit == 20 }},
		{"pids 0 is unlimited", container.Resources{PidsLimit: i64p(0)}, func(r *specs.LinuxResources) bool { return *r.Pids.Limit == -1 }},
		{"blkio weight", container.Resources{BlkioWeight: 300}, func(r *specs.LinuxResources) bool { return *r.BlockIO.Weight == 300 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := baseOptions()
			o.HostConfig.Resources = tc.res
			if s := mustGenerate(t, o); !tc.check(s.Linux.Resources) {
				t.Errorf("resources do not match: %+v", s.Linux.Resources)
			}
		})
	}
}

func TestGenerateModes(t *testing.T) {
	host, _ := os.Hostname()
	tests := []struct {
		name  string
		edit  func(*Options)
		check func(*specs.Spec) bool
	}{
		{"tty", func(o *Options) { o.Config.Tty = true }, func(s *specs.Spec) bool {
			return s.Process.Terminal && slices.Contains(s.Process.Env, "TERM=xterm")
		}},
		{"network none", func(o *Options) { o.HostConfig.NetworkMode = "none" }, func(s *specs.Spec) bool {
			return slices.Contains(nsTypes(s), "network")
		}},
		{"network host", func(o *Options) { o.HostConfig.NetworkMode = "host" }, func(s *specs.Spec) bool {
			return !slices.Contains(nsTypes(s), "network") && s.Hostname == host
		}},
		{"joined netns", func(o *Options) { o.NetNSPath = "/run/berth/netns/x" }, func(s *specs.Spec) bool {
			return slices.Contains(nsTypes(s), "network/run/berth/netns/x")
		}},
		{"cgroupns private", func(o *Options) { o.HostConfig.CgroupnsMode = "private" }, func(s *specs.Spec) bool {
			return slices.Contains(nsTypes(s), "cgroup")
		}},
		{"hostname and domain", func(o *Options) { o.Config.Hostname, o.Config.Domainname = "h", "d.example" }, func(s *specs.Spec) bool {
			return s.Hostname == "h" && s.Domainname == "d.example" && slices.Contains(s.Process.Env, "HOSTNAME=h")
		}},
		{"read-only rootfs", func(o *Options) { o.HostConfig.ReadonlyRootfs = true }, func(s *specs.Spec) bool {
			return s.Root.Readonly && !slices.Contains(findMount(s, "/proc").Options, "ro") &&
				!slices.Contains(findMount(s, "/dev/shm").Options, "ro") && slices.Contains(findMount(s, "/dev/mqueue").Options, "nodev")
		}},
		{"shm size", func(o *Options) { o.HostConfig.ShmSize = 1 << 20 }, func(s *specs.Spec) bool {
			return slices.Contains(findMount(s, "/dev/shm").Options, "size=1048576")
		}},
		{"ipc none drops shm", func(o *Options) { o.HostConfig.IpcMode = "none" }, func(s *specs.Spec) bool {
			return findMount(s, "/dev/shm") == nil
		}},
		{"user mount replaces shm", func(o *Options) {
			o.Mounts = []specs.Mount{{Destination: "/dev/shm", Type: "bind", Source: "/tmp", Options: []string{"rbind"}}}
		}, func(s *specs.Spec) bool { return findMount(s, "/dev/shm").Type == "bind" }},
		{"engine mounts after defaults", func(o *Options) {
			o.Mounts = []specs.Mount{{Destination: "/etc/hosts", Type: "bind", Source: "/h", Options: []string{"rbind", "rprivate"}}}
		}, func(s *specs.Spec) bool { return s.Mounts[len(s.Mounts)-1].Destination == "/etc/hosts" }},
		{"tmpfs", func(o *Options) { o.HostConfig.Tmpfs = map[string]string{"/run": "exec,size=1m"} }, func(s *specs.Spec) bool {
			m := findMount(s, "/run")
			return m != nil && slices.Equal(m.Options, []string{"exec", "nosuid", "nodev", "rprivate", "size=1m"})
		}},
		{"binds", func(o *Options) { o.HostConfig.Binds = []string{"/src:/dst:ro"} }, func(s *specs.Spec) bool {
			m := findMount(s, "/dst")
			return m != nil && slices.Equal(m.Options, []string{"rbind", "ro", "rprivate"}) && m.Source == "/src"
		}},
		{"sysctls", func(o *Options) { o.HostConfig.Sysctls = map[string]string{"net.ipv4.ip_forward": "1"} }, func(s *specs.Spec) bool {
			return s.Linux.Sysctl["net.ipv4.ip_forward"] == "1"
		}},
		{"cgroup parent", func(o *Options) { o.HostConfig.CgroupParent = "/custom" }, func(s *specs.Spec) bool {
			return s.Linux.CgroupsPath == "/custom/"+testID
		}},
		{"no-new-privileges", func(o *Options) { o.HostConfig.SecurityOpt = []string{"no-new-privileges"} }, func(s *specs.Spec) bool {
			return s.Process.NoNewPrivileges
		}},
		{"cap drop all add one", func(o *Options) {
			o.HostConfig.CapDrop, o.HostConfig.CapAdd = []string{"ALL"}, []string{"chown"}
		}, func(s *specs.Spec) bool { return slices.Equal(s.Process.Capabilities.Bounding, []string{"CAP_CHOWN"}) }},
		{"cap drop one", func(o *Options) { o.HostConfig.CapDrop = []string{"NET_RAW"} }, func(s *specs.Spec) bool {
			return len(s.Process.Capabilities.Bounding) == 13 && !slices.Contains(s.Process.Capabilities.Bounding, "CAP_NET_RAW")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := baseOptions()
			tc.edit(&o)
			if s := mustGenerate(t, o); !tc.check(s) {
				t.Errorf("spec does not match")
			}
		})
	}
}

func TestGeneratePrivileged(t *testing.T) {
	o := baseOptions()
	o.HostConfig.Privileged = true
	s := mustGenerate(t, o)
	all, err := hostCapabilities()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Process.Capabilities.Bounding, all) || len(all) <= 14 {
		t.Errorf("caps = %v, want the host's %v", s.Process.Capabilities.Bounding, all)
	}
	if s.Linux.MaskedPaths != nil || s.Linux.ReadonlyPaths != nil {
		t.Errorf("privileged keeps masked/readonly paths")
	}
	if slices.Contains(findMount(s, "/sys").Options, "ro") {
		t.Errorf("privileged /sys is read-only")
	}
	if r := s.Linux.Resources.Devices; len(r) != 1 || !r[0].Allow {
		t.Errorf("device rules = %+v, want allow all", r)
	}
	if len(s.Linux.Devices) == 0 {
		t.Errorf("no host devices")
	}
}

func TestGenerateErrors(t *testing.T) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
	yes := true
	tests := []struct {
		name    string
		edit    func(*Options)
		kind    error
		message string
	}{
		{"no command", func(o *Options) { o.Image.Cmd = nil }, errdefs.ErrInvalidArgument, "no command specified"},
		{"init without binary", func(o *Options) { o.HostConfig.Init = &yes }, errdefs.ErrUnavailable, "--init"},
		{"bad security opt", func(o *Options) { o.HostConfig.SecurityOpt = []string{"bogus=1"} }, errdefs.ErrInvalidArgument, "invalid --security-opt 2"},
		{"bad seccomp profile", func(o *Options) { o.HostConfig.SecurityOpt = []string{"seccomp={"} }, errdefs.ErrInvalidArgument, "Decoding seccomp profile failed"},
		{"host sysctl", func(o *Options) { o.HostConfig.Sysctls = map[string]string{"kernel.panic": "1"} }, errdefs.ErrInvalidArgument, "not in a separate kernel namespace"},
		{"unknown cap", func(o *Options) { o.HostConfig.CapAdd = []string{"CAP_BOGUS"} }, errdefs.ErrInvalidArgument, "unknown capability"},
		{"named volume", func(o *Options) { o.HostConfig.Binds = []string{"vol:/data"} }, errdefs.ErrInvalidArgument, "named volumes"},
		{"relative workdir", func(o *Options) { o.Config.WorkingDir = "rel" }, errdefs.ErrInvalidArgument, "not absolute"},
		{"ulimit above host", func(o *Options) {
			o.HostConfig.Ulimits = []*container.Ulimit{{Name: "nofile", Soft: int64(rl.Max) + 1, Hard: int64(rl.Max) + 1}}
		}, errdefs.ErrInvalidArgument, "host's hard limit"},
		{"unknown ulimit", func(o *Options) { o.HostConfig.Ulimits = []*container.Ulimit{{Name: "bogus", Soft: 1, Hard: 1}} }, errdefs.ErrInvalidArgument, "unknown resource"},
		{"missing rootfs", func(o *Options) { o.Rootfs = "" }, errdefs.ErrInvalidArgument, "Rootfs"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := baseOptions()
			tc.edit(&o)
			_, err := Generate(o)
			if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.message) {
				t.Errorf("err = %v, want %v containing %q", err, tc.kind, tc.message)
			}
		})
	}
}

func TestRlimits(t *testing.T) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
	got, err := rlimits(
		[]*container.Ulimit{{Name: "nofile", Soft: 100, Hard: 200}},
		[]*container.Ulimit{{Name: "nofile", Soft: 1, Hard: 1}, {Name: "core", Soft: -1, Hard: -1}},
	)
	if err != nil {
		t.Fatal(err)
	}
	want := []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 100, Hard: 200}}
	if len(got) != 2 || got[0] != want[0] || got[1].Type != "RLIMIT_CORE" {
		t.Errorf("rlimits = %+v", got)
	}
	// a default above the host's hard limit is clamped, not refused
	got, err = rlimits(nil, []*container.Ulimit{{Name: "nofile", Soft: 1 << 30, Hard: 1 << 30}})
	if err != nil || got[0].Hard != rl.Max || got[0].Soft != rl.Max {
		t.Errorf("clamped default = %+v, %v; want %d", got, err, rl.Max)
	}
}
