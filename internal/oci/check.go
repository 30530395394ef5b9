package oci

import (
	"strings"

	"github.com/berthproject/berth/errdefs"
	"github.com/moby/moby/api/types/container"
)

// CheckHostConfig validates, at create time, the settings Generate would
// only refuse at start: security options (and a custom seccomp profile),
// capabilities, ulimits against this host's hard limits, device paths and
// sysctls. dockerd leaves most of these to the runtime, which fails with an
// opaque message at start; berth names the problem before anything exists.
func CheckHostConfig(hc *container.HostConfig) error {
	sec, err := ParseSecurityOpts(hc.SecurityOpt)
	if err != nil {
		return err
	}
	caps, err := containerCaps(hc.CapAdd, hc.CapDrop, hc.Privileged)
	if err != nil {
		return err
	}
	if _, err := seccompFor(sec.Seccomp, "", hc.Privileged, caps); err != nil {
		return err
	}
	if _, err := rlimits(hc.Ulimits, nil); err != nil {
		return err
	}
	if !hc.Privileged {
		if _, _, err := deviceMappings(hc.Devices); err != nil {
			return err
		}
	}
	return checkSysctls(hc)
}

// ipcSysctls are the sysctls of the IPC namespace (besides fs.mqueue.*).
var ipcSysctls = map[string]bool{
	"kernel.msgmax": true, "kernel.msgmnb": true, "kernel.msgmni": true, "kernel.sem": true,
	"kernel.shmall": true, "kernel.shmmax": true, "kernel.shmmni": true, "kernel.shm_rmid_forced": true,
}

// checkSysctls allows only sysctls of a namespace the container has of its
// own (runc's rules; dockerd's message for net.* in host network mode).
func checkSysctls(hc *container.HostConfig) error {
	for k := range hc.Sysctls {
		switch {
		case ipcSysctls[k] || strings.HasPrefix(k, "fs.mqueue."):
			if hc.IpcMode.IsHost() {
				return errdefs.Errorf(errdefs.ErrInvalidArgument, "sysctl %q is not allowed in the host's ipc namespace", k)
			}
		case strings.HasPrefix(k, "net."):
			if hc.NetworkMode.IsHost() {
				return errdefs.Errorf(errdefs.ErrInvalidArgument, "sysctl %q is not allowed in host network mode", k)
			}
		case k == "kernel.domainname" && !hc.UTSMode.IsHost():
		case k == "kernel.hostname" && !hc.UTSMode.IsHost():
			return errdefs.Errorf(errdefs.ErrInvalidArgument, `sysctl "kernel.hostname" is not allowed; it conflicts with the OCI "hostname" field`)
		default:
			return errdefs.Errorf(errdefs.ErrInvalidArgument, "sysctl %q is not in a separate kernel namespace", k)
		}
	}
	return nil
}
