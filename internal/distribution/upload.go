package distribution

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"sync"

	"github.com/berthproject/berth/internal/archive"
	"github.com/berthproject/berth/internal/content"
	"github.com/berthproject/berth/internal/image"
	"github.com/distribution/reference"
	"github.com/klauspost/compress/flate"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Bounds of what a layer push tries before uploading, as dockerd's.
const (
	maxExistenceChecks = 5
	maxMountAttempts   = 3
)

// pushLayers pushes the layers in parallel (top first, as dockerd
// reports them) and returns the blob each ended as, bottom first.
func (ps *pusher) pushLayers(ctx context.Context, layers []image.Layer) ([]ocispec.Descriptor, error) {
	n := len(layers)
	for i := n - 1; i >= 0; i-- {
		ps.out.status(shortID(layers[i].DiffID), "Preparing")
	}
	slots := ps.s.opts.MaxConcurrentUploads
	for i := n - 1 - slots; i >= 0; i-- {
		ps.out.status(shortID(layers[i].DiffID), "Waiting")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	descs := make([]ocispec.Descriptor, n)
	errs := make([]error, n)
	sem := make(chan struct{}, slots)
	var wg sync.WaitGroup
	for i := n - 1; i >= 0; i-- {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if descs[i], errs[i] = ps.pushLayer(ctx, layers[i]); errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	for i := n - 1; i >= 0; i-- {
		if errs[i] != nil && !errors.Is(errs[i], context.Canceled) {
			return nil, errs[i]
		}
	}
	return descs, errors.Join(errs...)
}

// pushLayer makes the registry have one layer: it already does, or a
// known blob of the layer is mounted from another repository, or the blob
// is uploaded (compressed on the fly when stored uncompressed).
func (ps *pusher) pushLayer(ctx context.Context, l image.Layer) (ocispec.Descriptor, error) {
	id := shortID(l.DiffID)
	ps.mu.Lock()
	d, ok := ps.done[l.DiffID]
	ps.mu.Unlock()
	if ok {
		ps.out.status(id, "Layer already exists")
		return d, nil
	}
	d, err := ps.reuse(ctx, l, id)
	if err == nil && d.Digest == "" {
		d, err = ps.upload(ctx, l, id)
	}
	if err != nil {
		return d, err
	}
	ps.mu.Lock()
	ps.done[l.DiffID] = d
	ps.mu.Unlock()
	_ = ps.s.images.AddBlobSource(ctx, l.DiffID, d, ps.repo.Named().Name())
	return d, nil
}

// candidates are the blobs of a layer a push may reuse: the local blob
// when it is compressed, then those the store knows from pulls and pushes.
func (ps *pusher) candidates(ctx context.Context, l image.Layer) []image.BlobSource {
	var out []image.BlobSource
	sources, _ := ps.s.images.BlobSources(ctx, l.DiffID)
	if compression(l.Blob.MediaType) != "" {
		local := image.BlobSource{Blob: l.Blob}
		for _, s := range sources {
			if s.Blob.Digest == l.Blob.Digest {
				local.Repos = s.Repos
			}
		}
		out = append(out, local)
	}
	for _, s := range sources {
		if s.Blob.Digest != l.Blob.Digest {
			out = append(out, s)
		}
	}
	return out
}

// reuse looks for a blob of the layer the registry has or can mount;
// it returns an empty descriptor when the layer must be uploaded.
func (ps *pusher) reuse(ctx context.Context, l image.Layer, id string) (ocispec.Descriptor, error) {
	target := ps.repo.Named().Name()
	domain := reference.Domain(ps.repo.Named())
	cands := ps.candidates(ctx, l)
	checks := 0
	for _, c := range cands {
		if c.Blob.Digest != l.Blob.Digest && !slices.Contains(c.Repos, target) || checks >= maxExistenceChecks {
			continue
		}
		checks++
		if _, ok, err := ps.repo.BlobExists(ctx, c.Blob.Digest); err != nil || ok {
			if ok {
				ps.out.status(id, "Layer already exists")
			}
			return c.Blob, err
		}
	}
	mounts := 0
	for _, c := range cands {
		for _, r := range c.Repos {
			named, err := reference.ParseNormalizedNamed(r)
			if err != nil || r == target || reference.Domain(named) != domain || mounts >= maxMountAttempts {
				continue
			}
			mounts++
			if ok, err := ps.repo.Mount(ctx, c.Blob.Digest, reference.Path(named)); err == nil && ok {
				ps.out.status(id, "Mounted from "+reference.Path(named))
				return c.Blob, nil
			}
		}
	}
	return ocispec.Descriptor{}, nil
}

// upload sends the layer's blob, compressing it first when it is stored
// uncompressed, and reports "Pushing" and "Pushed".
func (ps *pusher) upload(ctx context.Context, l image.Layer, id string) (ocispec.Descriptor, error) {
	open := func() (io.ReadCloser, error) {
		ra, err := ps.s.content.ReaderAt(ctx, l.Blob.Digest)
		if err != nil {
			return nil, err
		}
		pr := &progressReader{r: content.NewReader(ra), out: ps.out, id: id, action: "Pushing", total: l.Blob.Size}
		if compression(l.Blob.MediaType) != "" {
			return readCloser{pr, ra}, nil
		}
		return ps.compress(pr, ra), nil
	}
	expected := digest.Digest("")
	mediaType := l.Blob.MediaType
	if compression(l.Blob.MediaType) != "" {
		expected = l.Blob.Digest
	} else {
		mediaType = ocispec.MediaTypeImageLayerGzip
	}
	d, err := ps.repo.Upload(ctx, open, expected)
	if err != nil {
		return d, err
	}
	d.MediaType = mediaType
	ps.out.status(id, "Pushed")
	return d, nil
}

// compress returns the gzip stream of r, made by a goroutine that ends
// (closing src) when the stream is read to its end or closed.
func (ps *pusher) compress(r io.Reader, src io.Closer) io.ReadCloser {
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer src.Close()
		gz := archive.NewGzipWriter(pw, flate.DefaultCompression, ps.s.opts.CompressWorkers)
		_, err := io.CopyBuffer(gz, r, make([]byte, 1<<20))
		if cerr := gz.Close(); err == nil {
			err = cerr
		}
		pw.CloseWithError(err)
	}()
	return &pipeStream{PipeReader: pr, done: done}
}

// pipeStream is a compressed stream; Close stops its goroutine and waits
// for it.
type pipeStream struct {
	*io.PipeReader
	done chan struct{}
}

func (p *pipeStream) Close() error {
	p.PipeReader.CloseWithError(errors.New("upload ended"))
	<-p.done
	return nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

func bytesOpener(b []byte) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
}
