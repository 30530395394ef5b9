package remote

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/berthproject/berth/errdefs"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Manifest media types beyond the OCI ones.
const (
	MediaTypeDockerManifest      = "application/vnd.docker.distribution.manifest.v2+json"
	MediaTypeDockerManifestList  = "application/vnd.docker.distribution.manifest.list.v2+json"
	MediaTypeDockerSchema1       = "application/vnd.docker.distribution.manifest.v1+json"
	MediaTypeDockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws"
)

// maxManifest bounds the manifests and indexes read into memory.
const maxManifest = 8 << 20

// acceptManifests is the Accept header of manifest requests: every kind
// Berth can pull (and schema 1, to report it clearly).
var acceptManifests = strings.Join([]string{
	ocispec.MediaTypeImageIndex, MediaTypeDockerManifestList,
	ocispec.MediaTypeImageManifest, MediaTypeDockerManifest,
	MediaTypeDockerSchema1Signed, MediaTypeDockerSchema1,
}, ", ")

// IsIndex reports whether mediaType is an OCI index or a Docker manifest list.
func IsIndex(mediaType string) bool {
	return mediaType == ocispec.MediaTypeImageIndex || mediaType == MediaTypeDockerManifestList
}

// Manifest fetches the manifest or index that ref (a tag or a digest)
// names and returns its bytes and descriptor. Content fetched by digest is
// verified against it.
func (r *Repository) Manifest(ctx context.Context, ref string) ([]byte, ocispec.Descriptor, error) {
	var (
		raw  []byte
		desc ocispec.Descriptor
	)
	err := r.c.retry.do(ctx, "GET manifest "+ref, func() error {
		resp, err := r.send(ctx, request{method: http.MethodGet, path: "manifests/" + ref,
			header: http.Header{"Accept": {acceptManifests}}}, []int{http.StatusOK})
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		raw, err = io.ReadAll(io.LimitReader(resp.Body, maxManifest+1))
		if err != nil {
			return err
		}
		desc.MediaType = resp.Header.Get("Content-Type")
		return nil
	})
	if err != nil {
		return nil, desc, err
	}
	if len(raw) > maxManifest {
		return nil, desc, fmt.Errorf("manifest %s is larger than %d bytes: %w", ref, maxManifest, errdefs.ErrInvalidArgument)
	}
	desc.Digest, desc.Size = digest.FromBytes(raw), int64(len(raw))
	desc.MediaType = manifestMediaType(desc.MediaType, raw)
	if want, err := digest.Parse(ref); err == nil && want != desc.Digest {
		return nil, desc, digestMismatch("manifest", want, desc.Digest)
	}
	return raw, desc, nil
}

// manifestMediaType is the media type of a manifest: the response's
// Content-Type when it names a manifest type, else the document's own
// mediaType field, else guessed from its shape (OCI manifests may omit it).
func manifestMediaType(header string, raw []byte) string {
	mt, _, _ := mime.ParseMediaType(header)
	switch mt {
	case ocispec.MediaTypeImageIndex, MediaTypeDockerManifestList, ocispec.MediaTypeImageManifest,
		MediaTypeDockerManifest, MediaTypeDockerSchema1, MediaTypeDockerSchema1Signed:
		return mt
	}
	var probe struct {
		MediaType     string          `json:"mediaType"`
		SchemaVersion int             `json:"schemaVersion"`
		Manifests     json.RawMessage `json:"manifests"`
		FSLayers      json.RawMessage `json:"fsLayers"`
	}
	_ = json.Unmarshal(raw, &probe)
	switch {
	case probe.MediaType != "":
		return probe.MediaType
	case probe.SchemaVersion == 1 || probe.FSLayers != nil:
		return MediaTypeDockerSchema1
	case probe.Manifests != nil:
		return ocispec.MediaTypeImageIndex
	}
	return ocispec.MediaTypeImageManifest
}

// PutManifest uploads a manifest under ref (a tag, or its digest) and
// returns its digest.
func (r *Repository) PutManifest(ctx context.Context, ref, mediaType string, raw []byte) (digest.Digest, error) {
	resp, err := r.do(ctx, request{method: http.MethodPut, path: "manifests/" + ref, body: raw,
		header: http.Header{"Content-Type": {mediaType}}}, http.StatusCreated, http.StatusOK, http.StatusAccepted)
	if err != nil {
		return "", err
	}
	drain(resp)
	return digest.FromBytes(raw), nil
}

// Tags lists the repository's tags, following pagination.
func (r *Repository) Tags(ctx context.Context) ([]string, error) {
	var tags []string
	next := r.ep.URL.JoinPath("v2", r.name, "tags/list")
	for next != nil {
		resp, err := r.do(ctx, request{method: http.MethodGet, url: next}, http.StatusOK)
		if err != nil {
			return nil, err
		}
		var page struct {
			Tags []string `json:"tags"`
		}
		err = json.NewDecoder(io.LimitReader(resp.Body, maxManifest)).Decode(&page)
		link := resp.Header.Get("Link")
		drain(resp)
		if err != nil {
			return nil, fmt.Errorf("tags of %s: %v: %w", r.name, err, errdefs.ErrUnavailable)
		}
		tags = append(tags, page.Tags...)
		next = nextLink(next, link)
	}
	return tags, nil
}

// nextLink returns the target of a `Link: </v2/x/tags/list?last=a&n=100>;
// rel="next"` header, resolved against the current URL, or nil.
func nextLink(cur *url.URL, link string) *url.URL {
	for _, part := range strings.Split(link, ",") {
		target, params, ok := strings.Cut(strings.TrimSpace(part), ";")
		if !ok || !strings.Contains(params, `rel="next"`) {
			continue
		}
		target = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(target), "<"), ">")
		if u, err := cur.Parse(target); err == nil {
			return u
		}
	}
	return nil
}
