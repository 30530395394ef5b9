package engine

import (
	"context"
	"encoding/base64"
	"strings"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/backend"
	"github.com/berthproject/berth/internal/distribution"
	"github.com/berthproject/berth/internal/remote"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/api/types/registry"
)

// credentials turns an X-Registry-Auth config into registry credentials.
func credentials(a *registry.AuthConfig) remote.Credentials {
	if a == nil {
		return remote.Credentials{}
	}
	c := remote.Credentials{Username: a.Username, Password: a.Password, IdentityToken: a.IdentityToken, RegistryToken: a.RegistryToken}
	if c.Username == "" && c.Password == "" && a.Auth != "" {
		if raw, err := base64.StdEncoding.DecodeString(a.Auth); err == nil {
			c.Username, c.Password, _ = strings.Cut(string(raw), ":")
		}
	}
	return c
}

func (s *ImageService) needRegistry() error {
	if s.dist == nil {
		return errdefs.Errorf(errdefs.ErrNotImplemented, "this daemon has no registry access")
	}
	return nil
}

// ImagePull pulls ref from its registry.
func (s *ImageService) ImagePull(ctx context.Context, ref reference.Named, opts backend.ImagePullOptions, progress func(jsonstream.Message)) error {
	if err := s.needRegistry(); err != nil {
		return err
	}
	pulled, err := s.dist.Pull(ctx, ref, distribution.PullOptions{Platform: opts.Platform, Auth: credentials(opts.Auth)}, progress)
	for _, p := range pulled {
		s.e.ImageEvent(events.ActionPull, reference.FamiliarString(p.Ref), reference.FamiliarName(p.Ref))
	}
	return err
}

// ImagePush pushes ref's tag, or all the tags of its repository.
func (s *ImageService) ImagePush(ctx context.Context, ref reference.Named, opts backend.ImagePushOptions, progress func(jsonstream.Message)) error {
	if err := s.needRegistry(); err != nil {
		return err
	}
	pushed, err := s.dist.Push(ctx, ref, distribution.PushOptions{Auth: credentials(opts.Auth), Platform: opts.Platform}, progress)
	for _, p := range pushed {
		s.e.ImageEvent(events.ActionPush, reference.FamiliarString(p.Ref), reference.FamiliarName(p.Ref))
	}
	return err
}

// RegistryLogin checks credentials against a registry.
func (s *ImageService) RegistryLogin(ctx context.Context, auth registry.AuthConfig) (registry.AuthResponse, error) {
	if err := s.needRegistry(); err != nil {
		return registry.AuthResponse{}, err
	}
	token, err := s.dist.Login(ctx, auth.ServerAddress, credentials(&auth))
	if err != nil {
		return registry.AuthResponse{}, err
	}
	return registry.AuthResponse{Status: "Login Succeeded", IdentityToken: token}, nil
}

// DistributionInspect describes what ref names in its registry.
func (s *ImageService) DistributionInspect(ctx context.Context, ref reference.Named, auth *registry.AuthConfig) (registry.DistributionInspect, error) {
	if err := s.needRegistry(); err != nil {
		return registry.DistributionInspect{}, err
	}
	return s.dist.Inspect(ctx, ref, credentials(auth))
}

// ImageSearch searches a registry's index (Docker Hub's v1 search API).
func (s *ImageService) ImageSearch(ctx context.Context, term string, limit int, auth *registry.AuthConfig) ([]registry.SearchResult, error) {
	if err := s.needRegistry(); err != nil {
		return nil, err
	}
	return s.dist.Search(ctx, term, limit, credentials(auth))
}
