package registry

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/berthproject/berth/internal/registry/api"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// getManifest serves GET and HEAD of a manifest by tag or digest. The
// stored bytes go out untouched, with the media type they were pushed with.
func (r *Registry) getManifest(w http.ResponseWriter, req *http.Request, rt api.Route) {
	ctx := req.Context()
	var desc ocispec.Descriptor
	var body []byte
	var err error
	if req.Method == http.MethodHead {
		desc, err = r.store.StatManifest(ctx, rt.Name, rt.Ref)
	} else {
		desc, body, err = r.store.GetManifest(ctx, rt.Name, rt.Ref)
	}
	if err != nil {
		r.fail(w, req, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", desc.MediaType)
	h.Set(api.HeaderContentDigest, desc.Digest.String())
	h.Set("ETag", `"`+desc.Digest.String()+`"`)
	if etagMatches(req, desc.Digest) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", itoa(desc.Size))
	w.WriteHeader(http.StatusOK)
	if body != nil {
		w.Write(body)
	}
}

// putManifest stores a manifest under a tag or digest; ?tag= parameters add
// tags to a push by digest (answered with OCI-Tag).
func (r *Registry) putManifest(w http.ResponseWriter, req *http.Request, rt api.Route) {
	limit := r.store.MaxManifestSize()
	if req.ContentLength > limit {
		r.fail(w, req, fmt.Errorf("manifest of %d bytes, limit %d: %w", req.ContentLength, limit, api.ErrManifestTooLarge))
		return
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, limit+1))
	if err != nil {
		r.fail(w, req, fmt.Errorf("reading manifest: %w", api.ErrManifestInvalid))
		return
	}
	if int64(len(body)) > limit {
		r.fail(w, req, fmt.Errorf("manifest over %d bytes: %w", limit, api.ErrManifestTooLarge))
		return
	}
	tags := req.URL.Query()["tag"]
	res, err := r.store.PutManifest(req.Context(), rt.Name, rt.Ref, req.Header.Get("Content-Type"), body, tags)
	if err != nil {
		r.fail(w, req, err)
		return
	}
	h := w.Header()
	h.Set("Location", api.ManifestPath(rt.Name, res.Descriptor.Digest.String()))
	h.Set(api.HeaderContentDigest, res.Descriptor.Digest.String())
	if res.Subject != nil {
		h.Set(api.HeaderSubject, res.Subject.Digest.String())
	}
	if len(tags) > 0 {
		h.Set(api.HeaderTag, strings.Join(res.Tags, ", "))
	}
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
}

func (r *Registry) deleteManifest(w http.ResponseWriter, req *http.Request, rt api.Route) {
	if err := r.store.DeleteManifest(req.Context(), rt.Name, rt.Ref); err != nil {
		r.fail(w, req, err)
		return
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusAccepted)
}

// referrers serves the referrers API: an OCI index of the manifests whose
// subject is the given digest, optionally filtered by artifactType.
func (r *Registry) referrers(w http.ResponseWriter, req *http.Request, rt api.Route) {
	d, err := api.ParseDigest(rt.Ref)
	if err != nil {
		r.fail(w, req, err)
		return
	}
	at := req.URL.Query().Get("artifactType")
	list, err := r.store.Referrers(req.Context(), rt.Name, d, at)
	if err != nil {
		r.fail(w, req, err)
		return
	}
	if at != "" {
		w.Header().Set(api.HeaderFiltersApply, "artifactType")
	}
	idx := ocispec.Index{MediaType: api.MediaTypeOCIIndex, Manifests: list}
	idx.SchemaVersion = 2
	writeJSON(w, api.MediaTypeOCIIndex, idx)
}
