package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 4: berthd --userns-remap runs containers in a user namespace whose
// root is an unprivileged host user, on the same image layers (idmapped
// mounts), on both runtimes.
func TestUsernsRemap(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "subuid"), "dockremap:300000:65536\n")
	writeFile(t, filepath.Join(dir, "subgid"), "dockremap:300000:65536\n")
	cfg := filepath.Join(dir, "daemon.json")
	writeFile(t, cfg, `{"userns-remap":"default","subuid-file":"`+dir+`/subuid","subgid-file":"`+dir+`/subgid"}`)
	d := startDaemon(t, "--config-file", cfg)
	// The remapped root must be able to reach the container's files (as
	// dockerd requires of its data root).
	if err := os.Chmod(d.root, 0o711); err != nil {
		t.Fatal(err)
	}
	d.importBusybox()
	if info := d.mustDocker("info", "--format", "{{.SecurityOptions}}"); !strings.Contains(info, "name=userns") {
		t.Errorf("docker info security options: %s", info)
	}
	for _, rt := range e2eRuntimes() {
		t.Run(rt, func(t *testing.T) {
			out := d.mustDocker("run", "--rm", "--runtime", rt, "busybox", "sh", "-c",
				"cat /proc/self/uid_map; id -u; stat -c %u /bin/busybox; touch /new && echo x >> /etc/hosts && echo y >> /etc/passwd && echo wrote")
			f := strings.Fields(out)
			if len(f) != 6 || f[0] != "0" || f[1] != "300000" || f[2] != "65536" || f[3] != "0" || f[4] != "0" || f[5] != "wrote" {
				t.Errorf("remapped container printed %q: want map 0 300000 65536, root, image files owned by root, writes ok", out)
			}
			id := strings.TrimSpace(d.mustDocker("run", "-d", "--runtime", rt, "busybox", "sleep", "60"))
			pid := strings.TrimSpace(d.mustDocker("inspect", "-f", "{{.State.Pid}}", id))
			status, err := os.ReadFile("/proc/" + pid + "/status")
			if err != nil || !strings.Contains(string(status), "\nUid:\t300000\t300000") {
				t.Errorf("the container's process is not host uid 300000: %v\n%s", err, status)
			}
			d.mustDocker("rm", "-f", id)
			if out := d.mustDocker("run", "--rm", "--runtime", rt, "--userns", "host", "busybox", "cat", "/proc/self/uid_map"); strings.Fields(out)[1] != "0" {
				t.Errorf("--userns=host: uid_map %q", out)
			}
			if r := d.docker("run", "--rm", "--runtime", rt, "--privileged", "busybox", "true"); r.code == 0 || !strings.Contains(r.stderr, "privileged mode is incompatible with user namespaces") {
				t.Errorf("--privileged with remapping: exit %d, stderr %q", r.code, r.stderr)
			}
		})
	}
}
