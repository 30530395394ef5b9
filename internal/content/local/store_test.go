package local

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/berthproject/berth/internal/content"
	"github.com/berthproject/berth/internal/content/testsuite"
	digest "github.com/opencontainers/go-digest"
)

func TestSuite(t *testing.T) {
	testsuite.Run(t, func(t *testing.T) content.Store {
		s, err := Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestLayout checks what the suite cannot see: where blobs live, that they
// are read-only, and that failed and abandoned ingests leave no file.
func TestLayout(t *testing.T) {
	root := t.TempDir()
	s, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("layout")
	if _, err := content.WriteBlob(t.Context(), s, bytes.NewReader(data), 0, ""); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(root, "blobs", "sha256", digest.FromBytes(data).Encoded()))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o444 {
		t.Fatalf("blob mode %v, want 0444", fi.Mode())
	}
	if _, err := content.WriteBlob(t.Context(), s, bytes.NewReader([]byte("bad")), 0, digest.FromBytes([]byte("good"))); err == nil {
		t.Fatal("mismatch accepted")
	}
	w, err := s.Writer(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("left behind by a crash"))
	assertEntries(t, filepath.Join(root, "ingest"), 1)
	if _, err := Open(root); err != nil { // reopening cleans stale ingests
		t.Fatal(err)
	}
	assertEntries(t, filepath.Join(root, "ingest"), 0)
	assertEntries(t, filepath.Join(root, "blobs", "sha256"), 1)
}

func assertEntries(t *testing.T, dir string, n int) {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != n {
		t.Fatalf("%s has %d entries, want %d", dir, len(es), n)
	}
}
