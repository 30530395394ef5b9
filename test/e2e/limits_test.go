package e2e

import (
	"strings"
	"testing"
)

// Acceptance 3: resource limits and the container settings docker users rely on.
func TestResourceLimitsAndSettings(t *testing.T) {
	d := startDaemon(t)
	d.importBusybox()

	t.Run("oom", func(t *testing.T) {
		r := d.docker("run", "--name", "oom", "--memory", "32m", "busybox", "sh", "-c",
			`x=$(head -c 67108864 /dev/zero | tr '\0' a); echo ${#x}`)
		if r.code != 137 {
			t.Fatalf("exit %d, want 137 (stdout %q stderr %q)", r.code, r.stdout, r.stderr)
		}
		if got := strings.TrimSpace(d.mustDocker("inspect", "-f", "{{.State.OOMKilled}}", "oom")); got != "true" {
			t.Fatalf("OOMKilled = %s", got)
		}
	})
	t.Run("pids-limit", func(t *testing.T) {
		// 40 background sleeps under a limit of 20 pids: the shell cannot fork
		// them all and gives up; without the limit it survives.
		bomb := `for i in $(seq 1 40); do sleep 2 & done; wait; echo survived`
		r := d.docker("run", "--rm", "--pids-limit", "20", "busybox", "sh", "-c", bomb)
		if r.code == 0 || strings.Contains(r.stdout, "survived") || !strings.Contains(r.stderr, "can't fork") {
			t.Fatalf("fork bomb not stopped: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
		}
		if out := d.mustDocker("run", "--rm", "busybox", "sh", "-c", bomb); out != "survived\n" {
			t.Fatalf("without a limit: %q", out)
		}
	})
	t.Run("read-only", func(t *testing.T) {
		r := d.docker("run", "--rm", "--read-only", "busybox", "touch", "/x")
		if r.code == 0 || !strings.Contains(r.stderr, "Read-only file system") {
			t.Fatalf("touch on --read-only: code %d, stderr %q", r.code, r.stderr)
		}
		if out := d.mustDocker("run", "--rm", "busybox", "sh", "-c", "touch /x && echo ok"); out != "ok\n" {
			t.Fatalf("writable rootfs: %q", out)
		}
	})
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"user-numeric", []string{"-u", "65534", "busybox", "id"}, "uid=65534(nobody) gid=65534(nogroup)"},
		{"user-name", []string{"-u", "nobody", "busybox", "id", "-u"}, "65534"},
		{"user-group", []string{"-u", "1:65534", "busybox", "id"}, "uid=1(daemon) gid=65534(nogroup)"},
		{"workdir", []string{"-w", "/tmp", "busybox", "pwd"}, "/tmp"},
		{"workdir-created", []string{"-w", "/made/by/docker", "busybox", "pwd"}, "/made/by/docker"},
		{"env", []string{"-e", "FOO=bar", "busybox", "sh", "-c", "echo $FOO"}, "bar"},
		{"hostname", []string{"--hostname", "myhost", "busybox", "hostname"}, "myhost"},
		{"etc-hostname", []string{"--hostname", "myhost", "busybox", "cat", "/etc/hostname"}, "myhost"},
		{"loopback-up", []string{"busybox", "sh", "-c", "ip -o link show lo | grep -c UP"}, "1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := d.mustDocker(append([]string{"run", "--rm"}, tc.args...)...)
			if !strings.Contains(out, tc.want) {
				t.Fatalf("docker run %v printed %q, want %q", tc.args, out, tc.want)
			}
		})
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}
