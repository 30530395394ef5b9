package client

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/moby/moby/api/types/container"
)

// AttachOptions select the streams of ContainerAttach.
type AttachOptions struct {
	Stream     bool
	Stdin      bool
	Stdout     bool
	Stderr     bool
	Logs       bool
	DetachKeys string
}

// ContainerAttach attaches to a container's streams over a hijacked
// connection.
func (c *Client) ContainerAttach(ctx context.Context, id string, o AttachOptions) (*HijackedResponse, error) {
	q := url.Values{}
	for k, v := range map[string]bool{"stream": o.Stream, "stdin": o.Stdin, "stdout": o.Stdout, "stderr": o.Stderr, "logs": o.Logs} {
		if v {
			q.Set(k, "1")
		}
	}
	if o.DetachKeys != "" {
		q.Set("detachKeys", o.DetachKeys)
	}
	return c.hijack(ctx, "/containers/"+id+"/attach", q, nil)
}

// ContainerWait waits for a container to reach condition ("" means
// not-running). It returns once the daemon has accepted the wait (its
// headers arrived), so a start sent afterwards cannot be missed; the result
// or an error arrives later on one of the channels.
func (c *Client) ContainerWait(ctx context.Context, id string, condition container.WaitCondition) (<-chan container.WaitResponse, <-chan error) {
	resC := make(chan container.WaitResponse, 1)
	errC := make(chan error, 1)
	q := url.Values{}
	if condition != "" {
		q.Set("condition", string(condition))
	}
	resp, err := c.do(ctx, request{method: http.MethodPost, path: "/containers/" + id + "/wait", query: q})
	if err != nil {
		errC <- err
		return resC, errC
	}
	go func() {
		defer resp.Body.Close()
		var res container.WaitResponse
		if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				err = errors.New("unexpected end of wait response")
			}
			errC <- err
			return
		}
		resC <- res
	}()
	return resC, errC
}

// LogsOptions select what ContainerLogs returns. Since and Until are
// already in the API's form (unix seconds[.nanos]); see Timestamp.
type LogsOptions struct {
	Stdout, Stderr bool
	Since, Until   string
	Timestamps     bool
	Follow         bool
	Tail           string
	Details        bool
}

// ContainerLogs returns a container's log stream (multiplexed unless the
// container has a TTY).
func (c *Client) ContainerLogs(ctx context.Context, id string, o LogsOptions) (io.ReadCloser, error) {
	q := url.Values{}
	for k, v := range map[string]bool{"stdout": o.Stdout, "stderr": o.Stderr, "timestamps": o.Timestamps, "follow": o.Follow, "details": o.Details} {
		if v {
			q.Set(k, "1")
		}
	}
	if o.Since != "" {
		q.Set("since", o.Since)
	}
	if o.Until != "" {
		q.Set("until", o.Until)
	}
	if o.Tail != "" {
		q.Set("tail", o.Tail)
	}
	resp, err := c.do(ctx, request{method: http.MethodGet, path: "/containers/" + id + "/logs", query: q})
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// ExecCreate prepares a command to run in a running container.
func (c *Client) ExecCreate(ctx context.Context, id string, req container.ExecCreateRequest) (container.ExecCreateResponse, error) {
	var out container.ExecCreateResponse
	err := c.call(ctx, http.MethodPost, "/containers/"+id+"/exec", nil, req, &out)
	return out, err
}

// ExecStart starts a created exec detached.
func (c *Client) ExecStart(ctx context.Context, execID string, req container.ExecStartRequest) error {
	return c.call(ctx, http.MethodPost, "/exec/"+execID+"/start", nil, req, nil)
}

// ExecAttach starts a created exec and attaches to its streams.
func (c *Client) ExecAttach(ctx context.Context, execID string, req container.ExecStartRequest) (*HijackedResponse, error) {
	return c.hijack(ctx, "/exec/"+execID+"/start", nil, req)
}

// ExecInspect returns an exec's state, including its exit code.
func (c *Client) ExecInspect(ctx context.Context, execID string) (container.ExecInspectResponse, error) {
	var out container.ExecInspectResponse
	err := c.call(ctx, http.MethodGet, "/exec/"+execID+"/json", nil, nil, &out)
	return out, err
}

// ExecResize sets the size of an exec's TTY.
func (c *Client) ExecResize(ctx context.Context, execID string, height, width uint) error {
	return c.call(ctx, http.MethodPost, "/exec/"+execID+"/resize", sizeQuery(height, width), nil, nil)
}

// Timestamp converts a CLI time value (RFC 3339 date/time, unix seconds, or
// a duration such as "10m" meaning that long before now) to the API's
// "seconds.nanoseconds" form.
func Timestamp(value string, now time.Time) (string, error) {
	return getTimestamp(value, now)
}
