package archive

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berthproject/berth/errdefs"
	"golang.org/x/sys/unix"
)

// TestApplyHostile applies crafted layers into <sandbox>/root next to
// <sandbox>/outside, which holds a sentinel file: nothing may be created,
// changed, linked or removed outside the root, and escapes are refused
// with ErrInvalidArgument.
func TestApplyHostile(t *testing.T) {
	type result int
	const (
		ok      result = iota // applied, staying inside
		invalid               // refused with ErrInvalidArgument
	)
	tests := []struct {
		name    string
		entries func(outside string) []entry
		want    result
		inside  []string // paths that must exist under root afterwards
	}{
		{"dotdot file", func(string) []entry { return []entry{file("../outside/pwned", "x")} }, invalid, nil},
		{"nested dotdot", func(string) []entry { return []entry{file("a/../../outside/pwned", "x")} }, invalid, nil},
		{"dotdot dir", func(string) []entry { return []entry{dir("../")} }, invalid, nil},
		{"absolute name", func(o string) []entry { return []entry{file(o+"/pwned", "x")} }, ok, []string{"<outside>/pwned"}},
		{"relative symlink then write through it", func(string) []entry {
			return []entry{symlink("ln", "../../outside"), file("ln/pwned", "x")}
		}, ok, []string{"outside/pwned"}},
		{"absolute symlink then write through it", func(o string) []entry {
			return []entry{symlink("ln", o), file("ln/pwned", "x"), dir("ln/sub/"), file("ln/sub/f", "x")}
		}, ok, []string{"<outside>/pwned", "<outside>/sub/f"}},
		{"symlink to parent chain", func(string) []entry {
			return []entry{dir("a/"), symlink("a/up", ".."), symlink("a/upup", "up/.."), file("a/upup/up/up/pwned", "x")}
		}, ok, []string{"up/up/pwned"}},
		{"hardlink out", func(string) []entry { return []entry{hardlink("h", "../outside/sentinel")} }, invalid, nil},
		{"hardlink through symlink out", func(o string) []entry {
			return []entry{symlink("ln", o), hardlink("h", "ln/sentinel")}
		}, invalid, nil},
		{"hardlink to a symlink pointing out", func(o string) []entry {
			return []entry{symlink("ln", o+"/sentinel"), hardlink("h", "ln"), file("h", "overwrite")}
		}, ok, []string{"h", "ln"}},
		{"overwrite a symlink pointing out", func(o string) []entry {
			return []entry{symlink("evil", o+"/sentinel"), file("evil", "overwritten")}
		}, ok, []string{"evil"}},
		{"dir over a symlink pointing out", func(o string) []entry {
			return []entry{symlink("d", o), dir("d/"), file("d/f", "x")}
		}, ok, []string{"d/f"}},
		{"whiteout dotdot", func(string) []entry { return []entry{file(".wh..", "")} }, invalid, nil},
		{"nested whiteout dotdot", func(string) []entry { return []entry{dir("d/"), file("d/.wh..", "")} }, invalid, nil},
		{"whiteout climbing", func(string) []entry { return []entry{file("../outside/.wh.sentinel", "")} }, invalid, nil},
		{"whiteout through symlink", func(o string) []entry {
			return []entry{symlink("ln", o), file("ln/.wh.sentinel", "")}
		}, ok, nil},
		{"opaque through symlink", func(o string) []entry {
			return []entry{symlink("ln", o), file("ln/.wh..wh..opq", "")}
		}, ok, nil},
		{"hardlink to a directory", func(string) []entry { return []entry{dir("d/"), hardlink("h", "d")} }, invalid, nil},
		{"hardlink to the root", func(string) []entry { return []entry{hardlink("h", "./")} }, invalid, nil},
		{"hardlink to a missing file", func(string) []entry { return []entry{hardlink("h", "nope")} }, invalid, nil},
		{"symlink loop as parent", func(string) []entry {
			return []entry{symlink("a", "b"), symlink("b", "a"), file("a/x", "x")}
		}, invalid, nil},
		{"file as parent", func(string) []entry { return []entry{file("f", "x"), file("f/x", "x")} }, invalid, nil},
		{"root as a file", func(string) []entry { return []entry{file(".", "x")} }, invalid, nil},
		{"unsupported type", func(string) []entry { return []entry{{name: "cont", typ: tar.TypeCont, mode: 0o644}} }, invalid, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sandbox := t.TempDir()
			root, outside := filepath.Join(sandbox, "root"), filepath.Join(sandbox, "outside")
			for _, d := range []string{root, outside} {
				if err := os.Mkdir(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			sentinel := filepath.Join(outside, "sentinel")
			if err := os.WriteFile(sentinel, []byte("untouched"), 0o644); err != nil {
				t.Fatal(err)
			}
			before := snapshotTree(t, outside)
			_, err := Apply(t.Context(), root, bytes.NewReader(makeTar(t, tc.entries(outside)...)), ApplyOptions{})
			switch tc.want {
			case ok:
				if err != nil {
					t.Fatalf("apply: %v", err)
				}
			case invalid:
				if !errdefs.IsInvalidArgument(err) {
					t.Fatalf("apply: %v, want ErrInvalidArgument", err)
				}
			}
			if d := diffTrees(before, snapshotTree(t, outside)); d != "" {
				t.Fatalf("outside changed:\n%s", d)
			}
			var st unix.Stat_t
			if err := unix.Stat(sentinel, &st); err != nil || st.Nlink != 1 {
				t.Fatalf("sentinel linked or gone: nlink %d, %v", st.Nlink, err)
			}
			if entries, _ := os.ReadDir(sandbox); len(entries) != 2 {
				t.Fatalf("sandbox has %d entries, want root and outside", len(entries))
			}
			for _, p := range tc.inside {
				p = strings.ReplaceAll(p, "<outside>", outside)
				if !exists(filepath.Join(root, p)) {
					t.Errorf("%s not created inside the root: %v", p, snapshotTree(t, root))
				}
			}
		})
	}
}

// TestApplyCorrupt checks that a truncated or garbage stream fails with
// ErrInvalidArgument.
func TestApplyCorrupt(t *testing.T) {
	layer := makeTar(t, file("a", string(make([]byte, 2000))))
	for name, data := range map[string][]byte{
		"truncated": layer[:700],
		"garbage":   bytes.Repeat([]byte("not a tar "), 100),
	} {
		_, err := Apply(t.Context(), t.TempDir(), bytes.NewReader(data), ApplyOptions{})
		if !errdefs.IsInvalidArgument(err) {
			t.Errorf("%s: %v, want ErrInvalidArgument", name, err)
		}
	}
}

func TestSecureJoin(t *testing.T) {
	root := t.TempDir()
	if err := os.Symlink("/etc", filepath.Join(root, "etc-link")); err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"../../etc/passwd":    "/etc/passwd",
		"/etc/passwd":         "/etc/passwd",
		"etc-link/passwd":     "/etc/passwd",
		"a/../../../../b":     "/b",
		"etc-link/../../host": "/host",
	} {
		got, err := SecureJoin(root, in)
		if err != nil || got != filepath.Join(root, want) {
			t.Errorf("SecureJoin(%q) = %q, %v; want %q", in, got, err, filepath.Join(root, want))
		}
	}
}
