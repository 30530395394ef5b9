package filesystem_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/berthproject/berth/internal/registry/storage/driver"
	"github.com/berthproject/berth/internal/registry/storage/driver/filesystem"
	"github.com/berthproject/berth/internal/registry/storage/driver/testsuite"
)

func TestSuite(t *testing.T) {
	for _, noSync := range []bool{false, true} {
		name := "sync"
		if noSync {
			name = "nosync"
		}
		t.Run(name, func(t *testing.T) {
			testsuite.Run(t, func(t *testing.T) driver.Driver {
				d, err := filesystem.New(t.TempDir(), filesystem.Options{NoSync: noSync})
				if err != nil {
					t.Fatal(err)
				}
				return d
			})
		})
	}
}

// TestReaderIsFile keeps the sendfile path: net/http only uses sendfile
// when the body it copies is an *os.File.
func TestReaderIsFile(t *testing.T) {
	d, err := filesystem.New(t.TempDir(), filesystem.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.PutContent(t.Context(), "/f", []byte("x")); err != nil {
		t.Fatal(err)
	}
	r, err := d.Reader(t.Context(), "/f")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, ok := r.(*os.File); !ok {
		t.Fatalf("Reader returned %T, want *os.File", r)
	}
}

func TestPurgeTemp(t *testing.T) {
	root := t.TempDir()
	d, err := filesystem.New(root, filesystem.Options{})
	if err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(root, ".tmp", "put-stale")
	fresh := filepath.Join(root, ".tmp", "put-fresh")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(stale, old, old)
	n, err := d.PurgeTemp(t.Context(), time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("PurgeTemp = %d, %v", n, err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatal("stale temp file survived")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Fatal("fresh temp file was removed")
	}
	names, err := d.List(t.Context(), "/")
	if err != nil || len(names) != 0 {
		t.Fatalf("List(/) shows %v, %v; temp dir must stay hidden", names, err)
	}
}
