package remote

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/logging"
)

// RegistryHost returns the registry host a `docker login` server address
// names: "" and Docker Hub's addresses give "docker.io"; a URL gives its
// host.
func RegistryHost(server string) string {
	s := strings.TrimSpace(server)
	if scheme, rest, ok := strings.Cut(s, "://"); ok && (scheme == "http" || scheme == "https") {
		s = rest
	}
	s, _, _ = strings.Cut(s, "/")
	switch s {
	case "", DockerHub, dockerHubIndex, dockerHubAPI:
		return DockerHub
	}
	return s
}

// Login checks creds against the registry server names (as `docker login`
// gives it) and returns the identity token the registry issued for them,
// if any. Mirrors are never asked, so credentials do not leak to them. A
// refusal is errdefs.ErrUnauthorized.
func (c *Client) Login(ctx context.Context, server string, creds Credentials) (string, error) {
	eps, err := c.Endpoints(ctx, RegistryHost(server), false)
	if err != nil {
		return "", err
	}
	defer CloseAll(eps)
	var lastErr error
	for _, ep := range eps {
		tok, err := c.login(ctx, ep, creds)
		if err == nil {
			return tok, nil
		}
		if errdefs.IsUnauthorized(err) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return "", err
		}
		logging.From(ctx).Info("login failed, trying the next endpoint", "endpoint", ep.String(), logging.Err(err))
		lastErr = err
	}
	return "", lastErr
}

// login tries one endpoint: a bearer challenge is answered with a token
// request for an offline (refresh) token; then GET /v2/ must succeed.
func (c *Client) login(ctx context.Context, ep Endpoint, creds Credentials) (string, error) {
	ch, err := c.ping(ctx, ep)
	if err != nil {
		return "", err
	}
	a := newAuthorizer(ep.client, c.opts.UserAgent, creds, ch)
	base := ep.URL.JoinPath("v2/").String()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("User-Agent", c.opts.UserAgent)
	var identity string
	switch ch.scheme {
	case "bearer":
		tr, err := a.fetchToken(ctx, ch, nil, true)
		if err != nil {
			return "", err
		}
		identity = tr.RefreshToken
		req.Header.Set("Authorization", "Bearer "+tr.token())
	case "basic":
		req.SetBasicAuth(creds.Username, creds.Password)
	}
	resp, err := ep.client.Do(req)
	if err != nil {
		return "", err
	}
	drain(resp)
	if resp.StatusCode != http.StatusOK {
		return "", &Error{Method: http.MethodGet, URL: base, Status: resp.StatusCode,
			Message: fmt.Sprintf("login attempt to %s failed with status: %d %s", base, resp.StatusCode, http.StatusText(resp.StatusCode))}
	}
	return identity, nil
}
