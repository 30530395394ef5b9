package engine

import (
	"syscall"
	"testing"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/backend"
	"github.com/berthproject/berth/internal/oci"
	"github.com/berthproject/berth/internal/runner"
	"github.com/berthproject/berth/internal/testutil"
	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestUsernsRemap: a remapped container's bundle asks for a remapped
// rootfs, its spec has the mappings, and its files belong to its root.
func TestUsernsRemap(t *testing.T) {
	testutil.RequirePrivileged(t, testutil.NeedRoot) // chown
	env := newEnv(t)
	env.eng.opts.Userns = &oci.UserNamespace{
		UIDs: []specs.LinuxIDMapping{{ContainerID: 0, HostID: 300000, Size: 65536}},
		GIDs: []specs.LinuxIDMapping{{ContainerID: 0, HostID: 310000, Size: 65536}},
	}
	var got runner.Bundle
	env.fr.Hooks.Create = func(b runner.Bundle) error { got = b; return nil }
	id := env.startSleeper(t, container.Resources{})
	if !got.RemapRootfs || len(got.Spec.Linux.UIDMappings) != 1 {
		t.Errorf("bundle: RemapRootfs %v, uid mappings %v", got.RemapRootfs, got.Spec.Linux.UIDMappings)
	}
	v, _ := env.eng.ContainerInspect(t.Context(), id, backend.InspectOptions{})
	for path, want := range map[string][2]uint32{
		env.eng.containerDir(id): {0, 310000},
		v.HostsPath:              {300000, 310000},
		v.ResolvConfPath:         {300000, 310000},
	} {
		var st syscall.Stat_t
		if err := syscall.Stat(path, &st); err != nil || st.Uid != want[0] || st.Gid != want[1] {
			t.Errorf("%s owned by %d:%d (%v), want %v", path, st.Uid, st.Gid, err, want)
		}
	}
	_, err := env.eng.ContainerCreate(t.Context(), backend.CreateConfig{
		Config: &container.Config{Image: "busybox"}, HostConfig: &container.HostConfig{Privileged: true},
	})
	if !errdefs.IsInvalidArgument(err) {
		t.Errorf("privileged with remapping: %v", err)
	}
}
