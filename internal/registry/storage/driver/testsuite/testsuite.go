package testsuite

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/registry/storage/driver"
)

// Run runs the storage-driver conformance suite. newDriver returns a fresh,
// empty driver for each subtest.
func Run(t *testing.T, newDriver func(t *testing.T) driver.Driver) {
	tests := []struct {
		name string
		fn   func(t *testing.T, d driver.Driver)
	}{
		{"PutGet", testPutGet},
		{"InvalidPaths", testInvalidPaths},
		{"Stat", testStat},
		{"List", testList},
		{"Move", testMove},
		{"Delete", testDelete},
		{"Walk", testWalk},
		{"Writer", testWriter},
		{"WriterCancel", testWriterCancel},
		{"Reader", testReader},
		{"ConcurrentPut", testConcurrentPut},
		{"LargeStream", testLargeStream},
		{"Cancelled", testCancelled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newDriver(t)) })
	}
}

func mustPut(t *testing.T, d driver.Driver, p, content string) {
	t.Helper()
	if err := d.PutContent(t.Context(), p, []byte(content)); err != nil {
		t.Fatalf("PutContent(%s): %v", p, err)
	}
}

func expectContent(t *testing.T, d driver.Driver, p, want string) {
	t.Helper()
	got, err := d.GetContent(t.Context(), p)
	if err != nil {
		t.Fatalf("GetContent(%s): %v", p, err)
	}
	if string(got) != want {
		t.Fatalf("GetContent(%s) = %q, want %q", p, got, want)
	}
}

func expectKind(t *testing.T, what string, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("%s: error %v, want kind %v", what, err, kind)
	}
}

func testPutGet(t *testing.T, d driver.Driver) {
	ctx := t.Context()
	mustPut(t, d, "/a/b/c", "one")
	expectContent(t, d, "/a/b/c", "one")
	mustPut(t, d, "/a/b/c", "two, longer")
	expectContent(t, d, "/a/b/c", "two, longer")
	mustPut(t, d, "/a/b/c", "")
	expectContent(t, d, "/a/b/c", "")
	_, err := d.GetContent(ctx, "/a/b/missing")
	expectKind(t, "GetContent missing", err, errdefs.ErrNotFound)
	_, err = d.GetContent(ctx, "/a/b")
	if err == nil {
		t.Fatal("GetContent of a directory succeeded")
	}
	if d.Name() == "" {
		t.Fatal("Name is empty")
	}
}

func testInvalidPaths(t *testing.T, d driver.Driver) {
	ctx := t.Context()
	bad := []string{"", "a", "/a/", "//a", "/a//b", "/..", "/a/../b", "/./a", "/.tmp/x", "/a/.hidden",
		"/-a", "/a b", "/a/%2e%2e", "/a\\b", "/a\x00b", "/ü"}
	for _, p := range bad {
		t.Run(fmt.Sprintf("%q", p), func(t *testing.T) {
			expectKind(t, "PutContent", d.PutContent(ctx, p, []byte("x")), errdefs.ErrInvalidArgument)
			_, err := d.GetContent(ctx, p)
			expectKind(t, "GetContent", err, errdefs.ErrInvalidArgument)
			_, err = d.Stat(ctx, p)
			expectKind(t, "Stat", err, errdefs.ErrInvalidArgument)
			_, err = d.Writer(ctx, p, false)
			expectKind(t, "Writer", err, errdefs.ErrInvalidArgument)
			_, err = d.Reader(ctx, p)
			expectKind(t, "Reader", err, errdefs.ErrInvalidArgument)
			expectKind(t, "Delete", d.Delete(ctx, p), errdefs.ErrInvalidArgument)
			expectKind(t, "Move", d.Move(ctx, "/ok", p), errdefs.ErrInvalidArgument)
			_, err = d.List(ctx, p)
			expectKind(t, "List", err, errdefs.ErrInvalidArgument)
		})
	}
}

func testStat(t *testing.T, d driver.Driver) {
	ctx := t.Context()
	mustPut(t, d, "/dir/file", "12345")
	fi, err := d.Stat(ctx, "/dir/file")
	if err != nil || fi.Size != 5 || fi.IsDir || fi.Path != "/dir/file" || fi.ModTime.IsZero() {
		t.Fatalf("Stat file = %+v, %v", fi, err)
	}
	fi, err = d.Stat(ctx, "/dir")
	if err != nil || !fi.IsDir {
		t.Fatalf("Stat dir = %+v, %v", fi, err)
	}
	_, err = d.Stat(ctx, "/nope")
	expectKind(t, "Stat missing", err, errdefs.ErrNotFound)
}

func testList(t *testing.T, d driver.Driver) {
	ctx := t.Context()
	for _, p := range []string{"/l/b", "/l/a/x", "/l/a/y", "/l/c/d/e", "/other"} {
		mustPut(t, d, p, p)
	}
	got, err := d.List(ctx, "/l")
	if want := []string{"a", "b", "c"}; err != nil || !slices.Equal(got, want) {
		t.Fatalf("List(/l) = %v, %v; want %v", got, err, want)
	}
	got, err = d.List(ctx, "/")
	if want := []string{"l", "other"}; err != nil || !slices.Equal(got, want) {
		t.Fatalf("List(/) = %v, %v; want %v", got, err, want)
	}
	_, err = d.List(ctx, "/missing")
	expectKind(t, "List missing", err, errdefs.ErrNotFound)
	_, err = d.List(ctx, "/l/b")
	expectKind(t, "List of a file", err, errdefs.ErrNotFound)
}

func testMove(t *testing.T, d driver.Driver) {
	ctx := t.Context()
	mustPut(t, d, "/src/f", "content")
	mustPut(t, d, "/dst/existing", "old")
	if err := d.Move(ctx, "/src/f", "/dst/new/deep/f"); err != nil {
		t.Fatalf("Move: %v", err)
	}
	expectContent(t, d, "/dst/new/deep/f", "content")
	_, err := d.Stat(ctx, "/src/f")
	expectKind(t, "Stat moved source", err, errdefs.ErrNotFound)
	mustPut(t, d, "/src/g", "replacement")
	if err := d.Move(ctx, "/src/g", "/dst/existing"); err != nil {
		t.Fatalf("Move over existing: %v", err)
	}
	expectContent(t, d, "/dst/existing", "replacement")
	expectKind(t, "Move missing", d.Move(ctx, "/src/none", "/dst/x"), errdefs.ErrNotFound)
}

func testDelete(t *testing.T, d driver.Driver) {
	ctx := t.Context()
	mustPut(t, d, "/tree/a/1", "1")
	mustPut(t, d, "/tree/a/2", "2")
	mustPut(t, d, "/tree/b", "b")
	mustPut(t, d, "/treeish", "sibling with a common prefix")
	if err := d.Delete(ctx, "/tree/b"); err != nil {
		t.Fatalf("Delete file: %v", err)
	}
	if err := d.Delete(ctx, "/tree"); err != nil {
		t.Fatalf("Delete tree: %v", err)
	}
	for _, p := range []string{"/tree", "/tree/a", "/tree/a/1"} {
		_, err := d.Stat(ctx, p)
		expectKind(t, "Stat deleted "+p, err, errdefs.ErrNotFound)
	}
	expectContent(t, d, "/treeish", "sibling with a common prefix")
	expectKind(t, "Delete missing", d.Delete(ctx, "/tree"), errdefs.ErrNotFound)
	expectKind(t, "Delete root", d.Delete(ctx, "/"), errdefs.ErrInvalidArgument)
}

func testWalk(t *testing.T, d driver.Driver) {
	ctx := t.Context()
	for _, p := range []string{"/w/b/1", "/w/a-c", "/w/a/x/2", "/w/a/y", "/z"} {
		mustPut(t, d, p, "x")
	}
	var seen []string
	err := d.Walk(ctx, "/w", func(fi driver.FileInfo) error {
		seen = append(seen, fmt.Sprintf("%s:%v", fi.Path, fi.IsDir))
		return nil
	})
	want := []string{"/w/a:true", "/w/a/x:true", "/w/a/x/2:false", "/w/a/y:false", "/w/a-c:false", "/w/b:true", "/w/b/1:false"}
	if err != nil || !slices.Equal(seen, want) {
		t.Fatalf("Walk = %v, %v\nwant %v", seen, err, want)
	}
	seen = nil
	err = d.Walk(ctx, "/w", func(fi driver.FileInfo) error {
		seen = append(seen, fi.Path)
		if fi.IsDir && fi.Path == "/w/a" {
			return driver.ErrSkipDir
		}
		return nil
	})
	if want := []string{"/w/a", "/w/a-c", "/w/b", "/w/b/1"}; err != nil || !slices.Equal(seen, want) {
		t.Fatalf("Walk with ErrSkipDir = %v, %v; want %v", seen, err, want)
	}
	stop := errors.New("stop")
	if err := d.Walk(ctx, "/w", func(driver.FileInfo) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("Walk did not return fn's error: %v", err)
	}
	expectKind(t, "Walk missing", d.Walk(ctx, "/missing", func(driver.FileInfo) error { return nil }), errdefs.ErrNotFound)
	// fn may delete what it visits.
	err = d.Walk(ctx, "/w", func(fi driver.FileInfo) error {
		if !fi.IsDir {
			return d.Delete(ctx, fi.Path)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Walk deleting files: %v", err)
	}
}

func testWriter(t *testing.T, d driver.Driver) {
	ctx := t.Context()
	_, err := d.Writer(ctx, "/up/data", true)
	expectKind(t, "append to missing", err, errdefs.ErrNotFound)
	w, err := d.Writer(ctx, "/up/data", false)
	if err != nil {
		t.Fatalf("Writer: %v", err)
	}
	for _, s := range []string{"hello", ", ", "world"} {
		if _, err := io.WriteString(w, s); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	if w.Size() != 12 {
		t.Fatalf("Size = %d", w.Size())
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Fatal("Write after Close succeeded")
	}
	w, err = d.Writer(ctx, "/up/data", true)
	if err != nil || w.Size() != 12 {
		t.Fatalf("append Writer: size %v, %v", w, err)
	}
	io.WriteString(w, "!")
	w.Close()
	expectContent(t, d, "/up/data", "hello, world!")
	w, err = d.Writer(ctx, "/up/data", false)
	if err != nil || w.Size() != 0 {
		t.Fatalf("truncating Writer: %v", err)
	}
	io.WriteString(w, "new")
	w.Close()
	expectContent(t, d, "/up/data", "new")
}

func testWriterCancel(t *testing.T, d driver.Driver) {
	ctx := t.Context()
	w, err := d.Writer(ctx, "/up/cancelled", false)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "partial")
	if err := w.Cancel(ctx); err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	_, err = d.Stat(ctx, "/up/cancelled")
	expectKind(t, "Stat cancelled", err, errdefs.ErrNotFound)
}

func testReader(t *testing.T, d driver.Driver) {
	ctx := t.Context()
	mustPut(t, d, "/r", "0123456789")
	r, err := d.Reader(ctx, "/r")
	if err != nil {
		t.Fatalf("Reader: %v", err)
	}
	defer r.Close()
	if _, err := r.Seek(4, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 3)
	if _, err := io.ReadFull(r, b); err != nil || string(b) != "456" {
		t.Fatalf("read after seek = %q, %v", b, err)
	}
	if n, err := r.Seek(0, io.SeekEnd); err != nil || n != 10 {
		t.Fatalf("Seek end = %d, %v", n, err)
	}
	_, err = d.Reader(ctx, "/missing")
	expectKind(t, "Reader missing", err, errdefs.ErrNotFound)
}

// testConcurrentPut checks PutContent's atomicity: concurrent readers see
// one whole version, never a mix or a torn write.
func testConcurrentPut(t *testing.T, d driver.Driver) {
	ctx := t.Context()
	versions := make([][]byte, 8)
	for i := range versions {
		versions[i] = bytes.Repeat([]byte{byte('a' + i)}, 64<<10)
	}
	mustPut(t, d, "/c/file", string(versions[0]))
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range versions {
		wg.Go(func() {
			for range 10 {
				if err := d.PutContent(ctx, "/c/file", versions[i]); err != nil {
					errs <- err
					return
				}
			}
		})
		wg.Go(func() {
			for range 10 {
				b, err := d.GetContent(ctx, "/c/file")
				if err != nil {
					errs <- err
					return
				}
				if !slices.ContainsFunc(versions, func(v []byte) bool { return bytes.Equal(v, b) }) {
					errs <- fmt.Errorf("torn read: %d bytes starting %q", len(b), b[:min(len(b), 4)])
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func testLargeStream(t *testing.T, d driver.Driver) {
	ctx := t.Context()
	w, err := d.Writer(ctx, "/big/data", false)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 1<<20)
	h := sha256.New()
	for i := range 20 {
		for j := range chunk {
			chunk[j] = byte(i*7 + j)
		}
		h.Write(chunk)
		if _, err := w.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	w.Close()
	want := h.Sum(nil)
	if err := d.Move(ctx, "/big/data", "/blobs/big"); err != nil {
		t.Fatal(err)
	}
	r, err := d.Reader(ctx, "/blobs/big")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	h.Reset()
	if n, err := io.Copy(h, r); err != nil || n != 20<<20 {
		t.Fatalf("read back %d bytes, %v", n, err)
	}
	if !bytes.Equal(h.Sum(nil), want) {
		t.Fatal("read back content differs")
	}
}

func testCancelled(t *testing.T, d driver.Driver) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := d.PutContent(ctx, "/x", []byte("x")); !errors.Is(err, context.Canceled) {
		t.Fatalf("PutContent with a cancelled context: %v", err)
	}
	if _, err := d.GetContent(ctx, "/x"); !errors.Is(err, context.Canceled) {
		t.Fatalf("GetContent with a cancelled context: %v", err)
	}
	if err := d.Walk(ctx, "/", func(driver.FileInfo) error { return nil }); err == nil {
		t.Fatal("Walk with a cancelled context succeeded")
	}
}
