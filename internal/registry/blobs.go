package registry

import (
	"io"
	"net/http"
	"strconv"

	"github.com/berthproject/berth/internal/registry/api"
	"github.com/opencontainers/go-digest"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// getBlob serves GET and HEAD of a blob, with a single byte range when asked
// (206), 416 when the range cannot be satisfied. The body is copied from
// the driver's reader, an *os.File for the filesystem driver, so net/http
// uses sendfile on plain HTTP.
func (r *Registry) getBlob(w http.ResponseWriter, req *http.Request, rt api.Route) {
	d, err := api.ParseDigest(rt.Ref)
	if err != nil {
		r.fail(w, req, err)
		return
	}
	ctx := req.Context()
	if req.Method == http.MethodHead {
		desc, err := r.store.StatBlob(ctx, rt.Name, d)
		if err != nil {
			r.fail(w, req, err)
			return
		}
		blobHeaders(w, d, desc.Size)
		w.Header().Set("Content-Length", itoa(desc.Size))
		return
	}
	rd, desc, err := r.store.OpenBlob(ctx, rt.Name, d)
	if err != nil {
		r.fail(w, req, err)
		return
	}
	defer rd.Close()
	blobHeaders(w, d, desc.Size)
	if etagMatches(req, d) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	r.sendBlob(w, req, rd, desc.Size)
}

// sendBlob sends a blob's content, or the byte range the request asks for.
func (r *Registry) sendBlob(w http.ResponseWriter, req *http.Request, rd io.ReadSeeker, size int64) {
	br, partial, err := api.ParseRange(req.Header.Get("Range"), size)
	if err != nil {
		w.Header().Set("Content-Range", "bytes */"+itoa(size))
		r.fail(w, req, err)
		return
	}
	length := size
	if partial {
		if _, err := rd.Seek(br.Start, io.SeekStart); err != nil {
			r.fail(w, req, err)
			return
		}
		length = br.Length
		w.Header().Set("Content-Range", br.ContentRange(size))
	}
	w.Header().Set("Content-Length", itoa(length))
	if partial {
		w.WriteHeader(http.StatusPartialContent)
	}
	if _, err := io.Copy(w, io.LimitReader(rd, length)); err != nil {
		r.log.Debug("blob download interrupted", "path", req.URL.Path, "error", err)
	}
}

func blobHeaders(w http.ResponseWriter, d digest.Digest, size int64) {
	h := w.Header()
	h.Set("Content-Type", api.MediaTypeOctetStream)
	h.Set(api.HeaderContentDigest, d.String())
	h.Set("ETag", `"`+d.String()+`"`)
	h.Set("Accept-Ranges", "bytes")
	h.Set("Cache-Control", "max-age=31536000")
}

func etagMatches(req *http.Request, d digest.Digest) bool {
	inm := req.Header.Get("If-None-Match")
	return inm != "" && (inm == `"`+d.String()+`"` || inm == d.String())
}

func (r *Registry) deleteBlob(w http.ResponseWriter, req *http.Request, rt api.Route) {
	d, err := api.ParseDigest(rt.Ref)
	if err != nil {
		r.fail(w, req, err)
		return
	}
	if err := r.store.DeleteBlob(req.Context(), rt.Name, d); err != nil {
		r.fail(w, req, err)
		return
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusAccepted)
}
