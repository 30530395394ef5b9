package cli

import (
	"archive/tar"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestAgainstDockerd runs the same commands through berth (in process) and
// the docker CLI against a real daemon and compares stdout, stderr and exit
// codes. It runs only when BERTH_TEST_DOCKERD names the daemon
// (e.g. unix:///tmp/h5-docker.sock); BERTH_TEST_DOCKER_CLI overrides the
// docker binary (default /usr/local/bin/docker). It needs /bin/busybox to
// build the test image.
func TestAgainstDockerd(t *testing.T) {
	host := os.Getenv("BERTH_TEST_DOCKERD")
	if host == "" {
		t.Skip("set BERTH_TEST_DOCKERD=unix:///path/to/docker.sock to compare with the docker CLI")
	}
	dockerBin := os.Getenv("BERTH_TEST_DOCKER_CLI")
	if dockerBin == "" {
		dockerBin = "/usr/local/bin/docker"
	}
	const img = "berth-cmp-busybox:latest"
	tarPath := busyboxTar(t)
	if r := runCLI(t, host, "", "import", "-c", `CMD ["sh"]`, tarPath, img); r.code != 0 {
		t.Fatalf("import: %+v", r)
	}
	t.Cleanup(func() { runCLI(t, host, "", "rmi", "-f", img) })
	// Each case runs twice; %N is replaced by a per-CLI container name.
	cases := [][]string{
		{"version", "--format", "{{.Server.Version}} {{.Server.APIVersion}}"},
		{"images", img},
		{"images", "--format", "{{.Repository}}:{{.Tag}} {{.Size}}", img},
		{"history", "--format", "{{.CreatedBy}} {{.Size}} {{.Comment}}", img},
		{"image", "inspect", "-f", "{{.Config.Cmd}} {{.Os}}", img},
		{"run", "--rm", "--network", "none", img, "sh", "-c", "echo out; echo err >&2; exit 3"},
		{"run", "--rm", "--network", "none", img, "nonexistentcmd"},
		{"run", "--rm", "--network", "none", "-e", "A=b", "-w", "/tmp", "-u", "nobody", img, "sh", "-c", "echo $A; pwd; id -u"},
		{"run", "--rm", "--nope", img},
		{"run", "--restart", "always", "--rm", img},
		{"create", "--name", "%N", "--network", "none", "-l", "k=v", img, "sh", "-c", "echo created-out; exit 2"},
		{"ps", "-a", "--filter", "name=%N", "--format", "{{.Names}} {{.Image}} {{.Command}} {{.Labels}} {{.Status}}"},
		{"start", "-a", "%N"},
		{"logs", "%N"},
		{"inspect", "-f", "{{.Name}} {{.State.ExitCode}} {{.Config.Labels}}", "%N"},
		{"wait", "%N"},
		{"rm", "%N", "nosuchcontainer"},
		{"run", "-d", "--name", "%N-d", "--network", "none", img, "sleep", "100"},
		{"exec", "%N-d", "sh", "-c", "echo in-exec; exit 4"},
		{"exec", "-e", "X=1", "-w", "/tmp", "%N-d", "sh", "-c", "echo $X; pwd"},
		{"exec", "%N-d", "nonexistentcmd"},
		{"kill", "-s", "KILL", "%N-d"},
		{"wait", "%N-d"},
		{"rm", "-v", "%N-d"},
		{"inspect", "nosuchthing"},
		{"logs", "nosuchcontainer"},
		{"tag", img, "bad@sha256:aaaa"},
		{"rmi", "nosuchimage"},
	}
	for _, args := range cases {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			b := runCLI(t, host, "", substitute(args, "cmp-berth")...)
			d := runDocker(t, dockerBin, host, substitute(args, "cmp-docker")...)
			b.stdout, b.stderr = normalizeCmp(b.stdout, "cmp-berth"), normalizeCmp(b.stderr, "cmp-berth")
			d.stdout, d.stderr = normalizeCmp(d.stdout, "cmp-docker"), normalizeCmp(d.stderr, "cmp-docker")
			if b != d {
				t.Errorf("berth and docker differ:\nberth:  %+v\ndocker: %+v", b, d)
			}
		})
	}
}

func substitute(args []string, name string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = strings.ReplaceAll(a, "%N", name)
	}
	return out
}

var fullID = regexp.MustCompile(`[0-9a-f]{64}`)

// normalizeCmp hides what legitimately differs: the program name, the
// per-CLI container name and new container IDs.
func normalizeCmp(s, name string) string {
	s = fullID.ReplaceAllString(s, "<id>")
	return strings.NewReplacer(name, "<name>", "berth", "<cli>", "docker", "<cli>").Replace(s)
}

func runDocker(t *testing.T, bin, host string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-H", host}, args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.Env = append(os.Environ(), "DOCKER_CLI_HINTS=false")
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{out.String(), errOut.String(), code}
}

// busyboxTar writes a minimal root filesystem (busybox and a few applet
// links) as a tar file.
func busyboxTar(t *testing.T) string {
	t.Helper()
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Skipf("needs /bin/busybox: %v", err)
	}
	path := filepath.Join(t.TempDir(), "rootfs.tar")
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, d := range []string{"bin/", "etc/", "tmp/", "proc/", "sys/", "dev/"} {
		_ = tw.WriteHeader(&tar.Header{Name: d, Typeflag: tar.TypeDir, Mode: 0o755})
	}
	_ = tw.WriteHeader(&tar.Header{Name: "bin/busybox", Mode: 0o755, Size: int64(len(bb))})
	_, _ = tw.Write(bb)
	for _, app := range []string{"sh", "echo", "cat", "true", "sleep", "id", "pwd"} {
		_ = tw.WriteHeader(&tar.Header{Name: "bin/" + app, Typeflag: tar.TypeSymlink, Linkname: "busybox", Mode: 0o777})
	}
	passwd := "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
	_ = tw.WriteHeader(&tar.Header{Name: "etc/passwd", Mode: 0o644, Size: int64(len(passwd))})
	_, _ = tw.Write([]byte(passwd))
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
