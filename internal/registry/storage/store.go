package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/registry/api"
	"github.com/berthproject/berth/internal/registry/storage/driver"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// DefaultMaxManifestSize is the largest manifest accepted (4 MiB, the size
// the OCI spec asks registries to accept at least).
const DefaultMaxManifestSize = 4 << 20

// Options tune a Store.
type Options struct {
	// MaxManifestSize bounds manifest bodies; 0 means DefaultMaxManifestSize.
	MaxManifestSize int64
}

// Store is the registry's storage: blobs, uploads, manifests, tags and
// referrers of every repository, laid out on a driver as paths.go draws.
// Names, tags and digests reaching it are validated again here. Safe for
// concurrent use; garbage collection must run alone (see GarbageCollect).
type Store struct {
	d           driver.Driver
	maxManifest int64

	mu      sync.Mutex
	uploads map[string]*uploadState // key: name + "\x00" + id
}

// New returns a Store on d.
func New(d driver.Driver, opts Options) *Store {
	if opts.MaxManifestSize <= 0 {
		opts.MaxManifestSize = DefaultMaxManifestSize
	}
	return &Store{d: d, maxManifest: opts.MaxManifestSize, uploads: map[string]*uploadState{}}
}

// Driver returns the storage driver.
func (s *Store) Driver() driver.Driver { return s.d }

// MaxManifestSize returns the manifest size limit.
func (s *Store) MaxManifestSize() int64 { return s.maxManifest }

// revision is the content of a manifest's revision link.
type revision struct {
	MediaType    string        `json:"mediaType"`
	Digest       digest.Digest `json:"digest"`
	Size         int64         `json:"size"`
	Subject      digest.Digest `json:"subject,omitempty"`
	ArtifactType string        `json:"artifactType,omitempty"`
}

func (r revision) descriptor() ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: r.MediaType, Digest: r.Digest, Size: r.Size}
}

func (s *Store) readRevision(ctx context.Context, name string, d digest.Digest) (revision, error) {
	b, err := s.d.GetContent(ctx, revisionLinkPath(name, d))
	if err != nil {
		if errdefs.IsNotFound(err) {
			return revision{}, fmt.Errorf("manifest %s in %s: %w", d, name, api.ErrManifestUnknown)
		}
		return revision{}, err
	}
	var r revision
	if err := json.Unmarshal(b, &r); err != nil || r.Digest != d {
		return revision{}, fmt.Errorf("manifest %s in %s: corrupt revision link: %w", d, name, errdefs.ErrInternal)
	}
	return r, nil
}

// exists reports whether p exists; errors other than not-found are returned.
func (s *Store) exists(ctx context.Context, p string) (bool, error) {
	_, err := s.d.Stat(ctx, p)
	switch {
	case err == nil:
		return true, nil
	case errdefs.IsNotFound(err):
		return false, nil
	}
	return false, err
}

// RepositoryExists reports whether name holds anything (blobs, manifests or
// uploads).
func (s *Store) RepositoryExists(ctx context.Context, name string) (bool, error) {
	if err := api.ValidateName(name); err != nil {
		return false, err
	}
	for _, sub := range []string{"/_manifests", "/_layers", "/_uploads"} {
		ok, err := s.exists(ctx, repoPath(name)+sub)
		if ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

// deleteIfExists deletes p, ignoring a missing p.
func (s *Store) deleteIfExists(ctx context.Context, p string) error {
	if err := s.d.Delete(ctx, p); err != nil && !errdefs.IsNotFound(err) {
		return err
	}
	return nil
}

// parseLinkDigest reads a link file holding a digest.
func parseLinkDigest(b []byte) (digest.Digest, error) {
	d, err := digest.Parse(strings.TrimSpace(string(b)))
	if err != nil {
		return "", errors.Join(err, errdefs.ErrInternal)
	}
	return d, nil
}
