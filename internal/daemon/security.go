package daemon

import (
	"context"
	"fmt"
	"os"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/config"
	"github.com/berthproject/berth/internal/logging"
	"github.com/berthproject/berth/internal/oci"
)

// security is what the daemon's security options resolve to.
type security struct {
	seccomp  string // "", "unconfined", or a profile's JSON
	initPath string // berth-init, or "" when there is none
	// options are `docker info`'s SecurityOptions.
	options []string
}

// securityDefaults reads the daemon's seccomp profile (checked now, so a bad
// file stops berthd instead of every container start) and finds berth-init.
func securityDefaults(ctx context.Context, cfg config.Config) (security, error) {
	var s security
	switch p := cfg.SeccompProfile; p {
	case "", oci.SeccompBuiltin:
	case oci.SeccompUnconfined:
		s.seccomp = p
	default:
		b, err := os.ReadFile(p)
		if err != nil {
			return s, errdefs.Errorf(errdefs.ErrInvalidArgument, "seccomp-profile: %w", err)
		}
		if _, err := oci.LoadSeccomp(string(b), oci.DefaultCapabilities()); err != nil {
			return s, fmt.Errorf("seccomp-profile %s: %w", p, err)
		}
		s.seccomp = string(b)
	}
	if oci.SeccompSupported() {
		profile := cfg.SeccompProfile
		if profile == "" {
			profile = oci.SeccompBuiltin
		}
		s.options = append(s.options, "name=seccomp,profile="+profile)
	}
	if cfg.NoNewPrivileges {
		s.options = append(s.options, "name=no-new-privileges")
	}
	s.initPath = cfg.InitPath
	if s.initPath == "" {
		s.initPath = findBinary("berth-init")
	}
	if s.initPath == "" {
		logging.From(ctx).Warn("berth-init not found next to berthd or in PATH: --init is unavailable")
	} else if !isExecutable(s.initPath) {
		return s, errdefs.Errorf(errdefs.ErrInvalidArgument, "init-path %s is not an executable file", s.initPath)
	}
	return s, nil
}
