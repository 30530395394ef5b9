package registry

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/registry/api"
	"github.com/opencontainers/go-digest"
)

// startUpload serves POST .../blobs/uploads/: a cross-repository mount
// (?mount=&from=, or ?mount= alone: any blob the registry holds), a
// monolithic upload (?digest= with the body), or a new upload session.
func (r *Registry) startUpload(w http.ResponseWriter, req *http.Request, rt api.Route) {
	q := req.URL.Query()
	if m := q.Get("mount"); m != "" {
		if done := r.mount(w, req, rt, m, q.Get("from")); done {
			return
		}
	}
	if dg := q.Get("digest"); dg != "" {
		d, err := api.ParseDigest(dg)
		if err != nil {
			r.fail(w, req, err)
			return
		}
		desc, err := r.store.PutBlob(req.Context(), rt.Name, d, req.Body)
		if err != nil {
			r.fail(w, req, err)
			return
		}
		blobCreated(w, rt.Name, desc.Digest)
		return
	}
	u, err := r.store.StartUpload(req.Context(), rt.Name)
	if err != nil {
		r.fail(w, req, err)
		return
	}
	uploadHeaders(w, rt.Name, u.ID, 0)
	w.WriteHeader(http.StatusAccepted)
}

// mount tries a cross-repository mount and reports whether it answered the
// request. A blob the source lacks, or a source the caller may not read,
// falls back to a new upload session (202), as the spec says.
func (r *Registry) mount(w http.ResponseWriter, req *http.Request, rt api.Route, m, from string) bool {
	d, err := api.ParseDigest(m)
	if err != nil {
		r.fail(w, req, err)
		return true
	}
	ctx := req.Context()
	switch {
	case from != "":
		if api.ValidateName(from) != nil || !r.mayRead(req, from) {
			return false
		}
		_, err = r.store.MountBlob(ctx, rt.Name, from, d)
	case !r.cfg.NoAnonymousMount:
		_, err = r.store.LinkExistingBlob(ctx, rt.Name, d)
	default:
		return false
	}
	if errdefs.IsNotFound(err) {
		return false
	}
	if err != nil {
		r.fail(w, req, err)
		return true
	}
	blobCreated(w, rt.Name, d)
	return true
}

func (r *Registry) mayRead(req *http.Request, name string) bool {
	if r.auth == nil {
		return true
	}
	_, err := r.auth.authorize(req, []access{{Type: "repository", Name: name, Action: "pull"}})
	return err == nil
}

func blobCreated(w http.ResponseWriter, name string, d digest.Digest) {
	h := w.Header()
	h.Set("Location", api.BlobPath(name, d))
	h.Set(api.HeaderContentDigest, d.String())
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
}

// uploadHeaders describes an upload session: its URL, the range received
// ("0-<last byte>", "0-0" when empty, as Docker's registry sends) and id.
func uploadHeaders(w http.ResponseWriter, name, id string, offset int64) {
	h := w.Header()
	h.Set("Location", api.UploadPath(name, id))
	h.Set("Range", "0-"+itoa(max(offset-1, 0)))
	h.Set(api.HeaderUploadUUID, id)
	h.Set("Content-Length", "0")
}

func (r *Registry) uploadStatus(w http.ResponseWriter, req *http.Request, rt api.Route) {
	u, err := r.store.UploadStatus(req.Context(), rt.Name, rt.Ref)
	if err != nil {
		r.fail(w, req, err)
		return
	}
	uploadHeaders(w, rt.Name, u.ID, u.Offset)
	w.WriteHeader(http.StatusNoContent)
}

// chunkStart reads Content-Range: the offset the chunk claims to start at,
// or -1 without the header. A range whose length differs from the body's
// Content-Length is invalid.
func chunkStart(req *http.Request) (int64, error) {
	cr := req.Header.Get("Content-Range")
	if cr == "" {
		return -1, nil
	}
	start, end, err := api.ParseContentRange(cr)
	if err != nil {
		return 0, err
	}
	if req.ContentLength >= 0 && req.ContentLength != end-start+1 {
		return 0, fmt.Errorf("content range %q for %d bytes: %w", req.Header.Get("Content-Range"), req.ContentLength, api.ErrRangeInvalid)
	}
	return start, nil
}

// patchUpload appends a chunk (with Content-Range) or a stream (without).
// An out-of-order chunk gets 416 with the upload's current range, and the
// upload stays usable.
func (r *Registry) patchUpload(w http.ResponseWriter, req *http.Request, rt api.Route) {
	start, err := chunkStart(req)
	if err != nil {
		r.failUpload(w, req, rt, err)
		return
	}
	u, err := r.store.WriteUpload(req.Context(), rt.Name, rt.Ref, start, req.Body)
	if err != nil {
		r.failUpload(w, req, rt, err)
		return
	}
	uploadHeaders(w, rt.Name, u.ID, u.Offset)
	w.WriteHeader(http.StatusAccepted)
}

// failUpload sends an upload error; a range error carries the upload's
// current Location and Range so the client can resume.
func (r *Registry) failUpload(w http.ResponseWriter, req *http.Request, rt api.Route, err error) {
	if errors.Is(err, api.ErrRangeInvalid) {
		if u, serr := r.store.UploadStatus(req.Context(), rt.Name, rt.Ref); serr == nil {
			uploadHeaders(w, rt.Name, u.ID, u.Offset)
		}
	}
	r.fail(w, req, err)
}

// finishUpload completes an upload (PUT ?digest=), with an optional last
// chunk in the body.
func (r *Registry) finishUpload(w http.ResponseWriter, req *http.Request, rt api.Route) {
	dg := req.URL.Query().Get("digest")
	if dg == "" {
		r.fail(w, req, fmt.Errorf("digest parameter missing: %w", api.ErrDigestInvalid))
		return
	}
	d, err := api.ParseDigest(dg)
	if err != nil {
		r.fail(w, req, err)
		return
	}
	start, err := chunkStart(req)
	if err != nil {
		r.failUpload(w, req, rt, err)
		return
	}
	var body io.Reader
	if req.ContentLength != 0 {
		body = req.Body
	}
	desc, err := r.store.FinishUpload(req.Context(), rt.Name, rt.Ref, start, body, d)
	if err != nil {
		r.failUpload(w, req, rt, err)
		return
	}
	blobCreated(w, rt.Name, desc.Digest)
}

func (r *Registry) cancelUpload(w http.ResponseWriter, req *http.Request, rt api.Route) {
	if err := r.store.CancelUpload(req.Context(), rt.Name, rt.Ref); err != nil {
		r.fail(w, req, err)
		return
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusNoContent)
}
