package server

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// dockerCLI is the real docker CLI (28.2.2, API 1.50) used as a client.
const dockerCLI = "/usr/local/bin/docker"

// runDocker runs the docker CLI against sock and returns stdout, stderr and
// the exit code.
func runDocker(t *testing.T, sock, stdin string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, dockerCLI, args...)
	cmd.Env = []string{"DOCKER_HOST=unix://" + sock, "DOCKER_CONFIG=" + t.TempDir(), "HOME=" + t.TempDir(),
		"PATH=/usr/bin:/bin", "DOCKER_CLI_HINTS=false"}
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return out.String(), errb.String(), ee.ExitCode()
	case err != nil:
		t.Fatalf("docker %v: %v (stderr %q)", args, err, errb.String())
	}
	return out.String(), errb.String(), 0
}

// TestDockerCLI drives the server (with the fake engine) with the real
// docker CLI: version negotiation, listing, logs and `docker run`.
func TestDockerCLI(t *testing.T) {
	if _, err := os.Stat(dockerCLI); err != nil {
		t.Skipf("docker CLI not installed: %v", err)
	}
	_, sock := newUnixServer(t)

	out, errs, code := runDocker(t, sock, "", "version", "--format", "{{.Server.Version}} {{.Server.APIVersion}} {{.Server.MinAPIVersion}} {{.Client.APIVersion}}")
	if code != 0 || strings.TrimSpace(out) != "0.0.0-test 1.56 1.24 1.50" {
		t.Fatalf("docker version: %q %q %d", out, errs, code)
	}

	out, errs, code = runDocker(t, sock, "", "run", "--name", "hello", "busybox", "echo", "hello", "from", "berth")
	if code != 0 || out != "hello from berth\n" {
		t.Fatalf("docker run: %q %q %d", out, errs, code)
	}
	out, errs, code = runDocker(t, sock, "", "run", "busybox", "fail", "7")
	if code != 7 || errs != "boom\n" {
		t.Errorf("docker run exit code: %q %q %d", out, errs, code)
	}
	out, errs, code = runDocker(t, sock, "piped in\n", "run", "-i", "--rm=false", "busybox", "cat")
	if code != 0 || out != "piped in\n" {
		t.Errorf("docker run -i: %q %q %d", out, errs, code)
	}
	out, errs, code = runDocker(t, sock, "", "run", "nope")
	if code == 0 || !strings.Contains(errs, "pulling images is not supported yet") {
		t.Errorf("docker run missing image: %q %q %d", out, errs, code)
	}

	out, errs, code = runDocker(t, sock, "", "logs", "hello")
	if code != 0 || out != "hello from berth\n" {
		t.Errorf("docker logs: %q %q %d", out, errs, code)
	}
	out, errs, code = runDocker(t, sock, "", "ps", "-a", "--format", "{{.Names}} {{.Image}} {{.Status}}")
	if code != 0 || !strings.Contains(out, "hello busybox exited") {
		t.Errorf("docker ps -a: %q %q %d", out, errs, code)
	}
	out, errs, code = runDocker(t, sock, "", "images", "--format", "{{.Repository}}:{{.Tag}} {{.Size}}")
	if code != 0 || strings.TrimSpace(out) != "busybox:latest 4.1kB" {
		t.Errorf("docker images: %q %q %d", out, errs, code)
	}
	out, errs, code = runDocker(t, sock, "", "rm", "hello")
	if code != 0 || strings.TrimSpace(out) != "hello" {
		t.Errorf("docker rm: %q %q %d", out, errs, code)
	}
	out, errs, code = runDocker(t, sock, "", "logs", "hello")
	if code == 0 || !strings.Contains(errs, "No such container: hello") {
		t.Errorf("docker logs after rm: %q %q %d", out, errs, code)
	}
}

// TestDockerCLIExecAndImages covers docker exec (hijacked, with stdin),
// stop, events, info, system df and the image commands.
func TestDockerCLIExecAndImages(t *testing.T) {
	if _, err := os.Stat(dockerCLI); err != nil {
		t.Skipf("docker CLI not installed: %v", err)
	}
	_, sock := newUnixServer(t)
	since := time.Now().Add(-time.Second).Unix()

	out, errs, code := runDocker(t, sock, "", "run", "-d", "--name", "bg", "busybox", "sleep")
	if code != 0 || len(strings.TrimSpace(out)) != 64 {
		t.Fatalf("docker run -d: %q %q %d", out, errs, code)
	}
	out, errs, code = runDocker(t, sock, "", "exec", "bg", "echo", "in", "exec")
	if code != 0 || out != "in exec\n" {
		t.Errorf("docker exec: %q %q %d", out, errs, code)
	}
	out, errs, code = runDocker(t, sock, "exec stdin\n", "exec", "-i", "bg", "cat")
	if code != 0 || out != "exec stdin\n" {
		t.Errorf("docker exec -i: %q %q %d", out, errs, code)
	}
	out, errs, code = runDocker(t, sock, "", "exec", "bg", "fail", "4")
	if code != 4 || errs != "boom\n" {
		t.Errorf("docker exec exit code: %q %q %d", out, errs, code)
	}
	out, errs, code = runDocker(t, sock, "", "inspect", "--format", "{{.State.Status}} {{.Name}}", "bg")
	if code != 0 || out != "running /bg\n" {
		t.Errorf("docker inspect: %q %q %d", out, errs, code)
	}
	out, errs, code = runDocker(t, sock, "", "stop", "bg")
	if code != 0 || out != "bg\n" {
		t.Errorf("docker stop: %q %q %d", out, errs, code)
	}
	until := time.Now().Add(time.Second).Unix()
	out, errs, code = runDocker(t, sock, "", "events", "--since", strconv.FormatInt(since, 10), "--until", strconv.FormatInt(until, 10),
		"--filter", "event=start", "--format", "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}")
	if code != 0 || out != "container start bg\n" {
		t.Errorf("docker events: %q %q %d", out, errs, code)
	}

	out, errs, code = runDocker(t, sock, "", "info", "--format", "{{.Name}} {{.Containers}} {{.Swarm.LocalNodeState}}")
	if code != 0 || out != "berth-test 1 inactive\n" {
		t.Errorf("docker info: %q %q %d", out, errs, code)
	}
	out, errs, code = runDocker(t, sock, "", "system", "df", "--format", "{{.Type}} {{.TotalCount}}")
	if code != 0 || !strings.HasPrefix(out, "Images 1\n") {
		t.Errorf("docker system df: %q %q %d", out, errs, code)
	}

	out, errs, code = runDocker(t, sock, "", "image", "inspect", "--format", "{{.Os}} {{.RepoTags}}", "busybox")
	if code != 0 || out != "linux [busybox:latest]\n" {
		t.Errorf("docker image inspect: %q %q %d", out, errs, code)
	}
	if out, errs, code = runDocker(t, sock, "", "tag", "busybox", "mine:v1"); code != 0 {
		t.Errorf("docker tag: %q %q %d", out, errs, code)
	}
	saved := filepath.Join(t.TempDir(), "save.tar")
	if out, errs, code = runDocker(t, sock, "", "save", "-o", saved, "mine:v1"); code != 0 {
		t.Errorf("docker save: %q %q %d", out, errs, code)
	}
	out, errs, code = runDocker(t, sock, "", "load", "-i", saved)
	if code != 0 || out != "Loaded image: mine:v1\n" {
		t.Errorf("docker load: %q %q %d", out, errs, code)
	}
	out, errs, code = runDocker(t, sock, "rootfs bytes", "import", "-", "imported:v1")
	if code != 0 || !strings.HasPrefix(out, "sha256:") {
		t.Errorf("docker import: %q %q %d", out, errs, code)
	}
	out, errs, code = runDocker(t, sock, "", "rmi", "mine:v1")
	if code != 0 || !strings.Contains(out, "Untagged: mine:v1") {
		t.Errorf("docker rmi: %q %q %d", out, errs, code)
	}
	out, errs, code = runDocker(t, sock, "", "rmi", "nope")
	if code == 0 || !strings.Contains(errs, "No such image: nope") {
		t.Errorf("docker rmi missing: %q %q %d", out, errs, code)
	}
}
