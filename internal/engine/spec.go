package engine

import (
	"bytes"
	"context"
	"io"

	"github.com/berthproject/berth/internal/mount"
	"github.com/berthproject/berth/internal/oci"
	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// buildSpec generates the OCI spec of a container run (internal/oci does
// dockerd's defaults); the user is resolved against the container's own
// /etc/passwd and /etc/group, read from its rootfs without mounting it.
func (e *Engine) buildSpec(ctx context.Context, r record, rootfs []mount.Mount) (*specs.Spec, error) {
	cfg, hc := r.Inspect.Config, r.Inspect.HostConfig
	passwd, group := userFiles(rootfs)
	u, err := oci.ResolveUser(cfg.User, reader(passwd), reader(group))
	if err != nil {
		return nil, err
	}
	gids, err := oci.AdditionalGroups(hc.GroupAdd, reader(group))
	if err != nil {
		return nil, err
	}
	u.AdditionalGids = append(u.AdditionalGids, gids...)
	binds := []specs.Mount{
		{Destination: "/etc/resolv.conf", Type: "bind", Source: r.Inspect.ResolvConfPath, Options: []string{"rbind", "rprivate"}},
		{Destination: "/etc/hostname", Type: "bind", Source: r.Inspect.HostnamePath, Options: []string{"rbind", "rprivate"}},
		{Destination: "/etc/hosts", Type: "bind", Source: r.Inspect.HostsPath, Options: []string{"rbind", "rprivate"}},
	}
	return oci.Generate(oci.Options{
		ID: r.Inspect.ID, Config: cfg, HostConfig: hc, User: u, Rootfs: "rootfs", Mounts: binds,
		CgroupParent:   oci.DefaultCgroupParent,
		SeccompProfile: e.opts.SeccompProfile, NoNewPrivileges: e.opts.NoNewPrivileges,
		Init: e.opts.Init, InitPath: e.opts.InitPath, Userns: e.opts.Userns,
	})
}

// userFiles returns the rootfs's /etc/passwd and /etc/group; a missing file
// is nil (numeric users still resolve).
func userFiles(rootfs []mount.Mount) (passwd, group []byte) {
	passwd, _ = mount.ReadFile(rootfs, "/etc/passwd")
	group, _ = mount.ReadFile(rootfs, "/etc/group")
	return passwd, group
}

// reader is nil for a nil file, which oci treats as empty.
func reader(b []byte) io.Reader {
	if b == nil {
		return nil
	}
	return bytes.NewReader(b)
}

// execProcess builds the process of an exec from the container's spec.
func (e *Engine) execProcess(ctx context.Context, c *Container, cfg container.ExecCreateRequest) (*specs.Process, error) {
	r, _, _ := c.snapshot()
	rootfs, err := e.opts.Snapshots.Mounts(ctx, r.SnapshotKey)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	base := c.spec
	c.mu.Unlock()
	if base == nil {
		// Restored after a daemon restart: regenerate the spec of the run.
		if base, err = e.buildSpec(ctx, r, rootfs); err != nil {
			return nil, err
		}
		c.mu.Lock()
		c.spec = base
		c.mu.Unlock()
	}
	opts := oci.ExecOptions{Exec: cfg, Config: r.Inspect.Config}
	if cfg.User != "" {
		passwd, group := userFiles(rootfs)
		u, err := oci.ResolveUser(cfg.User, reader(passwd), reader(group))
		if err != nil {
			return nil, err
		}
		opts.User = &u
	}
	return oci.ExecProcess(base, opts)
}
