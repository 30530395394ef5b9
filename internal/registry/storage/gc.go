package storage

import (
	"context"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/registry/storage/driver"
	"github.com/opencontainers/go-digest"
)

// GCOptions tune GarbageCollect.
type GCOptions struct {
	// DryRun reports what would be deleted without deleting anything.
	DryRun bool
	// DeleteUntagged also deletes manifests that no tag reaches: not
	// tagged, not in a kept index, not referring to a kept manifest.
	DeleteUntagged bool
	// UploadMaxAge: uploads idle at least this long and temp files at
	// least this old are removed.
	UploadMaxAge time.Duration
}

// GCReport counts what GarbageCollect found and removed.
type GCReport struct {
	Repositories     int
	ManifestsDeleted int
	BlobsKept        int
	BlobsDeleted     int
	BytesFreed       int64
	LinksDeleted     int
	UploadsDeleted   int
	TempFilesDeleted int
}

// tempPurger is implemented by drivers that keep temp files (filesystem).
type tempPurger interface {
	PurgeTemp(ctx context.Context, age time.Duration) (int, error)
}

// GarbageCollect is a mark and sweep over the whole registry. Mark: every
// manifest kept in every repository, its config and layers. Sweep: blob
// content nobody marked, the repositories' links to it, stale uploads and
// temp files. It must run alone: with the registry stopped or read-only
// (berth-registry garbage-collect refuses to run while a read-write
// registry holds the storage lock).
func (s *Store) GarbageCollect(ctx context.Context, opts GCOptions) (GCReport, error) {
	var rep GCReport
	repos, err := s.Repositories(ctx)
	if err != nil {
		return rep, err
	}
	rep.Repositories = len(repos)
	marked := map[digest.Digest]bool{}
	for _, name := range repos {
		if err := s.markRepository(ctx, name, opts, marked, &rep); err != nil {
			return rep, fmt.Errorf("mark %s: %w", name, err)
		}
	}
	if err := s.sweepBlobs(ctx, opts, marked, &rep); err != nil {
		return rep, fmt.Errorf("sweep: %w", err)
	}
	for _, name := range repos {
		if err := s.sweepLinks(ctx, name, opts, marked, &rep); err != nil {
			return rep, fmt.Errorf("sweep %s: %w", name, err)
		}
	}
	n, err := s.purgeUploads(ctx, opts.UploadMaxAge, opts.DryRun)
	rep.UploadsDeleted = n
	if err != nil {
		return rep, err
	}
	if tp, ok := s.d.(tempPurger); ok && !opts.DryRun {
		rep.TempFilesDeleted, err = tp.PurgeTemp(ctx, opts.UploadMaxAge)
	}
	return rep, err
}

// markRepository marks what repository name keeps, deleting unreachable
// manifests first when asked to.
func (s *Store) markRepository(ctx context.Context, name string, opts GCOptions, marked map[digest.Digest]bool, rep *GCReport) error {
	revs, err := s.listDigests(ctx, revisionsPath(name))
	if err != nil {
		return err
	}
	manifests := map[digest.Digest]*Manifest{}
	revisions := map[digest.Digest]revision{}
	for _, d := range revs {
		rev, m, err := s.loadManifest(ctx, name, d)
		if err != nil {
			return err
		}
		if m != nil {
			manifests[d], revisions[d] = m, rev
		}
	}
	keep := map[digest.Digest]bool{}
	for d := range manifests {
		keep[d] = !opts.DeleteUntagged
	}
	if opts.DeleteUntagged {
		if err := s.reachable(ctx, name, manifests, revisions, keep); err != nil {
			return err
		}
	}
	for d, m := range manifests {
		if !keep[d] {
			rep.ManifestsDeleted++
			if !opts.DryRun {
				if err := s.deleteRevision(ctx, name, revisions[d]); err != nil && !errdefs.IsNotFound(err) {
					return err
				}
			}
			continue
		}
		marked[d] = true
		for _, l := range m.Layers {
			marked[l.Digest] = true
		}
	}
	return nil
}

// loadManifest reads and parses one revision; a revision whose content is
// gone or unparsable yields a nil manifest (nothing to mark).
func (s *Store) loadManifest(ctx context.Context, name string, d digest.Digest) (revision, *Manifest, error) {
	rev, err := s.readRevision(ctx, name, d)
	if err != nil {
		if errdefs.IsNotFound(err) || errdefs.IsInternal(err) {
			return rev, nil, nil
		}
		return rev, nil, err
	}
	body, err := s.d.GetContent(ctx, blobDataPath(d))
	if err != nil {
		if errdefs.IsNotFound(err) {
			return rev, nil, nil
		}
		return rev, nil, err
	}
	m, err := ParseManifest(rev.MediaType, body)
	if err != nil {
		return rev, nil, nil
	}
	return rev, m, nil
}

// reachable sets keep for the manifests reachable from tags: tagged ones,
// children of kept indexes and referrers of kept manifests, to a fixpoint.
func (s *Store) reachable(ctx context.Context, name string, manifests map[digest.Digest]*Manifest, revisions map[digest.Digest]revision, keep map[digest.Digest]bool) error {
	tags, err := s.tags(ctx, name)
	if err != nil {
		return err
	}
	for _, t := range tags {
		if d, err := s.tagDigest(ctx, name, t); err == nil && manifests[d] != nil {
			keep[d] = true
		}
	}
	for changed := true; changed; {
		changed = false
		for d, m := range manifests {
			kept := keep[d]
			if !kept && revisions[d].Subject != "" && keep[revisions[d].Subject] {
				keep[d], kept, changed = true, true, true
			}
			if !kept {
				continue
			}
			for _, c := range m.Manifests {
				if manifests[c.Digest] != nil && !keep[c.Digest] {
					keep[c.Digest], changed = true, true
				}
			}
		}
	}
	return nil
}

// sweepBlobs deletes blob content nobody marked.
func (s *Store) sweepBlobs(ctx context.Context, opts GCOptions, marked map[digest.Digest]bool, rep *GCReport) error {
	var doomed []driver.FileInfo
	err := s.d.Walk(ctx, blobsRoot, func(fi driver.FileInfo) error {
		comps := strings.Split(strings.TrimPrefix(fi.Path, blobsRoot+"/"), "/")
		if !fi.IsDir || len(comps) != 3 {
			return nil
		}
		d := digest.NewDigestFromEncoded(digest.Algorithm(comps[0]), comps[2])
		if marked[d] {
			rep.BlobsKept++
		} else {
			doomed = append(doomed, fi)
		}
		return driver.ErrSkipDir
	})
	if err != nil && !errdefs.IsNotFound(err) {
		return err
	}
	for _, fi := range doomed {
		if st, err := s.d.Stat(ctx, fi.Path+"/data"); err == nil {
			rep.BytesFreed += st.Size
		}
		rep.BlobsDeleted++
		if !opts.DryRun {
			if err := s.deleteIfExists(ctx, fi.Path); err != nil {
				return err
			}
		}
	}
	return nil
}

// sweepLinks removes the layer links of repository name to unmarked blobs.
func (s *Store) sweepLinks(ctx context.Context, name string, opts GCOptions, marked map[digest.Digest]bool, rep *GCReport) error {
	links, err := s.listDigests(ctx, repoPath(name)+"/_layers")
	if err != nil {
		return err
	}
	for _, d := range links {
		if marked[d] {
			continue
		}
		rep.LinksDeleted++
		if !opts.DryRun {
			if err := s.deleteIfExists(ctx, layerLinkDir(name, d)); err != nil {
				return err
			}
		}
	}
	return nil
}

// PurgeUploads removes uploads idle for at least maxAge (no byte received,
// not started, in that time) that no request is using, and returns how many
// it removed. A running registry calls it periodically.
func (s *Store) PurgeUploads(ctx context.Context, maxAge time.Duration) (int, error) {
	return s.purgeUploads(ctx, maxAge, false)
}

func (s *Store) purgeUploads(ctx context.Context, maxAge time.Duration, dryRun bool) (int, error) {
	var dirs []driver.FileInfo
	err := s.d.Walk(ctx, reposRoot, func(fi driver.FileInfo) error {
		switch {
		case !fi.IsDir:
		case path.Base(path.Dir(fi.Path)) == "_uploads":
			dirs = append(dirs, fi)
			return driver.ErrSkipDir
		case path.Base(fi.Path) != "_uploads" && repoMarkers[path.Base(fi.Path)]:
			return driver.ErrSkipDir // links and manifests: nothing to purge below
		}
		return nil
	})
	if err != nil && !errdefs.IsNotFound(err) {
		return 0, err
	}
	n := 0
	for _, fi := range dirs {
		name := strings.TrimPrefix(path.Dir(path.Dir(fi.Path)), reposRoot+"/")
		removed, err := s.purgeUpload(ctx, name, path.Base(fi.Path), maxAge, dryRun)
		if err != nil {
			return n, err
		}
		if removed {
			n++
		}
	}
	return n, nil
}

func (s *Store) purgeUpload(ctx context.Context, name, id string, maxAge time.Duration, dryRun bool) (bool, error) {
	key := name + "\x00" + id
	s.mu.Lock()
	st := s.uploads[key]
	s.mu.Unlock()
	if st != nil {
		if !st.mu.TryLock() {
			return false, nil // a request is using it
		}
		defer st.mu.Unlock()
	}
	fi, err := s.d.Stat(ctx, uploadDir(name, id))
	if err != nil {
		return false, nil
	}
	newest := fi.ModTime
	if data, err := s.d.Stat(ctx, uploadDataPath(name, id)); err == nil && data.ModTime.After(newest) {
		newest = data.ModTime
	}
	if time.Since(newest) < maxAge {
		return false, nil
	}
	if dryRun {
		return true, nil
	}
	if st != nil {
		s.forget(name, id, st)
	}
	return true, s.deleteIfExists(ctx, uploadDir(name, id))
}
