package content

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/berthproject/berth/errdefs"
	digest "github.com/opencontainers/go-digest"
)

// Info describes one committed blob.
type Info struct {
	// Digest is the blob's content address (sha256:<hex>).
	Digest digest.Digest
	// Size is the blob's length in bytes.
	Size int64
	// CreatedAt is when the blob was committed.
	CreatedAt time.Time
}

// ReaderAt reads a committed blob at random offsets. Close releases it.
type ReaderAt interface {
	io.ReaderAt
	io.Closer
	// Size is the blob's length in bytes.
	Size() int64
}

// Writer ingests one blob. Bytes written are hashed as they arrive and kept
// in a private temporary place; nothing is visible to readers until Commit
// succeeds. Close without a successful Commit discards everything written.
type Writer interface {
	io.Writer
	// Digest is the digest of the bytes written so far.
	Digest() digest.Digest
	// Size is the number of bytes written so far.
	Size() int64
	// Commit checks the written bytes against size (when > 0) and expected
	// (when not empty), makes them durable and publishes the blob under its
	// digest. A mismatch fails with ErrInvalidArgument and leaves nothing
	// behind. When the blob already exists Commit fails with
	// ErrAlreadyExists (the existing blob is kept, the written copy dropped).
	// A Writer is finished after Commit, successful or not.
	Commit(ctx context.Context, size int64, expected digest.Digest) error
	// Close releases the writer, discarding uncommitted data.
	Close() error
}

// Store is a content-addressable blob store. Every method is safe for
// concurrent use. Errors wrap errdefs kinds: an unknown digest is
// ErrNotFound, an invalid digest ErrInvalidArgument.
//
// Life cycle of a blob:
//
//	Writer ──Write...──> Commit(size, digest) ──> visible: Info, ReaderAt, Walk
//	   │                     │ mismatch                         │
//	   └── Close ────────────┴──> nothing left                  └── Delete ──> gone
//
// Blobs are immutable once committed. The store does not know which blobs
// are in use: its callers (the image store) decide what to Delete.
type Store interface {
	// Info returns the size and commit time of a blob.
	Info(ctx context.Context, dgst digest.Digest) (Info, error)
	// ReaderAt opens a blob for reading.
	ReaderAt(ctx context.Context, dgst digest.Digest) (ReaderAt, error)
	// Writer starts a new ingest.
	Writer(ctx context.Context) (Writer, error)
	// Walk calls fn for each committed blob, in no particular order, and
	// stops at fn's first error, which it returns.
	Walk(ctx context.Context, fn func(Info) error) error
	// Delete removes a blob.
	Delete(ctx context.Context, dgst digest.Digest) error
}

// WriteBlob ingests r into s, verifying size (when > 0) and expected (when
// not empty). A blob that is already present counts as success. It returns
// the committed blob's Info.
func WriteBlob(ctx context.Context, s Store, r io.Reader, size int64, expected digest.Digest) (Info, error) {
	if expected != "" {
		if err := expected.Validate(); err != nil {
			return Info{}, fmt.Errorf("digest %q: %w", expected, errdefs.ErrInvalidArgument)
		}
	}
	w, err := s.Writer(ctx)
	if err != nil {
		return Info{}, err
	}
	defer w.Close()
	if _, err := Copy(ctx, w, r); err != nil {
		return Info{}, err
	}
	dgst := w.Digest()
	if err := w.Commit(ctx, size, expected); err != nil && !errors.Is(err, errdefs.ErrAlreadyExists) {
		return Info{}, err
	}
	return s.Info(ctx, dgst)
}

// ReadBlob reads a whole blob into memory; blobs larger than limit bytes
// fail with ErrInvalidArgument (limit <= 0 means no limit).
func ReadBlob(ctx context.Context, s Store, dgst digest.Digest, limit int64) ([]byte, error) {
	ra, err := s.ReaderAt(ctx, dgst)
	if err != nil {
		return nil, err
	}
	defer ra.Close()
	n := ra.Size()
	if limit > 0 && n > limit {
		return nil, fmt.Errorf("blob %s is %d bytes, more than %d: %w", dgst, n, limit, errdefs.ErrInvalidArgument)
	}
	b := make([]byte, n)
	if _, err := ra.ReadAt(b, 0); err != nil && !(errors.Is(err, io.EOF) && n == 0) {
		return nil, fmt.Errorf("read blob %s: %w", dgst, err)
	}
	return b, nil
}

// NewReader returns a sequential reader over ra.
func NewReader(ra ReaderAt) io.Reader { return io.NewSectionReader(ra, 0, ra.Size()) }

// Copy copies r to w like io.Copy, checking ctx between chunks so that a
// cancelled request stops a long copy.
func Copy(ctx context.Context, w io.Writer, r io.Reader) (int64, error) {
	buf := make([]byte, 128<<10)
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		nr, rerr := r.Read(buf)
		if nr > 0 {
			nw, werr := w.Write(buf[:nr])
			n += int64(nw)
			if werr != nil {
				return n, werr
			}
			if nw != nr {
				return n, io.ErrShortWrite
			}
		}
		if errors.Is(rerr, io.EOF) {
			return n, nil
		}
		if rerr != nil {
			return n, rerr
		}
	}
}
