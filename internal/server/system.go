package server

import (
	"encoding/json"
	"net/http"
	"runtime"

	"github.com/berthproject/berth/api"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/api/types/system"
	"github.com/moby/moby/api/types/volume"
)

// ping answers GET and HEAD /_ping: "OK", never cached, with the swarm
// state (clients read Api-Version and friends from the headers).
func (s *Server) ping(w http.ResponseWriter, r *http.Request) error {
	h := w.Header()
	h.Add("Cache-Control", "no-cache, no-store, must-revalidate")
	h.Add("Pragma", "no-cache")
	h.Set("Swarm", string(swarm.LocalNodeStateInactive))
	if r.Method == http.MethodHead {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
		return nil
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	_, err := w.Write([]byte("OK"))
	return err
}

// getVersion answers GET /version. Without a system backend it still
// reports the API range, so clients can negotiate.
func (s *Server) getVersion(w http.ResponseWriter, r *http.Request) error {
	var v system.VersionResponse
	if s.opts.System != nil {
		var err error
		if v, err = s.opts.System.SystemVersion(r.Context()); err != nil {
			return err
		}
	}
	if v.APIVersion == "" {
		v.APIVersion = api.MaxVersion
	}
	if v.MinAPIVersion == "" {
		v.MinAPIVersion = api.MinVersion
	}
	if v.Version == "" {
		v.Version = s.opts.Version
	}
	return writeJSON(w, http.StatusOK, &v)
}

// getInfo answers GET /info, trimmed for the client's API version as
// dockerd does.
func (s *Server) getInfo(w http.ResponseWriter, r *http.Request) error {
	info, err := s.opts.System.SystemInfo(r.Context())
	if err != nil {
		return err
	}
	if info.Swarm.LocalNodeState == "" {
		info.Swarm.LocalNodeState = swarm.LocalNodeStateInactive
	}
	if info.OSType == "" { // the moby integration suite requires it
		info.OSType = runtime.GOOS
	}
	info.ExperimentalBuild = info.ExperimentalBuild || s.opts.Experimental
	return writeJSON(w, http.StatusOK, legacyInfo(r, info))
}

// legacyInfo applies dockerd's per-version changes to an Info response.
func legacyInfo(r *http.Request, info *system.Info) any {
	extra := map[string]any{}
	if versionLess(r, "1.44") {
		for k, rt := range info.Runtimes {
			info.Runtimes[k] = system.RuntimeWithStatus{Runtime: rt.Runtime}
		}
	}
	if versionLess(r, "1.46") {
		info.Containerd = nil
	}
	if versionLess(r, "1.47") {
		extra["RegistryConfig"] = map[string]any{
			"AllowNondistributableArtifactsCIDRs":     json.RawMessage(nil),
			"AllowNondistributableArtifactsHostnames": json.RawMessage(nil),
		}
	}
	if versionLess(r, "1.49") {
		info.FirewallBackend = nil
		extra["ContainerdCommit"] = map[string]any{"Expected": info.ContainerdCommit.ID}
		extra["RuncCommit"] = map[string]any{"Expected": info.RuncCommit.ID}
		extra["InitCommit"] = map[string]any{"Expected": info.InitCommit.ID}
	}
	if versionLess(r, "1.50") {
		info.DiscoveredDevices = nil
		extra["BridgeNfIptables"] = false
		extra["BridgeNfIp6tables"] = false
	}
	if versionLess(r, "1.53") {
		info.NRI = nil
	}
	if len(extra) == 0 {
		return info
	}
	return legacyJSON{base: info, extra: extra}
}

// legacyDiskUsage is the GET /system/df response of API < 1.52.
type legacyDiskUsage struct {
	LayersSize int64               `json:"LayersSize,omitempty"`
	Images     []image.Summary     `json:"Images,omitzero"`
	Containers []container.Summary `json:"Containers,omitzero"`
	Volumes    []volume.Volume     `json:"Volumes,omitzero"`
}

// diskUsageCompat is the API 1.52+ response without ?verbose: both shapes.
type diskUsageCompat struct {
	*legacyDiskUsage
	*system.DiskUsage
}

// getDiskUsage answers GET /system/df.
func (s *Server) getDiskUsage(w http.ResponseWriter, r *http.Request) error {
	opts, err := diskUsageOptions(r)
	if err != nil {
		return err
	}
	du, err := s.opts.System.SystemDiskUsage(r.Context(), opts)
	if err != nil {
		return err
	}
	legacy := &legacyDiskUsage{}
	if du.ImageUsage != nil {
		legacy.LayersSize = du.ImageUsage.TotalSize
		legacy.Images = nonNil(du.ImageUsage.Items)
	}
	if du.ContainerUsage != nil {
		legacy.Containers = nonNil(du.ContainerUsage.Items)
	}
	if du.VolumeUsage != nil {
		legacy.Volumes = nonNil(du.VolumeUsage.Items)
	}
	if versionLess(r, "1.52") {
		return writeJSON(w, http.StatusOK, legacy)
	}
	if boolValue(r, "verbose") {
		return writeJSON(w, http.StatusOK, du)
	}
	return writeJSON(w, http.StatusOK, &diskUsageCompat{legacyDiskUsage: legacy, DiskUsage: du})
}

func diskUsageOptions(r *http.Request) (DiskUsageOptions, error) {
	types, ok := r.URL.Query()["type"]
	if versionLess(r, "1.42") || !ok {
		return DiskUsageOptions{Containers: true, Images: true, Volumes: true}, nil
	}
	var o DiskUsageOptions
	for _, t := range types {
		switch system.DiskUsageObject(t) {
		case system.ContainerObject:
			o.Containers = true
		case system.ImageObject:
			o.Images = true
		case system.VolumeObject:
			o.Volumes = true
		case system.BuildCacheObject:
			// no build cache yet: reported as absent
		default:
			return o, invalidf("unknown object type: %s", t)
		}
	}
	return o, nil
}
