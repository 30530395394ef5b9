package server

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/berthproject/berth/api"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/pkg/authconfig"
	"github.com/moby/moby/api/types/registry"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// postImagePush answers POST /images/{name}/push?tag= with a jsonstream;
// without a tag every tag of the repository is pushed.
func (s *Server) postImagePush(w http.ResponseWriter, r *http.Request, name string) error {
	q := r.URL.Query()
	var (
		ref reference.Named
		err error
	)
	if tag := q.Get("tag"); tag != "" {
		ref, err = repoTagReference(name, tag)
	} else if ref, err = reference.ParseNormalizedNamed(name); err != nil {
		err = invalidf("%v", err)
	}
	if err != nil {
		return err
	}
	var platform *ocispec.Platform
	if p := q.Get("platform"); p != "" && versionAtLeast(r, "1.46") {
		if platform, err = decodePlatform(p); err != nil {
			return err
		}
	}
	// Invalid credentials are ignored, as in dockerd: the registry decides.
	auth, _ := authconfig.Decode(r.Header.Get(registry.AuthHeader))
	out := newProgressStream(w)
	err = s.opts.Images.ImagePush(r.Context(), ref, ImagePushOptions{Auth: auth, Platform: platform}, out.send)
	return out.finish(err)
}

// postAuth answers POST /auth: it checks the credentials with the
// registry and answers "Login Succeeded" (and an identity token, if the
// registry issued one).
func (s *Server) postAuth(w http.ResponseWriter, r *http.Request) error {
	var cfg registry.AuthConfig
	if err := readJSON(r, &cfg); err != nil {
		return err
	}
	resp, err := s.opts.Images.RegistryLogin(r.Context(), cfg)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, resp)
}

// getDistributionInspect answers GET /distribution/{name}/json.
func (s *Server) getDistributionInspect(w http.ResponseWriter, r *http.Request) error {
	name, ok := strings.CutSuffix(r.PathValue("rest"), "/json")
	if !ok || name == "" {
		return notFoundf("page not found")
	}
	ref, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return invalidf("%v", err)
	}
	auth, _ := authconfig.Decode(r.Header.Get(registry.AuthHeader))
	res, err := s.opts.Images.DistributionInspect(r.Context(), reference.TagNameOnly(ref), auth)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

// searchFilters are the filter keys GET /images/search accepts.
var searchFilters = []string{"is-automated", "is-official", "stars"}

// getImagesSearch answers GET /images/search?term=&limit=&filters=.
func (s *Server) getImagesSearch(w http.ResponseWriter, r *http.Request) error {
	f, err := queryFilters(r, searchFilters...)
	if err != nil {
		return err
	}
	limit := 25
	if v := r.URL.Query().Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil {
			return invalidf("invalid limit %q", v)
		}
	}
	if limit < 1 || limit > 100 {
		return invalidf("limit %d is outside the range of [1, 100]", limit)
	}
	auth, _ := authconfig.Decode(r.Header.Get(registry.AuthHeader))
	results, err := s.opts.Images.ImageSearch(r.Context(), r.URL.Query().Get("term"), limit, auth)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, filterSearch(results, f))
}

// filterSearch keeps the results the filters allow.
func filterSearch(results []registry.SearchResult, f api.Filters) []registry.SearchResult {
	out := []registry.SearchResult{}
	minStars := 0
	for _, v := range f.Values("stars") {
		if n, err := strconv.Atoi(v); err == nil && n > minStars {
			minStars = n
		}
	}
	for _, res := range results {
		if res.StarCount < minStars || !boolFilter(f.Values("is-official"), res.IsOfficial) ||
			!boolFilter(f.Values("is-automated"), res.IsAutomated) { //nolint:staticcheck // still part of the API
			continue
		}
		out = append(out, res)
	}
	return out
}

// boolFilter matches a value against "true"/"false" filter values.
func boolFilter(values []string, v bool) bool {
	for _, want := range values {
		if b, err := strconv.ParseBool(want); err == nil && b != v {
			return false
		}
	}
	return true
}
