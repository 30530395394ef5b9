package image

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/archive"
	"github.com/berthproject/berth/internal/content"
	"github.com/berthproject/berth/internal/logging"
	"github.com/berthproject/berth/internal/mount"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// unpack makes sure every layer has a committed snapshot named by its chain
// ID, adding the ones it creates to g (for a rollback). The caller holds
// gcMu shared.
func (s *Store) unpack(ctx context.Context, blobs []ocispec.Descriptor, diffIDs []digest.Digest, g garbage) error {
	chains := chainIDs(diffIDs)
	for i, chain := range chains {
		var parent digest.Digest
		if i > 0 {
			parent = chains[i-1]
		}
		if _, err := s.sn.Stat(ctx, chain.String()); err == nil {
			if err := s.ensureLayerRecord(ctx, blobs[i], diffIDs[i], chain, parent); err != nil {
				return err
			}
			continue
		} else if !errdefs.IsNotFound(err) {
			return err
		}
		g.chains[chain] = true
		if err := s.unpackLayer(ctx, blobs[i], diffIDs[i], chain, parent); err != nil {
			return fmt.Errorf("layer %d (%s): %w", i, blobs[i].Digest, err)
		}
	}
	return nil
}

// unpackLayer applies one layer blob of the content store on top of the
// snapshot parent and commits it as chain, checking the uncompressed
// stream against diffID.
func (s *Store) unpackLayer(ctx context.Context, blob ocispec.Descriptor, diffID, chain, parent digest.Digest) error {
	ra, err := s.content.ReaderAt(ctx, blob.Digest)
	if err != nil {
		return err
	}
	defer ra.Close()
	return s.unpackFrom(ctx, content.NewReader(ra), diffID, chain, parent)
}

// unpackFrom applies the layer blob read from r (to its end) on top of the
// snapshot parent and commits it as chain.
func (s *Store) unpackFrom(ctx context.Context, r io.Reader, diffID, chain, parent digest.Digest) (err error) {
	key := unpackPrefix + randomHex() + "-" + chain.Encoded()[:12]
	mounts, err := s.sn.Prepare(ctx, key, parent.String())
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			if rerr := s.sn.Remove(context.WithoutCancel(ctx), key); rerr != nil {
				logging.From(ctx).Warn("remove failed unpack", logging.KeySnapshotKey, key, logging.Err(rerr))
			}
		}
	}()
	rec, err := applyBlob(ctx, mounts, r, diffID)
	if err != nil {
		return err
	}
	// The source may report a problem only at its very end.
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	rec.Parent = parent
	if err := s.sn.Commit(ctx, chain.String(), key); err != nil {
		if !errdefs.IsAlreadyExists(err) {
			return err
		}
		// Another unpack of the same chain won; ours is not needed.
		if rerr := s.sn.Remove(ctx, key); rerr != nil {
			return rerr
		}
	}
	return s.update(func(t *tx) error { return t.putLayer(chain, rec) })
}

// ensureLayerRecord records a layer whose snapshot exists without a record
// (committed by someone else, such as a build), measuring its blob.
func (s *Store) ensureLayerRecord(ctx context.Context, blob ocispec.Descriptor, diffID, chain, parent digest.Digest) error {
	var ok bool
	if err := s.view(func(t *tx) (err error) { _, ok, err = t.layer(chain); return err }); err != nil || ok {
		return err
	}
	rec, err := s.measureLayer(ctx, blob)
	if err != nil {
		return err
	}
	rec.DiffID, rec.Parent = diffID, parent
	return s.update(func(t *tx) error { return t.putLayer(chain, rec) })
}

// measureLayer reads a layer blob without applying it and returns its size
// and uncompressed length.
func (s *Store) measureLayer(ctx context.Context, blob ocispec.Descriptor) (layerRecord, error) {
	ra, err := s.content.ReaderAt(ctx, blob.Digest)
	if err != nil {
		return layerRecord{}, err
	}
	defer ra.Close()
	rc, _, err := archive.Decompress(ctx, content.NewReader(ra))
	if err != nil {
		return layerRecord{}, err
	}
	defer rc.Close()
	cnt := &counter{}
	size, err := archive.Measure(ctx, io.TeeReader(rc, cnt))
	if err != nil {
		return layerRecord{}, err
	}
	return layerRecord{Size: size, TarSize: cnt.n}, nil
}

// applyBlob decompresses a layer blob into mounts and checks its diff ID.
func applyBlob(ctx context.Context, mounts []mount.Mount, r io.Reader, diffID digest.Digest) (layerRecord, error) {
	rc, _, err := archive.Decompress(ctx, r)
	if err != nil {
		return layerRecord{}, err
	}
	defer rc.Close()
	dg := digest.Canonical.Digester()
	cnt := &counter{}
	size, err := applyLayer(ctx, mounts, io.TeeReader(rc, io.MultiWriter(dg.Hash(), cnt)))
	if err != nil {
		return layerRecord{}, err
	}
	if got := dg.Digest(); got != diffID {
		return layerRecord{}, fmt.Errorf("invalid diffID: expected %q, got %q: %w", diffID, got, errdefs.ErrInvalidArgument)
	}
	return layerRecord{DiffID: diffID, Size: size, TarSize: cnt.n}, nil
}

type counter struct{ n int64 }

func (c *counter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// applyLayer writes a layer into what mounts describe: straight into the
// directory when they are one writable bind mount (whiteouts as deletions)
// or one overlay mount with an upperdir (whiteouts in overlay form, the
// lowerdirs as parents); otherwise by mounting them on a temporary
// directory, which needs root.
func applyLayer(ctx context.Context, mounts []mount.Mount, r io.Reader) (int64, error) {
	if len(mounts) == 1 {
		m := mounts[0]
		switch {
		case m.Type == "bind" && !m.ReadOnly():
			return archive.Apply(ctx, m.Source, r, archive.ApplyOptions{})
		case m.Type == "overlay":
			if upper, lowers := overlayDirs(m); upper != "" {
				return archive.Apply(ctx, upper, r, archive.ApplyOptions{Overlay: true, Parents: lowers})
			}
		}
	}
	dir, err := os.MkdirTemp("", "berth-unpack-")
	if err != nil {
		return 0, err
	}
	defer os.Remove(dir)
	if err := mount.All(mounts, dir); err != nil {
		return 0, err
	}
	n, err := archive.Apply(ctx, dir, r, archive.ApplyOptions{})
	if uerr := mount.UnmountAll(dir, 0); uerr != nil {
		err = errors.Join(err, uerr)
	}
	return n, err
}

func overlayDirs(m mount.Mount) (upper string, lowers []string) {
	for _, o := range m.Options {
		if v, ok := strings.CutPrefix(o, "upperdir="); ok {
			upper = v
		}
		if v, ok := strings.CutPrefix(o, "lowerdir="); ok {
			lowers = strings.Split(v, ":")
		}
	}
	return upper, lowers
}

func randomHex() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}
