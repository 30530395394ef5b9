package server

import (
	"context"
	"encoding/json"

	"github.com/berthproject/berth/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/api/types/registry"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// The fake's registry: pushes of "pushable" repositories succeed, alice's
// password is "wonderland", "example.com/app" is a two-platform index.

func (e *fakeEngine) ImagePush(_ context.Context, ref reference.Named, opts ImagePushOptions, progress func(jsonstream.Message)) error {
	if err := e.enter("ImagePush"); err != nil {
		return err
	}
	e.mu.Lock()
	e.lastAuth = opts.Auth
	e.mu.Unlock()
	progress(jsonstream.Message{Status: "The push refers to repository [" + ref.Name() + "]"})
	if reference.Path(ref) != "library/pushable" {
		return errdefs.Errorf(errdefs.ErrUnauthorized, "unauthorized: authentication required")
	}
	aux := json.RawMessage(`{"Tag":"latest","Digest":"sha256:` + hex64 + `","Size":527}`)
	progress(jsonstream.Message{Progress: &jsonstream.Progress{}, Aux: &aux})
	return nil
}

func (e *fakeEngine) RegistryLogin(_ context.Context, auth registry.AuthConfig) (registry.AuthResponse, error) {
	if err := e.enter("RegistryLogin"); err != nil {
		return registry.AuthResponse{}, err
	}
	if auth.Username != "alice" || auth.Password != "wonderland" {
		return registry.AuthResponse{}, errdefs.Errorf(errdefs.ErrUnauthorized,
			"login attempt to https://%s/v2/ failed with status: 401 Unauthorized", auth.ServerAddress)
	}
	return registry.AuthResponse{Status: "Login Succeeded"}, nil
}

func (e *fakeEngine) DistributionInspect(_ context.Context, ref reference.Named, _ *registry.AuthConfig) (registry.DistributionInspect, error) {
	if err := e.enter("DistributionInspect"); err != nil {
		return registry.DistributionInspect{}, err
	}
	if ref.String() != "example.com/app:latest" {
		return registry.DistributionInspect{}, errdefs.Errorf(errdefs.ErrNotFound, "manifest unknown")
	}
	return registry.DistributionInspect{
		Descriptor: ocispec.Descriptor{MediaType: ocispec.MediaTypeImageIndex, Digest: "sha256:" + hex64, Size: 100},
		Platforms:  []ocispec.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}},
	}, nil
}

func (e *fakeEngine) ImageSearch(_ context.Context, term string, limit int, _ *registry.AuthConfig) ([]registry.SearchResult, error) {
	if err := e.enter("ImageSearch"); err != nil {
		return nil, err
	}
	all := []registry.SearchResult{
		{Name: term, StarCount: 10, IsOfficial: true, Description: "official"},
		{Name: "someone/" + term, StarCount: 1, Description: "copy"},
	}
	return all[:min(limit, len(all))], nil
}
