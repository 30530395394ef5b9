package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/berthproject/berth/errdefs"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/storage"
)

// containerListFilters are the filter keys GET /containers/json accepts.
var containerListFilters = []string{"id", "name", "label", "label!", "status", "ancestor",
	"exited", "before", "since", "volume", "network", "publish", "expose", "health", "is-task"}

// getContainersJSON answers GET /containers/json.
func (s *Server) getContainersJSON(w http.ResponseWriter, r *http.Request) error {
	f, err := queryFilters(r, containerListFilters...)
	if err != nil {
		return err
	}
	limit := 0
	if v := r.URL.Query().Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil {
			return invalidf("%v", err)
		}
	}
	list, err := s.opts.Containers.Containers(r.Context(), ListOptions{
		All: boolValue(r, "all"), Size: boolValue(r, "size"), Limit: limit, Filters: f,
	})
	if err != nil {
		return err
	}
	for i := range list {
		c := &list[i]
		c.Names, c.Ports, c.Mounts = nonNil(c.Names), nonNil(c.Ports), nonNil(c.Mounts)
		if c.Labels == nil {
			c.Labels = map[string]string{}
		}
		if versionLess(r, "1.46") {
			c.HostConfig.Annotations = nil
		}
		if versionLess(r, "1.48") {
			c.ImageManifestDescriptor = nil
		}
		if versionLess(r, "1.52") {
			c.Health = nil
		}
	}
	return writeJSON(w, http.StatusOK, nonNil(list))
}

// getContainerInspect answers GET /containers/{name}/json.
func (s *Server) getContainerInspect(w http.ResponseWriter, r *http.Request) error {
	c, err := s.opts.Containers.ContainerInspect(r.Context(), r.PathValue("name"),
		InspectOptions{Size: boolValue(r, "size")})
	if err != nil {
		return err
	}
	if c.Config == nil {
		c.Config = &container.Config{}
	}
	c.Mounts = nonNil(c.Mounts)
	if versionLess(r, "1.48") {
		c.ImageManifestDescriptor = nil
	}
	if versionLess(r, "1.52") {
		return writeJSON(w, http.StatusOK, legacyInspect(c))
	}
	return writeJSON(w, http.StatusOK, c)
}

// legacyInspect restores what API < 1.52 showed: the bridge network's
// settings at the top of NetworkSettings, and GraphDriver instead of Storage.
func legacyInspect(c *container.InspectResponse) any {
	if c.GraphDriver == nil && c.Storage != nil && c.Storage.RootFS != nil && c.Storage.RootFS.Snapshot != nil {
		c.GraphDriver = &storage.DriverData{Name: c.Storage.RootFS.Snapshot.Name}
		c.Storage = nil
	}
	if c.NetworkSettings == nil || c.NetworkSettings.Networks["bridge"] == nil {
		return c
	}
	nw := c.NetworkSettings.Networks["bridge"]
	return legacyJSON{base: c, extra: map[string]any{"NetworkSettings": map[string]any{
		"EndpointID":          nw.EndpointID,
		"Gateway":             nw.Gateway,
		"GlobalIPv6Address":   nw.GlobalIPv6Address,
		"GlobalIPv6PrefixLen": nw.GlobalIPv6PrefixLen,
		"IPAddress":           nw.IPAddress,
		"IPPrefixLen":         nw.IPPrefixLen,
		"IPv6Gateway":         nw.IPv6Gateway,
		"MacAddress":          nw.MacAddress,
	}}}
}

// postContainerStart answers POST /containers/{name}/start: 204, or 304
// when it already runs (the backend's ErrNotModified).
func (s *Server) postContainerStart(w http.ResponseWriter, r *http.Request) error {
	// A non-empty JSON object is at least 7 bytes; -1 is a chunked body.
	if r.ContentLength > 7 || r.ContentLength == -1 {
		return invalidf("starting container with non-empty request body was deprecated since API v1.22 and removed in v1.24")
	}
	if err := s.opts.Containers.ContainerStart(r.Context(), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// stopOptions reads t and signal (signal only for API >= 1.42).
func stopOptions(r *http.Request) (StopOptions, error) {
	var o StopOptions
	if versionAtLeast(r, "1.42") {
		o.Signal = r.URL.Query().Get("signal")
	}
	if v := r.URL.Query().Get("t"); v != "" {
		t, err := strconv.Atoi(v)
		if err != nil {
			return o, invalidf("%v", err)
		}
		o.Timeout = &t
	}
	return o, nil
}

// postContainerStop answers POST /containers/{name}/stop: 204, or 304.
func (s *Server) postContainerStop(w http.ResponseWriter, r *http.Request) error {
	o, err := stopOptions(r)
	if err != nil {
		return err
	}
	if err := s.opts.Containers.ContainerStop(r.Context(), r.PathValue("name"), o); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// postContainerRestart answers POST /containers/{name}/restart.
func (s *Server) postContainerRestart(w http.ResponseWriter, r *http.Request) error {
	o, err := stopOptions(r)
	if err != nil {
		return err
	}
	if err := s.opts.Containers.ContainerRestart(r.Context(), r.PathValue("name"), o); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// postContainerKill answers POST /containers/{name}/kill.
func (s *Server) postContainerKill(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if err := s.opts.Containers.ContainerKill(r.Context(), name, r.URL.Query().Get("signal")); err != nil {
		return fmt.Errorf("cannot kill container: %s: %w", name, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// postContainerWait answers POST /containers/{name}/wait. The 200 header
// is flushed at once (API >= 1.30): `docker run` calls wait before start and
// must know the wait is armed.
func (s *Server) postContainerWait(w http.ResponseWriter, r *http.Request) error {
	cond := container.WaitConditionNotRunning
	legacy := versionLess(r, "1.30")
	if v := r.URL.Query().Get("condition"); v != "" && !legacy {
		switch c := container.WaitCondition(v); c {
		case container.WaitConditionNotRunning, container.WaitConditionNextExit, container.WaitConditionRemoved:
			cond = c
		default:
			return invalidf("invalid condition: %q", v)
		}
	}
	ctx, cancel := s.streamContext(r.Context())
	defer cancel()
	waitc, err := s.opts.Containers.ContainerWait(ctx, r.PathValue("name"), cond)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	if !legacy {
		w.WriteHeader(http.StatusOK)
		_ = http.NewResponseController(w).Flush()
	}
	res, ok := <-waitc
	if !ok { // the client left or the daemon shuts down
		if legacy {
			return errdefs.Errorf(errdefs.ErrUnavailable, "wait interrupted")
		}
		return nil
	}
	return json.NewEncoder(w).Encode(&res)
}

// postContainerRename answers POST /containers/{name}/rename?name=.
func (s *Server) postContainerRename(w http.ResponseWriter, r *http.Request) error {
	if err := s.opts.Containers.ContainerRename(r.Context(), r.PathValue("name"), r.URL.Query().Get("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// postContainerResize answers POST /containers/{name}/resize?h=&w=.
func (s *Server) postContainerResize(w http.ResponseWriter, r *http.Request) error {
	h, wd, err := resizeParams(r)
	if err != nil {
		return err
	}
	return s.opts.Containers.ContainerResize(r.Context(), r.PathValue("name"), h, wd)
}

func resizeParams(r *http.Request) (height, width uint32, err error) {
	if height, err = uint32Value(r, "h"); err != nil {
		return 0, 0, err
	}
	width, err = uint32Value(r, "w")
	return height, width, err
}

// postContainerUpdate answers POST /containers/{name}/update.
func (s *Server) postContainerUpdate(w http.ResponseWriter, r *http.Request) error {
	var cfg container.UpdateConfig
	if err := readJSON(r, &cfg); err != nil {
		return err
	}
	if versionLess(r, "1.40") {
		cfg.PidsLimit = nil
	}
	if cfg.PidsLimit != nil && *cfg.PidsLimit <= 0 {
		unlimited := int64(0)
		cfg.PidsLimit = &unlimited
	}
	res, err := s.opts.Containers.ContainerUpdate(r.Context(), r.PathValue("name"), cfg)
	if err != nil {
		return err
	}
	res.Warnings = nonNil(res.Warnings)
	return writeJSON(w, http.StatusOK, &res)
}

// getContainerTop answers GET /containers/{name}/top?ps_args=.
func (s *Server) getContainerTop(w http.ResponseWriter, r *http.Request) error {
	top, err := s.opts.Containers.ContainerTop(r.Context(), r.PathValue("name"), r.URL.Query().Get("ps_args"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, &top)
}

// deleteContainer answers DELETE /containers/{name}?force=&v=&link=.
func (s *Server) deleteContainer(w http.ResponseWriter, r *http.Request) error {
	err := s.opts.Containers.ContainerRemove(r.Context(), r.PathValue("name"), RemoveOptions{
		Force: boolValue(r, "force"), RemoveVolumes: boolValue(r, "v"), RemoveLink: boolValue(r, "link"),
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// postContainersPrune answers POST /containers/prune.
func (s *Server) postContainersPrune(w http.ResponseWriter, r *http.Request) error {
	f, err := queryFilters(r, "until", "label", "label!")
	if err != nil {
		return err
	}
	rep, err := s.opts.Containers.ContainerPrune(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, &rep)
}

// getContainerStats answers GET /containers/{name}/stats?stream=&one-shot=.
func (s *Server) getContainerStats(w http.ResponseWriter, r *http.Request) error {
	opts := StatsOptions{Stream: boolValueOr(r, "stream", true)}
	if versionAtLeast(r, "1.41") {
		opts.OneShot = boolValue(r, "one-shot")
	}
	ctx, cancel := s.streamContext(r.Context())
	defer cancel()
	enc := json.NewEncoder(w)
	send := func(st *container.StatsResponse) error {
		w.Header().Set("Content-Type", "application/json")
		if err := enc.Encode(st); err != nil {
			return err
		}
		return http.NewResponseController(w).Flush()
	}
	return s.opts.Containers.ContainerStats(ctx, r.PathValue("name"), opts, send)
}
