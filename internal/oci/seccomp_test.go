package oci

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/berthproject/berth/errdefs"
	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

var amd64Host = seccompHost{arch: "amd64", kernel: [2]int{6, 1}}

// rules lists the rules of a resolved profile that name syscall.
func rules(s *specs.LinuxSeccomp, syscall string) []specs.LinuxSyscall {
	var out []specs.LinuxSyscall
	for _, r := range s.Syscalls {
		if slices.Contains(r.Names, syscall) {
			out = append(out, r)
		}
	}
	return out
}

func resolvedDefault(t *testing.T, caps []string, h seccompHost) *specs.LinuxSeccomp {
	t.Helper()
	p, err := defaultSeccompProfile()
	if err != nil {
		t.Fatal(err)
	}
	return p.resolve(caps, h)
}

func TestDefaultSeccompProfile(t *testing.T) {
	s := resolvedDefault(t, DefaultCapabilities(), amd64Host)
	names := 0
	for _, r := range s.Syscalls {
		names += len(r.Names)
	}
	clone := rules(s, "clone")
	checks := []struct {
		name string
		ok   bool
	}{
		{"default action errno", s.DefaultAction == specs.ActErrno},
		{"defaultErrnoRet 1 (EPERM)", s.DefaultErrnoRet != nil && *s.DefaultErrnoRet == 1},
		{"x86_64 with x86 and x32", slices.Equal(s.Architectures, []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32})},
		{"read allowed", len(rules(s, "read")) == 1 && rules(s, "read")[0].Action == specs.ActAllow},
		{"mount not listed", len(rules(s, "mount")) == 0},
		{"unshare not listed", len(rules(s, "unshare")) == 0},
		{"ptrace on 4.8+", len(rules(s, "ptrace")) == 1},
		{"clone only without namespace flags", len(clone) == 1 && len(clone[0].Args) == 1 &&
			clone[0].Args[0].Op == specs.OpMaskedEqual && clone[0].Args[0].Value == 2114060288 && clone[0].Args[0].Index == 0},
		{"clone3 gets ENOSYS", len(rules(s, "clone3")) == 1 && rules(s, "clone3")[0].Action == specs.ActErrno &&
			*rules(s, "clone3")[0].ErrnoRet == 38},
		{"personality argument filters", len(rules(s, "personality")) == 5},
		{"socket: AF_ALG and AF_VSOCK refused", len(rules(s, "socket")) == 3},
		{"no arch-specific s390 or arm rules", len(rules(s, "s390_pci_mmio_read")) == 0 && len(rules(s, "arm_fadvise64_64")) == 0},
		{"arch_prctl for amd64", len(rules(s, "arch_prctl")) == 1},
		{"a few hundred names", names > 350 && names < 450},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s", c.name)
		}
	}
}

func TestDefaultSeccompCapabilities(t *testing.T) {
	admin := resolvedDefault(t, append(DefaultCapabilities(), "CAP_SYS_ADMIN"), amd64Host)
	for _, sc := range []string{"mount", "unshare", "setns", "umount2", "bpf", "clone3"} {
		if r := rules(admin, sc); len(r) != 1 || r[0].Action != specs.ActAllow {
			t.Errorf("%s not allowed with CAP_SYS_ADMIN", sc)
		}
	}
	clone := rules(admin, "clone")
	if len(clone) != 1 || len(clone[0].Args) != 0 {
		t.Errorf("clone with CAP_SYS_ADMIN = %+v, want unconditional", clone)
	}
	ptrace := resolvedDefault(t, []string{"CAP_SYS_PTRACE"}, amd64Host)
	if len(rules(ptrace, "kcmp")) != 1 || len(rules(resolvedDefault(t, nil, amd64Host), "kcmp")) != 0 {
		t.Errorf("kcmp not conditioned on CAP_SYS_PTRACE")
	}
}

func TestSeccompKernelAndArch(t *testing.T) {
	old := resolvedDefault(t, DefaultCapabilities(), seccompHost{arch: "amd64", kernel: [2]int{4, 4}})
	if len(rules(old, "ptrace")) != 0 {
		t.Errorf("ptrace allowed before 4.8")
	}
	arm := resolvedDefault(t, DefaultCapabilities(), seccompHost{arch: "arm64", kernel: [2]int{6, 1}})
	if !slices.Equal(arm.Architectures, []specs.Arch{specs.ArchAARCH64, specs.ArchARM}) {
		t.Errorf("arm64 architectures = %v", arm.Architectures)
	}
	if len(rules(arm, "arm_fadvise64_64")) != 1 || len(rules(arm, "arch_prctl")) != 0 {
		t.Errorf("arm64 arch rules wrong")
	}
}

func TestParseKernel(t *testing.T) {
	for in, want := range map[string][2]int{"6.1.0-18-amd64": {6, 1}, "4.8": {4, 8}, "3.12-rc5": {3, 12}, "5.10.0+": {5, 10}} {
		got, err := parseKernel(in)
		if err != nil || got != want {
			t.Errorf("parseKernel(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "6", "a.b", "0.0"} {
		if _, err := parseKernel(in); err == nil {
			t.Errorf("parseKernel(%q) accepted", in)
		}
	}
}

func TestLoadSeccompErrors(t *testing.T) {
	for name, profile := range map[string]string{
		"not json":       `{`,
		"arch and map":   `{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86"],"archMap":[{"architecture":"SCMP_ARCH_X86_64"}]}`,
		"name and names": `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"name":"read","names":["write"],"action":"SCMP_ACT_ERRNO"}]}`,
		"bad minKernel":  `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","includes":{"minKernel":"x"}}]}`,
	} {
		if _, err := LoadSeccomp(profile, nil); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("%s: err = %v, want invalid argument", name, err)
		}
	}
}

func TestLoadSeccomp(t *testing.T) {
	s, err := LoadSeccomp(`{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],
		"syscalls":[{"name":"mkdir","action":"SCMP_ACT_ERRNO","errnoRet":13},
		{"names":["chmod"],"action":"SCMP_ACT_ERRNO","includes":{"caps":["CAP_SYS_ADMIN"]}}]}`, DefaultCapabilities())
	if err != nil {
		t.Fatal(err)
	}
	if s.DefaultAction != specs.ActAllow || len(s.Syscalls) != 1 || s.Syscalls[0].Names[0] != "mkdir" || *s.Syscalls[0].ErrnoRet != 13 {
		t.Errorf("profile = %+v", s)
	}
	if s, err := LoadSeccomp(`{}`, nil); s != nil || err != nil {
		t.Errorf("empty profile = %v, %v; want none", s, err)
	}
}

func TestDefaultSeccompCached(t *testing.T) {
	a, err := DefaultSeccomp(DefaultCapabilities())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := DefaultSeccomp(DefaultCapabilities())
	c, _ := DefaultSeccomp(append(DefaultCapabilities(), "CAP_SYS_ADMIN"))
	if a != b || a == c {
		t.Errorf("cache: same caps give %p and %p, other caps %p", a, b, c)
	}
}

func TestGenerateSeccomp(t *testing.T) {
	if !SeccompSupported() {
		t.Skip("this kernel has no seccomp filter")
	}
	custom := `{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO"}]}`
	tests := []struct {
		name     string
		opts     []string
		daemon   string
		priv     bool
		want     string // "none", "default" or "custom"
		wantNNP  bool
		noNewDef bool
	}{
		{name: "default", want: "default"},
		{name: "unconfined", opts: []string{"seccomp=unconfined"}, want: "none"},
		{name: "privileged", priv: true, want: "none"},
		{name: "privileged with a profile", priv: true, opts: []string{"seccomp=" + custom}, want: "none"},
		{name: "custom", opts: []string{"seccomp=" + custom}, want: "custom"},
		{name: "builtin over daemon's", opts: []string{"seccomp=builtin"}, daemon: custom, want: "default"},
		{name: "daemon's custom", daemon: custom, want: "custom"},
		{name: "daemon unconfined", daemon: SeccompUnconfined, want: "none"},
		{name: "daemon builtin", daemon: SeccompBuiltin, want: "default"},
		{name: "no-new-privileges", opts: []string{"no-new-privileges"}, want: "default", wantNNP: true},
		{name: "no-new-privileges=false", opts: []string{"no-new-privileges=false"}, want: "default"},
		{name: "daemon no-new-privileges", want: "default", wantNNP: true, noNewDef: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := baseOptions()
			o.HostConfig.SecurityOpt, o.HostConfig.Privileged = tc.opts, tc.priv
			o.SeccompProfile, o.NoNewPrivileges = tc.daemon, tc.noNewDef
			s := mustGenerate(t, o)
			got := "none"
			switch {
			case s.Linux.Seccomp == nil:
			case s.Linux.Seccomp.DefaultAction == specs.ActAllow:
				got = "custom"
			case s.Linux.Seccomp.DefaultAction == specs.ActErrno:
				got = "default"
			}
			if got != tc.want || s.Process.NoNewPrivileges != tc.wantNNP {
				t.Errorf("seccomp %s, no_new_privs %v; want %s, %v", got, s.Process.NoNewPrivileges, tc.want, tc.wantNNP)
			}
		})
	}
}

func TestParseSecurityOpts(t *testing.T) {
	tests := []struct {
		opts []string
		want SecurityOptions
		err  string
	}{
		{opts: []string{"no-new-privileges"}, want: SecurityOptions{NoNewPrivileges: true}},
		{opts: []string{"no-new-privileges=true", "seccomp=unconfined"}, want: SecurityOptions{NoNewPrivileges: true, Seccomp: "unconfined"}},
		{opts: []string{"no-new-privileges:true"}, want: SecurityOptions{NoNewPrivileges: true}},
		{opts: []string{"seccomp={\"a\":\"b:c\"}"}, want: SecurityOptions{Seccomp: `{"a":"b:c"}`}},
		{opts: []string{"apparmor=unconfined", "label=disable", "disable"}, want: SecurityOptions{AppArmor: "unconfined", Labels: []string{"disable", "disable"}}},
		{opts: []string{"writable-cgroups=true"}, want: SecurityOptions{WritableCgroups: true}},
		{opts: []string{"nonsense"}, err: `invalid --security-opt 1: "nonsense"`},
		{opts: []string{"bogus=1"}, err: `invalid --security-opt 2: "bogus=1"`},
		{opts: []string{"no-new-privileges=maybe"}, err: `invalid --security-opt 2`},
	}
	for _, tc := range tests {
		got, err := ParseSecurityOpts(tc.opts)
		if tc.err != "" {
			if !errors.Is(err, errdefs.ErrInvalidArgument) || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v: err = %v, want %q", tc.opts, err, tc.err)
			}
			continue
		}
		if err != nil || got.NoNewPrivileges != tc.want.NoNewPrivileges || got.Seccomp != tc.want.Seccomp ||
			got.AppArmor != tc.want.AppArmor || !slices.Equal(got.Labels, tc.want.Labels) || got.WritableCgroups != tc.want.WritableCgroups {
			t.Errorf("%v: got %+v, %v; want %+v", tc.opts, got, err, tc.want)
		}
	}
}

func TestCheckSysctls(t *testing.T) {
	tests := []struct {
		hc  container.HostConfig
		err string
	}{
		{hc: container.HostConfig{Sysctls: map[string]string{"net.ipv4.ip_forward": "1", "kernel.shmmax": "1", "fs.mqueue.msg_max": "1", "kernel.domainname": "x"}}},
		{hc: container.HostConfig{NetworkMode: "host", Sysctls: map[string]string{"net.ipv4.ip_forward": "1"}}, err: "host network mode"},
		{hc: container.HostConfig{IpcMode: "host", Sysctls: map[string]string{"kernel.sem": "1"}}, err: "ipc namespace"},
		{hc: container.HostConfig{UTSMode: "host", Sysctls: map[string]string{"kernel.domainname": "x"}}, err: "not in a separate kernel namespace"},
		{hc: container.HostConfig{Sysctls: map[string]string{"kernel.hostname": "x"}}, err: "conflicts"},
		{hc: container.HostConfig{Sysctls: map[string]string{"vm.swappiness": "1"}}, err: "not in a separate kernel namespace"},
	}
	for _, tc := range tests {
		err := checkSysctls(&tc.hc)
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%v: err = %v, want %q", tc.hc.Sysctls, err, tc.err)
		}
	}
}

func TestCheckHostConfig(t *testing.T) {
	ok := []container.HostConfig{
		{},
		{CapDrop: []string{"ALL"}, CapAdd: []string{"NET_ADMIN"}, SecurityOpt: []string{"seccomp=unconfined", "no-new-privileges"}},
		{Privileged: true},
		{Resources: container.Resources{Devices: []container.DeviceMapping{{PathOnHost: "/dev/null", PathInContainer: "/dev/mynull", CgroupPermissions: "rwm"}}}},
	}
	for _, hc := range ok {
		if err := CheckHostConfig(&hc); err != nil {
			t.Errorf("%+v: %v", hc, err)
		}
	}
	bad := map[string]container.HostConfig{
		"Invalid --security-opt": {SecurityOpt: []string{"x"}},
		"unknown capability":     {CapAdd: []string{"NOPE"}},
		"Decoding seccomp":       {SecurityOpt: []string{"seccomp=[]"}},
		"/dev/does-not-exist":    {Resources: container.Resources{Devices: []container.DeviceMapping{{PathOnHost: "/dev/does-not-exist"}}}},
		"sysctl":                 {Sysctls: map[string]string{"vm.swappiness": "1"}},
	}
	for want, hc := range bad {
		err := CheckHostConfig(&hc)
		if !errors.Is(err, errdefs.ErrInvalidArgument) || !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(want)) {
			t.Errorf("%s: err = %v", want, err)
		}
	}
}

func TestGenerateInit(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name     string
		init     *bool
		daemon   bool
		pidHost  bool
		wantInit bool
	}{
		{"off", nil, false, false, false},
		{"--init", &yes, false, false, true},
		{"daemon --init", nil, true, false, true},
		{"--init=false over daemon's", &no, true, false, false},
		{"host pid namespace", &yes, false, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := baseOptions()
			o.HostConfig.Init, o.Init, o.InitPath = tc.init, tc.daemon, "/usr/local/bin/berth-init"
			if tc.pidHost {
				o.HostConfig.PidMode = "host"
			}
			s := mustGenerate(t, o)
			m := findMount(s, InitInContainer)
			got := slices.Equal(s.Process.Args, []string{InitInContainer, "--", "sh"})
			if got != tc.wantInit || (m != nil) != tc.wantInit {
				t.Fatalf("args %v, init mount %+v; want init %v", s.Process.Args, m, tc.wantInit)
			}
			if m != nil && (m.Source != o.InitPath || !slices.Equal(m.Options, []string{"bind", "ro"})) {
				t.Errorf("init mount = %+v", m)
			}
		})
	}
}

// BenchmarkSeccompColdParse is the one-time cost of the embedded profile.
func BenchmarkSeccompColdParse(b *testing.B) {
	for b.Loop() {
		p, err := parseSeccompProfile(defaultSeccompJSON)
		if err != nil {
			b.Fatal(err)
		}
		_ = p.resolve(DefaultCapabilities(), hostSeccomp())
	}
}

// BenchmarkGenerateDefault is Generate for a default `docker run`, with
// the cached seccomp profile.
func BenchmarkGenerateDefault(b *testing.B) {
	o := baseOptions()
	for b.Loop() {
		if _, err := Generate(o); err != nil {
			b.Fatal(err)
		}
	}
}
