package registry

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/berthproject/berth/internal/logging"
	"github.com/berthproject/berth/internal/registry/api"
)

// endpoint is one handler of the distribution API.
type endpoint func(w http.ResponseWriter, req *http.Request, rt api.Route)

// methods lists the handlers of each endpoint by method.
func (r *Registry) methods(k api.Kind) map[string]endpoint {
	switch k {
	case api.KindBase:
		return map[string]endpoint{http.MethodGet: r.base, http.MethodHead: r.base}
	case api.KindCatalog:
		return map[string]endpoint{http.MethodGet: r.catalog}
	case api.KindTags:
		return map[string]endpoint{http.MethodGet: r.tagList}
	case api.KindManifest:
		return map[string]endpoint{http.MethodGet: r.getManifest, http.MethodHead: r.getManifest,
			http.MethodPut: r.putManifest, http.MethodDelete: r.deleteManifest}
	case api.KindBlob:
		return map[string]endpoint{http.MethodGet: r.getBlob, http.MethodHead: r.getBlob, http.MethodDelete: r.deleteBlob}
	case api.KindUploadStart:
		return map[string]endpoint{http.MethodPost: r.startUpload}
	case api.KindUpload:
		return map[string]endpoint{http.MethodGet: r.uploadStatus, http.MethodPatch: r.patchUpload,
			http.MethodPut: r.finishUpload, http.MethodDelete: r.cancelUpload}
	case api.KindReferrers:
		return map[string]endpoint{http.MethodGet: r.referrers}
	}
	return nil
}

// serveAPI routes a /v2 request: parse the path, check the method,
// authenticate and authorize, refuse writes when read-only, then call the
// endpoint. Every failure goes out through api.WriteError.
func (r *Registry) serveAPI(w http.ResponseWriter, req *http.Request) {
	w.Header().Set(api.HeaderAPIVersion, "registry/2.0")
	rt, err := api.ParseRoute(req.URL.Path)
	if err != nil {
		r.fail(w, req, err)
		return
	}
	setRoute(req, rt.Kind)
	h, ok := r.methods(rt.Kind)[req.Method]
	if !ok {
		w.Header().Set("Allow", allow(r.methods(rt.Kind)))
		r.fail(w, req, api.ErrMethodNotAllowed)
		return
	}
	if r.auth != nil {
		user, err := r.auth.authorize(req, requiredAccess(rt, req.Method))
		if err != nil {
			r.fail(w, req, err)
			return
		}
		setUser(req, user)
	}
	if r.cfg.ReadOnly && req.Method != http.MethodGet && req.Method != http.MethodHead {
		r.fail(w, req, api.ErrReadOnly)
		return
	}
	if r.cfg.NoDelete && req.Method == http.MethodDelete && rt.Kind != api.KindUpload {
		r.fail(w, req, api.ErrUnsupported)
		return
	}
	h(w, req, rt)
}

func allow(m map[string]endpoint) string {
	var ms []string
	for _, k := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m[k] != nil {
			ms = append(ms, k)
		}
	}
	return strings.Join(ms, ", ")
}

// requiredAccess is the access a request needs: pull to read a
// repository, push to write to it, delete to delete from it; the catalog
// needs registry:catalog:*.
func requiredAccess(rt api.Route, method string) []access {
	switch rt.Kind {
	case api.KindBase:
		return nil
	case api.KindCatalog:
		return []access{{Type: "registry", Name: "catalog", Action: "*"}}
	}
	action := "pull"
	switch {
	case rt.Kind == api.KindUploadStart || rt.Kind == api.KindUpload:
		action = "push"
	case method == http.MethodPut:
		action = "push"
	case method == http.MethodDelete:
		action = "delete"
	}
	return []access{{Type: "repository", Name: rt.Name, Action: action}}
}

// fail sends err as an OCI error. Authentication challenges set their
// WWW-Authenticate header; internal errors are logged (their text is not
// sent).
func (r *Registry) fail(w http.ResponseWriter, req *http.Request, err error) {
	var ch *challengeError
	if errors.As(err, &ch) {
		w.Header().Set("WWW-Authenticate", ch.header)
	}
	status := api.WriteError(w, err)
	if status >= 500 {
		r.log.Error("registry request failed", "method", req.Method, "path", req.URL.Path, logging.Err(err))
	} else {
		r.log.Debug("registry request refused", "method", req.Method, "path", req.URL.Path, logging.Err(err))
	}
}

func (r *Registry) base(w http.ResponseWriter, req *http.Request, _ api.Route) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", "2")
	w.Write([]byte("{}"))
}

func writeJSON(w http.ResponseWriter, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		api.WriteError(w, err)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", itoa(int64(len(b))))
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}
