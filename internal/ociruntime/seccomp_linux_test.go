package ociruntime_test

import (
	"fmt"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func errnoRet(e unix.Errno) *uint { v := uint(e); return &v }

// capEff returns the CapEff line a process reports for caps.
func capEff(t *testing.T, e *env, nnp bool, profile *specs.LinuxSeccomp) string {
	t.Helper()
	e.spec([]string{"sh", "-c", "grep CapEff /proc/self/status"}, nil, func(s *specs.Spec) {
		s.Process.NoNewPrivileges = nnp
		s.Linux.Seccomp = profile
	})
	return strings.TrimSpace(e.must("run", "-b", e.bundle, e.id))
}

// TestSeccompFilter applies a profile with the features of Docker's (an
// errno default, errnoRet, argument filters) to a container process, with
// and without no_new_privs: without it the runtime must keep CAP_SYS_ADMIN to
// load the filter and drop it right after, so the process's capabilities must
// be exactly those of the same spec without seccomp.
func TestSeccompFilter(t *testing.T) {
	profile := &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"unshare"}, Action: specs.ActErrno, ErrnoRet: errnoRet(unix.EPERM)},
			{Names: []string{"mount"}, Action: specs.ActErrno, ErrnoRet: errnoRet(unix.EACCES)},
			// sethostname only for names of 5 bytes (arg 1 is the length)
			{Names: []string{"sethostname"}, Action: specs.ActErrno, ErrnoRet: errnoRet(unix.ENOSYS),
				Args: []specs.LinuxSeccompArg{{Index: 1, Value: 5, Op: specs.OpNotEqual}}},
		},
	}
	script := `unshare -U true 2>&1; mkdir -p /m; mount -t tmpfs none /m 2>&1; hostname abcdef 2>&1; hostname abcde && echo hostname-ok; grep CapEff /proc/self/status`
	for _, nnp := range []bool{false, true} {
		t.Run(fmt.Sprintf("no_new_privs=%v", nnp), func(t *testing.T) {
			e := newEnv(t)
			e.spec([]string{"sh", "-c", script}, nil, func(s *specs.Spec) {
				s.Process.NoNewPrivileges = nnp
				s.Linux.Seccomp = profile
				s.Process.Capabilities.Bounding = append(s.Process.Capabilities.Bounding, "CAP_SYS_ADMIN")
				s.Process.Capabilities.Effective = append(s.Process.Capabilities.Effective, "CAP_SYS_ADMIN")
				s.Process.Capabilities.Permitted = append(s.Process.Capabilities.Permitted, "CAP_SYS_ADMIN")
			})
			out := e.must("run", "-b", e.bundle, e.id)
			for _, want := range []string{"unshare: unshare(0x10000000): Operation not permitted", "Permission denied",
				"hostname: sethostname: Function not implemented", "hostname-ok"} {
				if !strings.Contains(out, want) {
					t.Errorf("want %q in:\n%s", want, out)
				}
			}
			// no SYS_ADMIN in the spec: the one kept for loading must be gone
			plain := capEff(t, newEnv(t), nnp, nil)
			filtered := capEff(t, newEnv(t), nnp, profile)
			if plain != filtered {
				t.Errorf("capabilities with seccomp %q, without %q", filtered, plain)
			}
		})
	}
}

// TestSeccompBlocksRuntimeSyscalls: a profile that refuses what the runtime
// itself calls while it finishes the process (open, write, close, chdir,
// prctl, the id and capability calls, mount...) must still start the
// process: the filter goes in right before execve. Without no_new_privs
// the runtime still needs capset after the filter (see process_linux.go), so
// that profile allows it.
func TestSeccompBlocksRuntimeSyscalls(t *testing.T) {
	blocked := []string{"openat", "open", "write", "close", "fchdir", "chdir", "getcwd", "prctl", "setresuid",
		"setresgid", "setgroups", "mount", "umount2", "pivot_root", "sethostname", "dup3", "fcntl", "prlimit64",
		"setrlimit", "close_range", "mkdirat", "mknodat", "symlinkat", "read", "getdents64", "newfstatat", "statfs"}
	for _, nnp := range []bool{true, false} {
		t.Run(fmt.Sprintf("no_new_privs=%v", nnp), func(t *testing.T) {
			names := blocked
			if nnp {
				names = append(names, "capset")
			}
			e := newEnv(t)
			e.spec([]string{"/bin/true"}, nil, func(s *specs.Spec) {
				s.Process.NoNewPrivileges = nnp
				s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
					Syscalls: []specs.LinuxSyscall{{Names: names, Action: specs.ActErrno}}}
			})
			if _, stderr, code := e.run("run", "-b", e.bundle, e.id); code != 0 {
				t.Fatalf("run: exit %d: %s", code, stderr)
			}
		})
	}
}

// TestSeccompInvalid: a profile the runtime cannot apply fails create.
func TestSeccompInvalid(t *testing.T) {
	e := newEnv(t)
	e.spec([]string{"true"}, nil, func(s *specs.Spec) {
		s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActNotify}
	})
	if _, stderr, code := e.run("create", "-b", e.bundle, e.id); code == 0 || !strings.Contains(stderr, "linux.seccomp") {
		t.Errorf("create: exit %d, %q", code, stderr)
	}
}
