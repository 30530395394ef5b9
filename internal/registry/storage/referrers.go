package storage

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/registry/api"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// FallbackTag is the tag the OCI referrers tag schema uses for subject d
// ("<alg>-<encoded>", truncated to 32 and 64 characters): clients that do
// not find the referrers API push an index of referrers under it.
func FallbackTag(d digest.Digest) string {
	alg, enc := d.Algorithm().String(), d.Encoded()
	return alg[:min(len(alg), 32)] + "-" + enc[:min(len(enc), 64)]
}

// Referrers lists the manifests of repository name whose subject is
// subject, optionally only those of one artifactType, sorted by digest.
// Entries of an index pushed under the subject's fallback tag (by clients
// using the tag schema) are merged in, so both kinds of clients see the
// same referrers. An unknown subject or repository has no referrers.
func (s *Store) Referrers(ctx context.Context, name string, subject digest.Digest, artifactType string) ([]ocispec.Descriptor, error) {
	if err := checkNameDigest(name, subject); err != nil {
		return nil, err
	}
	out, err := s.linkedReferrers(ctx, name, subject)
	if err != nil {
		return nil, err
	}
	fallback, err := s.fallbackReferrers(ctx, name, subject)
	if err != nil {
		return nil, err
	}
	for _, f := range fallback {
		if !slices.ContainsFunc(out, func(d ocispec.Descriptor) bool { return d.Digest == f.Digest }) {
			out = append(out, f)
		}
	}
	if artifactType != "" {
		out = slices.DeleteFunc(out, func(d ocispec.Descriptor) bool { return d.ArtifactType != artifactType })
	}
	slices.SortFunc(out, func(a, b ocispec.Descriptor) int { return strings.Compare(a.Digest.String(), b.Digest.String()) })
	return out, nil
}

func (s *Store) linkedReferrers(ctx context.Context, name string, subject digest.Digest) ([]ocispec.Descriptor, error) {
	files, err := s.d.List(ctx, referrersDir(name, subject))
	if errdefs.IsNotFound(err) {
		return []ocispec.Descriptor{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]ocispec.Descriptor, 0, len(files))
	for _, f := range files {
		d, ok := referrerDigest(f)
		if !ok {
			continue
		}
		b, err := s.d.GetContent(ctx, referrerPath(name, subject, d))
		if errdefs.IsNotFound(err) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		var desc ocispec.Descriptor
		if json.Unmarshal(b, &desc) == nil && desc.Digest == d {
			out = append(out, desc)
		}
	}
	return out, nil
}

func (s *Store) fallbackReferrers(ctx context.Context, name string, subject digest.Digest) ([]ocispec.Descriptor, error) {
	desc, body, err := s.GetManifest(ctx, name, FallbackTag(subject))
	if errdefs.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if desc.MediaType != api.MediaTypeOCIIndex {
		return nil, nil
	}
	var idx ocispec.Index
	if json.Unmarshal(body, &idx) != nil {
		return nil, nil
	}
	return idx.Manifests, nil
}
