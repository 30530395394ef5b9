package remote

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/distribution/reference"
)

// Repository is one repository on one endpoint with one set of
// credentials: the session a pull or push runs in. It is safe for
// concurrent use.
type Repository struct {
	c     *Client
	ep    Endpoint
	named reference.Named
	name  string // the path: "library/busybox"
	auth  *authorizer
	scope string // "repository:<name>:pull" or ":pull,push"
}

// Open pings the endpoint (GET /v2/) to learn how it authenticates and
// returns a session for the repository ref names. push asks for push
// access. The ping is not retried: a failure usually means "try the next
// endpoint".
func (c *Client) Open(ctx context.Context, ep Endpoint, ref reference.Named, creds Credentials, push bool) (*Repository, error) {
	ch, err := c.ping(ctx, ep)
	if err != nil {
		return nil, err
	}
	r := &Repository{c: c, ep: ep, named: reference.TrimNamed(ref), name: reference.Path(ref)}
	r.auth = newAuthorizer(ep.client, c.opts.UserAgent, creds, ch)
	r.scope = "repository:" + r.name + ":pull"
	if push {
		r.scope += ",push"
	}
	return r, nil
}

// ping asks the endpoint's /v2/ how to authenticate.
func (c *Client) ping(ctx context.Context, ep Endpoint) (challenge, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ep.URL.JoinPath("v2/").String(), nil)
	if err != nil {
		return challenge{}, err
	}
	req.Header.Set("User-Agent", c.opts.UserAgent)
	resp, err := ep.client.Do(req)
	if err != nil {
		return challenge{}, err
	}
	defer drain(resp)
	switch resp.StatusCode {
	case http.StatusOK:
		return challenge{}, nil
	case http.StatusUnauthorized:
		ch, _ := pick(parseChallenges(resp.Header))
		return ch, nil
	}
	return challenge{}, responseError(resp)
}

// Name is the repository's path in the registry ("library/busybox").
func (r *Repository) Name() string { return r.name }

// Named is the repository's full name ("docker.io/library/busybox").
func (r *Repository) Named() reference.Named { return r.named }

// Endpoint is the endpoint the session talks to.
func (r *Repository) Endpoint() Endpoint { return r.ep }

// request is one API call.
type request struct {
	method string
	path   string   // under /v2/<name>/, e.g. "manifests/latest"
	url    *url.URL // an absolute URL instead of path (upload locations)
	query  url.Values
	header http.Header
	body   []byte    // a body that can be sent again
	stream io.Reader // a body that cannot (uploads): no retries
	length int64     // the stream's length, -1 when unknown
	scopes []string  // extra token scopes (mount sources)
}

func (r *Repository) urlFor(rq request) *url.URL {
	u := rq.url
	if u == nil {
		u = r.ep.URL.JoinPath("v2", r.name, rq.path)
	}
	if len(rq.query) > 0 {
		c := *u
		q := c.Query()
		for k, vs := range rq.query {
			q[k] = vs
		}
		c.RawQuery = q.Encode()
		u = &c
	}
	return u
}

// do sends rq, retrying transient failures (unless its body is a stream),
// and returns the response when its status is one of want. Any other
// status is an *Error.
func (r *Repository) do(ctx context.Context, rq request, want ...int) (*http.Response, error) {
	if rq.stream != nil {
		return r.send(ctx, rq, want)
	}
	var resp *http.Response
	err := r.c.retry.do(ctx, rq.method+" "+r.urlFor(rq).Redacted(), func() (err error) {
		resp, err = r.send(ctx, rq, want)
		return err
	})
	return resp, err
}

// send makes one attempt, answering one authentication challenge.
func (r *Repository) send(ctx context.Context, rq request, want []int) (*http.Response, error) {
	scopes := append([]string{r.scope}, rq.scopes...)
	for try := 0; ; try++ {
		req, err := r.newRequest(ctx, rq)
		if err != nil {
			return nil, err
		}
		if err := r.auth.authorize(ctx, req, scopes); err != nil {
			return nil, err
		}
		resp, err := r.ep.client.Do(req)
		if err != nil {
			return nil, err
		}
		if slices.Contains(want, resp.StatusCode) {
			return resp, nil
		}
		if resp.StatusCode == http.StatusUnauthorized && try == 0 && rq.stream == nil && r.auth.retryAfter401(resp, scopes) {
			drain(resp)
			continue
		}
		e := responseError(resp)
		resp.Body.Close()
		return nil, e
	}
}

func (r *Repository) newRequest(ctx context.Context, rq request) (*http.Request, error) {
	var body io.Reader
	length := int64(0)
	switch {
	case rq.stream != nil:
		body, length = rq.stream, rq.length
	case rq.body != nil:
		body, length = bytes.NewReader(rq.body), int64(len(rq.body))
	}
	req, err := http.NewRequestWithContext(ctx, rq.method, r.urlFor(rq).String(), body)
	if err != nil {
		return nil, err
	}
	req.ContentLength = length
	if rq.stream != nil && length < 0 {
		req.ContentLength = -1
	}
	for k, vs := range rq.header {
		req.Header[k] = vs
	}
	req.Header.Set("User-Agent", r.c.opts.UserAgent)
	return req, nil
}

// drain reads what is left of a small body so the connection can be
// reused, and closes it.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// location resolves a Location header against the request URL.
func location(resp *http.Response) (*url.URL, error) {
	loc := resp.Header.Get("Location")
	if loc == "" {
		return nil, &Error{Method: resp.Request.Method, URL: resp.Request.URL.Redacted(), Status: resp.StatusCode,
			Message: "registry sent no Location for the upload"}
	}
	u, err := resp.Request.URL.Parse(strings.TrimSpace(loc))
	if err != nil {
		return nil, &Error{Method: resp.Request.Method, URL: resp.Request.URL.Redacted(), Status: resp.StatusCode,
			Message: "invalid upload location " + loc}
	}
	return u, nil
}
