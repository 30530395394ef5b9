package image

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/content"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// maxJSONBlob bounds the manifests, indexes and configs read into memory.
const maxJSONBlob = 8 << 20

// Image is one image as the engine and the server see it.
type Image struct {
	// ID is the digest of the image's config ("sha256:<hex>").
	ID digest.Digest
	// RepoTags are the image's tags in familiar form ("busybox:latest"), sorted.
	RepoTags []string
	// RepoDigests are its digest references ("busybox@sha256:..."), sorted.
	RepoDigests []string
	// Config is the parsed image config, with Docker's extra fields
	// (Healthcheck, OnBuild, Shell).
	Config dockerspec.DockerOCIImage
	// Comment and DockerVersion are the config's "comment" and
	// "docker_version", which the OCI types lack.
	Comment, DockerVersion string
	// Layers are the image's layers, bottom first.
	Layers []Layer
	// ChainID is the chain ID of the top layer: the committed snapshot the
	// engine passes as parent to Prepare ("" for an image without layers).
	ChainID digest.Digest
	// Created is the config's creation time (zero when absent).
	Created time.Time
	// Size is the sum of the layers' sizes (dockerd's image Size).
	Size int64
	// Parent is the local parent image, if any (images built locally).
	Parent digest.Digest
	// Target is the manifest describing the image in the content store.
	Target ocispec.Descriptor
	// LastTagTime is when a tag was last added ("Metadata" in inspect).
	LastTagTime time.Time
}

// Layer is one layer of an image.
type Layer struct {
	DiffID  digest.Digest
	ChainID digest.Digest
	// Size is the apparent size of the layer's files (as dockerd reports it).
	Size int64
	// Blob is the layer blob in the content store.
	Blob ocispec.Descriptor
}

// parsedConfig is an image config read once and cached by image ID.
type parsedConfig struct {
	image  dockerspec.DockerOCIImage
	extras configExtras
	layers []ocispec.Descriptor // from the manifest
}

// configExtras are the Docker config fields the OCI types lack.
type configExtras struct {
	Comment       string `json:"comment,omitempty"`
	DockerVersion string `json:"docker_version,omitempty"`
}

// parseConfig decodes a config and checks what the store relies on.
func parseConfig(raw []byte) (dockerspec.DockerOCIImage, configExtras, error) {
	var img dockerspec.DockerOCIImage
	var ex configExtras
	if err := json.Unmarshal(raw, &img); err != nil {
		return img, ex, fmt.Errorf("image config: %v: %w", err, errdefs.ErrInvalidArgument)
	}
	if err := json.Unmarshal(raw, &ex); err != nil {
		return img, ex, fmt.Errorf("image config: %v: %w", err, errdefs.ErrInvalidArgument)
	}
	for _, d := range img.RootFS.DiffIDs {
		if err := d.Validate(); err != nil {
			return img, ex, fmt.Errorf("image config: diff ID %q: %w", d, errdefs.ErrInvalidArgument)
		}
	}
	return img, ex, nil
}

// readManifest reads an image manifest from the content store.
func readManifest(ctx context.Context, cs content.Store, desc ocispec.Descriptor) (ocispec.Manifest, error) {
	var m ocispec.Manifest
	b, err := content.ReadBlob(ctx, cs, desc.Digest, maxJSONBlob)
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("manifest %s: %v: %w", desc.Digest, err, errdefs.ErrInvalidArgument)
	}
	return m, nil
}

// config returns the parsed config and manifest layers of image id.
func (s *Store) config(ctx context.Context, id digest.Digest, target ocispec.Descriptor) (*parsedConfig, error) {
	s.cacheMu.Lock()
	pc, ok := s.configs[id]
	s.cacheMu.Unlock()
	if ok {
		return pc, nil
	}
	m, err := readManifest(ctx, s.content, target)
	if err != nil {
		return nil, err
	}
	raw, err := content.ReadBlob(ctx, s.content, id, maxJSONBlob)
	if err != nil {
		return nil, fmt.Errorf("image %s config: %w", id, err)
	}
	img, ex, err := parseConfig(raw)
	if err != nil {
		return nil, err
	}
	if len(m.Layers) != len(img.RootFS.DiffIDs) {
		return nil, fmt.Errorf("image %s: %d layers in the manifest, %d in the config: %w",
			id, len(m.Layers), len(img.RootFS.DiffIDs), errdefs.ErrInvalidArgument)
	}
	pc = &parsedConfig{image: img, extras: ex, layers: m.Layers}
	s.cacheMu.Lock()
	s.configs[id] = pc
	s.cacheMu.Unlock()
	return pc, nil
}

// chainIDs returns the chain ID of each prefix of diffIDs:
// ChainID(L0) = DiffID(L0); ChainID(L0..Ln) = sha256(ChainID(L0..Ln-1) + " " + DiffID(Ln)).
func chainIDs(diffIDs []digest.Digest) []digest.Digest {
	out := make([]digest.Digest, len(diffIDs))
	for i, d := range diffIDs {
		if i == 0 {
			out[i] = d
			continue
		}
		out[i] = digest.FromString(out[i-1].String() + " " + d.String())
	}
	return out
}

// build assembles an Image from its record, references and layer records.
func (s *Store) build(ctx context.Context, t *tx, id digest.Digest, r record, refs []string) (Image, error) {
	pc, err := s.config(ctx, id, r.Target)
	if err != nil {
		return Image{}, err
	}
	img := Image{
		ID: id, Config: pc.image, Comment: pc.extras.Comment, DockerVersion: pc.extras.DockerVersion,
		Parent: r.Parent, Target: r.Target, LastTagTime: r.LastTagTime,
	}
	if pc.image.Created != nil {
		img.Created = *pc.image.Created
	}
	img.RepoTags, img.RepoDigests = familiarRefs(refs)
	for i, chain := range chainIDs(pc.image.RootFS.DiffIDs) {
		l, _, err := t.layer(chain)
		if err != nil {
			return Image{}, err
		}
		img.Layers = append(img.Layers, Layer{DiffID: pc.image.RootFS.DiffIDs[i], ChainID: chain, Size: l.Size, Blob: pc.layers[i]})
		img.Size += l.Size
		img.ChainID = chain
	}
	return img, nil
}
