package image

import (
	"context"
	"fmt"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/content"
	"github.com/berthproject/berth/internal/logging"
	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// CreateOptions are the optional parts of Create.
type CreateOptions struct {
	// Refs are references to point at the image: tags ("busybox",
	// "localhost:5000/x:1") and digest references ("busybox@sha256:...",
	// shown as RepoDigests).
	Refs []string
	// Parent is the local parent image (set by builds).
	Parent digest.Digest
}

// Moved is a reference that named another image before Create, Load or Tag
// pointed it elsewhere.
type Moved struct {
	// Ref is the reference in familiar form ("busybox:latest").
	Ref string
	// Previous is the image it named.
	Previous digest.Digest
}

// Create registers the image described by the manifest target, which must
// already be in the content store with its config and layer blobs (a
// registry pull puts them there): it unpacks the layers that have no
// snapshot yet, records the image and points opts.Refs at it. It returns
// the image and the references that moved away from another image. On
// failure nothing it added is kept.
func (s *Store) Create(ctx context.Context, target ocispec.Descriptor, opts CreateOptions) (Image, []Moved, error) {
	refs, err := parseRefs(opts.Refs)
	if err != nil {
		return Image{}, nil, err
	}
	var (
		img   Image
		moved []Moved
	)
	err = s.adding(ctx, func(g garbage) error {
		var err error
		img, moved, err = s.create(ctx, target, refs, opts.Parent, g)
		return err
	})
	return img, moved, err
}

// adding runs fn, which adds blobs and snapshots and records them in its
// garbage, under the shared lock; then it collects what of that garbage no
// image references (everything, when fn failed).
func (s *Store) adding(ctx context.Context, fn func(garbage) error) error {
	g := newGarbage()
	s.gcMu.RLock()
	err := fn(g)
	s.gcMu.RUnlock()
	if len(g.blobs) == 0 && len(g.chains) == 0 {
		return err
	}
	// On success this removes only what the operation added and left
	// unreferenced (such as the metadata files of a loaded archive).
	s.gcMu.Lock()
	defer s.gcMu.Unlock()
	if _, cerr := s.collect(context.WithoutCancel(ctx), g); cerr != nil {
		logging.From(ctx).Warn("clean up after a failed image operation", logging.Err(cerr))
	}
	return err
}

// parseRefs validates the references an image gets.
func parseRefs(refs []string) ([]reference.Named, error) {
	var out []reference.Named
	for _, r := range refs {
		named, err := reference.ParseNormalizedNamed(r)
		if err != nil {
			return nil, fmt.Errorf("reference %q: %v: %w", r, err, errdefs.ErrInvalidArgument)
		}
		if _, ok := named.(reference.Canonical); !ok {
			tagged, err := parseTarget(r)
			if err != nil {
				return nil, err
			}
			named = tagged
		}
		out = append(out, named)
	}
	return out, nil
}

// create is Create under the shared lock.
func (s *Store) create(ctx context.Context, target ocispec.Descriptor, refs []reference.Named, parent digest.Digest, g garbage) (Image, []Moved, error) {
	id, err := s.prepare(ctx, target, g)
	if err != nil {
		return Image{}, nil, err
	}
	var (
		moved []Moved
		prev  ocispec.Descriptor
	)
	err = s.update(func(t *tx) (err error) {
		moved, prev, err = t.record(id, record{Target: target, Parent: parent}, refs, false)
		return err
	})
	if err != nil {
		return Image{}, nil, err
	}
	if prev.Digest != "" && prev.Digest != target.Digest {
		s.replaced(ctx, id, prev, g)
	}
	img, err := s.getByID(ctx, id)
	return img, moved, err
}

// replaced makes the blobs of the manifest an image no longer uses
// candidates for collection, and forgets the cached layers it listed.
func (s *Store) replaced(ctx context.Context, id digest.Digest, prev ocispec.Descriptor, g garbage) {
	s.forgetConfig(id)
	g.blobs[prev.Digest] = true
	if m, err := readManifest(ctx, s.content, prev); err == nil {
		for _, l := range m.Layers {
			g.blobs[l.Digest] = true
		}
	}
}

// prepare checks the image target describes and unpacks its layers; it
// returns the image ID. Nothing is recorded yet.
func (s *Store) prepare(ctx context.Context, target ocispec.Descriptor, g garbage) (digest.Digest, error) {
	m, err := readManifest(ctx, s.content, target)
	if err != nil {
		return "", err
	}
	raw, err := content.ReadBlob(ctx, s.content, m.Config.Digest, maxJSONBlob)
	if err != nil {
		return "", fmt.Errorf("image config: %w", err)
	}
	cfg, _, err := parseConfig(raw)
	if err != nil {
		return "", err
	}
	if err := checkOS(cfg.OS); err != nil {
		return "", err
	}
	if len(m.Layers) != len(cfg.RootFS.DiffIDs) {
		return "", fmt.Errorf("invalid manifest, layers length mismatch: expected %d, got %d: %w",
			len(m.Layers), len(cfg.RootFS.DiffIDs), errdefs.ErrInvalidArgument)
	}
	if err := s.unpack(ctx, m.Layers, cfg.RootFS.DiffIDs, g); err != nil {
		return "", err
	}
	return m.Config.Digest, nil
}

// record stores an image record (keeping the creation time and parent of
// an existing one, and its target manifest when keepTarget) and points refs
// at it. It returns the references that moved and the target it replaced.
func (t *tx) record(id digest.Digest, r record, refs []reference.Named, keepTarget bool) ([]Moved, ocispec.Descriptor, error) {
	old, exists, err := t.image(id)
	if err != nil {
		return nil, ocispec.Descriptor{}, err
	}
	now := time.Now().UTC()
	var replaced ocispec.Descriptor
	if exists {
		r.Created, r.LastTagTime = old.Created, old.LastTagTime
		if r.Parent == "" {
			r.Parent = old.Parent
		}
		if keepTarget {
			r.Target = old.Target
		} else {
			replaced = old.Target
		}
	} else {
		r.Created = now
	}
	var moved []Moved
	for _, ref := range refs {
		key := []byte(refKey(ref))
		if prev := t.refs.Get(key); prev != nil && digest.Digest(prev) != id {
			moved = append(moved, Moved{Ref: reference.FamiliarString(ref), Previous: digest.Digest(prev)})
		}
		if err := t.refs.Put(key, []byte(id)); err != nil {
			return nil, replaced, err
		}
		if _, ok := ref.(reference.Tagged); ok {
			r.LastTagTime = now
		}
	}
	return moved, replaced, t.putImage(id, r)
}

// getByID builds an image by ID.
func (s *Store) getByID(ctx context.Context, id digest.Digest) (Image, error) {
	var img Image
	err := s.view(func(t *tx) (err error) { img, err = s.load(ctx, t, id); return err })
	return img, err
}
