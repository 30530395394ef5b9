package server

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/image"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// imageListFilters are the filter keys GET /images/json accepts.
var imageListFilters = []string{"before", "dangling", "label", "label!", "reference", "since", "until"}

// getImagesJSON answers GET /images/json.
func (s *Server) getImagesJSON(w http.ResponseWriter, r *http.Request) error {
	f, err := queryFilters(r, imageListFilters...)
	if err != nil {
		return err
	}
	if v := r.URL.Query().Get("filter"); v != "" && versionLess(r, "1.25") && !f.Has("reference") {
		f.Add("reference", v)
	}
	list, err := s.opts.Images.Images(r.Context(), ImageListOptions{
		All:        boolValue(r, "all"),
		Filters:    f,
		SharedSize: versionAtLeast(r, "1.42") && boolValue(r, "shared-size"),
		Manifests:  versionAtLeast(r, "1.47") && boolValue(r, "manifests"),
	})
	if err != nil {
		return err
	}
	for i := range list {
		img := &list[i]
		switch {
		case versionLess(r, "1.43") && len(img.RepoTags) == 0 && len(img.RepoDigests) == 0:
			img.RepoTags, img.RepoDigests = []string{"<none>:<none>"}, []string{"<none>@<none>"}
		default:
			img.RepoTags, img.RepoDigests = nonNil(img.RepoTags), nonNil(img.RepoDigests)
		}
		if versionLess(r, "1.48") {
			img.Descriptor = nil
		}
		if versionLess(r, "1.51") {
			img.Containers = -1
		}
	}
	if versionLess(r, "1.44") {
		out := make([]any, len(list))
		for i := range list {
			out[i] = legacyJSON{base: &list[i], extra: map[string]any{"VirtualSize": list[i].Size}}
		}
		return writeJSON(w, http.StatusOK, out)
	}
	return writeJSON(w, http.StatusOK, nonNil(list))
}

// getImageByName dispatches GET /images/{name}/json|history|get: image
// names contain slashes, so the mux cannot split them.
func (s *Server) getImageByName(w http.ResponseWriter, r *http.Request) error {
	rest := r.PathValue("rest")
	if name, ok := strings.CutSuffix(rest, "/json"); ok && name != "" {
		return s.getImageInspect(w, r, name)
	}
	if name, ok := strings.CutSuffix(rest, "/history"); ok && name != "" {
		return s.getImageHistory(w, r, name)
	}
	if name, ok := strings.CutSuffix(rest, "/get"); ok && name != "" {
		return s.saveImages(w, r, []string{name})
	}
	return notFoundf("page not found")
}

// postImageByName dispatches POST /images/{name}/tag|push.
func (s *Server) postImageByName(w http.ResponseWriter, r *http.Request) error {
	rest := r.PathValue("rest")
	if name, ok := strings.CutSuffix(rest, "/tag"); ok && name != "" {
		return s.postImageTag(w, r, name)
	}
	if name, ok := strings.CutSuffix(rest, "/push"); ok && name != "" {
		return s.postImagePush(w, r, name)
	}
	return notFoundf("page not found")
}

// getImageInspect answers GET /images/{name}/json, with the fields older
// API versions always showed.
func (s *Server) getImageInspect(w http.ResponseWriter, r *http.Request, name string) error {
	img, err := s.opts.Images.ImageInspect(r.Context(), name)
	if err != nil {
		return err
	}
	img.RepoTags, img.RepoDigests = nonNil(img.RepoTags), nonNil(img.RepoDigests)
	if versionLess(r, "1.48") {
		img.Descriptor = nil
	}
	extra := legacyImageFields(r, img)
	if len(extra) == 0 {
		return writeJSON(w, http.StatusOK, img)
	}
	return writeJSON(w, http.StatusOK, legacyJSON{base: img, extra: extra})
}

// legacyImageFields returns what dockerd adds to image inspect for API
// versions older than 1.52 (fields that are omitempty since).
func legacyImageFields(r *http.Request, img *image.InspectResponse) map[string]any {
	if !versionLess(r, "1.52") {
		return nil
	}
	extra := map[string]any{"Parent": "", "Comment": img.Comment, "DockerVersion": "", "Author": img.Author}
	cfg := map[string]any{"Cmd": nil, "Entrypoint": nil, "Env": nil, "Labels": nil,
		"OnBuild": nil, "User": "", "Volumes": nil, "WorkingDir": ""}
	if versionLess(r, "1.50") {
		for _, k := range []string{"AttachStderr", "AttachStdin", "AttachStdout", "OpenStdin", "StdinOnce", "Tty"} {
			cfg[k] = false
		}
		for _, k := range []string{"Domainname", "Hostname", "Image"} {
			cfg[k] = ""
		}
	}
	extra["Config"] = cfg
	if versionLess(r, "1.45") {
		extra["Container"] = ""
		extra["ContainerConfig"] = nil
	}
	if versionLess(r, "1.44") {
		extra["VirtualSize"] = img.Size
		if img.Created == "" {
			img.Created = "0001-01-01T00:00:00Z"
		}
	}
	return extra
}

// getImageHistory answers GET /images/{name}/history.
func (s *Server) getImageHistory(w http.ResponseWriter, r *http.Request, name string) error {
	h, err := s.opts.Images.ImageHistory(r.Context(), name)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, nonNil(h))
}

// postImageTag answers POST /images/{name}/tag?repo=&tag= with 201.
func (s *Server) postImageTag(w http.ResponseWriter, r *http.Request, name string) error {
	ref, err := repoTagReference(r.URL.Query().Get("repo"), r.URL.Query().Get("tag"))
	if err != nil {
		return err
	}
	if reference.FamiliarName(ref) == "sha256" {
		return invalidf("refusing to create an ambiguous tag using digest algorithm as name")
	}
	if err := s.opts.Images.ImageTag(r.Context(), name, ref); err != nil {
		return err
	}
	w.WriteHeader(http.StatusCreated)
	return nil
}

// repoTagReference parses repo and tag ("latest" by default) as dockerd's
// RepoTagReference does; an empty repo is an error here.
func repoTagReference(repo, tag string) (reference.NamedTagged, error) {
	named, err := reference.ParseNormalizedNamed(repo)
	if err != nil {
		return nil, invalidf("%v", err)
	}
	if _, ok := named.(reference.Digested); ok {
		return nil, invalidf("cannot import digest reference")
	}
	if tag == "" {
		if t, ok := reference.TagNameOnly(named).(reference.NamedTagged); ok {
			return t, nil
		}
		return nil, invalidf("unexpected reference: %q", named.String())
	}
	tagged, err := reference.WithTag(named, tag)
	if err != nil {
		return nil, invalidf("%v", err)
	}
	return tagged, nil
}

// deleteImage answers DELETE /images/{name}?force=&noprune=.
func (s *Server) deleteImage(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("rest")
	if strings.TrimSpace(name) == "" {
		return invalidf("image name cannot be blank")
	}
	opts := ImageRemoveOptions{Force: boolValue(r, "force"), PruneChildren: !boolValue(r, "noprune")}
	if versionAtLeast(r, "1.50") {
		var err error
		if opts.Platforms, err = decodePlatforms(r.URL.Query()["platforms"]); err != nil {
			return err
		}
	}
	list, err := s.opts.Images.ImageDelete(r.Context(), name, opts)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, nonNil(list))
}

// postImagesPrune answers POST /images/prune.
func (s *Server) postImagesPrune(w http.ResponseWriter, r *http.Request) error {
	f, err := queryFilters(r, "dangling", "until", "label", "label!")
	if err != nil {
		return err
	}
	rep, err := s.opts.Images.ImagePrune(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, &rep)
}

// decodePlatforms decodes platform parameters, each an OCI platform in JSON.
func decodePlatforms(vs []string) ([]ocispec.Platform, error) {
	var out []ocispec.Platform
	for _, v := range vs {
		p, err := decodePlatform(v)
		if err != nil {
			return nil, err
		}
		out = append(out, *p)
	}
	return out, nil
}

func decodePlatform(v string) (*ocispec.Platform, error) {
	var p ocispec.Platform
	if err := json.Unmarshal([]byte(v), &p); err != nil {
		return nil, invalidf("failed to parse platform: %v", err)
	}
	if p.OS == "" || p.Architecture == "" {
		return nil, invalidf("both OS and Architecture must be provided")
	}
	return &p, nil
}
