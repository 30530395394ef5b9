package engine

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/berthproject/berth/internal/config"
	"github.com/moby/moby/api/types/container"
)

// hostsDefault is /etc/hosts of a container with its own network namespace.
const hostsDefault = `127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
fe00::	ip6-localnet
ff00::	ip6-mcastprefix
ff02::1	ip6-allnodes
ff02::2	ip6-allrouters
`

// writeNetworkFiles writes the container's /etc/hostname, /etc/hosts and
// /etc/resolv.conf (bind-mounted into it, as dockerd does). Host-network
// containers get the host's hosts file.
func (e *Engine) writeNetworkFiles(r record) error {
	ins := r.Inspect
	hostname := ins.Config.Hostname
	if hostname == "" {
		hostname, _ = os.Hostname()
	}
	hosts := []byte(hostsDefault)
	if ins.HostConfig.NetworkMode == "host" {
		if b, err := os.ReadFile("/etc/hosts"); err == nil {
			hosts = b
		}
	}
	files := map[string][]byte{
		ins.HostnamePath:   []byte(hostname + "\n"),
		ins.HostsPath:      hosts,
		ins.ResolvConfPath: resolvConf(ins.HostConfig.NetworkMode == "host"),
	}
	for path, data := range files {
		if err := writeFileAtomic(path, data, 0o644); err != nil {
			return err
		}
		if err := e.remapOwner(path, ins.HostConfig, true); err != nil {
			return err
		}
	}
	return nil
}

// remapOwner gives a container's file to its remapped root (uid and gid),
// or a directory to host root with the remapped root's group, so that the
// container's root, an unprivileged host user, can reach its bind-mounted
// files (dockerd does the same). Nothing happens without remapping.
func (e *Engine) remapOwner(path string, hc *container.HostConfig, file bool) error {
	if !e.opts.Userns.Remapped(hc) {
		return nil
	}
	uid, gid := e.opts.Userns.Root()
	if !file {
		uid = 0
	}
	if err := os.Lchown(path, uid, gid); err != nil {
		return fmt.Errorf("remap owner of %s: %w", path, err)
	}
	return nil
}

// resolvConf derives the container's resolv.conf from the host's: loopback
// nameservers are unreachable from another network namespace, so they are
// dropped there, as dockerd does.
func resolvConf(hostNet bool) []byte {
	b, err := os.ReadFile("/etc/resolv.conf")
	if err != nil || hostNet {
		return b
	}
	var out bytes.Buffer
	for _, line := range strings.SplitAfter(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "nameserver" && (strings.HasPrefix(f[1], "127.") || f[1] == "::1") {
			continue
		}
		out.WriteString(line)
	}
	return out.Bytes()
}

// writeFileAtomic writes data to path through a temp file and a rename, so a
// crash never leaves a half-written file.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// logLimits is the json-file cap for a container: its own log options over
// the daemon's defaults.
func (e *Engine) logLimits(opts map[string]string) (int64, int, error) {
	merged := map[string]string{}
	if e.opts.LogMaxSize > 0 {
		merged["max-size"] = fmt.Sprint(e.opts.LogMaxSize)
	}
	if e.opts.LogMaxFiles > 0 {
		merged["max-file"] = fmt.Sprint(e.opts.LogMaxFiles)
	}
	for k, v := range opts {
		merged[k] = v
	}
	return config.ParseLogOpts(merged)
}
