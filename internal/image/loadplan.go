package image

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/archive"
	"github.com/berthproject/berth/internal/content"
	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Docker's media types that may appear in OCI layouts.
const (
	mediaTypeDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	mediaTypeDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
)

// loadPlans reads the archive's manifest.json (dockerd prefers it when both
// exist) or else its index.json, and writes a manifest for each image.
func (s *Store) loadPlans(ctx context.Context, f *archiveFiles, g garbage) ([]loadPlan, error) {
	if raw, err := s.readFile(ctx, f, manifestFile); err == nil {
		return s.dockerPlans(ctx, f, raw, g)
	}
	raw, err := s.readFile(ctx, f, ocispec.ImageIndexFile)
	if err != nil {
		return nil, fmt.Errorf("image archive has neither manifest.json nor index.json: %w", errdefs.ErrInvalidArgument)
	}
	return s.ociPlans(ctx, raw)
}

// dockerPlans follows manifest.json.
func (s *Store) dockerPlans(ctx context.Context, f *archiveFiles, raw []byte, g garbage) ([]loadPlan, error) {
	var items []manifestItem
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("manifest.json: %v: %w", err, errdefs.ErrInvalidArgument)
	}
	var plans []loadPlan
	for _, it := range items {
		p, err := s.dockerPlan(ctx, f, it, g)
		if err != nil {
			return nil, err
		}
		plans = append(plans, p)
	}
	return plans, nil
}

func (s *Store) dockerPlan(ctx context.Context, f *archiveFiles, it manifestItem, g garbage) (loadPlan, error) {
	raw, err := s.readFile(ctx, f, it.Config)
	if err != nil {
		return loadPlan{}, err
	}
	cfg, _, err := parseConfig(raw)
	if err != nil {
		return loadPlan{}, err
	}
	if len(it.Layers) != len(cfg.RootFS.DiffIDs) {
		return loadPlan{}, fmt.Errorf("invalid manifest, layers length mismatch: expected %d, got %d: %w",
			len(it.Layers), len(cfg.RootFS.DiffIDs), errdefs.ErrInvalidArgument)
	}
	var layers []ocispec.Descriptor
	for _, l := range it.Layers {
		d, err := s.layerBlob(ctx, f, l)
		if err != nil {
			return loadPlan{}, err
		}
		layers = append(layers, d)
	}
	target, err := s.writeImage(ctx, raw, layers, g)
	if err != nil {
		return loadPlan{}, err
	}
	p := loadPlan{target: target, id: digest.FromBytes(raw)}
	for _, t := range it.RepoTags {
		named, err := reference.ParseNormalizedNamed(t)
		if err != nil {
			return loadPlan{}, fmt.Errorf("%v: %w", err, errdefs.ErrInvalidArgument)
		}
		if _, ok := named.(reference.NamedTagged); !ok {
			return loadPlan{}, fmt.Errorf("invalid tag %q: %w", t, errdefs.ErrInvalidArgument)
		}
		p.tags = append(p.tags, named)
	}
	return p, nil
}

// layerBlob describes a layer file of the archive, detecting its compression.
func (s *Store) layerBlob(ctx context.Context, f *archiveFiles, name string) (ocispec.Descriptor, error) {
	n, err := f.resolve(name)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	d, ok := f.blobs[n]
	if !ok {
		return ocispec.Descriptor{}, fmt.Errorf("layer %s not found in image archive: %w", name, errdefs.ErrInvalidArgument)
	}
	ra, err := s.content.ReaderAt(ctx, d.Digest)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	defer ra.Close()
	head := make([]byte, 6)
	k, _ := ra.ReadAt(head, 0)
	switch archive.DetectCompression(head[:k]) {
	case archive.Gzip:
		d.MediaType = ocispec.MediaTypeImageLayerGzip
	case archive.Zstd:
		d.MediaType = ocispec.MediaTypeImageLayerZstd
	default:
		d.MediaType = ocispec.MediaTypeImageLayer
	}
	return d, nil
}

// ociPlans follows index.json (an archive with no manifest.json): each
// manifest, or the host platform's manifest of each nested index, is an
// image, tagged by its io.containerd.image.name annotation.
func (s *Store) ociPlans(ctx context.Context, raw []byte) ([]loadPlan, error) {
	var idx ocispec.Index
	if err := json.Unmarshal(raw, &idx); err != nil {
		return nil, fmt.Errorf("index.json: %v: %w", err, errdefs.ErrInvalidArgument)
	}
	var plans []loadPlan
	for _, d := range idx.Manifests {
		target, err := s.pickManifest(ctx, d)
		if err != nil {
			return nil, err
		}
		m, err := readManifest(ctx, s.content, target)
		if err != nil {
			return nil, err
		}
		p := loadPlan{target: target, id: m.Config.Digest}
		if name := d.Annotations[annotationName]; name != "" {
			named, err := reference.ParseNormalizedNamed(name)
			if err != nil {
				return nil, fmt.Errorf("image name %q: %v: %w", name, err, errdefs.ErrInvalidArgument)
			}
			if _, ok := named.(reference.NamedTagged); ok {
				p.tags = append(p.tags, named)
			}
		}
		plans = append(plans, p)
	}
	return plans, nil
}

// pickManifest returns d if it is a manifest, or the host platform's
// manifest if it is an index.
func (s *Store) pickManifest(ctx context.Context, d ocispec.Descriptor) (ocispec.Descriptor, error) {
	switch d.MediaType {
	case ocispec.MediaTypeImageManifest, mediaTypeDockerManifest:
		return d, nil
	case ocispec.MediaTypeImageIndex, mediaTypeDockerList:
	default:
		return d, fmt.Errorf("unsupported media type %q in index.json: %w", d.MediaType, errdefs.ErrNotImplemented)
	}
	raw, err := content.ReadBlob(ctx, s.content, d.Digest, maxJSONBlob)
	if err != nil {
		return d, err
	}
	var idx ocispec.Index
	if err := json.Unmarshal(raw, &idx); err != nil {
		return d, fmt.Errorf("index %s: %v: %w", d.Digest, err, errdefs.ErrInvalidArgument)
	}
	for _, m := range idx.Manifests {
		if m.Platform != nil && m.Platform.OS == runtime.GOOS && m.Platform.Architecture == runtime.GOARCH {
			if _, err := s.content.Info(ctx, m.Digest); err == nil {
				return m, nil
			}
		}
	}
	return d, fmt.Errorf("index %s has no manifest for %s/%s in the archive: %w", d.Digest, runtime.GOOS, runtime.GOARCH, errdefs.ErrNotFound)
}
