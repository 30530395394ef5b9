package image

import (
	"context"
	"fmt"
	"sort"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/logging"
	digest "github.com/opencontainers/go-digest"
)

// garbage names what a collection may remove if nothing references it.
type garbage struct {
	blobs  map[digest.Digest]bool
	chains map[digest.Digest]bool
	// allLayers makes every layer record a candidate (store start-up).
	allLayers bool
}

func newGarbage() garbage {
	return garbage{blobs: map[digest.Digest]bool{}, chains: map[digest.Digest]bool{}}
}

// addImage adds an image's manifest, config, layer blobs and layers.
func (g garbage) addImage(img Image) {
	g.blobs[img.Target.Digest] = true
	g.blobs[img.ID] = true
	for _, l := range img.Layers {
		g.blobs[l.Blob.Digest] = true
		g.chains[l.ChainID] = true
	}
}

// removedLayer is a layer snapshot a collection removed.
type removedLayer struct {
	chainID digest.Digest
	size    int64
}

// collect removes the candidates of g that no image references: layer
// snapshots (children first; one still used by a container stays) with
// their records, then blobs. The caller holds gcMu exclusively.
func (s *Store) collect(ctx context.Context, g garbage) ([]removedLayer, error) {
	blobs, chains, layers, err := s.referenced(ctx)
	if err != nil {
		return nil, err
	}
	var cands []digest.Digest
	for chain := range layers {
		if !chains[chain] && (g.allLayers || g.chains[chain]) {
			cands = append(cands, chain)
		}
	}
	// Children before parents: deeper layers first.
	depth := func(c digest.Digest) int {
		n := 0
		for ; c != ""; c = layers[c].Parent {
			n++
		}
		return n
	}
	sort.Slice(cands, func(i, j int) bool { return depth(cands[i]) > depth(cands[j]) })
	var removed []removedLayer
	for _, chain := range cands {
		rmErr := s.sn.Remove(ctx, chain.String())
		switch {
		case errdefs.IsConflict(rmErr):
			continue // a container (or a later layer) still uses it
		case rmErr != nil && !errdefs.IsNotFound(rmErr):
			return removed, fmt.Errorf("remove layer %s: %w", chain, rmErr)
		}
		if err := s.update(func(t *tx) error { return t.layers.Delete([]byte(chain)) }); err != nil {
			return removed, err
		}
		if rmErr == nil {
			removed = append(removed, removedLayer{chain, layers[chain].Size})
		}
	}
	for d := range g.blobs {
		if blobs[d] {
			continue
		}
		if err := s.content.Delete(ctx, d); err != nil && !errdefs.IsNotFound(err) {
			logging.From(ctx).Warn("remove unreferenced blob", "digest", d, logging.Err(err))
		}
	}
	return removed, nil
}

// referenced returns the blobs and chain IDs the recorded images use, and
// every layer record.
func (s *Store) referenced(ctx context.Context) (blobs, chains map[digest.Digest]bool, layers map[digest.Digest]layerRecord, err error) {
	blobs, chains, layers = map[digest.Digest]bool{}, map[digest.Digest]bool{}, map[digest.Digest]layerRecord{}
	err = s.view(func(t *tx) error {
		err := t.layers.ForEach(func(k, _ []byte) error {
			l, _, err := t.layer(digest.Digest(k))
			layers[digest.Digest(k)] = l
			return err
		})
		if err != nil {
			return err
		}
		return t.forEachImage(func(id digest.Digest, r record) error {
			blobs[id], blobs[r.Target.Digest] = true, true
			pc, err := s.config(ctx, id, r.Target)
			if err != nil {
				return fmt.Errorf("image %s: %w", id, err)
			}
			for _, l := range pc.layers {
				blobs[l.Digest] = true
			}
			for _, c := range chainIDs(pc.image.RootFS.DiffIDs) {
				chains[c] = true
			}
			return nil
		})
	})
	return blobs, chains, layers, err
}
