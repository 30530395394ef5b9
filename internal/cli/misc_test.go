package cli

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/api/types/system"
)

func TestInspect(t *testing.T) {
	raw := `{"Id":"cid","Name":"/web","State":{"Status":"running","Running":true},"Config":{"Tty":false,"Labels":{"a":"1"}},"Extra":{"K":"v"}}`
	d := newDaemon(t, map[string]http.HandlerFunc{
		"GET /containers/web/json":  func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, raw) },
		"GET /containers/nope/json": errRoute(404, "No such container: nope"),
		"GET /images/nope/json":     errRoute(404, "No such image: nope:latest"),
		"GET /networks/nope":        errRoute(404, "network nope not found"),
		"GET /volumes/nope":         errRoute(404, "get nope: no such volume"),
	})
	tests := []struct {
		args           []string
		stdout, stderr string
		code           int
	}{
		{[]string{"inspect", "-f", "{{.Name}} {{.State.Status}} {{json .Config.Labels}}", "web"}, "/web running {\"a\":\"1\"}\n", "", 0},
		{[]string{"inspect", "-f", "{{.Extra.K}}", "web"}, "v\n", "", 0}, // falls back to the raw JSON
		{[]string{"inspect", "-f", "json", "web"}, "[" + raw + "]\n", "", 0},
		{[]string{"container", "inspect", "web", "nope"}, "[\n    {\n        \"Id\": \"cid\",", "Error response from daemon: No such container: nope\n", 1},
		{[]string{"inspect", "nope"}, "[]\n", "Error: No such object: nope\n", 1},
		{[]string{"inspect", "--type", "bogus", "nope"}, "", `unknown type: "bogus"`, 1},
		{[]string{"inspect", "-f", "{{", "web"}, "", "template parsing error", 64},
	}
	for _, tc := range tests {
		r := runCLI(t, d.host(), "", tc.args...)
		if r.code != tc.code || !strings.HasPrefix(r.stdout, tc.stdout) || !strings.Contains(r.stderr, tc.stderr) {
			t.Errorf("%v: code %d stdout %q stderr %q", tc.args, r.code, r.stdout, r.stderr)
		}
	}
}

func TestLogsAndExec(t *testing.T) {
	exit := 5
	d := newDaemon(t, map[string]http.HandlerFunc{
		"GET /containers/web/json": jsonRoute(container.InspectResponse{ID: "cid", Config: &container.Config{}}),
		"GET /containers/cid/logs": func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write(frame(1, "to out\n"))
			_, _ = w.Write(frame(2, "to err\n"))
		},
		"POST /containers/web/exec": jsonRoute(container.ExecCreateResponse{ID: "e1"}),
		"POST /exec/e1/start": func(w http.ResponseWriter, _ *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			defer conn.Close()
			_, _ = io.WriteString(conn, "HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n")
			_, _ = conn.Write(frame(1, "exec out\n"))
		},
		"GET /exec/e1/json": jsonRoute(container.ExecInspectResponse{ExitCode: &exit}),
	})
	r := runCLI(t, d.host(), "", "logs", "--tail", "2", "-t", "web")
	if r.code != 0 || r.stdout != "to out\n" || r.stderr != "to err\n" {
		t.Errorf("logs: %+v", r)
	}
	if c, _ := d.find("GET", "/containers/cid/logs"); c.Query != "stderr=1&stdout=1&tail=2&timestamps=1" {
		t.Errorf("logs query %q", c.Query)
	}
	r = runCLI(t, d.host(), "", "exec", "-e", "A=1", "-u", "nobody", "web", "sh", "-c", "exit 5")
	if r.code != 5 || r.stdout != "exec out\n" {
		t.Errorf("exec: %+v", r)
	}
	if c, _ := d.find("POST", "/containers/web/exec"); !strings.Contains(c.Body, `"Cmd":["sh","-c","exit 5"]`) || !strings.Contains(c.Body, `"Env":["A=1"]`) {
		t.Errorf("exec body %s", c.Body)
	}
}

func TestMultiContainerErrors(t *testing.T) {
	d := newDaemon(t, map[string]http.HandlerFunc{
		"DELETE /containers/a":    func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) },
		"DELETE /containers/b":    errRoute(404, "No such container: b"),
		"DELETE /containers/c":    errRoute(409, "You cannot remove a running container c"),
		"POST /containers/a/stop": func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) },
		"POST /containers/a/kill": func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) },
	})
	r := runCLI(t, d.host(), "", "rm", "a", "b", "c")
	want := "Error response from daemon: No such container: b\nError response from daemon: You cannot remove a running container c\n"
	if r.code != 1 || r.stdout != "a\n" || r.stderr != want {
		t.Errorf("rm: %+v", r)
	}
	r = runCLI(t, d.host(), "", "rm", "-f", "a", "b")
	if r.code != 0 || r.stdout != "a\n" || r.stderr != "Error response from daemon: No such container: b\n" {
		t.Errorf("rm -f: %+v", r)
	}
	r = runCLI(t, d.host(), "", "stop", "-t", "3", "-s", "INT", "a")
	if c, _ := d.find("POST", "/containers/a/stop"); r.code != 0 || c.Query != "signal=INT&t=3" {
		t.Errorf("stop: %+v query %q", r, c.Query)
	}
	r = runCLI(t, d.host(), "", "kill", "-s", "HUP", "a")
	if c, _ := d.find("POST", "/containers/a/kill"); r.code != 0 || r.stdout != "a\n" || c.Query != "signal=HUP" {
		t.Errorf("kill: %+v query %q", r, c.Query)
	}
}

func TestDaemonDown(t *testing.T) {
	r := runCLI(t, "unix://"+t.TempDir()+"/none.sock", "", "ps")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "Cannot connect to the Berth daemon at unix://") {
		t.Errorf("%+v", r)
	}
}

func TestHostSelection(t *testing.T) {
	tests := []struct {
		flag, dockerHost, berthHost, want string
	}{
		{"tcp://1.2.3.4:1", "unix:///d.sock", "unix:///b.sock", "tcp://1.2.3.4:1"},
		{"", "unix:///d.sock", "unix:///b.sock", "unix:///d.sock"},
		{"", "", "unix:///b.sock", "unix:///b.sock"},
		{"", "", "", "unix:///run/berth/berth.sock"},
	}
	for _, tc := range tests {
		env := map[string]string{"DOCKER_HOST": tc.dockerHost, "BERTH_HOST": tc.berthHost}
		c := &CLI{env: func(k string) string { return env[k] }}
		if tc.flag != "" {
			c.opts.hosts = []string{tc.flag}
		}
		if got, err := c.host(); err != nil || got != tc.want {
			t.Errorf("%+v: got %q, %v", tc, got, err)
		}
	}
}

func TestVersionAndInfo(t *testing.T) {
	oldCommit, oldBuilt := GitCommit, BuildTime
	GitCommit, BuildTime = "abcdef0", "2026-01-02T03:04:05Z"
	t.Cleanup(func() { GitCommit, BuildTime = oldCommit, oldBuilt })
	d := newDaemon(t, map[string]http.HandlerFunc{
		"GET /version": jsonRoute(system.VersionResponse{Version: "0.9.0", APIVersion: "1.45", MinAPIVersion: "1.24", GitCommit: "abc",
			GoVersion: "go1.26.8", Os: "linux", Arch: "amd64", BuildTime: "2026-11-01T10:00:00.000000000+00:00"}),
		"GET /info": jsonRoute(system.Info{Containers: 3, ContainersRunning: 1, ContainersStopped: 2, Images: 4, ServerVersion: "0.9.0",
			Driver: "overlay", LoggingDriver: "json-file", CgroupDriver: "cgroupfs", CgroupVersion: "1", OSType: "linux",
			Plugins:  system.PluginsInfo{Volume: []string{"local"}, Network: []string{"none", "host"}, Log: []string{"json-file"}},
			Runtimes: map[string]system.RuntimeWithStatus{"berth-runtime": {}}, DefaultRuntime: "berth-runtime",
			SecurityOptions: []string{"name=seccomp,profile=builtin"}, KernelVersion: "6.1", OperatingSystem: "Debian",
			Architecture: "x86_64", NCPU: 2, MemTotal: 1 << 30, Name: "host", ID: "id1", DockerRootDir: "/var/lib/berth",
			Swarm: swarmInactive(), Warnings: []string{"WARNING: no swap limit support"}}),
	})
	r := runCLI(t, d.host(), "", "version")
	if r.code != 0 {
		t.Fatalf("%+v", r)
	}
	golden(t, "version.golden", normalizeClient(r.stdout))
	r = runCLI(t, d.host(), "", "version", "--format", "{{.Server.Version}} {{.Client.APIVersion}}")
	if r.stdout != "0.9.0 1.45\n" {
		t.Errorf("version --format: %+v", r)
	}
	r = runCLI(t, d.host(), "", "info")
	if r.code != 0 || r.stderr != "WARNING: no swap limit support\n" {
		t.Fatalf("%+v", r)
	}
	golden(t, "info.golden", normalizeClient(r.stdout))
	r = runCLI(t, d.host(), "", "info", "--format", "{{.Containers}} {{.ClientInfo.Context}} {{json .Plugins.Network}}")
	if r.stdout != "3 default [\"none\",\"host\"]\n" {
		t.Errorf("info --format: %+v", r)
	}
}

// normalizeClient replaces the CLI's own build facts, which change between
// builds and toolchains, with placeholders.
func normalizeClient(s string) string {
	v := (&CLI{}).clientVersion()
	var pairs []string
	for _, p := range [][2]string{{v.GoVersion, "<go>"}, {v.Version, "<version>"}} {
		if p[0] != "" {
			pairs = append(pairs, p[0], p[1])
		}
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

func swarmInactive() swarm.Info { return swarm.Info{LocalNodeState: swarm.LocalNodeStateInactive} }
