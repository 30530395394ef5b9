package archive

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// entry describes one tar entry for tests.
type entry struct {
	name, body, link string
	typ              byte
	mode             int64
	uid, gid         int
	xattrs           map[string]string
	major, minor     int64
}

var testTime = time.Date(2021, 6, 7, 8, 9, 10, 0, time.UTC)

func file(name, body string) entry {
	return entry{name: name, body: body, typ: tar.TypeReg, mode: 0o644}
}
func dir(name string) entry { return entry{name: name, typ: tar.TypeDir, mode: 0o755} }
func symlink(name, target string) entry {
	return entry{name: name, link: target, typ: tar.TypeSymlink, mode: 0o777}
}
func hardlink(name, target string) entry {
	return entry{name: name, link: target, typ: tar.TypeLink, mode: 0o644}
}

// makeTar builds an uncompressed tar from entries.
func makeTar(t *testing.T, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: e.mode, Linkname: e.link, Uid: e.uid, Gid: e.gid,
			ModTime: testTime, Size: int64(len(e.body)), Devmajor: e.major, Devminor: e.minor, Format: tar.FormatPAX}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		for k, v := range e.xattrs {
			if h.PAXRecords == nil {
				h.PAXRecords = map[string]string{}
			}
			h.PAXRecords[paxXattr+k] = v
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatalf("header %s: %v", e.name, err)
		}
		if h.Size > 0 {
			tw.Write([]byte(e.body))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// snapshotTree describes a tree: path -> "type mode uid:gid mtime content/target [xattrs]".
func snapshotTree(t *testing.T, root string) map[string]string {
	t.Helper()
	tree, err := describeTree(root)
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

func describeTree(root string) (map[string]string, error) {
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			return nil
		}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		desc := fmt.Sprintf("%o %o %d:%d", st.Mode&unix.S_IFMT, st.Mode&0o7777, st.Uid, st.Gid)
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFREG:
			b, _ := os.ReadFile(p)
			desc += fmt.Sprintf(" %d %q", st.Mtim.Sec, b)
		case unix.S_IFDIR:
			desc += fmt.Sprintf(" %d", st.Mtim.Sec)
		case unix.S_IFLNK:
			l, _ := os.Readlink(p)
			desc = fmt.Sprintf("link %q", l)
		case unix.S_IFCHR, unix.S_IFBLK:
			desc += fmt.Sprintf(" dev %d:%d", unix.Major(st.Rdev), unix.Minor(st.Rdev))
		}
		names, _ := ListXattrs(p)
		sort.Strings(names)
		for _, n := range names {
			if strings.HasPrefix(n, "user.") {
				v, _ := GetXattr(p, n)
				desc += fmt.Sprintf(" %s=%s", n, v)
			}
		}
		out[rel] = desc
		return nil
	})
	return out, err
}

func diffTrees(a, b map[string]string) string {
	var diffs []string
	for k, v := range a {
		if b[k] != v {
			diffs = append(diffs, fmt.Sprintf("%s: %q vs %q", k, v, b[k]))
		}
	}
	for k, v := range b {
		if _, ok := a[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: missing vs %q", k, v))
		}
	}
	sort.Strings(diffs)
	return strings.Join(diffs, "\n")
}

func mustApply(t *testing.T, root string, tarball []byte, opts ApplyOptions) int64 {
	t.Helper()
	n, err := Apply(t.Context(), root, bytes.NewReader(tarball), opts)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return n
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}
