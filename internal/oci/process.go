package oci

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/berthproject/berth/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/sys/user"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// MergeImageConfig returns cfg completed from the image config the way
// dockerd's merge() does at create time: User, Env (image variables the
// container does not set are appended), Entrypoint/Cmd, WorkingDir and
// StopSignal. An explicitly empty (non-nil) Entrypoint clears the image's.
// cfg itself is not modified.
func MergeImageConfig(cfg *container.Config, img ocispec.ImageConfig) container.Config {
	out := container.Config{}
	if cfg != nil {
		out = *cfg
	}
	if out.User == "" {
		out.User = img.User
	}
	out.Env = mergeImageEnv(out.Env, img.Env)
	if len(out.Entrypoint) == 0 {
		if len(out.Cmd) == 0 {
			out.Cmd = img.Cmd
		}
		if out.Entrypoint == nil {
			out.Entrypoint = img.Entrypoint
		}
	}
	if out.WorkingDir == "" {
		out.WorkingDir = img.WorkingDir
	}
	if out.StopSignal == "" {
		out.StopSignal = img.StopSignal
	}
	out.Labels = mergeLabels(out.Labels, img.Labels)
	for p := range img.ExposedPorts {
		if port, err := network.ParsePort(p); err == nil {
			if out.ExposedPorts == nil {
				out.ExposedPorts = network.PortSet{}
			}
			out.ExposedPorts[port] = struct{}{}
		}
	}
	for v := range img.Volumes {
		if out.Volumes == nil {
			out.Volumes = map[string]struct{}{}
		}
		out.Volumes[v] = struct{}{}
	}
	return out
}

// mergeLabels adds the image's labels the container does not set (always a
// non-nil map, as dockerd shows Labels: {}).
func mergeLabels(own, img map[string]string) map[string]string {
	out := make(map[string]string, len(own)+len(img))
	for k, v := range img {
		out[k] = v
	}
	for k, v := range own {
		out[k] = v
	}
	return out
}

func mergeImageEnv(user, image []string) []string {
	if len(user) == 0 {
		return append([]string(nil), image...)
	}
	out := append([]string(nil), user...)
	for _, ie := range image {
		k, _, _ := strings.Cut(ie, "=")
		if !hasEnvKey(user, k) {
			out = append(out, ie)
		}
	}
	return out
}

func hasEnvKey(env []string, key string) bool {
	for _, e := range env {
		if k, _, _ := strings.Cut(e, "="); k == key {
			return true
		}
	}
	return false
}

// ReplaceOrAppendEnv sets each K=V of extra in base (a bare K removes it),
// like moby's ReplaceOrAppendEnvValues.
func ReplaceOrAppendEnv(base, extra []string) []string {
	out := append([]string(nil), base...)
	for _, kv := range extra {
		k, _, hasValue := strings.Cut(kv, "=")
		idx := -1
		for i, e := range out {
			if ek, _, _ := strings.Cut(e, "="); ek == k {
				idx = i
			}
		}
		switch {
		case idx >= 0 && hasValue:
			out[idx] = kv
		case idx >= 0:
			out = append(out[:idx], out[idx+1:]...)
		case hasValue:
			out = append(out, kv)
		}
	}
	return out
}

// daemonEnv is dockerd's CreateDaemonEnvironment: PATH, HOSTNAME, TERM for a
// tty, then the container's own variables on top.
func daemonEnv(hostname string, tty bool, env []string) []string {
	base := []string{"PATH=" + DefaultPathEnv, "HOSTNAME=" + hostname}
	if tty {
		base = append(base, "TERM=xterm")
	}
	return ReplaceOrAppendEnv(base, env)
}

// processArgs is Entrypoint followed by Cmd (of a merged config).
func processArgs(cfg container.Config) ([]string, error) {
	args := append(append([]string(nil), cfg.Entrypoint...), cfg.Cmd...)
	if len(args) == 0 || (len(args) == 1 && args[0] == "") {
		return nil, fmt.Errorf("no command specified: %w", errdefs.ErrInvalidArgument)
	}
	return args, nil
}

// EffectiveUser is the USER a container runs as: its own, else the image's.
func EffectiveUser(cfg *container.Config, img ocispec.ImageConfig) string {
	if cfg != nil && cfg.User != "" {
		return cfg.User
	}
	return img.User
}

// ResolveUser resolves a Docker user spec ("", "name", "uid", "name:group",
// "uid:gid") against the container's passwd and group files (either may be
// nil: numeric ids work without them). As dockerd does, AdditionalGids holds
// the primary gid first, then the user's supplementary groups.
func ResolveUser(spec string, passwd, group io.Reader) (specs.User, error) {
	defaults := &user.ExecUser{Uid: 0, Gid: 0, Home: "/"}
	if passwd == nil {
		passwd = strings.NewReader("")
	}
	if group == nil {
		group = strings.NewReader("")
	}
	eu, err := user.GetExecUser(spec, defaults, passwd, group)
	if err != nil {
		if errors.Is(err, user.ErrRange) {
			return specs.User{}, fmt.Errorf("user %q: %w: %w", spec, err, errdefs.ErrInvalidArgument)
		}
		return specs.User{}, fmt.Errorf("%w: %w", err, errdefs.ErrInvalidArgument)
	}
	u := specs.User{UID: uint32(eu.Uid), GID: uint32(eu.Gid), AdditionalGids: []uint32{uint32(eu.Gid)}}
	for _, g := range eu.Sgids {
		u.AdditionalGids = append(u.AdditionalGids, uint32(g))
	}
	return u, nil
}

// AdditionalGroups resolves HostConfig.GroupAdd (names or numbers) against
// the container's group file (nil: numbers only).
func AdditionalGroups(groupAdd []string, group io.Reader) ([]uint32, error) {
	if len(groupAdd) == 0 {
		return nil, nil
	}
	if group == nil {
		group = strings.NewReader("")
	}
	gids, err := user.GetAdditionalGroups(groupAdd, group)
	if err != nil {
		return nil, fmt.Errorf("group-add %v: %w: %w", groupAdd, err, errdefs.ErrInvalidArgument)
	}
	out := make([]uint32, len(gids))
	for i, g := range gids {
		out[i] = uint32(g)
	}
	return out, nil
}

// ExecOptions is what ExecProcess needs beyond the container's spec.
type ExecOptions struct {
	// Exec is the API request (Cmd, Env, WorkingDir, Tty, Privileged, ConsoleSize);
	// its User must already be resolved into User.
	Exec container.ExecCreateRequest
	// Config is the container's merged config (its Env and Hostname).
	Config *container.Config
	// User is Exec.User resolved with ResolveUser; nil keeps the container's user.
	User *specs.User
}

// ExecProcess builds the process of `docker exec` from the container's spec:
// the same capabilities (all of the host's with Privileged), no_new_privs,
// rlimits, apparmor and OOM score; env as dockerd builds it (PATH, HOSTNAME,
// TERM for a tty, the container's env, then the exec's); cwd from the request
// or the container's.
func ExecProcess(base *specs.Spec, o ExecOptions) (*specs.Process, error) {
	if base == nil || base.Process == nil {
		return nil, fmt.Errorf("exec: container spec has no process: %w", errdefs.ErrInvalidArgument)
	}
	if len(o.Exec.Cmd) == 0 {
		return nil, fmt.Errorf("exec: no command specified: %w", errdefs.ErrInvalidArgument)
	}
	p := *base.Process
	p.Args = append([]string(nil), o.Exec.Cmd...)
	p.Terminal = o.Exec.Tty
	p.ConsoleSize = nil
	if o.Exec.Tty && o.Exec.ConsoleSize != nil {
		p.ConsoleSize = &specs.Box{Height: o.Exec.ConsoleSize[0], Width: o.Exec.ConsoleSize[1]}
	}
	var cenv []string
	hostname := base.Hostname
	if o.Config != nil {
		cenv = o.Config.Env
		if o.Config.Hostname != "" {
			hostname = o.Config.Hostname
		}
	}
	p.Env = ReplaceOrAppendEnv(daemonEnv(hostname, o.Exec.Tty, cenv), o.Exec.Env)
	if o.Exec.WorkingDir != "" {
		p.Cwd = o.Exec.WorkingDir
	}
	if o.User != nil {
		p.User = *o.User
	}
	if o.Exec.Privileged {
		all, err := hostCapabilities()
		if err != nil {
			return nil, err
		}
		p.Capabilities = &specs.LinuxCapabilities{Bounding: all, Effective: all, Permitted: all}
	}
	return &p, nil
}
