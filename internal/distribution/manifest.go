package distribution

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/remote"
	"github.com/distribution/reference"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Docker's media types of the schema 2 format.
const (
	mediaTypeDockerConfig    = "application/vnd.docker.container.image.v1+json"
	mediaTypeDockerLayer     = "application/vnd.docker.image.rootfs.diff.tar"
	mediaTypeDockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"
	mediaTypeDockerForeign   = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
)

// checkManifestType refuses what is not an image manifest, with dockerd's
// messages.
func checkManifestType(ref reference.Named, mediaType string) error {
	switch mediaType {
	case ocispec.MediaTypeImageManifest, remote.MediaTypeDockerManifest:
		return nil
	case remote.MediaTypeDockerSchema1, remote.MediaTypeDockerSchema1Signed:
		return fmt.Errorf("Docker Image Format v1 and Docker Image manifest version 2, schema 1 support has been removed. "+
			"Suggest the author of %s to upgrade the image to the OCI Format or Docker Image manifest v2, schema 2. "+
			"More information at https://docs.docker.com/go/deprecated-image-specs/: %w", ref.String(), errdefs.ErrInvalidArgument)
	}
	return fmt.Errorf("unsupported manifest format %q: %w", mediaType, errdefs.ErrInvalidArgument)
}

// checkConfigType refuses configs of artifacts that are not images.
func checkConfigType(mediaType string) error {
	switch {
	case mediaType == ocispec.MediaTypeImageConfig || mediaType == mediaTypeDockerConfig:
		return nil
	case strings.HasPrefix(mediaType, "application/vnd.docker.ai."):
		return fmt.Errorf(`AI models are not yet supported by the Engine, please use "docker model pull/run" instead: %w`, errdefs.ErrInvalidArgument)
	}
	return fmt.Errorf("Encountered remote %q(unknown) when fetching: %w", mediaType, errdefs.ErrInvalidArgument)
}

// compression names a layer media type's compression: "gzip", "zstd",
// "" for an uncompressed tar, "?" for a type that is not a layer.
func compression(mediaType string) string {
	switch mediaType {
	case ocispec.MediaTypeImageLayerGzip, ocispec.MediaTypeImageLayerNonDistributableGzip, //nolint:staticcheck // still found in the wild
		mediaTypeDockerLayerGzip, mediaTypeDockerForeign:
		return "gzip"
	case ocispec.MediaTypeImageLayerZstd, ocispec.MediaTypeImageLayerNonDistributableZstd: //nolint:staticcheck // idem
		return "zstd"
	case ocispec.MediaTypeImageLayer, ocispec.MediaTypeImageLayerNonDistributable, mediaTypeDockerLayer: //nolint:staticcheck // idem
		return ""
	}
	return "?"
}

// buildManifest writes the manifest a push sends for config and layers
// (whose media types say their compression): Docker's schema 2, as
// dockerd pushes, unless a layer is zstd, which only OCI manifests can
// carry. It is indented like dockerd's.
func buildManifest(config ocispec.Descriptor, layers []ocispec.Descriptor) (string, []byte, error) {
	oci := false
	for _, l := range layers {
		oci = oci || compression(l.MediaType) == "zstd"
	}
	m := ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: remote.MediaTypeDockerManifest,
		Config: ocispec.Descriptor{MediaType: mediaTypeDockerConfig, Digest: config.Digest, Size: config.Size}}
	if oci {
		m.MediaType, m.Config.MediaType = ocispec.MediaTypeImageManifest, ocispec.MediaTypeImageConfig
	}
	m.Layers = make([]ocispec.Descriptor, len(layers))
	for i, l := range layers {
		m.Layers[i] = ocispec.Descriptor{MediaType: layerType(compression(l.MediaType), oci), Digest: l.Digest, Size: l.Size}
	}
	raw, err := json.MarshalIndent(m, "", "   ")
	return m.MediaType, raw, err
}

// layerType is the media type of a layer with the given compression.
func layerType(comp string, oci bool) string {
	switch {
	case comp == "zstd":
		return ocispec.MediaTypeImageLayerZstd
	case oci && comp == "gzip":
		return ocispec.MediaTypeImageLayerGzip
	case oci:
		return ocispec.MediaTypeImageLayer
	case comp == "gzip":
		return mediaTypeDockerLayerGzip
	}
	return mediaTypeDockerLayer
}
