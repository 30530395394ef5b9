package client

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"

	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/api/types/volume"
)

// ServerVersion returns the daemon's version (GET /version).
func (c *Client) ServerVersion(ctx context.Context) (system.VersionResponse, error) {
	var out system.VersionResponse
	err := c.call(ctx, http.MethodGet, "/version", nil, nil, &out)
	return out, err
}

// Info returns the daemon's system information (GET /info).
func (c *Client) Info(ctx context.Context) (system.Info, error) {
	var out system.Info
	err := c.call(ctx, http.MethodGet, "/info", nil, nil, &out)
	return out, err
}

// EventsOptions select the events Events streams; Since and Until are in
// the API's form (see Timestamp).
type EventsOptions struct {
	Since, Until string
	Filters      Filters
}

// Event is a daemon event: the API's events.Message plus the legacy
// status/id/from fields that older daemons still send (docker's CLI shows
// them in `events --format json`).
type Event struct {
	Status string `json:"status,omitempty"`
	ID     string `json:"id,omitempty"`
	From   string `json:"from,omitempty"`
	events.Message
}

// Events streams daemon events until ctx ends or the daemon closes the
// stream (then io.EOF arrives on the error channel).
func (c *Client) Events(ctx context.Context, o EventsOptions) (<-chan Event, <-chan error) {
	msgs := make(chan Event)
	errC := make(chan error, 1)
	q := url.Values{}
	if o.Since != "" {
		q.Set("since", o.Since)
	}
	if o.Until != "" {
		q.Set("until", o.Until)
	}
	setFilters(q, o.Filters)
	resp, err := c.do(ctx, request{method: http.MethodGet, path: "/events", query: q})
	if err != nil {
		errC <- err
		return msgs, errC
	}
	go func() {
		defer resp.Body.Close()
		dec := json.NewDecoder(resp.Body)
		for {
			var m Event
			if err := dec.Decode(&m); err != nil {
				if ctx.Err() != nil {
					err = ctx.Err()
				} else if errors.Is(err, io.ErrUnexpectedEOF) {
					err = io.EOF
				}
				errC <- err
				return
			}
			select {
			case msgs <- m:
			case <-ctx.Done():
				errC <- ctx.Err()
				return
			}
		}
	}()
	return msgs, errC
}

// NetworkInspect returns a network's details and the daemon's raw JSON.
func (c *Client) NetworkInspect(ctx context.Context, id string) (network.Inspect, []byte, error) {
	var out network.Inspect
	raw, err := c.callRaw(ctx, "/networks/"+id, nil, &out)
	return out, raw, err
}

// VolumeInspect returns a volume's details and the daemon's raw JSON.
func (c *Client) VolumeInspect(ctx context.Context, name string) (volume.Volume, []byte, error) {
	var out volume.Volume
	raw, err := c.callRaw(ctx, "/volumes/"+name, nil, &out)
	return out, raw, err
}
