package remote

import (
	"context"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strconv"

	"github.com/berthproject/berth/errdefs"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// BlobExists asks whether the repository has the blob dgst (HEAD) and
// returns its descriptor (digest and size) when it does.
func (r *Repository) BlobExists(ctx context.Context, dgst digest.Digest) (ocispec.Descriptor, bool, error) {
	resp, err := r.do(ctx, request{method: http.MethodHead, path: "blobs/" + dgst.String()}, http.StatusOK)
	if errdefs.IsNotFound(err) {
		return ocispec.Descriptor{}, false, nil
	}
	if err != nil {
		return ocispec.Descriptor{}, false, err
	}
	drain(resp)
	return ocispec.Descriptor{Digest: dgst, Size: resp.ContentLength}, true, nil
}

// FetchBlob opens the blob desc describes. The reader returns exactly
// desc.Size bytes (when the size is known) and then, unless the caller
// turned verification off with SkipVerify, checks them against
// desc.Digest: a mismatch is an error wrapping ErrDigestMismatch in place
// of io.EOF. A connection that breaks is resumed with a Range request.
func (r *Repository) FetchBlob(ctx context.Context, desc ocispec.Descriptor) (*BlobReader, error) {
	if err := desc.Digest.Validate(); err != nil {
		return nil, fmt.Errorf("blob digest %q: %w", desc.Digest, errdefs.ErrInvalidArgument)
	}
	br := &BlobReader{r: r, ctx: ctx, desc: desc, h: desc.Digest.Algorithm().Hash()}
	if err := r.c.retry.do(ctx, "GET blob "+desc.Digest.String(), br.open); err != nil {
		return nil, br.failed(err)
	}
	return br, nil
}

// BlobReader reads a blob from a registry. It is not safe for concurrent use.
type BlobReader struct {
	r        *Repository
	ctx      context.Context //nolint:containedctx // the download's context, for resuming
	desc     ocispec.Descriptor
	body     io.ReadCloser
	off      int64
	h        hash.Hash // nil when the caller verifies
	resumes  int
	finished bool
	final    error // what Read returns once the blob is complete
}

// SkipVerify turns digest verification off, for a caller that hashes the
// bytes itself (the content store does, on commit). Call it before Read.
func (b *BlobReader) SkipVerify() { b.h = nil }

// open (re)starts the download at b.off.
func (b *BlobReader) open() error {
	rq := request{method: http.MethodGet, path: "blobs/" + b.desc.Digest.String()}
	if b.off > 0 {
		rq.header = http.Header{"Range": {"bytes=" + strconv.FormatInt(b.off, 10) + "-"}}
	}
	resp, err := b.r.send(b.ctx, rq, []int{http.StatusOK, http.StatusPartialContent})
	if err != nil {
		return err
	}
	if b.off > 0 && resp.StatusCode != http.StatusPartialContent {
		// No range support: skip what we have.
		if _, err := io.CopyN(io.Discard, resp.Body, b.off); err != nil {
			resp.Body.Close()
			return err
		}
	}
	b.body = resp.Body
	return nil
}

// Read reads the blob, resuming after transient failures.
func (b *BlobReader) Read(p []byte) (int, error) {
	if b.finished {
		return 0, b.final
	}
	if b.desc.Size > 0 && int64(len(p)) > b.desc.Size-b.off {
		p = p[:b.desc.Size-b.off]
	}
	n, err := b.body.Read(p)
	if n > 0 {
		b.off += int64(n)
		if b.h != nil {
			b.h.Write(p[:n])
		}
	}
	if b.desc.Size > 0 && b.off == b.desc.Size || b.desc.Size <= 0 && errors.Is(err, io.EOF) {
		return n, b.finish()
	}
	if err == nil {
		return n, nil
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	if n > 0 {
		return n, nil // report the error (again) on the next call, after a resume attempt
	}
	return 0, b.resume(err)
}

// finish checks the digest once the blob is complete.
func (b *BlobReader) finish() error {
	b.finished, b.final = true, io.EOF
	if b.h != nil {
		if got := digest.NewDigest(b.desc.Digest.Algorithm(), b.h); got != b.desc.Digest {
			b.final = digestMismatch("blob", b.desc.Digest, got)
		}
	}
	return b.final
}

// resume reopens the download after err, when err is transient and the
// attempts allow it. The error it returns never matches io.EOF (a
// connection closed early is not the end of the blob).
func (b *BlobReader) resume(err error) error {
	b.body.Close()
	b.body = http.NoBody
	if !Transient(err) || b.ctx.Err() != nil {
		return b.failed(err)
	}
	for b.resumes < b.r.c.retry.attempts-1 {
		b.resumes++
		if werr := sleep(b.ctx, b.r.c.retry.delay(b.resumes)); werr != nil {
			return b.failed(err)
		}
		oerr := b.open()
		if oerr == nil {
			return nil
		}
		err = oerr
		if !Transient(oerr) {
			break
		}
	}
	return b.failed(err)
}

// failed ends the download with err, worded for the blob; a definite
// answer of the registry keeps its kind, a broken connection is
// ErrUnavailable.
func (b *BlobReader) failed(err error) error {
	var re *Error
	if errors.As(err, &re) || errdefs.IsCanceled(err) {
		b.finished, b.final = true, fmt.Errorf("blob %s: %w", b.desc.Digest, err)
		return b.final
	}
	if errors.Is(err, io.EOF) {
		err = fmt.Errorf("%v: %w", err, io.ErrUnexpectedEOF)
	}
	b.finished = true
	b.final = errdefs.Errorf(errdefs.ErrUnavailable, "blob %s: %w", b.desc.Digest, err)
	return b.final
}

// Offset is how many bytes were read so far.
func (b *BlobReader) Offset() int64 { return b.off }

// Close ends the download.
func (b *BlobReader) Close() error { return b.body.Close() }
