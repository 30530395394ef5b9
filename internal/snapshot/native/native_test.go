package native

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/berthproject/berth/internal/snapshot"
	"github.com/berthproject/berth/internal/snapshot/testsuite"
)

func TestSuite(t *testing.T) {
	testsuite.Run(t, func(t *testing.T, root string) (snapshot.Snapshotter, error) { return New(root) })
}

func TestMounts(t *testing.T) {
	root := t.TempDir()
	s, err := New(root)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	m, err := s.Prepare(ctx, "a", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 1 || m[0].Type != "bind" || m[0].ReadOnly() || m[0].Source != filepath.Join(root, "snapshots", "1") {
		t.Fatalf("prepare mounts %+v", m)
	}
	if err := s.Commit(ctx, "c", "a"); err != nil {
		t.Fatal(err)
	}
	v, err := s.View(ctx, "v", "c")
	if err != nil {
		t.Fatal(err)
	}
	if len(v) != 1 || !v[0].ReadOnly() || v[0].Source != m[0].Source {
		t.Fatalf("view mounts %+v, want a read-only bind of %s", v, m[0].Source)
	}
	// An interrupted Prepare leaves a temporary directory; New removes it.
	if err := os.Mkdir(filepath.Join(root, "snapshots", "new-123"), 0o700); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = New(root); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "snapshots", "new-123")); !os.IsNotExist(err) {
		t.Fatalf("orphan kept: %v", err)
	}
	if _, err := os.Stat(m[0].Source); err != nil {
		t.Fatalf("committed snapshot lost: %v", err)
	}
}
