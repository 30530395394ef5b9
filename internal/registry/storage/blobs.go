package storage

import (
	"context"
	"fmt"
	"io"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/registry/api"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func checkNameDigest(name string, d digest.Digest) error {
	if err := api.ValidateName(name); err != nil {
		return err
	}
	if _, err := api.ParseDigest(d.String()); err != nil {
		return err
	}
	return nil
}

func blobUnknown(name string, d digest.Digest) error {
	return api.WithDetail(fmt.Errorf("blob %s in %s: %w", d, name, api.ErrBlobUnknown), map[string]string{"digest": d.String()})
}

// StatBlob describes blob d of repository name. A blob is in a repository
// when the repository links it and its content exists.
func (s *Store) StatBlob(ctx context.Context, name string, d digest.Digest) (ocispec.Descriptor, error) {
	if err := checkNameDigest(name, d); err != nil {
		return ocispec.Descriptor{}, err
	}
	linked, err := s.exists(ctx, layerLinkPath(name, d))
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	if !linked {
		return ocispec.Descriptor{}, blobUnknown(name, d)
	}
	fi, err := s.d.Stat(ctx, blobDataPath(d))
	if err != nil {
		if errdefs.IsNotFound(err) {
			return ocispec.Descriptor{}, blobUnknown(name, d)
		}
		return ocispec.Descriptor{}, err
	}
	return ocispec.Descriptor{MediaType: api.MediaTypeOctetStream, Digest: d, Size: fi.Size}, nil
}

// OpenBlob opens blob d of repository name for reading. The reader is the
// driver's (an *os.File on the filesystem driver).
func (s *Store) OpenBlob(ctx context.Context, name string, d digest.Digest) (io.ReadSeekCloser, ocispec.Descriptor, error) {
	desc, err := s.StatBlob(ctx, name, d)
	if err != nil {
		return nil, desc, err
	}
	r, err := s.d.Reader(ctx, blobDataPath(d))
	if err != nil {
		if errdefs.IsNotFound(err) {
			return nil, desc, blobUnknown(name, d)
		}
		return nil, desc, err
	}
	return r, desc, nil
}

// DeleteBlob removes blob d from repository name. The content stays until
// garbage collection finds nothing links it.
func (s *Store) DeleteBlob(ctx context.Context, name string, d digest.Digest) error {
	if err := checkNameDigest(name, d); err != nil {
		return err
	}
	err := s.d.Delete(ctx, layerLinkDir(name, d))
	if errdefs.IsNotFound(err) {
		return blobUnknown(name, d)
	}
	return err
}

// MountBlob links blob d of repository from into repository name (a
// cross-repository mount). It returns ErrBlobUnknown when from does not have
// the blob.
func (s *Store) MountBlob(ctx context.Context, name, from string, d digest.Digest) (ocispec.Descriptor, error) {
	if err := api.ValidateName(name); err != nil {
		return ocispec.Descriptor{}, err
	}
	desc, err := s.StatBlob(ctx, from, d)
	if err != nil {
		return desc, err
	}
	return desc, s.linkBlob(ctx, name, d)
}

// LinkExistingBlob links blob d into repository name when its content
// exists anywhere in the registry (a mount without a source repository).
func (s *Store) LinkExistingBlob(ctx context.Context, name string, d digest.Digest) (ocispec.Descriptor, error) {
	if err := checkNameDigest(name, d); err != nil {
		return ocispec.Descriptor{}, err
	}
	fi, err := s.d.Stat(ctx, blobDataPath(d))
	if err != nil {
		if errdefs.IsNotFound(err) {
			return ocispec.Descriptor{}, blobUnknown(name, d)
		}
		return ocispec.Descriptor{}, err
	}
	if err := s.linkBlob(ctx, name, d); err != nil {
		return ocispec.Descriptor{}, err
	}
	return ocispec.Descriptor{MediaType: api.MediaTypeOctetStream, Digest: d, Size: fi.Size}, nil
}

func (s *Store) linkBlob(ctx context.Context, name string, d digest.Digest) error {
	return s.d.PutContent(ctx, layerLinkPath(name, d), []byte(d.String()))
}
