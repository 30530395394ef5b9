package remote

import (
	"context"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"

	"github.com/berthproject/berth/errdefs"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Mount asks the registry to link the blob dgst from the repository from
// (a path on the same registry, "library/busybox") into this one, and
// reports whether it did. A registry that cannot mount starts an upload
// instead, which Mount cancels.
func (r *Repository) Mount(ctx context.Context, dgst digest.Digest, from string) (bool, error) {
	rq := request{method: http.MethodPost, path: "blobs/uploads/",
		query:  url.Values{"mount": {dgst.String()}, "from": {from}},
		scopes: []string{"repository:" + from + ":pull"}}
	resp, err := r.do(ctx, rq, http.StatusCreated, http.StatusAccepted)
	if err != nil {
		return false, err
	}
	drain(resp)
	if resp.StatusCode == http.StatusCreated {
		return true, nil
	}
	if loc, err := location(resp); err == nil {
		if resp, err := r.do(ctx, request{method: http.MethodDelete, url: loc}, http.StatusNoContent, http.StatusOK, http.StatusAccepted); err == nil {
			drain(resp)
		}
	}
	return false, nil
}

// Upload pushes the blob read from open and returns its descriptor; the
// digest and size are those of the bytes sent (computed as they stream,
// so the content may be produced on the fly, e.g. compressed). expected,
// when set, must match. A transient failure restarts the upload with a
// fresh reader from open.
func (r *Repository) Upload(ctx context.Context, open func() (io.ReadCloser, error), expected digest.Digest) (ocispec.Descriptor, error) {
	var desc ocispec.Descriptor
	err := r.c.retry.do(ctx, "upload blob", func() error {
		rc, err := open()
		if err != nil {
			return err
		}
		defer rc.Close()
		desc, err = r.upload(ctx, rc, expected)
		return err
	})
	return desc, err
}

// upload is one attempt: POST a session, PATCH the bytes, PUT the digest.
func (r *Repository) upload(ctx context.Context, src io.Reader, expected digest.Digest) (ocispec.Descriptor, error) {
	resp, err := r.send(ctx, request{method: http.MethodPost, path: "blobs/uploads/"}, []int{http.StatusAccepted})
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	drain(resp)
	loc, err := location(resp)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	hr := &hashingReader{r: src, h: digest.Canonical.Hash()}
	resp, err = r.send(ctx, request{method: http.MethodPatch, url: loc, stream: hr, length: -1,
		header: http.Header{"Content-Type": {"application/octet-stream"}}}, []int{http.StatusAccepted, http.StatusNoContent})
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	drain(resp)
	if loc, err = location(resp); err != nil {
		return ocispec.Descriptor{}, err
	}
	desc := ocispec.Descriptor{Digest: digest.NewDigest(digest.Canonical, hr.h), Size: hr.n}
	if expected != "" && expected != desc.Digest {
		return desc, digestMismatch("upload of blob", expected, desc.Digest)
	}
	resp, err = r.send(ctx, request{method: http.MethodPut, url: loc, query: url.Values{"digest": {desc.Digest.String()}}}, []int{http.StatusCreated, http.StatusNoContent, http.StatusAccepted})
	if err != nil {
		return desc, err
	}
	drain(resp)
	if n := resp.Header.Get("Docker-Content-Digest"); n != "" && n != desc.Digest.String() {
		return desc, fmt.Errorf("registry stored blob %s as %s: %w", desc.Digest, n, errdefs.ErrInternal)
	}
	return desc, nil
}

// hashingReader hashes and counts what is read through it.
type hashingReader struct {
	r io.Reader
	h hash.Hash
	n int64
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	h.n += int64(n)
	return n, err
}
