package storage

import (
	"context"
	"path"
	"slices"
	"strings"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/registry/storage/driver"
	"github.com/opencontainers/go-digest"
)

// repoMarkers are the directories that make a directory a repository.
var repoMarkers = map[string]bool{"_layers": true, "_manifests": true, "_uploads": true, "_referrers": true}

// Repositories lists every repository name in lexical order (the catalog).
func (s *Store) Repositories(ctx context.Context) ([]string, error) {
	seen := map[string]bool{}
	err := s.d.Walk(ctx, reposRoot, func(fi driver.FileInfo) error {
		if !fi.IsDir {
			return nil
		}
		if repoMarkers[path.Base(fi.Path)] {
			seen[strings.TrimPrefix(path.Dir(fi.Path), reposRoot+"/")] = true
			return driver.ErrSkipDir
		}
		return nil
	})
	if err != nil && !errdefs.IsNotFound(err) {
		return nil, err
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	slices.Sort(names)
	return names, nil
}

// listDigests lists the digests stored as <root>/<algorithm>/<encoded>
// directories (revisions and layer links).
func (s *Store) listDigests(ctx context.Context, root string) ([]digest.Digest, error) {
	algs, err := s.d.List(ctx, root)
	if errdefs.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []digest.Digest
	for _, alg := range algs {
		encs, err := s.d.List(ctx, root+"/"+alg)
		if errdefs.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, enc := range encs {
			d := digest.NewDigestFromEncoded(digest.Algorithm(alg), enc)
			if d.Validate() == nil {
				out = append(out, d)
			}
		}
	}
	return out, nil
}
