package engine

import (
	"context"

	"github.com/berthproject/berth/internal/mount"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ImageInfo is what the engine needs to know of an image to create a container.
type ImageInfo struct {
	// ID is the image ID ("sha256:<hex>").
	ID string
	// ChainID is the chain ID of the top layer: the parent snapshot of a container.
	ChainID string
	// Config is the image's runtime configuration.
	Config       ocispec.ImageConfig
	OS           string
	Architecture string
}

// Images resolves image references for container creation. A missing image is
// errdefs.ErrNotFound with dockerd's message ("No such image: busybox:latest").
type Images interface {
	Resolve(ctx context.Context, ref string) (ImageInfo, error)
}

// Snapshots manages containers' writable layers, keyed by container.
type Snapshots interface {
	// Prepare creates the active snapshot key on top of parent.
	Prepare(ctx context.Context, key, parent string) ([]mount.Mount, error)
	// Mounts returns the mounts of an active snapshot.
	Mounts(ctx context.Context, key string) ([]mount.Mount, error)
	// Remove deletes a snapshot; a missing one is ErrNotFound.
	Remove(ctx context.Context, key string) error
}
