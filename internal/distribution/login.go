package distribution

import (
	"context"

	"github.com/berthproject/berth/internal/remote"
)

// Login checks credentials against the registry server names (as `docker
// login` gives it) and returns the identity token it issued, if any.
func (s *Service) Login(ctx context.Context, server string, creds remote.Credentials) (string, error) {
	return s.registry.Login(ctx, server, creds)
}
