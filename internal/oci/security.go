package oci

import (
	"strconv"
	"strings"

	"github.com/berthproject/berth/errdefs"
)

// SecurityOptions are a container's parsed HostConfig.SecurityOpt.
type SecurityOptions struct {
	NoNewPrivileges bool
	// Seccomp is "", "unconfined", "builtin" or a profile's JSON (the docker
	// CLI sends a profile file's content, not its path).
	Seccomp string
	// AppArmor and Labels are accepted and have no effect: hosts berth runs
	// on have neither AppArmor nor SELinux (dockerd ignores them there too).
	AppArmor string
	Labels   []string
	// WritableCgroups mounts /sys/fs/cgroup read-write (writable-cgroups=true).
	WritableCgroups bool
}

// ParseSecurityOpts parses --security-opt values as dockerd's
// parseSecurityOpt does ("key=value", or the deprecated "key:value").
// Unknown keys and bad booleans are ErrInvalidArgument with dockerd's
// messages.
func ParseSecurityOpts(opts []string) (SecurityOptions, error) {
	var s SecurityOptions
	for _, opt := range opts {
		switch opt {
		case "no-new-privileges":
			s.NoNewPrivileges = true
			continue
		case "disable":
			s.Labels = append(s.Labels, "disable")
			continue
		}
		sep := "="
		if !strings.Contains(opt, "=") {
			sep = ":"
		}
		k, v, ok := strings.Cut(opt, sep)
		if !ok {
			return s, errdefs.Errorf(errdefs.ErrInvalidArgument, "invalid --security-opt 1: %q", opt)
		}
		var err error
		switch k {
		case "label":
			s.Labels = append(s.Labels, v)
		case "apparmor":
			s.AppArmor = v
		case "seccomp":
			s.Seccomp = v
		case "no-new-privileges":
			s.NoNewPrivileges, err = strconv.ParseBool(v)
		case "writable-cgroups":
			s.WritableCgroups, err = strconv.ParseBool(v)
		default:
			err = errdefs.ErrInvalidArgument
		}
		if err != nil {
			return s, errdefs.Errorf(errdefs.ErrInvalidArgument, "invalid --security-opt 2: %q", opt)
		}
	}
	return s, nil
}
