package image

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/berthproject/berth/errdefs"
	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"
)

// notFoundError carries dockerd's exact message ("No such image:
// busybox:latest"), which clients show and some match.
type notFoundError struct{ ref string }

func (e notFoundError) Error() string { return "No such image: " + e.ref }
func (e notFoundError) Unwrap() error { return errdefs.ErrNotFound }

// noSuchImage returns the not-found error for ref the way dockerd words it:
// a name gets its default tag, a digest is shown as is.
func noSuchImage(ref reference.Reference) error {
	if named, ok := ref.(reference.Named); ok {
		ref = reference.TagNameOnly(named)
	}
	return notFoundError{reference.FamiliarString(ref)}
}

// refKey is the database key of a named reference: fully qualified, with
// the default tag added, and without the tag when a digest is present (as
// dockerd's reference store does).
func refKey(named reference.Named) string {
	if c, ok := named.(reference.Canonical); ok {
		if _, tagged := named.(reference.Tagged); tagged {
			d, _ := reference.WithDigest(reference.TrimNamed(named), c.Digest())
			return d.String()
		}
		return c.String()
	}
	return reference.TagNameOnly(named).String()
}

// familiarRefs splits stored reference keys into sorted familiar tags and
// digest references.
func familiarRefs(keys []string) (tags, digests []string) {
	for _, k := range keys {
		named, err := reference.ParseNormalizedNamed(k)
		if err != nil {
			continue
		}
		if _, ok := named.(reference.Canonical); ok {
			digests = append(digests, reference.FamiliarString(named))
		} else {
			tags = append(tags, reference.FamiliarString(named))
		}
	}
	sort.Strings(tags)
	sort.Strings(digests)
	return tags, digests
}

// parseTarget parses the reference a tag is created as.
func parseTarget(target string) (reference.NamedTagged, error) {
	named, err := reference.ParseNormalizedNamed(target)
	if err != nil {
		return nil, fmt.Errorf("%v: %w", err, errdefs.ErrInvalidArgument)
	}
	if _, ok := named.(reference.Canonical); ok {
		return nil, fmt.Errorf("refusing to create a tag with a digest reference: %w", errdefs.ErrInvalidArgument)
	}
	if reference.FamiliarName(named) == string(digest.Canonical) {
		return nil, fmt.Errorf("refusing to create an ambiguous tag using digest algorithm as name: %w", errdefs.ErrInvalidArgument)
	}
	return reference.TagNameOnly(named).(reference.NamedTagged), nil
}

// resolve finds the image a reference or ID names, the way dockerd's
// GetImage does: a digest is an ID; a name is looked up with its default
// tag; failing that, the string is tried as a unique ID prefix (with or
// without "sha256:"). An ambiguous prefix is not found, as in dockerd.
func (t *tx) resolve(refOrID string) (digest.Digest, error) {
	ref, err := reference.ParseAnyReference(refOrID)
	if err != nil {
		return "", fmt.Errorf("%v: %w", err, errdefs.ErrInvalidArgument)
	}
	named, ok := ref.(reference.Named)
	if !ok {
		d, ok := ref.(reference.Digested)
		if ok && t.images.Get([]byte(d.Digest())) != nil {
			return d.Digest(), nil
		}
		return "", noSuchImage(ref)
	}
	if v := t.refs.Get([]byte(refKey(named))); v != nil && t.images.Get(v) != nil {
		return digest.Digest(v), nil
	}
	if id, ok := t.searchPrefix(refOrID); ok {
		return id, nil
	}
	return "", noSuchImage(ref)
}

// searchPrefix finds the one image whose ID starts with prefix.
func (t *tx) searchPrefix(prefix string) (digest.Digest, bool) {
	hex := strings.TrimPrefix(prefix, string(digest.Canonical)+":")
	if hex == "" || strings.Trim(hex, "0123456789abcdef") != "" {
		return "", false
	}
	seek := []byte(string(digest.Canonical) + ":" + hex)
	c := t.images.Cursor()
	k, _ := c.Seek(seek)
	if k == nil || !strings.HasPrefix(string(k), string(seek)) {
		return "", false
	}
	if next, _ := c.Next(); next != nil && strings.HasPrefix(string(next), string(seek)) {
		return "", false // ambiguous
	}
	return digest.Digest(k), true
}

// Get returns the image a reference or ID names: "busybox",
// "docker.io/library/busybox:latest", "localhost:5000/x:tag",
// "name@sha256:...", "sha256:<hex>", "<hex>" or a unique ID prefix. An
// unknown image is errdefs.ErrNotFound with dockerd's message; a malformed
// reference is errdefs.ErrInvalidArgument.
func (s *Store) Get(ctx context.Context, refOrID string) (Image, error) {
	var img Image
	err := s.view(func(t *tx) error {
		id, err := t.resolve(refOrID)
		if err != nil {
			return err
		}
		img, err = s.load(ctx, t, id)
		return err
	})
	return img, err
}

// load builds the Image with ID id.
func (s *Store) load(ctx context.Context, t *tx, id digest.Digest) (Image, error) {
	r, ok, err := t.image(id)
	if err != nil {
		return Image{}, err
	}
	if !ok {
		return Image{}, notFoundError{id.String()}
	}
	return s.build(ctx, t, id, r, t.refsOf(id))
}

// truncateID is the 12-hex-digit form of an image or container ID that
// dockerd prints in messages.
func truncateID(id string) string {
	if i := strings.IndexByte(id, ':'); i >= 0 {
		id = id[i+1:]
	}
	return id[:min(12, len(id))]
}
