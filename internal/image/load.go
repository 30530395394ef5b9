package image

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"runtime"
	"strings"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/content"
	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// LoadedImage is one image Load recorded.
type LoadedImage struct {
	ID digest.Digest
	// Tags are the image's loaded tags in familiar form.
	Tags []string
	// Moved are tags that named another image before.
	Moved []Moved
}

// Load reads a `docker save` archive (dockerd 25+ OCI layout with
// manifest.json, the older format with <id>.json and <id>/layer.tar, or a
// plain OCI layout with index.json only) and records its images and tags.
// progress receives dockerd's messages ("Loaded image: busybox:latest").
// Every blob is verified; a digest mismatch, a hostile path or any other
// error fails with nothing recorded and nothing added left behind.
func (s *Store) Load(ctx context.Context, r io.Reader, progress func(msg string)) ([]LoadedImage, error) {
	if progress == nil {
		progress = func(string) {}
	}
	var loaded []LoadedImage
	err := s.adding(ctx, func(g garbage) error {
		files, err := s.readArchive(ctx, r, g)
		if err != nil {
			return err
		}
		plans, err := s.loadPlans(ctx, files, g)
		if err != nil {
			return err
		}
		for _, p := range plans {
			if _, err := s.prepare(ctx, p.target, g); err != nil {
				return err
			}
		}
		loaded, err = s.recordLoaded(plans)
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, l := range loaded {
		for _, m := range l.Moved {
			progress(fmt.Sprintf("The image %s already exists, renaming the old one with ID %s to empty string", m.Ref, m.Previous))
		}
		for _, t := range l.Tags {
			progress("Loaded image: " + t)
		}
		if len(l.Tags) == 0 {
			progress("Loaded image ID: " + l.ID.String())
		}
	}
	return loaded, nil
}

// loadPlan is one image of an archive, ready to prepare.
type loadPlan struct {
	target ocispec.Descriptor
	id     digest.Digest
	tags   []reference.Named
}

// recordLoaded records every planned image in one transaction.
func (s *Store) recordLoaded(plans []loadPlan) ([]LoadedImage, error) {
	var out []LoadedImage
	err := s.update(func(t *tx) error {
		out = nil
		for _, p := range plans {
			moved, _, err := t.record(p.id, record{Target: p.target}, p.tags, true)
			if err != nil {
				return err
			}
			l := LoadedImage{ID: p.id, Moved: moved}
			for _, tag := range p.tags {
				l.Tags = append(l.Tags, reference.FamiliarString(tag))
			}
			out = append(out, l)
		}
		return nil
	})
	return out, err
}

// archiveFiles is what readArchive found: regular files (in the content
// store, or in memory for small metadata) and links.
type archiveFiles struct {
	blobs     map[string]ocispec.Descriptor // name -> blob in the content store
	small     map[string][]byte             // name -> metadata kept in memory
	smallSize int64                         // bytes held in small
	links     map[string]string             // name -> target name
}

// maxMetadata bounds the metadata a Load keeps in memory.
const maxMetadata = 64 << 20

// isMetadata names the small files kept in memory rather than stored.
func isMetadata(name string, size int64) bool {
	base := path.Base(name)
	return size <= maxJSONBlob && !strings.HasPrefix(name, "blobs/") &&
		(strings.HasSuffix(base, ".json") || base == "json" || base == "VERSION" || base == repositoriesFile || base == ocispec.ImageLayoutFile)
}

// readArchive streams the archive: blobs go to the content store (verified
// against their names under blobs/sha256/), metadata to memory.
func (s *Store) readArchive(ctx context.Context, r io.Reader, g garbage) (*archiveFiles, error) {
	f := &archiveFiles{blobs: map[string]ocispec.Descriptor{}, small: map[string][]byte{}, links: map[string]string{}}
	tr := tar.NewReader(r)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return f, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read image archive: %v: %w", err, errdefs.ErrInvalidArgument)
		}
		name, err := archiveName(h.Name)
		if err != nil {
			return nil, err
		}
		if err := s.readEntry(ctx, f, name, h, tr, g); err != nil {
			return nil, err
		}
	}
}

func (s *Store) readEntry(ctx context.Context, f *archiveFiles, name string, h *tar.Header, tr io.Reader, g garbage) error {
	switch h.Typeflag {
	case tar.TypeSymlink, tar.TypeLink:
		target := h.Linkname
		if h.Typeflag == tar.TypeSymlink && !strings.HasPrefix(target, "/") {
			target = path.Join(path.Dir(name), target)
		}
		t, err := archiveName(target)
		if err != nil {
			return err
		}
		f.links[name] = t
	case tar.TypeReg, tar.TypeRegA:
		if isMetadata(name, h.Size) {
			if f.smallSize += h.Size; f.smallSize > maxMetadata {
				return fmt.Errorf("image archive has more than %d bytes of metadata: %w", maxMetadata, errdefs.ErrInvalidArgument)
			}
			b, err := io.ReadAll(io.LimitReader(tr, maxJSONBlob))
			if err != nil {
				return fmt.Errorf("read %s: %v: %w", name, err, errdefs.ErrInvalidArgument)
			}
			f.small[name] = b
			return nil
		}
		var expected digest.Digest
		if hex, ok := strings.CutPrefix(name, "blobs/sha256/"); ok {
			expected = digest.NewDigestFromEncoded(digest.SHA256, hex)
			if expected.Validate() != nil {
				return fmt.Errorf("invalid blob name %q in image archive: %w", name, errdefs.ErrInvalidArgument)
			}
		}
		desc, err := s.ingest(ctx, tr, h.Size, expected, g)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		f.blobs[name] = desc
	}
	return nil // directories and anything else carry nothing
}

// ingest writes one blob, recording it as garbage if it is new.
func (s *Store) ingest(ctx context.Context, r io.Reader, size int64, expected digest.Digest, g garbage) (ocispec.Descriptor, error) {
	w, err := s.content.Writer(ctx)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	defer w.Close()
	if _, err := content.Copy(ctx, w, r); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("read image archive: %v: %w", err, errdefs.ErrInvalidArgument)
	}
	desc := ocispec.Descriptor{Digest: w.Digest(), Size: w.Size()}
	err = w.Commit(ctx, size, expected)
	switch {
	case err == nil:
		g.blobs[desc.Digest] = true
	case !errdefs.IsAlreadyExists(err):
		return desc, err
	}
	return desc, nil
}

// archiveName cleans a name in an image archive; one that climbs out of it
// is refused.
func archiveName(name string) (string, error) {
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", fmt.Errorf("invalid path %q in image archive: %w", name, errdefs.ErrInvalidArgument)
		}
	}
	return strings.TrimPrefix(path.Clean("/"+name), "/"), nil
}

// resolve follows links to the file name designates.
func (f *archiveFiles) resolve(name string) (string, error) {
	n, err := archiveName(name)
	if err != nil {
		return "", err
	}
	for range 16 {
		t, ok := f.links[n]
		if !ok {
			return n, nil
		}
		n = t
	}
	return "", fmt.Errorf("too many links for %q in image archive: %w", name, errdefs.ErrInvalidArgument)
}

// read returns a file's content (small files and blobs alike).
func (s *Store) readFile(ctx context.Context, f *archiveFiles, name string) ([]byte, error) {
	n, err := f.resolve(name)
	if err != nil {
		return nil, err
	}
	if b, ok := f.small[n]; ok {
		return b, nil
	}
	if d, ok := f.blobs[n]; ok {
		return content.ReadBlob(ctx, s.content, d.Digest, maxJSONBlob)
	}
	return nil, fmt.Errorf("%s not found in image archive: %w", name, errdefs.ErrInvalidArgument)
}

// checkOS refuses images for another operating system, as dockerd does.
func checkOS(os string) error {
	if os != "" && os != runtime.GOOS {
		return fmt.Errorf("cannot load %s image on %s: %w", os, runtime.GOOS, errdefs.ErrInvalidArgument)
	}
	return nil
}
