package local

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/content"
	digest "github.com/opencontainers/go-digest"
)

// Store is a content store on the local filesystem.
type Store struct {
	root string
}

var _ content.Store = (*Store)(nil)

// Open opens (creating it if needed) the store rooted at root and removes the
// temporary files of writes that never finished.
func Open(root string) (*Store, error) {
	for _, d := range []string{filepath.Join(root, "blobs", "sha256"), filepath.Join(root, "ingest")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("content store: %w", err)
		}
	}
	s := &Store{root: root}
	entries, err := os.ReadDir(s.ingestDir())
	if err != nil {
		return nil, fmt.Errorf("content store: %w", err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(s.ingestDir(), e.Name())); err != nil {
			return nil, fmt.Errorf("content store: remove stale ingest: %w", err)
		}
	}
	return s, nil
}

// Root returns the directory the store lives in.
func (s *Store) Root() string { return s.root }

func (s *Store) ingestDir() string { return filepath.Join(s.root, "ingest") }
func (s *Store) blobDir() string   { return filepath.Join(s.root, "blobs", "sha256") }

// blobPath validates dgst and returns where its blob lives.
func (s *Store) blobPath(dgst digest.Digest) (string, error) {
	if err := dgst.Validate(); err != nil || dgst.Algorithm() != digest.SHA256 {
		return "", fmt.Errorf("digest %q: %w", dgst, errdefs.ErrInvalidArgument)
	}
	return filepath.Join(s.blobDir(), dgst.Encoded()), nil
}

// Info returns the size and commit time of a blob.
func (s *Store) Info(ctx context.Context, dgst digest.Digest) (content.Info, error) {
	p, err := s.blobPath(dgst)
	if err != nil {
		return content.Info{}, err
	}
	fi, err := os.Stat(p)
	if err != nil {
		return content.Info{}, notFound(dgst, err)
	}
	return content.Info{Digest: dgst, Size: fi.Size(), CreatedAt: fi.ModTime()}, nil
}

// ReaderAt opens a blob for reading.
func (s *Store) ReaderAt(ctx context.Context, dgst digest.Digest) (content.ReaderAt, error) {
	p, err := s.blobPath(dgst)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, notFound(dgst, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("blob %s: %w", dgst, err)
	}
	return &readerAt{File: f, size: fi.Size()}, nil
}

type readerAt struct {
	*os.File
	size int64
}

func (r *readerAt) Size() int64 { return r.size }

// Walk calls fn for each committed blob.
func (s *Store) Walk(ctx context.Context, fn func(content.Info) error) error {
	entries, err := os.ReadDir(s.blobDir())
	if err != nil {
		return fmt.Errorf("content store: %w", err)
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		dgst := digest.NewDigestFromEncoded(digest.SHA256, e.Name())
		if dgst.Validate() != nil {
			continue // not a blob (should not happen)
		}
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted meanwhile
		} else if err != nil {
			return fmt.Errorf("content store: %w", err)
		}
		if err := fn(content.Info{Digest: dgst, Size: fi.Size(), CreatedAt: fi.ModTime()}); err != nil {
			return err
		}
	}
	return nil
}

// Delete removes a blob.
func (s *Store) Delete(ctx context.Context, dgst digest.Digest) error {
	p, err := s.blobPath(dgst)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil {
		return notFound(dgst, err)
	}
	return nil
}

// Writer starts a new ingest in a temporary file under ingest/.
func (s *Store) Writer(ctx context.Context) (content.Writer, error) {
	f, err := os.CreateTemp(s.ingestDir(), "w-")
	if err != nil {
		return nil, fmt.Errorf("content store: %w", err)
	}
	return &writer{s: s, f: f, h: sha256.New()}, nil
}

func notFound(dgst digest.Digest, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob %s: %w", dgst, errdefs.ErrNotFound)
	}
	return fmt.Errorf("blob %s: %w", dgst, err)
}

// writer hashes while writing to its temporary file.
type writer struct {
	s    *Store
	f    *os.File // nil once finished
	h    hash.Hash
	size int64
}

func (w *writer) Write(p []byte) (int, error) {
	if w.f == nil {
		return 0, fmt.Errorf("write to a finished ingest: %w", errdefs.ErrConflict)
	}
	n, err := w.f.Write(p)
	w.h.Write(p[:n])
	w.size += int64(n)
	return n, err
}

// ReadAt reads back bytes already written (a pull extracts a layer while
// it downloads). It must not be called concurrently with Commit or Close.
func (w *writer) ReadAt(p []byte, off int64) (int, error) {
	if w.f == nil {
		return 0, fmt.Errorf("read from a finished ingest: %w", errdefs.ErrConflict)
	}
	return w.f.ReadAt(p, off)
}

func (w *writer) Digest() digest.Digest {
	return digest.NewDigestFromEncoded(digest.SHA256, hex.EncodeToString(w.h.Sum(nil)))
}

func (w *writer) Size() int64 { return w.size }

// Commit verifies, syncs and publishes the blob. The temporary file is
// hard-linked to its final name (link fails if a blob is already there, so
// "already exists" is detected atomically) and then removed.
func (w *writer) Commit(ctx context.Context, size int64, expected digest.Digest) error {
	if w.f == nil {
		return fmt.Errorf("commit of a finished ingest: %w", errdefs.ErrConflict)
	}
	defer w.Close()
	dgst := w.Digest()
	if size > 0 && size != w.size {
		return fmt.Errorf("blob size %d, expected %d: %w", w.size, size, errdefs.ErrInvalidArgument)
	}
	if expected != "" && expected != dgst {
		return fmt.Errorf("blob digest %s, expected %s: %w", dgst, expected, errdefs.ErrInvalidArgument)
	}
	if err := w.f.Chmod(0o444); err != nil {
		return fmt.Errorf("commit blob %s: %w", dgst, err)
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("commit blob %s: %w", dgst, err)
	}
	target := filepath.Join(w.s.blobDir(), dgst.Encoded())
	if err := os.Link(w.f.Name(), target); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("blob %s: %w", dgst, errdefs.ErrAlreadyExists)
		}
		return fmt.Errorf("commit blob %s: %w", dgst, err)
	}
	return syncDir(w.s.blobDir())
}

// Close discards the temporary file.
func (w *writer) Close() error {
	if w.f == nil {
		return nil
	}
	name := w.f.Name()
	err := w.f.Close()
	w.f = nil
	if rerr := os.Remove(name); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) && err == nil {
		err = rerr
	}
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
