package image

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/berthproject/berth/api"
	"github.com/berthproject/berth/errdefs"
	"github.com/distribution/reference"
	imagetypes "github.com/moby/moby/api/types/image"
	digest "github.com/opencontainers/go-digest"
)

// ListOptions are the options of `GET /images/json`.
type ListOptions struct {
	// All includes intermediate images (untagged parents of other images).
	All bool
	// Filters accepts dangling, label, before, since, until and reference.
	Filters api.Filters
	// SharedSize computes each image's SharedSize (else -1).
	SharedSize bool
	// Containers, when set, counts the containers using an image (else
	// Containers is -1).
	Containers func(imageID string) int64
}

// all returns every image with its references.
func (s *Store) all(ctx context.Context) ([]Image, error) {
	var imgs []Image
	err := s.view(func(t *tx) error {
		refs := t.refsByImage()
		return t.forEachImage(func(id digest.Digest, r record) error {
			img, err := s.build(ctx, t, id, r, refs[id])
			if err != nil {
				return err
			}
			imgs = append(imgs, img)
			return nil
		})
	})
	return imgs, err
}

// List returns image summaries the way dockerd lists them: newest first,
// untagged intermediate images hidden unless All.
func (s *Store) List(ctx context.Context, opts ListOptions) ([]imagetypes.Summary, error) {
	f := opts.Filters
	if err := f.Validate("dangling", "label", "label!", "before", "since", "until", "reference"); err != nil {
		return nil, err
	}
	dangling, err := boolFilter(f, "dangling", false)
	if err != nil {
		return nil, err
	}
	before, since, err := s.timeBounds(ctx, f)
	if err != nil {
		return nil, err
	}
	imgs, err := s.all(ctx)
	if err != nil {
		return nil, err
	}
	hasChildren := parents(imgs)
	sort.SliceStable(imgs, func(i, j int) bool { return imgs[i].Created.After(imgs[j].Created) })
	out := []imagetypes.Summary{}
	for _, img := range imgs {
		if !before.IsZero() && !img.Created.Before(before) || !since.IsZero() && !img.Created.After(since) {
			continue
		}
		if !f.MatchLabels("label", img.Config.Config.Labels) || !f.MatchLabels("label!", img.Config.Config.Labels) {
			continue
		}
		if dangling && hasChildren[img.ID] {
			continue
		}
		sum, keep, err := summary(img, f, opts.All, dangling, hasChildren[img.ID])
		if err != nil {
			return nil, err
		}
		if !keep {
			continue
		}
		if opts.Containers != nil {
			sum.Containers = opts.Containers(img.ID.String())
		}
		out = append(out, sum)
	}
	if opts.SharedSize {
		sharedSizes(imgs, out)
	}
	return out, nil
}

// summary builds one Summary and says whether the filters keep it.
func summary(img Image, f api.Filters, all, dangling, hasChildren bool) (imagetypes.Summary, bool, error) {
	sum := imagetypes.Summary{
		ID: img.ID.String(), ParentID: img.Parent.String(), Created: unixOrZero(img.Created),
		Size: img.Size, SharedSize: -1, Containers: -1, Labels: img.Config.Config.Labels,
		RepoTags: []string{}, RepoDigests: []string{},
	}
	refs := append(append([]string{}, img.RepoTags...), img.RepoDigests...)
	for _, r := range refs {
		named, err := reference.ParseNormalizedNamed(r)
		if err != nil {
			continue
		}
		if f.Has("reference") {
			ok, err := matchReference(f, named)
			if err != nil {
				return sum, false, err
			}
			if !ok {
				continue
			}
		}
		if _, ok := named.(reference.Canonical); ok {
			sum.RepoDigests = append(sum.RepoDigests, r)
		} else {
			sum.RepoTags = append(sum.RepoTags, r)
		}
	}
	if len(sum.RepoTags) == 0 && len(sum.RepoDigests) == 0 {
		// Untagged: listed only as a head (or with All), never for
		// dangling=false or a reference filter.
		if (!all && hasChildren) || (f.Has("dangling") && !dangling) || f.Has("reference") {
			return sum, false, nil
		}
	} else if dangling && len(sum.RepoTags) > 0 {
		return sum, false, nil
	}
	return sum, true, nil
}

func matchReference(f api.Filters, named reference.Named) (bool, error) {
	for _, pattern := range f.Values("reference") {
		ok, err := reference.FamiliarMatch(pattern, named)
		if err != nil {
			return false, fmt.Errorf("reference filter %q: %v: %w", pattern, err, errdefs.ErrInvalidArgument)
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}

// parents returns the set of images that are the parent of another.
func parents(imgs []Image) map[digest.Digest]bool {
	out := map[digest.Digest]bool{}
	for _, img := range imgs {
		if img.Parent != "" {
			out[img.Parent] = true
		}
	}
	return out
}

// sharedSizes sets SharedSize: the size of the layers an image shares with
// at least one other image.
func sharedSizes(imgs []Image, sums []imagetypes.Summary) {
	uses := map[digest.Digest]int{}
	for _, img := range imgs {
		for _, l := range img.Layers {
			uses[l.ChainID]++
		}
	}
	byID := map[string]Image{}
	for _, img := range imgs {
		byID[img.ID.String()] = img
	}
	for i := range sums {
		sums[i].SharedSize = 0
		for _, l := range byID[sums[i].ID].Layers {
			if uses[l.ChainID] > 1 {
				sums[i].SharedSize += l.Size
			}
		}
	}
}

// timeBounds resolves the before/since (image references) and until
// (timestamp) filters; several values combine as AND.
func (s *Store) timeBounds(ctx context.Context, f api.Filters) (before, since time.Time, err error) {
	for _, v := range f.Values("before") {
		img, err := s.Get(ctx, v)
		if err != nil {
			return before, since, err
		}
		if before.IsZero() || img.Created.Before(before) {
			before = img.Created
		}
	}
	for _, v := range f.Values("until") {
		ts, err := parseTimestamp(v, time.Now())
		if err != nil {
			return before, since, err
		}
		if before.IsZero() || ts.Before(before) {
			before = ts
		}
	}
	for _, v := range f.Values("since") {
		img, err := s.Get(ctx, v)
		if err != nil {
			return before, since, err
		}
		if img.Created.After(since) {
			since = img.Created
		}
	}
	return before, since, nil
}

// boolFilter reads a true/false filter the way dockerd does.
func boolFilter(f api.Filters, key string, def bool) (bool, error) {
	if !f.Has(key) {
		return def, nil
	}
	isFalse := f[key]["0"] || f[key]["false"]
	isTrue := f[key]["1"] || f[key]["true"]
	if isFalse == isTrue {
		return def, fmt.Errorf("invalid filter '%s=%s': %w", key, f.Values(key), errdefs.ErrInvalidArgument)
	}
	return isTrue, nil
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}
