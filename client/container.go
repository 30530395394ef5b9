package client

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/berthproject/berth/api"
	"github.com/moby/moby/api/types/container"
)

// ContainerCreate creates a container (POST /containers/create).
func (c *Client) ContainerCreate(ctx context.Context, req container.CreateRequest, name, platform string) (container.CreateResponse, error) {
	q := url.Values{}
	if name != "" {
		q.Set("name", name)
	}
	if platform != "" {
		q.Set("platform", platform)
	}
	if req.HostConfig != nil {
		hc := *req.HostConfig
		hc.CapAdd, hc.CapDrop = normalizeCaps(hc.CapAdd), normalizeCaps(hc.CapDrop)
		req.HostConfig = &hc
	}
	var out container.CreateResponse
	err := c.call(ctx, http.MethodPost, "/containers/create", q, req, &out)
	return out, err
}

// normalizeCaps upper-cases capabilities, adds the CAP_ prefix (except to
// ALL), sorts them and drops duplicates, as docker's client does.
func normalizeCaps(caps []string) []string {
	if caps == nil {
		return nil
	}
	out := make([]string, 0, len(caps))
	for _, c := range caps {
		c = strings.ToUpper(c)
		if c != "ALL" && !strings.HasPrefix(c, "CAP_") {
			c = "CAP_" + c
		}
		out = append(out, c)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// ContainerInspect returns a container's details and the daemon's raw JSON.
func (c *Client) ContainerInspect(ctx context.Context, id string, size bool) (container.InspectResponse, []byte, error) {
	q := url.Values{}
	if size {
		q.Set("size", "1")
	}
	var out container.InspectResponse
	raw, err := c.callRaw(ctx, "/containers/"+id+"/json", q, &out)
	return out, raw, err
}

// ContainerListOptions selects the containers ContainerList returns.
type ContainerListOptions struct {
	All     bool
	Limit   int // > 0: the last Limit created containers
	Size    bool
	Filters Filters
}

// ContainerList lists containers (GET /containers/json).
func (c *Client) ContainerList(ctx context.Context, o ContainerListOptions) ([]container.Summary, error) {
	q := url.Values{}
	if o.All {
		q.Set("all", "1")
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.Size {
		q.Set("size", "1")
	}
	setFilters(q, o.Filters)
	var out []container.Summary
	err := c.call(ctx, http.MethodGet, "/containers/json", q, nil, &out)
	return out, err
}

// ContainerStart starts a created or stopped container.
func (c *Client) ContainerStart(ctx context.Context, id string) error {
	return c.call(ctx, http.MethodPost, "/containers/"+id+"/start", nil, nil, nil)
}

// StopOptions are the signal and grace period of stop and restart; empty
// and nil mean the container's defaults.
type StopOptions struct {
	Signal  string
	Timeout *int
}

func (c *Client) stopQuery(o StopOptions) url.Values {
	q := url.Values{}
	if o.Timeout != nil {
		q.Set("t", strconv.Itoa(*o.Timeout))
	}
	if o.Signal != "" && !api.VersionLess(c.ClientVersion(), "1.42") {
		q.Set("signal", o.Signal)
	}
	return q
}

// ContainerStop stops a container (signal, then SIGKILL after the timeout).
func (c *Client) ContainerStop(ctx context.Context, id string, o StopOptions) error {
	if err := c.negotiate(ctx); err != nil {
		return err
	}
	return c.call(ctx, http.MethodPost, "/containers/"+id+"/stop", c.stopQuery(o), nil, nil)
}

// ContainerRestart stops then starts a container.
func (c *Client) ContainerRestart(ctx context.Context, id string, o StopOptions) error {
	if err := c.negotiate(ctx); err != nil {
		return err
	}
	return c.call(ctx, http.MethodPost, "/containers/"+id+"/restart", c.stopQuery(o), nil, nil)
}

// ContainerKill sends a signal ("" means SIGKILL) to a container.
func (c *Client) ContainerKill(ctx context.Context, id, signal string) error {
	q := url.Values{}
	if signal != "" {
		q.Set("signal", signal)
	}
	return c.call(ctx, http.MethodPost, "/containers/"+id+"/kill", q, nil, nil)
}

// RemoveOptions tune ContainerRemove.
type RemoveOptions struct {
	Force         bool
	RemoveVolumes bool
	RemoveLinks   bool
}

// ContainerRemove deletes a container.
func (c *Client) ContainerRemove(ctx context.Context, id string, o RemoveOptions) error {
	q := url.Values{}
	if o.Force {
		q.Set("force", "1")
	}
	if o.RemoveVolumes {
		q.Set("v", "1")
	}
	if o.RemoveLinks {
		q.Set("link", "1")
	}
	return c.call(ctx, http.MethodDelete, "/containers/"+id, q, nil, nil)
}

// ContainerTop lists a container's processes (args are ps options).
func (c *Client) ContainerTop(ctx context.Context, id string, args []string) (container.TopResponse, error) {
	q := url.Values{}
	if len(args) > 0 {
		s := args[0]
		for _, a := range args[1:] {
			s += " " + a
		}
		q.Set("ps_args", s)
	}
	var out container.TopResponse
	err := c.call(ctx, http.MethodGet, "/containers/"+id+"/top", q, nil, &out)
	return out, err
}

// ContainerRename renames a container.
func (c *Client) ContainerRename(ctx context.Context, id, newName string) error {
	return c.call(ctx, http.MethodPost, "/containers/"+id+"/rename", url.Values{"name": {newName}}, nil, nil)
}

// ContainerResize sets the size of a container's TTY.
func (c *Client) ContainerResize(ctx context.Context, id string, height, width uint) error {
	return c.call(ctx, http.MethodPost, "/containers/"+id+"/resize", sizeQuery(height, width), nil, nil)
}

func sizeQuery(height, width uint) url.Values {
	return url.Values{"h": {strconv.FormatUint(uint64(height), 10)}, "w": {strconv.FormatUint(uint64(width), 10)}}
}

// ContainersPrune removes stopped containers.
func (c *Client) ContainersPrune(ctx context.Context, f Filters) (container.PruneReport, error) {
	q := url.Values{}
	setFilters(q, f)
	var out container.PruneReport
	err := c.call(ctx, http.MethodPost, "/containers/prune", q, nil, &out)
	return out, err
}
