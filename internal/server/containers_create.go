package server

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"runtime"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// postContainersCreate answers POST /containers/create?name=&platform=
// with 201 {Id, Warnings}.
func (s *Server) postContainersCreate(w http.ResponseWriter, r *http.Request) error {
	if err := checkJSON(r); err != nil {
		return err
	}
	cfg, err := decodeCreateRequest(r.Body)
	if err != nil {
		return err
	}
	cfg.Name = r.URL.Query().Get("name")
	if p := r.URL.Query().Get("platform"); p != "" && versionAtLeast(r, "1.41") {
		if cfg.Platform, err = parsePlatform(p); err != nil {
			return err
		}
	}
	if err := adaptCreateRequest(r, &cfg); err != nil {
		return err
	}
	res, err := s.opts.Containers.ContainerCreate(r.Context(), cfg)
	if err != nil {
		return err
	}
	res.Warnings = nonNil(res.Warnings)
	return writeJSON(w, http.StatusCreated, &res)
}

// decodeCreateRequest decodes the body and fills the defaults dockerd
// fills, so the backend never sees a nil Config, HostConfig or
// NetworkingConfig, and NetworkMode "" or "default" is "bridge".
func decodeCreateRequest(body io.Reader) (CreateConfig, error) {
	var req container.CreateRequest
	dec := json.NewDecoder(body)
	if err := dec.Decode(&req); err != nil {
		if errors.Is(err, io.EOF) {
			return CreateConfig{}, invalidf("invalid JSON: got EOF while reading request body")
		}
		return CreateConfig{}, invalidf("invalid JSON: %v", err)
	}
	if dec.More() {
		return CreateConfig{}, invalidf("unexpected content after JSON")
	}
	if req.Config == nil {
		return CreateConfig{}, invalidf("config cannot be empty in order to create a container")
	}
	if req.Config.Volumes == nil {
		req.Config.Volumes = map[string]struct{}{}
	}
	if req.HostConfig == nil {
		req.HostConfig = &container.HostConfig{}
	}
	if req.HostConfig.PortBindings == nil {
		req.HostConfig.PortBindings = network.PortMap{}
	}
	if req.NetworkingConfig == nil {
		req.NetworkingConfig = &network.NetworkingConfig{}
	}
	if req.NetworkingConfig.EndpointsConfig == nil {
		req.NetworkingConfig.EndpointsConfig = map[string]*network.EndpointSettings{}
	}
	hc, eps := req.HostConfig, req.NetworkingConfig.EndpointsConfig
	if hc.NetworkMode == "" || hc.NetworkMode.IsDefault() {
		hc.NetworkMode = network.NetworkBridge
		if ep, ok := eps[network.NetworkDefault]; ok {
			eps[network.NetworkBridge] = ep
			delete(eps, network.NetworkDefault)
		}
	}
	return CreateConfig{Config: req.Config, HostConfig: hc, NetworkingConfig: req.NetworkingConfig}, nil
}

// adaptCreateRequest applies dockerd's per-API-version adjustments and the
// mount-option checks of API >= 1.42.
func adaptCreateRequest(r *http.Request, cfg *CreateConfig) error {
	hc := cfg.HostConfig
	if versionLess(r, "1.40") && hc.IpcMode.IsEmpty() {
		hc.IpcMode = container.IPCModeShareable
	}
	if versionLess(r, "1.42") {
		hc.ConsoleSize = [2]uint{}
		for i := range hc.Mounts {
			if bo := hc.Mounts[i].BindOptions; bo != nil {
				bo.CreateMountpoint = false
			}
		}
	} else if err := checkMountOptions(hc.Mounts); err != nil {
		return err
	}
	if versionLess(r, "1.43") {
		hc.Annotations = nil
	}
	if versionLess(r, "1.44") {
		cfg.DefaultReadOnlyNonRecursive = true
		if cfg.Config.Healthcheck != nil {
			cfg.Config.Healthcheck.StartInterval = 0
		}
	}
	if versionLess(r, "1.48") {
		for _, ep := range cfg.NetworkingConfig.EndpointsConfig {
			if ep != nil {
				ep.GwPriority = 0
			}
		}
	}
	return nil
}

func checkMountOptions(ms []mount.Mount) error {
	for _, m := range ms {
		switch {
		case m.VolumeOptions != nil && m.Type != mount.TypeVolume:
			return invalidf("VolumeOptions must not be specified on mount type %q", m.Type)
		case m.BindOptions != nil && m.Type != mount.TypeBind:
			return invalidf("BindOptions must not be specified on mount type %q", m.Type)
		case m.TmpfsOptions != nil && m.Type != mount.TypeTmpfs:
			return invalidf("TmpfsOptions must not be specified on mount type %q", m.Type)
		}
	}
	return nil
}

// parsePlatform parses "os[/arch[/variant]]" or a bare architecture, the
// forms `--platform` takes.
func parsePlatform(s string) (*ocispec.Platform, error) {
	parts := strings.Split(strings.ToLower(s), "/")
	bad := len(parts) > 3
	for _, p := range parts {
		bad = bad || p == ""
	}
	if bad {
		return nil, invalidf("%q: unknown operating system or architecture: invalid argument", s)
	}
	p := &ocispec.Platform{OS: parts[0], Architecture: runtime.GOARCH}
	switch {
	case len(parts) == 1 && !knownOS(parts[0]):
		p.OS, p.Architecture = "linux", parts[0]
	case len(parts) >= 2:
		p.Architecture = parts[1]
	}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

func knownOS(s string) bool {
	switch s {
	case "linux", "windows", "darwin", "freebsd", "netbsd", "openbsd", "solaris", "illumos", "aix", "plan9":
		return true
	}
	return false
}
