package seccomp

import (
	"fmt"

	"github.com/berthproject/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// filter is linux.seccomp after validation, in the terms both compilers use.
type filter struct {
	defaultAction uint32 // SECCOMP_RET_* with its data
	archs         []specs.Arch
	rules         []rule
	flags         uint
}

// rule is one syscall name with an action and ANDed conditions.
type rule struct {
	name   string
	action uint32
	conds  []specs.LinuxSeccompArg
}

// maxArgs is the number of syscall arguments seccomp_data carries.
const maxArgs = 6

// newFilter validates s and flattens it into rules, runc's way.
func newFilter(s *specs.LinuxSeccomp) (*filter, error) {
	if s.ListenerPath != "" {
		return nil, fmt.Errorf("seccomp: listenerPath: %w", errdefs.ErrNotImplemented)
	}
	def, err := action(s.DefaultAction, s.DefaultErrnoRet)
	if err != nil {
		return nil, fmt.Errorf("seccomp: defaultAction: %w", err)
	}
	f := &filter{defaultAction: def, archs: s.Architectures}
	for _, fl := range s.Flags {
		switch fl {
		case specs.LinuxSeccompFlagLog:
			f.flags |= unix.SECCOMP_FILTER_FLAG_LOG
		case specs.LinuxSeccompFlagSpecAllow:
			f.flags |= unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW
		case "SECCOMP_FILTER_FLAG_TSYNC", specs.LinuxSeccompFlagWaitKillableRecv:
			// per-thread filter; no notify fd
		default:
			return nil, fmt.Errorf("seccomp: flag %q: %w", fl, errdefs.ErrInvalidArgument)
		}
	}
	for i, sc := range s.Syscalls {
		act, err := action(sc.Action, sc.ErrnoRet)
		if err != nil {
			return nil, fmt.Errorf("seccomp: syscalls[%d]: %w", i, err)
		}
		if act == def {
			continue // libseccomp refuses it, and it changes nothing
		}
		groups, err := condGroups(sc.Args)
		if err != nil {
			return nil, fmt.Errorf("seccomp: syscalls[%d]: %w", i, err)
		}
		for _, name := range sc.Names {
			for _, g := range groups {
				f.rules = append(f.rules, rule{name: name, action: act, conds: g})
			}
		}
	}
	return f, nil
}

// condGroups returns the condition sets of one syscall entry: all of them
// together, or (runc's rule) one set per condition when an argument index
// appears twice.
func condGroups(args []specs.LinuxSeccompArg) ([][]specs.LinuxSeccompArg, error) {
	var seen [maxArgs]int
	split := false
	for _, a := range args {
		if a.Index >= maxArgs {
			return nil, fmt.Errorf("argument index %d out of range: %w", a.Index, errdefs.ErrInvalidArgument)
		}
		switch a.Op {
		case specs.OpNotEqual, specs.OpLessThan, specs.OpLessEqual, specs.OpEqualTo,
			specs.OpGreaterEqual, specs.OpGreaterThan, specs.OpMaskedEqual:
		default:
			return nil, fmt.Errorf("argument operator %q: %w", a.Op, errdefs.ErrInvalidArgument)
		}
		seen[a.Index]++
		split = split || seen[a.Index] > 1
	}
	if !split {
		return [][]specs.LinuxSeccompArg{args}, nil
	}
	out := make([][]specs.LinuxSeccompArg, len(args))
	for i, a := range args {
		out[i] = []specs.LinuxSeccompArg{a}
	}
	return out, nil
}

// action returns the SECCOMP_RET_* value of a spec action. Errno and trace
// data default to EPERM, as in runc.
func action(a specs.LinuxSeccompAction, errnoRet *uint) (uint32, error) {
	data := uint32(unix.EPERM)
	if errnoRet != nil {
		if *errnoRet > unix.SECCOMP_RET_DATA {
			return 0, fmt.Errorf("errnoRet %d out of range: %w", *errnoRet, errdefs.ErrInvalidArgument)
		}
		data = uint32(*errnoRet)
	}
	switch a {
	case specs.ActKill, specs.ActKillThread:
		return unix.SECCOMP_RET_KILL_THREAD, nil
	case specs.ActKillProcess:
		return unix.SECCOMP_RET_KILL_PROCESS, nil
	case specs.ActTrap:
		return unix.SECCOMP_RET_TRAP, nil
	case specs.ActErrno:
		return unix.SECCOMP_RET_ERRNO | data, nil
	case specs.ActTrace:
		return unix.SECCOMP_RET_TRACE | data, nil
	case specs.ActAllow:
		return unix.SECCOMP_RET_ALLOW, nil
	case specs.ActLog:
		return unix.SECCOMP_RET_LOG, nil
	case specs.ActNotify:
		return 0, fmt.Errorf("action %s: %w", a, errdefs.ErrNotImplemented)
	}
	return 0, fmt.Errorf("action %q: %w", a, errdefs.ErrInvalidArgument)
}
