package image

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/berthproject/berth/errdefs"
	"io"
	"runtime"
	"time"

	"github.com/berthproject/berth/internal/archive"
	"github.com/berthproject/berth/internal/content"
	"github.com/distribution/reference"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// imageConfig is the config Berth writes: the OCI/Docker fields plus the
// "comment" dockerd puts at the top level.
type imageConfig struct {
	dockerspec.DockerOCIImage
	Comment string `json:"comment,omitempty"`
}

// Import makes a one-layer image from a root filesystem tar (plain, gzip,
// zstd, bzip2 or xz), like `docker import`: the config has the host's
// architecture and OS, the changes (Dockerfile instructions, see
// ApplyChanges) applied, and one history entry whose comment is message
// ("Imported from -" when empty). ref, when not empty, is tagged. On
// failure nothing is kept.
func (s *Store) Import(ctx context.Context, r io.Reader, ref string, changes []string, message string) (Image, error) {
	var cfg dockerspec.DockerOCIImageConfig
	if err := ApplyChanges(&cfg, changes); err != nil {
		return Image{}, err
	}
	var refs []reference.Named
	if ref != "" {
		tagged, err := parseTarget(ref)
		if err != nil {
			return Image{}, err
		}
		refs = append(refs, tagged)
	}
	if message == "" {
		message = "Imported from -"
	}
	var img Image
	err := s.adding(ctx, func(g garbage) error {
		layer, diffID, err := s.ingestLayer(ctx, r, g)
		if err != nil {
			return err
		}
		raw, err := json.Marshal(newConfig(cfg, diffID, message))
		if err != nil {
			return err
		}
		target, err := s.writeImage(ctx, raw, []ocispec.Descriptor{layer}, g)
		if err != nil {
			return err
		}
		img, _, err = s.create(ctx, target, refs, "", g)
		return err
	})
	return img, err
}

// newConfig is the config of an imported image.
func newConfig(cfg dockerspec.DockerOCIImageConfig, diffID digest.Digest, message string) imageConfig {
	now := time.Now().UTC()
	img := imageConfig{Comment: message}
	img.Created = &now
	img.Architecture, img.OS = runtime.GOARCH, runtime.GOOS
	if runtime.GOARCH == "arm" {
		img.Variant = "v7"
	}
	img.Config = cfg
	img.RootFS = ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{diffID}}
	img.History = []ocispec.History{{Created: &now, Comment: message}}
	return img
}

// ingestLayer stores a layer stream in the content store and returns its
// descriptor and diff ID. gzip and zstd layers are kept as they came;
// others are stored uncompressed.
func (s *Store) ingestLayer(ctx context.Context, r io.Reader, g garbage) (ocispec.Descriptor, digest.Digest, error) {
	w, err := s.content.Writer(ctx)
	if err != nil {
		return ocispec.Descriptor{}, "", err
	}
	defer w.Close()
	in := &sourceReader{r: r}
	br := bufio.NewReaderSize(in, 64<<10)
	head, _ := br.Peek(6)
	c := archive.DetectCompression(head)
	keepCompressed := c == archive.Gzip || c == archive.Zstd
	var src io.Reader = br
	if keepCompressed {
		src = io.TeeReader(br, w)
	}
	rc, _, err := archive.Decompress(ctx, src)
	if err != nil {
		return ocispec.Descriptor{}, "", err
	}
	defer rc.Close()
	dg := digest.Canonical.Digester()
	var sink io.Writer = dg.Hash()
	if !keepCompressed {
		sink = io.MultiWriter(dg.Hash(), w)
	}
	if _, err := content.Copy(ctx, sink, rc); err != nil {
		if in.err == nil && ctx.Err() == nil {
			err = fmt.Errorf("%v: %w", err, errdefs.ErrInvalidArgument) // the stream is not a valid layer
		}
		return ocispec.Descriptor{}, "", fmt.Errorf("read layer: %w", err)
	}
	if keepCompressed { // whatever follows the compressed stream
		if _, err := content.Copy(ctx, io.Discard, src); err != nil {
			return ocispec.Descriptor{}, "", err
		}
	}
	mediaType := ocispec.MediaTypeImageLayer
	switch c {
	case archive.Gzip:
		mediaType = ocispec.MediaTypeImageLayerGzip
	case archive.Zstd:
		mediaType = ocispec.MediaTypeImageLayerZstd
	}
	desc := ocispec.Descriptor{MediaType: mediaType, Digest: w.Digest(), Size: w.Size()}
	if err := commit(ctx, w, g); err != nil {
		return ocispec.Descriptor{}, "", err
	}
	return desc, dg.Digest(), nil
}

// sourceReader remembers a read error of the caller's stream, to tell it
// from a decompression error (invalid input).
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		s.err = err
	}
	return n, err
}

// commit publishes a written blob, recording it as garbage unless it was
// already there.
func commit(ctx context.Context, w content.Writer, g garbage) error {
	dgst := w.Digest()
	err := w.Commit(ctx, 0, "")
	switch {
	case err == nil:
		g.blobs[dgst] = true
		return nil
	case errdefs.IsAlreadyExists(err):
		return nil
	}
	return err
}

// writeImage stores a config (raw: its bytes make the image ID) and a
// manifest listing layers, and returns the manifest's descriptor.
func (s *Store) writeImage(ctx context.Context, raw []byte, layers []ocispec.Descriptor, g garbage) (ocispec.Descriptor, error) {
	cdesc, err := s.putJSON(ctx, ocispec.MediaTypeImageConfig, raw, g)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	m := ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest, Config: cdesc, Layers: layers}
	if m.Layers == nil {
		m.Layers = []ocispec.Descriptor{}
	}
	mraw, err := json.Marshal(m)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	return s.putJSON(ctx, ocispec.MediaTypeImageManifest, mraw, g)
}

func (s *Store) putJSON(ctx context.Context, mediaType string, raw []byte, g garbage) (ocispec.Descriptor, error) {
	w, err := s.content.Writer(ctx)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	defer w.Close()
	if _, err := w.Write(raw); err != nil {
		return ocispec.Descriptor{}, err
	}
	desc := ocispec.Descriptor{MediaType: mediaType, Digest: w.Digest(), Size: int64(len(raw))}
	return desc, commit(ctx, w, g)
}
