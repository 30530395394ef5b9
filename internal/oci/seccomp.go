package oci

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/berthproject/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// defaultSeccompJSON is Docker's default seccomp profile in Docker's
// profile format (moby/profiles seccomp v0.2.3, Apache-2.0), reformatted.
//
//go:embed seccomp_default.json
var defaultSeccompJSON []byte

// seccompProfile is a seccomp profile in Docker's format: the runtime
// spec's LinuxSeccomp plus an architecture map and syscall groups that apply
// only for some capabilities, architectures or kernel versions. Users send
// the same format with `--security-opt seccomp=FILE` (the CLI inlines it).
type seccompProfile struct {
	DefaultAction    specs.LinuxSeccompAction `json:"defaultAction"`
	DefaultErrnoRet  *uint                    `json:"defaultErrnoRet,omitempty"`
	Architectures    []specs.Arch             `json:"architectures,omitempty"`
	ArchMap          []seccompArch            `json:"archMap,omitempty"`
	Flags            []specs.LinuxSeccompFlag `json:"flags,omitempty"`
	ListenerPath     string                   `json:"listenerPath,omitempty"`
	ListenerMetadata string                   `json:"listenerMetadata,omitempty"`
	Syscalls         []seccompRule            `json:"syscalls"`
}

type seccompArch struct {
	Arch      specs.Arch   `json:"architecture"`
	SubArches []specs.Arch `json:"subArchitectures"`
}

// seccompRule is one syscall group; Name is the old single-name form.
type seccompRule struct {
	Names    []string                 `json:"names,omitempty"`
	Name     string                   `json:"name,omitempty"`
	Action   specs.LinuxSeccompAction `json:"action"`
	ErrnoRet *uint                    `json:"errnoRet,omitempty"`
	Args     []specs.LinuxSeccompArg  `json:"args,omitempty"`
	Includes *seccompFilter           `json:"includes,omitempty"`
	Excludes *seccompFilter           `json:"excludes,omitempty"`
}

// seccompFilter conditions a rule on the container's bounding capabilities,
// the host's architecture (Go-style names as libseccomp spells them:
// amd64, x86, arm64, s390x, ...) and the host's kernel ("major.minor").
type seccompFilter struct {
	Caps      []string `json:"caps,omitempty"`
	Arches    []string `json:"arches,omitempty"`
	MinKernel string   `json:"minKernel,omitempty"`
}

// seccompHost is what a profile is resolved against besides capabilities.
type seccompHost struct {
	arch   string // libseccomp's name of the native architecture
	kernel [2]int // major, minor
}

// hostSeccomp describes this host (read once).
var hostSeccomp = sync.OnceValue(func() seccompHost {
	h := seccompHost{arch: nativeArch[runtime.GOARCH]}
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		h.kernel, _ = parseKernel(unix.ByteSliceToString(u.Release[:]))
	}
	return h
})

// nativeArch maps GOARCH to libseccomp's architecture names.
var nativeArch = map[string]string{
	"386": "x86", "amd64": "amd64", "arm": "arm", "arm64": "arm64", "loong64": "loong64",
	"mips64": "mips64", "mips64le": "mipsel64", "mipsle": "mipsel", "ppc64": "ppc64",
	"ppc64le": "ppc64le", "riscv64": "riscv64", "s390x": "s390x",
}

// scmpArch maps libseccomp's architecture names to the spec's.
var scmpArch = map[string]specs.Arch{
	"x86": specs.ArchX86, "amd64": specs.ArchX86_64, "arm": specs.ArchARM, "arm64": specs.ArchAARCH64,
	"loong64": specs.ArchLOONGARCH64, "mips64": specs.ArchMIPS64, "mipsel64": specs.ArchMIPSEL64,
	"mipsel": specs.ArchMIPSEL, "ppc64": specs.ArchPPC64, "ppc64le": specs.ArchPPC64LE,
	"riscv64": specs.ArchRISCV64, "s390x": specs.ArchS390X,
}

// parseKernel reads "major.minor" from a version ("6.1.0-18-amd64", "4.8").
func parseKernel(v string) ([2]int, error) {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return [2]int{}, fmt.Errorf("invalid kernel version %q, expected \"<kernel>.<major>\"", v)
	}
	minor := parts[1]
	if i := strings.IndexFunc(minor, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		minor = minor[:i]
	}
	a, err1 := strconv.Atoi(parts[0])
	b, err2 := strconv.Atoi(minor)
	if err1 != nil || err2 != nil || (a == 0 && b == 0) {
		return [2]int{}, fmt.Errorf("invalid kernel version %q, expected \"<kernel>.<major>\"", v)
	}
	return [2]int{a, b}, nil
}

// parseSeccompProfile decodes a profile in Docker's format.
func parseSeccompProfile(data []byte) (*seccompProfile, error) {
	var p seccompProfile
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "Decoding seccomp profile failed: %w", err)
	}
	if len(p.Architectures) != 0 && len(p.ArchMap) != 0 {
		return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "both 'architectures' and 'archMap' are specified in the seccomp profile, use either 'architectures' or 'archMap'")
	}
	for i, r := range p.Syscalls {
		if r.Name != "" && len(r.Names) != 0 {
			return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "both 'name' and 'names' are specified in the seccomp profile, use either 'name' or 'names'")
		}
		for _, f := range []*seccompFilter{r.Includes, r.Excludes} {
			if f != nil && f.MinKernel != "" {
				if _, err := parseKernel(f.MinKernel); err != nil {
					return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "seccomp profile, syscall group %d: %w", i, err)
				}
			}
		}
	}
	return &p, nil
}

// resolve turns the profile into the runtime spec's form for a container
// with the bounding capabilities caps, as moby's setupSeccomp does: the
// native architecture's archMap entry, and only the rules whose conditions
// hold. A profile with neither default action nor rules is no profile.
func (p *seccompProfile) resolve(caps []string, h seccompHost) *specs.LinuxSeccomp {
	if p.DefaultAction == "" && len(p.Syscalls) == 0 {
		return nil
	}
	out := &specs.LinuxSeccomp{
		DefaultAction: p.DefaultAction, DefaultErrnoRet: p.DefaultErrnoRet,
		Architectures: slices.Clone(p.Architectures), Flags: p.Flags,
		ListenerPath: p.ListenerPath, ListenerMetadata: p.ListenerMetadata,
	}
	if native, ok := scmpArch[h.arch]; ok {
		for _, a := range p.ArchMap {
			if a.Arch == native {
				out.Architectures = append(append(out.Architectures, a.Arch), a.SubArches...)
				break
			}
		}
	}
	for _, r := range p.Syscalls {
		if !r.applies(caps, h) {
			continue
		}
		names := r.Names
		if r.Name != "" {
			names = []string{r.Name}
		}
		out.Syscalls = append(out.Syscalls, specs.LinuxSyscall{Names: names, Action: r.Action, ErrnoRet: r.ErrnoRet, Args: r.Args})
	}
	return out
}

// applies is true when every Includes condition holds and no Excludes one does.
func (r *seccompRule) applies(caps []string, h seccompHost) bool {
	if f := r.Excludes; f != nil {
		if slices.Contains(f.Arches, h.arch) || slices.ContainsFunc(f.Caps, func(c string) bool { return slices.Contains(caps, c) }) {
			return false
		}
		if f.MinKernel != "" && kernelAtLeast(h.kernel, f.MinKernel) {
			return false
		}
	}
	if f := r.Includes; f != nil {
		if len(f.Arches) > 0 && !slices.Contains(f.Arches, h.arch) {
			return false
		}
		for _, c := range f.Caps {
			if !slices.Contains(caps, c) {
				return false
			}
		}
		if f.MinKernel != "" && !kernelAtLeast(h.kernel, f.MinKernel) {
			return false
		}
	}
	return true
}

func kernelAtLeast(have [2]int, want string) bool {
	w, err := parseKernel(want) // checked at parse time
	if err != nil {
		return false
	}
	return have[0] > w[0] || (have[0] == w[0] && have[1] >= w[1])
}

// defaultSeccompProfile is the embedded profile, decoded on first use.
var defaultSeccompProfile = sync.OnceValues(func() (*seccompProfile, error) {
	return parseSeccompProfile(defaultSeccompJSON)
})

// seccompCacheMax bounds the resolved default profiles kept (one per
// distinct capability set; nearly every container has the default set).
const seccompCacheMax = 64

var seccompCache struct {
	sync.Mutex
	m map[string]*specs.LinuxSeccomp
}

// DefaultSeccomp returns Docker's default profile resolved for the bounding
// capabilities caps. Results are cached per capability set and shared: the
// caller must not modify them.
func DefaultSeccomp(caps []string) (*specs.LinuxSeccomp, error) {
	key := strings.Join(caps, ",")
	seccompCache.Lock()
	s, ok := seccompCache.m[key]
	seccompCache.Unlock()
	if ok {
		return s, nil
	}
	p, err := defaultSeccompProfile()
	if err != nil {
		return nil, fmt.Errorf("default seccomp profile: %w", err)
	}
	s = p.resolve(caps, hostSeccomp())
	seccompCache.Lock()
	if seccompCache.m == nil {
		seccompCache.m = map[string]*specs.LinuxSeccomp{}
	}
	if len(seccompCache.m) < seccompCacheMax {
		seccompCache.m[key] = s
	}
	seccompCache.Unlock()
	return s, nil
}

// LoadSeccomp resolves a profile in Docker's JSON format for the bounding
// capabilities caps. A malformed profile is ErrInvalidArgument.
func LoadSeccomp(profile string, caps []string) (*specs.LinuxSeccomp, error) {
	p, err := parseSeccompProfile([]byte(profile))
	if err != nil {
		return nil, err
	}
	return p.resolve(caps, hostSeccomp()), nil
}

// SeccompSupported reports whether this kernel filters system calls
// (CONFIG_SECCOMP_FILTER): /proc/self/status has a "Seccomp:" line.
var SeccompSupported = sync.OnceValue(func() bool {
	b, err := os.ReadFile("/proc/self/status")
	return err == nil && strings.Contains(string(b), "\nSeccomp:")
})

// Values of SecurityOptions.Seccomp and of the daemon's profile setting
// that are not a profile.
const (
	SeccompUnconfined = "unconfined"
	SeccompBuiltin    = "builtin"
)

// seccompFor is dockerd's WithSeccomp: no profile for unconfined or
// privileged containers; the container's own profile, else the daemon's
// (a profile's JSON, "unconfined", or empty/"builtin" for Docker's default).
func seccompFor(own, daemon string, privileged bool, caps []string) (*specs.LinuxSeccomp, error) {
	if own == SeccompUnconfined || privileged {
		return nil, nil
	}
	if !SeccompSupported() {
		if own != "" && own != SeccompBuiltin {
			return nil, errdefs.Errorf(errdefs.ErrInvalidArgument, "seccomp is not enabled in your kernel, cannot run a custom seccomp profile")
		}
		return nil, nil
	}
	switch {
	case own == SeccompBuiltin:
		return DefaultSeccomp(caps)
	case own != "":
		return LoadSeccomp(own, caps)
	case daemon == SeccompUnconfined:
		return nil, nil
	case daemon != "" && daemon != SeccompBuiltin:
		return LoadSeccomp(daemon, caps)
	}
	return DefaultSeccomp(caps)
}
