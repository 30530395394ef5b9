package oci

import (
	"fmt"
	"strings"

	"github.com/berthproject/berth/errdefs"
	"github.com/moby/sys/capability"
)

// hostCapabilities is every capability this kernel knows that is in our
// bounding set: what --privileged gets (dockerd's GetAllCapabilities).
func hostCapabilities() ([]string, error) {
	c, err := capability.NewPid2(0)
	if err == nil {
		err = c.Load()
	}
	if err != nil {
		return nil, fmt.Errorf("read capability bounding set: %w", err)
	}
	supported, err := capability.ListSupported()
	if err != nil {
		return nil, fmt.Errorf("list capabilities: %w", err)
	}
	var out []string
	for _, cp := range supported {
		if c.Get(capability.BOUNDING, cp) {
			out = append(out, capName(cp))
		}
	}
	return out, nil
}

func capName(c capability.Cap) string { return "CAP_" + strings.ToUpper(c.String()) }

// normalizeCaps upper-cases names, adds the CAP_ prefix, keeps "ALL", and
// refuses names the kernel does not know or that this host cannot grant.
func normalizeCaps(list []string, available []string) ([]string, error) {
	known := map[string]bool{}
	for _, c := range capability.ListKnown() {
		known[capName(c)] = true
	}
	var out []string
	for _, c := range list {
		c = strings.ToUpper(c)
		if c != "ALL" && !strings.HasPrefix(c, "CAP_") {
			c = "CAP_" + c
		}
		switch {
		case c == "ALL":
		case !known[c]:
			return nil, fmt.Errorf("unknown capability: %q: %w", c, errdefs.ErrInvalidArgument)
		case !contains(available, c):
			return nil, fmt.Errorf("capability not supported by your kernel or not available in the current environment: %q: %w", c, errdefs.ErrInvalidArgument)
		}
		out = append(out, c)
	}
	return out, nil
}

// containerCaps is dockerd's TweakCapabilities: all of the host's for
// privileged, else the defaults with CapDrop removed and CapAdd added, with
// "ALL" meaning every available capability.
func containerCaps(adds, drops []string, privileged bool) ([]string, error) {
	if !privileged && len(adds) == 0 && len(drops) == 0 {
		return DefaultCapabilities(), nil
	}
	available, err := hostCapabilities()
	if err != nil {
		return nil, err
	}
	if privileged {
		return available, nil
	}
	capDrop, err := normalizeCaps(drops, available)
	if err != nil {
		return nil, err
	}
	capAdd, err := normalizeCaps(adds, available)
	if err != nil {
		return nil, err
	}
	var caps []string
	switch {
	case contains(capAdd, "ALL"):
		for _, c := range available {
			if !contains(capDrop, c) {
				caps = append(caps, c)
			}
		}
	case contains(capDrop, "ALL"):
		caps = capAdd
	default:
		for _, c := range DefaultCapabilities() {
			if !contains(capDrop, c) {
				caps = append(caps, c)
			}
		}
		for _, c := range capAdd {
			if !contains(caps, c) {
				caps = append(caps, c)
			}
		}
	}
	return caps, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
