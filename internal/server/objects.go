package server

import (
	"net/http"
	"strings"

	"github.com/berthproject/berth/errdefs"

	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/volume"
)

// getNetworks answers GET /networks; an empty list while no network
// backend is wired (the moby integration suite lists networks before every
// test).
func (s *Server) getNetworks(w http.ResponseWriter, r *http.Request) error {
	f, err := queryFilters(r, "dangling", "driver", "id", "label", "name", "scope", "type")
	if err != nil {
		return err
	}
	var list []network.Summary
	if s.opts.Networks != nil {
		if list, err = s.opts.Networks.Networks(r.Context(), f); err != nil {
			return err
		}
	}
	return writeJSON(w, http.StatusOK, nonNil(list))
}

// getVolumes answers GET /volumes; an empty list while no volume backend is
// wired.
func (s *Server) getVolumes(w http.ResponseWriter, r *http.Request) error {
	f, err := queryFilters(r, "dangling", "driver", "label", "name")
	if err != nil {
		return err
	}
	var res volume.ListResponse
	if s.opts.Volumes != nil {
		if res, err = s.opts.Volumes.Volumes(r.Context(), f); err != nil {
			return err
		}
	}
	res.Volumes, res.Warnings = nonNil(res.Volumes), nonNil(res.Warnings)
	return writeJSON(w, http.StatusOK, &res)
}

// notImplementedPlugins answers the /plugins routes: berthd has no
// plugins.
func notImplementedPlugins(http.ResponseWriter, *http.Request) error {
	return notImplementedf("plugins are not supported by this daemon")
}

// getNetwork answers GET /networks/{id} from the network list: until a
// network backend exists every name is unknown, and clients such as
// `docker inspect` need dockerd's 404 to try the next object type.
func (s *Server) getNetwork(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if s.opts.Networks != nil {
		list, err := s.opts.Networks.Networks(r.Context(), nil)
		if err != nil {
			return err
		}
		for _, n := range list {
			if n.Name == id || n.ID == id || (len(id) >= 12 && strings.HasPrefix(n.ID, id)) {
				return writeJSON(w, http.StatusOK, &n)
			}
		}
	}
	return errdefs.Errorf(errdefs.ErrNotFound, "network %s not found", id)
}

// getVolume answers GET /volumes/{name} from the volume list (see getNetwork).
func (s *Server) getVolume(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if s.opts.Volumes != nil {
		res, err := s.opts.Volumes.Volumes(r.Context(), nil)
		if err != nil {
			return err
		}
		for _, v := range res.Volumes {
			if v.Name == name {
				return writeJSON(w, http.StatusOK, &v)
			}
		}
	}
	return errdefs.Errorf(errdefs.ErrNotFound, "get %s: no such volume", name)
}
