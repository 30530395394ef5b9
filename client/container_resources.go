package client

import (
	"context"
	"io"
	"net/http"
	"net/url"

	"github.com/moby/moby/api/types/container"
)

// ContainerUpdate changes a container's resources and restart policy.
func (c *Client) ContainerUpdate(ctx context.Context, id string, cfg container.UpdateConfig) (container.UpdateResponse, error) {
	var out container.UpdateResponse
	err := c.call(ctx, http.MethodPost, "/containers/"+id+"/update", nil, cfg, &out)
	return out, err
}

// ContainerStats returns the stream of a container's container.StatsResponse
// JSON objects: one (stream false) or one per second until the caller
// closes the reader or ctx ends.
func (c *Client) ContainerStats(ctx context.Context, id string, stream bool) (io.ReadCloser, error) {
	q := url.Values{"stream": {"0"}}
	if stream {
		q.Set("stream", "1")
	}
	resp, err := c.do(ctx, request{method: http.MethodGet, path: "/containers/" + id + "/stats", query: q})
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}
