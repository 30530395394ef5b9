package testsuite

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"sync"
	"testing"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/content"
	digest "github.com/opencontainers/go-digest"
)

// Factory returns a new, empty store for one test.
type Factory func(t *testing.T) content.Store

// Run runs every conformance test against stores made by newStore.
func Run(t *testing.T, newStore Factory) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s content.Store)
	}{
		{"WriteRead", testWriteRead},
		{"EmptyBlob", testEmptyBlob},
		{"DigestMismatch", testDigestMismatch},
		{"SizeMismatch", testSizeMismatch},
		{"AlreadyExists", testAlreadyExists},
		{"CloseDiscards", testCloseDiscards},
		{"ReadAtOffsets", testReadAtOffsets},
		{"WalkDelete", testWalkDelete},
		{"NotFound", testNotFound},
		{"InvalidDigest", testInvalidDigest},
		{"ConcurrentWriters", testConcurrentWriters},
		{"WriteBlobHelper", testWriteBlobHelper},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// write ingests data and commits it with the given checks.
func write(t *testing.T, s content.Store, data []byte, size int64, expected digest.Digest) error {
	t.Helper()
	w, err := s.Writer(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if w.Size() != int64(len(data)) || w.Digest() != digest.FromBytes(data) {
		t.Fatalf("writer reports size %d digest %s, want %d %s", w.Size(), w.Digest(), len(data), digest.FromBytes(data))
	}
	return w.Commit(t.Context(), size, expected)
}

func readAll(t *testing.T, s content.Store, dgst digest.Digest) []byte {
	t.Helper()
	b, err := content.ReadBlob(t.Context(), s, dgst, 0)
	if err != nil {
		t.Fatalf("read %s: %v", dgst, err)
	}
	return b
}

// countBlobs walks the store.
func countBlobs(t *testing.T, s content.Store) map[digest.Digest]int64 {
	t.Helper()
	got := map[digest.Digest]int64{}
	if err := s.Walk(t.Context(), func(i content.Info) error { got[i.Digest] = i.Size; return nil }); err != nil {
		t.Fatal(err)
	}
	return got
}

func testWriteRead(t *testing.T, s content.Store) {
	data := randomBytes(t, 1<<20+17)
	dgst := digest.FromBytes(data)
	if err := write(t, s, data, int64(len(data)), dgst); err != nil {
		t.Fatalf("commit: %v", err)
	}
	info, err := s.Info(t.Context(), dgst)
	if err != nil {
		t.Fatal(err)
	}
	if info.Digest != dgst || info.Size != int64(len(data)) || info.CreatedAt.IsZero() {
		t.Fatalf("info = %+v", info)
	}
	if !bytes.Equal(readAll(t, s, dgst), data) {
		t.Fatal("read back differs")
	}
}

func testEmptyBlob(t *testing.T, s content.Store) {
	dgst := digest.FromBytes(nil)
	if err := write(t, s, nil, 0, dgst); err != nil {
		t.Fatalf("commit: %v", err)
	}
	if b := readAll(t, s, dgst); len(b) != 0 {
		t.Fatalf("empty blob reads %d bytes", len(b))
	}
}

func testDigestMismatch(t *testing.T, s content.Store) {
	data := []byte("hello")
	wrong := digest.FromBytes([]byte("world"))
	err := write(t, s, data, 0, wrong)
	if !errdefs.IsInvalidArgument(err) {
		t.Fatalf("commit with wrong digest: %v, want ErrInvalidArgument", err)
	}
	if n := len(countBlobs(t, s)); n != 0 {
		t.Fatalf("%d blobs left after a failed commit", n)
	}
	for _, d := range []digest.Digest{wrong, digest.FromBytes(data)} {
		if _, err := s.Info(t.Context(), d); !errdefs.IsNotFound(err) {
			t.Fatalf("Info(%s) after failed commit: %v", d, err)
		}
	}
}

func testSizeMismatch(t *testing.T, s content.Store) {
	data := []byte("hello")
	if err := write(t, s, data, 4, ""); !errdefs.IsInvalidArgument(err) {
		t.Fatalf("commit with wrong size: %v, want ErrInvalidArgument", err)
	}
	if n := len(countBlobs(t, s)); n != 0 {
		t.Fatalf("%d blobs left after a failed commit", n)
	}
}

func testAlreadyExists(t *testing.T, s content.Store) {
	data := []byte("same")
	if err := write(t, s, data, 0, ""); err != nil {
		t.Fatal(err)
	}
	if err := write(t, s, data, 0, digest.FromBytes(data)); !errdefs.IsAlreadyExists(err) {
		t.Fatalf("second commit: %v, want ErrAlreadyExists", err)
	}
	if !bytes.Equal(readAll(t, s, digest.FromBytes(data)), data) {
		t.Fatal("existing blob changed")
	}
}

func testCloseDiscards(t *testing.T, s content.Store) {
	w, err := s.Writer(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("abandoned")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(t.Context(), 0, ""); err == nil {
		t.Fatal("commit after close succeeded")
	}
	if n := len(countBlobs(t, s)); n != 0 {
		t.Fatalf("%d blobs after an abandoned write", n)
	}
}

func testReadAtOffsets(t *testing.T, s content.Store) {
	data := randomBytes(t, 4096)
	dgst := digest.FromBytes(data)
	if err := write(t, s, data, 0, ""); err != nil {
		t.Fatal(err)
	}
	ra, err := s.ReaderAt(t.Context(), dgst)
	if err != nil {
		t.Fatal(err)
	}
	defer ra.Close()
	if ra.Size() != int64(len(data)) {
		t.Fatalf("size %d", ra.Size())
	}
	for _, off := range []int64{0, 1, 1000, 4000} {
		buf := make([]byte, 96)
		n, err := ra.ReadAt(buf, off)
		if err != nil && !errors.Is(err, io.EOF) {
			t.Fatal(err)
		}
		if !bytes.Equal(buf[:n], data[off:min(off+96, int64(len(data)))]) {
			t.Fatalf("ReadAt(%d) differs", off)
		}
	}
	seq, err := io.ReadAll(content.NewReader(ra))
	if err != nil || !bytes.Equal(seq, data) {
		t.Fatalf("sequential read: %v", err)
	}
}

func testWalkDelete(t *testing.T, s content.Store) {
	want := map[digest.Digest]int64{}
	for i := range 5 {
		data := randomBytes(t, 10+i)
		if err := write(t, s, data, 0, ""); err != nil {
			t.Fatal(err)
		}
		want[digest.FromBytes(data)] = int64(len(data))
	}
	got := countBlobs(t, s)
	if len(got) != len(want) {
		t.Fatalf("walk found %d blobs, want %d", len(got), len(want))
	}
	for d, n := range want {
		if got[d] != n {
			t.Fatalf("walk: %s size %d, want %d", d, got[d], n)
		}
	}
	stop := errors.New("stop")
	if err := s.Walk(t.Context(), func(content.Info) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("walk error not returned: %v", err)
	}
	for d := range want {
		if err := s.Delete(t.Context(), d); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(t.Context(), d); !errdefs.IsNotFound(err) {
			t.Fatalf("second delete: %v", err)
		}
	}
	if n := len(countBlobs(t, s)); n != 0 {
		t.Fatalf("%d blobs after deleting all", n)
	}
}

func testNotFound(t *testing.T, s content.Store) {
	d := digest.FromBytes([]byte("absent"))
	if _, err := s.Info(t.Context(), d); !errdefs.IsNotFound(err) {
		t.Fatalf("Info: %v", err)
	}
	if _, err := s.ReaderAt(t.Context(), d); !errdefs.IsNotFound(err) {
		t.Fatalf("ReaderAt: %v", err)
	}
	if err := s.Delete(t.Context(), d); !errdefs.IsNotFound(err) {
		t.Fatalf("Delete: %v", err)
	}
}

func testInvalidDigest(t *testing.T, s content.Store) {
	for _, d := range []digest.Digest{"", "sha256:xyz", "sha256:../../etc/passwd", "md5:d41d8cd98f00b204e9800998ecf8427e"} {
		if _, err := s.Info(t.Context(), d); !errdefs.IsInvalidArgument(err) {
			t.Errorf("Info(%q): %v, want ErrInvalidArgument", d, err)
		}
		if _, err := s.ReaderAt(t.Context(), d); !errdefs.IsInvalidArgument(err) {
			t.Errorf("ReaderAt(%q): %v, want ErrInvalidArgument", d, err)
		}
	}
}

func testConcurrentWriters(t *testing.T, s content.Store) {
	data := randomBytes(t, 256<<10)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = content.WriteBlob(t.Context(), s, bytes.NewReader(data), int64(len(data)), digest.FromBytes(data))
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(readAll(t, s, digest.FromBytes(data)), data) {
		t.Fatal("blob differs after concurrent writes")
	}
	if n := len(countBlobs(t, s)); n != 1 {
		t.Fatalf("%d blobs, want 1", n)
	}
}

func testWriteBlobHelper(t *testing.T, s content.Store) {
	data := []byte("helper")
	info, err := content.WriteBlob(t.Context(), s, bytes.NewReader(data), 0, "")
	if err != nil || info.Digest != digest.FromBytes(data) || info.Size != 6 {
		t.Fatalf("WriteBlob = %+v, %v", info, err)
	}
	if _, err := content.WriteBlob(t.Context(), s, bytes.NewReader(data), 0, digest.FromBytes([]byte("x"))); !errdefs.IsInvalidArgument(err) {
		t.Fatalf("WriteBlob with wrong digest: %v", err)
	}
	if _, err := content.ReadBlob(t.Context(), s, info.Digest, 3); !errdefs.IsInvalidArgument(err) {
		t.Fatalf("ReadBlob over limit: %v", err)
	}
}
