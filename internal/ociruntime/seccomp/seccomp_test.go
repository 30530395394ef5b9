package seccomp

import (
	"encoding/json"
	"errors"
	"os"
	"sort"
	"testing"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/oci"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func u(v uint) *uint { return &v }

// denied are left out of the profile's big allow list (Docker's default
// profile has the same shape: errno by default, a long allow list, a few
// syscalls allowed only with some arguments).
var denied = map[string]bool{
	"mount": true, "umount2": true, "unshare": true, "setns": true, "clone": true, "clone3": true,
	"personality": true, "ptrace": true, "keyctl": true, "bpf": true, "socket": true, "kexec_load": true,
	"reboot": true, "acct": true, "lseek": true, "pread64": true, "prctl": true, "mmap": true, "getppid": true,
}

// testProfile exercises every feature of linux.seccomp that Docker's
// default profile uses, and a few more.
func testProfile() *specs.LinuxSeccomp {
	var allow []string
	for name := range sysAMD64 {
		if !denied[name] {
			allow = append(allow, name)
		}
	}
	sort.Strings(allow)
	p := &specs.LinuxSeccomp{
		DefaultAction: specs.ActErrno, DefaultErrnoRet: u(uint(unix.EPERM)),
		Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
		Syscalls: []specs.LinuxSyscall{
			{Names: allow, Action: specs.ActAllow},
			{Names: []string{"clone"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{
				{Index: 0, Value: 0x7E020000, ValueTwo: 0, Op: specs.OpMaskedEqual}}},
			{Names: []string{"clone3"}, Action: specs.ActErrno, ErrnoRet: u(uint(unix.ENOSYS))},
			{Names: []string{"personality"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{{Index: 0, Value: 0, Op: specs.OpEqualTo}}},
			{Names: []string{"personality"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{{Index: 0, Value: 0xffffffff, Op: specs.OpEqualTo}}},
			{Names: []string{"socket"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{{Index: 0, Value: 40, Op: specs.OpNotEqual}}},
			{Names: []string{"lseek"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{
				{Index: 1, Value: 0x100000005, Op: specs.OpGreaterThan}, {Index: 2, Value: 2, Op: specs.OpLessEqual}}},
			{Names: []string{"pread64"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{{Index: 3, Value: 0x100000000, Op: specs.OpLessThan}}},
			{Names: []string{"mmap"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{{Index: 5, Value: 0x200000000, Op: specs.OpGreaterEqual}}},
			{Names: []string{"prctl"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{
				{Index: 0, Value: 1, Op: specs.OpEqualTo}, {Index: 0, Value: 2, Op: specs.OpEqualTo}}},
			{Names: []string{"kexec_load"}, Action: specs.ActKillProcess},
			{Names: []string{"reboot"}, Action: specs.ActTrap},
			{Names: []string{"acct"}, Action: specs.ActLog},
			{Names: []string{"ptrace"}, Action: specs.ActTrace, ErrnoRet: u(7)},
			{Names: []string{"getppid"}, Action: specs.ActErrno, ErrnoRet: u(uint(unix.EPERM))}, // = default: skipped
			{Names: []string{"no_such_syscall"}, Action: specs.ActAllow},
		},
	}
	return p
}

const (
	allow   = unix.SECCOMP_RET_ALLOW
	eperm   = unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)
	killThr = unix.SECCOMP_RET_KILL_THREAD
)

func TestPureGoSemantics(t *testing.T) {
	f, err := newFilter(testProfile())
	if err != nil {
		t.Fatal(err)
	}
	prog, err := compileBPF(f)
	if err != nil {
		t.Fatal(err)
	}
	amd := uint32(unix.AUDIT_ARCH_X86_64)
	i386 := uint32(unix.AUDIT_ARCH_I386)
	nr := func(name string) int32 { return int32(sysAMD64[name]) }
	tests := []struct {
		name string
		d    seccompData
		want uint32
	}{
		{"read allowed", seccompData{nr: nr("read"), arch: amd}, allow},
		{"mount denied by default", seccompData{nr: nr("mount"), arch: amd}, eperm},
		{"clone without namespace flags", seccompData{nr: nr("clone"), arch: amd, args: [6]uint64{uint64(unix.SIGCHLD)}}, allow},
		{"clone with CLONE_NEWUSER", seccompData{nr: nr("clone"), arch: amd, args: [6]uint64{unix.CLONE_NEWUSER}}, eperm},
		{"clone mask ignores high bits", seccompData{nr: nr("clone"), arch: amd, args: [6]uint64{1 << 40}}, allow},
		{"clone3 errnoRet", seccompData{nr: nr("clone3"), arch: amd}, unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)},
		{"personality 0", seccompData{nr: nr("personality"), arch: amd}, allow},
		{"personality 0xffffffff", seccompData{nr: nr("personality"), arch: amd, args: [6]uint64{0xffffffff}}, allow},
		{"personality 8", seccompData{nr: nr("personality"), arch: amd, args: [6]uint64{8}}, eperm},
		{"personality 64-bit", seccompData{nr: nr("personality"), arch: amd, args: [6]uint64{1<<32 | 0}}, eperm},
		{"socket AF_INET", seccompData{nr: nr("socket"), arch: amd, args: [6]uint64{2}}, allow},
		{"socket AF_VSOCK", seccompData{nr: nr("socket"), arch: amd, args: [6]uint64{40}}, eperm},
		{"socket 40 in high word", seccompData{nr: nr("socket"), arch: amd, args: [6]uint64{1<<32 | 40}}, allow},
		{"lseek both conditions", seccompData{nr: nr("lseek"), arch: amd, args: [6]uint64{0, 0x100000006, 2}}, allow},
		{"lseek GT fails on equal", seccompData{nr: nr("lseek"), arch: amd, args: [6]uint64{0, 0x100000005, 0}}, eperm},
		{"lseek GT fails on lower high word", seccompData{nr: nr("lseek"), arch: amd, args: [6]uint64{0, 0xffffffff, 0}}, eperm},
		{"lseek LE fails", seccompData{nr: nr("lseek"), arch: amd, args: [6]uint64{0, 0x200000000, 3}}, eperm},
		{"pread64 LT", seccompData{nr: nr("pread64"), arch: amd, args: [6]uint64{0, 0, 0, 0xffffffff}}, allow},
		{"pread64 not LT", seccompData{nr: nr("pread64"), arch: amd, args: [6]uint64{0, 0, 0, 0x100000000}}, eperm},
		{"mmap GE", seccompData{nr: nr("mmap"), arch: amd, args: [6]uint64{5: 0x200000000}}, allow},
		{"mmap not GE", seccompData{nr: nr("mmap"), arch: amd, args: [6]uint64{5: 0x1ffffffff}}, eperm},
		{"prctl split rule, first", seccompData{nr: nr("prctl"), arch: amd, args: [6]uint64{1}}, allow},
		{"prctl split rule, second", seccompData{nr: nr("prctl"), arch: amd, args: [6]uint64{2}}, allow},
		{"prctl other", seccompData{nr: nr("prctl"), arch: amd, args: [6]uint64{3}}, eperm},
		{"kill process", seccompData{nr: nr("kexec_load"), arch: amd}, unix.SECCOMP_RET_KILL_PROCESS},
		{"trap", seccompData{nr: nr("reboot"), arch: amd}, unix.SECCOMP_RET_TRAP},
		{"log", seccompData{nr: nr("acct"), arch: amd}, unix.SECCOMP_RET_LOG},
		{"trace with data", seccompData{nr: nr("ptrace"), arch: amd}, unix.SECCOMP_RET_TRACE | 7},
		{"unknown number", seccompData{nr: 5000, arch: amd}, eperm},
		{"i386 read", seccompData{nr: int32(sysI386["read"]), arch: i386}, allow},
		{"i386 mount", seccompData{nr: int32(sysI386["mount"]), arch: i386}, eperm},
		{"i386 personality compares 32 bits", seccompData{nr: int32(sysI386["personality"]), arch: i386, args: [6]uint64{0xffffffff}}, allow},
		{"x32 read", seccompData{nr: int32(sysX32["read"]), arch: amd}, allow},
		{"x32 mount", seccompData{nr: int32(sysX32["mount"]), arch: amd}, eperm},
		{"unknown arch killed", seccompData{nr: 0, arch: unix.AUDIT_ARCH_AARCH64}, killThr},
	}
	for _, tc := range tests {
		got, err := run(prog, tc.d)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got != tc.want {
			t.Errorf("%s: verdict %#x, want %#x", tc.name, got, tc.want)
		}
	}
}

// TestX32NotListed: without SCMP_ARCH_X32, x32 syscall numbers are a bad
// architecture (killed), as with libseccomp.
func TestX32NotListed(t *testing.T) {
	p := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"mount"}, Action: specs.ActErrno}}}
	f, _ := newFilter(p)
	prog, err := compileBPF(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		d    seccompData
		want uint32
	}{
		{seccompData{nr: int32(sysX32["read"]), arch: unix.AUDIT_ARCH_X86_64}, killThr},
		{seccompData{nr: int32(sysI386["read"]), arch: unix.AUDIT_ARCH_I386}, killThr},
		{seccompData{nr: int32(sysAMD64["mount"]), arch: unix.AUDIT_ARCH_X86_64}, eperm},
		{seccompData{nr: int32(sysAMD64["read"]), arch: unix.AUDIT_ARCH_X86_64}, allow},
	} {
		if got, _ := run(prog, tc.d); got != tc.want {
			t.Errorf("%+v: %#x, want %#x", tc.d, got, tc.want)
		}
	}
}

func TestInvalidProfiles(t *testing.T) {
	tests := []struct {
		name string
		p    specs.LinuxSeccomp
		kind error
	}{
		{"unknown default action", specs.LinuxSeccomp{DefaultAction: "SCMP_ACT_NOPE"}, errdefs.ErrInvalidArgument},
		{"notify", specs.LinuxSeccomp{DefaultAction: specs.ActNotify}, errdefs.ErrNotImplemented},
		{"listener", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, ListenerPath: "/x"}, errdefs.ErrNotImplemented},
		{"bad flag", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{"NOPE"}}, errdefs.ErrInvalidArgument},
		{"arg index", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActErrno,
			Args: []specs.LinuxSeccompArg{{Index: 6, Op: specs.OpEqualTo}}}}}, errdefs.ErrInvalidArgument},
		{"bad op", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActErrno,
			Args: []specs.LinuxSeccompArg{{Index: 0, Op: "SCMP_CMP_NOPE"}}}}}, errdefs.ErrInvalidArgument},
		{"errno range", specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: u(70000)}, errdefs.ErrInvalidArgument},
	}
	for _, tc := range tests {
		if _, err := Compile(&tc.p); !errors.Is(err, tc.kind) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.kind)
		}
	}
}

func TestProgramJSON(t *testing.T) {
	p, err := Compile(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog},
		Syscalls: []specs.LinuxSyscall{{Names: []string{"mount"}, Action: specs.ActErrno}}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var back Program
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Flags != unix.SECCOMP_FILTER_FLAG_LOG || len(back.Filter) != len(p.Filter) {
		t.Fatalf("round trip: %+v", back)
	}
	for i := range p.Filter {
		if p.Filter[i] != back.Filter[i] {
			t.Fatalf("instruction %d: %+v != %+v", i, back.Filter[i], p.Filter[i])
		}
	}
	if p, err := Compile(nil); p != nil || err != nil {
		t.Errorf("Compile(nil) = %v, %v", p, err)
	}
}

// TestDifferential runs the libseccomp and the pure-Go programs of the same
// profile on the same inputs: every syscall number of each architecture
// (and a few unknown ones) with argument vectors around every value the
// profile compares with. Syscalls the host's libseccomp does not know are
// left out (libseccomp skips their rules; the pure-Go tables are newer), and
// so are i386's socketcall and ipc multiplexers (see doc.go).
func TestDifferential(t *testing.T) {
	differential(t, testProfile())
}

// TestDifferentialDockerDefault does the same with Docker's default
// profile, as internal/oci resolves it for the default capabilities and for
// all of them (--privileged's list, with CAP_SYS_ADMIN's extra rules).
func TestDifferentialDockerDefault(t *testing.T) {
	for _, caps := range [][]string{oci.DefaultCapabilities(), {"CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_SYS_BOOT", "CAP_SYS_MODULE"}} {
		p, err := oci.DefaultSeccomp(caps)
		if err != nil {
			t.Fatal(err)
		}
		differential(t, p)
	}
}

func differential(t *testing.T, p *specs.LinuxSeccomp) {
	t.Helper()
	f, err := newFilter(p)
	if err != nil {
		t.Fatal(err)
	}
	lib, err := compileLibseccomp(f)
	if errors.Is(err, errdefs.ErrNotImplemented) {
		t.Skip("built without cgo: no libseccomp to compare with")
	}
	if err != nil {
		t.Fatal(err)
	}
	ours, err := compileBPF(f)
	if err != nil {
		t.Fatal(err)
	}
	vals := []uint64{0, 1, 2, 3, 8, 40, uint64(unix.SIGCHLD), unix.CLONE_NEWUSER, 0x20000, 0x20008, 0x7E020000, 1 << 40,
		0xffffffff, 0x100000000, 0x100000005, 0x100000006, 0x1ffffffff, 0x200000000, ^uint64(0)}
	compared := 0
	for _, sec := range []struct {
		sarch specs.Arch
		arch  uint32
		table map[string]uint32
		skip  map[string]bool
	}{
		{specs.ArchX86_64, unix.AUDIT_ARCH_X86_64, sysAMD64, nil},
		{specs.ArchX32, unix.AUDIT_ARCH_X86_64, sysX32, nil},
		{specs.ArchX86, unix.AUDIT_ARCH_I386, sysI386, map[string]bool{"socketcall": true, "ipc": true}},
		{specs.ArchAARCH64, unix.AUDIT_ARCH_AARCH64, map[string]uint32{"read": 63, "mount": 40}, nil},
	} {
		for name, nr := range sec.table {
			if sec.skip[name] || !libseccompKnows(name, sec.sarch) {
				continue
			}
			for _, v := range vals {
				for argi := 0; argi < maxArgs; argi++ {
					d := seccompData{nr: int32(nr), arch: sec.arch}
					d.args[argi] = v
					a, err1 := run(lib, d)
					b, err2 := run(ours, d)
					if err1 != nil || err2 != nil {
						t.Fatalf("%s: %v / %v", name, err1, err2)
					}
					if a != b {
						t.Errorf("arch %#x %s(%d) arg%d=%#x: libseccomp %#x, pure Go %#x", sec.arch, name, nr, argi, v, a, b)
					}
					compared++
				}
			}
		}
	}
	t.Logf("libseccomp: %d instructions, pure Go: %d; %d inputs compared", len(lib), len(ours), compared)
}

func TestCompileCached(t *testing.T) {
	dir := t.TempDir() + "/cache"
	p1, err := CompileCached(testProfile(), dir)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := os.ReadDir(dir)
	if len(files) != 1 {
		t.Fatalf("cache holds %d files, want 1", len(files))
	}
	p2, err := CompileCached(testProfile(), dir)
	if err != nil || len(p2.Filter) != len(p1.Filter) {
		t.Fatalf("cached: %v, %d instructions, want %d", err, len(p2.Filter), len(p1.Filter))
	}
	// a damaged entry is recompiled
	os.WriteFile(dir+"/"+files[0].Name(), []byte("junk"), 0o600)
	p3, err := CompileCached(testProfile(), dir)
	if err != nil || len(p3.Filter) != len(p1.Filter) {
		t.Fatalf("after damage: %v", err)
	}
	other := testProfile()
	other.DefaultErrnoRet = u(uint(unix.EACCES))
	if _, err := CompileCached(other, dir); err != nil {
		t.Fatal(err)
	}
	if files, _ := os.ReadDir(dir); len(files) != 2 {
		t.Errorf("another profile shares an entry: %d files", len(files))
	}
}
