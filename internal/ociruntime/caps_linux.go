package ociruntime

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/berthproject/berth/internal/logging"
	"github.com/moby/sys/capability"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// capByName maps "CAP_CHOWN" to its capability, for every capability the
// library knows; supported reports whether this kernel has it.
func capByName() (all map[string]capability.Cap, supported func(capability.Cap) bool) {
	last, _ := capability.LastCap()
	all = map[string]capability.Cap{}
	for _, c := range capability.ListKnown() {
		all["CAP_"+strings.ToUpper(c.String())] = c
	}
	return all, func(c capability.Cap) bool { return c <= last }
}

// capSet is the five capability sets of a process, applied to this thread.
type capSet struct {
	c    capability.Capabilities
	last capability.Cap
}

// newCapSet parses the spec's sets. Names this kernel does not know, and
// capabilities outside our own bounding set (the host may lack some, e.g.
// CAP_SYS_RESOURCE here), are left out, as runc does. No capabilities
// section means no capabilities.
func newCapSet(pc *specs.LinuxCapabilities) (*capSet, error) {
	c, err := capability.NewPid2(0)
	if err != nil {
		return nil, fmt.Errorf("capabilities: %w", err)
	}
	if err := c.Load(); err != nil {
		return nil, fmt.Errorf("capabilities: %w", err)
	}
	if pc == nil {
		pc = &specs.LinuxCapabilities{}
	}
	names, supported := capByName()
	bound := map[capability.Cap]bool{}
	for _, cp := range names {
		bound[cp] = supported(cp) && c.Get(capability.BOUNDING, cp)
	}
	for _, list := range [][]string{pc.Bounding, pc.Effective, pc.Permitted, pc.Inheritable, pc.Ambient} {
		for _, n := range list {
			if _, ok := names[strings.ToUpper(n)]; !ok {
				return nil, fmt.Errorf("capabilities: unknown capability %q", n)
			}
		}
	}
	set := func(which capability.CapType, list []string) {
		for _, n := range list {
			if cp := names[strings.ToUpper(n)]; bound[cp] {
				c.Set(which, cp)
			}
		}
	}
	c.Clear(capability.CAPS | capability.BOUNDS | capability.AMBS)
	last, _ := capability.LastCap()
	set(capability.BOUNDING, pc.Bounding)
	set(capability.EFFECTIVE, pc.Effective)
	set(capability.PERMITTED, pc.Permitted)
	set(capability.INHERITABLE, pc.Inheritable)
	set(capability.AMBIENT, pc.Ambient)
	return &capSet{c: c, last: last}, nil
}

func (s *capSet) applyBounding() error {
	if err := s.c.Apply(capability.BOUNDS); err != nil {
		return fmt.Errorf("apply capability bounding set: %w", err)
	}
	return nil
}

// applyRest sets the effective, permitted and inheritable sets, then the
// ambient ones. With hold, CAP_SYS_ADMIN stays effective and permitted on
// top of them (for loading seccomp without no_new_privs) until dropHeld;
// it reports whether anything was held.
func (s *capSet) applyRest(hold bool) (bool, error) {
	held := hold && !s.c.Get(capability.EFFECTIVE, capability.CAP_SYS_ADMIN)
	which := capability.EFFECTIVE
	if !s.c.Get(capability.PERMITTED, capability.CAP_SYS_ADMIN) {
		which |= capability.PERMITTED
	}
	if held {
		s.c.Set(which, capability.CAP_SYS_ADMIN)
	}
	err := s.c.Apply(capability.CAPS)
	if held {
		s.c.Unset(which, capability.CAP_SYS_ADMIN)
	}
	if err != nil {
		return false, fmt.Errorf("apply capabilities: %w", err)
	}
	// Like runc, an ambient capability the kernel refuses (it must also be
	// permitted and inheritable) is skipped, not an error.
	if err := capability.ResetAmbient(); err != nil && !errors.Is(err, unix.EINVAL) {
		return false, fmt.Errorf("reset ambient capabilities: %w", err)
	}
	for cp := capability.Cap(0); cp <= s.last; cp++ {
		if s.c.Get(capability.AMBIENT, cp) {
			capability.SetAmbient(true, cp)
		}
	}
	return held, nil
}

// dropHeld sets the final effective, permitted and inheritable sets,
// without the CAP_SYS_ADMIN applyRest held.
func (s *capSet) dropHeld() error {
	if err := s.c.Apply(capability.CAPS); err != nil {
		return fmt.Errorf("drop CAP_SYS_ADMIN kept for seccomp: %w", err)
	}
	return nil
}

// warnUngranted logs (runtime-spec: a warning, not an error) the
// capabilities the spec asks for that the runtime's own bounding set lacks,
// and that the process will therefore not get. Only in the log: create's
// stderr is the container's.
func warnUngranted(ctx context.Context, pc *specs.LinuxCapabilities) {
	if pc == nil {
		return
	}
	names, supported := capByName()
	var missing []string
	seen := map[string]bool{}
	for _, list := range [][]string{pc.Bounding, pc.Effective, pc.Permitted, pc.Inheritable, pc.Ambient} {
		for _, n := range list {
			n = strings.ToUpper(n)
			cp, ok := names[n]
			if !ok || seen[n] {
				continue
			}
			seen[n] = true
			if in, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(cp), 0, 0, 0); !supported(cp) || err != nil || in == 0 {
				missing = append(missing, n)
			}
		}
	}
	if len(missing) > 0 {
		logging.From(ctx).Warn("capabilities not in the runtime's bounding set are not granted", "capabilities", strings.Join(missing, ","))
	}
}
