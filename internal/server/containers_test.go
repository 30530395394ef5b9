package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
)

// create makes a container running cmd and returns its ID.
func create(t *testing.T, ts *httptest.Server, name string, tty bool, cmd ...string) string {
	t.Helper()
	body := map[string]any{"Image": "busybox", "Cmd": cmd, "Tty": tty, "OpenStdin": true, "StdinOnce": true}
	resp, out := call(t, ts, "POST", "/v1.50/containers/create?name="+name, body)
	wantStatus(t, resp, out, 201, "")
	var res container.CreateResponse
	if err := json.Unmarshal(out, &res); err != nil || res.ID == "" {
		t.Fatalf("create response %s: %v", out, err)
	}
	if !bytes.Contains(out, []byte(`"Warnings":[]`)) {
		t.Errorf("Warnings must be [], got %s", out)
	}
	return res.ID
}

func TestContainerCreate(t *testing.T) {
	e, ts := newTestServer(t)
	create(t, ts, "web", false, "echo", "hi")
	cfg := e.lastCreate
	if cfg.Name != "web" || cfg.HostConfig.NetworkMode != "bridge" || cfg.Config.Volumes == nil ||
		cfg.HostConfig.PortBindings == nil || cfg.NetworkingConfig.EndpointsConfig == nil {
		t.Errorf("defaults not filled: %+v %+v", cfg, cfg.HostConfig)
	}
	tests := []struct {
		name, path, body, ct string
		status               int
		msg                  string
	}{
		{"bad json", "/containers/create", `{"Image":`, "application/json", 400, "invalid JSON"},
		{"trailing", "/containers/create", `{"Image":"busybox"} {}`, "application/json", 400, "unexpected content after JSON"},
		{"empty body", "/containers/create", ``, "application/json", 400, "invalid JSON: got EOF"},
		{"null config", "/containers/create", `null`, "application/json", 400, "config cannot be empty in order to create a container"},
		{"content type", "/containers/create", `{"Image":"busybox"}`, "text/plain", 400, "unsupported Content-Type header (text/plain): must be 'application/json'"},
		{"no image", "/containers/create", `{"Image":"nope"}`, "application/json", 404, "No such image: nope"},
		{"name taken", "/containers/create?name=web", `{"Image":"busybox"}`, "application/json", 409, `Conflict. The container name "/web" is already in use`},
		{"bad platform", "/containers/create?platform=linux//x", `{"Image":"busybox"}`, "application/json", 400, "unknown operating system or architecture"},
		{"bad mount", "/containers/create", `{"Image":"busybox","HostConfig":{"Mounts":[{"Type":"bind","Source":"/a","Target":"/b","VolumeOptions":{}}]}}`, "application/json", 400, `VolumeOptions must not be specified on mount type "bind"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), "POST", ts.URL+tt.path, strings.NewReader(tt.body))
			req.Header.Set("Content-Type", tt.ct)
			resp, err := ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var buf bytes.Buffer
			_, _ = buf.ReadFrom(resp.Body)
			resp.Request = req
			wantStatus(t, resp, buf.Bytes(), tt.status, tt.msg)
		})
	}
}

func TestContainerCreateVersionAdjustments(t *testing.T) {
	e, ts := newTestServer(t)
	body := `{"Image":"busybox","Healthcheck":{"StartInterval":5},"HostConfig":{"Annotations":{"a":"b"},"ConsoleSize":[3,4]},"NetworkingConfig":{"EndpointsConfig":{"default":{"GwPriority":3}}}}`
	resp, out := call(t, ts, "POST", "/v1.39/containers/create", body)
	wantStatus(t, resp, out, 201, "")
	c := e.lastCreate
	if c.HostConfig.Annotations != nil || c.HostConfig.ConsoleSize != [2]uint{} || c.Config.Healthcheck.StartInterval != 0 ||
		!c.DefaultReadOnlyNonRecursive || c.HostConfig.IpcMode != "shareable" {
		t.Errorf("v1.39 adjustments missing: %+v", c.HostConfig)
	}
	if ep := c.NetworkingConfig.EndpointsConfig["bridge"]; ep == nil || ep.GwPriority != 0 {
		t.Errorf("default endpoint not moved to bridge: %+v", c.NetworkingConfig.EndpointsConfig)
	}
	resp, out = call(t, ts, "POST", "/containers/create", body)
	wantStatus(t, resp, out, 201, "")
	c = e.lastCreate
	if c.HostConfig.Annotations == nil || c.HostConfig.ConsoleSize != [2]uint{3, 4} || c.DefaultReadOnlyNonRecursive {
		t.Errorf("current version must keep fields: %+v", c.HostConfig)
	}
}

func TestContainerLifecycle(t *testing.T) {
	e, ts := newTestServer(t)
	id := create(t, ts, "sleeper", false, "sleep")

	resp, body := call(t, ts, "POST", "/containers/sleeper/start", nil)
	wantStatus(t, resp, body, 204, "")
	resp, body = call(t, ts, "POST", "/containers/sleeper/start", nil)
	wantStatus(t, resp, body, 304, "")
	if len(body) != 0 {
		t.Errorf("304 with body %q", body)
	}
	resp, body = call(t, ts, "POST", "/containers/sleeper/start", `{"Binds":["/a:/b"]}`)
	wantStatus(t, resp, body, 400, "starting container with non-empty request body was deprecated")

	resp, body = call(t, ts, "GET", "/containers/json", nil)
	wantStatus(t, resp, body, 200, "")
	var list []map[string]any
	if err := json.Unmarshal(body, &list); err != nil || len(list) != 1 || list[0]["Id"] != id {
		t.Fatalf("list: %s", body)
	}
	for _, k := range []string{`"Ports":[]`, `"Mounts":[]`, `"Labels":{}`} {
		if !bytes.Contains(body, []byte(k)) {
			t.Errorf("list lacks %s: %s", k, body)
		}
	}

	resp, body = call(t, ts, "POST", "/containers/sleeper/stop?t=abc", nil)
	wantStatus(t, resp, body, 400, "invalid syntax")
	resp, body = call(t, ts, "POST", "/containers/sleeper/stop?t=1", nil)
	wantStatus(t, resp, body, 204, "")
	resp, body = call(t, ts, "POST", "/containers/sleeper/stop", nil)
	wantStatus(t, resp, body, 304, "")
	resp, body = call(t, ts, "POST", "/containers/sleeper/kill?signal=HUP", nil)
	wantStatus(t, resp, body, 409, "cannot kill container: sleeper: container "+id+" is not running")
	resp, body = call(t, ts, "POST", "/containers/sleeper/restart?t=0", nil)
	wantStatus(t, resp, body, 204, "")
	resp, body = call(t, ts, "POST", "/containers/sleeper/kill", nil)
	wantStatus(t, resp, body, 204, "")

	resp, body = call(t, ts, "POST", "/containers/sleeper/rename?name=napper", nil)
	wantStatus(t, resp, body, 204, "")
	resp, body = call(t, ts, "GET", "/containers/json?all=1&filters="+`{"name":{"napper":true}}`, nil)
	wantStatus(t, resp, body, 200, "")
	if !bytes.Contains(body, []byte(`"/napper"`)) {
		t.Errorf("renamed container not listed: %s", body)
	}
	resp, body = call(t, ts, "GET", "/containers/json?filters="+`{"colour":{"red":true}}`, nil)
	wantStatus(t, resp, body, 400, "invalid filter 'colour'")
	resp, body = call(t, ts, "GET", "/containers/json?limit=x", nil)
	wantStatus(t, resp, body, 400, "invalid syntax")

	resp, body = call(t, ts, "GET", "/containers/napper/top?ps_args=aux", nil)
	wantStatus(t, resp, body, 200, "")
	if string(body) != `{"Processes":[["1","aux"]],"Titles":["PID","CMD"]}`+"\n" {
		t.Errorf("top: %s", body)
	}
	resp, body = call(t, ts, "POST", "/containers/napper/resize?h=40&w=80", nil)
	wantStatus(t, resp, body, 200, "")
	resp, body = call(t, ts, "POST", "/containers/napper/resize?h=-1&w=80", nil)
	wantStatus(t, resp, body, 400, `invalid resize height "-1"`)
	resp, body = call(t, ts, "POST", "/containers/napper/update", `{"Memory":1}`)
	wantStatus(t, resp, body, 501, "container update is not supported yet")
	resp, body = call(t, ts, "POST", "/containers/napper/update", `{"Memory":`)
	wantStatus(t, resp, body, 400, "invalid JSON")
	resp, body = call(t, ts, "GET", "/containers/napper/stats?stream=0", nil)
	wantStatus(t, resp, body, 501, "stats are not supported yet")
	resp, body = call(t, ts, "POST", "/containers/napper/pause", nil)
	wantStatus(t, resp, body, 501, "not implemented")

	waitState(t, e, id, container.StateExited)
	resp, body = call(t, ts, "POST", "/containers/napper/start", nil)
	wantStatus(t, resp, body, 204, "")
	resp, body = call(t, ts, "DELETE", "/containers/napper", nil)
	wantStatus(t, resp, body, 409, "container is running")
	resp, body = call(t, ts, "DELETE", "/containers/napper?force=1&v=1", nil)
	wantStatus(t, resp, body, 204, "")
	resp, body = call(t, ts, "GET", "/containers/napper/json", nil)
	wantStatus(t, resp, body, 404, "No such container: napper")
	if string(body) != `{"message":"No such container: napper"}`+"\n" {
		t.Errorf("404 body %q", body)
	}
}

func TestContainerInspectAndPrune(t *testing.T) {
	e, ts := newTestServer(t)
	id := create(t, ts, "", false, "echo")
	resp, body := call(t, ts, "GET", "/containers/"+id[:12]+"/json", nil)
	wantStatus(t, resp, body, 200, "")
	var c container.InspectResponse
	if err := json.Unmarshal(body, &c); err != nil || c.ID != id || c.State.Status != "created" {
		t.Fatalf("inspect: %s", body)
	}
	resp, body = call(t, ts, "POST", "/containers/prune?filters="+`{"until":{"10m":true}}`, nil)
	wantStatus(t, resp, body, 200, "")
	if string(body) != `{"ContainersDeleted":["`+id+`"],"SpaceReclaimed":0}`+"\n" {
		t.Errorf("prune: %s", body)
	}
	resp, body = call(t, ts, "POST", "/containers/prune?filters="+`{"dangling":{"true":true}}`, nil)
	wantStatus(t, resp, body, 400, "invalid filter 'dangling'")
	e.errs["Containers"] = errdefs.ErrUnavailable
	resp, body = call(t, ts, "GET", "/containers/json", nil)
	wantStatus(t, resp, body, 503, "unavailable")
}

// TestWaitFlushesHeaderEarly checks the CLI's order: wait (headers must
// arrive at once), then start, then the body with the exit code.
func TestWaitFlushesHeaderEarly(t *testing.T) {
	_, ts := newTestServer(t)
	id := create(t, ts, "w", false, "fail", "3")
	req, _ := http.NewRequestWithContext(t.Context(), "POST", ts.URL+"/v1.50/containers/"+id+"/wait?condition=next-exit", nil)
	got := make(chan *http.Response, 1)
	go func() {
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Error(err)
			close(got)
			return
		}
		got <- resp
	}()
	var resp *http.Response
	select {
	case resp = <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("wait response headers not flushed before the container started")
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("wait: %d %v", resp.StatusCode, resp.Header)
	}
	r, body := call(t, ts, "POST", "/containers/"+id+"/start", nil)
	wantStatus(t, r, body, 204, "")
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || line != `{"StatusCode":3}`+"\n" {
		t.Errorf("wait body %q, %v", line, err)
	}

	r, body = call(t, ts, "POST", "/containers/"+id+"/wait?condition=bogus", nil)
	wantStatus(t, r, body, 400, `invalid condition: "bogus"`)
	r, body = call(t, ts, "POST", "/containers/nope/wait", nil)
	wantStatus(t, r, body, 404, "No such container: nope")
	r, body = call(t, ts, "POST", "/containers/"+id+"/wait", nil)
	wantStatus(t, r, body, 200, "")
	if string(body) != `{"StatusCode":3}`+"\n" {
		t.Errorf("not-running wait body %q", body)
	}
}

func TestLogs(t *testing.T) {
	e, ts := newTestServer(t)
	id := create(t, ts, "l", false, "fail", "1")
	resp, body := call(t, ts, "POST", "/containers/"+id+"/start", nil)
	wantStatus(t, resp, body, 204, "")
	waitState(t, e, id, container.StateExited)

	resp, body = call(t, ts, "GET", "/v1.50/containers/l/logs?stdout=1&stderr=1&timestamps=1&tail=all", nil)
	wantStatus(t, resp, body, 200, "")
	if ct := resp.Header.Get("Content-Type"); ct != "application/vnd.docker.multiplexed-stream" {
		t.Errorf("Content-Type %q", ct)
	}
	var out, errb bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, &errb, bytes.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	if out.String() != "" || errb.String() != "2023-11-14T22:13:20.000000005Z boom\n" {
		t.Errorf("demuxed stdout %q stderr %q", out.String(), errb.String())
	}
	if e.lastLogs.Tail != -1 {
		t.Errorf("tail=all gave %d", e.lastLogs.Tail)
	}
	// API < 1.42 says raw-stream even when multiplexed; stdout only drops stderr.
	resp, body = call(t, ts, "GET", "/v1.41/containers/l/logs?stdout=1&tail=5", nil)
	wantStatus(t, resp, body, 200, "")
	if ct := resp.Header.Get("Content-Type"); ct != "application/vnd.docker.raw-stream" || len(body) != 0 {
		t.Errorf("v1.41 logs: %q %q", ct, body)
	}
	if e.lastLogs.Tail != 5 {
		t.Errorf("tail=5 gave %d", e.lastLogs.Tail)
	}

	tty := create(t, ts, "t", true, "echo", "raw")
	call(t, ts, "POST", "/containers/"+tty+"/start", nil)
	waitState(t, e, tty, container.StateExited)
	resp, body = call(t, ts, "GET", "/containers/t/logs?stdout=1", nil)
	wantStatus(t, resp, body, 200, "")
	if ct := resp.Header.Get("Content-Type"); ct != "application/vnd.docker.raw-stream" || string(body) != "raw\n" {
		t.Errorf("tty logs: %q %q", ct, body)
	}

	for q, msg := range map[string]string{
		"":                     "must specify at least one of 'stdout' or 'stderr'",
		"stdout=1&since=x":     `invalid value for "since"`,
		"stdout=1&until=1.2.3": `invalid value for "until"`,
	} {
		resp, body = call(t, ts, "GET", "/containers/l/logs?"+q, nil)
		wantStatus(t, resp, body, 400, msg)
	}
	resp, body = call(t, ts, "GET", "/containers/nope/logs?stdout=1", nil)
	wantStatus(t, resp, body, 404, "No such container: nope")
}

func TestLogsFollow(t *testing.T) {
	e, ts := newTestServer(t)
	id := create(t, ts, "f", false, "cat")
	call(t, ts, "POST", "/containers/"+id+"/start", nil)
	req, _ := http.NewRequestWithContext(t.Context(), "GET", ts.URL+"/containers/f/logs?stdout=1&follow=1", nil)
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	e.mu.Lock()
	w := e.containers[id].stdin
	e.mu.Unlock()
	_, _ = w.Write([]byte("one\n"))
	hdr := make([]byte, 8+4)
	if _, err := io.ReadFull(resp.Body, hdr); err != nil || string(hdr[8:]) != "one\n" || hdr[0] != 1 {
		t.Fatalf("first frame %q, %v", hdr, err)
	}
	_ = w.Close() // cat exits: the stream ends
	rest, _ := io.ReadAll(resp.Body)
	if len(rest) != 0 {
		t.Errorf("after exit: %q", rest)
	}
}

func waitState(t *testing.T, e *fakeEngine, id string, st container.ContainerState) {
	t.Helper()
	for range 500 {
		e.mu.Lock()
		c := e.containers[id]
		got := c != nil && c.state == st
		e.mu.Unlock()
		if got {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("container %s never reached %s", id, st)
}
