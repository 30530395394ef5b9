package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/logging"
	"github.com/moby/moby/api/types/registry"
)

// splitSearchTerm splits "host/term" into the index host and the term; a
// term without a host searches Docker Hub.
func splitSearchTerm(term string) (host, rest string) {
	first, after, ok := strings.Cut(term, "/")
	if ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		return first, after
	}
	return DockerHub, term
}

// Search runs a v1 search (GET /v1/search?q=&n=) on the index term names
// (Docker Hub's unless term starts with a registry host), as `docker
// search` does. Registries that only speak v2 answer 404 (ErrNotFound).
func (c *Client) Search(ctx context.Context, term string, limit int, creds Credentials) ([]registry.SearchResult, error) {
	host, q := splitSearchTerm(term)
	var (
		eps []Endpoint
		err error
	)
	if host == DockerHub {
		// Docker Hub's search lives on its index, not its registry API.
		host = dockerHubIndex
		var ep Endpoint
		ep, err = c.endpoint(ctx, &url.URL{Scheme: "https", Host: dockerHubIndex, Path: "/"}, DockerHub, false)
		eps = []Endpoint{ep}
	} else {
		eps, err = c.Endpoints(ctx, host, false)
	}
	if err != nil {
		return nil, err
	}
	defer CloseAll(eps)
	var lastErr error
	for _, ep := range eps {
		res, err := c.search(ctx, ep, q, limit, creds)
		if err == nil {
			return res, nil
		}
		lastErr = err
		var re *Error
		if errdefs.IsCanceled(err) || errors.As(err, &re) {
			break
		}
		logging.From(ctx).Info("search failed, trying the next endpoint", "endpoint", ep.String(), logging.Err(err))
	}
	return nil, fmt.Errorf("search %s: %w", host, lastErr)
}

func (c *Client) search(ctx context.Context, ep Endpoint, term string, limit int, creds Credentials) ([]registry.SearchResult, error) {
	u := ep.URL.JoinPath("v1/search")
	q := url.Values{"q": {term}}
	if limit > 0 {
		q.Set("n", strconv.Itoa(limit))
	}
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", c.opts.UserAgent)
	if creds.Username != "" {
		req.SetBasicAuth(creds.Username, creds.Password)
	}
	resp, err := ep.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, responseError(resp)
	}
	var out registry.SearchResults
	if err := json.NewDecoder(io.LimitReader(resp.Body, 8<<20)).Decode(&out); err != nil {
		return nil, fmt.Errorf("search results from %s: %v: %w", ep.URL.Host, err, errdefs.ErrUnavailable)
	}
	if out.Results == nil {
		out.Results = []registry.SearchResult{}
	}
	return out.Results, nil
}
