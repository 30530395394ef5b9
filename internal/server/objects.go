package server

import (
	"net/http"

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
