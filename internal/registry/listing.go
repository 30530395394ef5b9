package registry

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"

	"github.com/berthproject/berth/internal/registry/api"
)

// maxPage bounds one page of tags or repositories.
const maxPage = 10000

// page applies the n/last pagination of the tag list and the catalog to a
// sorted list: entries after last, at most n. more reports whether entries
// remain after the page.
func page(all []string, q url.Values) (out []string, n int, more bool, err error) {
	n = maxPage
	if s := q.Get("n"); s != "" {
		v, perr := strconv.Atoi(s)
		if perr != nil || v < 0 {
			return nil, 0, false, fmt.Errorf("n=%q: %w", s, api.ErrPaginationNumber)
		}
		n = min(v, maxPage)
	}
	if last := q.Get("last"); last != "" {
		all = all[sort.SearchStrings(all, last):]
		if len(all) > 0 && all[0] == last {
			all = all[1:]
		}
	}
	if len(all) > n {
		return all[:n], n, n > 0, nil
	}
	return all, n, false, nil
}

// setNext sets the Link header to the next page.
func setNext(w http.ResponseWriter, path string, n int, last string) {
	v := url.Values{"n": {strconv.Itoa(n)}, "last": {last}}
	w.Header().Set("Link", fmt.Sprintf("<%s?%s>; rel=\"next\"", path, v.Encode()))
}

func (r *Registry) tagList(w http.ResponseWriter, req *http.Request, rt api.Route) {
	tags, err := r.store.Tags(req.Context(), rt.Name)
	if err != nil {
		r.fail(w, req, err)
		return
	}
	out, n, more, err := page(tags, req.URL.Query())
	if err != nil {
		r.fail(w, req, err)
		return
	}
	if more {
		setNext(w, "/v2/"+rt.Name+"/tags/list", n, out[len(out)-1])
	}
	writeJSON(w, "application/json", struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}{rt.Name, out})
}

func (r *Registry) catalog(w http.ResponseWriter, req *http.Request, _ api.Route) {
	repos, err := r.store.Repositories(req.Context())
	if err != nil {
		r.fail(w, req, err)
		return
	}
	out, n, more, err := page(repos, req.URL.Query())
	if err != nil {
		r.fail(w, req, err)
		return
	}
	if more {
		setNext(w, "/v2/_catalog", n, out[len(out)-1])
	}
	writeJSON(w, "application/json", struct {
		Repositories []string `json:"repositories"`
	}{out})
}
