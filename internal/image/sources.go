package image

import (
	"context"
	"encoding/json"
	"slices"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	bolt "go.etcd.io/bbolt"
)

// Bounds of the sources recorded per layer.
const (
	maxSourceBlobs = 8
	maxSourceRepos = 8
)

// BlobSource is a blob of a layer (usually a compressed form) known to
// exist in registry repositories: pulled from them or pushed to them. A
// push uses it to skip a layer the target already has, or to mount it from
// another repository of the same registry, instead of uploading it (like
// dockerd's v2 metadata service).
type BlobSource struct {
	Blob ocispec.Descriptor `json:"blob"`
	// Repos are full repository names ("localhost:5000/app",
	// "docker.io/library/busybox"), most recent first.
	Repos []string `json:"repos"`
}

// BlobSources returns the known registry blobs of the layer diffID, most
// recent first.
func (s *Store) BlobSources(ctx context.Context, diffID digest.Digest) ([]BlobSource, error) {
	var out []BlobSource
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketV1).Bucket(bucketSources).Get([]byte(diffID))
		if v == nil {
			return nil
		}
		return json.Unmarshal(v, &out)
	})
	return out, err
}

// AddBlobSource records that repository repo holds blob, a form of the
// layer diffID. The lists are bounded, forgetting the oldest entries.
func (s *Store) AddBlobSource(ctx context.Context, diffID digest.Digest, blob ocispec.Descriptor, repo string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketV1).Bucket(bucketSources)
		var list []BlobSource
		if v := b.Get([]byte(diffID)); v != nil {
			if err := json.Unmarshal(v, &list); err != nil {
				list = nil // a corrupt entry is only a lost optimisation
			}
		}
		list = addSource(list, BlobSource{Blob: ocispec.Descriptor{MediaType: blob.MediaType, Digest: blob.Digest, Size: blob.Size}}, repo)
		raw, err := json.Marshal(list)
		if err != nil {
			return err
		}
		return b.Put([]byte(diffID), raw)
	})
}

// addSource moves (or adds) blob to the front of list and repo to the
// front of its repositories.
func addSource(list []BlobSource, blob BlobSource, repo string) []BlobSource {
	i := slices.IndexFunc(list, func(bs BlobSource) bool { return bs.Blob.Digest == blob.Blob.Digest })
	if i >= 0 {
		blob.Repos = list[i].Repos
		list = slices.Delete(list, i, i+1)
	}
	blob.Repos = slices.DeleteFunc(blob.Repos, func(r string) bool { return r == repo })
	blob.Repos = append([]string{repo}, blob.Repos...)
	if len(blob.Repos) > maxSourceRepos {
		blob.Repos = blob.Repos[:maxSourceRepos]
	}
	list = append([]BlobSource{blob}, list...)
	if len(list) > maxSourceBlobs {
		list = list[:maxSourceBlobs]
	}
	return list
}
