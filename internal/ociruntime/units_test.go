package ociruntime

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/berthproject/berth/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestParseSignal(t *testing.T) {
	tests := []struct {
		in   string
		want unix.Signal
		ok   bool
	}{
		{"KILL", unix.SIGKILL, true}, {"SIGKILL", unix.SIGKILL, true}, {"9", unix.SIGKILL, true},
		{"term", unix.SIGTERM, true}, {"SIGUSR1", unix.SIGUSR1, true}, {"0", 0, false},
		{"65", 0, false}, {"NOPE", 0, false},
	}
	for _, tc := range tests {
		got, err := parseSignal(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseSignal(%q) = %v, %v", tc.in, got, err)
		}
		if err != nil && !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("parseSignal(%q): error kind %v", tc.in, err)
		}
	}
}

func TestParseMountOptions(t *testing.T) {
	tests := []struct {
		opts  []string
		flags uintptr
		prop  []uintptr
		data  string
	}{
		{[]string{"nosuid", "noexec", "nodev"}, unix.MS_NOSUID | unix.MS_NOEXEC | unix.MS_NODEV, nil, ""},
		{[]string{"rbind", "ro", "rprivate"}, unix.MS_BIND | unix.MS_REC | unix.MS_RDONLY, []uintptr{unix.MS_PRIVATE | unix.MS_REC}, ""},
		{[]string{"ro", "rw", "mode=755", "size=65536k"}, 0, nil, "mode=755,size=65536k"},
		{[]string{"nosuid", "strictatime", "rro", "idmap"}, unix.MS_NOSUID | unix.MS_STRICTATIME, nil, ""},
		{[]string{"newinstance", "ptmxmode=0666"}, 0, nil, "newinstance,ptmxmode=0666"},
	}
	for _, tc := range tests {
		o := parseMountOptions(tc.opts)
		if o.flags != tc.flags || !slices.Equal(o.propagation, tc.prop) || o.data != tc.data {
			t.Errorf("parseMountOptions(%v) = %#x %v %q", tc.opts, o.flags, o.propagation, o.data)
		}
	}
	if !isBind("none", parseMountOptions([]string{"rbind"})) || isBind("tmpfs", parseMountOptions(nil)) || !isBind("bind", mountOpts{}) {
		t.Errorf("isBind")
	}
}

func TestPlanNamespaces(t *testing.T) {
	spec := &specs.Spec{Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{
		{Type: specs.MountNamespace}, {Type: specs.PIDNamespace}, {Type: specs.CgroupNamespace},
		{Type: specs.NetworkNamespace, Path: "/run/netns/x"}, {Type: specs.UserNamespace, Path: "/proc/1/ns/user"},
	}}}
	p, err := planNamespaces(spec)
	if err != nil {
		t.Fatal(err)
	}
	if p.flags != unix.CLONE_NEWNS|unix.CLONE_NEWPID || !p.newCgroup || p.joinsPid() {
		t.Errorf("plan = %+v", p)
	}
	if got := p.nsenterEnv(); got != "user:/proc/1/ns/user,net:/run/netns/x" {
		t.Errorf("nsenter env = %q (user must come first)", got)
	}
	spec.Linux.Namespaces = append(spec.Linux.Namespaces, specs.LinuxNamespace{Type: specs.PIDNamespace})
	if _, err := planNamespaces(spec); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("duplicate namespace: %v", err)
	}
	spec.Linux.Namespaces = []specs.LinuxNamespace{{Type: "bogus"}}
	if _, err := planNamespaces(spec); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("unknown namespace: %v", err)
	}
}

func TestExecPlan(t *testing.T) {
	spec := &specs.Spec{Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{
		{Type: specs.MountNamespace}, {Type: specs.PIDNamespace}, {Type: specs.NetworkNamespace, Path: "/x"},
	}}}
	p := execPlan(spec, 42)
	if got := p.nsenterEnv(); got != "net:/proc/42/ns/net,pid:/proc/42/ns/pid,mnt:/proc/42/ns/mnt" || !p.joinsPid() {
		t.Errorf("exec plan = %q", got)
	}
}

func TestExecProcess(t *testing.T) {
	base := &specs.Process{Args: []string{"sh"}, Env: []string{"A=1", "PATH=/bin"}, Cwd: "/", User: specs.User{UID: 0},
		Capabilities: &specs.LinuxCapabilities{Bounding: []string{"CAP_KILL"}}, NoNewPrivileges: true}
	p, err := execProcess(base, execOpts{env: stringList{"A=2", "B=3"}, cwd: "/tmp", user: "1000:1001", addGids: stringList{"7"}, tty: true}, []string{"ps", "aux"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Args, []string{"ps", "aux"}) || !slices.Equal(p.Env, []string{"A=2", "PATH=/bin", "B=3"}) ||
		p.Cwd != "/tmp" || p.User.UID != 1000 || p.User.GID != 1001 || !slices.Equal(p.User.AdditionalGids, []uint32{7}) ||
		!p.Terminal || !p.NoNewPrivileges || p.Capabilities.Bounding[0] != "CAP_KILL" {
		t.Errorf("process = %+v", p)
	}
	if base.Args[0] != "sh" || base.Env[0] != "A=1" {
		t.Errorf("base process modified")
	}
	if _, err := execProcess(base, execOpts{}, nil); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("no args: %v", err)
	}
	if _, err := execProcess(base, execOpts{user: "app"}, []string{"x"}); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("named user: %v", err)
	}
	f := filepath.Join(t.TempDir(), "p.json")
	b, _ := json.Marshal(specs.Process{Args: []string{"id"}, Cwd: "/"})
	os.WriteFile(f, b, 0o644)
	if p, err := execProcess(base, execOpts{process: f}, nil); err != nil || p.Args[0] != "id" {
		t.Errorf("--process: %+v, %v", p, err)
	}
}

func TestValidateSpec(t *testing.T) {
	ok := &specs.Spec{Process: &specs.Process{Args: []string{"x"}, Cwd: "/"}, Root: &specs.Root{Path: "rootfs"}}
	if err := validateSpec(ok); err != nil {
		t.Errorf("valid spec: %v", err)
	}
	noProcess := &specs.Spec{Root: &specs.Root{Path: "rootfs"}}
	if err := validateSpec(noProcess); err != nil {
		t.Errorf("a spec without process is valid until start: %v", err)
	}
	for _, bad := range []*specs.Spec{
		{Process: &specs.Process{Cwd: "/"}, Root: &specs.Root{Path: "r"}},
		{Process: &specs.Process{Args: []string{"x"}, Cwd: "rel"}, Root: &specs.Root{Path: "r"}},
		{Process: &specs.Process{Args: []string{"x"}}},
	} {
		if err := validateSpec(bad); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("validateSpec(%+v) = %v", bad, err)
		}
	}
}

func TestContainerIDs(t *testing.T) {
	for _, id := range []string{"abc", "a.b-c_d+1"} {
		if _, err := containerDir("/r", id); err != nil {
			t.Errorf("%q: %v", id, err)
		}
	}
	for _, id := range []string{"", "..", "a/b", "a b", "$x"} {
		if _, err := containerDir("/r", id); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("%q accepted", id)
		}
	}
}

func TestLogger(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.json")
	l, closeLog, err := newLogger(path, "json", false)
	if err != nil {
		t.Fatal(err)
	}
	l.Error("create: container \"x\": boom")
	closeLog()
	b, _ := os.ReadFile(path)
	var entry map[string]string
	if err := json.Unmarshal(b, &entry); err != nil || entry["level"] != "error" || !strings.Contains(entry["msg"], "boom") {
		t.Errorf("log entry %s: %v", b, err)
	}
	if _, _, err := newLogger(path, "xml", false); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("bad format: %v", err)
	}
}

func TestMainErrors(t *testing.T) {
	root := t.TempDir()
	for _, args := range [][]string{
		{"berth-runtime"},
		{"berth-runtime", "--root", root, "bogus"},
		{"berth-runtime", "--root", root, "--systemd-cgroup", "state", "x"},
		{"berth-runtime", "--root", root, "state", "nope"},
		{"berth-runtime", "--root", root, "kill", "nope", "KILL"},
	} {
		if code := Main(args); code != 1 {
			t.Errorf("Main(%v) = %d, want 1", args, code)
		}
	}
	if code := Main([]string{"berth-runtime", "--root", root, "list", "-q"}); code != 0 {
		t.Errorf("list on an empty root = %d", code)
	}
}
