package cli

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// streamRoute answers with a jsonstream of messages.
func streamRoute(lines ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		for _, l := range lines {
			io.WriteString(w, l+"\r\n")
		}
	}
}

// withConfig points the CLI at a config dir holding config.json.
func withConfig(t *testing.T, content string) string {
	dir := t.TempDir()
	if content != "" {
		os.WriteFile(filepath.Join(dir, "config.json"), []byte(content), 0o600)
	}
	t.Setenv("DOCKER_CONFIG", dir)
	return dir
}

func TestPull(t *testing.T) {
	auth := base64.StdEncoding.EncodeToString([]byte("alice:wonderland"))
	withConfig(t, `{"auths":{"r.example:5000":{"auth":"`+auth+`"}}}`)
	d := runDaemon(t, 0, map[string]http.HandlerFunc{"POST /images/create": streamRoute(
		`{"status":"Pulling from app","id":"latest"}`,
		`{"status":"Pulling fs layer","id":"abc"}`,
		`{"status":"Pull complete","id":"abc"}`,
		`{"status":"Digest: sha256:0123"}`,
		`{"status":"Status: Downloaded newer image for r.example:5000/app:latest"}`)})
	r := runCLI(t, d.host(), "", "pull", "r.example:5000/app")
	want := "Using default tag: latest\nlatest: Pulling from app\nabc: Pulling fs layer\nabc: Pull complete\nDigest: sha256:0123\n" +
		"Status: Downloaded newer image for r.example:5000/app:latest\nr.example:5000/app:latest\n"
	if r.code != 0 || r.stdout != want {
		t.Fatalf("code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	c, _ := d.find("POST", "/images/create")
	if c.Query != "fromImage=r.example%3A5000%2Fapp&tag=latest" {
		t.Errorf("query %s", c.Query)
	}
	r = runCLI(t, d.host(), "", "pull", "-q", "--platform", "linux/arm64", "busybox@sha256:"+strings.Repeat("a", 64))
	if r.code != 0 || r.stdout != "docker.io/library/busybox@sha256:"+strings.Repeat("a", 64)+"\n" {
		t.Fatalf("quiet: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	c, _ = d.find("POST", "/images/create")
	if !strings.Contains(c.Query, "tag=sha256%3Aaaaa") || !strings.Contains(c.Query, "platform=linux%2Farm64") {
		t.Errorf("query %s", c.Query)
	}
	if r := runCLI(t, d.host(), "", "pull", "-a", "busybox:1"); r.code != 1 || !strings.Contains(r.stderr, "tag can't be used with --all-tags/-a") {
		t.Errorf("-a with tag: %+v", r)
	}
}

// TestPullSendsCredentials checks X-Registry-Auth carries the stored
// credentials of the image's registry (and nothing for another).
func TestPullSendsCredentials(t *testing.T) {
	auth := base64.StdEncoding.EncodeToString([]byte("alice:wonderland"))
	withConfig(t, `{"auths":{"r.example:5000":{"auth":"`+auth+`"}}}`)
	var got atomic.Value
	d := runDaemon(t, 0, map[string]http.HandlerFunc{"POST /images/create": func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.Header.Get("X-Registry-Auth"))
	}})
	runCLI(t, d.host(), "", "pull", "r.example:5000/app:v1")
	raw, _ := base64.URLEncoding.DecodeString(got.Load().(string))
	var cfg struct{ Username, Password, Serveraddress string }
	if err := json.Unmarshal(raw, &cfg); err != nil || cfg.Username != "alice" || cfg.Password != "wonderland" || cfg.Serveraddress != "r.example:5000" {
		t.Fatalf("auth header %s: %v", raw, err)
	}
	runCLI(t, d.host(), "", "pull", "other.example/app:v1")
	raw, _ = base64.URLEncoding.DecodeString(got.Load().(string))
	if strings.Contains(string(raw), "alice") {
		t.Fatalf("credentials sent to another registry: %s", raw)
	}
}

func TestPush(t *testing.T) {
	withConfig(t, "")
	d := runDaemon(t, 0, map[string]http.HandlerFunc{"POST /images/r.example/app/push": streamRoute(
		`{"status":"The push refers to repository [r.example/app]"}`,
		`{"status":"Pushed","id":"abc"}`,
		`{"status":"v1: digest: sha256:0123 size: 527"}`,
		`{"progressDetail":{},"aux":{"Tag":"v1","Digest":"sha256:0123","Size":527}}`)})
	r := runCLI(t, d.host(), "", "push", "r.example/app:v1")
	want := "The push refers to repository [r.example/app]\nabc: Pushed\nv1: digest: sha256:0123 size: 527\n"
	if r.code != 0 || r.stdout != want {
		t.Fatalf("code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	c, _ := d.find("POST", "/images/r.example/app/push")
	if c.Query != "tag=v1" {
		t.Errorf("query %s", c.Query)
	}
	r = runCLI(t, d.host(), "", "push", "-q", "r.example/app")
	if r.code != 0 || r.stdout != "r.example/app:latest\n" {
		t.Fatalf("quiet: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	failing := runDaemon(t, 0, map[string]http.HandlerFunc{"POST /images/r.example/app/push": streamRoute(
		`{"status":"The push refers to repository [r.example/app]"}`,
		`{"errorDetail":{"message":"unauthorized: authentication required"},"error":"unauthorized: authentication required"}`)})
	r = runCLI(t, failing.host(), "", "push", "r.example/app:v1")
	if r.code != 1 || !strings.Contains(r.stderr, "unauthorized: authentication required") {
		t.Fatalf("in-band error: %+v", r)
	}
}

func TestLoginLogout(t *testing.T) {
	dir := withConfig(t, `{"detachKeys":"ctrl-x"}`)
	d := runDaemon(t, 0, map[string]http.HandlerFunc{"POST /auth": func(w http.ResponseWriter, r *http.Request) {
		var cfg struct{ Username, Password, Serveraddress string }
		json.NewDecoder(r.Body).Decode(&cfg)
		if cfg.Password != "wonderland" {
			replyJSON(w, 401, map[string]string{"message": "login attempt to https://" + cfg.Serveraddress + "/v2/ failed with status: 401 Unauthorized"})
			return
		}
		replyJSON(w, 200, map[string]string{"Status": "Login Succeeded"})
	}})
	r := runCLI(t, d.host(), "nope\n", "login", "-u", "alice", "--password-stdin", "r.example:5000")
	if r.code != 1 || r.stderr != "Error response from daemon: login attempt to https://r.example:5000/v2/ failed with status: 401 Unauthorized\n" {
		t.Fatalf("wrong password: %+v", r)
	}
	r = runCLI(t, d.host(), "wonderland\n", "login", "-u", "alice", "--password-stdin", "r.example:5000")
	if r.code != 0 || r.stdout != "Login Succeeded\n" || !strings.Contains(r.stderr, "stored unencrypted") {
		t.Fatalf("login: %+v", r)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "config.json"))
	if !strings.Contains(string(raw), `"detachKeys": "ctrl-x"`) || !strings.Contains(string(raw), base64.StdEncoding.EncodeToString([]byte("alice:wonderland"))) {
		t.Fatalf("config.json: %s", raw)
	}
	// Stored credentials are used when none are given.
	r = runCLI(t, d.host(), "", "login", "r.example:5000")
	if r.code != 0 || r.stdout != "Login Succeeded\n" {
		t.Fatalf("login with stored credentials: %+v", r)
	}
	r = runCLI(t, d.host(), "", "login", "other.example")
	if r.code != 1 || !strings.Contains(r.stderr, "Cannot perform an interactive login from a non TTY device") {
		t.Fatalf("no credentials, no terminal: %+v", r)
	}
	r = runCLI(t, d.host(), "", "logout", "r.example:5000")
	if r.code != 0 || r.stdout != "Removing login credentials for r.example:5000\n" {
		t.Fatalf("logout: %+v", r)
	}
	if raw, _ := os.ReadFile(filepath.Join(dir, "config.json")); strings.Contains(string(raw), "r.example") {
		t.Fatalf("credentials left: %s", raw)
	}
}

func TestRunPulls(t *testing.T) {
	withConfig(t, "")
	var created atomic.Int32
	d := runDaemon(t, 0, map[string]http.HandlerFunc{
		"POST /containers/create": func(w http.ResponseWriter, r *http.Request) {
			if created.Add(1) == 1 {
				replyJSON(w, 404, map[string]string{"message": "No such image: busybox:latest"})
				return
			}
			replyJSON(w, 201, map[string]any{"Id": "cid", "Warnings": []string{}})
		},
		"POST /images/create": streamRoute(`{"status":"Status: Downloaded newer image for busybox:latest"}`),
	})
	r := runCLI(t, d.host(), "", "create", "busybox")
	if r.code != 0 || r.stdout != "cid\n" || r.stderr != "Unable to find image 'busybox:latest' locally\nStatus: Downloaded newer image for busybox:latest\n" {
		t.Fatalf("create pulls: %+v", r)
	}
	r = runCLI(t, d.host(), "", "create", "--pull", "always", "-q", "busybox")
	if r.code != 0 || r.stdout != "cid\n" || r.stderr != "" {
		t.Fatalf("--pull always -q: %+v", r)
	}
	if got := strings.Join(d.paths(), ","); got != "POST /containers/create,POST /images/create,POST /containers/create,POST /images/create,POST /containers/create" {
		t.Errorf("calls %s", got)
	}
}
