package client

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"

	"github.com/moby/moby/api/types/registry"
)

// PullOptions tune ImagePull.
type PullOptions struct {
	// All pulls every tag of the repository (the reference has none).
	All bool
	// Platform is "os[/arch[/variant]]", or "" for the daemon's.
	Platform string
	// RegistryAuth is the encoded X-Registry-Auth value, or "".
	RegistryAuth string
}

// ImagePull asks the daemon to pull ref and returns the progress stream
// (jsonstream messages; a failure after the first one is reported in it).
func (c *Client) ImagePull(ctx context.Context, ref Reference, o PullOptions) (io.ReadCloser, error) {
	q := url.Values{"fromImage": {ref.Name()}}
	if !o.All {
		switch r := ref.WithDefaultTag(); {
		case r.Digest != "":
			q.Set("tag", r.Digest)
		default:
			q.Set("tag", r.Tag)
		}
	}
	if o.Platform != "" {
		q.Set("platform", o.Platform)
	}
	resp, err := c.do(ctx, request{method: http.MethodPost, path: "/images/create", query: q, header: authHeader(o.RegistryAuth)})
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// PushOptions tune ImagePush.
type PushOptions struct {
	// All pushes every tag of the repository (the reference has none).
	All bool
	// Platform is the platform to push from a multi-platform image, as
	// JSON ({"os":"linux","architecture":"amd64"}), or "".
	Platform string
	// RegistryAuth is the encoded X-Registry-Auth value, or "".
	RegistryAuth string
}

// ImagePush asks the daemon to push ref and returns the progress stream.
func (c *Client) ImagePush(ctx context.Context, ref Reference, o PushOptions) (io.ReadCloser, error) {
	if ref.Digest != "" {
		return nil, invalidArgument(errors.New("cannot push a digest reference"))
	}
	q := url.Values{}
	if !o.All {
		q.Set("tag", ref.WithDefaultTag().Tag)
	}
	if o.Platform != "" {
		q.Set("platform", o.Platform)
	}
	auth := o.RegistryAuth
	if auth == "" {
		auth = "e30=" // {}: dockerd requires the header
	}
	resp, err := c.do(ctx, request{method: http.MethodPost, path: "/images/" + ref.FamiliarName() + "/push", query: q, header: authHeader(auth)})
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// RegistryLogin checks credentials with a registry through the daemon.
func (c *Client) RegistryLogin(ctx context.Context, auth registry.AuthConfig) (registry.AuthResponse, error) {
	var out registry.AuthResponse
	err := c.call(ctx, http.MethodPost, "/auth", nil, auth, &out)
	return out, err
}

func authHeader(v string) http.Header {
	if v == "" {
		return nil
	}
	return http.Header{registry.AuthHeader: {v}}
}
