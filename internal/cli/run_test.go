package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/container"
)

// frame encodes one stdcopy frame (1 stdout, 2 stderr).
func frame(stream byte, payload string) []byte {
	n := len(payload)
	return append([]byte{stream, 0, 0, 0, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}, payload...)
}

// runDaemon fakes create/attach/wait/start for container "cid": the
// attached process prints to both streams, echoes stdin, and exits with
// exitCode once started.
func runDaemon(t *testing.T, exitCode int, extra map[string]http.HandlerFunc) *daemon {
	started, quit := make(chan struct{}), make(chan struct{})
	waitStart := func() bool {
		select {
		case <-started:
			return true
		case <-quit:
			return false
		}
	}
	routes := map[string]http.HandlerFunc{
		"POST /containers/create": jsonRoute(container.CreateResponse{ID: "cid", Warnings: []string{"low memory"}}),
		"POST /containers/cid/start": func(w http.ResponseWriter, _ *http.Request) {
			close(started)
			w.WriteHeader(http.StatusNoContent)
		},
		"POST /containers/cid/wait": func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(200)
			w.(http.Flusher).Flush()
			if !waitStart() {
				return
			}
			_ = json.NewEncoder(w).Encode(container.WaitResponse{StatusCode: int64(exitCode)})
		},
		"POST /containers/cid/attach": func(w http.ResponseWriter, r *http.Request) {
			conn, brw, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			defer conn.Close()
			_, _ = io.WriteString(conn, "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n")
			if !waitStart() {
				return
			}
			_, _ = conn.Write(frame(1, "out\n"))
			_, _ = conn.Write(frame(2, "err\n"))
			if r.URL.Query().Get("stdin") == "1" {
				in, _ := io.ReadAll(brw)
				_, _ = conn.Write(frame(1, "echo:"+string(in)))
			}
		},
	}
	for k, v := range extra {
		routes[k] = v
	}
	d := newDaemon(t, routes)
	// Handlers must not outlive the test: httptest's Close (registered
	// earlier, so run later) waits for them.
	t.Cleanup(func() { close(quit) })
	return d
}

func TestRunAttached(t *testing.T) {
	d := runDaemon(t, 3, nil)
	r := runCLI(t, d.host(), "typed\n", "run", "--rm", "-i", "--network", "none", "--name", "web", "busybox", "sh", "-c", "cat")
	if r.code != 3 {
		t.Errorf("exit code %d, want the container's 3 (stderr %q)", r.code, r.stderr)
	}
	if r.stdout != "out\necho:typed\n" || r.stderr != "WARNING: low memory\nerr\n" {
		t.Errorf("stdout %q stderr %q", r.stdout, r.stderr)
	}
	paths := d.paths()
	if paths[0] != "POST /containers/create" || paths[len(paths)-1] != "POST /containers/cid/start" {
		t.Errorf("calls %v: want create first and start last", paths)
	}
	for _, p := range []string{"POST /containers/cid/attach", "POST /containers/cid/wait"} {
		if !slices.Contains(paths, p) {
			t.Errorf("calls %v: missing %s", paths, p)
		}
	}
	create, _ := d.find("POST", "/containers/create")
	wait, _ := d.find("POST", "/containers/cid/wait")
	attach, _ := d.find("POST", "/containers/cid/attach")
	if create.Query != "name=web" || wait.Query != "condition=removed" || attach.Query != "stderr=1&stdin=1&stdout=1&stream=1" {
		t.Errorf("queries: create %q wait %q attach %q", create.Query, wait.Query, attach.Query)
	}
}

func TestRunDetached(t *testing.T) {
	d := runDaemon(t, 0, nil)
	r := runCLI(t, d.host(), "", "run", "-d", "busybox")
	if r.code != 0 || r.stdout != "cid\n" {
		t.Fatalf("code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	if got := strings.Join(d.paths(), ","); got != "POST /containers/create,POST /containers/cid/start" {
		t.Errorf("calls %s", got)
	}
	r = runCLI(t, d.host(), "", "run", "-d", "-a", "stdout", "busybox")
	if r.code != 1 || r.stderr != "conflicting options: cannot specify both --attach and --detach\n" {
		t.Errorf("-d -a: code %d stderr %q", r.code, r.stderr)
	}
}

func TestRunErrors(t *testing.T) {
	tests := []struct {
		name   string
		routes map[string]http.HandlerFunc
		args   []string
		code   int
		stderr string
	}{
		{"missing image, pull fails", map[string]http.HandlerFunc{"POST /containers/create": errRoute(404, "No such image: busybox:latest"),
			"POST /images/create": errRoute(404, "pull access denied for busybox")},
			[]string{"run", "busybox"}, 125,
			"Unable to find image 'busybox:latest' locally\nberth: Error response from daemon: pull access denied for busybox\n\nRun 'berth run --help' for more information\n"},
		{"missing image, pull never", map[string]http.HandlerFunc{"POST /containers/create": errRoute(404, "No such image: busybox:latest")},
			[]string{"run", "--pull", "never", "busybox"}, 125,
			"berth: Error response from daemon: No such image: busybox:latest\n\nRun 'berth run --help' for more information\n"},
		{"command not found", map[string]http.HandlerFunc{"POST /containers/cid/start": errRoute(400, `exec: "nope": executable file not found in $PATH`)},
			[]string{"run", "busybox", "nope"}, 127, "executable file not found"},
		{"permission denied", map[string]http.HandlerFunc{"POST /containers/cid/start": errRoute(400, `exec: "/etc": permission denied`)},
			[]string{"run", "-d", "busybox", "/etc"}, 126, "permission denied"},
		{"other start failure", map[string]http.HandlerFunc{"POST /containers/cid/start": errRoute(500, "cgroup trouble")},
			[]string{"run", "busybox"}, 125, "berth: Error response from daemon: cgroup trouble\n"},
		{"bad flag value", nil, []string{"run", "--restart", "always", "--rm", "busybox"}, 125,
			"berth: conflicting options: cannot specify both --restart and --rm\n\nRun 'berth run --help' for more information\n"},
		{"unknown flag", nil, []string{"run", "--nope", "busybox"}, 125, "unknown flag: --nope\n\nUsage:  berth run [OPTIONS] IMAGE [COMMAND] [ARG...]\n"},
		{"no image", nil, []string{"run"}, 1, "berth: 'berth run' requires at least 1 argument\n"},
		{"tty without terminal", nil, []string{"run", "-it", "busybox"}, 1, "the input device is not a TTY\n"},
		{"bad pull", nil, []string{"create", "--pull", "sometimes", "busybox"}, 125, `invalid pull option: 'sometimes'`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := runDaemon(t, 0, tc.routes)
			r := runCLI(t, d.host(), "", tc.args...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.stderr) {
				t.Errorf("code %d stderr %q; want %d with %q", r.code, r.stderr, tc.code, tc.stderr)
			}
		})
	}
}

// TestCreateRequest checks the create body docker's CLI would send for a
// typical set of flags (golden JSON).
func TestCreateRequest(t *testing.T) {
	d := runDaemon(t, 0, nil)
	t.Setenv("FROM_ENV", "yes")
	r := runCLI(t, d.host(), "", "create", "--name", "c1", "-e", "A=1", "-e", "FROM_ENV", "-w", "/w", "-u", "1:2",
		"--entrypoint", "sh", "--read-only", "-m", "64m", "--memory-swap", "-1", "--cpus", "1.5", "--cpu-shares", "512",
		"--pids-limit", "100", "--network", "none", "-h", "h1", "-l", "x=y", "--runtime", "runc", "--ulimit", "nofile=100:200",
		"--cap-add", "net_admin", "--cap-drop", "ALL", "--privileged", "--security-opt", "no-new-privileges", "--init",
		"--restart", "on-failure:3", "--stop-signal", "SIGUSR1", "--stop-timeout", "5", "--log-driver", "json-file",
		"--log-opt", "max-size=1m", "-p", "127.0.0.1:8080:80/udp", "-p", "9000-9001:9000-9001", "-v", "/tmp:/data:ro", "-v", "/anon",
		"--mount", "type=tmpfs,target=/t2,tmpfs-size=1m", "--tmpfs", "/run:size=1m", "-i", "-t", "-a", "stdout",
		"busybox", "-c", "echo hi")
	if r.code != 0 || r.stdout != "cid\n" {
		t.Fatalf("code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	c, _ := d.find("POST", "/containers/create")
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, []byte(c.Body), "", "  "); err != nil {
		t.Fatal(err)
	}
	golden(t, "create-request.golden", pretty.String())
}
