package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/moby/moby/api/types/image"
)

// ImageListOptions select the images ImageList returns.
type ImageListOptions struct {
	All     bool
	Filters Filters
}

// ImageList lists images (GET /images/json).
func (c *Client) ImageList(ctx context.Context, o ImageListOptions) ([]image.Summary, error) {
	q := url.Values{}
	if o.All {
		q.Set("all", "1")
	}
	setFilters(q, o.Filters)
	var out []image.Summary
	err := c.call(ctx, http.MethodGet, "/images/json", q, nil, &out)
	return out, err
}

// ImageInspect returns an image's details and the daemon's raw JSON.
func (c *Client) ImageInspect(ctx context.Context, ref string) (image.InspectResponse, []byte, error) {
	var out image.InspectResponse
	raw, err := c.callRaw(ctx, "/images/"+ref+"/json", nil, &out)
	return out, raw, err
}

// ImageHistory returns an image's layers, newest first.
func (c *Client) ImageHistory(ctx context.Context, ref string) ([]image.HistoryResponseItem, error) {
	var out []image.HistoryResponseItem
	err := c.call(ctx, http.MethodGet, "/images/"+ref+"/history", nil, nil, &out)
	return out, err
}

// ImageRemoveOptions tune ImageRemove.
type ImageRemoveOptions struct {
	Force   bool
	NoPrune bool
}

// ImageRemove untags and deletes an image.
func (c *Client) ImageRemove(ctx context.Context, ref string, o ImageRemoveOptions) ([]image.DeleteResponse, error) {
	q := url.Values{}
	if o.Force {
		q.Set("force", "1")
	}
	if o.NoPrune {
		q.Set("noprune", "1")
	}
	var out []image.DeleteResponse
	err := c.call(ctx, http.MethodDelete, "/images/"+ref, q, nil, &out)
	return out, err
}

// ImageTag adds the reference target to the image source.
func (c *Client) ImageTag(ctx context.Context, source, target string) error {
	repo, tag, err := splitTarget(target)
	if err != nil {
		return err
	}
	if _, err := parseAny(source); err != nil {
		return invalidArgument(fmt.Errorf("Error parsing reference: %q is not a valid repository/tag: %w", source, err)) //nolint:staticcheck // docker's message
	}
	q := url.Values{"repo": {repo}, "tag": {tag}}
	return c.call(ctx, http.MethodPost, "/images/"+source+"/tag", q, nil, nil)
}

// splitTarget normalises "name[:tag]" into the repository and tag the API
// wants ("latest" when no tag is given); digests cannot be tagged.
func splitTarget(target string) (repo, tag string, err error) {
	ref, err := ParseNormalizedNamed(target)
	if err != nil {
		return "", "", invalidArgument(fmt.Errorf("Error parsing reference: %q is not a valid repository/tag: %w", target, err)) //nolint:staticcheck // docker's message
	}
	if ref.Digest != "" {
		return "", "", invalidArgument(errors.New("refusing to create a tag with a digest reference"))
	}
	return ref.FamiliarName(), ref.WithDefaultTag().Tag, nil
}

// LoadResponse is the answer of ImageLoad: a progress stream, JSON when
// the daemon says so.
type LoadResponse struct {
	Body io.ReadCloser
	JSON bool
}

// ImageLoad loads images from a tar archive (docker save format).
func (c *Client) ImageLoad(ctx context.Context, in io.Reader, quiet bool) (LoadResponse, error) {
	q := url.Values{}
	if quiet {
		q.Set("quiet", "1")
	}
	resp, err := c.do(ctx, request{method: http.MethodPost, path: "/images/load", query: q, body: in,
		header: http.Header{"Content-Type": {"application/x-tar"}}})
	if err != nil {
		return LoadResponse{}, err
	}
	return LoadResponse{Body: resp.Body, JSON: strings.Contains(resp.Header.Get("Content-Type"), "json")}, nil
}

// ImageSave returns a tar archive of the named images.
func (c *Client) ImageSave(ctx context.Context, names []string) (io.ReadCloser, error) {
	q := url.Values{"names": names}
	resp, err := c.do(ctx, request{method: http.MethodGet, path: "/images/get", query: q})
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// ImportOptions tune ImageImport.
type ImportOptions struct {
	Message  string
	Changes  []string
	Platform string
}

// ImageImport creates an image from a root filesystem tarball read from src,
// or fetched by the daemon from sourceURL when src is nil. ref names the
// result ("" for an untagged image). It returns the progress stream.
func (c *Client) ImageImport(ctx context.Context, src io.Reader, sourceURL, ref string, o ImportOptions) (io.ReadCloser, error) {
	q := url.Values{"fromSrc": {"-"}}
	if src == nil {
		q.Set("fromSrc", sourceURL)
	}
	if ref != "" {
		repo, tag, err := splitTarget(ref)
		if err != nil {
			return nil, err
		}
		q.Set("repo", repo)
		q.Set("tag", tag)
	}
	if o.Message != "" {
		q.Set("message", o.Message)
	}
	for _, ch := range o.Changes {
		q.Add("changes", ch)
	}
	if o.Platform != "" {
		q.Set("platform", o.Platform)
	}
	resp, err := c.do(ctx, request{method: http.MethodPost, path: "/images/create", query: q, body: src})
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// ImagesPrune removes unused images.
func (c *Client) ImagesPrune(ctx context.Context, f Filters) (image.PruneReport, error) {
	q := url.Values{}
	setFilters(q, f)
	var out image.PruneReport
	err := c.call(ctx, http.MethodPost, "/images/prune", q, nil, &out)
	return out, err
}
