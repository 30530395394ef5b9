package mount

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// layout builds directories from a description: path -> content, "/" suffix
// for a directory, "->target" for a symlink, "<whiteout>", "<opaque>" (an
// opaque directory), "<fifo>".
func layout(t *testing.T, dir string, spec map[string]string) {
	t.Helper()
	for p, v := range spec {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case strings.HasSuffix(p, "/"):
			err = os.MkdirAll(full, 0o755)
		case strings.HasPrefix(v, "->"):
			err = os.Symlink(v[2:], full)
		case v == "<whiteout>":
			err = unix.Mknod(full, unix.S_IFCHR, 0)
		case v == "<opaque>":
			if err = os.MkdirAll(full, 0o755); err == nil {
				err = setOpaque(full)
			}
		case v == "<fifo>":
			err = unix.Mkfifo(full, 0o644)
		default:
			err = os.WriteFile(full, []byte(v), 0o644)
		}
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
	}
}

// setOpaque marks dir opaque the way overlayfs reads it: trusted.* as root,
// user.* (overlay's userxattr form) otherwise.
func setOpaque(dir string) error {
	attr := "trusted.overlay.opaque"
	if os.Geteuid() != 0 {
		attr = "user.overlay.opaque"
	}
	return unix.Setxattr(dir, attr, []byte("y"), 0)
}

// overlayFixture is three layers and a host directory next to them holding
// a secret that no path may reach.
func overlayFixture(t *testing.T) (upper, mid, low, host string) {
	base := t.TempDir()
	upper, mid, low, host = filepath.Join(base, "upper"), filepath.Join(base, "mid"), filepath.Join(base, "low"), filepath.Join(base, "host")
	layout(t, host, map[string]string{"secret": "host secret"})
	layout(t, low, map[string]string{
		"etc/passwd": "low passwd", "etc/group": "low group", "etc/hosts": "low hosts", "etc/only-low": "l",
		"opq/hidden": "h", "gone/sub/f": "f", "dir-then-file/f": "f", "bin/busybox": "bb",
		"lib/libc.so": "libc", "etc/escape": "->../../../../host/secret",
		"etc/abs-escape": "->" + host + "/secret", "fifo": "<fifo>", "loop1": "->loop2", "loop2": "->loop1",
	})
	layout(t, mid, map[string]string{
		"etc/group": "mid group", "etc/hosts": "<whiteout>", "opq": "<opaque>", "opq/visible": "v",
		"usr/lib/": "", "dir-then-file": "file now", "bin/sh": "->busybox",
	})
	layout(t, upper, map[string]string{
		"etc/passwd": "upper passwd", "gone": "<whiteout>", "link-to-lib": "->/lib/libc.so",
		"rel-link": "->etc/../etc/passwd", "etc/link-up": "->../../../../etc/passwd",
	})
	return upper, mid, low, host
}

func TestReadFile(t *testing.T) {
	upper, mid, low, _ := overlayFixture(t)
	ov := []Mount{{Type: "overlay", Source: "overlay", Options: []string{
		"index=off", "workdir=/nonexistent", "upperdir=" + upper, "lowerdir=" + mid + ":" + low}}}
	tests := []struct {
		path, want string
		err        error // nil: success; fs.ErrNotExist or a syscall errno
		anyErr     bool
	}{
		{"/etc/passwd", "upper passwd", nil, false},
		{"etc/passwd", "upper passwd", nil, false},
		{"/etc/group", "mid group", nil, false},
		{"/etc/only-low", "l", nil, false},
		{"/etc/hosts", "", fs.ErrNotExist, false},
		{"/opq/visible", "v", nil, false},
		{"/opq/hidden", "", fs.ErrNotExist, false},
		{"/gone/sub/f", "", fs.ErrNotExist, false},
		{"/dir-then-file", "file now", nil, false},
		{"/dir-then-file/f", "", unix.ENOTDIR, false},
		{"/bin/sh", "bb", nil, false},
		{"/link-to-lib", "libc", nil, false},
		{"/rel-link", "upper passwd", nil, false},
		{"/../../etc/passwd", "upper passwd", nil, false},
		{"/etc/link-up", "upper passwd", nil, false},
		{"/etc/escape", "", fs.ErrNotExist, false},
		{"/etc/abs-escape", "", fs.ErrNotExist, false},
		{"/loop1", "", unix.ELOOP, false},
		{"/fifo", "", nil, true},
		{"/etc", "", unix.EISDIR, false},
		{"/", "", unix.EISDIR, false},
		{"/missing/file", "", fs.ErrNotExist, false},
	}
	for _, tc := range tests {
		got, err := ReadFile(ov, tc.path)
		switch {
		case tc.anyErr:
			if err == nil {
				t.Errorf("%s: read %q, want an error", tc.path, got)
			}
		case tc.err != nil:
			if !errors.Is(err, tc.err) {
				t.Errorf("%s: %q, %v; want %v", tc.path, got, err, tc.err)
			}
		case err != nil || string(got) != tc.want:
			t.Errorf("%s: %q, %v; want %q", tc.path, got, err, tc.want)
		}
	}
}

func TestReadFileBind(t *testing.T) {
	upper, _, low, _ := overlayFixture(t)
	bind := []Mount{{Type: "bind", Source: low, Options: []string{"ro", "rbind"}}}
	if b, err := ReadFile(bind, "/etc/hosts"); err != nil || string(b) != "low hosts" {
		t.Fatalf("bind read = %q, %v", b, err)
	}
	if _, err := ReadFile(bind, "/etc/abs-escape"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("bind escape: %v", err)
	}
	// A lowerdir-only overlay (a view) works too.
	view := []Mount{{Type: "overlay", Source: "overlay", Options: []string{"lowerdir=" + upper + ":" + low}}}
	if b, err := ReadFile(view, "/etc/group"); err != nil || string(b) != "low group" {
		t.Fatalf("view read = %q, %v", b, err)
	}
	for _, m := range [][]Mount{nil, {{Type: "tmpfs"}}, {{Type: "overlay"}}, {bind[0], bind[0]}} {
		if _, err := ReadFile(m, "/etc/passwd"); !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("ReadFile(%v): %v, want ErrUnsupported", m, err)
		}
	}
}
