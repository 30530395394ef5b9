package oci

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/berthproject/berth/errdefs"
	"github.com/moby/moby/api/types/container"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

const passwd = `root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
app:x:1000:1000::/home/app:/bin/sh
`

const group = `root:x:0:
wheel:x:10:app
nogroup:x:65534:
app:x:1000:
`

func TestResolveUser(t *testing.T) {
	tests := []struct {
		spec       string
		noFiles    bool
		want       specs.User
		wantErrMsg string
	}{
		{spec: "", want: specs.User{UID: 0, GID: 0, AdditionalGids: []uint32{0}}},
		{spec: "root", want: specs.User{UID: 0, GID: 0, AdditionalGids: []uint32{0}}},
		{spec: "app", want: specs.User{UID: 1000, GID: 1000, AdditionalGids: []uint32{1000, 10}}},
		{spec: "nobody:nogroup", want: specs.User{UID: 65534, GID: 65534, AdditionalGids: []uint32{65534}}},
		{spec: "65534", noFiles: true, want: specs.User{UID: 65534, GID: 0, AdditionalGids: []uint32{0}}},
		{spec: "1234:5678", noFiles: true, want: specs.User{UID: 1234, GID: 5678, AdditionalGids: []uint32{5678}}},
		{spec: "1234:wheel", want: specs.User{UID: 1234, GID: 10, AdditionalGids: []uint32{10}}},
		{spec: "xyz", wantErrMsg: "unable to find user xyz: no matching entries in passwd file"},
		{spec: "app", noFiles: true, wantErrMsg: "unable to find user app"},
		{spec: "app:nosuchgroup", wantErrMsg: "unable to find group nosuchgroup"},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			var u specs.User
			var err error
			if tc.noFiles {
				u, err = ResolveUser(tc.spec, nil, nil)
			} else {
				u, err = ResolveUser(tc.spec, strings.NewReader(passwd), strings.NewReader(group))
			}
			if tc.wantErrMsg != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErrMsg) || !errors.Is(err, errdefs.ErrInvalidArgument) {
					t.Fatalf("err = %v, want %q (invalid argument)", err, tc.wantErrMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if u.UID != tc.want.UID || u.GID != tc.want.GID || !slices.Equal(u.AdditionalGids, tc.want.AdditionalGids) {
				t.Errorf("got %+v, want %+v", u, tc.want)
			}
		})
	}
}

func TestAdditionalGroups(t *testing.T) {
	got, err := AdditionalGroups([]string{"wheel", "4242"}, strings.NewReader(group))
	if err != nil || !slices.Equal(got, []uint32{10, 4242}) {
		t.Errorf("got %v, %v", got, err)
	}
	if _, err := AdditionalGroups([]string{"nope"}, strings.NewReader(group)); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("unknown group: err = %v", err)
	}
}

func TestEffectiveUser(t *testing.T) {
	img := imageWithUser("img")
	if got := EffectiveUser(&container.Config{User: "u"}, img); got != "u" {
		t.Errorf("got %q", got)
	}
	if got := EffectiveUser(&container.Config{}, img); got != "img" {
		t.Errorf("got %q", got)
	}
	if got := EffectiveUser(nil, img); got != "img" {
		t.Errorf("got %q", got)
	}
}

func TestExecProcess(t *testing.T) {
	o := baseOptions()
	o.Config.Env = []string{"A=1"}
	base := mustGenerate(t, o)
	cfg := MergeImageConfig(o.Config, o.Image)
	cfg.Hostname = base.Hostname
	u := specs.User{UID: 65534, GID: 65534}
	tests := []struct {
		name  string
		opts  ExecOptions
		check func(*specs.Process) bool
	}{
		{"plain", ExecOptions{Exec: container.ExecCreateRequest{Cmd: []string{"ps"}}, Config: &cfg}, func(p *specs.Process) bool {
			return slices.Equal(p.Args, []string{"ps"}) && p.Cwd == "/" && !p.Terminal &&
				slices.Equal(p.Env, []string{"PATH=/img/bin", "HOSTNAME=" + base.Hostname, "A=1"}) &&
				slices.Equal(p.Capabilities.Bounding, DefaultCapabilities())
		}},
		{"tty env cwd user", ExecOptions{Exec: container.ExecCreateRequest{Cmd: []string{"sh"}, Tty: true, Env: []string{"A=2", "B=3"}, WorkingDir: "/tmp"}, Config: &cfg, User: &u}, func(p *specs.Process) bool {
			return p.Terminal && p.Cwd == "/tmp" && p.User.UID == 65534 &&
				slices.Equal(p.Env, []string{"PATH=/img/bin", "HOSTNAME=" + base.Hostname, "TERM=xterm", "A=2", "B=3"})
		}},
		{"privileged", ExecOptions{Exec: container.ExecCreateRequest{Cmd: []string{"sh"}, Privileged: true}, Config: &cfg}, func(p *specs.Process) bool {
			return len(p.Capabilities.Bounding) > 14
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ExecProcess(base, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(p) {
				t.Errorf("process does not match: %+v", p)
			}
		})
	}
	if base.Process.Args[0] != "sh" {
		t.Errorf("ExecProcess modified the base spec")
	}
	if _, err := ExecProcess(base, ExecOptions{}); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("empty cmd: err = %v", err)
	}
}

func imageWithUser(u string) (img ocispec.ImageConfig) {
	img.User = u
	return img
}
