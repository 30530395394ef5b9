package oci

import (
	"slices"
	"strings"
	"testing"

	"github.com/berthproject/berth/errdefs"
	"github.com/moby/moby/api/types/container"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

var testUserns = &UserNamespace{
	UIDs: []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 1000}, {ContainerID: 1000, HostID: 500000, Size: 64536}},
	GIDs: []specs.LinuxIDMapping{{ContainerID: 0, HostID: 200000, Size: 65536}},
}

func TestUsernsIDs(t *testing.T) {
	if uid, gid := testUserns.Root(); uid != 100000 || gid != 200000 {
		t.Errorf("Root() = %d, %d", uid, gid)
	}
	if testUserns.HostUID(1500) != 500500 || testUserns.HostUID(70000) != -1 || testUserns.HostGID(5) != 200005 {
		t.Errorf("HostUID/HostGID wrong")
	}
}

func TestGenerateUserns(t *testing.T) {
	o := baseOptions()
	o.Userns = testUserns
	s := mustGenerate(t, o)
	if !slices.Contains(nsTypes(s), "user") || !slices.Equal(s.Linux.UIDMappings, testUserns.UIDs) || !slices.Equal(s.Linux.GIDMappings, testUserns.GIDs) {
		t.Errorf("namespaces %v, mappings %v %v", nsTypes(s), s.Linux.UIDMappings, s.Linux.GIDMappings)
	}
	if slices.Contains(findMount(s, "/sys/fs/cgroup").Options, "ro") {
		t.Errorf("cgroup mount read-only in a user namespace")
	}
	if v, ok := s.Linux.Sysctl["net.ipv4.ping_group_range"]; ok && v != "0 65535" {
		t.Errorf("ping_group_range = %q, want the mapped groups", v)
	}
	o.HostConfig.Sysctls = map[string]string{"net.ipv4.ping_group_range": "0 10"}
	if v := mustGenerate(t, o).Linux.Sysctl["net.ipv4.ping_group_range"]; v != "0 10" {
		t.Errorf("own ping_group_range replaced: %q", v)
	}

	o = baseOptions()
	o.Userns, o.HostConfig.UsernsMode = testUserns, "host"
	if s := mustGenerate(t, o); slices.Contains(nsTypes(s), "user") || s.Linux.UIDMappings != nil {
		t.Errorf("--userns=host still remapped")
	}
}

func TestCheckUserns(t *testing.T) {
	tests := []struct {
		hc  container.HostConfig
		u   *UserNamespace
		err string
	}{
		{hc: container.HostConfig{}, u: testUserns},
		{hc: container.HostConfig{Privileged: true}, u: nil},
		{hc: container.HostConfig{Privileged: true, UsernsMode: "host"}, u: testUserns},
		{hc: container.HostConfig{UsernsMode: "private"}, u: testUserns, err: "invalid USER mode"},
		{hc: container.HostConfig{Privileged: true}, u: testUserns, err: "privileged mode is incompatible"},
		{hc: container.HostConfig{NetworkMode: "host"}, u: testUserns, err: "host's network namespace"},
		{hc: container.HostConfig{PidMode: "host"}, u: testUserns, err: "host PID namespace"},
	}
	for _, tc := range tests {
		err := CheckUserns(&tc.hc, tc.u)
		if tc.err == "" && err != nil || tc.err != "" && (!errdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%+v: err = %v, want %q", tc.hc, err, tc.err)
		}
	}
}
