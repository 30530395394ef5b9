//go:build cgo && !berth_purego_seccomp

package seccomp

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/berthproject/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// Compiler names the compiler of this build, for logs and tests.
const Compiler = "libseccomp"

// compile builds f with libseccomp and exports it as BPF.
func compile(f *filter) ([]unix.SockFilter, error) { return compileLibseccomp(f) }

func compileLibseccomp(f *filter) ([]unix.SockFilter, error) {
	sf, err := libseccomp.NewFilter(scmpAction(f.defaultAction))
	if err != nil {
		return nil, fmt.Errorf("seccomp: %w", err)
	}
	defer sf.Release()
	for _, a := range f.archs {
		arch, err := libseccomp.GetArchFromString(archName(a))
		if err != nil {
			return nil, fmt.Errorf("seccomp: architecture %q: %w", a, errdefs.ErrInvalidArgument)
		}
		if err := sf.AddArch(arch); err != nil && !errors.Is(err, unix.EEXIST) {
			return nil, fmt.Errorf("seccomp: add architecture %s: %w", a, err)
		}
	}
	for _, r := range f.rules {
		call, err := libseccomp.GetSyscallFromName(r.name)
		if err != nil {
			continue // unknown to this libseccomp: runc skips it too
		}
		if err := addRule(sf, call, r); err != nil {
			return nil, fmt.Errorf("seccomp: rule for %s: %w", r.name, err)
		}
	}
	return exportBPF(sf)
}

func addRule(sf *libseccomp.ScmpFilter, call libseccomp.ScmpSyscall, r rule) error {
	act := scmpAction(r.action)
	if len(r.conds) == 0 {
		return sf.AddRule(call, act)
	}
	conds := make([]libseccomp.ScmpCondition, 0, len(r.conds))
	for _, a := range r.conds {
		c, err := scmpCondition(a)
		if err != nil {
			return err
		}
		conds = append(conds, c)
	}
	return sf.AddRuleConditional(call, act, conds)
}

func scmpCondition(a specs.LinuxSeccompArg) (libseccomp.ScmpCondition, error) {
	ops := map[specs.LinuxSeccompOperator]libseccomp.ScmpCompareOp{
		specs.OpNotEqual: libseccomp.CompareNotEqual, specs.OpLessThan: libseccomp.CompareLess,
		specs.OpLessEqual: libseccomp.CompareLessOrEqual, specs.OpEqualTo: libseccomp.CompareEqual,
		specs.OpGreaterEqual: libseccomp.CompareGreaterEqual, specs.OpGreaterThan: libseccomp.CompareGreater,
		specs.OpMaskedEqual: libseccomp.CompareMaskedEqual,
	}
	if a.Op == specs.OpMaskedEqual {
		return libseccomp.MakeCondition(a.Index, ops[a.Op], a.Value, a.ValueTwo)
	}
	return libseccomp.MakeCondition(a.Index, ops[a.Op], a.Value)
}

// scmpAction converts a SECCOMP_RET_* value back to libseccomp's action.
func scmpAction(v uint32) libseccomp.ScmpAction {
	data := int16(v & unix.SECCOMP_RET_DATA)
	switch v & unix.SECCOMP_RET_ACTION_FULL {
	case unix.SECCOMP_RET_KILL_PROCESS:
		return libseccomp.ActKillProcess
	case unix.SECCOMP_RET_KILL_THREAD:
		return libseccomp.ActKillThread
	case unix.SECCOMP_RET_TRAP:
		return libseccomp.ActTrap
	case unix.SECCOMP_RET_ERRNO:
		return libseccomp.ActErrno.SetReturnCode(data)
	case unix.SECCOMP_RET_TRACE:
		return libseccomp.ActTrace.SetReturnCode(data)
	case unix.SECCOMP_RET_LOG:
		return libseccomp.ActLog
	}
	return libseccomp.ActAllow
}

// archName maps SCMP_ARCH_X86_64 to libseccomp's "x86_64".
func archName(a specs.Arch) string {
	return strings.ToLower(strings.TrimPrefix(string(a), "SCMP_ARCH_"))
}

// exportBPF writes the filter's BPF to a memfd (libseccomp 2.5 exports to
// an fd only) and reads it back.
func exportBPF(sf *libseccomp.ScmpFilter) ([]unix.SockFilter, error) {
	fd, err := unix.MemfdCreate("seccomp-bpf", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("seccomp: export: %w", err)
	}
	f := os.NewFile(uintptr(fd), "seccomp-bpf")
	defer f.Close()
	if err := sf.ExportBPF(f); err != nil {
		return nil, fmt.Errorf("seccomp: export: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("seccomp: export: %w", err)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("seccomp: export: %w", err)
	}
	return decodeBPF(b)
}

// libseccompKnows reports whether libseccomp has a number for name on arch
// (the differential test compares only those).
func libseccompKnows(name string, arch specs.Arch) bool {
	a, err := libseccomp.GetArchFromString(archName(arch))
	if err != nil {
		return false
	}
	_, err = libseccomp.GetSyscallFromNameByArch(name, a)
	return err == nil
}

// compilerVersion is part of the cache key: another libseccomp may compile
// differently.
func compilerVersion() string {
	major, minor, micro := libseccomp.GetLibraryVersion()
	return fmt.Sprintf("%d.%d.%d", major, minor, micro)
}
