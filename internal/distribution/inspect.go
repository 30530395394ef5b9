package distribution

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/remote"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/registry"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Inspect describes what ref names in its registry (GET
// /distribution/{name}/json): the manifest or index descriptor and the
// platforms it serves.
func (s *Service) Inspect(ctx context.Context, ref reference.Named, creds remote.Credentials) (registry.DistributionInspect, error) {
	var out registry.DistributionInspect
	err := s.withEndpoints(ctx, ref, creds, false, func(repo *remote.Repository) error {
		raw, desc, err := repo.Manifest(ctx, refSuffix(ref))
		if err != nil {
			return err
		}
		out = registry.DistributionInspect{Descriptor: desc, Platforms: []ocispec.Platform{}}
		if remote.IsIndex(desc.MediaType) {
			var idx ocispec.Index
			if err := json.Unmarshal(raw, &idx); err != nil {
				return fmt.Errorf("index %s: %v: %w", desc.Digest, err, errdefs.ErrInvalidArgument)
			}
			for _, m := range idx.Manifests {
				if m.Platform != nil {
					out.Platforms = append(out.Platforms, *m.Platform)
				}
			}
			return nil
		}
		var m ocispec.Manifest
		if err := json.Unmarshal(raw, &m); err != nil {
			return fmt.Errorf("manifest %s: %v: %w", desc.Digest, err, errdefs.ErrInvalidArgument)
		}
		cfg, err := fetchSmall(ctx, repo, m.Config)
		if err != nil {
			return err
		}
		var img ocispec.Image
		if err := json.Unmarshal(cfg, &img); err != nil {
			return fmt.Errorf("image config %s: %v: %w", m.Config.Digest, err, errdefs.ErrInvalidArgument)
		}
		out.Platforms = append(out.Platforms, img.Platform)
		return nil
	})
	return out, translatePullError(err, ref)
}

// Search searches the index term names (Docker Hub unless term starts
// with a registry host) with the v1 search API.
func (s *Service) Search(ctx context.Context, term string, limit int, creds remote.Credentials) ([]registry.SearchResult, error) {
	return s.registry.Search(ctx, term, limit, creds)
}
