package client

import (
	"context"
	"io"
	"net/http"

	"github.com/berthproject/berth/api"
)

// Ping is what the daemon says about itself in the headers of /_ping.
type Ping struct {
	APIVersion     string
	OSType         string
	Experimental   bool
	BuilderVersion string
}

// Ping asks the daemon for its API version (HEAD /_ping, then GET when HEAD
// is refused).
func (c *Client) Ping(ctx context.Context) (Ping, error) {
	p, err := c.ping(ctx, http.MethodHead)
	if err != nil && !IsConnectError(err) {
		p, err = c.ping(ctx, http.MethodGet)
	}
	return p, err
}

func (c *Client) ping(ctx context.Context, method string) (Ping, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.urlFor("/_ping", nil), nil)
	if err != nil {
		return Ping{}, err
	}
	req.Header.Set("User-Agent", c.agent)
	resp, err := c.httpc.Do(req)
	if err != nil {
		return Ping{}, unwrapURLError(err)
	}
	defer resp.Body.Close()
	p := Ping{
		APIVersion:     resp.Header.Get("API-Version"),
		OSType:         resp.Header.Get("OSType"),
		Experimental:   resp.Header.Get("Docker-Experimental") == "true",
		BuilderVersion: resp.Header.Get("Builder-Version"),
	}
	if resp.StatusCode >= 400 && p.APIVersion == "" {
		return p, errorFromResponse(resp)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	return p, nil
}

// negotiate pings once and settles the API version: the daemon's when it is
// older than ours, else ours (api.MaxVersion).
func (c *Client) negotiate(ctx context.Context) error {
	c.mu.Lock()
	done := c.negotiated
	c.mu.Unlock()
	if done {
		return nil
	}
	p, err := c.Ping(ctx)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.version = NegotiatedVersion(p.APIVersion)
	c.negotiated = true
	c.lastPing = &p
	return nil
}

// NegotiatedVersion returns the version to use against a daemon that
// announces server: min(server, api.MaxVersion); api.MaxVersion when the
// daemon says nothing.
func NegotiatedVersion(server string) string {
	if server == "" || !api.VersionLess(server, api.MaxVersion) {
		return api.MaxVersion
	}
	return server
}

// ServerPing returns what the negotiation ping returned, or nil when the
// version was pinned and no ping was sent.
func (c *Client) ServerPing() *Ping {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastPing
}
