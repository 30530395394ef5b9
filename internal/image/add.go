package image

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/content"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Adder adds blobs, unpacked layers and finally an image to the store for
// one operation, such as a registry pull, whose steps a caller drives
// itself (in parallel: every method is safe for concurrent use). It is
// valid only inside the function given to Store.Add.
type Adder struct {
	s  *Store
	mu sync.Mutex // guards g
	g  garbage
}

// Add runs fn with an Adder. While fn runs the store collects no garbage,
// so nothing fn relies on disappears; when it returns, what fn added that
// no image references is removed: everything, when fn fails or records no
// image (no partial blob, snapshot or record is left behind).
func (s *Store) Add(ctx context.Context, fn func(*Adder) error) error {
	return s.adding(ctx, func(g garbage) error { return fn(&Adder{s: s, g: g}) })
}

// HasBlob reports whether the content store holds the blob dgst.
func (a *Adder) HasBlob(ctx context.Context, dgst digest.Digest) bool {
	_, err := a.s.content.Info(ctx, dgst)
	return err == nil
}

// Writer starts writing a blob into the content store. A successful
// Commit counts the blob as added by this operation (unless it was already
// there).
func (a *Adder) Writer(ctx context.Context) (content.Writer, error) {
	w, err := a.s.content.Writer(ctx)
	if err != nil {
		return nil, err
	}
	return &addWriter{Writer: w, a: a}, nil
}

// addWriter records committed blobs in the Adder's garbage.
type addWriter struct {
	content.Writer
	a *Adder
}

func (w *addWriter) Commit(ctx context.Context, size int64, expected digest.Digest) error {
	dgst := w.Digest()
	err := w.Writer.Commit(ctx, size, expected)
	if err == nil {
		w.a.mu.Lock()
		w.a.g.blobs[dgst] = true
		w.a.mu.Unlock()
	}
	return err
}

// ReadAt reads back what was written so far, when the content store's
// writer allows it (see content/local).
func (w *addWriter) ReadAt(p []byte, off int64) (int, error) {
	ra, ok := w.Writer.(io.ReaderAt)
	if !ok {
		return 0, fmt.Errorf("content writer cannot read back: %w", errdefs.ErrNotImplemented)
	}
	return ra.ReadAt(p, off)
}

// CanReadBack reports whether ReadAt works on the store's writers.
func (a *Adder) CanReadBack(w content.Writer) bool {
	aw, ok := w.(*addWriter)
	if !ok {
		return false
	}
	_, ok = aw.Writer.(io.ReaderAt)
	return ok
}

// WriteBlob stores a small blob (a manifest or a config) that must match
// desc.
func (a *Adder) WriteBlob(ctx context.Context, desc ocispec.Descriptor, raw []byte) error {
	w, err := a.Writer(ctx)
	if err != nil {
		return err
	}
	defer w.Close()
	if _, err := w.Write(raw); err != nil {
		return err
	}
	if err := w.Commit(ctx, desc.Size, desc.Digest); err != nil && !errdefs.IsAlreadyExists(err) {
		return err
	}
	return nil
}

// ChainID returns the chain ID of a layer with diff ID diffID on top of
// the layer whose chain ID is parent ("" for a first layer).
func ChainID(parent, diffID digest.Digest) digest.Digest {
	if parent == "" {
		return diffID
	}
	return digest.FromString(parent.String() + " " + diffID.String())
}

// HasLayer reports whether the layer with chain ID chain is unpacked.
func (a *Adder) HasLayer(ctx context.Context, chain digest.Digest) (bool, error) {
	_, err := a.s.sn.Stat(ctx, chain.String())
	if errdefs.IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

// Unpack applies the layer blob read from r (gzip, zstd or uncompressed,
// detected) on top of the unpacked layer parent ("" for a first layer),
// checks it against diffID and commits it under its chain ID, which it
// returns. r is read to its end before anything is committed, so a source
// that fails at its end (a digest mismatch found by the download) leaves
// nothing behind. Layers are unpacked bottom first: parent must exist.
func (a *Adder) Unpack(ctx context.Context, blob ocispec.Descriptor, diffID, parent digest.Digest, r io.Reader) (digest.Digest, error) {
	chain := ChainID(parent, diffID)
	a.mu.Lock()
	a.g.chains[chain] = true
	a.mu.Unlock()
	err := a.s.unpackFrom(ctx, r, diffID, chain, parent)
	if err != nil {
		return "", fmt.Errorf("layer %s: %w", blob.Digest, err)
	}
	return chain, nil
}

// Create records the image target describes, as Store.Create does; its
// blobs must be in the content store (layers not yet unpacked are unpacked
// from there).
func (a *Adder) Create(ctx context.Context, target ocispec.Descriptor, opts CreateOptions) (Image, []Moved, error) {
	refs, err := parseRefs(opts.Refs)
	if err != nil {
		return Image{}, nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.s.create(ctx, target, refs, opts.Parent, a.g)
}
