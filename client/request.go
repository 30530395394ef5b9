package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
)

// request is one API call.
type request struct {
	method string
	path   string
	query  url.Values
	body   io.Reader
	header http.Header
}

// do negotiates the version if needed, sends r and returns the response
// when its status is below 400; otherwise it maps the status to an *Error.
// The caller closes the body.
func (c *Client) do(ctx context.Context, r request) (*http.Response, error) {
	if err := c.negotiate(ctx); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.urlFor(r.path, r.query), r.body)
	if err != nil {
		return nil, err
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", c.agent)
	resp, err := c.httpc.Do(req)
	if err != nil {
		return nil, unwrapURLError(err)
	}
	if resp.StatusCode >= 400 || resp.StatusCode == http.StatusNotModified {
		defer resp.Body.Close()
		return nil, errorFromResponse(resp)
	}
	return resp, nil
}

// unwrapURLError drops net/http's "Post \"http://...\":" wrapper so that a
// connection failure reads like docker's message.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		var ce *ConnectError
		if errors.As(ue.Err, &ce) {
			return ce
		}
		if errors.Is(ue.Err, context.Canceled) || errors.Is(ue.Err, context.DeadlineExceeded) {
			return ue.Err
		}
	}
	return err
}

// jsonBody encodes v as a request body with its Content-Type header.
func jsonBody(v any) (io.Reader, http.Header, error) {
	if v == nil {
		return nil, nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, nil, err
	}
	return bytes.NewReader(b), http.Header{"Content-Type": {"application/json"}}, nil
}

// call sends method path with an optional JSON body and decodes a JSON
// answer into out (when out is not nil).
func (c *Client) call(ctx context.Context, method, path string, query url.Values, in, out any) error {
	body, hdr, err := jsonBody(in)
	if err != nil {
		return err
	}
	resp, err := c.do(ctx, request{method: method, path: path, query: query, body: body, header: hdr})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// callRaw is call that also returns the raw JSON answer (for inspect,
// which prints the daemon's own bytes).
func (c *Client) callRaw(ctx context.Context, path string, query url.Values, out any) ([]byte, error) {
	resp, err := c.do(ctx, request{method: http.MethodGet, path: path, query: query})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return raw, json.Unmarshal(raw, out)
}

// Filters are list/prune/events filters: key → values. They travel as
// docker's JSON `{"key":{"value":true}}` in the `filters` query parameter.
type Filters map[string][]string

// Add appends a value to a key.
func (f Filters) Add(key, value string) { f[key] = append(f[key], value) }

// encode returns the query value, or "" when there are no filters.
func (f Filters) encode() string {
	if len(f) == 0 {
		return ""
	}
	m := make(map[string]map[string]bool, len(f))
	for k, vs := range f {
		m[k] = make(map[string]bool, len(vs))
		for _, v := range vs {
			m[k][v] = true
		}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// setFilters adds the filters parameter to q when there are filters.
func setFilters(q url.Values, f Filters) {
	if s := f.encode(); s != "" {
		q.Set("filters", s)
	}
}
