package image

import (
	"context"
	"sort"

	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"
)

// Tag points the tag target ("name", "name:tag", "host:port/name:tag") at
// the image source names (any form Get accepts). A tag that named another
// image moves (that image may become dangling). It returns the image ID and
// the tag in familiar form, for the "tag" event.
func (s *Store) Tag(ctx context.Context, source, target string) (digest.Digest, string, error) {
	ref, err := parseTarget(target)
	if err != nil {
		return "", "", err
	}
	s.gcMu.RLock() // a collection must not remove the image meanwhile
	defer s.gcMu.RUnlock()
	var id digest.Digest
	err = s.update(func(t *tx) error {
		if id, err = t.resolve(source); err != nil {
			return err
		}
		r, _, err := t.image(id)
		if err != nil {
			return err
		}
		_, _, err = t.record(id, r, []reference.Named{ref}, true)
		return err
	})
	if err != nil {
		return "", "", err
	}
	return id, reference.FamiliarString(ref), nil
}

// TaggedImage is a tag and the image it names.
type TaggedImage struct {
	Ref reference.NamedTagged
	ID  digest.Digest
}

// RepositoryTags lists the tags of the repository name (a normalised
// name such as "localhost:5000/app") and their images, sorted by tag.
func (s *Store) RepositoryTags(ctx context.Context, name reference.Named) ([]TaggedImage, error) {
	var out []TaggedImage
	err := s.view(func(t *tx) error {
		return t.refs.ForEach(func(k, v []byte) error {
			r, err := reference.ParseNormalizedNamed(string(k))
			if err != nil || r.Name() != name.Name() {
				return nil
			}
			if tagged, ok := r.(reference.NamedTagged); ok {
				if _, canonical := r.(reference.Canonical); !canonical {
					out = append(out, TaggedImage{Ref: tagged, ID: digest.Digest(v)})
				}
			}
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Ref.Tag() < out[j].Ref.Tag() })
	return out, err
}
