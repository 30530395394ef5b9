package image

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/berthproject/berth/api"
	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/logging"
	"github.com/distribution/reference"
	imagetypes "github.com/moby/moby/api/types/image"
)

// PruneOptions are the options of `POST /images/prune`.
type PruneOptions struct {
	// Filters accepts dangling (default true: only untagged images; false:
	// every unused image), until, label and label!.
	Filters api.Filters
	// UsedBy reports the containers using an image (see DeleteOptions).
	UsedBy func(imageID string) (containerIDs []string, running bool)
}

// Prune deletes unused images the way dockerd does: untagged images by
// default, every image no container uses with dangling=false. Images that
// cannot be deleted (in use, or with children) are skipped. SpaceReclaimed
// is the size of the layers removed.
func (s *Store) Prune(ctx context.Context, opts PruneOptions) (imagetypes.PruneReport, error) {
	rep := imagetypes.PruneReport{}
	f := opts.Filters
	if err := f.Validate("dangling", "until", "label", "label!"); err != nil {
		return rep, err
	}
	danglingOnly, err := boolFilter(f, "dangling", true)
	if err != nil {
		return rep, err
	}
	var until time.Time
	if vs := f.Values("until"); len(vs) > 1 {
		return rep, fmt.Errorf("more than one until filter specified: %w", errdefs.ErrInvalidArgument)
	} else if len(vs) == 1 {
		if until, err = parseTimestamp(vs[0], time.Now()); err != nil {
			return rep, err
		}
	}
	s.gcMu.Lock()
	defer s.gcMu.Unlock()
	imgs, err := s.all(ctx)
	if err != nil {
		return rep, err
	}
	hasChildren := parents(imgs)
	sort.Slice(imgs, func(i, j int) bool { return imgs[i].ID < imgs[j].ID })
	for _, img := range imgs {
		if ctx.Err() != nil {
			break // report what was done so far, as dockerd does
		}
		untagged := len(img.RepoTags) == 0 && len(img.RepoDigests) == 0
		if untagged && hasChildren[img.ID] || !until.IsZero() && img.Created.After(until) ||
			!f.MatchLabels("label", img.Config.Config.Labels) || !f.MatchLabels("label!", img.Config.Config.Labels) {
			continue
		}
		if danglingOnly && (hasChildren[img.ID] || len(img.RepoTags) > 0) {
			continue
		}
		rep.ImagesDeleted = append(rep.ImagesDeleted, s.pruneOne(ctx, img, opts.UsedBy)...)
	}
	sizes := map[string]int64{}
	for _, img := range imgs {
		for _, l := range img.Layers {
			sizes[l.ChainID.String()] = l.Size
		}
	}
	for _, d := range rep.ImagesDeleted {
		rep.SpaceReclaimed += uint64(sizes[d.Deleted])
	}
	return rep, nil
}

// pruneOne deletes one image through its references (or its ID), keeping
// whatever conflicts.
func (s *Store) pruneOne(ctx context.Context, img Image, usedBy func(string) ([]string, bool)) []imagetypes.DeleteResponse {
	refs := append(append([]string{}, img.RepoTags...), img.RepoDigests...)
	if len(refs) == 0 {
		refs = []string{img.ID.Encoded()}
	}
	var out []imagetypes.DeleteResponse
	for _, r := range refs {
		if named, err := reference.ParseNormalizedNamed(r); err == nil {
			r = named.String()
		}
		recs, err := s.deleteLocked(ctx, r, DeleteOptions{UsedBy: usedBy})
		if err != nil {
			if !errdefs.IsConflict(err) && !errdefs.IsCanceled(err) && !errdefs.IsNotFound(err) {
				logging.From(ctx).Warn("prune image", logging.KeyImageRef, r, logging.Err(err))
			}
			continue
		}
		out = append(out, recs...)
	}
	return out
}
