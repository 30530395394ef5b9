package ociruntime_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// recorder is a hook (host /bin/sh) that saves its stdin as DIR/NAME.json
// and appends NAME to DIR/order.
func recorder(dir, name string, extra string) specs.Hook {
	return specs.Hook{Path: "/bin/sh", Args: []string{"sh", "-c",
		"cat > " + dir + "/" + name + ".json; echo " + name + " >> " + dir + "/order; " + extra}}
}

func readState(t *testing.T, path string) specs.State {
	t.Helper()
	var st specs.State
	b, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(b, &st)
	}
	if err != nil {
		t.Fatalf("hook state %s: %v (%q)", path, err, b)
	}
	return st
}

// TestHooksLifecycle runs all six kinds of hooks through create, start and
// delete and checks their order, their namespace and the state they read.
func TestHooksLifecycle(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	e.spec([]string{"sh", "-c", "echo process >> /inside"}, nil, func(s *specs.Spec) {
		s.Annotations = map[string]string{"org.example/hook": "yes"}
		s.Hooks = &specs.Hooks{
			Prestart:        []specs.Hook{recorder(dir, "prestart", "")}, //nolint:staticcheck
			CreateRuntime:   []specs.Hook{recorder(dir, "createRuntime", "")},
			CreateContainer: []specs.Hook{recorder(dir, "createContainer", "readlink /proc/self/ns/mnt > "+dir+"/createContainer.mnt")},
			// resolved in the container: its busybox sh, its /inside
			StartContainer: []specs.Hook{{Path: "/bin/sh", Args: []string{"sh", "-c", "cat > /startContainer.json; echo startContainer >> /inside"}}},
			Poststart:      []specs.Hook{recorder(dir, "poststart", "")},
			Poststop:       []specs.Hook{recorder(dir, "poststop", "")},
		}
	})
	e.must("create", "-b", e.bundle, e.id)
	pid := e.state().Pid
	e.must("start", e.id)
	e.waitStatus("stopped")
	e.must("delete", e.id)

	order, _ := os.ReadFile(filepath.Join(dir, "order"))
	if got := strings.Fields(string(order)); strings.Join(got, " ") != "prestart createRuntime createContainer poststart poststop" {
		t.Errorf("runtime-side hook order: %v", got)
	}
	rootfs := filepath.Join(e.bundle, "rootfs")
	if inside, _ := os.ReadFile(filepath.Join(rootfs, "inside")); string(inside) != "startContainer\nprocess\n" {
		t.Errorf("in the container: %q", inside)
	}
	for name, want := range map[string]string{"prestart": "created", "createRuntime": "created", "createContainer": "created", "poststart": "running", "poststop": "stopped"} {
		st := readState(t, filepath.Join(dir, name+".json"))
		if string(st.Status) != want || st.ID != e.id || st.Bundle != e.bundle || st.Annotations["org.example/hook"] != "yes" {
			t.Errorf("%s hook read %+v, want status %s", name, st, want)
		}
		if name != "poststop" && st.Pid != pid {
			t.Errorf("%s hook read pid %d, want %d", name, st.Pid, pid)
		}
	}
	if st := readState(t, filepath.Join(rootfs, "startContainer.json")); st.Status != "created" || st.Pid != pid {
		t.Errorf("startContainer hook read %+v", st)
	}
	hostMnt, _ := os.Readlink("/proc/self/ns/mnt")
	if mnt, _ := os.ReadFile(filepath.Join(dir, "createContainer.mnt")); strings.TrimSpace(string(mnt)) == hostMnt {
		t.Errorf("createContainer hook ran in the runtime's mount namespace %s", hostMnt)
	}
}

// TestHookFailures checks runtime-spec 1.3's rule for each kind: the create
// hooks fail create and run the poststop hooks; startContainer and
// poststart fail start and stop the container; a failed poststop hook is a
// warning and the next one still runs; a timeout is a failure.
func TestHookFailures(t *testing.T) {
	fail := specs.Hook{Path: "/bin/false"}
	one := 1
	slow := specs.Hook{Path: "/bin/sleep", Args: []string{"sleep", "10"}, Timeout: &one}
	tests := []struct {
		name      string
		hooks     func(dir string) *specs.Hooks
		failsAt   string // create or start; "" = delete warns
		wantErr   string
		poststop  bool // the poststop hook must have run by the end
		maxCreate time.Duration
	}{
		{"prestart", func(d string) *specs.Hooks {
			return &specs.Hooks{Prestart: []specs.Hook{fail}, Poststop: []specs.Hook{recorder(d, "poststop", "")}} //nolint:staticcheck
		}, "create", "prestart hook #0", true, 0},
		{"createRuntime", func(d string) *specs.Hooks {
			return &specs.Hooks{CreateRuntime: []specs.Hook{fail}, Poststop: []specs.Hook{recorder(d, "poststop", "")}}
		}, "create", "createRuntime hook #0", true, 0},
		{"createContainer", func(d string) *specs.Hooks {
			return &specs.Hooks{CreateContainer: []specs.Hook{fail}, Poststop: []specs.Hook{recorder(d, "poststop", "")}}
		}, "create", "createContainer hook #0", true, 0},
		{"timeout", func(d string) *specs.Hooks {
			return &specs.Hooks{CreateRuntime: []specs.Hook{slow}}
		}, "create", "timed out after 1s", false, 3 * time.Second},
		{"startContainer", func(d string) *specs.Hooks {
			return &specs.Hooks{StartContainer: []specs.Hook{{Path: "/bin/false"}}}
		}, "start", "startContainer hook #0", false, 0},
		{"poststart", func(d string) *specs.Hooks {
			return &specs.Hooks{Poststart: []specs.Hook{fail, recorder(d, "poststart2", "")}}
		}, "start", "poststart hook #0", false, 0},
		{"poststop", func(d string) *specs.Hooks {
			return &specs.Hooks{Poststop: []specs.Hook{fail, recorder(d, "poststop", "")}}
		}, "", "warning: container", true, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			dir := t.TempDir()
			e.spec([]string{"sleep", "100"}, nil, func(s *specs.Spec) { s.Hooks = tc.hooks(dir) })
			began := time.Now()
			_, stderr, code := e.run("create", "-b", e.bundle, e.id)
			if tc.failsAt == "create" {
				if code == 0 || !strings.Contains(stderr, tc.wantErr) {
					t.Fatalf("create: exit %d, %q; want an error with %q", code, stderr, tc.wantErr)
				}
				if tc.maxCreate > 0 && time.Since(began) > tc.maxCreate {
					t.Errorf("create took %v", time.Since(began))
				}
				if _, stderr, code := e.run("state", e.id); code == 0 || !strings.Contains(stderr, "not found") {
					t.Errorf("container left after a failed create: %q", stderr)
				}
			} else {
				if code != 0 {
					t.Fatalf("create: %s", stderr)
				}
				_, stderr, code = e.run("start", e.id)
				if tc.failsAt == "start" {
					if code == 0 || !strings.Contains(stderr, tc.wantErr) {
						t.Fatalf("start: exit %d, %q; want an error with %q", code, stderr, tc.wantErr)
					}
					e.waitStatus("stopped")
				} else {
					e.must("kill", e.id, "KILL")
					e.waitStatus("stopped")
					_, stderr, code = e.run("delete", e.id)
					if code != 0 || !strings.Contains(stderr, tc.wantErr) {
						t.Fatalf("delete: exit %d, %q; want success with %q", code, stderr, tc.wantErr)
					}
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "poststop.json")); (err == nil) != tc.poststop {
				t.Errorf("poststop hook ran: %v, want %v", err == nil, tc.poststop)
			}
			if _, err := os.Stat(filepath.Join(dir, "poststart2.json")); err == nil {
				t.Errorf("the poststart hook after a failed one ran")
			}
		})
	}
}
