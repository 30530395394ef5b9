package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/registry/api"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// PutResult is what storing a manifest produced.
type PutResult struct {
	Descriptor ocispec.Descriptor
	Subject    *ocispec.Descriptor // the manifest's subject, if any
	Tags       []string            // tags now pointing at it
}

// PutManifest stores a manifest in repository name under ref (a tag or a
// digest) and under the extra tags. A digest ref must match the body
// (computed with its own algorithm: sha256 or sha512); a tag ref stores the
// manifest under its sha256. Everything the manifest references (config,
// layers, child manifests; not its subject) must already be in the
// repository.
func (s *Store) PutManifest(ctx context.Context, name, ref, contentType string, body []byte, tags []string) (PutResult, error) {
	if err := api.ValidateName(name); err != nil {
		return PutResult{}, err
	}
	if int64(len(body)) > s.maxManifest {
		return PutResult{}, fmt.Errorf("manifest of %d bytes, limit %d: %w", len(body), s.maxManifest, api.ErrManifestTooLarge)
	}
	d, tags, err := manifestDigest(ref, body, tags)
	if err != nil {
		return PutResult{}, err
	}
	m, err := ParseManifest(contentType, body)
	if err != nil {
		return PutResult{}, err
	}
	if err := s.checkReferences(ctx, name, m); err != nil {
		return PutResult{}, err
	}
	if err := s.storeManifest(ctx, name, d, m, body); err != nil {
		return PutResult{}, err
	}
	for _, t := range tags {
		if err := s.d.PutContent(ctx, tagPath(name, t), []byte(d.String())); err != nil {
			return PutResult{}, err
		}
	}
	desc := ocispec.Descriptor{MediaType: m.MediaType, Digest: d, Size: int64(len(body))}
	return PutResult{Descriptor: desc, Subject: m.Subject, Tags: tags}, nil
}

// manifestDigest computes the digest a manifest is stored under and the
// full list of tags to point at it.
func manifestDigest(ref string, body []byte, tags []string) (digest.Digest, []string, error) {
	for _, t := range tags {
		if !api.ValidTag(t) {
			return "", nil, fmt.Errorf("tag %q: %w", t, api.ErrTagInvalid)
		}
	}
	if !api.IsDigestRef(ref) {
		if !api.ValidTag(ref) {
			return "", nil, fmt.Errorf("tag %q: %w", ref, api.ErrTagInvalid)
		}
		if !slices.Contains(tags, ref) {
			tags = append([]string{ref}, tags...)
		}
		return digest.SHA256.FromBytes(body), tags, nil
	}
	want, err := api.ParseDigest(ref)
	if err != nil {
		return "", nil, err
	}
	if got := want.Algorithm().FromBytes(body); got != want {
		return "", nil, api.WithDetail(fmt.Errorf("manifest digest %s, reference %s: %w", got, want, api.ErrDigestInvalid),
			map[string]string{"digest": want.String()})
	}
	return want, tags, nil
}

func (s *Store) checkReferences(ctx context.Context, name string, m *Manifest) error {
	for _, l := range m.Layers {
		if _, err := s.StatBlob(ctx, name, l.Digest); err != nil {
			if errdefs.IsNotFound(err) {
				return api.WithDetail(fmt.Errorf("blob %s: %w", l.Digest, api.ErrManifestBlobUnknown),
					map[string]string{"digest": l.Digest.String()})
			}
			return err
		}
	}
	for _, c := range m.Manifests {
		ok, err := s.exists(ctx, revisionLinkPath(name, c.Digest))
		if err != nil {
			return err
		}
		if !ok {
			return api.WithDetail(fmt.Errorf("manifest %s: %w", c.Digest, api.ErrManifestBlobUnknown),
				map[string]string{"digest": c.Digest.String()})
		}
	}
	return nil
}

// storeManifest writes the manifest bytes (once for the registry), its
// revision link and its referrers entry, in that order, so every link
// points at content that exists.
func (s *Store) storeManifest(ctx context.Context, name string, d digest.Digest, m *Manifest, body []byte) error {
	have, err := s.exists(ctx, blobDataPath(d))
	if err != nil {
		return err
	}
	if !have {
		if err := s.d.PutContent(ctx, blobDataPath(d), body); err != nil {
			return err
		}
	}
	rev := revision{MediaType: m.MediaType, Digest: d, Size: int64(len(body)), ArtifactType: m.ArtifactType}
	if m.Subject != nil {
		rev.Subject = m.Subject.Digest
	}
	b, _ := json.Marshal(rev)
	if err := s.d.PutContent(ctx, revisionLinkPath(name, d), b); err != nil {
		return err
	}
	if m.Subject == nil {
		return nil
	}
	b, _ = json.Marshal(m.referrerDescriptor(d, int64(len(body))))
	return s.d.PutContent(ctx, referrerPath(name, m.Subject.Digest, d), b)
}

// resolve turns a manifest reference into its revision in repository name.
// An invalid tag is simply unknown; a malformed digest is ErrDigestInvalid.
func (s *Store) resolve(ctx context.Context, name, ref string) (revision, error) {
	if err := api.ValidateName(name); err != nil {
		return revision{}, err
	}
	var d digest.Digest
	if api.IsDigestRef(ref) {
		var err error
		if d, err = api.ParseDigest(ref); err != nil {
			return revision{}, err
		}
	} else {
		var err error
		if d, err = s.tagDigest(ctx, name, ref); err != nil {
			return revision{}, err
		}
	}
	return s.readRevision(ctx, name, d)
}

func (s *Store) tagDigest(ctx context.Context, name, tag string) (digest.Digest, error) {
	if !api.ValidTag(tag) {
		return "", fmt.Errorf("tag %q in %s: %w", tag, name, api.ErrManifestUnknown)
	}
	b, err := s.d.GetContent(ctx, tagPath(name, tag))
	if err != nil {
		if errdefs.IsNotFound(err) {
			return "", fmt.Errorf("tag %q in %s: %w", tag, name, api.ErrManifestUnknown)
		}
		return "", err
	}
	return parseLinkDigest(b)
}

// StatManifest describes the manifest ref of repository name without
// reading it.
func (s *Store) StatManifest(ctx context.Context, name, ref string) (ocispec.Descriptor, error) {
	rev, err := s.resolve(ctx, name, ref)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	return rev.descriptor(), nil
}

// GetManifest returns the manifest ref of repository name.
func (s *Store) GetManifest(ctx context.Context, name, ref string) (ocispec.Descriptor, []byte, error) {
	rev, err := s.resolve(ctx, name, ref)
	if err != nil {
		return ocispec.Descriptor{}, nil, err
	}
	b, err := s.d.GetContent(ctx, blobDataPath(rev.Digest))
	if err != nil {
		if errdefs.IsNotFound(err) {
			return ocispec.Descriptor{}, nil, fmt.Errorf("manifest %s in %s: %w", rev.Digest, name, api.ErrManifestUnknown)
		}
		return ocispec.Descriptor{}, nil, err
	}
	return rev.descriptor(), b, nil
}

// DeleteManifest deletes a tag, or a manifest with every tag pointing at it
// and its referrers entry.
func (s *Store) DeleteManifest(ctx context.Context, name, ref string) error {
	if err := api.ValidateName(name); err != nil {
		return err
	}
	if !api.IsDigestRef(ref) {
		if _, err := s.tagDigest(ctx, name, ref); err != nil {
			return err
		}
		err := s.d.Delete(ctx, tagPath(name, ref))
		if errdefs.IsNotFound(err) {
			return fmt.Errorf("tag %q in %s: %w", ref, name, api.ErrManifestUnknown)
		}
		return err
	}
	rev, err := s.resolve(ctx, name, ref)
	if err != nil {
		return err
	}
	if err := s.deleteRevision(ctx, name, rev); err != nil {
		return err
	}
	return s.untag(ctx, name, rev.Digest)
}

func (s *Store) deleteRevision(ctx context.Context, name string, rev revision) error {
	if rev.Subject != "" {
		if err := s.deleteIfExists(ctx, referrerPath(name, rev.Subject, rev.Digest)); err != nil {
			return err
		}
	}
	err := s.d.Delete(ctx, revisionDir(name, rev.Digest))
	if errdefs.IsNotFound(err) {
		return fmt.Errorf("manifest %s in %s: %w", rev.Digest, name, api.ErrManifestUnknown)
	}
	return err
}

// untag removes the tags of repository name that point at d.
func (s *Store) untag(ctx context.Context, name string, d digest.Digest) error {
	tags, err := s.tags(ctx, name)
	if err != nil {
		return err
	}
	for _, t := range tags {
		td, err := s.tagDigest(ctx, name, t)
		if err != nil || td != d {
			continue
		}
		if err := s.deleteIfExists(ctx, tagPath(name, t)); err != nil {
			return err
		}
	}
	return nil
}

// tags lists the tags of repository name; none when it has no tags
// directory.
func (s *Store) tags(ctx context.Context, name string) ([]string, error) {
	tags, err := s.d.List(ctx, tagsPath(name))
	if errdefs.IsNotFound(err) {
		return nil, nil
	}
	return tags, err
}

// Tags lists the tags of repository name in lexical order. A repository
// that does not exist is ErrNameUnknown; one without tags has an empty list.
func (s *Store) Tags(ctx context.Context, name string) ([]string, error) {
	if err := api.ValidateName(name); err != nil {
		return nil, err
	}
	tags, err := s.tags(ctx, name)
	if err != nil {
		return nil, err
	}
	if len(tags) == 0 {
		ok, err := s.RepositoryExists(ctx, name)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("repository %s: %w", name, api.ErrNameUnknown)
		}
		return []string{}, nil
	}
	slices.Sort(tags)
	return tags, nil
}
