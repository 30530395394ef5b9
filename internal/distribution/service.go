package distribution

import (
	"context"
	"errors"
	"runtime"

	"github.com/berthproject/berth/errdefs"
	"github.com/berthproject/berth/internal/content"
	"github.com/berthproject/berth/internal/image"
	"github.com/berthproject/berth/internal/logging"
	"github.com/berthproject/berth/internal/remote"
	"github.com/distribution/reference"
)

// Options tune a Service.
type Options struct {
	// MaxConcurrentDownloads bounds the layers a pull downloads at once
	// (dockerd's --max-concurrent-downloads; default 3).
	MaxConcurrentDownloads int
	// MaxConcurrentUploads bounds the layers a push uploads at once
	// (dockerd's --max-concurrent-uploads; default 5).
	MaxConcurrentUploads int
	// CompressWorkers is how many goroutines compress a layer for a push
	// (default: the number of CPUs).
	CompressWorkers int
}

// Service pulls and pushes images.
type Service struct {
	images   *image.Store
	content  content.Store
	registry *remote.Client
	opts     Options
}

// New returns a Service over the image store (and the content store it
// uses) and a registry client.
func New(images *image.Store, cs content.Store, registry *remote.Client, opts Options) *Service {
	if opts.MaxConcurrentDownloads <= 0 {
		opts.MaxConcurrentDownloads = 3
	}
	if opts.MaxConcurrentUploads <= 0 {
		opts.MaxConcurrentUploads = 5
	}
	if opts.CompressWorkers <= 0 {
		opts.CompressWorkers = runtime.NumCPU()
	}
	return &Service{images: images, content: cs, registry: registry, opts: opts}
}

// fallbackError marks a failure after which the next endpoint may be
// tried.
type fallbackError struct{ err error }

func (e fallbackError) Error() string { return e.err.Error() }
func (e fallbackError) Unwrap() error { return e.err }

// withEndpoints opens the repository ref names on each endpoint of its
// registry in turn and runs fn on the first that answers. A mirror's
// failure, or a connection failure before fn starts, moves on to the next
// endpoint; any other failure is final.
func (s *Service) withEndpoints(ctx context.Context, ref reference.Named, creds remote.Credentials, push bool,
	fn func(*remote.Repository) error) error {
	eps, err := s.registry.Endpoints(ctx, reference.Domain(ref), !push)
	if err != nil {
		return err
	}
	defer remote.CloseAll(eps)
	var lastErr error
	for _, ep := range eps {
		repo, err := s.registry.Open(ctx, ep, ref, creds, push)
		if err == nil {
			err = fn(repo)
			if err == nil {
				return nil
			}
			var fb fallbackError
			if !ep.Mirror && !errors.As(err, &fb) || errdefs.IsCanceled(err) {
				return err
			}
		} else if errdefs.IsCanceled(err) {
			return err
		}
		logging.From(ctx).Info("registry endpoint failed, trying the next one", "endpoint", ep.String(),
			logging.KeyImageRef, ref.String(), logging.Err(err))
		lastErr = err
	}
	var fb fallbackError
	if errors.As(lastErr, &fb) {
		return fb.err
	}
	return lastErr
}
