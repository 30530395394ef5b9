package image

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"time"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/archive"
	"github.com/berthproject/berth/internal/content"
	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Names of the docker save format.
const (
	manifestFile     = "manifest.json"
	repositoriesFile = "repositories"
	annotationName   = "io.containerd.image.name"
)

// manifestItem is one entry of manifest.json.
type manifestItem struct {
	Config   string
	RepoTags []string
	Layers   []string
	Parent   digest.Digest `json:",omitempty"`
}

// saved is one image to write.
type saved struct {
	img  Image
	tags []reference.NamedTagged
}

// Save writes the images refs name as `docker save` (dockerd 25 and later)
// does: an OCI image layout (oci-layout, index.json, blobs/sha256/...) with
// uncompressed layers named by diff ID, plus manifest.json and repositories
// for older loaders. A name without tag saves every tag of that repository;
// an ID saves the image without tags. It returns the IDs of the images
// saved (for the "save" events).
func (s *Store) Save(ctx context.Context, refs []string, w io.Writer) ([]digest.Digest, error) {
	s.gcMu.RLock() // the blobs must stay while they are streamed
	defer s.gcMu.RUnlock()
	images, err := s.resolveSave(ctx, refs)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(w)
	sw := &saveWriter{s: s, tw: tw, written: map[string]bool{}}
	if err := sw.writeAll(ctx, images); err != nil {
		return nil, err
	}
	ids := make([]digest.Digest, len(images))
	for i, sv := range images {
		ids[i] = sv.img.ID
	}
	return ids, tw.Close()
}

// resolveSave maps names to images and the tags to save them with, the way
// dockerd's tarexport parseNames does.
func (s *Store) resolveSave(ctx context.Context, names []string) ([]*saved, error) {
	var out []*saved
	byID := map[digest.Digest]*saved{}
	add := func(id digest.Digest, tag reference.NamedTagged) error {
		sv := byID[id]
		if sv == nil {
			img, err := s.getByID(ctx, id)
			if err != nil {
				return err
			}
			sv = &saved{img: img}
			byID[id] = sv
			out = append(out, sv)
		}
		if tag != nil {
			for _, t := range sv.tags {
				if t.String() == tag.String() {
					return nil
				}
			}
			sv.tags = append(sv.tags, tag)
		}
		return nil
	}
	for _, name := range names {
		ids, tags, err := s.saveTargets(name)
		if err != nil {
			return nil, err
		}
		for i, id := range ids {
			if err := add(id, tags[i]); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// saveTargets resolves one name to images and tags (nil tag: save by ID).
func (s *Store) saveTargets(name string) ([]digest.Digest, []reference.NamedTagged, error) {
	var (
		ids  []digest.Digest
		tags []reference.NamedTagged
	)
	err := s.view(func(t *tx) error {
		ref, err := reference.ParseAnyReference(name)
		if err != nil {
			return fmt.Errorf("%v: %w", err, errdefs.ErrInvalidArgument)
		}
		named, ok := ref.(reference.Named)
		if ok && reference.IsNameOnly(named) {
			// Every reference of the repository: tags, and digest
			// references (saved without a tag).
			t.refs.ForEach(func(k, v []byte) error {
				r, err := reference.ParseNormalizedNamed(string(k))
				if err != nil || r.Name() != named.Name() {
					return nil
				}
				ids = append(ids, digest.Digest(v))
				tagged, _ := r.(reference.NamedTagged)
				tags = append(tags, tagged)
				return nil
			})
			if len(ids) > 0 {
				return nil
			}
		}
		id, err := t.resolve(name)
		if err != nil {
			return err
		}
		ids = append(ids, id)
		tags = append(tags, nil)
		if ok && !reference.IsNameOnly(named) && isNamedTagged(named) && !isImageIDPrefix(id.String(), name) {
			tags[0] = reference.TagNameOnly(named).(reference.NamedTagged)
		}
		return nil
	})
	return ids, tags, err
}

func isNamedTagged(n reference.Named) bool {
	_, canonical := n.(reference.Canonical)
	_, tagged := n.(reference.NamedTagged)
	return tagged && !canonical
}

// saveWriter streams the save tar.
type saveWriter struct {
	s       *Store
	tw      *tar.Writer
	written map[string]bool
}

func (sw *saveWriter) writeAll(ctx context.Context, images []*saved) error {
	var (
		items []manifestItem
		index []ocispec.Descriptor
		repos = map[string]map[string]string{}
		epoch = time.Unix(0, 0)
	)
	for _, dir := range []string{"blobs/", "blobs/sha256/"} {
		if err := sw.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir, Mode: 0o755, ModTime: epoch, Format: tar.FormatPAX}); err != nil {
			return err
		}
	}
	for _, sv := range images {
		item, mdesc, err := sw.writeImage(ctx, sv.img)
		if err != nil {
			return err
		}
		for _, tag := range sv.tags {
			item.RepoTags = append(item.RepoTags, reference.FamiliarString(tag))
			d := mdesc
			d.Annotations = map[string]string{annotationName: tag.String(), ocispec.AnnotationRefName: tag.Tag()}
			index = append(index, d)
			name := reference.FamiliarName(tag)
			if repos[name] == nil {
				repos[name] = map[string]string{}
			}
			if n := len(sv.img.Layers); n > 0 {
				repos[name][tag.Tag()] = sv.img.Layers[n-1].DiffID.Encoded()
			}
		}
		if len(sv.tags) == 0 {
			index = append(index, mdesc)
		}
		items = append(items, item)
	}
	return sw.writeMeta(items, index, repos)
}

// writeMeta writes index.json, manifest.json, oci-layout and repositories.
func (sw *saveWriter) writeMeta(items []manifestItem, index []ocispec.Descriptor, repos map[string]map[string]string) error {
	idx, err := json.Marshal(ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex, Manifests: index})
	if err != nil {
		return err
	}
	man, err := json.Marshal(items)
	if err != nil {
		return err
	}
	files := []struct {
		name string
		data []byte
	}{
		{ocispec.ImageIndexFile, idx},
		{manifestFile, append(man, '\n')},
		{ocispec.ImageLayoutFile, []byte(`{"imageLayoutVersion": "` + ocispec.ImageLayoutVersion + `"}`)},
	}
	if len(repos) > 0 {
		b, err := json.Marshal(repos)
		if err != nil {
			return err
		}
		files = append(files, struct {
			name string
			data []byte
		}{repositoriesFile, append(b, '\n')})
	}
	for _, f := range files {
		if err := sw.file(f.name, time.Unix(0, 0), int64(len(f.data)), bytes.NewReader(f.data)); err != nil {
			return err
		}
	}
	return nil
}

// writeImage writes an image's config, layers and OCI manifest blobs and
// returns its manifest.json entry and the manifest's descriptor.
func (sw *saveWriter) writeImage(ctx context.Context, img Image) (manifestItem, ocispec.Descriptor, error) {
	created := img.Created
	if created.IsZero() {
		created = time.Unix(0, 0)
	}
	item := manifestItem{Config: blobPath(img.ID)}
	if err := sw.blob(ctx, img.ID, created); err != nil {
		return item, ocispec.Descriptor{}, err
	}
	cfgInfo, err := sw.s.content.Info(ctx, img.ID)
	if err != nil {
		return item, ocispec.Descriptor{}, err
	}
	m := ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		Config: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: img.ID, Size: cfgInfo.Size},
		Layers: []ocispec.Descriptor{},
	}
	for _, l := range img.Layers {
		tarSize, err := sw.layer(ctx, l, created)
		if err != nil {
			return item, ocispec.Descriptor{}, err
		}
		item.Layers = append(item.Layers, blobPath(l.DiffID))
		m.Layers = append(m.Layers, ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayer, Digest: l.DiffID, Size: tarSize})
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return item, ocispec.Descriptor{}, err
	}
	mdesc := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.FromBytes(raw), Size: int64(len(raw))}
	if !sw.written[mdesc.Digest.String()] {
		sw.written[mdesc.Digest.String()] = true
		if err := sw.file(blobPath(mdesc.Digest), time.Unix(0, 0), mdesc.Size, bytes.NewReader(raw)); err != nil {
			return item, ocispec.Descriptor{}, err
		}
	}
	return item, mdesc, nil
}

func blobPath(d digest.Digest) string { return path.Join("blobs", d.Algorithm().String(), d.Encoded()) }

// blob copies a content-store blob into the tar under its own digest.
func (sw *saveWriter) blob(ctx context.Context, d digest.Digest, mtime time.Time) error {
	if sw.written[d.String()] {
		return nil
	}
	sw.written[d.String()] = true
	ra, err := sw.s.content.ReaderAt(ctx, d)
	if err != nil {
		return err
	}
	defer ra.Close()
	return sw.file(blobPath(d), mtime, ra.Size(), content.NewReader(ra))
}

// layer writes a layer uncompressed under its diff ID, checking it, and
// returns its length.
func (sw *saveWriter) layer(ctx context.Context, l Layer, mtime time.Time) (int64, error) {
	var rec layerRecord
	if err := sw.s.view(func(t *tx) (err error) { rec, _, err = t.layer(l.ChainID); return err }); err != nil {
		return 0, err
	}
	if rec.TarSize == 0 { // not recorded: measure
		m, err := sw.s.measureLayer(ctx, l.Blob)
		if err != nil {
			return 0, err
		}
		rec.TarSize = m.TarSize
	}
	if sw.written[l.DiffID.String()] {
		return rec.TarSize, nil
	}
	sw.written[l.DiffID.String()] = true
	ra, err := sw.s.content.ReaderAt(ctx, l.Blob.Digest)
	if err != nil {
		return 0, fmt.Errorf("layer %s: %w", l.DiffID, err)
	}
	defer ra.Close()
	rc, _, err := archive.Decompress(ctx, content.NewReader(ra))
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	dg := digest.Canonical.Digester()
	if err := sw.file(blobPath(l.DiffID), mtime, rec.TarSize, io.TeeReader(rc, dg.Hash())); err != nil {
		return 0, fmt.Errorf("layer %s: %w", l.DiffID, err)
	}
	if dg.Digest() != l.DiffID {
		return 0, fmt.Errorf("layer blob %s does not match diff ID %s: %w", l.Blob.Digest, l.DiffID, errdefs.ErrInternal)
	}
	return rec.TarSize, nil
}

// file writes one regular file of exactly size bytes.
func (sw *saveWriter) file(name string, mtime time.Time, size int64, r io.Reader) error {
	h := &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: size, ModTime: mtime, Format: tar.FormatPAX}
	if err := sw.tw.WriteHeader(h); err != nil {
		return err
	}
	n, err := io.Copy(sw.tw, r)
	if err == nil && n != size {
		err = fmt.Errorf("%s: wrote %d bytes, expected %d: %w", name, n, size, errdefs.ErrInternal)
	}
	return err
}
