package ociruntime

import (
	"errors"
	"fmt"
	"strings"

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

func (s *capSet) applyRest() error {
	if err := s.c.Apply(capability.CAPS); err != nil {
		return fmt.Errorf("apply capabilities: %w", err)
	}
	// Like runc, an ambient capability the kernel refuses (it must also be
	// permitted and inheritable) is skipped, not an error.
	if err := capability.ResetAmbient(); err != nil && !errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("reset ambient capabilities: %w", err)
	}
	for cp := capability.Cap(0); cp <= s.last; cp++ {
		if s.c.Get(capability.AMBIENT, cp) {
			capability.SetAmbient(true, cp)
		}
	}
	return nil
}
